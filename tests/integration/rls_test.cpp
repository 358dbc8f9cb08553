// Row-level security, checked directly in PostgreSQL with the application role: with no
// tenant set, or the wrong one, no tenant-owned table gives up a single row.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <vector>

#include "tests/support/test_db.h"

using namespace gaon::test;

namespace {

std::vector<std::string> TenantTables(TestDatabase& db) {
  pqxx::connection c(db.owner_url());
  pqxx::nontransaction w(c);
  std::vector<std::string> out;
  for (const auto& row : w.exec("SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                                "AND a.attname = 'tenant_id' AND NOT a.attisdropped WHERE c.relkind = 'r' "
                                "AND c.relnamespace = 'public'::regnamespace ORDER BY 1")) {
    out.push_back(row[0].c_str());
  }
  return out;
}

// Puts one row for each of two tenants into every tenant-owned table, through the API's own
// shapes: the simplest is to insert tenants, memberships and keys directly as the owner.
void Seed(TestDatabase& db) {
  db.OwnerQuery(R"sql(
    SET gaon.platform = 'on';
    INSERT INTO tenants (tenant_id, name, display_name, jurisdiction, billing_currency, billing_email)
      VALUES ('ten_a', 'a', 'A', 'KR', 'KRW', 'a@a.kr'), ('ten_b', 'b', 'B', 'TH', 'THB', 'b@b.th');
    INSERT INTO audit_chain_heads VALUES ('ten_a', 0, ''), ('ten_b', 0, '');
    INSERT INTO users (user_id, email, password_hash) VALUES ('usr_a', 'a@a.kr', 'x'), ('usr_b', 'b@b.th', 'x');
    INSERT INTO memberships VALUES ('ten_a', 'usr_a', 'tenant-admin'), ('ten_b', 'usr_b', 'tenant-admin');
    INSERT INTO api_keys (tenant_id, key_id, name, role, secret_hash, created_by)
      VALUES ('ten_a', 'key_a', 'a', 'tenant-admin', 'h', 'test'), ('ten_b', 'key_b', 'b', 'tenant-admin', 'h', 'test');
    INSERT INTO audit_events VALUES ('ten_a', 1, 'aud_a', now(), 'system', 's', 's', NULL, 'x', 'x', 'x', 'r', '', '',
      'success', 200, NULL, '', 'h'), ('ten_b', 1, 'aud_b', now(), 'system', 's', 's', NULL, 'x', 'x', 'x', 'r', '', '',
      'success', 200, NULL, '', 'h');
  )sql");
}

int CountAsApp(TestDatabase& db, const std::string& table, const std::string& settings) {
  pqxx::connection c(db.app_url());
  pqxx::work w(c);
  if (!settings.empty()) w.exec(settings);
  return w.exec("SELECT count(*) FROM " + c.quote_name(table))[0][0].as<int>();
}

}  // namespace

TEST_CASE("every table with a tenant_id forces row-level security", "[pg][rls]") {
  auto db = TestDatabase::Create();
  const std::string unprotected = db->OwnerQuery(
      "SELECT string_agg(c.relname, ',') FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND "
      "a.attname = 'tenant_id' AND NOT a.attisdropped WHERE c.relkind = 'r' AND "
      "c.relnamespace = 'public'::regnamespace AND NOT (c.relrowsecurity AND c.relforcerowsecurity)");
  CHECK(unprotected == "");
  // And the application role owns none of them.
  CHECK(db->OwnerQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'gaon_api'") == "0");
}

TEST_CASE("the application role sees no tenant rows without a tenant, and only its own with one", "[pg][rls]") {
  auto db = TestDatabase::Create();
  Seed(*db);
  const auto tables = TenantTables(*db);
  REQUIRE(tables.size() >= 5);
  for (const auto& table : tables) {
    INFO(table);
    const int all = CountAsApp(*db, table, "SELECT set_config('gaon.platform', 'on', true)");
    // Seeded here: a few tables; access_test.cpp checks every table with real rows of a tenant.
    if (all == 0) continue;
    CHECK(CountAsApp(*db, table, "") == 0);
    CHECK(CountAsApp(*db, table, "SELECT set_config('gaon.tenant_id', 'ten_nobody', true)") == 0);
    const int a = CountAsApp(*db, table, "SELECT set_config('gaon.tenant_id', 'ten_a', true)");
    const int b = CountAsApp(*db, table, "SELECT set_config('gaon.tenant_id', 'ten_b', true)");
    CHECK(a > 0);
    CHECK(b > 0);
    CHECK(a + b <= all);
  }
  // Users: invisible without a reason to see them.
  CHECK(CountAsApp(*db, "users", "") == 0);
  CHECK(CountAsApp(*db, "users", "SELECT set_config('gaon.tenant_id', 'ten_a', true)") == 1);
  CHECK(CountAsApp(*db, "users", "SELECT set_config('gaon.auth_email', 'b@b.th', true)") == 1);
  // Writing a row for another tenant is refused.
  pqxx::connection c(db->app_url());
  pqxx::work w(c);
  w.exec("SELECT set_config('gaon.tenant_id', 'ten_a', true)");
  CHECK_THROWS(w.exec("INSERT INTO api_keys (tenant_id, key_id, name, role, secret_hash, created_by) "
                      "VALUES ('ten_b', 'key_x', 'x', 'tenant-admin', 'h', 'me')"));
}

TEST_CASE("the application role can only append to the audit log", "[pg][rls][audit]") {
  auto db = TestDatabase::Create();
  Seed(*db);
  pqxx::connection c(db->app_url());
  {
    pqxx::work w(c);
    w.exec("SELECT set_config('gaon.platform', 'on', true)");
    CHECK_THROWS_WITH(w.exec("UPDATE audit_events SET outcome = 'denied'"), Catch::Contains("permission denied"));
  }
  {
    pqxx::work w(c);
    w.exec("SELECT set_config('gaon.platform', 'on', true)");
    CHECK_THROWS_WITH(w.exec("DELETE FROM audit_events"), Catch::Contains("permission denied"));
  }
  {
    pqxx::work w(c);
    CHECK_THROWS_WITH(w.exec("TRUNCATE audit_events"), Catch::Contains("permission denied"));
  }
}
