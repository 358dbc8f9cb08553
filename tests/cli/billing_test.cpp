// End-to-end: the real gaonctl binary against a real gaond for billing's first part — prices,
// discounts, usage and the draft invoice in every output format, and the exit codes of their
// errors. Usage records are written with the schema owner's SQL so the draft is the worked
// example of docs/billing.md.
#include <algorithm>
#include <functional>
#include <sstream>

#include "tests/cli/cli_support.h"

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

}  // namespace

TEST_CASE("gaonctl lists and adds prices; the past, duplicates and tenants are refused",
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
  const std::string t = c->CreateTenant("example", "KR", "KRW");
  InsertWorkedExample(*c, t);
  REQUIRE(
      c->Op("PUT", "/v1/admin/tenants/" + t + "/discounts", R"({"percent":{"gpu-hour.h100-80gb-sxm":"25"}})").status ==
      200);
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

TEST_CASE("every billing command has --help with an example", "[cli][billing][help]") {
  for (const std::vector<std::string>& cmd : {std::vector<std::string>{"prices"},
                                              {"prices", "list"},
                                              {"prices", "create"},
                                              {"discounts"},
                                              {"discounts", "get"},
                                              {"discounts", "set"},
                                              {"usage"},
                                              {"invoices"},
                                              {"invoices", "draft"}}) {
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
}

}  // namespace gaon::test
