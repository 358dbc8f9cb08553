// End-to-end: billing's first part — prices that never change, discounts, usage so far and
// the draft invoice, rated by gaond (PostgreSQL numeric) and checked against an independent
// integer computation in this test, to the last won and cent.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <random>
#include <thread>
#include <tuple>

#include "gaon/time.h"
#include "tests/support/cloud.h"
#include "tests/support/http_client.h"

using namespace gaon;
using namespace gaon::test;

namespace {

std::string S(const boost::json::value& v) { return std::string(v.as_string()); }

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }

// Sums of µs × GPUs × prices overflow 64 bits; GCC's 128-bit integer holds them exactly.
__extension__ typedef __int128 i128;

// Microseconds since the epoch of a UTC time.
std::int64_t Us(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  const auto day = std::chrono::sys_days(std::chrono::year(y) / mo / d);
  return std::chrono::duration_cast<std::chrono::microseconds>(day.time_since_epoch()).count() +
         ((h * 60LL + mi) * 60LL + s) * 1'000'000LL;
}

std::string Iso(std::int64_t us) {
  return FormatTimestamp(Timestamp(std::chrono::microseconds(us)));
}

struct Record {
  std::string gpu_type;
  int gpus;
  std::int64_t start, end;  // µs; end < 0: still running
};

// Prices in millionths of the currency's unit (4200 KRW → 4'200'000'000, 0.065 USD → 65'000),
// and from when.
struct MicroPrice {
  std::int64_t from;
  std::int64_t micro;
};

// Σ GPUs × µs × price (in millionths) per price of one SKU for [p0, p1), from first
// principles: every record cut at the period and price edges, a 60 s minimum per record
// charged where it started.
std::map<std::int64_t, i128> ExpectedNumerators(const std::vector<Record>& recs, const std::vector<MicroPrice>& prices,
                                                std::int64_t p0, std::int64_t p1, std::int64_t now) {
  std::map<std::int64_t, i128> by_price;
  for (const auto& r : recs) {
    const std::int64_t stop = std::min(r.end < 0 ? now : r.end, p1);
    const std::int64_t dur = (r.end < 0 ? now : r.end) - r.start;
    const std::int64_t topup = std::max<std::int64_t>(0, 60'000'000 - dur);
    for (std::size_t k = 0; k < prices.size(); ++k) {
      const std::int64_t from = prices[k].from;
      const std::int64_t to = k + 1 < prices.size() ? prices[k + 1].from : INT64_MAX;
      const std::int64_t a = std::max({r.start, p0, from}), b = std::min(stop, to);
      std::int64_t us = b > a ? b - a : 0;
      if (r.start >= p0 && r.start >= from && r.start < to && r.start < p1) us += topup;
      if (us > 0) by_price[prices[k].micro] += static_cast<i128>(r.gpus) * us * prices[k].micro;
    }
  }
  return by_price;
}

std::string Minor(std::int64_t v, int units) {
  if (units == 0) return std::to_string(v);
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) <= units) s = "0" + s;
  return s.substr(0, s.size() - units) + "." + s.substr(s.size() - units);
}

// Instance records (inst_propN), or replica records (rep_propN) of the endpoint ep_prop.
void InsertRecords(TestCloud& c, const std::string& tenant, const std::vector<Record>& recs,
                   const std::string& kind = "instance") {
  const bool replica = kind == "replica";
  std::string values;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    values += (values.empty() ? "" : ",") + std::string("('") + tenant + "', '" + kind + "', '" +
              (replica ? "rep_prop" : "inst_prop") + std::to_string(i) + "', " + (replica ? "'ep_prop'" : "NULL") +
              ", 1, 'gpu.x', '" + r.gpu_type + "', " + std::to_string(r.gpus) + ", '" + Iso(r.start) + "', " +
              (r.end < 0 ? "NULL" : "'" + Iso(r.end) + "'") + ")";
  }
  Sql(c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, parent_resource_id, run, sku, gpu_type_id, "
         "gpu_count, started_at, ended_at) VALUES " + values);
}

// Random lifecycles around October 2026: some end in it, some span its start or end, some are
// shorter than the 60 s minimum, some are still running.
std::vector<Record> RandomRecords(std::mt19937_64& rng, const std::string& gpu_type, int n) {
  const std::int64_t sep_20 = Us(2026, 9, 20), nov_10 = Us(2026, 11, 10);
  std::uniform_int_distribution<std::int64_t> when(sep_20, nov_10);
  std::uniform_int_distribution<int> kind(0, 9), gpus(1, 8);
  std::uniform_int_distribution<std::int64_t> secs(1, 20 * 86400), short_secs(1, 59);
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r{gpu_type, gpus(rng), when(rng), 0};
    const int k = kind(rng);
    // Microsecond-precise lengths, as real controllers write them.
    if (k == 0) r.end = -1;
    else if (k == 1) r.end = r.start + short_secs(rng) * 1'000'000 + 123'457;
    else r.end = r.start + secs(rng) * 1'000'000 + 654'321;
    out.push_back(r);
  }
  return out;
}

}  // namespace

namespace {

// One line's amount as an exact fraction of the currency's unit.
struct Fraction {
  i128 num = 0, den = 1;
};

// Every line [p0, p1) should have, from first principles, keyed by (SKU, price): GPU records
// cut at the period and price edges, a 60 s minimum per record charged where it started,
// GPU-seconds × the hourly price; token events × the per-million price.
std::map<std::pair<std::string, std::int64_t>, Fraction> ExpectedLines(
    const std::map<std::string, std::vector<Record>>& records, const std::map<std::string, std::vector<MicroPrice>>& prices,
    const std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>& tokens, std::int64_t p0, std::int64_t p1,
    std::int64_t now) {
  std::map<std::pair<std::string, std::int64_t>, Fraction> out;
  auto price_at = [&](const std::string& sku, std::int64_t t) {
    const auto& steps = prices.at(sku);
    std::int64_t p = 0;
    for (const auto& s : steps) if (s.from <= t) p = s.micro;
    return p;
  };
  for (const auto& [sku, recs] : records) {
    const auto& steps = prices.at(sku);
    for (const auto& [key, g] : ExpectedNumerators(recs, steps, p0, p1, now)) {
      auto& f = out[{sku, key}];
      f.num += g;
      f.den = static_cast<i128>(3600) * 1'000'000 * 1'000'000;  // µs per hour × micro-units
    }
  }
  for (const auto& [sku, at, count] : tokens) {
    if (at < p0 || at >= p1) continue;
    auto& f = out[{sku, price_at(sku, at)}];
    f.num += static_cast<i128>(count) * price_at(sku, at);
    f.den = static_cast<i128>(1'000'000) * 1'000'000;  // tokens per million × micro-units
  }
  return out;
}

}  // namespace

TEST_CASE("random instance and endpoint usage spanning month ends is rated to the last won and cent, in UTC and "
          "UTC+9 sessions",
          "[e2e][billing][property]") {
  // gaond in UTC, or in Korea's time zone (TZ; its own sessions are pinned to UTC): months,
  // days and rounding must come out the same.
  const std::string zone = GENERATE(as<std::string>{}, "UTC", "Asia/Seoul");
  INFO("time zone " << zone);
  auto c = TestCloud::Start({.env = {{"TZ", zone}, {"PGTZ", zone}}});
  const std::string krw = c->CreateTenant("won-payer", "KR", "KRW");
  const std::string usd = c->CreateTenant("dollar-payer", "KR", "USD");
  const std::string key = c->CreateKey(krw, "billing-viewer"), usd_key = c->CreateKey(usd, "tenant-admin");
  // A price change in the middle of October (rows dated in the past go in only by hand: the
  // API refuses them).
  Sql(*c, "INSERT INTO prices (sku, currency, unit, unit_price, effective_from) VALUES "
          "('gpu-hour.h100-80gb-sxm', 'KRW', 'gpu-hour', 3900, '2026-10-15T12:00:00Z'), "
          "('gpu-hour.h100-80gb-sxm', 'USD', 'gpu-hour', 2.79, '2026-10-15T12:00:00Z')");
  std::mt19937_64 rng(20261127);
  const std::string model = "exaone-3.5-2.4b-instruct";
  // Instances, endpoint replicas (stopped, restarted, deleted: each run its own record) and
  // the endpoints' token counts, around October.
  std::map<std::string, std::map<std::string, std::vector<Record>>> records;
  std::map<std::string, std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>> tokens;
  for (const std::string& t : {krw, usd}) {
    records[t]["gpu-hour.h100-80gb-sxm"] = RandomRecords(rng, "h100-80gb-sxm", 50);
    records[t]["endpoint-replica-hour.h100-80gb-sxm"] = RandomRecords(rng, "h100-80gb-sxm", 30);
    InsertRecords(*c, t, records[t]["gpu-hour.h100-80gb-sxm"]);
    InsertRecords(*c, t, records[t]["endpoint-replica-hour.h100-80gb-sxm"], "replica");
    std::uniform_int_distribution<std::int64_t> when(Us(2026, 9, 25), Us(2026, 11, 5)), count(1, 5'000'000);
    std::string values;
    for (int i = 0; i < 80; ++i) {
      const std::string sku = (i % 2 ? "tokens-output." : "tokens-input.") + model;
      const std::int64_t at = when(rng), n = count(rng);
      tokens[t].emplace_back(sku, at, n);
      values += (values.empty() ? "" : ",") + std::string("('") + t + "', 'gateway', 'ev" + std::to_string(i) + "', '" +
                (i % 2 ? "tokens-output" : "tokens-input") + "', " + std::to_string(n) +
                ", 'endpoint', 'ep_prop', '{\"model\": \"" + model + "\"}', '" + Iso(at) + "')";
    }
    Sql(*c, "INSERT INTO usage_events (tenant_id, source, event_id, meter, quantity, resource_kind, resource_id, "
            "attributes, occurred_at) VALUES " + values);
  }
  // KRW tenant: 10 % off everything, 25 % off H100 instance hours (the SKU's own discount wins).
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + krw + "/discounts",
                R"({"percent":{"*":"10","gpu-hour.h100-80gb-sxm":"25"}})")
              .status == 200);

  const std::int64_t oct = Us(2026, 10, 1), nov = Us(2026, 11, 1);
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(Now().time_since_epoch()).count();
  const std::int64_t jan = Us(2026, 1, 1), mid = Us(2026, 10, 15, 12);
  struct Case {
    std::string tenant, key;
    std::map<std::string, std::vector<MicroPrice>> prices;
    int units;
    std::map<std::string, int> discount;  // percent per SKU
  };
  const std::vector<Case> cases = {
      {krw, key,
       {{"gpu-hour.h100-80gb-sxm", {{jan, 4'200'000'000}, {mid, 3'900'000'000}}},
        {"endpoint-replica-hour.h100-80gb-sxm", {{jan, 4'600'000'000}}},
        {"tokens-input." + model, {{jan, 90'000'000}}},
        {"tokens-output." + model, {{jan, 270'000'000}}}},
       0,
       {{"gpu-hour.h100-80gb-sxm", 25}}},
      {usd, usd_key,
       {{"gpu-hour.h100-80gb-sxm", {{jan, 2'990'000}, {mid, 2'790'000}}},
        {"endpoint-replica-hour.h100-80gb-sxm", {{jan, 3'290'000}}},
        {"tokens-input." + model, {{jan, 65'000}}},
        {"tokens-output." + model, {{jan, 190'000}}}},
       2,
       {}},
  };
  for (const auto& cs : cases) {
    auto r = c->Call("GET", "/v1/tenants/" + cs.tenant + "/invoices/draft?period=2026-10", cs.key);
    INFO(r.body);
    REQUIRE(r.status == 200);
    const auto inv = r.Json();
    const auto expected = ExpectedLines(records.at(cs.tenant), cs.prices, tokens.at(cs.tenant), oct, nov, now);
    const auto& lines = inv.at("lines").as_array();
    REQUIRE(lines.size() == expected.size());
    std::int64_t subtotal = 0;
    std::size_t k = 0;
    for (const auto& [sku_price, f] : expected) {  // lines come by SKU, then unit price, ascending
      const auto& line = lines.at(k++);
      CHECK(S(line.at("sku")) == sku_price.first);
      const int discount = cs.discount.count(sku_price.first) ? cs.discount.at(sku_price.first)
                                                               : (cs.tenant == krw ? 10 : 0);
      CHECK(S(line.at("discount_percent")) == std::to_string(discount));
      // num / den × (100 − d) / 100 in minor units, rounded once, half up.
      i128 scale = 1;
      for (int u = 0; u < cs.units; ++u) scale *= 10;
      const i128 d = f.den * 100;
      const std::int64_t exact = static_cast<std::int64_t>((f.num * (100 - discount) * scale * 2 + d) / (2 * d));
      CHECK(S(line.at("amount")) == Minor(exact, cs.units));
      subtotal += exact;
    }
    CHECK(S(inv.at("subtotal")) == Minor(subtotal, cs.units));
    // Tax 10 % on the rounded subtotal, rounded once (half up).
    const std::int64_t tax = (subtotal * 10 * 2 + 100) / 200;
    CHECK(S(inv.at("tax_percent")) == "10");
    CHECK(S(inv.at("tax")) == Minor(tax, cs.units));
    CHECK(S(inv.at("total")) == Minor(subtotal + tax, cs.units));
    CHECK(S(inv.at("currency")) == (cs.units == 0 ? "KRW" : "USD"));
    CHECK(S(inv.at("period_start")) == "2026-10-01T00:00:00Z");
    CHECK(S(inv.at("period_end")) == "2026-11-01T00:00:00Z");
  }

  // The SQL itself does not depend on the session's time zone (gaond pins its sessions to
  // UTC; a psql session or a report tool might not).
  const std::string lines_sql = "SELECT string_agg(sku || ' ' || amount, ', ' ORDER BY sku, unit_price) FROM "
                                "gaon_invoice_lines('" + krw + "', '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z', "
                                "'2026-11-27T00:00:00Z', 0)";
  CHECK(Sql(*c, "SET TIME ZONE 'Asia/Seoul'; " + lines_sql) == Sql(*c, "SET TIME ZONE 'UTC'; " + lines_sql));
  CHECK(Sql(*c, "SET TIME ZONE 'America/New_York'; " + lines_sql) == Sql(*c, "SET TIME ZONE 'UTC'; " + lines_sql));

  // Usage by resource sums to the same unrounded amounts as the lines.
  auto usage = c->Call("GET", "/v1/tenants/" + usd + "/usage?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z"
                                                     "&group_by=resource", usd_key);
  REQUIRE(usage.status == 200);
  const auto report = usage.Json();
  CHECK(S(report.at("group_by")) == "resource");
  CHECK(!report.at("items").as_array().empty());
  for (const auto& row : report.at("items").as_array()) {
    const std::string id = S(row.at("resource_id"));
    CHECK((id.rfind("inst_prop", 0) == 0 || id == "ep_prop"));
  }
}

TEST_CASE("prices are added, never changed, and never dated in the past", "[e2e][billing][prices]") {
  auto c = TestCloud::Start();
  auto list = c->Op("GET", "/v1/admin/prices?sku=gpu-hour.h100-80gb-sxm");
  REQUIRE(list.status == 200);
  const auto listed = list.Json();
  REQUIRE(listed.at("items").as_array().size() == 2);  // KRW and USD from the catalog
  CHECK(S(listed.at("items").at(0).at("unit_price")) == "4200");

  const std::string body = R"({"sku":"gpu-hour.h100-80gb-sxm","currency":"KRW","unit":"gpu-hour","unit_price":"3900",)";
  auto past = c->Op("POST", "/v1/admin/prices", body + R"("effective_from":"2026-01-02T00:00:00Z"})");
  CHECK(past.status == 409);
  CHECK(S(past.Json().at("code")) == "price_in_past");
  auto future = c->Op("POST", "/v1/admin/prices", body + R"("effective_from":"2099-01-01T00:00:00Z"})");
  INFO(future.body);
  CHECK(future.status == 201);
  CHECK(c->Op("POST", "/v1/admin/prices", body + R"("effective_from":"2099-01-01T00:00:00Z"})").status == 409);
  CHECK(c->Op("POST", "/v1/admin/prices",
              R"({"sku":"gpu-hour.h100-80gb-sxm","currency":"KRW","unit":"gpu-hour","unit_price":"1e3",)"
              R"("effective_from":"2099-01-01T00:00:00Z"})")
            .status == 400);
  CHECK(c->Op("POST", "/v1/admin/prices",
              R"({"sku":"disk-hour.x","currency":"KRW","unit":"gpu-hour","unit_price":"1",)"
              R"("effective_from":"2099-01-01T00:00:00Z"})")
            .status == 400);
  // Not even the schema owner can rewrite a price.
  CHECK_THROWS(Sql(*c, "UPDATE prices SET unit_price = 1 WHERE sku = 'gpu-hour.h100-80gb-sxm'"));
  CHECK_THROWS(Sql(*c, "DELETE FROM prices"));

  // Tenants never see the operator's price routes, and only billing roles see usage.
  const std::string t = c->CreateTenant("shop");
  CHECK(c->Call("GET", "/v1/admin/prices", c->CreateKey(t, "tenant-admin")).status == 403);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/usage", c->CreateKey(t, "tenant-member")).status == 403);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/usage", c->CreateKey(t, "billing-viewer")).status == 200);
  const std::string other = c->CreateTenant("other");
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/invoices/draft", c->CreateKey(other, "tenant-admin")).status == 404);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/invoices/draft?period=2026-13", c->CreateKey(t, "tenant-admin")).status ==
        400);
  CHECK(c->Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"*":"120"}})").status == 400);
  CHECK(c->Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"*":"0"}})").status == 400);
}

TEST_CASE("a running endpoint's replica hours and tokens show in usage and the draft invoice", "[e2e][billing]") {
  auto c = TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE", TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup(
                                                                                     "kr-central-1a", "h100-80gb-sxm", 1))},
                                     {"GAON_SIM_REPLICA_START_TIME", "100ms"},
                                     {"GAON_SIM_MODEL_LOAD_TIME_PER_BILLION", "0s"}}});
  const std::string t = c->CreateTenant("served", "KR", "KRW");
  const std::string key = c->CreateKey(t, "tenant-admin");
  auto ep = c->Call("POST", "/v1/tenants/" + t + "/endpoints", key,
                    R"({"name":"chat","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm"}})");
  REQUIRE(ep.status == 202);
  const std::string id = S(ep.Json().at("id"));
  REQUIRE(WaitUntil([&] {
    auto r = c->Call("POST", "/v1/tenants/" + t + "/endpoints/" + id + "/v1/chat/completions", key,
                     R"({"messages":[{"role":"user","content":"one two three"}]})");
    return r.status == 200;
  }, std::chrono::seconds(20)));
  auto draft = c->Call("GET", "/v1/tenants/" + t + "/invoices/draft", key);
  REQUIRE(draft.status == 200);
  const auto inv = draft.Json();
  std::set<std::string> skus;
  for (const auto& l : inv.at("lines").as_array()) skus.insert(S(l.at("sku")));
  CHECK(skus.count("endpoint-replica-hour.h100-80gb-sxm") == 1);
  CHECK(skus.count("tokens-input.qwen2.5-7b-instruct") == 1);
  CHECK(skus.count("tokens-output.qwen2.5-7b-instruct") == 1);
  // A replica serving for seconds is billed its 60 s minimum: 4600 KRW per GPU-hour → 77 KRW.
  for (const auto& l : inv.at("lines").as_array()) {
    if (S(l.at("sku")) == "endpoint-replica-hour.h100-80gb-sxm") CHECK(std::stoi(S(l.at("amount"))) >= 77);
  }
  auto usage = c->Call("GET", "/v1/tenants/" + t + "/usage?group_by=resource", key);
  REQUIRE(usage.status == 200);
  const auto report = usage.Json();
  bool endpoint_tokens = false;
  for (const auto& row : report.at("items").as_array()) {
    if (row.at("resource_id") == boost::json::value(id)) endpoint_tokens = true;
  }
  CHECK(endpoint_tokens);
}

TEST_CASE("the worked example of docs/billing.md comes out as written", "[e2e][billing]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("example", "KR", "KRW");
  Sql(*c, "INSERT INTO prices (sku, currency, unit, unit_price, effective_from) VALUES "
          "('gpu-hour.h100-80gb-sxm', 'KRW', 'gpu-hour', 3900, '2026-10-15T12:00:00Z')");
  Sql(*c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
          "started_at, ended_at) VALUES ('" + t + "', 'instance', 'inst_example', 1, 'gpu.h100.2x', 'h100-80gb-sxm', 2, "
          "'2026-10-14T20:00:00Z', '2026-10-16T02:30:00.5Z')");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"gpu-hour.h100-80gb-sxm":"25"}})")
              .status == 200);
  auto r = c->Call("GET", "/v1/tenants/" + t + "/invoices/draft?period=2026-10", c->CreateKey(t, "billing-viewer"));
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto inv = r.Json();
  const auto& lines = inv.at("lines").as_array();
  REQUIRE(lines.size() == 2);
  CHECK(S(lines.at(0).at("unit_price")) == "3900");
  CHECK(S(lines.at(0).at("amount_unrounded")).rfind("84825.8125", 0) == 0);
  CHECK(S(lines.at(0).at("amount")) == "84826");
  CHECK(S(lines.at(1).at("unit_price")) == "4200");
  CHECK(S(lines.at(1).at("quantity")).rfind("32", 0) == 0);
  CHECK(S(lines.at(1).at("amount")) == "100800");
  CHECK(S(inv.at("subtotal")) == "185626");
  CHECK(S(inv.at("tax")) == "18563");
  CHECK(S(inv.at("total")) == "204189");
}

namespace {

std::string RecordSql(const std::string& tenant, const std::string& id, const std::string& start,
                      const std::string& end) {
  return "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
         "started_at, ended_at) VALUES ('" + tenant + "', 'instance', '" + id + "', 1, 'gpu.h100.1x', "
         "'h100-80gb-sxm', 1, '" + start + "', '" + end + "')";
}

}  // namespace

TEST_CASE("finalized invoices are numbered without gaps, never change, and late usage arrives as a correction",
          "[e2e][billing][invoices]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("closer", "KR", "KRW");
  const std::string viewer = c->CreateKey(t, "billing-viewer");
  // September: 10 GPU-hours at 4200 KRW; October: 5 GPU-hours.
  Sql(*c, RecordSql(t, "inst_sep", "2026-09-10T00:00:00Z", "2026-09-10T10:00:00Z"));
  Sql(*c, RecordSql(t, "inst_oct", "2026-10-10T00:00:00Z", "2026-10-10T05:00:00Z"));

  // An open month cannot be finalized; a closed one can, once, however many operators race.
  CHECK(c->Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-11"})").status == 409);
  std::vector<std::thread> racers;
  std::vector<int> statuses(6);
  for (int k = 0; k < 6; ++k) {
    racers.emplace_back([&, k] {
      statuses[k] = c->Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-09"})").status;
    });
  }
  for (auto& r : racers) r.join();
  CHECK(std::count(statuses.begin(), statuses.end(), 201) == 1);
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 5);
  CHECK(Sql(*c, "SELECT count(*) FROM invoices WHERE tenant_id = '" + t + "'") == "1");
  auto sep = c->Call("GET", "/v1/tenants/" + t + "/invoices", viewer).Json().at("items").at(0);
  CHECK(S(sep.at("number")) == "KR1-202609-000001");
  CHECK(S(sep.at("state")) == "finalized");
  CHECK(S(sep.at("subtotal")) == "42000");
  CHECK(S(sep.at("tax")) == "4200");
  CHECK(S(sep.at("total")) == "46200");
  const std::string sep_id = S(sep.at("id"));
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/invoices/draft?period=2026-09", viewer).status == 409);
  CHECK(Sql(*c, "SELECT last_number FROM invoice_counters WHERE prefix = 'KR1-202609'") == "1");  // no gap from the races

  // Nobody rewrites it: not the application role, not even the schema owner.
  CHECK_THROWS(c->db().AppQuery("SET gaon.platform = 'on'; UPDATE invoice_lines SET amount = 1"));
  CHECK_THROWS(Sql(*c, "UPDATE invoice_lines SET amount = 1"));
  CHECK_THROWS(Sql(*c, "UPDATE invoices SET total = 1 WHERE invoice_id = '" + sep_id + "'"));
  CHECK_THROWS(Sql(*c, "DELETE FROM invoices WHERE invoice_id = '" + sep_id + "'"));
  CHECK(Sql(*c, "SELECT total FROM invoices WHERE invoice_id = '" + sep_id + "'") == "46200");

  // A September record arrives late (2 GPU-hours): October's invoice carries it as a correction.
  Sql(*c, RecordSql(t, "inst_late", "2026-09-20T00:00:00Z", "2026-09-20T02:00:00Z"));
  auto oct = c->Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-10"})");
  INFO(oct.body);
  REQUIRE(oct.status == 201);
  const auto inv = oct.Json();
  CHECK(S(inv.at("number")) == "KR1-202610-000001");
  const auto& lines = inv.at("lines").as_array();
  REQUIRE(lines.size() == 2);
  CHECK_FALSE(lines.at(0).as_object().contains("charge_class"));
  CHECK(S(lines.at(0).at("amount")) == "21000");
  CHECK(S(lines.at(1).at("charge_class")) == "Correction");
  CHECK(S(lines.at(1).at("charge_period_start")) == "2026-09-01T00:00:00Z");
  CHECK(S(lines.at(1).at("amount")) == "8400");
  CHECK(S(inv.at("subtotal")) == "29400");
  CHECK(S(inv.at("total")) == "32340");
  // September's invoice is as it was; the correction is billed once, not again in November.
  CHECK(Sql(*c, "SELECT total FROM invoices WHERE invoice_id = '" + sep_id + "'") == "46200");
  auto nov = c->Call("GET", "/v1/tenants/" + t + "/invoices/draft", viewer).Json();
  for (const auto& l : nov.at("lines").as_array()) CHECK_FALSE(l.as_object().contains("charge_class"));

  // Paid, then voided and re-issued: the new invoice names the one it replaces.
  const std::string oct_id = S(inv.at("id"));
  auto paid = c->Op("POST", "/v1/admin/tenants/" + t + "/invoices/" + oct_id + ":pay");
  REQUIRE(paid.status == 200);
  CHECK(S(paid.Json().at("state")) == "paid");
  CHECK(c->Op("POST", "/v1/admin/tenants/" + t + "/invoices/" + oct_id + ":void", R"({"reason":""})").status == 400);
  auto reissued = c->Op("POST", "/v1/admin/tenants/" + t + "/invoices/" + oct_id + ":void",
                        R"({"reason":"billing address changed","reissue":true})");
  INFO(reissued.body);
  REQUIRE(reissued.status == 201);
  const auto again = reissued.Json();
  CHECK(S(again.at("replaces_invoice_id")) == oct_id);
  CHECK(S(again.at("number")) == "KR1-202610-000002");
  CHECK(S(again.at("total")) == "32340");
  auto old = c->Call("GET", "/v1/tenants/" + t + "/invoices/" + oct_id, viewer).Json();
  CHECK(S(old.at("state")) == "void");
  CHECK(S(old.at("void_reason")) == "billing address changed");
  CHECK(c->Op("POST", "/v1/admin/tenants/" + t + "/invoices/" + oct_id + ":pay").status == 409);

  // Other tenants see none of it.
  const std::string other = c->CreateTenant("nosy");
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/invoices/" + oct_id, c->CreateKey(other, "tenant-admin")).status == 404);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/invoices", c->CreateKey(t, "tenant-member")).status == 403);
}

namespace {

// A batch of `n` token events numbered from `first`, 1000 input tokens each, dated `time`
// (the start of this test: a resent batch is the same batch).
const std::string kEventTime = FormatTimestamp(Now() - std::chrono::minutes(1));
std::string TokenBatch(const std::string& tenant, int first, int n, const std::string& quantity = "1000",
                       const std::string& time = kEventTime) {
  std::string events;
  for (int k = first; k < first + n; ++k) {
    events += std::string(events.empty() ? "" : ",") + R"({"tenant_id":")" + tenant + R"(","event_id":"evt-)" +
              std::to_string(k) + R"(","meter":"tokens-input","quantity":")" + quantity + R"(","time":")" +
              time + R"(","resource_kind":"endpoint","resource_id":"ep_gateway",)" +
              R"("attributes":{"model":"qwen2.5-7b-instruct"}})";
  }
  return R"({"source":"gateway-kr1a","events":[)" + events + "]}";
}

}  // namespace

TEST_CASE("usage events are deduplicated by id, refused when reused or late, and never lost or doubled across a "
          "crash",
          "[e2e][billing][usage-events]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("metered", "KR", "KRW");
  const std::string batch = TokenBatch(t, 0, 3);
  auto first = c->Op("POST", "/v1/usage-events", batch);
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK(first.Json().at("accepted").as_int64() == 3);
  auto replay = c->Op("POST", "/v1/usage-events", batch);
  REQUIRE(replay.status == 200);
  CHECK(replay.Json().at("accepted").as_int64() == 0);
  CHECK(replay.Json().at("duplicates").as_int64() == 3);

  // The same id with another payload fails the whole batch: the new event in it is not written.
  auto reused = c->Op("POST", "/v1/usage-events", TokenBatch(t, 2, 2, "999"));
  CHECK(reused.status == 409);
  CHECK(S(reused.Json().at("code")) == "event_id_reused");
  CHECK(Sql(*c, "SELECT count(*) FROM usage_events WHERE tenant_id = '" + t + "'") == "3");
  // Late, future, malformed and unknown-tenant batches write nothing.
  auto too_late = c->Op("POST", "/v1/usage-events", TokenBatch(t, 10, 1, "1000", "2026-08-01T00:00:00Z"));
  CHECK(too_late.status == 422);
  CHECK(S(too_late.Json().at("code")) == "event_too_late");
  CHECK(c->Op("POST", "/v1/usage-events", TokenBatch(t, 10, 1, "-5")).status == 400);
  CHECK(c->Op("POST", "/v1/usage-events", TokenBatch("ten_01m8gaawhzspb62gvga6ktj7ay", 10, 1)).status == 404);
  CHECK(c->Call("POST", "/v1/usage-events", c->CreateKey(t, "tenant-admin"), batch).status == 403);
  CHECK(Sql(*c, "SELECT count(*) FROM usage_events WHERE tenant_id = '" + t + "'") == "3");

  // 40 batches of 25 sent while gaond is killed and restarted; the sender retries what failed,
  // then everything is sent once more. Every event counts exactly once.
  std::atomic<bool> done{false};
  std::thread sender([&] {
    for (int b = 0; b < 40; ++b) {
      const std::string body = TokenBatch(t, 100 + b * 25, 25);
      for (int attempt = 0; attempt < 200; ++attempt) {
        try {  // gaond may be down: the connection is refused, and the batch is sent again
          HttpClient http(c->address(), std::chrono::seconds(5));
          auto r = http.Request("POST", "/v1/usage-events", body,
                                {{"Authorization", "Bearer " + c->operator_key()}, {"Content-Type", "application/json"}});
          if (r.status == 200) break;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  c->StopGaond(SIGKILL);
  c->StartGaond();
  sender.join();
  REQUIRE(done);
  for (int b = 0; b < 40; ++b) REQUIRE(c->Op("POST", "/v1/usage-events", TokenBatch(t, 100 + b * 25, 25)).status == 200);
  CHECK(Sql(*c, "SELECT count(*) FROM usage_events WHERE tenant_id = '" + t + "'") == "1003");
  CHECK(Sql(*c, "SELECT sum(quantity) FROM usage_events WHERE tenant_id = '" + t + "'") == "1003000");

  // Rated: 1,003,000 input tokens at 180 KRW per million = 180.54 → one line of 181 KRW.
  auto draft = c->Call("GET", "/v1/tenants/" + t + "/invoices/draft", c->CreateKey(t, "billing-viewer"));
  REQUIRE(draft.status == 200);
  const auto inv = draft.Json();
  REQUIRE(inv.at("lines").as_array().size() == 1);
  CHECK(S(inv.at("lines").at(0).at("sku")) == "tokens-input.qwen2.5-7b-instruct");
  CHECK(S(inv.at("lines").at(0).at("amount_unrounded")) == "180.54");
  CHECK(S(inv.at("lines").at(0).at("amount")) == "181");
}

TEST_CASE("credits burn at invoicing in order, come back with a void, and a prepaid tenant without balance cannot "
          "launch",
          "[e2e][billing][credits]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("prepay", "KR", "KRW");
  const std::string admin = c->CreateKey(t, "tenant-admin");
  Sql(*c, RecordSql(t, "inst_sep", "2026-09-10T00:00:00Z", "2026-09-10T10:00:00Z"));  // 42000 + 4200 tax
  const std::string grants = "/v1/admin/tenants/" + t + "/credits";
  // Burn order: promotional before prepaid, soonest expiry first.
  REQUIRE(c->Op("POST", grants, R"({"kind":"prepaid","amount":"50000"})").status == 201);
  REQUIRE(c->Op("POST", grants, R"({"kind":"promotional","amount":"3000","expires_at":"2100-01-01T00:00:00Z"})").status ==
          201);
  REQUIRE(c->Op("POST", grants, R"({"kind":"promotional","amount":"10000","expires_at":"2099-01-01T00:00:00Z"})").status ==
          201);
  CHECK(c->Op("POST", grants, R"({"kind":"prepaid","amount":"10.5"})").status == 400);  // KRW has no minor unit
  CHECK(c->Op("POST", grants, R"({"kind":"gift","amount":"1"})").status == 400);
  CHECK(c->Op("POST", grants, R"({"kind":"prepaid","amount":"1","expires_at":"2020-01-01T00:00:00Z"})").status == 400);

  auto draft = c->Call("GET", "/v1/tenants/" + t + "/invoices/draft?period=2026-09", admin).Json();
  CHECK(S(draft.at("credits_applied")) == "46200");
  CHECK(S(draft.at("amount_due")) == "0");
  auto fin = c->Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-09"})");
  REQUIRE(fin.status == 201);
  const auto inv = fin.Json();
  CHECK(S(inv.at("total")) == "46200");
  CHECK(S(inv.at("credits_applied")) == "46200");
  CHECK(S(inv.at("amount_due")) == "0");
  CHECK(Sql(*c, "SELECT string_agg(g.kind || ':' || trim_scale(a.amount), ',' ORDER BY a.amount DESC) FROM "
                "credit_applications a JOIN credit_grants g USING (tenant_id, grant_id)") ==
        "prepaid:33200,promotional:10000,promotional:3000");
  auto credits = c->Call("GET", "/v1/tenants/" + t + "/credits", c->CreateKey(t, "billing-viewer"));
  REQUIRE(credits.status == 200);
  CHECK(S(credits.Json().at("balance")) == "16800");
  CHECK_THROWS(Sql(*c, "UPDATE credit_applications SET amount = 1"));

  // Prepaid: this month's usage (46200 with tax) is more than the 16800 left — no new launches.
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/billing-mode", R"({"mode":"prepaid"})").status == 200);
  Sql(*c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
          "started_at, ended_at) VALUES ('" + t + "', 'instance', 'inst_now', 1, 'gpu.h100.1x', 'h100-80gb-sxm', 1, "
          "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "
          "(date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') + interval '10 hours')");
  const std::string create = R"({"name":"one-more","spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}})";
  auto refused = c->Call("POST", "/v1/tenants/" + t + "/instances", admin, create);
  CHECK(refused.status == 409);
  CHECK(S(refused.Json().at("code")) == "insufficient_credit");
  CHECK(Sql(*c, "SELECT count(*) FROM instances") == "0");
  // An endpoint too, and the credit is what its refusal names even when its quota would
  // refuse as well (the two checks travel together; the credit is read first).
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"endpoints":0}})").status == 200);
  auto endpoint = c->Call("POST", "/v1/tenants/" + t + "/endpoints", admin,
                          R"({"name":"chat","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm"}})");
  CHECK(endpoint.status == 409);
  CHECK(S(endpoint.Json().at("code")) == "insufficient_credit");
  CHECK(Sql(*c, "SELECT count(*) FROM endpoints") == "0");
  // Voiding September's invoice gives its credits back: 63000 covers the month.
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + "/invoices/" + S(inv.at("id")) + ":void", R"({"reason":"test"})")
              .status == 200);
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/instances", admin, create).status == 202);
  // Postpaid tenants are never held back.
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/billing-mode", R"({"mode":"postpaid"})").status == 200);
}
