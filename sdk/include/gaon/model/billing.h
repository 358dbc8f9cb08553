// Wire types for billing: prices, tax rates, discounts, usage reports and invoices. Money and
// quantities travel as decimal strings ("4500000", "2.4900") — never binary floating point;
// the server computes them with PostgreSQL numeric (docs/billing.md).
// Shared by gaond and the SDK; Fields() lists drive the JSON codecs in json_io.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/ids.h"
#include "gaon/model/json_io.h"
#include "gaon/time.h"

namespace gaon {

// A price of one SKU in one currency from `effective_from` until the SKU's next price. SKUs:
// gpu-hour.<gpu type> (instances), endpoint-replica-hour.<gpu type> (endpoint replicas),
// tokens-input.<model> and tokens-output.<model> (per million tokens).
struct Price {
  std::string sku;
  std::string currency;
  std::string unit;        // gpu-hour | million-tokens
  std::string unit_price;  // decimal, in `currency`
  Timestamp effective_from{};
  std::string description;
  std::optional<Timestamp> created_at;
  template <class V>
  void Fields(V& v) {
    v("sku", sku, Field::kRequired);
    v("currency", currency, Field::kRequired);
    v("unit", unit, Field::kRequired);
    v("unit_price", unit_price, Field::kRequired);
    v("effective_from", effective_from, Field::kRequired);
    v("description", description);
    v("created_at", created_at, Field::kOutputOnly);
  }
};

struct TaxRate {
  std::string jurisdiction;  // ISO 3166-1 alpha-2
  std::string percent;       // decimal: "10"
  std::string name;          // "VAT"
  template <class V>
  void Fields(V& v) {
    v("jurisdiction", jurisdiction);
    v("percent", percent);
    v("name", name);
  }
};

// What the catalog file says about money: tax rates and the prices it seeds.
struct BillingCatalog {
  std::string issuer = "Gaon";  // who issues the invoices (FOCUS InvoiceIssuerName, ProviderName)
  std::vector<TaxRate> tax_rates;
  std::vector<Price> prices;
};

// PUT /v1/admin/tenants/{tenant}/discounts: the tenant's contracted discounts, replacing the
// previous set. Keys are SKUs, or "*" for every SKU; values are percentages ("12.5").
struct Discounts {
  std::map<std::string, std::string> percent;
  template <class V>
  void Fields(V& v) {
    v("percent", percent, Field::kRequired);
  }
};

// GET /v1/tenants/{tenant}/usage: charges so far, unrounded, grouped by day and SKU or by
// resource and SKU.
struct UsageRow {
  std::optional<std::string> date;  // YYYY-MM-DD (UTC), when grouped by day
  std::string sku;
  std::optional<std::string> resource_kind;  // instance | replica | endpoint, when grouped by resource
  std::optional<std::string> resource_id;
  std::string unit;
  std::string quantity;
  std::string amount;  // after discounts, not rounded
  template <class V>
  void Fields(V& v) {
    v("date", date);
    v("sku", sku);
    v("resource_kind", resource_kind);
    v("resource_id", resource_id);
    v("unit", unit);
    v("quantity", quantity);
    v("amount", amount);
  }
};

struct UsageReport {
  Timestamp period_start{};
  Timestamp period_end{};
  Timestamp as_of{};
  std::string currency;
  std::string group_by;  // day | resource
  std::vector<UsageRow> items;
  template <class V>
  void Fields(V& v) {
    v("period_start", period_start);
    v("period_end", period_end);
    v("as_of", as_of);
    v("currency", currency);
    v("group_by", group_by);
    v("items", items);
  }
};

// One line: a SKU at one unit price and discount. `amount` is `amount_unrounded` rounded once,
// half away from zero, to the currency's minor unit.
struct InvoiceLine {
  std::optional<std::string> charge_class;  // "Correction": late charges of an earlier invoiced period
  Timestamp charge_period_start{};
  Timestamp charge_period_end{};
  std::string sku;
  std::string unit;
  std::string quantity;
  std::string unit_price;
  std::string discount_percent;
  std::string list_amount;       // quantity × unit price, unrounded
  std::string amount_unrounded;  // after the discount
  std::string amount;
  template <class V>
  void Fields(V& v) {
    v("charge_class", charge_class);
    v("charge_period_start", charge_period_start);
    v("charge_period_end", charge_period_end);
    v("sku", sku);
    v("unit", unit);
    v("quantity", quantity);
    v("unit_price", unit_price);
    v("discount_percent", discount_percent);
    v("list_amount", list_amount);
    v("amount_unrounded", amount_unrounded);
    v("amount", amount);
  }
};

// States: draft (computed live, never stored) → finalized (immutable, numbered) → paid, or
// void (a re-issue names the invoice it replaces).
struct Invoice {
  std::optional<InvoiceId> id;  // none for a draft computed live
  std::optional<std::string> number;  // "KR1-202611-000042": gap-free per region and month
  TenantId tenant_id;
  std::string state = "draft";
  Timestamp period_start{};  // UTC calendar month, half-open
  Timestamp period_end{};
  Timestamp as_of{};
  std::string currency;
  std::vector<InvoiceLine> lines;
  std::string subtotal;     // sum of the rounded lines
  std::string tax_percent;  // the tenant's jurisdiction's
  std::string tax;          // subtotal × tax percent, rounded once
  std::string total;
  std::string credits_applied = "0";  // burnt from the tenant's credit grants (a draft: would be)
  std::string amount_due = "0";       // total − credits
  std::optional<Timestamp> finalized_at;
  std::optional<Timestamp> paid_at;
  std::optional<Timestamp> voided_at;
  std::optional<std::string> void_reason;
  std::optional<InvoiceId> replaces_invoice_id;
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("number", number);
    v("tenant_id", tenant_id);
    v("state", state);
    v("period_start", period_start);
    v("period_end", period_end);
    v("as_of", as_of);
    v("currency", currency);
    v("lines", lines);
    v("subtotal", subtotal);
    v("tax_percent", tax_percent);
    v("tax", tax);
    v("total", total);
    v("credits_applied", credits_applied);
    v("amount_due", amount_due);
    v("finalized_at", finalized_at);
    v("paid_at", paid_at);
    v("voided_at", voided_at);
    v("void_reason", void_reason);
    v("replaces_invoice_id", replaces_invoice_id);
  }
};

// POST /v1/admin/tenants/{tenant}/invoices:finalize — the month to close (default: the last
// one). POST …/invoices/{invoice}:void takes a reason; with reissue, a new invoice for the
// same period is finalized at once and names the voided one.
struct FinalizeRequest {
  std::string period;  // "2026-11"
  template <class V>
  void Fields(V& v) {
    v("period", period);
  }
};

struct VoidRequest {
  std::string reason;
  bool reissue = false;
  template <class V>
  void Fields(V& v) {
    v("reason", reason, Field::kRequired);
    v("reissue", reissue);
  }
};

// A credit grant: prepaid (bought) or promotional, in the tenant's billing currency, burnt at
// invoicing (docs/billing.md has the order) until used up or expired.
struct CreditGrant {
  std::optional<CreditId> id;
  std::string kind;  // prepaid | promotional
  std::string amount;
  std::string remaining;
  std::string currency;
  std::optional<Timestamp> expires_at;
  std::string description;
  std::optional<Timestamp> created_at;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("kind", kind, Field::kRequired);
    v("amount", amount, Field::kRequired);
    v("remaining", remaining, Field::kOutputOnly);
    v("currency", currency, Field::kOutputOnly);
    v("expires_at", expires_at);
    v("description", description);
    v("created_at", created_at, Field::kOutputOnly);
  }
};

struct CreditSummary {
  std::string billing_mode;  // postpaid | prepaid
  std::string currency;
  std::string balance;       // what unexpired grants have left
  std::string month_to_date; // the current month's draft total, not yet invoiced
  std::vector<CreditGrant> grants;
  template <class V>
  void Fields(V& v) {
    v("billing_mode", billing_mode);
    v("currency", currency);
    v("balance", balance);
    v("month_to_date", month_to_date);
    v("grants", grants);
  }
};

// PUT /v1/admin/tenants/{tenant}/billing-mode. A prepaid tenant whose balance does not cover
// its month so far cannot launch anything new (409 insufficient_credit); nothing running stops.
struct BillingMode {
  std::string mode;
  template <class V>
  void Fields(V& v) {
    v("mode", mode, Field::kRequired);
  }
};

// POST /v1/usage-events: counted usage from a meter (the inference gateway, …), in batches.
struct UsageEventInput {
  TenantId tenant_id;
  std::string event_id;  // unique per source and tenant: a repeat is a no-op
  std::string meter;     // "tokens-input", "tokens-output", … (rated when a SKU <meter>.<attributes.model> has a price)
  std::string quantity;  // decimal
  Timestamp time{};
  std::optional<std::string> resource_kind;
  std::optional<std::string> resource_id;
  std::map<std::string, std::string> attributes;
  template <class V>
  void Fields(V& v) {
    v("tenant_id", tenant_id, Field::kRequired);
    v("event_id", event_id, Field::kRequired);
    v("meter", meter, Field::kRequired);
    v("quantity", quantity, Field::kRequired);
    v("time", time, Field::kRequired);
    v("resource_kind", resource_kind);
    v("resource_id", resource_id);
    v("attributes", attributes);
  }
};

struct UsageEventBatch {
  std::string source;  // the meter sending them ("gateway-kr-central-1a")
  std::vector<UsageEventInput> events;
  template <class V>
  void Fields(V& v) {
    v("source", source, Field::kRequired);
    v("events", events, Field::kRequired);
  }
};

struct UsageEventResult {
  int accepted = 0;    // new events written
  int duplicates = 0;  // already there with the same payload: nothing written
  template <class V>
  void Fields(V& v) {
    v("accepted", accepted);
    v("duplicates", duplicates);
  }
};

// A tenant's monthly budget (docs/billing.md, "Budgets"): alerts — an event on the tenant's
// change feed and an audit entry — when the month's cost so far (after discounts, before tax
// and credits) crosses each threshold, once per UTC calendar month.
struct BudgetAlert {
  int threshold = 0;   // percent of the amount
  std::string amount;  // the budget when it fired
  std::string spend;   // the month's cost so far when it fired
  Timestamp fired_at{};
  template <class V>
  void Fields(V& v) {
    v("threshold", threshold);
    v("amount", amount);
    v("spend", spend);
    v("fired_at", fired_at);
  }
};

struct Budget {
  std::optional<BudgetId> id;
  std::string name;
  std::string amount;            // per month, in the tenant's billing currency
  std::vector<int> thresholds;   // percents, ascending; default 50, 80, 100
  std::string currency;
  std::string spend;             // this month so far
  std::string percent_used;      // spend ÷ amount × 100, two decimals
  std::vector<BudgetAlert> alerts;  // this month's
  std::optional<Timestamp> created_at;
  std::optional<Timestamp> updated_at;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("name", name, Field::kRequired);
    v("amount", amount, Field::kRequired);
    v("thresholds", thresholds);
    v("currency", currency, Field::kOutputOnly);
    v("spend", spend, Field::kOutputOnly);
    v("percent_used", percent_used, Field::kOutputOnly);
    v("alerts", alerts, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
  }
};

// PATCH …/budgets/{budget}: the fields given change.
struct BudgetPatch {
  std::optional<std::string> name;
  std::optional<std::string> amount;
  std::optional<std::vector<int>> thresholds;
  template <class V>
  void Fields(V& v) {
    v("name", name);
    v("amount", amount);
    v("thresholds", thresholds);
  }
};

}  // namespace gaon
