// Billing, first part: prices (operators), tenants' contracted discounts, usage so far and the
// live draft invoice. Amounts stay the decimal strings the server computed.
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

}  // namespace gaon
