// End-to-end: billing exports — CSV, JSON Lines and FOCUS 1.2 — streamed by gaond. Checks what
// finance relies on: FOCUS column names, order and formats; BilledCost adding up to each
// invoice to the last unit; the operators' export being exactly the tenants' exports put
// together; corrections carried as FOCUS says; gzip on request; bad requests refused.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/cloud.h"
#include "tests/support/http_client.h"

using namespace gaon;
using namespace gaon::test;

namespace {

using Row = std::vector<std::string>;

// RFC 4180: fields separated by commas, quoted when they hold a comma, quote or line break.
std::vector<Row> ParseCsv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (ch == '"') quoted = false;
      else field += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      row.push_back(field), field.clear();
    } else if (ch == '\n') {
      row.push_back(field), field.clear();
      rows.push_back(row), row.clear();
    } else if (ch != '\r') {
      field += ch;
    }
  }
  if (!field.empty() || !row.empty()) row.push_back(field), rows.push_back(row);
  return rows;
}

// A table: the header's names → column, and the data rows.
struct Table {
  Row header;
  std::vector<Row> rows;
  const std::string& At(const Row& r, const std::string& col) const {
    const auto it = std::find(header.begin(), header.end(), col);
    if (it == header.end()) throw std::runtime_error("no column " + col);
    return r.at(static_cast<std::size_t>(it - header.begin()));
  }
};

Table ParseTable(const std::string& text) {
  auto rows = ParseCsv(text);
  REQUIRE_FALSE(rows.empty());
  Table t{rows.front(), {rows.begin() + 1, rows.end()}};
  for (const auto& r : t.rows) REQUIRE(r.size() == t.header.size());
  return t;
}

// Exact sums of decimal strings with at most 6 decimals (billed amounts have the currency's
// minor units), in millionths.
std::int64_t Micro(const std::string& d) {
  static const std::regex number(R"(^-?\d+(\.\d{1,6})?$)");
  REQUIRE(std::regex_match(d, number));
  const bool neg = d[0] == '-';
  const std::string s = neg ? d.substr(1) : d;
  const auto dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac.resize(6, '0');
  const std::int64_t v = std::stoll(whole) * 1'000'000 + std::stoll(frac);
  return neg ? -v : v;
}

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }

std::string Record(const std::string& tenant, const std::string& id, const std::string& gpu_type, int gpus,
                   const std::string& start, const std::string& end) {
  return "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
         "started_at, ended_at) VALUES ('" + tenant + "', 'instance', '" + id + "', 1, 'gpu.x', '" + gpu_type + "', " +
         std::to_string(gpus) + ", '" + start + "', '" + end + "')";
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return out;
}

const std::vector<std::string> kFocusColumns = {
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "ConsumedQuantity",
    "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName",
    "ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceId", "Tags", "x_DiscountPercent",
    "x_GpuCount", "x_GpuType", "x_Model", "x_TenantId"};

// FOCUS 1.2 columns that must never be null (Mandatory and not nullable).
const std::vector<std::string> kNeverNull = {
    "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
    "ChargeCategory", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "ProviderName", "PublisherName", "ServiceCategory",
    "ServiceName", "x_TenantId"};

std::string Export(TestCloud& c, const std::string& key, const std::string& tenant, const std::string& query) {
  const auto r = c.Call("GET", "/v1/tenants/" + tenant + "/exports?" + query, key);
  INFO(r.body.substr(0, 400));
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace

TEST_CASE("FOCUS exports have the spec's columns and formats and add up to the invoice, the operators' export is "
          "the tenants' exports put together",
          "[e2e][billing][exports]") {
  auto c = TestCloud::Start();
  const std::string kr = c->CreateTenant("exporter-kr", "KR", "KRW");
  const std::string us = c->CreateTenant("exporter-us", "KR", "USD");
  const std::string kr_viewer = c->CreateKey(kr, "billing-viewer");
  const std::string us_admin = c->CreateKey(us, "tenant-admin");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + kr + "/discounts", R"({"percent":{"*":"12.5"}})").status == 200);
  // October: records over several days and a midnight, odd seconds so rounding matters; one
  // shorter than the minute; a USD tenant too.
  Sql(*c, Record(kr, "inst_a", "h100-80gb-sxm", 2, "2026-10-03T22:10:07.5Z", "2026-10-05T01:02:03Z"));
  Sql(*c, Record(kr, "inst_b", "h100-80gb-sxm", 1, "2026-10-07T10:00:00Z", "2026-10-07T10:00:20Z"));
  Sql(*c, Record(kr, "inst_c", "a100-80gb-sxm", 4, "2026-10-30T23:59:59Z", "2026-11-01T00:30:00Z"));
  Sql(*c, Record(us, "inst_d", "h100-80gb-sxm", 8, "2026-10-12T08:00:00.25Z", "2026-10-12T09:17:41Z"));
  Sql(*c, Record(us, "inst_e", "l40s-48gb", 1, "2026-10-15T00:00:00Z", "2026-10-19T13:13:13Z"));
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + kr + "/credits",
                R"({"kind":"promotional","amount":"50000","description":"launch"})").status == 201);
  const auto fin = c->Op("POST", "/v1/admin/tenants/" + kr + "/invoices:finalize", R"({"period":"2026-10"})");
  INFO(fin.body);
  REQUIRE(fin.status == 201);
  const auto invoice = fin.Json();

  SECTION("an invoiced tenant's FOCUS rows are its invoice, to the last won") {
    // What they are read from never changes: not for the application role, not for the owner.
    CHECK_THROWS(c->db().AppQuery("SET gaon.platform = 'on'; UPDATE invoice_items SET amount = 1"));
    CHECK_THROWS(Sql(*c, "DELETE FROM invoice_items"));
    const Table t = ParseTable(Export(*c, kr_viewer, kr, "period=2026-10&format=focus"));
    CHECK(t.header == kFocusColumns);
    REQUIRE(t.rows.size() > 4);
    static const std::regex ts(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)");
    static const std::regex number(R"(^-?\d+(\.\d+)?$)");
    std::int64_t usage = 0, all = 0;
    std::map<std::string, int> categories;
    for (const auto& r : t.rows) {
      for (const auto& col : kNeverNull) CHECK_FALSE(t.At(r, col).empty());
      for (const char* col : {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}) {
        CHECK(std::regex_match(t.At(r, col), ts));
      }
      for (const char* col : {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost"}) {
        CHECK(std::regex_match(t.At(r, col), number));
      }
      CHECK(t.At(r, "BillingPeriodStart") == "2026-10-01T00:00:00Z");
      CHECK(t.At(r, "BillingPeriodEnd") == "2026-11-01T00:00:00Z");
      CHECK(t.At(r, "BillingCurrency") == "KRW");
      CHECK(t.At(r, "InvoiceId") == std::string(invoice.at("number").as_string()));
      CHECK(t.At(r, "x_TenantId") == kr);
      CHECK(t.At(r, "BilledCost").find('.') == std::string::npos);  // KRW has no minor unit
      const std::string& cat = t.At(r, "ChargeCategory");
      ++categories[cat];
      all += Micro(t.At(r, "BilledCost"));
      if (cat == "Usage") {
        usage += Micro(t.At(r, "BilledCost"));
        // Each row lies within one UTC day and the billing period.
        CHECK(t.At(r, "ChargePeriodStart").substr(0, 10) ==
              (t.At(r, "ChargePeriodEnd").substr(11) == "00:00:00Z" ? t.At(r, "ChargePeriodStart").substr(0, 10)
                                                                   : t.At(r, "ChargePeriodEnd").substr(0, 10)));
        CHECK(t.At(r, "ChargePeriodStart") >= "2026-10-01T00:00:00Z");
        CHECK(t.At(r, "ChargePeriodEnd") <= "2026-11-01T00:00:00Z");
        CHECK(t.At(r, "PricingUnit") == "GPU-Hours");
        CHECK(t.At(r, "ServiceCategory") == "Compute");
        CHECK(t.At(r, "ResourceType") == "GPU Instance");
        CHECK(t.At(r, "x_DiscountPercent") == "12.5");
        CHECK_FALSE(t.At(r, "ResourceId").empty());
        CHECK_FALSE(t.At(r, "x_GpuType").empty());
        CHECK(t.At(r, "ListCost") != t.At(r, "ContractedCost"));
      } else {
        CHECK(t.At(r, "PricingQuantity").empty());
        CHECK(t.At(r, "PricingUnit").empty());
      }
    }
    CHECK(categories["Tax"] == 1);
    CHECK(categories["Credit"] == 1);
    // Days: inst_a covers Oct 3, 4 and 5; inst_b one day; inst_c Oct 30 and 31 (November is
    // not this period's).
    CHECK(categories["Usage"] == 6);
    CHECK(usage == Micro(std::string(invoice.at("subtotal").as_string())));
    CHECK(usage + Micro(std::string(invoice.at("tax").as_string())) ==
          Micro(std::string(invoice.at("total").as_string())));
    CHECK(all == Micro(std::string(invoice.at("amount_due").as_string())));
  }

  SECTION("a tenant not invoiced yet exports its draft: rows add up to the draft, with no invoice id") {
    const Table t = ParseTable(Export(*c, us_admin, us, "period=2026-10&format=focus"));
    const auto draft = c->Call("GET", "/v1/tenants/" + us + "/invoices/draft?period=2026-10", us_admin).Json();
    std::int64_t usage = 0, tax = 0;
    for (const auto& r : t.rows) {
      CHECK(t.At(r, "InvoiceId").empty());
      CHECK(t.At(r, "BillingCurrency") == "USD");
      const auto billed = t.At(r, "BilledCost");
      const auto dot = billed.find('.');
      CHECK((dot == std::string::npos || billed.size() - dot - 1 <= 2));  // cents at most
      (t.At(r, "ChargeCategory") == "Usage" ? usage : tax) += Micro(billed);
    }
    CHECK(usage == Micro(std::string(draft.at("subtotal").as_string())));
    CHECK(usage + tax == Micro(std::string(draft.at("total").as_string())));
  }

  SECTION("the operators' export is every tenant's export, row for row, in CSV and JSON Lines") {
    for (const std::string format : {"csv", "jsonl"}) {
      const auto all = c->Op("GET", "/v1/admin/exports?period=2026-10&format=" + format);
      INFO(all.body);
      REQUIRE(all.status == 200);
      const std::string a = Export(*c, kr_viewer, kr, "period=2026-10&format=" + format);
      const std::string b = Export(*c, us_admin, us, "period=2026-10&format=" + format);
      auto lines = [&](const std::string& body, bool skip_header) {
        auto rows = ParseCsv(body);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (skip_header && i == 0) continue;
          std::string joined;
          for (const auto& f : rows[i]) joined += f + '\x1f';
          out.push_back(joined);
        }
        std::sort(out.begin(), out.end());
        return out;
      };
      const bool csv = format == "csv";
      auto expected = lines(a, csv);
      const auto more = lines(b, csv);
      expected.insert(expected.end(), more.begin(), more.end());
      std::sort(expected.begin(), expected.end());
      CHECK(lines(all.body, csv) == expected);
      CHECK(expected.size() > 8);
    }
    // Reading every tenant's charges is an operator's access: audited once per export in the
    // platform's log and in the log of each of the two tenants it showed.
    CHECK(Sql(*c, "SELECT count(*) FROM audit_events WHERE action = 'exports.all' AND outcome = 'success' AND "
                  "tenant_id = 'platform'") == "2");
    CHECK(Sql(*c, "SELECT count(*) FROM audit_events WHERE action = 'exports.all' AND outcome = 'success' AND "
                  "tenant_id IN ('" + kr + "', '" + us + "')") == "4");
    // JSON Lines: one object per line, amounts as decimal strings that add up like the CSV's.
    const std::string jl = Export(*c, kr_viewer, kr, "period=2026-10&format=jsonl");
    std::int64_t sum = 0;
    std::size_t start = 0, n = 0;
    for (std::size_t nl; (nl = jl.find('\n', start)) != std::string::npos; start = nl + 1, ++n) {
      const auto v = boost::json::parse(jl.substr(start, nl - start));
      if (v.at("category") != "Credit") sum += Micro(std::string(v.at("billed_cost").as_string()));
      CHECK(std::string(v.at("tenant_id").as_string()) == kr);
    }
    CHECK(n > 4);
    CHECK(sum == Micro(std::string(invoice.at("total").as_string())));
  }

  SECTION("gzip on request holds exactly the same bytes") {
    const std::string plain = Export(*c, kr_viewer, kr, "period=2026-10&format=focus");
    const auto zipped = c->Call("GET", "/v1/tenants/" + kr + "/exports?period=2026-10&format=focus&compression=gzip",
                                kr_viewer);
    REQUIRE(zipped.status == 200);
    CHECK(zipped.Header("Content-Type") == "application/gzip");
    CHECK(zipped.Header("Content-Disposition")->find(".csv.gz") != std::string::npos);
    CHECK(Gunzip(zipped.body) == plain);
  }

  SECTION("late usage for an invoiced month is a Correction row of the next period, charged to the old one") {
    Sql(*c, Record(kr, "inst_late", "h100-80gb-sxm", 1, "2026-10-20T00:00:00Z", "2026-10-20T03:00:00Z"));
    // October's export is still October's invoice; November's draft carries the correction.
    const Table oct = ParseTable(Export(*c, kr_viewer, kr, "period=2026-10&format=focus"));
    for (const auto& r : oct.rows) CHECK(oct.At(r, "ResourceId") != "inst_late");
    const Table nov = ParseTable(Export(*c, kr_viewer, kr, "period=2026-11&format=focus"));
    int corrections = 0;
    for (const auto& r : nov.rows) {
      if (nov.At(r, "ChargeClass") != "Correction") continue;
      ++corrections;
      CHECK(nov.At(r, "BillingPeriodStart") == "2026-11-01T00:00:00Z");
      CHECK(nov.At(r, "ChargePeriodStart") == "2026-10-01T00:00:00Z");
      CHECK(nov.At(r, "ChargePeriodEnd") == "2026-11-01T00:00:00Z");
      CHECK(nov.At(r, "BilledCost") == "11025");  // 3 GPU-hours × 4200 × 87.5 %
    }
    CHECK(corrections == 1);
  }

  SECTION("bad requests are refused before anything is sent; others' exports are not found") {
    CHECK(c->Call("GET", "/v1/tenants/" + kr + "/exports?period=2026-10&format=xml", kr_viewer).status == 400);
    CHECK(c->Call("GET", "/v1/tenants/" + kr + "/exports?period=2026-13&format=csv", kr_viewer).status == 400);
    CHECK(c->Call("GET", "/v1/tenants/" + kr + "/exports?format=csv&compression=zip", kr_viewer).status == 400);
    CHECK(c->Call("GET", "/v1/tenants/" + us + "/exports?format=csv", kr_viewer).status == 404);
    CHECK(c->Call("GET", "/v1/admin/exports?format=csv", kr_viewer).status == 403);
    const std::string member = c->CreateKey(kr, "tenant-member");
    CHECK(c->Call("GET", "/v1/tenants/" + kr + "/exports?format=csv", member).status == 403);
    CHECK(c->Op("GET", "/v1/tenants/ten_00000000000000000000000000/exports?format=csv").status == 404);
  }
}
