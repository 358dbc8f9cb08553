// TestCloud: a running gaond on its own test database with an operator key, plus helpers
// that set up tenants, members and keys through the real API. Used by end-to-end tests.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/gaond_process.h"
#include "tests/support/http_client.h"
#include "tests/support/test_db.h"

namespace gaon::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

class TestCloud {
 public:
  // Starts gaond with cheap password hashing and a high rate limit unless `options` says
  // otherwise, and bootstraps an operator key.
  static std::unique_ptr<TestCloud> Start(GaondOptions options = {});

  TestDatabase& db() { return *db_; }
  GaondProcess& gaond() { return *gaond_; }
  const std::string& address() const { return address_; }  // the same across restarts
  const std::string& operator_key() const { return operator_key_; }

  // One request with `key` (an API key token; empty for none). Operator calls carry an
  // X-Gaon-Operator-Reason header unless one is given.
  HttpResult Call(const std::string& method, const std::string& target, const std::string& key,
                  const std::string& body = {}, Headers headers = {});
  HttpResult Op(const std::string& method, const std::string& target, const std::string& body = {},
                Headers headers = {}) {
    return Call(method, target, operator_key_, body, std::move(headers));
  }

  // Creates a tenant (as the operator); returns its id. Aborts the test on failure.
  std::string CreateTenant(const std::string& name, const std::string& jurisdiction = "KR",
                           const std::string& currency = "KRW");
  // Creates a service key in `tenant` with `role`; returns the token.
  std::string CreateKey(const std::string& tenant, const std::string& role, const std::string& name = "test");
  // A simulated fleet file with `yaml` (see deploy/fleet.yaml), for GAON_SIM_FLEET_FILE.
  static std::string FleetFile(const std::string& yaml);
  // One group of `nodes` hosts of `gpu_type` in `zone`, sized like deploy/fleet.yaml's.
  static std::string FleetGroup(const std::string& zone, const std::string& gpu_type, int nodes, int gpus = 8);
  // Adds a member (a new user); returns {user id, initial password}.
  std::pair<std::string, std::string> AddMember(const std::string& tenant, const std::string& email,
                                                const std::string& role);

  // Sends `signal` to gaond (SIGKILL: a crash) and waits for it to exit. gaond() is then a
  // stopped process until StartGaond().
  void StopGaond(int signal);
  // Starts a new gaond on the same address, database and options as the first one. Throws
  // when it does not become ready.
  void StartGaond();

 private:
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<GaondProcess> gaond_;
  GaondOptions options_;
  std::string address_;
  std::string operator_key_;
};

// Runs `gaond bootstrap` against `db` and returns the key it printed.
std::string BootstrapOperatorKey(const TestDatabase& db);

}  // namespace gaon::test
