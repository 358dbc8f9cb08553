// End-to-end: the real gaonctl binary against a real gaond for billing — prices, discounts,
// usage, the draft and issued invoices (finalize, pay, void), usage events, credits and the
// billing mode, exports written to files and stdout, and budgets, in every output format, and
// the exit codes of their errors. Usage records are written with the schema owner's SQL so the
// draft is the worked example of docs/billing.md.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "gaon/time.h"
#include "tests/cli/cli_support.h"
#include "tests/sdk/faulty_proxy.h"
#include "tests/support/gaond_process.h"

namespace gaon::test {
namespace {

namespace json = boost::json;

std::string S(const json::value& v) { return std::string(v.as_string()); }

// Runs `run` once; requires its exit code to be `expected`, printing its output when not.
#define EXPECT_EXIT(run, expected)                   \
  do {                                               \
    const CliResult expect_exit_result_ = (run);     \
    INFO(Describe(expect_exit_result_));             \
    REQUIRE(expect_exit_result_.code == (expected)); \
  } while (0)

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }

void InsertWorkedExample(TestCloud& c, const std::string& tenant) {
  Sql(c,
      "INSERT INTO prices (sku, currency, unit, unit_price, effective_from) VALUES "
      "('gpu-hour.h100-80gb-sxm', 'KRW', 'gpu-hour', 3900, '2026-10-15T12:00:00Z')");
  Sql(c,
      "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
      "started_at, ended_at) VALUES ('" +
          tenant +
          "', 'instance', 'inst_example', 1, 'gpu.h100.2x', "
          "'h100-80gb-sxm', 2, '2026-10-14T20:00:00Z', '2026-10-16T02:30:00.5Z')");
}

// A KR tenant billed in KRW with the worked example's usage and its 25 % discount on H100 hours.
std::string WorkedExampleTenant(TestCloud& c) {
  const std::string t = c.CreateTenant("example", "KR", "KRW");
  InsertWorkedExample(c, t);
  REQUIRE(c.Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"gpu-hour.h100-80gb-sxm":"25"}})").status ==
          200);
  return t;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The line of `text` starting with `prefix`, with its runs of spaces squeezed to one.
std::string LineStarting(const std::string& text, const std::string& prefix) {
  for (const auto& l : Lines(text)) {
    if (l.rfind(prefix, 0) != 0) continue;
    std::string out;
    for (char ch : l) {
      if (ch != ' ' || out.empty() || out.back() != ' ') out += ch;
    }
    return out;
  }
  return "";
}

// Writes `text` to a new file and returns its path.
std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = MakeTempDir("cli-billing") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// One input-token event at `time` as a JSON object; `tenant` empty leaves tenant_id out.
std::string TokenEvent(const std::string& tenant, const std::string& id, const std::string& quantity,
                       const std::string& time) {
  return (tenant.empty() ? std::string("{") : R"({"tenant_id":")" + tenant + R"(",)") + R"("event_id":")" + id +
         R"(","meter":"tokens-input","quantity":")" + quantity + R"(","time":")" + time +
         R"(","attributes":{"model":"qwen2.5-7b-instruct"}})";
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A finished record of `gpus` H100s in [start, end) (RFC 3339).
void InsertRecord(TestCloud& c, const std::string& tenant, const std::string& id, int gpus, const std::string& start,
                  const std::string& end) {
  Sql(c, "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
         "started_at, ended_at) VALUES ('" + tenant + "', 'instance', '" + id + "', 1, 'gpu.x', 'h100-80gb-sxm', " +
             std::to_string(gpus) + ", '" + start + "', '" + end + "')");
}

}  // namespace

TEST_CASE("gaonctl lists and adds prices, the past, duplicates and tenants are refused",
          "[cli][e2e][billing][prices]") {
  auto c = TestCloud::Start();
  Gaonctl op(c->address(), c->operator_key());

  auto table = op({"prices", "list", "--sku", "gpu-hour.h100-80gb-sxm"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("SKU", 0) == 0);
  CHECK(Lines(table.out).size() == 3);  // header, KRW, USD
  CHECK(table.out.find("4200") != std::string::npos);
  auto paged = op({"prices", "list", "--currency", "KRW", "--page-size", "1", "-o", "json"});
  EXPECT_EXIT(paged, 0);
  const json::value page = paged.Json();
  const auto& items = page.at("items").as_array();
  CHECK(items.size() > 1);
  for (const auto& p : items) CHECK(S(p.at("currency")) == "KRW");
  CHECK(Lines(op({"prices", "list", "--limit", "2", "-o", "name"}).out).size() == 2);

  const std::vector<std::string> create = {"prices",       "create", "gpu-hour.h100-80gb-sxm", "--currency", "KRW",
                                           "--unit-price", "3900",   "--effective-from",       "2099-01-01", "-o",
                                           "json"};
  auto dry = op({"prices", "create", "gpu-hour.h100-80gb-sxm", "--currency", "KRW", "--unit-price", "3900",
                 "--effective-from", "2099-01-01", "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("POST /v1/admin/prices") != std::string::npos);
  CHECK(dry.out.find("gpu-hour") != std::string::npos);  // the unit, from the SKU
  auto created = op(create);
  EXPECT_EXIT(created, 0);
  CHECK(S(created.Json().at("unit")) == "gpu-hour");
  CHECK(S(created.Json().at("unit_price")) == "3900");
  CHECK(S(created.Json().at("effective_from")) == "2099-01-01T00:00:00Z");
  auto again = op(create);
  EXPECT_EXIT(again, 4);
  CHECK(again.err.find("price_exists") != std::string::npos);
  auto past = op({"prices", "create", "tokens-input.qwen2.5-7b-instruct", "--currency", "KRW", "--unit-price", "100",
                  "--effective-from", "2026-01-02T00:00:00Z"});
  EXPECT_EXIT(past, 4);
  CHECK(past.err.find("price_in_past") != std::string::npos);
  EXPECT_EXIT(op({"prices", "create", "gpu-hour.h100-80gb-sxm", "--currency", "KRW", "--unit-price", "1e3",
                  "--effective-from", "2099-01-01"}),
              2);
  EXPECT_EXIT(op({"prices", "create", "gpu-hour.h100-80gb-sxm", "--currency", "KRW", "--unit-price", "1",
                  "--effective-from", "next year"}),
              2);
  EXPECT_EXIT(op({"prices", "create", "disk-hour.x", "--currency", "KRW", "--unit-price", "1", "--effective-from",
                  "2099-01-01"}),
              2);  // no unit known for it, and none given
  EXPECT_EXIT(op({"prices", "create", "disk-hour.x", "--unit", "gpu-hour", "--currency", "KRW", "--unit-price", "1",
                  "--effective-from", "2099-01-01"}),
              1);  // the server refuses the SKU (400)

  const std::string t = c->CreateTenant("shop");
  Gaonctl admin(c->address(), c->CreateKey(t, "tenant-admin"));
  EXPECT_EXIT(admin({"prices", "list"}), 5);
}

TEST_CASE("gaonctl sets a tenant's discounts and its billing roles read them", "[cli][e2e][billing][discounts]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl viewer(c->address(), c->CreateKey(t, "billing-viewer"));

  auto none = viewer({"discounts", "get"});
  EXPECT_EXIT(none, 0);
  CHECK(none.out.empty());
  CHECK(none.err.find("No discounts") != std::string::npos);

  auto set = op({"discounts", "set", "--discount", "*=10", "--discount", "gpu-hour.h100-80gb-sxm=25%", "-o", "json"});
  EXPECT_EXIT(set, 0);
  CHECK(S(set.Json().at("percent").at("*")) == "10");
  CHECK(S(set.Json().at("percent").at("gpu-hour.h100-80gb-sxm")) == "25");
  auto table = viewer({"discounts", "get"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("SKU", 0) == 0);
  CHECK(LineStarting(table.out, "gpu-hour.h100-80gb-sxm") == "gpu-hour.h100-80gb-sxm 25%");
  CHECK(LineStarting(table.out, "*") == "* 10%");
  auto yaml = viewer({"discounts", "get", "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("\"*\": \"10\"") != std::string::npos);
  CHECK(Lines(viewer({"discounts", "get", "-o", "name"}).out).size() == 2);

  auto dry = op({"discounts", "set", "--discount", "*=5", "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("PUT /v1/admin/tenants/" + t + "/discounts") != std::string::npos);
  CHECK(viewer({"discounts", "get", "-o", "json"}).Json().at("percent").as_object().size() == 2);  // unchanged

  EXPECT_EXIT(op({"discounts", "set"}), 2);
  EXPECT_EXIT(op({"discounts", "set", "--discount", "gpu-hour.x"}), 2);
  EXPECT_EXIT(op({"discounts", "set", "--discount", "*=ten"}), 2);
  EXPECT_EXIT(op({"discounts", "set", "--discount", "*=1", "--discount", "*=2"}), 2);
  EXPECT_EXIT(op({"discounts", "set", "--discount", "*=5", "--clear"}), 2);
  auto over = op({"discounts", "set", "--discount", "*=120"});
  EXPECT_EXIT(over, 1);
  CHECK(over.err.find("validation_failed") != std::string::npos);
  EXPECT_EXIT(viewer({"discounts", "set", "--discount", "*=5"}), 5);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-member"))({"discounts", "get"}), 5);

  EXPECT_EXIT(op({"discounts", "set", "--clear"}), 0);
  CHECK(viewer({"discounts", "get", "-o", "json"}).Json().at("percent").as_object().empty());
}

TEST_CASE("gaonctl shows usage and the draft invoice: lines, subtotal, tax and total",
          "[cli][e2e][billing][invoices]") {
  auto c = TestCloud::Start();
  const std::string t = WorkedExampleTenant(*c);
  Gaonctl viewer(c->address(), c->CreateKey(t, "billing-viewer"));

  auto draft = viewer({"invoices", "draft", "--period", "2026-10"});
  EXPECT_EXIT(draft, 0);
  CHECK(draft.out.find("Draft invoice of " + t + " for 2026-10") != std::string::npos);
  CHECK(draft.out.find("UNIT PRICE") != std::string::npos);
  CHECK(LineStarting(draft.out, "gpu-hour.h100-80gb-sxm").find(" gpu-hour 3900 25% 84826") != std::string::npos);
  CHECK(LineStarting(draft.out, "SUBTOTAL") == "SUBTOTAL 185626 KRW");
  CHECK(LineStarting(draft.out, "TAX") == "TAX 10% 18563 KRW");
  CHECK(LineStarting(draft.out, "TOTAL") == "TOTAL 204189 KRW");
  auto wide = viewer({"invoices", "draft", "--period", "2026-10", "-o", "wide"});
  EXPECT_EXIT(wide, 0);
  CHECK(wide.out.find("84825.8125") != std::string::npos);  // the unrounded amount
  auto as_json = viewer({"invoices", "draft", "--period", "2026-10", "-o", "json"});
  EXPECT_EXIT(as_json, 0);
  const auto inv = as_json.Json();
  CHECK(S(inv.at("total")) == "204189");
  CHECK(S(inv.at("state")) == "draft");
  CHECK(inv.at("lines").as_array().size() == 2);
  auto yaml = viewer({"invoices", "draft", "--period", "2026-10", "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("total: \"204189\"") != std::string::npos);  // a string, never a float
  auto current = viewer({"invoices", "draft"});
  EXPECT_EXIT(current, 0);
  CHECK(current.out.find("No charges.") != std::string::npos);
  CHECK(LineStarting(current.out, "TOTAL") == "TOTAL 0 KRW");
  EXPECT_EXIT(viewer({"invoices", "draft", "--period", "2026-13"}), 2);
  EXPECT_EXIT(viewer({"invoices", "draft", "--period", "October"}), 2);

  auto usage = viewer({"usage", "--from", "2026-10-01", "--to", "2026-11-01T00:00:00Z", "--group-by", "resource"});
  EXPECT_EXIT(usage, 0);
  CHECK(usage.out.rfind("RESOURCE", 0) == 0);
  CHECK(usage.out.find("AMOUNT KRW") != std::string::npos);
  CHECK(usage.out.find("inst_example") != std::string::npos);
  CHECK(usage.err.find("after discounts, not rounded") != std::string::npos);
  // The TOTAL row is the exact sum of the unrounded amounts: 84825.8125 + 100800.
  CHECK(LineStarting(usage.out, "TOTAL") == "TOTAL 185625.8125");
  auto by_day = viewer({"usage", "--from", "2026-10-01", "--to", "2026-11-01", "-o", "json"});
  EXPECT_EXIT(by_day, 0);
  CHECK(S(by_day.Json().at("group_by")) == "day");
  CHECK(S(by_day.Json().at("currency")) == "KRW");
  CHECK(S(by_day.Json().at("items").at(0).at("date")) == "2026-10-14");
  auto days = viewer({"usage", "--from", "2026-10-01", "--to", "2026-11-01", "-o", "name"});
  EXPECT_EXIT(days, 0);
  // One line a day, in order (how a charge spanning midnight is dated is the server's rule).
  const auto dates = Lines(days.out);
  REQUIRE_FALSE(dates.empty());
  CHECK(dates.front() == "2026-10-14");
  CHECK(std::adjacent_find(dates.begin(), dates.end(), std::greater_equal<>()) == dates.end());
  auto empty = viewer({"usage"});
  EXPECT_EXIT(empty, 0);
  CHECK(empty.err.find("No usage.") != std::string::npos);
  EXPECT_EXIT(viewer({"usage", "--group-by", "week"}), 2);
  EXPECT_EXIT(viewer({"usage", "--from", "yesterday"}), 2);
  EXPECT_EXIT(viewer({"usage", "--from", "2026-11-01", "--to", "2026-10-01"}), 2);
  EXPECT_EXIT(viewer({"usage", "--from", "2025-01-01", "--to", "2026-10-01"}), 1);  // over 366 days: the server says

  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-member"))({"usage"}), 5);
  Gaonctl stranger(c->address(), c->CreateKey(c->CreateTenant("other"), "tenant-admin"));
  EXPECT_EXIT(stranger({"invoices", "draft", "--tenant", t}), 3);

  // Once the month is invoiced, its draft is a conflict.
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + "/invoices:finalize", R"({"period":"2026-10"})").status / 100 == 2);
  auto finalized = viewer({"invoices", "draft", "--period", "2026-10"});
  EXPECT_EXIT(finalized, 4);
  CHECK(finalized.err.find("invoice_finalized") != std::string::npos);
}

TEST_CASE("gaonctl finalizes, lists, shows, pays and voids invoices with exact amounts",
          "[cli][e2e][billing][invoices]") {
  auto c = TestCloud::Start();
  const std::string t = WorkedExampleTenant(*c);
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl viewer(c->address(), c->CreateKey(t, "billing-viewer"));
  EXPECT_EXIT(op({"credits", "grant", "--kind", "promotional", "--amount", "100000"}), 0);

  auto none = viewer({"invoices", "list", "-o", "json"});
  EXPECT_EXIT(none, 0);
  CHECK(none.Json().at("items").as_array().empty());
  auto open = op({"invoices", "finalize", "--period", FormatTimestamp(Now()).substr(0, 7)});
  EXPECT_EXIT(open, 4);
  CHECK(open.err.find("period_open") != std::string::npos);
  EXPECT_EXIT(op({"invoices", "finalize", "--period", "2026-13"}), 2);
  EXPECT_EXIT(viewer({"invoices", "finalize", "--period", "2026-10"}), 5);
  auto dry = op({"invoices", "finalize", "--period", "2026-10", "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("POST /v1/admin/tenants/" + t + "/invoices:finalize") != std::string::npos);
  CHECK(dry.out.find("2026-10") != std::string::npos);
  CHECK(viewer({"invoices", "list", "-o", "name"}).out.empty());  // the dry run sent nothing

  auto fin = op({"invoices", "finalize", "--period", "2026-10"});
  EXPECT_EXIT(fin, 0);
  CHECK(fin.out.find("Invoice KR1-202610-") != std::string::npos);
  CHECK(fin.out.find("State: finalized") != std::string::npos);
  CHECK(LineStarting(fin.out, "gpu-hour.h100-80gb-sxm").find(" gpu-hour 3900 25% 84826") != std::string::npos);
  CHECK(LineStarting(fin.out, "SUBTOTAL") == "SUBTOTAL 185626 KRW");
  CHECK(LineStarting(fin.out, "TOTAL") == "TOTAL 204189 KRW");
  CHECK(LineStarting(fin.out, "CREDITS") == "CREDITS 100000 KRW");
  CHECK(LineStarting(fin.out, "AMOUNT DUE") == "AMOUNT DUE 104189 KRW");
  auto ids = viewer({"invoices", "list", "-o", "name"});
  EXPECT_EXIT(ids, 0);
  REQUIRE(Lines(ids.out).size() == 1);
  const std::string id = Lines(ids.out)[0];
  CHECK(id.rfind("inv_", 0) == 0);
  auto table = viewer({"invoices", "list"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(LineStarting(table.out, id).find(" 2026-10 finalized 204189 100000 104189 KRW ") != std::string::npos);

  auto got = viewer({"invoices", "get", id, "-o", "json"});
  EXPECT_EXIT(got, 0);
  CHECK(S(got.Json().at("total")) == "204189");
  CHECK(S(got.Json().at("amount_due")) == "104189");
  CHECK(got.Json().at("lines").as_array().size() == 2);
  auto yaml = viewer({"invoices", "get", id, "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("credits_applied: \"100000\"") != std::string::npos);  // a string, never a float
  CHECK(viewer({"invoices", "get", id, "-o", "name"}).out == id + "\n");
  EXPECT_EXIT(viewer({"invoices", "get", "inv_01m8gaawhzspb62gvga6ktj7ay"}), 3);
  EXPECT_EXIT(viewer({"invoices", "get", "KR1-202610-000001"}), 2);  // a number is not an id
  Gaonctl stranger(c->address(), c->CreateKey(c->CreateTenant("other"), "tenant-admin"));
  EXPECT_EXIT(stranger({"invoices", "get", id, "--tenant", t}), 3);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-member"))({"invoices", "list"}), 5);

  EXPECT_EXIT(viewer({"invoices", "pay", id}), 5);
  auto paid = op({"invoices", "pay", id});
  EXPECT_EXIT(paid, 0);
  CHECK(LineStarting(paid.out, id).find(" paid ") != std::string::npos);

  // Void asks first; without a terminal it needs --yes, and a reason.
  auto unconfirmed = op({"invoices", "void", id, "--reason", "billing address changed"});
  EXPECT_EXIT(unconfirmed, 2);
  CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  CHECK(S(viewer({"invoices", "get", id, "-o", "json"}).Json().at("state")) == "paid");
  EXPECT_EXIT(op({"invoices", "void", id, "--yes"}), 2);
  EXPECT_EXIT(op({"invoices", "void", id, "--reason", "", "--yes"}), 2);
  auto vdry = op({"invoices", "void", id, "--reason", "x", "--reissue", "--dry-run"});
  EXPECT_EXIT(vdry, 0);
  CHECK(vdry.err.find("POST /v1/admin/tenants/" + t + "/invoices/" + id + ":void") != std::string::npos);
  CHECK(vdry.out.find("reissue: true") != std::string::npos);

  auto reissued = op({"invoices", "void", id, "--reason", "billing address changed", "--reissue", "--yes", "-o", "json"});
  EXPECT_EXIT(reissued, 0);
  const json::value next = reissued.Json();
  CHECK(S(next.at("replaces_invoice_id")) == id);
  CHECK(S(next.at("state")) == "finalized");
  CHECK(S(next.at("total")) == "204189");
  CHECK(S(next.at("credits_applied")) == "100000");  // the void gave it back, the new invoice took it
  CHECK(S(next.at("amount_due")) == "104189");
  CHECK(reissued.err.find(id + " is void; re-issued as KR1-202610-") != std::string::npos);
  auto old = viewer({"invoices", "get", id});
  EXPECT_EXIT(old, 0);
  CHECK(old.out.find("State: void ") != std::string::npos);
  CHECK(old.out.find("(billing address changed)") != std::string::npos);
  CHECK(LineStarting(old.out, "TOTAL") == "TOTAL 204189 KRW");  // unchanged
  auto replaced = viewer({"invoices", "get", S(next.at("id"))});
  CHECK(replaced.out.find("Replaces: " + id) != std::string::npos);
  auto twice = op({"invoices", "void", id, "--reason", "again", "--yes"});
  EXPECT_EXIT(twice, 4);
  CHECK(twice.err.find("invoice_void") != std::string::npos);
  auto pay_void = op({"invoices", "pay", id});
  EXPECT_EXIT(pay_void, 4);
  CHECK(pay_void.err.find("invoice_void") != std::string::npos);
  EXPECT_EXIT(op({"invoices", "pay", "inv_01m8gaawhzspb62gvga6ktj7ay"}), 3);

  auto both = viewer({"invoices", "list", "--page-size", "1", "-o", "name"});
  EXPECT_EXIT(both, 0);
  CHECK(Lines(both.out) == std::vector<std::string>{S(next.at("id")), id});  // newest first
}

TEST_CASE("gaonctl sends usage events from files and flags: resending is safe, reused ids and late events are refused",
          "[cli][e2e][billing][usage-events]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("metered", "KR", "KRW");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;  // for events without a tenant_id
  const std::string at = FormatTimestamp(Now() - std::chrono::minutes(1));  // one time: resent events are the same

  // JSON Lines; the second event names no tenant.
  const std::string jsonl =
      WriteFile("events.jsonl", TokenEvent(t, "cmpl-1/input", "1000000", at) + "\n\n" +
                                    TokenEvent("", "cmpl-2/input", "2000000", at) + "\n");
  auto sent = op({"usage-events", "send", "--source", "gateway-kr1a", "--file", jsonl});
  EXPECT_EXIT(sent, 0);
  CHECK(sent.out.rfind("ACCEPTED", 0) == 0);
  CHECK(Lines(sent.out).size() == 2);
  CHECK(LineStarting(Lines(sent.out)[1], "2") == "2 0");
  auto again = op({"usage-events", "send", "--source", "gateway-kr1a", "--file", jsonl, "-o", "json"});
  EXPECT_EXIT(again, 0);
  CHECK(again.Json().at("accepted").as_int64() == 0);
  CHECK(again.Json().at("duplicates").as_int64() == 2);

  // A batch document carries its source; stdin works too.
  const std::string batch = R"({"source":"gateway-kr1a","events":[)" +
                            TokenEvent(t, "cmpl-2/input", "2000000", at) + "," +
                            TokenEvent(t, "cmpl-3/input", "500000", at) + "]}";
  auto piped = op({"usage-events", "send", "--file", "-", "-o", "json"}, {}, batch);
  EXPECT_EXIT(piped, 0);
  CHECK(piped.Json().at("accepted").as_int64() == 1);
  CHECK(piped.Json().at("duplicates").as_int64() == 1);
  auto names = op({"usage-events", "send", "--file", WriteFile("batch.json", batch), "-o", "name"});
  EXPECT_EXIT(names, 0);
  CHECK(Lines(names.out) == std::vector<std::string>{"cmpl-2/input", "cmpl-3/input"});

  // One event from flags, at now.
  auto flags = op({"usage-events", "send", "--source", "gateway-kr1a", "--event-id", "cmpl-4/input", "--meter",
                   "tokens-input", "--quantity", "250000", "--resource-kind", "endpoint", "--resource-id",
                   "ep_gateway", "--attribute", "model=qwen2.5-7b-instruct", "-o", "json"});
  EXPECT_EXIT(flags, 0);
  CHECK(flags.Json().at("accepted").as_int64() == 1);
  auto fdry = op({"usage-events", "send", "--source", "gateway-kr1a", "--event-id", "e", "--meter", "tokens-input",
                  "--quantity", "1", "--dry-run"});
  EXPECT_EXIT(fdry, 0);
  CHECK(fdry.err.find("POST /v1/usage-events") != std::string::npos);
  CHECK(fdry.out.find("tenant_id: " + t) != std::string::npos);
  CHECK(fdry.out.find("quantity: \"1\"") != std::string::npos);

  // More than one request's worth: 1001 events go in two requests, in one command.
  std::string many;
  for (int i = 0; i < 1001; ++i) many += TokenEvent("", "bulk-" + std::to_string(i), "1", at) + "\n";
  const std::string bulk = WriteFile("bulk.jsonl", many);
  auto big = op({"usage-events", "send", "--source", "gateway-kr1a", "--file", bulk, "-o", "json"});
  EXPECT_EXIT(big, 0);
  CHECK(big.Json().at("accepted").as_int64() == 1001);
  auto big_dry = op({"usage-events", "send", "--source", "gateway-kr1a", "--file", bulk, "--dry-run"});
  EXPECT_EXIT(big_dry, 0);
  CHECK(big_dry.err.find("in 2 requests") != std::string::npos);

  // The same id with another payload: nothing of the batch is written (exit 4).
  const std::string reused = WriteFile(
      "reused.jsonl", TokenEvent(t, "cmpl-5/input", "1", at) + "\n" + TokenEvent(t, "cmpl-1/input", "999", at) + "\n");
  auto conflict = op({"usage-events", "send", "--source", "gateway-kr1a", "--file", reused});
  EXPECT_EXIT(conflict, 4);
  CHECK(conflict.err.find("event_id_reused") != std::string::npos);
  auto late = op({"usage-events", "send", "--source", "gateway-kr1a", "--event-id", "old", "--meter", "tokens-input",
                  "--quantity", "1", "--time", "2026-08-01T00:00:00Z"});
  EXPECT_EXIT(late, 1);
  CHECK(late.err.find("event_too_late (HTTP 422)") != std::string::npos);
  CHECK(late.err.find("events[0].time") != std::string::npos);
  auto nobody = op({"usage-events", "send", "--source", "gateway-kr1a", "--file",
                    WriteFile("nobody.jsonl", TokenEvent("ten_01m8gaawhzspb62gvga6ktj7ay", "x", "1", at))});
  EXPECT_EXIT(nobody, 3);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-admin"))(
                  {"usage-events", "send", "--source", "gateway-kr1a", "--file", jsonl}),
              5);

  // Bad input is found before anything is sent (exit 2).
  const std::vector<std::string> send = {"usage-events", "send", "--source", "gateway-kr1a"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = send;
    args.insert(args.end(), extra.begin(), extra.end());
    return op(args);
  };
  EXPECT_EXIT(with({}), 2);                                                         // no events
  EXPECT_EXIT(op({"usage-events", "send", "--file", jsonl}), 2);                   // no source
  EXPECT_EXIT(with({"--meter", "tokens-input"}), 2);                                // no --event-id
  EXPECT_EXIT(with({"--event-id", "e", "--meter", "tokens-input"}), 2);            // no --quantity
  EXPECT_EXIT(with({"--event-id", "e", "--meter", "m", "--quantity", "1e3"}), 2);  // not a decimal string
  EXPECT_EXIT(with({"--event-id", "e", "--meter", "m", "--quantity", "1", "--time", "now"}), 2);
  EXPECT_EXIT(with({"--file", "/nonexistent/events.jsonl"}), 2);
  auto not_json = with({"--file", WriteFile("bad.jsonl", TokenEvent(t, "a", "1", at) + "\n{oops\n")});
  EXPECT_EXIT(not_json, 2);
  CHECK(not_json.err.find("bad.jsonl:2: not JSON") != std::string::npos);
  auto typo = with({"--file", WriteFile("typo.json", R"({"tenant_id":")" + t +
                                                         R"(","event_id":"a","meter":"m","quantity":"1","time":"2026-11-01T00:00:00Z","qty":"2"})")});
  EXPECT_EXIT(typo, 2);
  CHECK(typo.err.find("typo.json: not a usage event; qty is not a known field") != std::string::npos);
  auto number = with({"--file", WriteFile("number.json", R"([{"event_id":"a","meter":"m","quantity":1.5,"time":"2026-11-01T00:00:00Z"}])")});
  EXPECT_EXIT(number, 2);  // quantities are decimal strings, never JSON numbers
  CHECK(number.err.find("number.json: events[0]: not a usage event; quantity must be a string") != std::string::npos);

  // Rated exactly: 3,751,001 input tokens (cmpl-5 was never written) at 180 KRW per million =
  // 675.18018 → 675; tax 67.5 → 68 (half away from zero); total 743.
  auto draft = Gaonctl(c->address(), c->CreateKey(t, "billing-viewer"))({"invoices", "draft", "-o", "json"});
  EXPECT_EXIT(draft, 0);
  const json::value inv = draft.Json();
  REQUIRE(inv.at("lines").as_array().size() == 1);
  CHECK(S(inv.at("lines").at(0).at("amount_unrounded")).rfind("675.18018", 0) == 0);
  CHECK(S(inv.at("lines").at(0).at("amount")) == "675");
  CHECK(S(inv.at("tax")) == "68");
  CHECK(S(inv.at("total")) == "743");
}

TEST_CASE("gaonctl grants credit, shows the balance and sets a tenant's billing mode", "[cli][e2e][billing][credits]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("prepay", "KR", "KRW");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl viewer(c->address(), c->CreateKey(t, "billing-viewer"));

  auto none = viewer({"credits", "get"});
  EXPECT_EXIT(none, 0);
  CHECK(none.out.find("Credits of " + t + ", billing mode postpaid") != std::string::npos);
  CHECK(none.out.find("No credit grants.") != std::string::npos);
  CHECK(LineStarting(none.out, "BALANCE") == "BALANCE 0 KRW");

  auto prepaid = op({"credits", "grant", "--kind", "prepaid", "--amount", "50000", "--description", "Q4 prepayment"});
  EXPECT_EXIT(prepaid, 0);
  CHECK(prepaid.out.rfind("ID", 0) == 0);
  CHECK(LineStarting(prepaid.out, "crd_").find(" prepaid 50000 50000 KRW ") != std::string::npos);
  auto promo = op({"credits", "grant", "--kind", "promotional", "--amount", "3000", "--expires-at", "2099-01-01",
                   "-o", "json"});
  EXPECT_EXIT(promo, 0);
  CHECK(S(promo.Json().at("amount")) == "3000");
  CHECK(S(promo.Json().at("remaining")) == "3000");
  CHECK(S(promo.Json().at("expires_at")) == "2099-01-01T00:00:00Z");
  auto gdry = op({"credits", "grant", "--kind", "prepaid", "--amount", "7", "--dry-run"});
  EXPECT_EXIT(gdry, 0);
  CHECK(gdry.err.find("POST /v1/admin/tenants/" + t + "/credits") != std::string::npos);

  EXPECT_EXIT(op({"credits", "grant", "--kind", "gift", "--amount", "1"}), 2);
  EXPECT_EXIT(op({"credits", "grant", "--kind", "prepaid", "--amount", "1e3"}), 2);
  EXPECT_EXIT(op({"credits", "grant", "--kind", "prepaid", "--amount", "-5"}), 2);
  EXPECT_EXIT(op({"credits", "grant", "--kind", "prepaid", "--amount", "1", "--expires-at", "soon"}), 2);
  EXPECT_EXIT(op({"credits", "grant", "--amount", "1"}), 2);
  auto precise = op({"credits", "grant", "--kind", "prepaid", "--amount", "10.5"});  // KRW has no minor unit
  EXPECT_EXIT(precise, 1);
  CHECK(precise.err.find("too_precise") != std::string::npos);
  EXPECT_EXIT(op({"credits", "grant", "--kind", "prepaid", "--amount", "0"}), 1);
  EXPECT_EXIT(op({"credits", "grant", "--kind", "prepaid", "--amount", "1", "--tenant", "ten_01m8gaawhzspb62gvga6ktj7ay"}),
              3);
  EXPECT_EXIT(viewer({"credits", "grant", "--kind", "prepaid", "--amount", "1"}), 5);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-member"))({"credits", "get"}), 5);

  auto two = viewer({"credits", "get"});
  EXPECT_EXIT(two, 0);
  CHECK(LineStarting(two.out, "BALANCE") == "BALANCE 53000 KRW");
  CHECK(LineStarting(two.out, "MONTH TO DATE") == "MONTH TO DATE 0 KRW");
  CHECK(two.out.find("2099-01-01T00:00:00Z") != std::string::npos);
  auto yaml = viewer({"credits", "get", "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("balance: \"53000\"") != std::string::npos);
  auto grant_ids = Lines(viewer({"credits", "get", "-o", "name"}).out);
  REQUIRE(grant_ids.size() == 2);
  CHECK(grant_ids[0].rfind("crd_", 0) == 0);

  auto mode = op({"tenants", "billing-mode", t, "prepaid"});
  EXPECT_EXIT(mode, 0);
  CHECK(LineStarting(mode.out, t) == t + " prepaid");
  CHECK(S(viewer({"credits", "get", "-o", "json"}).Json().at("billing_mode")) == "prepaid");
  auto mdry = op({"tenants", "billing-mode", t, "postpaid", "--dry-run"});
  EXPECT_EXIT(mdry, 0);
  CHECK(mdry.err.find("PUT /v1/admin/tenants/" + t + "/billing-mode") != std::string::npos);
  CHECK(S(viewer({"credits", "get", "-o", "json"}).Json().at("billing_mode")) == "prepaid");  // unchanged
  EXPECT_EXIT(op({"tenants", "billing-mode", t, "weekly"}), 2);
  EXPECT_EXIT(op({"tenants", "billing-mode", "acme", "prepaid"}), 2);
  EXPECT_EXIT(op({"tenants", "billing-mode", "ten_01m8gaawhzspb62gvga6ktj7ay", "prepaid"}), 3);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-admin"))({"tenants", "billing-mode", t, "postpaid"}), 5);
  auto json_mode = op({"tenants", "billing-mode", t, "postpaid", "-o", "json"});
  EXPECT_EXIT(json_mode, 0);
  CHECK(json::serialize(json_mode.Json()) == R"({"mode":"postpaid"})");
}

TEST_CASE("gaonctl billing export writes exactly what the API sends, to a file only once complete, or to stdout",
          "[cli][e2e][billing][exports]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("exporter", "KR", "KRW");
  const std::string key = c->CreateKey(t, "billing-viewer");
  Gaonctl viewer(c->address(), key);
  for (int day = 1; day <= 9; ++day) {
    const std::string d = "2026-10-0" + std::to_string(day);
    InsertRecord(*c, t, "inst_" + std::to_string(day), day % 3 + 1, d + "T08:00:00Z", d + "T19:45:30Z");
  }
  const std::string dir = MakeTempDir("cli-export");
  auto api = [&](const std::string& query) {
    const auto r = c->Call("GET", "/v1/tenants/" + t + "/exports?" + query, key);
    REQUIRE(r.status == 200);
    return r.body;
  };

  for (const std::string format : {"csv", "jsonl", "focus"}) {
    const std::string file = dir + "/october." + format;
    auto r = viewer({"billing", "export", "--period", "2026-10", "--format", format, "-f", file});
    EXPECT_EXIT(r, 0);
    CHECK(r.out.empty());
    CHECK(r.err.find("Wrote " + file + " (") != std::string::npos);
    CHECK(ReadFile(file) == api("period=2026-10&format=" + format));
    CHECK_FALSE(std::filesystem::exists(file + ".tmp"));
  }
  const std::string focus = ReadFile(dir + "/october.focus");
  CHECK(focus.rfind("AvailabilityZone,BilledCost,", 0) == 0);
  CHECK(std::count(focus.begin(), focus.end(), '\n') >= 10);

  // gzip: the server's bytes, which gunzip to the plain file.
  const std::string gz = dir + "/october.csv.gz";
  auto zipped =
      viewer({"billing", "export", "--period", "2026-10", "--format", "focus", "--gzip", "-f", gz, "-o", "name"});
  EXPECT_EXIT(zipped, 0);
  CHECK(zipped.out == gz + "\n");
  CHECK(ReadFile(gz) == api("period=2026-10&format=focus&compression=gzip"));
  REQUIRE(std::system(("gzip -dc < " + gz + " > " + dir + "/gunzipped").c_str()) == 0);
  CHECK(ReadFile(dir + "/gunzipped") == focus);

  // stdout, and every tenant at once for operators.
  auto out = viewer({"billing", "export", "--period", "2026-10", "--format", "jsonl", "-f", "-"});
  EXPECT_EXIT(out, 0);
  CHECK(out.out == api("period=2026-10&format=jsonl"));
  Gaonctl op(c->address(), c->operator_key());
  auto all = op({"billing", "export", "--period", "2026-10", "--all-tenants", "-f", "-"});
  EXPECT_EXIT(all, 0);
  CHECK(all.out == c->Op("GET", "/v1/admin/exports?period=2026-10&format=csv").body);
  CHECK(all.out.find(t) != std::string::npos);

  // Errors: usage (2) before anything is sent, then the server's.
  const std::string never = dir + "/never.csv";
  EXPECT_EXIT(viewer({"billing", "export", "--period", "2026-10", "--format", "xml", "-f", never}), 2);
  EXPECT_EXIT(viewer({"billing", "export", "--period", "2026-13", "-f", never}), 2);
  EXPECT_EXIT(viewer({"billing", "export", "--period", "2026-10", "-f", dir + "/no/such/dir/x.csv"}), 2);
  const std::string other = c->CreateTenant("other", "KR", "KRW");
  auto stranger = viewer({"billing", "export", "--period", "2026-10", "--tenant", other, "-f", never});
  EXPECT_EXIT(stranger, 3);
  EXPECT_EXIT(viewer({"billing", "export", "--period", "2026-10", "--all-tenants", "-f", never}), 5);
  EXPECT_EXIT(Gaonctl(c->address(), c->CreateKey(t, "tenant-member"))({"billing", "export", "-f", never}), 5);
  CHECK_FALSE(std::filesystem::exists(never));
  CHECK_FALSE(std::filesystem::exists(never + ".tmp"));

  // A transfer cut half-way fails and leaves no file, neither the name asked for nor its .tmp.
  FaultyProxy proxy(c->address());
  proxy.CutAnswersAfter(2000);
  const std::string cut_file = dir + "/cut.csv";
  std::filesystem::copy_file(dir + "/october.csv", cut_file);  // an older download stays as it was
  const std::string before = ReadFile(cut_file);
  auto cut =
      Gaonctl(proxy.address(), key)({"billing", "export", "--period", "2026-10", "--format", "focus", "-f", cut_file});
  EXPECT_EXIT(cut, 1);
  CHECK(cut.err.find("export_incomplete") != std::string::npos);
  CHECK(ReadFile(cut_file) == before);
  CHECK_FALSE(std::filesystem::exists(cut_file + ".tmp"));
  auto cut_stdout = Gaonctl(proxy.address(), key)({"billing", "export", "--period", "2026-10", "-f", "-"});
  EXPECT_EXIT(cut_stdout, 1);
  CHECK(cut_stdout.out.size() < api("period=2026-10&format=csv").size());
}

TEST_CASE("gaonctl creates, lists, shows, updates and deletes budgets with their spend and alerts",
          "[cli][e2e][billing][budgets]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("budgeted", "KR", "KRW");
  Gaonctl admin(c->address(), c->CreateKey(t, "tenant-admin"));
  Gaonctl viewer(c->address(), c->CreateKey(t, "billing-viewer"));
  // One H100 for the minute before last: 70 KRW this month (unless the month began since).
  const Timestamp now = Now();
  InsertRecord(*c, t, "inst_1", 1, FormatTimestamp(now - std::chrono::minutes(2)),
               FormatTimestamp(now - std::chrono::minutes(1)));

  auto dry = admin({"budgets", "create", "monthly", "--amount", "10000", "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("POST /v1/tenants/" + t + "/budgets") != std::string::npos);
  CHECK(viewer({"budgets", "list", "-o", "name"}).out.empty());  // the dry run sent nothing

  auto created = admin({"budgets", "create", "monthly", "--amount", "10000"});
  EXPECT_EXIT(created, 0);
  CHECK(created.out.rfind("ID", 0) == 0);
  CHECK(LineStarting(created.out, "bud_").find(" monthly 10000 70 0.70% KRW 50%,80%,100% ") != std::string::npos);
  CHECK(created.err.find("No alerts this month.") != std::string::npos);
  auto team = admin({"budgets", "create", "team", "--amount", "500", "--thresholds", "80,100", "-o", "json"});
  EXPECT_EXIT(team, 0);
  const std::string team_id = S(team.Json().at("id"));
  CHECK(S(team.Json().at("percent_used")) == "14.00");
  CHECK(team.Json().at("thresholds") == json::parse("[80,100]"));

  auto list = viewer({"budgets", "list"});
  EXPECT_EXIT(list, 0);
  CHECK(list.out.find("SPEND") != std::string::npos);
  CHECK(list.out.find("USED") != std::string::npos);
  CHECK(list.out.find("ALERTS") != std::string::npos);
  CHECK(LineStarting(list.out, team_id).find(" team 500 70 14.00% KRW 80%,100% ") != std::string::npos);
  auto ids = viewer({"budgets", "list", "--page-size", "1", "-o", "name"});
  EXPECT_EXIT(ids, 0);
  CHECK(Lines(ids.out).size() == 2);
  auto yaml = viewer({"budgets", "get", team_id, "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("amount: \"500\"") != std::string::npos);  // a string, never a float
  CHECK(viewer({"budgets", "get", team_id, "-o", "name"}).out == team_id + "\n");

  auto updated = admin({"budgets", "update", team_id, "--amount", "700", "--thresholds", "90"});
  EXPECT_EXIT(updated, 0);
  CHECK(LineStarting(updated.out, team_id).find(" team 700 70 10.00% KRW 90% ") != std::string::npos);
  auto udry = admin({"budgets", "update", team_id, "--name", "x", "--dry-run"});
  EXPECT_EXIT(udry, 0);
  CHECK(udry.err.find("PATCH /v1/tenants/" + t + "/budgets/" + team_id) != std::string::npos);

  // Errors and their exit codes.
  auto taken = admin({"budgets", "create", "monthly", "--amount", "5"});
  EXPECT_EXIT(taken, 4);
  CHECK(taken.err.find("budget_name_taken") != std::string::npos);
  EXPECT_EXIT(admin({"budgets", "update", team_id, "--name", "monthly"}), 4);
  auto precise = admin({"budgets", "create", "spare", "--amount", "10.5"});  // KRW has no minor unit
  EXPECT_EXIT(precise, 1);
  CHECK(precise.err.find("validation_failed") != std::string::npos);
  EXPECT_EXIT(admin({"budgets", "create", "spare", "--amount", "100", "--thresholds", "80,50"}), 1);
  EXPECT_EXIT(admin({"budgets", "create", "spare", "--amount", "ten"}), 2);
  EXPECT_EXIT(admin({"budgets", "create", "spare", "--amount", "100", "--thresholds", "50%"}), 2);
  EXPECT_EXIT(admin({"budgets", "create", "--amount", "100"}), 2);
  EXPECT_EXIT(admin({"budgets", "update", team_id}), 2);
  EXPECT_EXIT(admin({"budgets", "get", "monthly"}), 2);  // a name is not an id
  EXPECT_EXIT(admin({"budgets", "get", "bud_01m8gaawhzspb62gvga6ktj7ay"}), 3);
  EXPECT_EXIT(viewer({"budgets", "create", "v", "--amount", "5"}), 5);
  Gaonctl stranger(c->address(), c->CreateKey(c->CreateTenant("other"), "tenant-admin"));
  EXPECT_EXIT(stranger({"budgets", "get", team_id, "--tenant", t}), 3);

  // Delete asks first; without a terminal it needs --yes.
  auto unconfirmed = admin({"budgets", "delete", team_id});
  EXPECT_EXIT(unconfirmed, 2);
  CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  auto deleted = admin({"budgets", "delete", team_id, "--yes"});
  EXPECT_EXIT(deleted, 0);
  CHECK(deleted.err.find("Deleted budget " + team_id) != std::string::npos);
  EXPECT_EXIT(viewer({"budgets", "get", team_id}), 3);
  EXPECT_EXIT(admin({"budgets", "delete", team_id, "--yes"}), 3);
  CHECK(Lines(viewer({"budgets", "list", "-o", "name"}).out).size() == 1);
}

TEST_CASE("every billing command has --help with an example", "[cli][billing][help]") {
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"prices"},
                                              {"prices", "list"},
                                              {"prices", "create"},
                                              {"discounts"},
                                              {"discounts", "get"},
                                              {"discounts", "set"},
                                              {"usage"},
                                              {"invoices"},
                                              {"invoices", "draft"},
                                              {"invoices", "list"},
                                              {"invoices", "get"},
                                              {"invoices", "finalize"},
                                              {"invoices", "pay"},
                                              {"invoices", "void"},
                                              {"usage-events"},
                                              {"usage-events", "send"},
                                              {"credits"},
                                              {"credits", "get"},
                                              {"credits", "grant"},
                                              {"tenants", "billing-mode"},
                                              {"billing"},
                                              {"billing", "export"},
                                              {"budgets"},
                                              {"budgets", "create"},
                                              {"budgets", "list"},
                                              {"budgets", "get"},
                                              {"budgets", "update"},
                                              {"budgets", "delete"}}) {
    auto args = cmd;
    args.push_back("--help");
    auto r = RunCli(args);
    INFO(Describe(r));
    CHECK(r.code == 0);
    const auto example = r.out.find("Example:");
    REQUIRE(example != std::string::npos);
    CHECK(r.out.find("gaonctl " + cmd.front(), example) != std::string::npos);
  }
  auto bash = RunCli({"completion", "bash"});
  REQUIRE(bash.code == 0);
  CHECK(bash.out.find("--discount --clear --dry-run") != std::string::npos);
  CHECK(bash.out.find("--group-by) COMPREPLY=($(compgen -W 'day resource'") != std::string::npos);
  CHECK(bash.out.find("--kind) COMPREPLY=($(compgen -W 'prepaid promotional'") != std::string::npos);
  CHECK(bash.out.find("[\"_ invoices\"]=\"draft list get finalize pay void ") != std::string::npos);
  CHECK(bash.out.find("[\"_ credits\"]=\"get grant ") != std::string::npos);
  CHECK(bash.out.find("[\"_ usage-events send\"]") != std::string::npos);
  CHECK(bash.out.find("[\"_ tenants billing-mode\"]") != std::string::npos);
  CHECK(bash.out.find("|pay|void|billing-mode)$") != std::string::npos);  // they complete ids
  CHECK(bash.out.find("^(discounts|credits)$") != std::string::npos);     // `credits get` takes none
  CHECK(bash.out.find("--format) COMPREPLY=($(compgen -W 'csv jsonl focus'") != std::string::npos);
  CHECK(bash.out.find("--period --format --gzip --all-tenants --file -f ") != std::string::npos);
  CHECK(bash.out.find("[\"_ budgets\"]=\"create list get update delete ") != std::string::npos);
}

}  // namespace gaon::test
