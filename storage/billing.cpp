#include "storage/billing.h"

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
    "SELECT to_char(charge_start AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sku, unit, sum(quantity)::text, sum(amount)::text "
    "FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) GROUP BY 1, 2, 3 ORDER BY 1, 2"};
constexpr Sql kUsageByResource{
    "billing.usage_by_resource",
    "SELECT resource_kind, resource_id, sku, unit, sum(quantity)::text, sum(amount)::text "
    "FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) GROUP BY 1, 2, 3, 4 ORDER BY 2, 3"};
constexpr Sql kCurrency{"billing.currency",
                        "SELECT t.billing_currency, c.minor_units, coalesce(x.percent, 0)::text FROM tenants t JOIN "
                        "currencies c ON c.code = t.billing_currency LEFT JOIN tax_rates x ON x.jurisdiction = "
                        "t.jurisdiction WHERE t.tenant_id = $1"};
// Lines: one per SKU, unit price and discount; rounded once each, half away from zero (what
// numeric round() does) to the currency's minor unit.
constexpr Sql kLines{
    "billing.draft_lines",
    "SELECT sku, unit, sum(quantity)::text, unit_price::text, discount_percent::text, sum(list_amount)::text, "
    "sum(amount)::text, round(sum(amount), $4)::text FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) "
    "GROUP BY sku, unit, unit_price, discount_percent ORDER BY sku, unit_price"};
// Subtotal of the rounded lines; tax on the rounded subtotal, rounded once.
constexpr Sql kTotals{
    "billing.draft_totals",
    "WITH l AS (SELECT round(sum(amount), $4) AS a FROM gaon_rate($1, $2::timestamptz, $3::timestamptz, now()) "
    "GROUP BY sku, unit, unit_price, discount_percent), s AS (SELECT coalesce(sum(a), 0) AS subtotal FROM l) "
    "SELECT round(subtotal, $4)::text, round(subtotal * $5::numeric / 100, $4)::text, "
    "(round(subtotal, $4) + round(subtotal * $5::numeric / 100, $4))::text FROM s"};


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
    inv.lines.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(),
                         r[6].c_str(), r[7].c_str()});
  }
  const auto t = Exec(tx, kTotals, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), minor, inv.tax_percent);
  inv.subtotal = t[0][0].c_str();
  inv.tax = t[0][1].c_str();
  inv.total = t[0][2].c_str();
  return inv;
}

}  // namespace gaon::storage
