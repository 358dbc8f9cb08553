// Billing: prices (operators), tenants' contracted discounts, usage so far, the live draft
// invoice, issued invoices (finalize, pay, void), usage events from meters, credit grants and
// the billing mode, exports streamed to a sink, and budgets. Amounts stay the decimal strings
// the server computed.
#include <stop_token>

#include "client/client_impl.h"
#include "internal/problem.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

// Streams the export at `path` to `sink`. The first byte given to the sink ends the retries:
// from then on a broken transfer is an error of the whole call, not a reason to try again.
StatusOr<ExportResult> Export(const ClientImpl& impl, std::vector<std::string> path, const ExportQuery& query,
                              const ExportSink& sink) {
  Call call = Get(std::move(path),
                  {{"period", query.period}, {"format", query.format}, {"compression", query.gzip ? "gzip" : ""}});
  call.headers.emplace_back("Accept", "text/csv, application/jsonl, application/gzip, application/problem+json");
  std::int64_t bytes = 0;
  bool cancelled = false;
  auto on_data = [&](std::string_view piece) {
    bytes += static_cast<std::int64_t>(piece.size());
    cancelled = !sink(piece);
    return !cancelled;
  };
  const auto idle = impl.options().request_timeout;
  auto attempt = [&](const internal::HttpRequest& req,
                     internal::Deadline deadline) -> StatusOr<internal::HttpResponse> {
    auto r = impl.transport().Stream(req, deadline, idle, std::stop_token(), internal::Deadline::max(), on_data);
    if (r.ok() || bytes == 0) return r;
    return Unavailable("the export broke after " + std::to_string(bytes) +
                           " bytes; what was received is incomplete, export again: " + r.status().message(),
                       "export_incomplete")
        .WithExtra("bytes", std::to_string(bytes));
  };
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl.ExecuteWith(call, attempt));
  if (r.status < 200 || r.status >= 300) {
    return internal::StatusFromProblem(r.status, r.body, r.Header("X-Request-Id").value_or(""));
  }
  if (cancelled) {
    return Status(StatusCode::kCancelled, "export_cancelled",
                  "the export was stopped by its sink after " + std::to_string(bytes) + " bytes");
  }
  ExportResult out{.content_type = r.Header("Content-Type").value_or(""), .bytes = bytes};
  const std::string disposition = r.Header("Content-Disposition").value_or("");
  if (const auto at = disposition.find("filename=\""); at != std::string::npos) {
    const auto from = at + 10, to = disposition.find('"', from);
    if (to != std::string::npos) out.filename = disposition.substr(from, to - from);
  }
  return out;
}

}  // namespace

ListRange<Price> Client::ListPrices(PriceFilter filter, ListOptions list) const {
  internal::Query q = {{"sku", std::move(filter.sku)}, {"currency", std::move(filter.currency)}};
  return PagedList<Price>(impl_, Get({"v1", "admin", "prices"}, std::move(q)), list);
}

StatusOr<Price> Client::CreatePrice(const Price& price) const {
  return Fetch<Price>(*impl_, Post({"v1", "admin", "prices"}, RequestBody(price)));
}

StatusOr<Discounts> Client::SetDiscounts(const TenantId& tenant, const Discounts& discounts) const {
  return Fetch<Discounts>(*impl_, Put({"v1", "admin", "tenants", tenant.str(), "discounts"}, RequestBody(discounts)));
}

StatusOr<Discounts> Client::GetDiscounts(const TenantId& tenant) const {
  return Fetch<Discounts>(*impl_, Get(TenantPath(tenant, {"discounts"})));
}

StatusOr<UsageReport> Client::GetUsage(const TenantId& tenant, UsageQuery query) const {
  // Empty values are left out of the query string: the server's defaults apply.
  internal::Query q = {{"from", query.from ? FormatTimestamp(*query.from) : ""},
                       {"to", query.to ? FormatTimestamp(*query.to) : ""},
                       {"group_by", std::move(query.group_by)}};
  return Fetch<UsageReport>(*impl_, Get(TenantPath(tenant, {"usage"}), std::move(q)));
}

StatusOr<Invoice> Client::GetDraftInvoice(const TenantId& tenant, std::optional<std::string> period) const {
  internal::Query q = {{"period", period.value_or("")}};
  return Fetch<Invoice>(*impl_, Get(TenantPath(tenant, {"invoices", "draft"}), std::move(q)));
}

ListRange<Invoice> Client::ListInvoices(const TenantId& tenant, ListOptions list) const {
  return PagedList<Invoice>(impl_, Get(TenantPath(tenant, {"invoices"})), list);
}

StatusOr<Invoice> Client::GetInvoice(const TenantId& tenant, const InvoiceId& invoice) const {
  return Fetch<Invoice>(*impl_, Get(TenantPath(tenant, {"invoices", invoice.str()})));
}

StatusOr<Invoice> Client::FinalizeInvoice(const TenantId& tenant, std::optional<std::string> period) const {
  const FinalizeRequest req{.period = period.value_or("")};  // empty: the server's default, the last month
  return Fetch<Invoice>(*impl_,
                        Post({"v1", "admin", "tenants", tenant.str(), Action("invoices", "finalize")}, RequestBody(req)));
}

StatusOr<Invoice> Client::PayInvoice(const TenantId& tenant, const InvoiceId& invoice) const {
  return Fetch<Invoice>(*impl_,
                        Post({"v1", "admin", "tenants", tenant.str(), "invoices", Action(invoice.str(), "pay")}));
}

StatusOr<Invoice> Client::VoidInvoice(const TenantId& tenant, const InvoiceId& invoice,
                                      const VoidRequest& request) const {
  return Fetch<Invoice>(*impl_, Post({"v1", "admin", "tenants", tenant.str(), "invoices", Action(invoice.str(), "void")},
                                     RequestBody(request)));
}

StatusOr<UsageEventResult> Client::IngestUsageEvents(const UsageEventBatch& batch) const {
  return Fetch<UsageEventResult>(*impl_, Post({"v1", "usage-events"}, RequestBody(batch)));
}

StatusOr<CreditGrant> Client::GrantCredit(const TenantId& tenant, const CreditGrant& grant) const {
  return Fetch<CreditGrant>(*impl_, Post({"v1", "admin", "tenants", tenant.str(), "credits"}, RequestBody(grant)));
}

StatusOr<CreditSummary> Client::GetCredits(const TenantId& tenant) const {
  return Fetch<CreditSummary>(*impl_, Get(TenantPath(tenant, {"credits"})));
}

StatusOr<BillingMode> Client::SetBillingMode(const TenantId& tenant, const std::string& mode) const {
  return Fetch<BillingMode>(*impl_,
                            Put({"v1", "admin", "tenants", tenant.str(), "billing-mode"}, RequestBody(BillingMode{mode})));
}

StatusOr<ExportResult> Client::ExportBilling(const TenantId& tenant, const ExportQuery& query,
                                            const ExportSink& sink) const {
  return Export(*impl_, TenantPath(tenant, {"exports"}), query, sink);
}

StatusOr<ExportResult> Client::ExportBillingAllTenants(const ExportQuery& query, const ExportSink& sink) const {
  return Export(*impl_, {"v1", "admin", "exports"}, query, sink);
}

StatusOr<Budget> Client::CreateBudget(const TenantId& tenant, const Budget& budget) const {
  return Fetch<Budget>(*impl_, Post(TenantPath(tenant, {"budgets"}), RequestBody(budget)));
}

ListRange<Budget> Client::ListBudgets(const TenantId& tenant, ListOptions list) const {
  return PagedList<Budget>(impl_, Get(TenantPath(tenant, {"budgets"})), list);
}

StatusOr<Budget> Client::GetBudget(const TenantId& tenant, const BudgetId& budget) const {
  return Fetch<Budget>(*impl_, Get(TenantPath(tenant, {"budgets", budget.str()})));
}

StatusOr<Budget> Client::UpdateBudget(const TenantId& tenant, const BudgetId& budget, const BudgetPatch& patch) const {
  return Fetch<Budget>(*impl_, Patch(TenantPath(tenant, {"budgets", budget.str()}), RequestBody(patch), std::nullopt));
}

Status Client::DeleteBudget(const TenantId& tenant, const BudgetId& budget) const {
  return FetchNothing(*impl_, Delete(TenantPath(tenant, {"budgets", budget.str()})));
}

}  // namespace gaon
