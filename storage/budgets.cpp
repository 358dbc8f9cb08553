#include "storage/budgets.h"

#include <charconv>

#include "storage/internal/pq.h"
#include "storage/internal/rows.h"

namespace gaon::storage {

namespace {

// The month's cost so far of tenant $1 for the month [$2, $3): the draft's rounded lines.
#define GAON_SPEND                                                                                             \
  "(SELECT coalesce(sum(l.amount), 0) FROM tenants t JOIN currencies c ON c.code = t.billing_currency, "      \
  "gaon_invoice_lines(t.tenant_id, $2::timestamptz, $3::timestamptz, now(), c.minor_units) l WHERE t.tenant_id " \
  "= b.tenant_id)"

constexpr const char* kCols =
    "b.budget_id, b.name, trim_scale(b.amount)::text, b.thresholds::text, t.billing_currency, s.spend::text, "
    "round(s.spend * 100 / b.amount, 2)::text, b.created_at, b.updated_at";
const Sql kGet{"budgets.get", KeepText(std::string("SELECT ") + kCols +
                                       " FROM budgets b JOIN tenants t USING (tenant_id) CROSS JOIN LATERAL (SELECT " +
                                       GAON_SPEND + " AS spend) s WHERE b.tenant_id = $1 AND b.budget_id = $4")};
constexpr Sql kAlerts{"budgets.alerts",
                      "SELECT threshold, trim_scale(amount)::text, spend::text, fired_at FROM budget_alerts WHERE "
                      "tenant_id = $1 AND budget_id = $2 AND period_start = $3::timestamptz ORDER BY threshold"};
constexpr Sql kInsert{"budgets.insert",
                      "INSERT INTO budgets (tenant_id, budget_id, name, amount, thresholds) SELECT $1, $2, $3, "
                      "$4::numeric, $5::integer[] FROM tenants WHERE tenant_id = $1 RETURNING budget_id"};
constexpr Sql kUpdate{"budgets.update",
                      "UPDATE budgets SET name = coalesce($3, name), amount = coalesce($4::numeric, amount), "
                      "thresholds = coalesce($5::integer[], thresholds), updated_at = now() WHERE tenant_id = $1 AND "
                      "budget_id = $2 RETURNING budget_id"};
constexpr Sql kDelete{"budgets.delete", "DELETE FROM budgets WHERE tenant_id = $1 AND budget_id = $2"};
constexpr Sql kFire{
    "budgets.fire",
    "WITH sp AS (SELECT t.tenant_id, (SELECT coalesce(sum(l.amount), 0) FROM gaon_invoice_lines(t.tenant_id, "
    "$1::timestamptz, $2::timestamptz, now(), c.minor_units) l) AS spend FROM tenants t JOIN currencies c ON c.code = "
    "t.billing_currency WHERE t.tenant_id IN (SELECT tenant_id FROM budgets)), "
    "hit AS (SELECT b.tenant_id, b.budget_id, th, b.amount, sp.spend FROM budgets b JOIN sp USING (tenant_id) CROSS "
    "JOIN LATERAL unnest(b.thresholds) th WHERE sp.spend * 100 >= b.amount * th), "
    "ins AS (INSERT INTO budget_alerts (tenant_id, budget_id, period_start, threshold, amount, spend) SELECT "
    "tenant_id, budget_id, $1::timestamptz, th, amount, spend FROM hit ON CONFLICT DO NOTHING RETURNING *) "
    "SELECT ins.tenant_id, ins.budget_id, b.name, ins.threshold, trim_scale(ins.amount)::text, ins.spend::text, "
    "ins.fired_at FROM ins JOIN budgets b USING (tenant_id, budget_id) ORDER BY 1, 2, 4"};
const Sql kList{"budgets.list",
                KeepText(std::string("SELECT ") + kCols +
                         " FROM budgets b JOIN tenants t USING (tenant_id) CROSS JOIN LATERAL (SELECT " + GAON_SPEND +
                         " AS spend) s WHERE b.tenant_id = $1 AND ($4::text IS NULL OR b.budget_id > $4) ORDER BY "
                         "b.budget_id LIMIT $5")};
#undef GAON_SPEND

std::vector<int> IntArray(const ResultField& f) {  // "{50,80,100}"
  std::vector<int> out;
  const std::string s = f.c_str();
  for (std::size_t i = 1; i < s.size();) {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
    if (ec != std::errc()) break;
    out.push_back(v);
    i = static_cast<std::size_t>(p - s.data()) + 1;
  }
  return out;
}

std::string IntArrayParam(const std::vector<int>& xs) {
  std::string s = "{";
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? "," : "") + std::to_string(xs[i]);
  return s + "}";
}

// The current UTC calendar month.
std::pair<Timestamp, Timestamp> ThisMonth() {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(Now())};
  const auto first = ymd.year() / ymd.month() / std::chrono::day(1);
  return {Timestamp(std::chrono::sys_days(first)), Timestamp(std::chrono::sys_days(first + std::chrono::months(1)))};
}

Budget Row(Tx& tx, const TenantId& tenant, const ResultRow& r, Timestamp month) {
  Budget b;
  b.id = BudgetId::FromTrusted(r[0].c_str());
  b.name = r[1].c_str();
  b.amount = r[2].c_str();
  b.thresholds = IntArray(r[3]);
  b.currency = r[4].c_str();
  b.spend = r[5].c_str();
  b.percent_used = r[6].c_str();
  b.created_at = Ts(r[7]);
  b.updated_at = Ts(r[8]);
  for (const auto& a : Exec(tx, kAlerts, tenant.str(), b.id->str(), FormatTimestamp(month))) {
    b.alerts.push_back({a[0].as<int>(), a[1].c_str(), a[2].c_str(), Ts(a[3])});
  }
  return b;
}

}  // namespace

StatusOr<Budget> GetBudget(Tx& tx, const TenantId& tenant, const BudgetId& id) {
  const auto [start, end] = ThisMonth();
  const auto r = Exec(tx, kGet, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), id.str());
  if (r.empty()) return NotFound("budget " + id.str() + " not found");
  return Row(tx, tenant, r[0], start);
}

StatusOr<Budget> CreateBudget(Tx& tx, const TenantId& tenant, const Budget& b) {
  const BudgetId id = BudgetId::Generate();
  try {
    if (Exec(tx, kInsert, tenant.str(), id.str(), b.name, b.amount, IntArrayParam(b.thresholds)).empty()) {
      return NotFound("tenant " + tenant.str() + " not found");
    }
  } catch (const UniqueViolation&) {
    return AlreadyExists("the tenant already has a budget named " + b.name, "budget_name_taken");
  }
  return GetBudget(tx, tenant, id);
}

StatusOr<Page<Budget>> ListBudgets(Tx& tx, const TenantId& tenant, const ListQuery& q) {
  const auto [start, end] = ThisMonth();
  const Result r = Exec(tx, kList, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), q.after, q.page_size + 1);
  return ToPage<Budget>(r, q.page_size, [&](const ResultRow& row) { return Row(tx, tenant, row, start); },
                        [](const Budget& b) { return b.id->str(); });
}

StatusOr<Budget> UpdateBudget(Tx& tx, const TenantId& tenant, const BudgetId& id, const BudgetPatch& p) {
  std::optional<std::string> thresholds;
  if (p.thresholds) thresholds = IntArrayParam(*p.thresholds);
  try {
    if (Exec(tx, kUpdate, tenant.str(), id.str(), p.name, p.amount, thresholds).empty()) {
      return NotFound("budget " + id.str() + " not found");
    }
  } catch (const UniqueViolation&) {
    return AlreadyExists("the tenant already has a budget named " + *p.name, "budget_name_taken");
  }
  return GetBudget(tx, tenant, id);
}

Status DeleteBudget(Tx& tx, const TenantId& tenant, const BudgetId& id) {
  if (Exec(tx, kDelete, tenant.str(), id.str()).affected_rows() == 0) {
    return NotFound("budget " + id.str() + " not found");
  }
  return Status::Ok();
}

StatusOr<std::vector<FiredBudgetAlert>> FireBudgetAlerts(Tx& tx, Timestamp start, Timestamp end) {
  std::vector<FiredBudgetAlert> out;
  for (const auto& r : Exec(tx, kFire, FormatTimestamp(start), FormatTimestamp(end))) {
    out.push_back({TenantId::FromTrusted(r[0].c_str()), BudgetId::FromTrusted(r[1].c_str()), r[2].c_str(),
                   BudgetAlert{r[3].as<int>(), r[4].c_str(), r[5].c_str(), Ts(r[6])}});
  }
  return out;
}

}  // namespace gaon::storage
