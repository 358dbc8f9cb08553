// TestDatabase: a fresh PostgreSQL database per test, on the cluster `./gaon test` started.
//
// Databases are copied from a template that has every migration applied (rebuilt when the
// migrations change), so each test gets a clean, current schema in milliseconds and tests
// can run in parallel. The connection settings come from GAON_TEST_ADMIN_URL,
// GAON_TEST_OWNER_URL and GAON_TEST_APP_URL; without them the test fails (run it through
// ./gaon test): tests never fall back to a fake database.
#pragma once

#include <memory>
#include <string>

#include "core/config.h"

namespace gaon::test {

class TestDatabase {
 public:
  // `migrated`: copy the migrated template (true) or start empty (false).
  static std::unique_ptr<TestDatabase> Create(bool migrated = true);
  ~TestDatabase();  // drops the database

  const std::string& name() const { return name_; }
  const std::string& admin_url() const { return admin_url_; }  // superuser, this database
  const std::string& owner_url() const { return owner_url_; }  // schema owner, this database
  const std::string& app_url() const { return app_url_; }      // application role, this database
  // A pool configuration for the application role.
  DatabaseConfig Config(int pool_size = 4) const;

  // Runs SQL as the owner (or superuser) outside any pool; returns the first column of the
  // first row as text ("" when there is none).
  std::string OwnerQuery(const std::string& sql) const;
  // The same as the application role gaond connects as (row-level security and grants apply).
  std::string AppQuery(const std::string& sql) const;
  std::string AdminQuery(const std::string& sql) const;

 private:
  TestDatabase() = default;
  std::string name_, admin_url_, owner_url_, app_url_;
};

// Replaces the database name in a postgresql:// URL.
std::string WithDatabase(const std::string& url, const std::string& db);
// Value of a required environment variable; throws with a hint when missing.
std::string RequiredEnv(const char* name);

}  // namespace gaon::test
