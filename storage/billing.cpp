#include "storage/billing.h"

#include <cstdio>

#include "core/iso.h"
#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr Sql kCurrencies{"billing.currencies",
                          "INSERT INTO currencies (code, minor_units) SELECT * FROM unnest($1::text[], $2::int[]) "
                          "ON CONFLICT (code) DO UPDATE SET minor_units = excluded.minor_units"};
constexpr Sql kTax{"billing.tax_rate",
                   "INSERT INTO tax_rates (jurisdiction, percent, name) VALUES ($1, $2::numeric, $3) ON CONFLICT "
                   "(jurisdiction) DO UPDATE SET percent = excluded.percent, name = excluded.name"};
// A past-dated row only when the SKU has no price in the currency yet.
constexpr Sql kSeedPrice{"billing.seed_price",
                         "INSERT INTO prices (sku, currency, unit, unit_price, effective_from, description) "
                         "SELECT $1, $2, $3, $4::numeric, $5::timestamptz, $6 WHERE $5::timestamptz >= now() OR NOT "
                         "EXISTS (SELECT 1 FROM prices WHERE sku = $1 AND currency = $2) ON CONFLICT DO NOTHING "
                         "RETURNING sku"};
constexpr Sql kPriceExists{"billing.price_exists",
                           "SELECT 1 FROM prices WHERE sku = $1 AND currency = $2 AND effective_from = $3::timestamptz"};
constexpr Sql kInsertPrice{"billing.insert_price",
                           "INSERT INTO prices (sku, currency, unit, unit_price, effective_from, description) SELECT $1, "
                           "$2, $3, $4::numeric, $5::timestamptz, $6 WHERE $5::timestamptz >= now() RETURNING "
                           "created_at, unit_price::text"};
constexpr Sql kDiscounts{"billing.discounts", "SELECT sku, percent::text FROM tenant_discounts WHERE tenant_id = $1"};
constexpr Sql kClearDiscounts{"billing.clear_discounts", "DELETE FROM tenant_discounts WHERE tenant_id = $1"};
constexpr Sql kSetDiscount{"billing.set_discount",
                           "INSERT INTO tenant_discounts (tenant_id, sku, percent) VALUES ($1, $2, $3::numeric)"};
constexpr Sql kUsageByDay{
    "billing.usage_by_day",
    "SELECT to_char(charge_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sku, unit, trim_scale(sum(quantity))::text, "
    "trim_scale(sum(amount))::text "
    "FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) GROUP BY 1, 2, 3 ORDER BY 1, 2"};
// Replica hours count for their endpoint, as on invoices and in exports.
constexpr Sql kUsageByResource{
    "billing.usage_by_resource",
    "SELECT CASE resource_kind WHEN 'replica' THEN 'endpoint' ELSE resource_kind END, CASE resource_kind WHEN "
    "'replica' THEN parent_resource_id ELSE resource_id END, sku, unit, trim_scale(sum(quantity))::text, "
    "trim_scale(sum(amount))::text FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) GROUP BY 1, 2, 3, 4 "
    "ORDER BY 2, 3"};
constexpr Sql kCurrency{"billing.currency",
                        "SELECT t.billing_currency, c.minor_units, coalesce(x.percent, 0)::text FROM tenants t JOIN "
                        "currencies c ON c.code = t.billing_currency LEFT JOIN tax_rates x ON x.jurisdiction = "
                        "t.jurisdiction WHERE t.tenant_id = $1"};
constexpr const char* kLineCols =
    "charge_class, charge_period_start, charge_period_end, sku, unit, trim_scale(quantity)::text, "
    "trim_scale(unit_price)::text, trim_scale(discount_percent)::text, trim_scale(list_amount)::text, "
    "trim_scale(amount_unrounded)::text, amount::text";
// The draft: gaon_invoice_lines (one line per SKU, unit price and discount, rounded once each,
// half away from zero — numeric round() — plus corrections), then the totals over them.
const Sql kLines{"billing.draft_lines",
                 KeepText(std::string("SELECT ") + kLineCols +
                          " FROM gaon_invoice_lines($1, $2::timestamptz, $3::timestamptz, now(), $4) ORDER BY "
                          "charge_class NULLS FIRST, charge_period_start, sku, unit_price, discount_percent")};
// Subtotal of the rounded lines; tax on the rounded subtotal, rounded once; the credits that
// would cover it.
constexpr Sql kTotals{
    "billing.draft_totals",
    "WITH s AS (SELECT coalesce(sum(amount), 0) AS subtotal FROM gaon_invoice_lines($1, $2::timestamptz, "
    "$3::timestamptz, now(), $4)), t AS (SELECT subtotal, subtotal + round(subtotal * $5::numeric / 100, $4) AS total "
    "FROM s), c AS (SELECT least(greatest(t.total, 0), coalesce((SELECT sum(remaining) FROM gaon_credit_balances($1, "
    "$6, now()) WHERE remaining > 0), 0)) AS credits FROM t) "
    "SELECT subtotal::text, (total - subtotal)::text, total::text, credits::text, (total - credits)::text FROM t, c"};
constexpr const char* kInvoiceCols =
    "invoice_id, number, tenant_id, state, period_start, period_end, currency, subtotal::text, tax_percent::text, "
    "tax::text, total::text, finalized_at, paid_at, voided_at, void_reason, replaces_invoice_id, "
    "credits_applied::text, amount_due::text";
const Sql kGetInvoice{"invoices.get", KeepText(std::string("SELECT ") + kInvoiceCols +
                                               " FROM invoices WHERE tenant_id = $1 AND invoice_id = $2")};
const Sql kLiveInvoice{"invoices.live",
                       KeepText(std::string("SELECT ") + kInvoiceCols +
                                " FROM invoices WHERE tenant_id = $1 AND period_start = $2::timestamptz AND state <> "
                                "'void' AND currency = (SELECT billing_currency FROM tenants WHERE tenant_id = $1)")};
const Sql kInvoiceLines{"invoices.lines", KeepText(std::string("SELECT ") + kLineCols +
                                                   " FROM invoice_lines WHERE tenant_id = $1 AND invoice_id = $2 "
                                                   "ORDER BY line_no")};
constexpr Sql kSerialize{"invoices.serialize", "SELECT pg_advisory_xact_lock(hashtext('gaon.invoices:' || $1))"};
// "KR1-202611": the region's jurisdiction, the digits its id ends with (or 0), the month.
constexpr Sql kNumberPrefix{"invoices.number_prefix",
                            "SELECT coalesce((SELECT jurisdiction || coalesce(nullif(substring(region_id FROM "
                            "'[0-9]*$'), ''), '0') FROM regions ORDER BY region_id LIMIT 1), 'XX0') || '-' || "
                            "to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYYMM')"};
constexpr Sql kToInvoice{
    "invoices.to_invoice",
    "SELECT t.tenant_id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = t.tenant_id "
    "AND i.period_start = $1::timestamptz AND i.state <> 'void' AND i.currency = t.billing_currency) AND (EXISTS "
    "(SELECT 1 FROM usage_records u WHERE u.tenant_id = t.tenant_id AND u.started_at < $2::timestamptz AND "
    "(u.ended_at IS NULL OR u.ended_at >= $1::timestamptz)) OR EXISTS (SELECT 1 FROM usage_events e WHERE "
    "e.tenant_id = t.tenant_id AND e.occurred_at >= $1::timestamptz AND e.occurred_at < $2::timestamptz) OR EXISTS "
    "(SELECT 1 FROM invoices i WHERE i.tenant_id = t.tenant_id AND i.state <> 'void' AND i.period_start < "
    "$1::timestamptz AND i.period_start >= $1::timestamptz - interval '12 months')) ORDER BY t.tenant_id"};
constexpr Sql kNextNumber{"invoices.next_number",
                          "INSERT INTO invoice_counters AS c (prefix, last_number) VALUES ($1, 1) ON CONFLICT (prefix) "
                          "DO UPDATE SET last_number = c.last_number + 1 RETURNING last_number"};
// The invoice, its lines, their items and the credits it burns in one statement, from one
// evaluation of gaon_invoice_items (migration 0011): the lines are its items grouped; credits
// cover the total (tax included) grant by grant in burn order.
constexpr Sql kFinalize{
    "invoices.finalize",
    "WITH i AS MATERIALIZED (SELECT * FROM gaon_invoice_items($1, $2::timestamptz, $3::timestamptz, now(), $4)), "
    "l AS MATERIALIZED (SELECT charge_class, line_period_start, line_period_end, sku, unit, unit_price, "
    "discount_percent, sum(quantity) AS quantity, sum(list_amount) AS list_amount, sum(amount_unrounded) AS "
    "amount_unrounded, sum(amount) AS amount, row_number() OVER (ORDER BY charge_class NULLS FIRST, line_period_start, "
    "sku, unit_price, discount_percent) AS line_no FROM i GROUP BY 1, 2, 3, 4, 5, 6, 7), "
    "t AS (SELECT s.subtotal, round(s.subtotal * $8::numeric / 100, $4) AS tax FROM (SELECT coalesce(sum(amount), 0) "
    "AS subtotal FROM l) s), "
    "b AS (SELECT grant_id, remaining, sum(remaining) OVER (ORDER BY burn_order) AS cum FROM "
    "gaon_credit_balances($1, $7, now()) WHERE remaining > 0), "
    "take AS (SELECT grant_id, least(remaining, greatest(0, (SELECT subtotal + tax FROM t) - (cum - remaining))) AS amt "
    "FROM b), "
    "inv AS (INSERT INTO invoices (tenant_id, invoice_id, number, period_start, period_end, currency, subtotal, "
    "tax_percent, tax, total, replaces_invoice_id, credits_applied, amount_due) SELECT $1, $5, $6, $2::timestamptz, "
    "$3::timestamptz, $7, subtotal, $8::numeric, tax, subtotal + tax, $9, (SELECT coalesce(sum(amt), 0) FROM take), "
    "subtotal + tax - (SELECT coalesce(sum(amt), 0) FROM take) FROM t RETURNING invoice_id), "
    "app AS (INSERT INTO credit_applications (tenant_id, grant_id, invoice_id, amount) SELECT $1, take.grant_id, "
    "inv.invoice_id, take.amt FROM take, inv WHERE take.amt > 0), "
    "ins AS (INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, charge_class, charge_period_start, "
    "charge_period_end, sku, unit, quantity, unit_price, discount_percent, list_amount, amount_unrounded, amount) "
    "SELECT $1, inv.invoice_id, l.line_no, l.charge_class, l.line_period_start, l.line_period_end, l.sku, l.unit, "
    "l.quantity, l.unit_price, l.discount_percent, l.list_amount, l.amount_unrounded, l.amount FROM l, inv), "
    "items AS (INSERT INTO invoice_items (tenant_id, invoice_id, line_no, item_no, charge_class, sku, unit, "
    "unit_price, discount_percent, charge_period_start, charge_period_end, resource_kind, resource_id, gpu_count, "
    "quantity, list_amount, amount_unrounded, amount, resource_name, zone, labels, model) "
    "SELECT $1, inv.invoice_id, l.line_no, row_number() OVER (PARTITION BY l.line_no ORDER BY i.charge_period_start, "
    "i.resource_kind, i.resource_id, i.gpu_count), i.charge_class, i.sku, i.unit, i.unit_price, i.discount_percent, "
    "i.charge_period_start, i.charge_period_end, i.resource_kind, i.resource_id, i.gpu_count, i.quantity, "
    "i.list_amount, i.amount_unrounded, i.amount, i.resource_name, i.zone, i.labels, i.model FROM i JOIN l ON "
    "i.charge_class IS NOT DISTINCT FROM l.charge_class AND i.line_period_start = l.line_period_start AND i.sku = "
    "l.sku AND i.unit_price = l.unit_price AND i.discount_percent = l.discount_percent, inv) "
    "SELECT invoice_id FROM inv"};
constexpr Sql kPay{"invoices.pay",
                   "UPDATE invoices SET state = 'paid', paid_at = now() WHERE tenant_id = $1 AND invoice_id = $2 AND "
                   "state = 'finalized'"};
constexpr Sql kVoid{"invoices.void",
                    "UPDATE invoices SET state = 'void', voided_at = now(), void_reason = $3 WHERE tenant_id = $1 AND "
                    "invoice_id = $2 AND state <> 'void'"};

InvoiceLine LineRow(const ResultRow& r) {
  return InvoiceLine{OptStr(r[0]),      Ts(r[1]),         Ts(r[2]),         r[3].c_str(),
                     r[4].c_str(),      r[5].c_str(),     r[6].c_str(),     r[7].c_str(),
                     r[8].c_str(),      r[9].c_str(),     r[10].c_str()};
}

Invoice InvoiceRow(const ResultRow& r) {
  Invoice i;
  i.id = InvoiceId::FromTrusted(r[0].c_str());
  i.number = r[1].c_str();
  i.tenant_id = TenantId::FromTrusted(r[2].c_str());
  i.state = r[3].c_str();
  i.period_start = Ts(r[4]);
  i.period_end = Ts(r[5]);
  i.currency = r[6].c_str();
  i.subtotal = r[7].c_str();
  i.tax_percent = r[8].c_str();
  i.tax = r[9].c_str();
  i.total = r[10].c_str();
  i.finalized_at = Ts(r[11]);
  i.as_of = *i.finalized_at;
  i.paid_at = OptTs(r[12]);
  i.voided_at = OptTs(r[13]);
  i.void_reason = OptStr(r[14]);
  if (!r[15].is_null()) i.replaces_invoice_id = InvoiceId::FromTrusted(r[15].c_str());
  i.credits_applied = r[16].c_str();
  i.amount_due = r[17].c_str();
  return i;
}

Price PriceRow(const ResultRow& r) {
  Price p;
  p.sku = r[0].c_str();
  p.currency = r[1].c_str();
  p.unit = r[2].c_str();
  p.unit_price = r[3].c_str();
  p.effective_from = Ts(r[4]);
  p.description = r[5].c_str();
  p.created_at = Ts(r[6]);
  return p;
}

}  // namespace

StatusOr<int> SeedBilling(Tx& tx, const BillingCatalog& billing) {
  std::vector<std::string> codes, units;
  for (const auto& [code, minor] : Currencies()) {
    codes.emplace_back(code);
    units.push_back(std::to_string(minor));
  }
  Exec(tx, kCurrencies, TextArray(codes), "{" + [&] {
    std::string s;
    for (const auto& u : units) s += (s.empty() ? "" : ",") + u;
    return s;
  }() + "}");
  for (const auto& t : billing.tax_rates) Exec(tx, kTax, t.jurisdiction, t.percent, t.name);
  constexpr Sql kIssuer{"billing.issuer", "UPDATE regions SET invoice_issuer = $1"};
  Exec(tx, kIssuer, billing.issuer);
  int skipped = 0;
  for (const auto& p : billing.prices) {
    const auto r = Exec(tx, kSeedPrice, p.sku, p.currency, p.unit, p.unit_price, FormatTimestamp(p.effective_from),
                        p.description);
    if (r.empty() && Exec(tx, kPriceExists, p.sku, p.currency, FormatTimestamp(p.effective_from)).empty()) ++skipped;
  }
  return skipped;
}

StatusOr<Page<Price>> ListPrices(Tx& tx, const PriceFilter& f, const ListQuery& q) {
  // Keyset on (sku, currency, effective_from) packed in one token.
  FilteredSql sql("billing.prices",
                  "SELECT sku, currency, unit, unit_price::text, effective_from, description, created_at FROM prices "
                  "WHERE true");
  sql.Add("sku = $?", f.sku)
      .Add("currency = $?", f.currency)
      .Add("(sku, currency, effective_from) > (SELECT split_part(k, '|', 1), split_part(k, '|', 2), "
           "split_part(k, '|', 3)::timestamptz FROM (SELECT $?::text AS k) t)",
           q.after);
  sql.Tail("ORDER BY sku, currency, effective_from LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Price>(sql.Run(tx), q.page_size, PriceRow, [](const Price& p) {
    return p.sku + "|" + p.currency + "|" + FormatTimestamp(p.effective_from);
  });
}

StatusOr<Price> InsertPrice(Tx& tx, const Price& p) {
  if (!Exec(tx, kPriceExists, p.sku, p.currency, FormatTimestamp(p.effective_from)).empty()) {
    return AlreadyExists("a price of " + p.sku + " in " + p.currency + " from " + FormatTimestamp(p.effective_from) +
                             " exists; prices are never changed",
                         "price_exists");
  }
  const auto r =
      Exec(tx, kInsertPrice, p.sku, p.currency, p.unit, p.unit_price, FormatTimestamp(p.effective_from), p.description);
  if (r.empty()) {
    return FailedPrecondition("effective_from " + FormatTimestamp(p.effective_from) +
                                  " is in the past: a price change never rewrites what was already used",
                              "price_in_past");
  }
  Price out = p;
  out.created_at = Ts(r[0][0]);
  out.unit_price = r[0][1].c_str();
  return out;
}

StatusOr<Discounts> GetDiscounts(Tx& tx, const TenantId& tenant) {
  Discounts d;
  for (const auto& r : Exec(tx, kDiscounts, tenant.str())) d.percent[r[0].c_str()] = r[1].c_str();
  return d;
}

Status SetDiscounts(Tx& tx, const TenantId& tenant, const Discounts& d) {
  if (Exec(tx, kCurrency, tenant.str()).empty()) return NotFound("tenant " + tenant.str() + " not found");
  Exec(tx, kClearDiscounts, tenant.str());
  for (const auto& [sku, percent] : d.percent) Exec(tx, kSetDiscount, tenant.str(), sku, percent);
  return Status::Ok();
}

StatusOr<UsageReport> UsageOf(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end,
                              const std::string& group_by) {
  const auto cur = Exec(tx, kCurrency, tenant.str());
  if (cur.empty()) return NotFound("tenant " + tenant.str() + " not found");
  UsageReport u;
  u.period_start = start;
  u.period_end = end;
  u.as_of = Now();
  u.currency = cur[0][0].c_str();
  u.group_by = group_by;
  if (group_by == "resource") {
    for (const auto& r : Exec(tx, kUsageByResource, tenant.str(), FormatTimestamp(start), FormatTimestamp(end))) {
      u.items.push_back({std::nullopt, r[2].c_str(), OptStr(r[0]), OptStr(r[1]), r[3].c_str(), r[4].c_str(),
                         r[5].c_str()});
    }
  } else {
    for (const auto& r : Exec(tx, kUsageByDay, tenant.str(), FormatTimestamp(start), FormatTimestamp(end))) {
      u.items.push_back({std::string(r[0].c_str()), r[1].c_str(), std::nullopt, std::nullopt, r[2].c_str(),
                         r[3].c_str(), r[4].c_str()});
    }
  }
  return u;
}

StatusOr<Invoice> DraftInvoice(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end) {
  const auto cur = Exec(tx, kCurrency, tenant.str());
  if (cur.empty()) return NotFound("tenant " + tenant.str() + " not found");
  Invoice inv;
  inv.tenant_id = tenant;
  inv.period_start = start;
  inv.period_end = end;
  inv.as_of = Now();
  inv.currency = cur[0][0].c_str();
  const int minor = cur[0][1].as<int>();
  inv.tax_percent = cur[0][2].c_str();
  for (const auto& r : Exec(tx, kLines, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), minor)) {
    inv.lines.push_back(LineRow(r));
  }
  const auto t = Exec(tx, kTotals, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), minor, inv.tax_percent,
                      inv.currency);
  inv.subtotal = t[0][0].c_str();
  inv.tax = t[0][1].c_str();
  inv.total = t[0][2].c_str();
  inv.credits_applied = t[0][3].c_str();
  inv.amount_due = t[0][4].c_str();
  return inv;
}

StatusOr<std::optional<Invoice>> LiveInvoice(Tx& tx, const TenantId& tenant, Timestamp start) {
  const auto r = Exec(tx, kLiveInvoice, tenant.str(), FormatTimestamp(start));
  if (r.empty()) return std::optional<Invoice>();
  return std::optional<Invoice>(InvoiceRow(r[0]));
}

StatusOr<Invoice> GetInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id) {
  const auto r = Exec(tx, kGetInvoice, tenant.str(), id.str());
  if (r.empty()) return NotFound("invoice " + id.str() + " not found");
  Invoice inv = InvoiceRow(r[0]);
  for (const auto& row : Exec(tx, kInvoiceLines, tenant.str(), id.str())) inv.lines.push_back(LineRow(row));
  return inv;
}

StatusOr<Page<Invoice>> ListInvoices(Tx& tx, const TenantId& tenant, const ListQuery& q) {
  FilteredSql sql("invoices.list", std::string("SELECT ") + kInvoiceCols + " FROM invoices WHERE true");
  sql.Add("tenant_id = $?", tenant.str()).Add("invoice_id < $?", q.after);
  sql.Tail("ORDER BY invoice_id DESC LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Invoice>(sql.Run(tx), q.page_size, InvoiceRow, [](const Invoice& i) { return i.id->str(); });
}

StatusOr<Invoice> FinalizeInvoice(Tx& tx, const TenantId& tenant, Timestamp start, Timestamp end,
                                  const std::optional<InvoiceId>& replaces, bool* created) {
  *created = false;
  Exec(tx, kSerialize, tenant.str());
  ASSIGN_OR_RETURN(auto live, LiveInvoice(tx, tenant, start));
  if (live) return GetInvoice(tx, tenant, *live->id);
  const auto cur = Exec(tx, kCurrency, tenant.str());
  if (cur.empty()) return NotFound("tenant " + tenant.str() + " not found");
  const std::string currency = cur[0][0].c_str(), tax_percent = cur[0][2].c_str();
  const int minor = cur[0][1].as<int>();
  const std::string number_prefix = Exec(tx, kNumberPrefix, FormatTimestamp(start))[0][0].c_str();
  const auto n = Exec(tx, kNextNumber, number_prefix)[0][0].as<std::int64_t>();
  char seq[16];
  std::snprintf(seq, sizeof seq, "%06lld", static_cast<long long>(n));
  const InvoiceId id = InvoiceId::Generate();
  std::optional<std::string> replaced;
  if (replaces) replaced = replaces->str();
  Exec(tx, kFinalize, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), minor, id.str(),
       number_prefix + "-" + seq, currency, tax_percent, replaced);
  *created = true;
  return GetInvoice(tx, tenant, id);
}

StatusOr<std::vector<TenantId>> TenantsToInvoice(Tx& tx, Timestamp start, Timestamp end) {
  std::vector<TenantId> out;
  for (const auto& r : Exec(tx, kToInvoice, FormatTimestamp(start), FormatTimestamp(end))) {
    out.push_back(TenantId::FromTrusted(r[0].c_str()));
  }
  return out;
}

StatusOr<Invoice> PayInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id) {
  ASSIGN_OR_RETURN(Invoice inv, GetInvoice(tx, tenant, id));
  if (inv.state == "void") return FailedPrecondition("invoice " + *inv.number + " is void", "invoice_void");
  if (inv.state == "paid") return inv;
  Exec(tx, kPay, tenant.str(), id.str());
  return GetInvoice(tx, tenant, id);
}

StatusOr<UsageEventResult> IngestUsageEvents(Tx& tx, const UsageEventBatch& b) {
  constexpr Sql kTenants{"usage_events.tenants",
                         "SELECT t FROM unnest($1::text[]) t WHERE NOT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = t)"};
  // New events are inserted; for the others, whether the stored one says the same. The main
  // query sees the table as it was before this statement, so `e` holds only earlier events.
  constexpr Sql kIngest{
      "usage_events.ingest",
      "WITH b AS (SELECT tenant_id, event_id, meter, quantity, occurred_at, nullif(resource_kind, '') AS resource_kind, "
      "nullif(resource_id, '') AS resource_id, attributes FROM unnest($2::text[], $3::text[], $4::text[], "
      "$5::numeric[], $6::timestamptz[], $7::text[], $8::text[], $9::jsonb[]) AS b(tenant_id, event_id, meter, "
      "quantity, occurred_at, resource_kind, resource_id, attributes)), "
      "ins AS (INSERT INTO usage_events (tenant_id, source, event_id, meter, quantity, occurred_at, resource_kind, "
      "resource_id, attributes) SELECT tenant_id, $1, event_id, meter, quantity, occurred_at, resource_kind, "
      "resource_id, attributes FROM b ON CONFLICT DO NOTHING RETURNING 1), "
      "old AS (SELECT b.tenant_id || '/' || b.event_id AS id, e.meter = b.meter AND e.quantity = b.quantity AND "
      "e.occurred_at = b.occurred_at AND e.resource_kind IS NOT DISTINCT FROM b.resource_kind AND e.resource_id IS "
      "NOT DISTINCT FROM b.resource_id AND e.attributes = b.attributes AS same FROM b JOIN usage_events e ON "
      "e.tenant_id = b.tenant_id AND e.source = $1 AND e.event_id = b.event_id) "
      "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM old WHERE same), "
      "(SELECT min(id) FROM old WHERE NOT same)"};
  std::vector<std::string> tenants;
  for (const auto& e : b.events) tenants.push_back(e.tenant_id.str());
  const auto missing = Exec(tx, kTenants, TextArray(tenants));
  if (!missing.empty()) return NotFound("tenant " + std::string(missing[0][0].c_str()) + " not found");
  using E = UsageEventInput;
  const auto r =
      Exec(tx, kIngest, b.source, TextArray(Column(b.events, [](const E& e) { return e.tenant_id.str(); })),
           TextArray(Column(b.events, [](const E& e) { return e.event_id; })),
           TextArray(Column(b.events, [](const E& e) { return e.meter; })),
           TextArray(Column(b.events, [](const E& e) { return e.quantity; })),
           TextArray(Column(b.events, [](const E& e) { return FormatTimestamp(e.time); })),
           TextArray(Column(b.events, [](const E& e) { return e.resource_kind.value_or(""); })),
           TextArray(Column(b.events, [](const E& e) { return e.resource_id.value_or(""); })),
           TextArray(Column(b.events, [](const E& e) { return boost::json::serialize(ToJson(e.attributes)); })));
  UsageEventResult out;
  out.accepted = r[0][0].as<int>();
  out.duplicates = r[0][1].as<int>();
  const std::string reused = Str(r[0][2]);
  if (!reused.empty()) {
    return FailedPrecondition("event " + reused + " was already recorded from " + b.source +
                                  " with a different payload; event ids must not be reused",
                              "event_id_reused");
  }
  return out;
}

namespace {

constexpr Sql kGrant{"credits.grant",
                     "INSERT INTO credit_grants (tenant_id, grant_id, kind, currency, amount, expires_at, description) "
                     "SELECT $1, $2, $3, billing_currency, $4::numeric, $5::timestamptz, $6 FROM tenants WHERE "
                     "tenant_id = $1 RETURNING currency, created_at"};
constexpr Sql kGrants{"credits.grants",
                      "SELECT g.grant_id, g.kind, trim_scale(g.amount)::text, trim_scale(coalesce(b.remaining, 0))::text, "
                      "g.currency, g.expires_at, g.description, g.created_at FROM credit_grants g LEFT JOIN "
                      "gaon_credit_balances($1, (SELECT billing_currency FROM tenants WHERE tenant_id = $1), now()) b "
                      "USING (grant_id) WHERE g.tenant_id = $1 ORDER BY g.created_at, g.grant_id"};
// Mode, currency, unexpired balance, the current month's draft total (tax included), and
// whether the balance covers it. With $2 false only a prepaid tenant has a row, and a postpaid
// one costs one indexed read (the admission check on every create): the function reads the
// mode before it starts the rating's plan (migration 0019).
constexpr Sql kStanding{"credits.standing", "SELECT * FROM gaon_credit_standing($1, $2)"};
constexpr Sql kMode{"credits.mode", "UPDATE tenants SET billing_mode = $2 WHERE tenant_id = $1"};

// The refusal for kStanding's answer (with $2 false): a row only for a prepaid tenant,
// its last column whether the balance covers the month so far.
Status PrepaidRefusal(const Result& st) {
  if (st.empty() || st[0][4].as<bool>()) return Status::Ok();
  return FailedPrecondition("the prepaid credit balance (" + std::string(st[0][2].c_str()) + " " + st[0][1].c_str() +
                                ") does not cover this month's usage so far (" + st[0][3].c_str() +
                                "): nothing new can be launched until credit is added; what runs keeps running",
                            "insufficient_credit");
}

}  // namespace

StatusOr<CreditGrant> GrantCredit(Tx& tx, const TenantId& tenant, const CreditGrant& g) {
  CreditGrant out = g;
  out.id = CreditId::Generate();
  const auto r = Exec(tx, kGrant, tenant.str(), out.id->str(), g.kind, g.amount, TsParam(g.expires_at), g.description);
  if (r.empty()) return NotFound("tenant " + tenant.str() + " not found");
  out.currency = r[0][0].c_str();
  out.created_at = Ts(r[0][1]);
  out.remaining = g.amount;
  return out;
}

StatusOr<CreditSummary> Credits(Tx& tx, const TenantId& tenant) {
  const auto st = Exec(tx, kStanding, tenant.str(), true);
  if (st.empty()) return NotFound("tenant " + tenant.str() + " not found");
  CreditSummary c;
  c.billing_mode = st[0][0].c_str();
  c.currency = st[0][1].c_str();
  c.balance = st[0][2].c_str();
  c.month_to_date = st[0][3].c_str();
  for (const auto& r : Exec(tx, kGrants, tenant.str())) {
    c.grants.push_back({CreditId::FromTrusted(r[0].c_str()), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(),
                        OptTs(r[5]), r[6].c_str(), Ts(r[7])});
  }
  return c;
}

Status SetBillingMode(Tx& tx, const TenantId& tenant, const std::string& mode) {
  if (Exec(tx, kMode, tenant.str(), mode).affected_rows() == 0) return NotFound("tenant " + tenant.str() + " not found");
  return Status::Ok();
}

Status CheckPrepaid(Tx& tx, const TenantId& tenant) { return QueueCheckPrepaid(tx, tenant).Get(); }

Pending<Status> QueueCheckPrepaid(Tx& tx, const TenantId& tenant) {
  return Pending<Status>([d = ExecDeferred(tx, kStanding, tenant.str(), false)]() mutable {
    return PrepaidRefusal(d.Rows());
  });
}

StatusOr<Invoice> VoidInvoice(Tx& tx, const TenantId& tenant, const InvoiceId& id, const std::string& reason) {
  ASSIGN_OR_RETURN(Invoice inv, GetInvoice(tx, tenant, id));
  if (inv.state == "void") return FailedPrecondition("invoice " + *inv.number + " is already void", "invoice_void");
  Exec(tx, kVoid, tenant.str(), id.str(), reason);
  return GetInvoice(tx, tenant, id);
}

}  // namespace gaon::storage
