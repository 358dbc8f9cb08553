// End-to-end through the SDK: billing — prices (operators), discounts, usage so far, the live
// draft invoice, issued invoices (finalize, pay, void), usage events, credit grants and the
// billing mode, exports streamed to a sink, and budgets, with their errors, against a real
// gaond. Usage records are written with the schema owner's SQL so the draft is deterministic
// (the worked example of docs/billing.md).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <regex>

#include "tests/sdk/faulty_proxy.h"
#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon;
using namespace gaon::test;

namespace {

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }

Timestamp At(const std::string& rfc3339) { return ParseTimestamp(rfc3339).value(); }

// The worked example of docs/billing.md: two H100s from 14 Oct 20:00 to 16 Oct 02:30:00.5
// UTC, across a price change (4200 → 3900 KRW per GPU-hour on 15 Oct 12:00).
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
TenantId WorkedExampleTenant(TestCloud& c) {
  const std::string tid = c.CreateTenant("example", "KR", "KRW");
  InsertWorkedExample(c, tid);
  Discounts d;
  d.percent = {{"gpu-hour.h100-80gb-sxm", "25"}};
  Ok(OperatorClient(c).SetDiscounts(Tid(tid), d));
  return Tid(tid);
}

// `bytes` gunzipped by gzip(1).
std::string Gunzip(const std::string& bytes) {
  const std::string path = MakeTempDir("sdk-export") + "/export.gz";
  std::ofstream(path, std::ios::binary) << bytes;
  std::FILE* p = ::popen(("gzip -dc < " + path).c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  return out;
}

}  // namespace

TEST_CASE("operators list prices lazily and add future ones, the past and duplicates are refused",
          "[sdk][e2e][billing][prices]") {
  auto c = TestCloud::Start();
  const Client op = OperatorClient(*c);

  // The catalog seeds an H100 price in KRW and USD; one per page still gives both.
  std::vector<Price> h100;
  for (const auto& p : op.ListPrices(PriceFilter{.sku = "gpu-hour.h100-80gb-sxm"}, ListOptions{.page_size = 1})) {
    h100.push_back(Ok(p));
  }
  REQUIRE(h100.size() == 2);
  CHECK(h100[0].currency == "KRW");
  CHECK(h100[0].unit_price == "4200");
  CHECK(h100[0].unit == "gpu-hour");
  CHECK(h100[1].currency == "USD");
  const auto krw = Ok(CollectAll(op.ListPrices(PriceFilter{.currency = "KRW"})));
  CHECK(krw.size() > 1);
  CHECK(std::all_of(krw.begin(), krw.end(), [](const Price& p) { return p.currency == "KRW"; }));

  Price next{.sku = "gpu-hour.h100-80gb-sxm",
             .currency = "KRW",
             .unit = "gpu-hour",
             .unit_price = "3900.50",
             .effective_from = At("2099-01-01T00:00:00Z"),
             .description = "2099 list price"};
  const Price created = Ok(op.CreatePrice(next));
  CHECK(created.unit_price.rfind("3900.5", 0) == 0);  // a decimal string, never a double
  CHECK(created.effective_from == next.effective_from);
  CHECK(created.created_at.has_value());
  CHECK(Ok(CollectAll(op.ListPrices(PriceFilter{.sku = "gpu-hour.h100-80gb-sxm", .currency = "KRW"}))).size() == 2);

  const Status again = op.CreatePrice(next).status();
  CHECK(again.code() == StatusCode::kAlreadyExists);
  CHECK(again.reason() == "price_exists");
  CHECK(again.http_status() == 409);

  Price past = next;
  past.effective_from = At("2026-01-02T00:00:00Z");
  const Status in_past = op.CreatePrice(past).status();
  CHECK(in_past.code() == StatusCode::kFailedPrecondition);
  CHECK(in_past.reason() == "price_in_past");
  CHECK(in_past.http_status() == 409);

  Price wrong_unit = next;
  wrong_unit.unit = "million-tokens";
  wrong_unit.unit_price = "1e3";
  const Status invalid = op.CreatePrice(wrong_unit).status();
  CHECK(invalid.reason() == "validation_failed");
  CHECK(invalid.http_status() == 400);
  std::vector<std::string> fields;
  for (const auto& v : invalid.violations()) fields.push_back(v.field);
  CHECK(std::count(fields.begin(), fields.end(), "unit") == 1);
  CHECK(std::count(fields.begin(), fields.end(), "unit_price") == 1);

  // Prices are the operators' business.
  const std::string t = c->CreateTenant("shop");
  const Client admin = SdkClient(c->address(), c->CreateKey(t, "tenant-admin"));
  const auto denied = CollectAll(admin.ListPrices());
  CHECK(denied.status().code() == StatusCode::kPermissionDenied);
  CHECK(admin.CreatePrice(next).status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("operators set a tenant's discounts, its billing roles read them", "[sdk][e2e][billing][discounts]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client op = OperatorClient(*c);
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));

  CHECK(Ok(viewer.GetDiscounts(t)).percent.empty());
  Discounts d;
  d.percent = {{"*", "10"}, {"gpu-hour.h100-80gb-sxm", "25"}};
  CHECK(Ok(op.SetDiscounts(t, d)).percent == d.percent);
  CHECK(Ok(viewer.GetDiscounts(t)).percent == d.percent);
  CHECK(Ok(admin.GetDiscounts(t)).percent == d.percent);
  CHECK(member.GetDiscounts(t).status().code() == StatusCode::kPermissionDenied);
  CHECK(admin.SetDiscounts(t, d).status().code() == StatusCode::kPermissionDenied);

  // A set replaces the previous one.
  Discounts one;
  one.percent = {{"tokens-output.qwen2.5-7b-instruct", "12.5"}};
  Ok(op.SetDiscounts(t, one));
  CHECK(Ok(viewer.GetDiscounts(t)).percent == one.percent);

  Discounts bad;
  bad.percent = {{"*", "120"}, {"disk-hour.x", "5"}};
  const Status invalid = op.SetDiscounts(t, bad).status();
  CHECK(invalid.reason() == "validation_failed");
  CHECK(invalid.violations().size() == 2);
  CHECK(Ok(viewer.GetDiscounts(t)).percent == one.percent);  // nothing changed

  Ok(op.SetDiscounts(t, Discounts{}));  // an empty set removes them all
  CHECK(Ok(viewer.GetDiscounts(t)).percent.empty());

  const Status unknown = op.SetDiscounts(TenantId::Generate(), d).status();
  INFO(unknown.ToString());
  CHECK(unknown.code() == StatusCode::kNotFound);
  CHECK(unknown.http_status() == 404);
}

TEST_CASE("usage and the draft invoice come out as docs/billing.md's worked example", "[sdk][e2e][billing][invoices]") {
  auto c = TestCloud::Start();
  const TenantId t = WorkedExampleTenant(*c);
  const std::string tid = t.str();
  const Client op = OperatorClient(*c);
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));

  const Invoice inv = Ok(viewer.GetDraftInvoice(t, "2026-10"));
  CHECK(inv.state == "draft");
  CHECK_FALSE(inv.id.has_value());
  CHECK(inv.tenant_id == t);
  CHECK(inv.currency == "KRW");
  CHECK(inv.period_start == At("2026-10-01T00:00:00Z"));
  CHECK(inv.period_end == At("2026-11-01T00:00:00Z"));
  REQUIRE(inv.lines.size() == 2);
  CHECK(inv.lines[0].sku == "gpu-hour.h100-80gb-sxm");
  CHECK(inv.lines[0].unit_price == "3900");
  CHECK(inv.lines[0].discount_percent == "25");
  CHECK(inv.lines[0].amount_unrounded.rfind("84825.8125", 0) == 0);
  CHECK(inv.lines[0].amount == "84826");
  CHECK(inv.lines[1].unit_price == "4200");
  CHECK(inv.lines[1].quantity.rfind("32", 0) == 0);
  CHECK(inv.lines[1].amount == "100800");
  CHECK(inv.subtotal == "185626");
  CHECK(inv.tax_percent == "10");
  CHECK(inv.tax == "18563");
  CHECK(inv.total == "204189");

  // The current month (the default) has nothing yet.
  const Invoice now = Ok(viewer.GetDraftInvoice(t));
  CHECK(now.lines.empty());
  CHECK(now.period_start <= Now());
  CHECK(Now() < now.period_end);

  // Usage by resource: the one instance, its two prices; by day: 14, 15 and 16 October.
  const UsageReport by_resource = Ok(viewer.GetUsage(
      t, UsageQuery{.from = At("2026-10-01T00:00:00Z"), .to = At("2026-11-01T00:00:00Z"), .group_by = "resource"}));
  CHECK(by_resource.group_by == "resource");
  CHECK(by_resource.currency == "KRW");
  CHECK(by_resource.period_start == At("2026-10-01T00:00:00Z"));
  REQUIRE_FALSE(by_resource.items.empty());
  for (const auto& row : by_resource.items) {
    CHECK(row.resource_id == std::optional<std::string>("inst_example"));
    CHECK(row.resource_kind == std::optional<std::string>("instance"));
    CHECK(row.sku == "gpu-hour.h100-80gb-sxm");
  }
  const UsageReport by_day =
      Ok(viewer.GetUsage(t, UsageQuery{.from = At("2026-10-01T00:00:00Z"), .to = At("2026-11-01T00:00:00Z")}));
  CHECK(by_day.group_by == "day");
  REQUIRE_FALSE(by_day.items.empty());
  CHECK(by_day.items.front().date == std::optional<std::string>("2026-10-14"));
  for (std::size_t i = 0; i < by_day.items.size(); ++i) {
    const auto& date = by_day.items[i].date;
    REQUIRE(date.has_value());
    CHECK(date->rfind("2026-10-", 0) == 0);
    if (i > 0) CHECK(*by_day.items[i - 1].date <= *date);
    CHECK_FALSE(by_day.items[i].resource_id.has_value());
  }
  CHECK(Ok(viewer.GetUsage(t)).items.empty());  // the current month

  // Errors.
  const Status bad_period = viewer.GetDraftInvoice(t, "2026-13").status();
  CHECK(bad_period.reason() == "validation_failed");
  CHECK(bad_period.http_status() == 400);
  CHECK(viewer.GetUsage(t, UsageQuery{.group_by = "week"}).status().reason() == "validation_failed");
  CHECK(viewer.GetUsage(t, UsageQuery{.from = At("2026-11-01T00:00:00Z"), .to = At("2026-10-01T00:00:00Z")})
            .status()
            .reason() == "validation_failed");
  CHECK(viewer.GetUsage(t, UsageQuery{.from = At("2025-01-01T00:00:00Z"), .to = At("2026-10-01T00:00:00Z")})
            .status()
            .reason() == "validation_failed");
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  CHECK(member.GetDraftInvoice(t).status().code() == StatusCode::kPermissionDenied);
  CHECK(member.GetUsage(t).status().code() == StatusCode::kPermissionDenied);
  const Client stranger = SdkClient(c->address(), c->CreateKey(c->CreateTenant("other"), "tenant-admin"));
  CHECK(stranger.GetDraftInvoice(t).status().code() == StatusCode::kNotFound);

  // Once the month is invoiced there is no draft of it any more.
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + tid + "/invoices:finalize", R"({"period":"2026-10"})").status / 100 ==
          2);
  const Status finalized = viewer.GetDraftInvoice(t, "2026-10").status();
  CHECK(finalized.code() == StatusCode::kFailedPrecondition);
  CHECK(finalized.reason() == "invoice_finalized");
  CHECK(finalized.http_status() == 409);
}

TEST_CASE("operators finalize, pay and void invoices, billing roles list and read them, credit burns and comes back",
          "[sdk][e2e][billing][invoices]") {
  auto c = TestCloud::Start();
  const TenantId t = WorkedExampleTenant(*c);
  const std::string tid = t.str();
  const Client op = OperatorClient(*c);
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  Ok(op.GrantCredit(t, CreditGrant{.kind = "promotional", .amount = "100000"}));
  CHECK(Ok(CollectAll(viewer.ListInvoices(t))).empty());

  // A month that has not ended, or is not a month, cannot be closed.
  const Status open = op.FinalizeInvoice(t, FormatTimestamp(Now()).substr(0, 7)).status();
  CHECK(open.code() == StatusCode::kFailedPrecondition);
  CHECK(open.reason() == "period_open");
  CHECK(open.http_status() == 409);
  CHECK(op.FinalizeInvoice(t, "2026-13").status().reason() == "validation_failed");
  CHECK(admin.FinalizeInvoice(t, "2026-10").status().code() == StatusCode::kPermissionDenied);
  CHECK(op.FinalizeInvoice(TenantId::Generate(), "2026-10").status().code() == StatusCode::kNotFound);

  // The worked example, with 100000 KRW of promotional credit burnt against its total.
  const Invoice inv = Ok(op.FinalizeInvoice(t, "2026-10"));
  REQUIRE(inv.id.has_value());
  REQUIRE(inv.number.has_value());
  CHECK(std::regex_match(*inv.number, std::regex(R"(KR\d-202610-\d{6})")));
  CHECK(inv.state == "finalized");
  CHECK(inv.finalized_at.has_value());
  CHECK(inv.period_start == At("2026-10-01T00:00:00Z"));
  REQUIRE(inv.lines.size() == 2);
  CHECK(inv.lines[0].amount == "84826");
  CHECK(inv.lines[1].amount == "100800");
  CHECK(inv.subtotal == "185626");
  CHECK(inv.tax == "18563");
  CHECK(inv.total == "204189");
  CHECK(inv.credits_applied == "100000");
  CHECK(inv.amount_due == "104189");
  CHECK(Ok(viewer.GetCredits(t)).balance == "0");
  // Finalizing the month again gives the same invoice.
  CHECK(Ok(op.FinalizeInvoice(t, "2026-10")).id == inv.id);

  const Invoice got = Ok(viewer.GetInvoice(t, *inv.id));
  CHECK(got.number == inv.number);
  CHECK(got.lines.size() == 2);
  CHECK(got.total == "204189");
  CHECK(Ok(admin.GetInvoice(t, *inv.id)).amount_due == "104189");
  const auto listed = Ok(CollectAll(viewer.ListInvoices(t)));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == inv.id);
  CHECK(listed[0].total == "204189");
  CHECK(listed[0].lines.empty());  // a list has no lines
  CHECK(CollectAll(member.ListInvoices(t)).status().code() == StatusCode::kPermissionDenied);
  CHECK(viewer.GetInvoice(t, InvoiceId::Generate()).status().code() == StatusCode::kNotFound);
  const Client stranger = SdkClient(c->address(), c->CreateKey(c->CreateTenant("other"), "tenant-admin"));
  CHECK(stranger.GetInvoice(t, *inv.id).status().code() == StatusCode::kNotFound);

  // Paid, twice: the second changes nothing.
  CHECK(admin.PayInvoice(t, *inv.id).status().code() == StatusCode::kPermissionDenied);
  CHECK(op.PayInvoice(t, InvoiceId::Generate()).status().code() == StatusCode::kNotFound);
  const Invoice paid = Ok(op.PayInvoice(t, *inv.id));
  CHECK(paid.state == "paid");
  REQUIRE(paid.paid_at.has_value());
  CHECK(Ok(op.PayInvoice(t, *inv.id)).paid_at == paid.paid_at);

  // Void and re-issue: the old invoice stays as it was, the new one replaces it and takes the
  // credit the void gave back.
  CHECK(op.VoidInvoice(t, *inv.id, VoidRequest{}).status().reason() == "validation_failed");
  CHECK(viewer.VoidInvoice(t, *inv.id, VoidRequest{.reason = "x"}).status().code() == StatusCode::kPermissionDenied);
  const Invoice reissued =
      Ok(op.VoidInvoice(t, *inv.id, VoidRequest{.reason = "billing address changed", .reissue = true}));
  REQUIRE(reissued.id.has_value());
  CHECK(reissued.id != inv.id);
  CHECK(reissued.replaces_invoice_id == inv.id);
  CHECK(reissued.number != inv.number);
  CHECK(reissued.state == "finalized");
  CHECK(reissued.total == "204189");
  CHECK(reissued.credits_applied == "100000");
  CHECK(reissued.amount_due == "104189");
  const Invoice voided = Ok(viewer.GetInvoice(t, *inv.id));
  CHECK(voided.state == "void");
  CHECK(voided.void_reason == std::optional<std::string>("billing address changed"));
  CHECK(voided.voided_at.has_value());
  CHECK(voided.total == "204189");
  CHECK(voided.lines.size() == 2);

  const Status again = op.VoidInvoice(t, *inv.id, VoidRequest{.reason = "twice"}).status();
  CHECK(again.code() == StatusCode::kFailedPrecondition);
  CHECK(again.reason() == "invoice_void");
  CHECK(again.http_status() == 409);
  CHECK(op.PayInvoice(t, *inv.id).status().reason() == "invoice_void");

  // Newest first, one a page.
  std::vector<Invoice> pages;
  for (const auto& i : viewer.ListInvoices(t, ListOptions{.page_size = 1})) pages.push_back(Ok(i));
  REQUIRE(pages.size() == 2);
  CHECK(pages[0].id == reissued.id);
  CHECK(pages[1].state == "void");

  // A plain void gives the credit back and issues nothing.
  const Invoice plain = Ok(op.VoidInvoice(t, *reissued.id, VoidRequest{.reason = "cancelled contract"}));
  CHECK(plain.id == reissued.id);
  CHECK(plain.state == "void");
  CHECK(Ok(viewer.GetCredits(t)).balance == "100000");
  CHECK(Ok(CollectAll(viewer.ListInvoices(t))).size() == 2);
}

namespace {

UsageEventInput TokenEvent(const std::string& tenant, const std::string& id, const std::string& quantity,
                           Timestamp time = Now() - std::chrono::minutes(1)) {
  return UsageEventInput{.tenant_id = Tid(tenant),
                         .event_id = id,
                         .meter = "tokens-input",
                         .quantity = quantity,
                         .time = time,
                         .resource_kind = "endpoint",
                         .resource_id = "ep_gateway",
                         .attributes = {{"model", "qwen2.5-7b-instruct"}}};
}

}  // namespace

TEST_CASE("meters send usage events in batches: resent ones are duplicates, reused ids and late events write nothing",
          "[sdk][e2e][billing][usage-events]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("metered", "KR", "KRW");
  const Client op = OperatorClient(*c);

  UsageEventBatch batch{.source = "gateway-kr1a",
                        .events = {TokenEvent(tid, "cmpl-1/input", "1000000"), TokenEvent(tid, "cmpl-2/input", "2000000"),
                                   TokenEvent(tid, "cmpl-3/input", "500000")}};
  const UsageEventResult first = Ok(op.IngestUsageEvents(batch));
  CHECK(first.accepted == 3);
  CHECK(first.duplicates == 0);
  const UsageEventResult resent = Ok(op.IngestUsageEvents(batch));
  CHECK(resent.accepted == 0);
  CHECK(resent.duplicates == 3);

  // The same id with another payload fails the whole batch: the new event in it is not written.
  UsageEventBatch reused{.source = "gateway-kr1a",
                         .events = {TokenEvent(tid, "cmpl-4/input", "250000"), batch.events[1]}};
  reused.events[1].quantity = "999";
  const Status conflict = op.IngestUsageEvents(reused).status();
  CHECK(conflict.code() == StatusCode::kFailedPrecondition);
  CHECK(conflict.reason() == "event_id_reused");
  CHECK(conflict.http_status() == 409);
  reused.events[1] = batch.events[1];
  const UsageEventResult fixed = Ok(op.IngestUsageEvents(reused));
  CHECK(fixed.accepted == 1);  // cmpl-4 was not written by the failed batch
  CHECK(fixed.duplicates == 1);

  // Another source may use the same ids.
  UsageEventBatch other{.source = "gateway-kr1b", .events = {TokenEvent(tid, "cmpl-1/input", "1")}};
  CHECK(Ok(op.IngestUsageEvents(other)).accepted == 1);

  // Late, future, malformed, unknown-tenant and unauthorised batches.
  const Status late =
      op.IngestUsageEvents({.source = "gateway-kr1a", .events = {TokenEvent(tid, "old", "1", At("2026-08-01T00:00:00Z"))}})
          .status();
  CHECK(late.code() == StatusCode::kInvalidArgument);
  CHECK(late.reason() == "event_too_late");
  CHECK(late.http_status() == 422);
  REQUIRE(late.violations().size() == 1);
  CHECK(late.violations()[0].field == "events[0].time");
  const Status future =
      op.IngestUsageEvents({.source = "gateway-kr1a", .events = {TokenEvent(tid, "soon", "1", Now() + std::chrono::hours(1))}})
          .status();
  CHECK(future.reason() == "validation_failed");
  CHECK(future.http_status() == 400);
  CHECK(op.IngestUsageEvents({.source = "gateway-kr1a", .events = {TokenEvent(tid, "neg", "-5")}}).status().reason() ==
        "validation_failed");
  CHECK(op.IngestUsageEvents({.source = "gateway-kr1a"}).status().reason() == "validation_failed");  // no events
  CHECK(op.IngestUsageEvents({.source = "Gateway KR", .events = {TokenEvent(tid, "x", "1")}}).status().reason() ==
        "validation_failed");
  const std::string nobody = TenantId::Generate().str();
  CHECK(op.IngestUsageEvents({.source = "gateway-kr1a", .events = {TokenEvent(nobody, "x", "1")}}).status().code() ==
        StatusCode::kNotFound);
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  CHECK(admin.IngestUsageEvents(batch).status().code() == StatusCode::kPermissionDenied);

  // Rated exactly: 1 + 2 + 0.5 + 0.25 + 0.000001 million input tokens at 180 KRW per million
  // = 675.00018 → 675; tax 10 % of 675 = 67.5 → 68 (half away from zero); total 743.
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));
  const Invoice draft = Ok(viewer.GetDraftInvoice(Tid(tid)));
  REQUIRE(draft.lines.size() == 1);
  CHECK(draft.lines[0].sku == "tokens-input.qwen2.5-7b-instruct");
  CHECK(draft.lines[0].unit == "million-tokens");
  CHECK(draft.lines[0].quantity.rfind("3.750001", 0) == 0);
  CHECK(draft.lines[0].amount_unrounded.rfind("675.00018", 0) == 0);
  CHECK(draft.lines[0].amount == "675");
  CHECK(draft.tax == "68");
  CHECK(draft.total == "743");
}

TEST_CASE("operators grant credit and set the billing mode, billing roles read the balance",
          "[sdk][e2e][billing][credits]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("prepay", "KR", "KRW");
  const TenantId t = Tid(tid);
  const Client op = OperatorClient(*c);
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));

  const CreditSummary none = Ok(viewer.GetCredits(t));
  CHECK(none.billing_mode == "postpaid");
  CHECK(none.currency == "KRW");
  CHECK(none.balance == "0");
  CHECK(none.month_to_date == "0");
  CHECK(none.grants.empty());

  const CreditGrant prepaid =
      Ok(op.GrantCredit(t, CreditGrant{.kind = "prepaid", .amount = "50000", .description = "Q4 prepayment"}));
  CHECK(prepaid.id.has_value());
  CHECK(prepaid.kind == "prepaid");
  CHECK(prepaid.amount == "50000");
  CHECK(prepaid.remaining == "50000");
  CHECK(prepaid.currency == "KRW");
  CHECK(prepaid.description == "Q4 prepayment");
  CHECK(prepaid.created_at.has_value());
  const CreditGrant promo = Ok(op.GrantCredit(
      t, CreditGrant{.kind = "promotional", .amount = "3000", .expires_at = At("2099-01-01T00:00:00Z")}));
  CHECK(promo.expires_at == std::optional<Timestamp>(At("2099-01-01T00:00:00Z")));

  auto refused = [&](CreditGrant g) { return op.GrantCredit(t, g).status(); };
  const Status precise = refused({.kind = "prepaid", .amount = "10.5"});  // KRW has no minor unit
  CHECK(precise.reason() == "validation_failed");
  REQUIRE(precise.violations().size() == 1);
  CHECK(precise.violations()[0].field == "amount");
  CHECK(precise.violations()[0].code == "too_precise");
  CHECK(refused({.kind = "gift", .amount = "1"}).reason() == "validation_failed");
  CHECK(refused({.kind = "prepaid", .amount = "0"}).reason() == "validation_failed");
  CHECK(refused({.kind = "prepaid", .amount = "1", .expires_at = At("2020-01-01T00:00:00Z")}).reason() ==
        "validation_failed");
  CHECK(op.GrantCredit(TenantId::Generate(), {.kind = "prepaid", .amount = "1"}).status().code() ==
        StatusCode::kNotFound);
  CHECK(admin.GrantCredit(t, {.kind = "prepaid", .amount = "1"}).status().code() == StatusCode::kPermissionDenied);

  const CreditSummary two = Ok(viewer.GetCredits(t));
  CHECK(two.balance == "53000");
  REQUIRE(two.grants.size() == 2);
  CHECK(two.grants[0].id == prepaid.id);  // oldest first
  CHECK(two.grants[1].remaining == "3000");
  CHECK(Ok(admin.GetCredits(t)).balance == "53000");
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  CHECK(member.GetCredits(t).status().code() == StatusCode::kPermissionDenied);

  // Cents stay cents: a USD tenant's grant keeps its two decimals exactly.
  const std::string usd = c->CreateTenant("dollars", "US", "USD");
  CHECK(Ok(op.GrantCredit(Tid(usd), {.kind = "prepaid", .amount = "250.55"})).amount == "250.55");
  CHECK(Ok(op.GrantCredit(Tid(usd), {.kind = "promotional", .amount = "0.45"})).currency == "USD");
  CHECK(Ok(op.GetCredits(Tid(usd))).balance == "251");
  CHECK(op.GrantCredit(Tid(usd), {.kind = "prepaid", .amount = "0.001"}).status().reason() == "validation_failed");

  CHECK(Ok(op.SetBillingMode(t, "prepaid")).mode == "prepaid");
  CHECK(Ok(viewer.GetCredits(t)).billing_mode == "prepaid");
  CHECK(op.SetBillingMode(t, "weekly").status().reason() == "validation_failed");
  CHECK(op.SetBillingMode(TenantId::Generate(), "prepaid").status().code() == StatusCode::kNotFound);
  CHECK(admin.SetBillingMode(t, "postpaid").status().code() == StatusCode::kPermissionDenied);
  CHECK(Ok(op.SetBillingMode(t, "postpaid")).mode == "postpaid");
  CHECK(Ok(viewer.GetCredits(t)).billing_mode == "postpaid");
}

TEST_CASE("exports stream to the sink exactly what the API sends, in every format and gzipped, a broken transfer fails",
          "[sdk][e2e][billing][exports]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("exporter", "KR", "KRW");
  const TenantId t = Tid(tid);
  const std::string key = c->CreateKey(tid, "billing-viewer");
  const Client viewer = SdkClient(c->address(), key);
  for (int day = 1; day <= 9; ++day) {
    const std::string d = "2026-10-0" + std::to_string(day);
    InsertUsageRecord(*c, tid, "inst_" + std::to_string(day), day % 3 + 1, d + "T08:00:00Z", d + "T19:45:30Z");
  }
  auto export_to_string = [](const Client& client, const TenantId& tenant, const ExportQuery& q, std::string* out) {
    return client.ExportBilling(tenant, q, [out](std::string_view piece) {
      out->append(piece);
      return true;
    });
  };

  for (const std::string format : {"csv", "jsonl", "focus"}) {
    const ExportQuery q{.period = "2026-10", .format = format};
    std::string got;
    const ExportResult r = Ok(export_to_string(viewer, t, q, &got));
    const auto raw = c->Call("GET", "/v1/tenants/" + tid + "/exports?period=2026-10&format=" + format, key);
    REQUIRE(raw.status == 200);
    CHECK(got == raw.body);
    CHECK(r.bytes == static_cast<std::int64_t>(got.size()));
    CHECK(r.filename == "gaon-" + tid + "-2026-10-" + format + (format == "jsonl" ? ".jsonl" : ".csv"));
    CHECK(r.content_type == *raw.Header("Content-Type"));
  }
  std::string focus;
  Ok(export_to_string(viewer, t, {.period = "2026-10", .format = "focus"}, &focus));
  CHECK(focus.rfind("AvailabilityZone,BilledCost,", 0) == 0);
  CHECK(std::count(focus.begin(), focus.end(), '\n') >= 10);  // the header, nine days of usage, the tax

  // gzip: the server's bytes, which decompress to the plain export.
  std::string zipped;
  const ExportResult gz =
      Ok(export_to_string(viewer, t, {.period = "2026-10", .format = "focus", .gzip = true}, &zipped));
  CHECK(gz.content_type == "application/gzip");
  CHECK(gz.filename == "gaon-" + tid + "-2026-10-focus.csv.gz");
  CHECK(zipped ==
        c->Call("GET", "/v1/tenants/" + tid + "/exports?period=2026-10&format=focus&compression=gzip", key).body);
  CHECK(Gunzip(zipped) == focus);

  // Operators export every tenant at once.
  const std::string other = c->CreateTenant("another", "KR", "USD");
  InsertUsageRecord(*c, other, "inst_x", 8, "2026-10-12T08:00:00Z", "2026-10-12T09:17:41Z");
  std::string all;
  const ExportResult every = Ok(OperatorClient(*c).ExportBillingAllTenants(
      {.period = "2026-10", .format = "csv"}, [&all](std::string_view piece) {
        all.append(piece);
        return true;
      }));
  CHECK(every.filename == "gaon-all-2026-10-csv.csv");
  CHECK(all == c->Op("GET", "/v1/admin/exports?period=2026-10&format=csv").body);
  CHECK(all.find(tid) != std::string::npos);
  CHECK(all.find(other) != std::string::npos);

  // Errors come before any byte reaches the sink.
  int pieces = 0;
  auto count = [&pieces](std::string_view) { return ++pieces, true; };
  const Status bad_format = viewer.ExportBilling(t, {.period = "2026-10", .format = "xml"}, count).status();
  CHECK(bad_format.reason() == "validation_failed");
  CHECK(bad_format.http_status() == 400);
  REQUIRE(bad_format.violations().size() == 1);
  CHECK(bad_format.violations()[0].field == "format");
  CHECK(viewer.ExportBilling(t, {.period = "2026-13"}, count).status().http_status() == 400);
  CHECK(viewer.ExportBilling(Tid(other), {.period = "2026-10"}, count).status().code() == StatusCode::kNotFound);
  CHECK(viewer.ExportBillingAllTenants({.period = "2026-10"}, count).status().code() ==
        StatusCode::kPermissionDenied);
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  CHECK(member.ExportBilling(t, {.period = "2026-10"}, count).status().code() == StatusCode::kPermissionDenied);
  CHECK(pieces == 0);

  // A sink may stop the transfer.
  const Status stopped =
      viewer.ExportBilling(t, {.period = "2026-10"}, [](std::string_view) { return false; }).status();
  CHECK(stopped.code() == StatusCode::kCancelled);
  CHECK(stopped.reason() == "export_cancelled");

  // A transfer the network cuts half-way is an error, not a short file, and is not retried.
  FaultyProxy proxy(c->address());
  proxy.CutAnswersAfter(2000);
  int attempts = 0;
  const Client cut = SdkClient(proxy.address(), key, [&attempts](ClientOptions& o) {
    o.on_attempt = [&attempts](const AttemptInfo&) { ++attempts; };
  });
  std::string part;
  const Status broken = export_to_string(cut, t, {.period = "2026-10", .format = "focus"}, &part).status();
  INFO(broken.ToString());
  CHECK(broken.code() == StatusCode::kUnavailable);
  CHECK(broken.reason() == "export_incomplete");
  CHECK_FALSE(part.empty());
  CHECK(part.size() < focus.size());
  CHECK(focus.rfind(part, 0) == 0);  // what came was the file's beginning
  const auto& extras = broken.extras();
  CHECK(std::any_of(extras.begin(), extras.end(), [&part](const auto& e) {
    return e.first == "bytes" && e.second == std::to_string(part.size());
  }));
  CHECK(attempts == 1);
  CHECK(proxy.connections() == 1);
}

TEST_CASE("tenant admins create, list, update and delete budgets, billing viewers read them with the month's spend",
          "[sdk][e2e][billing][budgets]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("budgeted", "KR", "KRW");
  const TenantId t = Tid(tid);
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "billing-viewer"));
  // One H100 for the minute before last: 70 KRW this month (unless the month began since).
  const Timestamp now = Now();
  InsertUsageRecord(*c, tid, "inst_1", 1, FormatTimestamp(now - std::chrono::minutes(2)),
               FormatTimestamp(now - std::chrono::minutes(1)));

  const Budget monthly = Ok(admin.CreateBudget(t, Budget{.name = "monthly", .amount = "10000"}));
  REQUIRE(monthly.id.has_value());
  CHECK(monthly.thresholds == std::vector<int>{50, 80, 100});
  CHECK(monthly.currency == "KRW");
  CHECK(monthly.spend == "70");
  CHECK(monthly.percent_used == "0.70");
  CHECK(monthly.alerts.empty());
  CHECK(monthly.created_at.has_value());
  const Budget team = Ok(admin.CreateBudget(t, Budget{.name = "team", .amount = "500", .thresholds = {80, 100}}));
  CHECK(team.thresholds == std::vector<int>{80, 100});
  CHECK(team.percent_used == "14.00");

  std::vector<std::string> names;
  for (const auto& b : viewer.ListBudgets(t, ListOptions{.page_size = 1})) names.push_back(Ok(b).name);
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"monthly", "team"});
  CHECK(Ok(viewer.GetBudget(t, *monthly.id)).amount == "10000");

  const Budget updated =
      Ok(admin.UpdateBudget(t, *team.id, BudgetPatch{.amount = "700", .thresholds = std::vector<int>{90}}));
  CHECK(updated.name == "team");
  CHECK(updated.amount == "700");
  CHECK(updated.thresholds == std::vector<int>{90});
  CHECK(updated.percent_used == "10.00");

  // Errors.
  const Status taken = admin.CreateBudget(t, Budget{.name = "monthly", .amount = "5"}).status();
  CHECK(taken.code() == StatusCode::kAlreadyExists);
  CHECK(taken.reason() == "budget_name_taken");
  CHECK(taken.http_status() == 409);
  CHECK(admin.UpdateBudget(t, *team.id, BudgetPatch{.name = "monthly"}).status().reason() == "budget_name_taken");
  const Status invalid =
      admin.CreateBudget(t, Budget{.name = "spare", .amount = "10.5", .thresholds = {80, 50}}).status();
  CHECK(invalid.reason() == "validation_failed");
  CHECK(invalid.http_status() == 400);
  std::vector<std::string> fields;
  for (const auto& v : invalid.violations()) fields.push_back(v.field);
  std::sort(fields.begin(), fields.end());
  CHECK(fields == std::vector<std::string>{"amount", "thresholds"});  // KRW has no minor unit; not ascending
  CHECK(viewer.CreateBudget(t, Budget{.name = "v", .amount = "5"}).status().code() == StatusCode::kPermissionDenied);
  CHECK(viewer.DeleteBudget(t, *team.id).code() == StatusCode::kPermissionDenied);
  const std::string other = c->CreateTenant("other", "KR", "KRW");
  const Client stranger = SdkClient(c->address(), c->CreateKey(other, "tenant-admin"));
  CHECK(stranger.GetBudget(Tid(other), *monthly.id).status().code() == StatusCode::kNotFound);
  CHECK(stranger.GetBudget(t, *monthly.id).status().code() == StatusCode::kNotFound);

  Ok(admin.DeleteBudget(t, *team.id));
  CHECK(viewer.GetBudget(t, *team.id).status().code() == StatusCode::kNotFound);
  CHECK(admin.DeleteBudget(t, *team.id).code() == StatusCode::kNotFound);
  CHECK(Ok(CollectAll(viewer.ListBudgets(t))).size() == 1);
}
