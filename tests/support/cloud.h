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
  const std::string& address() const { return gaond_->address(); }
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
  // Registers a Ready GPU host directly in the database (the fleet is the controllers' job);
  // returns its id.
  std::string AddNode(const std::string& zone, const std::string& gpu_type, int gpus = 8);
  // Adds a member (a new user); returns {user id, initial password}.
  std::pair<std::string, std::string> AddMember(const std::string& tenant, const std::string& email,
                                                const std::string& role);

 private:
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<GaondProcess> gaond_;
  std::string operator_key_;
  int nodes_ = 0;
};

// Runs `gaond bootstrap` against `db` and returns the key it printed.
std::string BootstrapOperatorKey(const TestDatabase& db);

}  // namespace gaon::test
