// Billing: prices (operators add, never change), tenants' contracted discounts, usage so far,
// the live draft, invoices (finalize, pay, void), usage events, credits and billing modes,
// budgets, and exports. Amounts are computed in PostgreSQL numeric and travel as decimal
// strings (docs/billing.md).
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "api/context.h"
#include "api/gzip.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "core/catalog_loader.h"
#include "core/iso.h"
#include "core/log.h"
#include "gaon/model/compute.h"
#include "storage/billing.h"
#include "storage/budgets.h"
#include "storage/exports.h"
#include "storage/tenants.h"

namespace gaon::api {
namespace {

using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr auto kMaxUsageRange = std::chrono::days(366);

// The UTC calendar month containing `t`, or the one `period` ("2026-11") names.
StatusOr<std::pair<Timestamp, Timestamp>> Month(std::optional<std::string_view> period) {
  year_month_day ymd{std::chrono::floor<std::chrono::days>(Now())};
  if (period) {
    int y = 0;
    unsigned m = 0;
    char tail = 0;
    if (period->size() != 7 || std::sscanf(std::string(*period).c_str(), "%4d-%2u%c", &y, &m, &tail) != 2 || m < 1 ||
        m > 12 || y < 2000 || y > 9999) {
      return ValidationFailed({{"period", "invalid", "must be a month such as 2026-11"}});
    }
    ymd = year_month_day{std::chrono::year(y), std::chrono::month(m), std::chrono::day(1)};
  }
  const auto first = std::chrono::year_month_day{ymd.year(), ymd.month(), std::chrono::day(1)};
  const auto next = first + std::chrono::months(1);
  return std::make_pair(Timestamp(sys_days(first)), Timestamp(sys_days(next)));
}

StatusOr<Timestamp> TimeParam(const RequestContext& ctx, std::string_view name, Timestamp fallback) {
  const auto v = ctx.request.Query(name);
  if (!v) return fallback;
  auto t = ParseTimestamp(*v);
  if (!t) return ValidationFailed({{std::string(name), "invalid", "must be an RFC 3339 time such as 2026-11-01T00:00:00Z"}});
  return *t;
}

}  // namespace

Handler ListPrices() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    storage::PriceFilter f;
    if (auto v = ctx.request.Query("sku")) f.sku = std::string(*v);
    if (auto v = ctx.request.Query("currency")) f.currency = std::string(*v);
    ASSIGN_OR_RETURN(auto page, storage::ListPrices(ctx.Tx(), f, q));
    return PageResponse(std::move(page));
  };
}

Handler CreatePrice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Price req, ctx.Body<Price>());
    Validator v;
    const auto unit = SkuUnit(req.sku);
    v.Require(unit.has_value() && req.sku.size() <= 128, "sku", "invalid",
              "must be gpu-hour.<gpu type>, endpoint-replica-hour.<gpu type>, tokens-input.<model> or "
              "tokens-output.<model>");
    if (unit) v.Require(req.unit == *unit, "unit", "mismatch", req.sku + " is priced per " + *unit);
    v.Require(CurrencyMinorUnits(req.currency).has_value(), "currency", "invalid", "must be an ISO 4217 code");
    v.Require(IsDecimalAmount(req.unit_price), "unit_price", "invalid",
              "must be a non-negative decimal string such as \"4500\" or \"2.99\"");
    v.Length("description", req.description, 256);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Price created, storage::InsertPrice(ctx.Tx(), req));
    ctx.audit = {"price", created.sku + "/" + created.currency, ToJson(created), std::nullopt};
    return Json(201, created);
  };
}

Handler GetDiscounts() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Discounts d, storage::GetDiscounts(ctx.Tx(), *ctx.tenant));
    return Json(200, d);
  };
}

Handler SetDiscounts() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Discounts req, ctx.Body<Discounts>());
    Validator v;
    v.Require(req.percent.size() <= 256, "percent", "too_many", "at most 256 discounts");
    for (const auto& [sku, percent] : req.percent) {
      const std::string field = "percent." + sku;
      v.Require(sku == "*" || SkuUnit(sku).has_value(), field, "invalid", "must be a SKU or * for every SKU");
      const bool number = IsDecimalAmount(percent);
      v.Require(number, field, "invalid", "must be a decimal percentage such as \"12.5\"");
      if (number) {
        const bool zero = percent.find_first_not_of("0.") == std::string::npos;
        const auto dot = percent.find('.');
        const std::string whole = percent.substr(0, dot);
        const bool over = std::stoll(whole) > 100 ||
                          (std::stoll(whole) == 100 && dot != std::string::npos &&
                           percent.find_first_not_of('0', dot + 1) != std::string::npos);
        v.Require(!zero && !over, field, "out_of_range", "must be more than 0 and at most 100");
      }
    }
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Discounts before, storage::GetDiscounts(ctx.Tx(), *ctx.tenant));
    RETURN_IF_ERROR(storage::SetDiscounts(ctx.Tx(), *ctx.tenant, req));
    ctx.audit = {"discounts", ctx.tenant->str(), boost::json::object{{"from", ToJson(before)}, {"to", ToJson(req)}},
                 std::nullopt};
    return Json(200, req);
  };
}

Handler GetUsage() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto month, Month(std::nullopt));
    ASSIGN_OR_RETURN(Timestamp from, TimeParam(ctx, "from", month.first));
    ASSIGN_OR_RETURN(Timestamp to, TimeParam(ctx, "to", month.second));
    const std::string group_by(ctx.request.Query("group_by").value_or("day"));
    Validator v;
    v.Require(from < to, "to", "invalid", "must be after from");
    v.Require(to - from <= kMaxUsageRange, "to", "out_of_range", "a usage report spans at most 366 days");
    v.Require(group_by == "day" || group_by == "resource", "group_by", "invalid", "must be day or resource");
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(UsageReport u, storage::UsageOf(ctx.Tx(), *ctx.tenant, from, to, group_by));
    return Json(200, u);
  };
}

Handler GetDraftInvoice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto month, Month(ctx.request.Query("period")));
    ASSIGN_OR_RETURN(auto live, storage::LiveInvoice(ctx.Tx(), *ctx.tenant, month.first));
    if (live) {
      return FailedPrecondition("the period is invoiced as " + *live->number + " (" + live->id->str() +
                                    "); later charges to it go to the next invoice as corrections",
                                "invoice_finalized");
    }
    ASSIGN_OR_RETURN(Invoice inv, storage::DraftInvoice(ctx.Tx(), *ctx.tenant, month.first, month.second));
    return Json(200, inv);
  };
}

namespace {

bool IsToken(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

constexpr std::size_t kMaxEventsPerBatch = 1000;
constexpr auto kClockSkew = std::chrono::minutes(5);

}  // namespace

Handler IngestUsageEvents(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(UsageEventBatch req, ctx.Body<UsageEventBatch>());
    // The open period takes events; the one before it too while its grace period lasts.
    ASSIGN_OR_RETURN(auto month, Month(std::nullopt));
    Timestamp earliest = month.first;
    if (Now() < month.first + services.config->billing_grace_period) {
      const year_month_day first{std::chrono::floor<std::chrono::days>(month.first)};
      earliest = Timestamp(sys_days(first - std::chrono::months(1)));
    }
    Validator v;
    v.Require(IsToken(req.source, 64), "source", "invalid", "must be 1–64 of a-z, 0-9, '-', '.', '_'");
    v.Require(!req.events.empty() && req.events.size() <= kMaxEventsPerBatch, "events", "invalid",
              "a batch holds 1–1000 events");
    std::set<std::pair<std::string, std::string>> seen;
    std::optional<std::string> too_late;
    for (std::size_t i = 0; i < req.events.size() && i < kMaxEventsPerBatch; ++i) {
      const auto& e = req.events[i];
      const std::string at = "events[" + std::to_string(i) + "].";
      const bool printable = !e.event_id.empty() && e.event_id.size() <= 128 &&
                             std::all_of(e.event_id.begin(), e.event_id.end(), [](char c) { return c > 32 && c < 127; });
      v.Require(printable, at + "event_id", "invalid", "must be 1–128 printable characters");
      v.Require(seen.emplace(e.tenant_id.str(), e.event_id).second, at + "event_id", "duplicate",
                "appears twice in the batch");
      v.Require(IsToken(e.meter, 64), at + "meter", "invalid", "must be 1–64 of a-z, 0-9, '-', '.', '_'");
      v.Require(IsDecimalAmount(e.quantity), at + "quantity", "invalid", "must be a non-negative decimal string");
      v.Require(e.time <= Now() + kClockSkew, at + "time", "in_future", "must not be in the future");
      if (e.time < earliest && !too_late) too_late = at + "time";
      if (e.resource_kind) v.Require(IsToken(*e.resource_kind, 32), at + "resource_kind", "invalid", "must be a short token");
      if (e.resource_id) v.Length(at + "resource_id", *e.resource_id, 128);
      v.Require(e.attributes.size() <= 16, at + "attributes", "too_many", "at most 16");
      for (const auto& [k, val] : e.attributes) {
        v.Require(IsToken(k, 64) && val.size() <= 256, at + "attributes." + k, "invalid",
                  "keys are short tokens, values at most 256 characters");
      }
    }
    RETURN_IF_ERROR(v.status());
    if (too_late) {
      return InvalidArgument(*too_late + " is before " + FormatTimestamp(earliest) +
                                 ": that period is closed (its grace period has passed); nothing was written",
                             "event_too_late")
          .WithViolations({{*too_late, "too_late", "must be at or after " + FormatTimestamp(earliest)}});
    }
    ASSIGN_OR_RETURN(UsageEventResult out, storage::IngestUsageEvents(ctx.Tx(), req));
    ctx.audit = {"usage_events", req.source,
                 boost::json::object{{"events", static_cast<std::int64_t>(req.events.size())},
                                     {"accepted", out.accepted},
                                     {"duplicates", out.duplicates}},
                 std::nullopt};
    return Json(200, out);
  };
}

namespace {

// A positive decimal string in `currency`, with no more decimals than its minor units.
void RequireAmount(Validator& v, const std::string& field, const std::string& amount, const std::string& currency) {
  const bool positive = IsDecimalAmount(amount) && amount.find_first_not_of("0.") != std::string::npos;
  v.Require(positive, field, "invalid", "must be a positive decimal string in the tenant's billing currency");
  if (!positive) return;
  const auto dot = amount.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(amount.size() - dot - 1);
  const int minor = CurrencyMinorUnits(currency).value_or(2);
  v.Require(decimals <= minor, field, "too_precise",
            "has more decimals than " + currency + " has minor units (" + std::to_string(minor) + ")");
}

}  // namespace

Handler GrantCredit() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(CreditGrant req, ctx.Body<CreditGrant>());
    Validator v;
    v.Require(req.kind == "prepaid" || req.kind == "promotional", "kind", "invalid", "must be prepaid or promotional");
    ASSIGN_OR_RETURN(const Tenant tenant, storage::GetTenant(ctx.Tx(), *ctx.tenant));
    RequireAmount(v, "amount", req.amount, tenant.billing_currency);
    if (req.expires_at) v.Require(*req.expires_at > Now(), "expires_at", "in_past", "must be in the future");
    v.Length("description", req.description, 256);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(CreditGrant g, storage::GrantCredit(ctx.Tx(), *ctx.tenant, req));
    ctx.audit = {"credit", g.id->str(), ToJson(g), std::nullopt};
    return Json(201, g);
  };
}

Handler GetCredits() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(CreditSummary c, storage::Credits(ctx.Tx(), *ctx.tenant));
    return Json(200, c);
  };
}

Handler SetBillingMode() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(BillingMode req, ctx.Body<BillingMode>());
    if (req.mode != "prepaid" && req.mode != "postpaid") {
      return ValidationFailed({{"mode", "invalid", "must be prepaid or postpaid"}});
    }
    RETURN_IF_ERROR(storage::SetBillingMode(ctx.Tx(), *ctx.tenant, req.mode));
    ctx.audit = {"tenant", ctx.tenant->str(), boost::json::object{{"billing_mode", req.mode}}, std::nullopt};
    return Json(200, req);
  };
}

Handler ListInvoices() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListInvoices(ctx.Tx(), *ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetInvoice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InvoiceId id, ctx.PathId<InvoiceId>("invoice"));
    ASSIGN_OR_RETURN(Invoice inv, storage::GetInvoice(ctx.Tx(), *ctx.tenant, id));
    return Json(200, inv);
  };
}

namespace {

StatusOr<http::HttpResponse> Finalize(RequestContext& ctx, Timestamp start, Timestamp end,
                                      const std::optional<InvoiceId>& replaces) {
  bool created = false;
  ASSIGN_OR_RETURN(Invoice inv, storage::FinalizeInvoice(ctx.Tx(), *ctx.tenant, start, end, replaces, &created));
  ctx.audit = {"invoice", inv.id->str(),
               boost::json::object{{"number", *inv.number}, {"total", inv.total}, {"created", created},
                                   {"replaces", replaces ? boost::json::value(replaces->str()) : nullptr}},
               std::nullopt};
  return Json(created ? 201 : 200, inv);
}

}  // namespace

Handler FinalizeInvoice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(FinalizeRequest req, ctx.Body<FinalizeRequest>());
    ASSIGN_OR_RETURN(auto month, Month(req.period.empty() ? std::optional<std::string_view>() : req.period));
    if (req.period.empty()) {  // the last closed month
      const year_month_day first{std::chrono::floor<std::chrono::days>(month.first)};
      month = {Timestamp(sys_days(first - std::chrono::months(1))), month.first};
    }
    if (month.second > Now()) {
      return FailedPrecondition("the period has not ended yet: see the draft instead", "period_open");
    }
    return Finalize(ctx, month.first, month.second, std::nullopt);
  };
}

Handler PayInvoice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InvoiceId id, ctx.PathId<InvoiceId>("invoice"));
    ASSIGN_OR_RETURN(Invoice inv, storage::PayInvoice(ctx.Tx(), *ctx.tenant, id));
    ctx.audit = {"invoice", id.str(), boost::json::object{{"state", inv.state}}, std::nullopt};
    return Json(200, inv);
  };
}

Handler VoidInvoice() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InvoiceId id, ctx.PathId<InvoiceId>("invoice"));
    ASSIGN_OR_RETURN(VoidRequest req, ctx.Body<VoidRequest>());
    Validator v;
    v.Require(!req.reason.empty() && req.reason.size() <= 500, "reason", "invalid", "must be 1–500 characters");
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Invoice voided, storage::VoidInvoice(ctx.Tx(), *ctx.tenant, id, req.reason));
    if (req.reissue) return Finalize(ctx, voided.period_start, voided.period_end, id);
    ctx.audit = {"invoice", id.str(), boost::json::object{{"state", "void"}, {"reason", req.reason}}, std::nullopt};
    return Json(200, voided);
  };
}

// GET …/exports?period=2026-11&format=csv|jsonl|focus[&compression=gzip]: the period's
// charge rows, streamed as PostgreSQL produces them (docs/billing.md, "Exports"). The tenant's
// route exports that tenant; the operators' route every tenant, in one repeatable-read
// snapshot, so it equals the tenants' exports put together.
Handler ExportBilling(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto month, Month(ctx.request.Query("period")));
    const std::string format_name(ctx.request.Query("format").value_or("csv"));
    const auto format = storage::ParseExportFormat(format_name);
    if (!format) return ValidationFailed({{"format", "invalid", "must be csv, jsonl or focus"}});
    const std::string compression(ctx.request.Query("compression").value_or("none"));
    if (compression != "none" && compression != "gzip") {
      return ValidationFailed({{"compression", "invalid", "must be none or gzip"}});
    }
    const std::optional<TenantId> tenant = ctx.tenant;
    if (tenant) {  // a tenant that is not there is a 404, before any byte is sent
      RETURN_IF_ERROR(s.db->Transact({.tenant = tenant, .read_only = true, .name = "billing.export_tenant"},
                                     [&](storage::Tx& tx) { return storage::GetTenant(tx, *tenant).status(); }));
    } else {  // every tenant the file shows sees the operator's export in its audit log
      RETURN_IF_ERROR(s.db->Transact({.platform = true, .read_only = true, .name = "billing.export_tenants"},
                                     [&](storage::Tx& tx) -> Status {
                                       ASSIGN_OR_RETURN(ctx.audit.tenants,
                                                        storage::TenantsWithCharges(tx, month.first, month.second));
                                       return Status::Ok();
                                     }));
    }
    const year_month_day ymd{std::chrono::floor<std::chrono::days>(month.first)};
    char period[16];
    std::snprintf(period, sizeof period, "%04d-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
    const bool gzip = compression == "gzip";
    const std::string file = "gaon-" + (tenant ? tenant->str() : std::string("all")) + "-" + period + "-" +
                             format_name + (format_name == "jsonl" ? ".jsonl" : ".csv") + (gzip ? ".gz" : "");
    http::HttpResponse res;
    res.content_type = gzip ? "application/gzip"
                            : (*format == storage::ExportFormat::kJsonLines ? "application/jsonl; charset=utf-8"
                                                                            : "text/csv; charset=utf-8");
    res.Set("Content-Disposition", "attachment; filename=\"" + file + "\"");
    res.Set("Cache-Control", "no-store");
    res.stream = [&s, tenant, month, format = *format, gzip, request_id = ctx.request_id()](http::ResponseStream& out) {
      std::optional<GzipWriter> zip;
      if (gzip) zip.emplace([&out](std::string_view d) { return out.Write(d); });
      bool sent = false;
      auto sink = [&](std::string_view d) {
        sent = true;
        return zip ? zip->Write(d) : out.Write(d);
      };
      std::int64_t rows = 0;
      const Status st = s.db->Transact(
          {.tenant = tenant, .platform = !tenant, .isolation = storage::Isolation::kRepeatableRead, .read_only = true,
           .name = "billing.export"},
          [&](storage::Tx& tx) -> Status {
            // A retry (the connection was lost) would send rows twice: once bytes are out, fail.
            if (sent) return Unavailable("the export was interrupted", "export_interrupted");
            ASSIGN_OR_RETURN(rows, storage::StreamExport(tx, format, month.first, month.second, sink));
            return Status::Ok();
          });
      if (!st.ok() || (zip && !zip->Finish())) {
        LogWarn("billing export failed", {{"request_id", request_id}, {"error", st.message()}});
        out.Abort();
        return;
      }
      LogInfo("billing export", {{"request_id", request_id}, {"rows", rows}});
    };
    return res;
  };
}

// Budgets: tenant admins set them; whoever reads billing sees them with the month so far.
namespace {

void ValidateThresholds(Validator& v, const std::vector<int>& t) {
  v.Require(!t.empty() && t.size() <= 10, "thresholds", "invalid", "must list 1 to 10 percentages");
  v.Require(std::all_of(t.begin(), t.end(), [](int x) { return x >= 1 && x <= 1000; }), "thresholds", "invalid",
            "percentages must be 1 to 1000");
  v.Require(std::adjacent_find(t.begin(), t.end(), [](int a, int b) { return a >= b; }) == t.end(), "thresholds",
            "invalid", "must be ascending without repeats");
}

}  // namespace

Handler CreateBudget() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Budget req, ctx.Body<Budget>());
    if (req.thresholds.empty()) req.thresholds = {50, 80, 100};
    Validator v;
    v.Name("name", req.name);
    ValidateThresholds(v, req.thresholds);
    ASSIGN_OR_RETURN(const Tenant tenant, storage::GetTenant(ctx.Tx(), *ctx.tenant));
    RequireAmount(v, "amount", req.amount, tenant.billing_currency);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Budget b, storage::CreateBudget(ctx.Tx(), *ctx.tenant, req));
    ctx.audit = {"budget", b.id->str(),
                 boost::json::object{{"name", b.name}, {"amount", b.amount}, {"thresholds", ToJson(b.thresholds)}},
                 std::nullopt};
    return Json(201, b);
  };
}

Handler ListBudgets() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListBudgets(ctx.Tx(), *ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetBudget() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(BudgetId id, ctx.PathId<BudgetId>("budget"));
    ASSIGN_OR_RETURN(Budget b, storage::GetBudget(ctx.Tx(), *ctx.tenant, id));
    return Json(200, b);
  };
}

Handler PatchBudget() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(BudgetId id, ctx.PathId<BudgetId>("budget"));
    ASSIGN_OR_RETURN(BudgetPatch req, ctx.Body<BudgetPatch>());
    Validator v;
    if (req.name) v.Name("name", *req.name);
    if (req.thresholds) ValidateThresholds(v, *req.thresholds);
    if (req.amount) {
      ASSIGN_OR_RETURN(const Tenant tenant, storage::GetTenant(ctx.Tx(), *ctx.tenant));
      RequireAmount(v, "amount", *req.amount, tenant.billing_currency);
    }
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Budget b, storage::UpdateBudget(ctx.Tx(), *ctx.tenant, id, req));
    ctx.audit = {"budget", id.str(), ToJson(req), std::nullopt};
    return Json(200, b);
  };
}

Handler DeleteBudget() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(BudgetId id, ctx.PathId<BudgetId>("budget"));
    RETURN_IF_ERROR(storage::DeleteBudget(ctx.Tx(), *ctx.tenant, id));
    ctx.audit = {"budget", id.str(), nullptr, std::nullopt};
    return NoContent();
  };
}

}  // namespace gaon::api
