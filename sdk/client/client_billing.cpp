// Billing: prices (operators), tenants' contracted discounts, usage so far, the live draft
// invoice, issued invoices (finalize, pay, void), usage events from meters, credit grants and
// the billing mode. Amounts stay the decimal strings the server computed.
#include "client/client_impl.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

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

}  // namespace gaon
