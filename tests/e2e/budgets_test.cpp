// End-to-end: budgets and the billing pass — alerts at each threshold once a month, as a
// change on the tenant's feed and an audit entry; invoices finalized once the grace period
// is over, without an operator.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "gaon/time.h"
#include "tests/support/cloud.h"
#include "tests/support/http_client.h"

using namespace gaon;
using namespace gaon::test;

namespace {

std::string S(const boost::json::value& v) { return std::string(v.as_string()); }

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }

// A finished 1-GPU H100 record (4200 KRW an hour before discounts) of `hours`, ending `ago`
// before now.
void Hours(TestCloud& c, const std::string& tenant, const std::string& id, int hours, std::chrono::minutes ago) {
  const Timestamp end = Now() - ago, start = end - std::chrono::hours(hours);
  Sql(c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
         "started_at, ended_at) VALUES ('" + tenant + "', 'instance', '" + id + "', 1, 'gpu.h100.1x', "
         "'h100-80gb-sxm', 1, '" + FormatTimestamp(start) + "', '" + FormatTimestamp(end) + "')");
}

// Polls `fn` until it is true or `limit` passes.
template <typename F>
bool Eventually(F fn, std::chrono::seconds limit = std::chrono::seconds(15)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fn();
}

}  // namespace

TEST_CASE("budgets alert once a month at each threshold reached, on the change feed and in the audit log",
          "[e2e][billing][budgets]") {
  auto c = TestCloud::Start({.env = {{"GAON_CONTROLLER_BILLING_INTERVAL", "200ms"}}});
  const std::string t = c->CreateTenant("budgeted", "KR", "KRW");
  const std::string admin = c->CreateKey(t, "tenant-admin");
  const std::string viewer = c->CreateKey(t, "billing-viewer");
  // The records below end 5 minutes before now, an hour long each: in the first hour of a
  // month part of them would be last month's, and the spends below would be lower.
  const std::string base = "/v1/tenants/" + t + "/budgets";

  auto created = c->Call("POST", base, admin, R"({"name":"monthly","amount":"10000"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  const auto budget = created.Json();
  const std::string id = S(budget.at("id"));
  CHECK(budget.at("thresholds") == boost::json::parse("[50,80,100]"));
  CHECK(S(budget.at("currency")) == "KRW");
  CHECK(S(budget.at("spend")) == "0");
  CHECK(budget.at("alerts").as_array().empty());

  SECTION("bad budgets are refused and change nothing") {
    CHECK(c->Call("POST", base, admin, R"({"name":"b","amount":"0"})").status == 400);
    CHECK(c->Call("POST", base, admin, R"({"name":"b2","amount":"10.5"})").status == 400);  // KRW has no minor unit
    CHECK(c->Call("POST", base, admin, R"({"name":"b3","amount":"100","thresholds":[80,50]})").status == 400);
    CHECK(c->Call("POST", base, admin, R"({"name":"b4","amount":"100","thresholds":[0]})").status == 400);
    CHECK(c->Call("POST", base, admin, R"({"name":"monthly","amount":"5"})").Json().at("code") == "budget_name_taken");
    CHECK(c->Call("POST", base, viewer, R"({"name":"b5","amount":"5"})").status == 403);
    CHECK(c->Call("GET", base, viewer).Json().at("items").as_array().size() == 1);
    const std::string other = c->CreateTenant("other", "KR", "KRW");
    CHECK(c->Call("GET", "/v1/tenants/" + other + "/budgets/" + id, c->CreateKey(other, "tenant-admin")).status ==
          404);
  }

  SECTION("thresholds fire once each as the month's cost crosses them") {
    auto alerts = [&] { return c->Call("GET", base + "/" + id, viewer).Json().at("alerts").as_array().size(); };
    Hours(*c, t, "inst_1", 1, std::chrono::minutes(5));  // 4200: 42 %
    std::this_thread::sleep_for(std::chrono::seconds(1));
    CHECK(alerts() == 0);
    Hours(*c, t, "inst_2", 1, std::chrono::minutes(5));  // 8400: 84 %
    REQUIRE(Eventually([&] { return alerts() == 2; }));
    const auto b = c->Call("GET", base + "/" + id, viewer).Json();
    CHECK(S(b.at("spend")) == "8400");
    CHECK(S(b.at("percent_used")) == "84.00");
    CHECK(b.at("alerts").at(0).at("threshold") == 50);
    CHECK(b.at("alerts").at(1).at("threshold") == 80);
    CHECK(S(b.at("alerts").at(1).at("spend")) == "8400");
    std::this_thread::sleep_for(std::chrono::seconds(1));  // several more passes
    CHECK(alerts() == 2);

    // On the tenant's change feed and in its audit log, by the controllers.
    const auto feed_page = c->Call("GET", "/v1/tenants/" + t + "/events", admin);
    INFO(feed_page.body);
    auto changes = feed_page.Json().at("items").as_array();
    int feed = 0;
    for (const auto& e : changes) feed += e.at("kind") == "budget_alert" ? 1 : 0;
    CHECK(feed == 2);
    auto audit = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=budgets.alert", admin).Json();
    INFO(boost::json::serialize(audit));
    REQUIRE(audit.at("items").as_array().size() == 2);
    CHECK(audit.at("items").at(0).at("principal").at("type") == "system");

    // Lowering the amount below the spend reaches 100 % at once.
    REQUIRE(c->Call("PATCH", base + "/" + id, admin, R"({"amount":"8000"})").status == 200);
    REQUIRE(Eventually([&] { return alerts() == 3; }));
    REQUIRE(c->Call("DELETE", base + "/" + id, admin).status == 204);
    CHECK(c->Call("GET", base + "/" + id, viewer).status == 404);
  }
}

TEST_CASE("the billing pass finalizes last month's invoices once the grace period is over, and only those owed",
          "[e2e][billing][invoices]") {
  auto c = TestCloud::Start(
      {.env = {{"GAON_CONTROLLER_BILLING_INTERVAL", "200ms"}, {"GAON_BILLING_GRACE_PERIOD", "1s"}}});
  const std::string used = c->CreateTenant("used", "KR", "KRW");
  const std::string idle = c->CreateTenant("idle", "KR", "KRW");
  // Three hours in the middle of last month.
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(Now())};
  const auto last = today.year() / today.month() / std::chrono::day(1) - std::chrono::months(1);
  const Timestamp start = Timestamp(std::chrono::sys_days(last) + std::chrono::days(14));
  Sql(*c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
          "started_at, ended_at) VALUES ('" + used + "', 'instance', 'inst_x', 1, 'gpu.h100.1x', 'h100-80gb-sxm', 1, '" +
          FormatTimestamp(start) + "', '" + FormatTimestamp(start + std::chrono::hours(3)) + "')");
  const std::string key = c->CreateKey(used, "billing-viewer");
  REQUIRE(Eventually([&] {
    return !c->Call("GET", "/v1/tenants/" + used + "/invoices", key).Json().at("items").as_array().empty();
  }));
  const auto inv = c->Call("GET", "/v1/tenants/" + used + "/invoices", key).Json().at("items").at(0);
  CHECK(S(inv.at("subtotal")) == "12600");
  CHECK(S(inv.at("total")) == "13860");
  CHECK(S(inv.at("state")) == "finalized");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CHECK(Sql(*c, "SELECT count(*) FROM invoices") == "1");  // once, and none for the idle tenant
  CHECK(Sql(*c, "SELECT count(*) FROM invoices WHERE tenant_id = '" + idle + "'") == "0");
  CHECK(Sql(*c, "SELECT count(*) FROM audit_events WHERE tenant_id = '" + used +
                    "' AND action = 'invoices.finalize' AND principal_type = 'system'") == "1");
}
