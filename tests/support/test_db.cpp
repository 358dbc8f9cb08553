#include "tests/support/test_db.h"

#include <pqxx/pqxx>

#include <cstdlib>
#include <stdexcept>

#include "core/crypto.h"
#include "gaon/ids.h"
#include "storage/migrations.h"

namespace gaon::test {
namespace {

std::string Query(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction w(c);
  pqxx::result r = w.exec(sql);
  if (r.empty() || r.columns() == 0 || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

// Name of the template holding the current migrations: changes whenever any migration does.
std::string TemplateName() {
  std::string all;
  for (const auto& m : storage::EmbeddedMigrations()) all += m.checksum;
  return "gaon_test_tmpl_" + Sha256Hex(all).substr(0, 16);
}

void EnsureTemplate(const std::string& admin, const std::string& owner) {
  const std::string tmpl = TemplateName();
  pqxx::connection c(admin);
  pqxx::nontransaction w(c);
  // One test process builds the template; the others wait here and then find it ready.
  w.exec("SELECT pg_advisory_lock(4242)");
  try {
    if (w.exec("SELECT 1 FROM pg_database WHERE datname = " + w.quote(tmpl) + " AND datallowconn").empty()) {
      for (const auto& row : w.exec("SELECT datname FROM pg_database WHERE datname LIKE 'gaon_test_tmpl_%'")) {
        w.exec("DROP DATABASE IF EXISTS " + c.quote_name(row[0].as<std::string>()) + " WITH (FORCE)");
      }
      // Built under a scratch name and renamed when complete, so a run killed half-way never
      // leaves a half-migrated template behind under the real name.
      const std::string building = "gaon_test_tmpl_building";
      w.exec("CREATE DATABASE " + c.quote_name(building) + " OWNER gaon_owner");
      auto result = storage::Migrate(WithDatabase(owner, building), storage::EmbeddedMigrations());
      if (!result.ok()) throw std::runtime_error("cannot migrate the test template: " + result.status().ToString());
      w.exec("ALTER DATABASE " + c.quote_name(building) + " RENAME TO " + c.quote_name(tmpl));
    }
  } catch (...) {
    w.exec("SELECT pg_advisory_unlock(4242)");
    throw;
  }
  w.exec("SELECT pg_advisory_unlock(4242)");
}

}  // namespace

std::string RequiredEnv(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through `./gaon test`, which starts PostgreSQL");
  }
  return v;
}

std::string WithDatabase(const std::string& url, const std::string& db) {
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (query == std::string::npos ? "" : url.substr(query));
}

std::unique_ptr<TestDatabase> TestDatabase::Create(bool migrated) {
  const std::string admin = RequiredEnv("GAON_TEST_ADMIN_URL");
  const std::string owner = RequiredEnv("GAON_TEST_OWNER_URL");
  const std::string app = RequiredEnv("GAON_TEST_APP_URL");
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  db->name_ = "gaon_test_" + NewIdBody();
  if (migrated) EnsureTemplate(admin, owner);
  {
    pqxx::connection c(admin);
    pqxx::nontransaction w(c);
    // CREATE DATABASE from a template fails while anyone is connected to the template;
    // another test process may be finishing its own copy: retry briefly.
    for (int attempt = 0;; ++attempt) {
      try {
        w.exec("CREATE DATABASE " + c.quote_name(db->name_) + " OWNER gaon_owner" +
               (migrated ? " TEMPLATE " + c.quote_name(TemplateName()) : std::string(" TEMPLATE template0")));
        break;
      } catch (const pqxx::sql_error& e) {
        if (attempt > 50 || std::string(e.sqlstate()) != "55006") throw;
        pqxx::nontransaction(c).exec("SELECT pg_sleep(0.1)");
      }
    }
  }
  db->admin_url_ = WithDatabase(admin, db->name_);
  db->owner_url_ = WithDatabase(owner, db->name_);
  db->app_url_ = WithDatabase(app, db->name_);
  return db;
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection c(RequiredEnv("GAON_TEST_ADMIN_URL"));
    pqxx::nontransaction w(c);
    w.exec("DROP DATABASE IF EXISTS " + c.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // A database left behind is harmless: the cluster is private to the test run.
  }
}

DatabaseConfig TestDatabase::Config(int pool_size) const {
  DatabaseConfig c;
  c.url = app_url_;
  c.owner_url = owner_url_;
  c.pool_size = pool_size;
  c.checkout_timeout = std::chrono::milliseconds(5000);
  return c;
}

std::string TestDatabase::OwnerQuery(const std::string& sql) const { return Query(owner_url_, sql); }
std::string TestDatabase::AppQuery(const std::string& sql) const { return Query(app_url_, sql); }
std::string TestDatabase::AdminQuery(const std::string& sql) const { return Query(admin_url_, sql); }

}  // namespace gaon::test
