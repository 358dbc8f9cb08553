// End-to-end: tenants never see each other, every route enforces its permission for every
// role, and every change leaves a verifiable audit event. The route lists come from the live
// route table, so routes added later are covered without editing these tests.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "api/app.h"
#include "api/router.h"
#include <boost/json.hpp>

#include <fstream>
#include <thread>
#include <tuple>

#include <pqxx/pqxx>

#include "gaon/ids.h"
#include "gaon/time.h"
#include "tests/support/cloud.h"
#include "tests/support/test_keys.h"

using namespace gaon;
using namespace gaon::test;

namespace {

std::vector<api::Route> AllRoutes() {
  static const Config config;
  api::Router router;
  api::Services services{&config};
  api::RegisterRoutes(router, services);
  return router.routes();
}

// Fills the pattern's {params}: from `values` when known, else with a well-formed id of no
// real resource.
std::string Fill(const std::string& pattern, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const auto close = pattern.find('}', i);
    const std::string name = pattern.substr(i + 1, close - i - 1);
    auto it = values.find(name);
    out += it != values.end() ? it->second : "x_" + gaon::NewIdBody();
    i = close + 1;
  }
  return out;
}

// A fingerprint of every row that belongs to `tenant`, in every table with a tenant_id.
std::string TenantFingerprint(TestDatabase& db, const std::string& tenant) {
  return db.OwnerQuery(R"sql(
    CREATE FUNCTION pg_temp.tenant_fingerprint(tid text) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE r record; acc text := ''; h text;
    BEGIN
      FOR r IN SELECT c.relname FROM pg_class c
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
               WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace ORDER BY 1 LOOP
        EXECUTE format('SELECT md5(coalesce(string_agg(t::text, '','' ORDER BY t::text), '''')) FROM %I t '
                       'WHERE tenant_id = %L', r.relname, tid) INTO h;
        acc := acc || r.relname || ':' || h || '|';
      END LOOP;
      RETURN md5(acc);
    END $$;
    SET gaon.platform = 'on';
    SELECT pg_temp.tenant_fingerprint(')sql" + tenant + "')");
}

// The problem's stable code, or "" for an answer that is not a problem.
std::string Code(const HttpResult& r) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("code")) return {};
  return std::string(v.at("code").as_string());
}

// One of everything a tenant route can name, made through the API as tenant `t` would:
// the {param} names of the route table mapped to real resources of `t`.
std::map<std::string, std::string> OneOfEverything(TestCloud& c, const std::string& t) {
  std::map<std::string, std::string> ids = {{"tenant", t}};
  const std::string base = "/v1/tenants/" + t;
  const std::string key = c.CreateKey(t, "tenant-admin", "owner");
  auto made = [&](const char* param, const HttpResult& r) {
    INFO(param << ": " << r.status << " " << r.body);
    REQUIRE((r.status == 201 || r.status == 202));
    const auto j = r.Json();
    ids[param] = std::string(j.as_object().contains("key") ? j.at("key").at("id").as_string() : j.at("id").as_string());
  };
  ids["user"] = c.AddMember(t, "alice@" + t + ".example", "tenant-viewer").first;
  made("key", c.Call("POST", base + "/api-keys", key, R"({"name":"a-key","role":"tenant-member"})"));
  made("ssh_key", c.Call("POST", base + "/ssh-keys", key, std::string(R"({"name":"laptop","public_key":")") +
                                                              kTestEd25519 + R"("})"));
  made("instance", c.Call("POST", base + "/instances", key,
                          R"({"name":"web","spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}})"));
  made("model", c.Call("POST", base + "/models", key,
                       R"({"display_name":"own-7b","parameters_millions":7000,"min_gpu_memory_gib":24,)"
                       R"("runtimes":["vllm"],"artifact_uri":"s3://kr-central-1/own/7b/"})"));
  made("endpoint", c.Call("POST", base + "/endpoints", key,
                          R"({"name":"chat","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm",)"
                          R"("gpus_per_replica":1}})"));
  made("request", c.Call("POST", base + "/quota-requests", key,
                         R"({"dimension":"gpus","requested_limit":64,"reason":"training"})"));
  made("budget", c.Call("POST", base + "/budgets", key, R"({"name":"monthly","amount":"1"})"));
  // Where the fleet has no A100 this one waits in the placement queue.
  REQUIRE(c.Call("POST", base + "/instances", key,
                 R"({"name":"waits","spec":{"instance_type":"gpu.a100.1x","image":"ubuntu-24.04-cuda-12.8"}})")
              .status == 202);
  // Billing: a discount, a credit, a metered event, and an hour of usage in September
  // (finalized by the operator into an invoice the credit pays towards) and this month.
  REQUIRE(c.Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"*":"10"}})").status == 200);
  REQUIRE(c.Op("POST", "/v1/admin/tenants/" + t + "/credits", R"({"kind":"promotional","amount":"100","description":"x"})")
              .status == 201);
  const std::string now = FormatTimestamp(Now() - std::chrono::minutes(1));
  REQUIRE(c.Op("POST", "/v1/usage-events",
               R"({"source":"gateway","events":[{"tenant_id":")" + t + R"(","event_id":"evt-1","meter":"tokens-input",)"
               R"("quantity":"1000","time":")" + now + R"(","resource_kind":"endpoint","resource_id":")" + ids["endpoint"] +
               R"(","attributes":{"model":"qwen2.5-7b-instruct"}}]})").status / 100 == 2);
  const std::string month_start = now.substr(0, 8) + "01T00:00:00Z";
  for (const auto& [run, start, end] : {std::tuple{1, std::string("2026-09-10T00:00:00Z"), std::string("2026-09-10T01:00:00Z")},
                                        std::tuple{2, month_start, now}}) {
    c.db().OwnerQuery("SET gaon.platform = 'on'; INSERT INTO usage_records (tenant_id, resource_kind, resource_id, "
                      "run, sku, gpu_type_id, gpu_count, started_at, ended_at) VALUES ('" + t + "', 'instance', "
                      "'inst_old', " + std::to_string(run) + ", 'gpu.h100.1x', 'h100-80gb-sxm', 1, '" + start + "', '" +
                      end + "')");
  }
  // Where the billing pass runs (every second in the row test) it may close September first:
  // finalizing is idempotent and then answers 200 with that invoice.
  const auto invoice = c.Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-09"})");
  INFO(invoice.status << " " << invoice.body);
  REQUIRE((invoice.status == 200 || invoice.status == 201));
  ids["invoice"] = std::string(invoice.Json().at("id").as_string());
  return ids;
}

// Every table with a tenant_id column.
std::vector<std::string> TenantTables(TestDatabase& db) {
  const std::string list = db.OwnerQuery(
      "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
      "AND a.attname = 'tenant_id' AND NOT a.attisdropped WHERE c.relkind = 'r' AND "
      "c.relnamespace = 'public'::regnamespace");
  std::vector<std::string> out;
  for (std::size_t at = 0; at < list.size();) {
    const auto comma = std::min(list.find(',', at), list.size());
    out.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

// Rows of `table` with tenant_id = `owner`, counted as the application role after `settings`.
int CountAsApp(TestDatabase& db, const std::string& table, const std::string& owner, const std::string& settings) {
  pqxx::connection conn(db.app_url());
  pqxx::work w(conn);
  if (!settings.empty()) w.exec(settings);
  return w.exec("SELECT count(*) FROM " + conn.quote_name(table) + " WHERE tenant_id = " + w.quote(owner))[0][0]
      .as<int>();
}

}  // namespace

TEST_CASE("a key of tenant B gets 404 on every route of tenant A and changes nothing of A", "[e2e][isolation]") {
  // The API alone: no controller moves A's resources while the walk checks that nothing does.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}});
  const std::string a = c->CreateTenant("tenant-a");
  const std::string b = c->CreateTenant("tenant-b");
  const auto a_ids = OneOfEverything(*c, a);
  const std::string b_admin = c->CreateKey(b, "tenant-admin", "b-admin");

  // A's own key was last used a moment ago; gaond writes last-use times a second later
  // (api/last_use.h). Wait until A's rows hold still before taking their fingerprint.
  std::string before = TenantFingerprint(c->db(), a);
  for (int settled = 0; settled < 10; ++settled) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const std::string now = TenantFingerprint(c->db(), a);
    if (now == before) break;
    before = now;
  }
  int walked = 0, named = 0;
  for (const auto& route : AllRoutes()) {
    if (route.pattern.rfind("/v1/tenants/{tenant}", 0) != 0) continue;
    ++walked;
    INFO(route.method << " " << route.pattern);
    CHECK(api::IsTenantScoped(route.permission));
    // Every resource a tenant route names exists in A: a new kind of resource makes this fail
    // until OneOfEverything makes one, so no route is walked with ids of nothing.
    for (std::size_t open = route.pattern.find('{'); open != std::string::npos; open = route.pattern.find('{', open + 1)) {
      const std::string param = route.pattern.substr(open + 1, route.pattern.find('}', open) - open - 1);
      INFO("{" << param << "}: add a resource of this kind to OneOfEverything");
      REQUIRE(a_ids.count(param) == 1);
    }
    const std::string body = route.mutating() ? "{}" : "";
    // 1. A's path, B's credentials: exactly what a missing tenant gives.
    const std::string target = Fill(route.pattern, a_ids);
    auto r = c->Call(route.method, target, b_admin, body);
    INFO(route.method << " " << target << " → " << r.status << " " << r.body);
    CHECK(r.status == 404);
    // 2. B's own path naming A's resources answers exactly as one naming nothing.
    if (route.pattern.find('}', route.pattern.find("{tenant}") + 8) == std::string::npos) continue;
    ++named;
    std::map<std::string, std::string> mixed = a_ids;
    mixed["tenant"] = b;
    const std::string own = Fill(route.pattern, mixed);
    auto theirs = c->Call(route.method, own, b_admin, body);
    std::map<std::string, std::string> missing = {{"tenant", b}};
    for (const auto& [param, id] : a_ids) {
      if (param != "tenant") missing[param] = id.substr(0, id.find('_') + 1) + gaon::NewIdBody();
    }
    auto nothing = c->Call(route.method, Fill(route.pattern, missing), b_admin, body);
    INFO(route.method << " " << own << " → " << theirs.status << " " << theirs.body);
    INFO("naming nothing → " << nothing.status << " " << nothing.body);
    CHECK(theirs.status == nothing.status);
    CHECK(Code(theirs) == Code(nothing));
    if (route.method == "GET") CHECK(theirs.status == 404);
  }
  CHECK(walked >= 50);
  CHECK(named >= 25);
  CHECK(TenantFingerprint(c->db(), a) == before);
}

TEST_CASE("the application role gets no tenant's rows from any tenant-owned table without that tenant set",
          "[e2e][isolation][rls]") {
  // Controllers and a fleet too, so placements, replicas, queue positions and budget alerts
  // exist: every table that holds tenant rows holds some of A's.
  auto c = TestCloud::Start(
      {.env = {{"GAON_SIM_FLEET_FILE", TestCloud::FleetFile("groups:\n" +
                                                           TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1))},
               {"GAON_CONTROLLER_BILLING_INTERVAL", "1s"}}});
  const std::string a = c->CreateTenant("rows-a");
  const std::string b = c->CreateTenant("rows-b");
  OneOfEverything(*c, a);
  OneOfEverything(*c, b);
  const auto tables = TenantTables(c->db());
  REQUIRE(tables.size() >= 25);
  const std::string platform = "SELECT set_config('gaon.platform', 'on', true)";
  std::string empty;
  for (int tries = 0; tries < 150; ++tries) {  // the controllers' rows come within seconds
    empty.clear();
    for (const auto& table : tables) {
      if (CountAsApp(c->db(), table, a, platform) == 0) empty += table + " ";
    }
    if (empty.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO("tables with none of A's rows — seed them in OneOfEverything: " << empty);
  REQUIRE(empty.empty());
  for (const auto& table : tables) {
    INFO(table);
    CHECK(CountAsApp(c->db(), table, a, "") == 0);
    CHECK(CountAsApp(c->db(), table, a, "SELECT set_config('gaon.tenant_id', 'ten_nobody', true)") == 0);
    CHECK(CountAsApp(c->db(), table, a, "SELECT set_config('gaon.tenant_id', '" + b + "', true)") == 0);
    CHECK(CountAsApp(c->db(), table, a, "SELECT set_config('gaon.tenant_id', '" + a + "', true)") > 0);
  }
}

TEST_CASE("every route enforces its permission for every role", "[e2e][roles]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("matrix");
  std::map<std::string, std::string> keys;
  for (const char* role : {"tenant-admin", "tenant-member", "tenant-viewer", "billing-viewer"}) {
    keys[role] = c->CreateKey(t, role, role);
  }
  keys["platform-admin"] = c->operator_key();
  auto allowed = [](const std::string& role, api::Permission p) {
    using P = api::Permission;
    switch (p) {
      case P::kUnset: return false;
      case P::kPublic:
      case P::kAuthenticated: return true;
      case P::kPlatformAdmin: return role == "platform-admin";
      case P::kTenantAny: return true;
      case P::kTenantRead: return role != "billing-viewer";
      case P::kTenantWrite: return role == "tenant-admin" || role == "tenant-member" || role == "platform-admin";
      case P::kTenantAdmin: return role == "tenant-admin" || role == "platform-admin";
      case P::kBillingRead: return role == "tenant-admin" || role == "billing-viewer" || role == "platform-admin";
    }
    return false;
  };
  int checked = 0;
  for (const auto& route : AllRoutes()) {
    // Platform routes that name a tenant get one that does not exist, so an allowed call is a
    // harmless 404 rather than, say, suspending the tenant under test.
    std::map<std::string, std::string> ids = {{"tenant", route.permission == api::Permission::kPlatformAdmin
                                                            ? "ten_" + gaon::NewIdBody()
                                                            : t}};
    const std::string target = Fill(route.pattern, ids);
    for (const auto& [role, key] : keys) {
      if (route.pattern == "/v1/sessions/current" || route.pattern == "/v1/me/password") continue;  // users only
      auto r = c->Call(route.method, target, key, route.mutating() ? "{}" : "");
      INFO(role << " " << route.method << " " << target << " → " << r.status << " " << r.body);
      if (allowed(role, route.permission)) {
        CHECK(r.status != 403);
        CHECK(r.status != 401);
      } else {
        CHECK(r.status == 403);
      }
      ++checked;
    }
  }
  CHECK(checked > 100);
}

TEST_CASE("every mutating request writes exactly one audit event, success, failure or denied", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("audited");
  const std::string admin = c->CreateKey(t, "tenant-admin", "auditor");
  const std::string viewer = c->CreateKey(t, "tenant-viewer", "onlooker");
  // The events of one request, by the request id it was sent with: "outcome@chain ...".
  auto events_of = [&](const std::string& request_id) {
    return c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT coalesce(string_agg(outcome || '@' || "
                              "CASE WHEN tenant_id = 'platform' THEN 'platform' ELSE 'tenant' END, ' '), '') "
                              "FROM audit_events WHERE request_id = '" + request_id + "'");
  };
  int n = 0, denied = 0;
  for (const auto& route : AllRoutes()) {
    if (!route.mutating() || !route.options.audited) continue;
    const bool platform = !api::IsTenantScoped(route.permission);
    const std::string target = Fill(route.pattern, {{"tenant", platform ? "ten_" + gaon::NewIdBody() : t}});
    const std::string key = route.permission == api::Permission::kPublic ? "" : platform ? c->operator_key() : admin;
    // Mostly invalid bodies and missing resources: failures must be audited as much as successes.
    const std::string id = "audit-" + std::to_string(++n);
    auto r = c->Call(route.method, target, key, "{}", {{"X-Request-Id", id}});
    INFO(route.method << " " << target << " → " << r.status << " " << r.body);
    CHECK(r.status != 500);
    const std::string outcome = r.status < 400 ? "success" : r.status == 401 || r.status == 403 ? "denied" : "failure";
    CHECK(events_of(id) == outcome + "@" + (platform ? "platform" : "tenant"));
    // A viewer's attempt at a change it may not make: denied, in the tenant's own log.
    if (platform || route.permission == api::Permission::kTenantAny) continue;
    const std::string refused = "denied-" + std::to_string(n);
    auto d = c->Call(route.method, target, viewer, "{}", {{"X-Request-Id", refused}});
    CHECK(d.status == 403);
    CHECK(events_of(refused) == "denied@tenant");
    ++denied;
  }
  CHECK(n > 50);
  CHECK(denied > 20);
}

TEST_CASE("audit events record who, what, where from and the fields changed, never secrets", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("recorded");
  const std::string admin = c->CreateKey(t, "tenant-admin", "admin");
  auto created = c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"ci","role":"tenant-member"})",
                         {{"User-Agent", "gaon-test/1.0"}, {"X-Request-Id", "trace-123"}});
  REQUIRE(created.status == 201);
  const std::string secret(created.Json().at("secret").as_string());
  auto denied = c->Call("PATCH", "/v1/tenants/" + t, c->CreateKey(t, "tenant-viewer", "viewer"), R"({"display_name":"x"})");
  REQUIRE(denied.status == 403);

  const std::string admin_id(c->Call("GET", "/v1/me", admin).Json().at("principal_id").as_string());
  auto events = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=api_keys.create&principal=" + admin_id, admin);
  REQUIRE(events.status == 200);
  const auto items = events.Json().at("items").as_array();
  REQUIRE(items.size() == 1);
  const auto& e = items[0].as_object();
  CHECK(e.at("principal").at("type").as_string() == "api_key");
  CHECK(e.at("principal").at("name").as_string() == "admin");
  CHECK(e.at("request_id").as_string() == "trace-123");
  CHECK(e.at("user_agent").as_string() == "gaon-test/1.0");
  CHECK(e.at("source_address").as_string() == "127.0.0.1");
  CHECK(e.at("outcome").as_string() == "success");
  CHECK(e.at("changes").at("name").as_string() == "ci");
  CHECK(e.at("resource_id").as_string() == created.Json().at("key").at("id").as_string());
  CHECK(events.body.find(secret.substr(34)) == std::string::npos);
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM audit_events WHERE changes::text LIKE '%" +
                           secret.substr(34) + "%'") == "0");

  auto denied_events = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=tenants.update", admin);
  REQUIRE(denied_events.Json().at("items").as_array().size() == 1);
  CHECK(denied_events.Json().at("items").at(0).at("outcome").as_string() == "denied");
  CHECK(denied_events.Json().at("items").at(0).at("status").as_int64() == 403);
}

TEST_CASE("operator access to a tenant needs a reason and shows up in the tenant's own audit log", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("watched");
  const std::string admin = c->CreateKey(t, "tenant-admin", "admin");
  auto no_reason = c->Call("GET", "/v1/tenants/" + t + "/api-keys", c->operator_key(), "", {{"X-Gaon-Operator-Reason", " "}});
  CHECK(no_reason.status == 403);
  CHECK(no_reason.Json().at("code").as_string() == "operator_reason_required");
  auto read = c->Op("GET", "/v1/tenants/" + t + "/api-keys", "", {{"X-Gaon-Operator-Reason", "ticket OPS-42: key audit"}});
  REQUIRE(read.status == 200);
  auto events = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=api_keys.list", admin);
  REQUIRE(events.status == 200);
  // Newest first: the read, then the refused attempt without a reason — the tenant sees both.
  REQUIRE(events.Json().at("items").as_array().size() == 2);
  const boost::json::value e = events.Json().at("items").at(0);
  CHECK(e.at("outcome").as_string() == "success");
  CHECK(e.at("operator_reason").as_string() == "ticket OPS-42: key audit");
  CHECK(e.at("principal").at("id").as_string().starts_with("key_"));
  CHECK(events.Json().at("items").at(1).at("outcome").as_string() == "denied");
  // The tenant cannot see the platform's own chain.
  CHECK(c->Call("GET", "/v1/admin/audit-events", admin).status == 403);
}

TEST_CASE("an operator's read across tenants needs a reason and shows up in each tenant it touched", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string asked = c->CreateTenant("asked");
  const std::string billed = c->CreateTenant("billed");
  const std::string quiet = c->CreateTenant("quiet");
  REQUIRE(c->Call("POST", "/v1/tenants/" + asked + "/quota-requests", c->CreateKey(asked, "tenant-admin"),
                  R"({"dimension":"gpus","requested_limit":32,"reason":"training"})").status == 201);
  c->db().OwnerQuery("SET gaon.platform = 'on'; INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, "
                     "sku, gpu_type_id, gpu_count, started_at, ended_at) VALUES ('" + billed + "', 'instance', "
                     "'inst_x', 1, 'gpu.h100.1x', 'h100-80gb-sxm', 1, '2026-10-01T00:00:00Z', '2026-10-01T02:00:00Z')");
  // The operators' queue of quota requests and the all-tenant export.
  for (const std::string path : {"/v1/admin/quota-requests", "/v1/admin/exports?period=2026-10"}) {
    auto refused = c->Call("GET", path, c->operator_key(), "", {{"X-Gaon-Operator-Reason", ""}});
    CHECK(refused.status == 403);
    CHECK(Code(refused) == "operator_reason_required");
    REQUIRE(c->Op("GET", path, "", {{"X-Gaon-Operator-Reason", "OPS-7 monthly review"}}).status == 200);
  }
  // Each tenant whose data was read sees it, with the reason; one whose data was not, does not.
  auto log_of = [&](const std::string& t, const std::string& action) {
    return c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=" + action, c->CreateKey(t, "tenant-admin"))
        .Json().at("items").as_array();
  };
  const auto seen_queue = log_of(asked, "quota_requests.list_all");
  REQUIRE(seen_queue.size() == 1);
  CHECK(seen_queue[0].at("operator_reason").as_string() == "OPS-7 monthly review");
  const auto seen_export = log_of(billed, "exports.all");
  REQUIRE(seen_export.size() == 1);
  CHECK(seen_export[0].at("operator_reason").as_string() == "OPS-7 monthly review");
  CHECK(log_of(quiet, "quota_requests.list_all").empty());
  CHECK(log_of(quiet, "exports.all").empty());
  CHECK(log_of(billed, "quota_requests.list_all").empty());
}

TEST_CASE("a replayed request and a failed login are audited too", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("replayed");
  const std::string admin = c->CreateKey(t, "tenant-admin", "admin");
  const std::string body = R"({"name":"ci","role":"tenant-viewer"})";
  for (const char* id : {"first-try", "second-try"}) {
    REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, body,
                    {{"Idempotency-Key", "make-ci-key"}, {"X-Request-Id", id}}).status == 201);
  }
  const std::string me(c->Call("GET", "/v1/me", admin).Json().at("principal_id").as_string());
  const auto events =
      c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=api_keys.create&principal=" + me, admin).Json();
  REQUIRE(events.at("items").as_array().size() == 2);
  const auto& replay = events.at("items").at(0);  // newest first
  CHECK(replay.at("request_id").as_string() == "second-try");
  CHECK(replay.at("changes").at("idempotent_replay").as_bool());
  CHECK(events.at("items").at(1).at("request_id").as_string() == "first-try");
  // A wrong password for a user of no tenant: the platform's log has the attempt.
  auto login = c->Call("POST", "/v1/sessions", "", R"({"email":"nobody@example.com","password":"guess"})",
                       {{"X-Request-Id", "login-guess"}});
  CHECK(login.status == 401);
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT string_agg(outcome || ' ' || action, ',') FROM "
                           "audit_events WHERE request_id = 'login-guess' AND tenant_id = 'platform'") ==
        "denied sessions.create");
}

TEST_CASE("the audit log is append-only, hash-chained, and tampering is found", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("chained");
  const std::string admin = c->CreateKey(t, "tenant-admin", "admin");
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin,
                    R"({"name":"k)" + std::to_string(i) + R"(","role":"tenant-viewer"})").status == 201);
  }
  const std::string verify = "/v1/admin/tenants/" + t + "/audit-events:verify";
  auto ok = c->Op("GET", verify);
  REQUIRE(ok.status == 200);
  CHECK(ok.Json().at("intact").as_bool());
  CHECK(ok.Json().at("events_checked").as_int64() >= 7);
  // The platform's chain verifies too.
  CHECK(c->Op("GET", "/v1/admin/audit-events:verify").Json().at("intact").as_bool());

  // The application role cannot change or delete audit events at all.
  CHECK_THROWS(c->db().AdminQuery("SET ROLE gaon_api; SET gaon.platform = 'on'; UPDATE audit_events SET outcome = 'success'"));
  CHECK_THROWS(c->db().AdminQuery("SET ROLE gaon_api; SET gaon.platform = 'on'; DELETE FROM audit_events"));

  // The owner can, and verification points at the first altered event.
  const std::string seq = c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT min(seq) + 2 FROM audit_events WHERE tenant_id = '" + t + "'");
  c->db().OwnerQuery("SET gaon.platform = 'on'; UPDATE audit_events SET principal_name = 'someone else' WHERE tenant_id = '" +
                     t + "' AND seq = " + seq);
  auto broken = c->Op("GET", verify);
  REQUIRE(broken.status == 200);
  CHECK_FALSE(broken.Json().at("intact").as_bool());
  CHECK(std::to_string(broken.Json().at("first_broken").at("seq").as_int64()) == seq);
  CHECK(broken.Json().at("first_broken").at("reason").as_string() == "hash_mismatch");

  // Deleting the newest event is found too.
  auto c2 = TestCloud::Start();
  const std::string t2 = c2->CreateTenant("truncated");
  c2->CreateKey(t2, "tenant-viewer");
  c2->db().OwnerQuery("SET gaon.platform = 'on'; DELETE FROM audit_events WHERE tenant_id = '" + t2 +
                      "' AND seq = (SELECT max(seq) FROM audit_events WHERE tenant_id = '" + t2 + "')");
  auto cut = c2->Op("GET", "/v1/admin/tenants/" + t2 + "/audit-events:verify");
  CHECK_FALSE(cut.Json().at("intact").as_bool());
  CHECK(cut.Json().at("first_broken").at("reason").as_string() == "truncated");
}

TEST_CASE("audit events can be filtered by time, action and principal, and paged", "[e2e][audit]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("filtered");
  const std::string admin = c->CreateKey(t, "tenant-admin", "admin");
  for (int i = 0; i < 4; ++i) {
    c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"n)" + std::to_string(i) + R"(","role":"tenant-viewer"})");
  }
  auto page = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=api_keys.create&page_size=3", admin);
  REQUIRE(page.status == 200);
  CHECK(page.Json().at("items").as_array().size() == 3);
  const std::string token(page.Json().at("next_page_token").as_string());
  auto rest = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=api_keys.create&page_size=3&page_token=" + token, admin);
  // Four keys made by the admin, and the admin's own key made by the operator.
  CHECK(rest.Json().at("items").as_array().size() == 2);
  const std::string who(page.Json().at("items").at(0).at("principal").at("id").as_string());
  auto by = c->Call("GET", "/v1/tenants/" + t + "/audit-events?principal=" + who + "&action=api_keys.create", admin);
  CHECK(by.Json().at("items").as_array().size() == 4);
  auto future = c->Call("GET", "/v1/tenants/" + t + "/audit-events?since=2999-01-01T00:00:00Z", admin);
  CHECK(future.Json().at("items").as_array().empty());
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/audit-events?since=yesterday", admin).status == 400);
}

TEST_CASE("members: add, change role, keep the last admin, remove", "[e2e][members]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("team");
  auto added = c->Op("POST", "/v1/tenants/" + t + "/members", R"({"email":"lead@team.example","role":"tenant-admin"})");
  REQUIRE(added.status == 201);
  const std::string lead(added.Json().at("member").at("user_id").as_string());
  CHECK(added.Json().at("initial_password").as_string().size() >= 16);
  const std::string admin = c->CreateKey(t, "tenant-admin");
  // Adding an existing user to a second tenant reuses the account: no new password.
  const std::string t2 = c->CreateTenant("team-two");
  auto again = c->Op("POST", "/v1/tenants/" + t2 + "/members", R"({"email":"LEAD@team.example","role":"tenant-viewer"})");
  REQUIRE(again.status == 201);
  CHECK(again.Json().at("member").at("user_id").as_string() == lead);
  CHECK_FALSE(again.Json().as_object().contains("initial_password"));
  CHECK(c->Op("POST", "/v1/tenants/" + t2 + "/members", R"({"email":"lead@team.example","role":"tenant-viewer"})").status == 409);

  auto demote = c->Call("PATCH", "/v1/tenants/" + t + "/members/" + lead, admin, R"({"role":"tenant-viewer"})");
  CHECK(demote.status == 409);
  CHECK(demote.Json().at("code").as_string() == "last_admin");
  REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/members", admin, R"({"email":"second@team.example","role":"tenant-admin"})").status == 201);
  CHECK(c->Call("PATCH", "/v1/tenants/" + t + "/members/" + lead, admin, R"({"role":"tenant-viewer"})").status == 200);
  auto list = c->Call("GET", "/v1/tenants/" + t + "/members", admin);
  CHECK(list.Json().at("items").as_array().size() == 2);
  CHECK(c->Call("DELETE", "/v1/tenants/" + t + "/members/" + lead, admin).status == 204);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/members/" + lead, admin).status == 404);
}
