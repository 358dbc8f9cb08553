// Billing repository: reference data (currencies, tax rates, prices), tenants' discounts, and
// what a tenant owes — usage so far and the live draft invoice — computed by gaon_rate()
// (migration 0008) in PostgreSQL numeric. Every function runs in the caller's transaction;
// amounts cross into C++ only as decimal text.
#pragma once

#include <optional>
#include <string>

#include "gaon/model/billing.h"
#include "gaon/model/compute.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// Loads every ISO 4217 currency, the catalog's tax rates, and its prices. A price row is only
// added, never changed: a row dated in the past is added only for a SKU and currency that have
// no price yet (the first load), so editing the file cannot rewrite what was billed. Returns
// how many dated-in-the-past rows were left out. Needs platform access.
StatusOr<int> SeedBilling(Tx& tx, const BillingCatalog& billing);

struct PriceFilter {
  std::optional<std::string> sku;
  std::optional<std::string> currency;
};
StatusOr<Page<Price>> ListPrices(Tx& tx, const PriceFilter& filter, const ListQuery& q);
// A new price from `effective_from`, which must not be in the past (FailedPrecondition
// "price_in_past"); AlreadyExists("price_exists") for the same SKU, currency and time.
StatusOr<Price> InsertPrice(Tx& tx, const Price& p);

StatusOr<Discounts> GetDiscounts(Tx& tx, const TenantId& tenant);
Status SetDiscounts(Tx& tx, const TenantId& tenant, const Discounts& d);

// Charges in [start, end) as of now, grouped by "day" (and SKU) or "resource" (and SKU).
StatusOr<UsageReport> UsageOf(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end,
                              const std::string& group_by);
// The invoice [start, end) would be if it closed now: lines rounded once each (corrections of
// earlier invoiced periods included), tax on the rounded subtotal.
StatusOr<Invoice> DraftInvoice(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end);

// The live (not void) invoice of the period, if any.
StatusOr<std::optional<Invoice>> LiveInvoice(Tx& tx, const TenantId& tenant, Timestamp start);
// Finalizes the invoice of [start, end) as of now: numbered `KR1-202611-NNNNNN` (the region's
// jurisdiction and number — "kr-central-1" → KR1 — and the month) from a gap-free counter
// per prefix, immutable from the moment it is written. Finalizations of one tenant are
// serialized; when the period already has a live invoice, that one is returned and
// `*created` is false. Needs platform access (the counter).
StatusOr<Invoice> FinalizeInvoice(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end,
                                  const std::optional<InvoiceId>& replaces, bool* created);
// Tenants that may owe something for [start, end) and have no live invoice of it yet: usage
// in it, or a live invoice in the year before (a correction may be due). Platform access.
StatusOr<std::vector<TenantId>> TenantsToInvoice(Tx& tx, Timestamp start, Timestamp end);
StatusOr<Invoice> GetInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id);
// Newest period first; without lines.
StatusOr<Page<Invoice>> ListInvoices(Tx& tx, const TenantId& tenant, const ListQuery& q);
// finalized → paid (a repeat changes nothing). FailedPrecondition("invoice_void") for a void one.
StatusOr<Invoice> PayInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id);
// finalized or paid → void. FailedPrecondition("invoice_void") when it already is.
// Writes a batch of usage events in the caller's transaction, deduplicated on (tenant, source,
// event id): a repeat with the same payload counts as a duplicate, the same id with another
// payload fails the batch (FailedPrecondition "event_id_reused", nothing written). NotFound
// for an unknown tenant.
StatusOr<UsageEventResult> IngestUsageEvents(Tx& tx, const UsageEventBatch& batch);
// Credits: a grant in the tenant's billing currency; the balance and month to date; the
// billing mode.
StatusOr<CreditGrant> GrantCredit(Tx& tx, const TenantId& tenant, const CreditGrant& grant);
StatusOr<CreditSummary> Credits(Tx& tx, const TenantId& tenant);
Status SetBillingMode(Tx& tx, const TenantId& tenant, const std::string& mode);
// OK, or for a prepaid tenant whose credit balance does not cover its month so far,
// FailedPrecondition("insufficient_credit"). Postpaid tenants always pass.
Status CheckPrepaid(Tx& tx, const TenantId& tenant);
// The same, queued to travel with the transaction's next statement (see Pending).
Pending<Status> QueueCheckPrepaid(Tx& tx, const TenantId& tenant);
StatusOr<Invoice> VoidInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id, const std::string& reason);

}  // namespace gaon::storage
