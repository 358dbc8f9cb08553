#include "storage/budgets.h"

#include <boost/json.hpp>

#include "storage/internal/pq.h"
#include "storage/internal/rows.h"

namespace gaon::storage {

namespace {

// A budget with the month [$2, $3)'s spend (computed once per statement, however many
// budgets) and that month's alerts.
constexpr const char* kSelect =
    "WITH s AS (SELECT gaon_month_spend($1, $2::timestamptz, $3::timestamptz) AS spend) "
    "SELECT b.budget_id, b.name, trim_scale(b.amount)::text, to_json(b.thresholds)::text, t.billing_currency, "
    "s.spend::text, round(s.spend * 100 / b.amount, 2)::text, b.created_at, b.updated_at, "
    "(SELECT json_agg(json_build_object('threshold', a.threshold, 'amount', trim_scale(a.amount)::text, 'spend', "
    "a.spend::text, 'fired_at', to_char(a.fired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) "
    "ORDER BY a.threshold) FROM budget_alerts a WHERE a.tenant_id = b.tenant_id AND a.budget_id = b.budget_id AND "
    "a.period_start = $2::timestamptz) "
    "FROM budgets b JOIN tenants t USING (tenant_id), s WHERE b.tenant_id = $1 ";
const Sql kGet{"budgets.get", KeepText(std::string(kSelect) + "AND b.budget_id = $4")};
const Sql kList{"budgets.list", KeepText(std::string(kSelect) +
                                         "AND ($4::text IS NULL OR b.budget_id > $4) ORDER BY b.budget_id LIMIT $5")};
constexpr Sql kInsert{"budgets.insert",
                      "INSERT INTO budgets (tenant_id, budget_id, name, amount, thresholds) SELECT $1, $2, $3, "
                      "$4::numeric, $5::text[]::integer[] FROM tenants WHERE tenant_id = $1 RETURNING budget_id"};
constexpr Sql kUpdate{"budgets.update",
                      "UPDATE budgets SET name = coalesce($3, name), amount = coalesce($4::numeric, amount), "
                      "thresholds = coalesce($5::text[]::integer[], thresholds), updated_at = now() WHERE tenant_id = "
                      "$1 AND budget_id = $2 RETURNING budget_id"};
constexpr Sql kDelete{"budgets.delete", "DELETE FROM budgets WHERE tenant_id = $1 AND budget_id = $2"};
constexpr Sql kFire{
    "budgets.fire",
    "WITH sp AS (SELECT t.tenant_id, gaon_month_spend(t.tenant_id, $1::timestamptz, $2::timestamptz) AS spend FROM "
    "tenants t WHERE t.tenant_id IN (SELECT tenant_id FROM budgets)), "
    "hit AS (SELECT b.tenant_id, b.budget_id, th, b.amount, sp.spend FROM budgets b JOIN sp USING (tenant_id) CROSS "
    "JOIN LATERAL unnest(b.thresholds) th WHERE sp.spend * 100 >= b.amount * th), "
    "ins AS (INSERT INTO budget_alerts (tenant_id, budget_id, period_start, threshold, amount, spend) SELECT "
    "tenant_id, budget_id, $1::timestamptz, th, amount, spend FROM hit ON CONFLICT DO NOTHING RETURNING *) "
    "SELECT ins.tenant_id, ins.budget_id, b.name, ins.threshold, trim_scale(ins.amount)::text, ins.spend::text, "
    "ins.fired_at FROM ins JOIN budgets b USING (tenant_id, budget_id) ORDER BY 1, 2, 4"};

// Thresholds as a text[] parameter (cast to integer[] in SQL).
std::string Thresholds(const std::vector<int>& xs) {
  return TextArray(Column(xs, [](int x) { return std::to_string(x); }));
}

// The current UTC calendar month.
std::pair<Timestamp, Timestamp> ThisMonth() {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(Now())};
  const auto first = ymd.year() / ymd.month() / std::chrono::day(1);
  return {Timestamp(std::chrono::sys_days(first)), Timestamp(std::chrono::sys_days(first + std::chrono::months(1)))};
}

Budget Row(const ResultRow& r) {
  Budget b;
  b.id = BudgetId::FromTrusted(r[0].c_str());
  b.name = r[1].c_str();
  b.amount = r[2].c_str();
  b.thresholds = boost::json::value_to<std::vector<int>>(boost::json::parse(r[3].c_str()));
  b.currency = r[4].c_str();
  b.spend = r[5].c_str();
  b.percent_used = r[6].c_str();
  b.created_at = Ts(r[7]);
  b.updated_at = Ts(r[8]);
  b.alerts = JsonList<BudgetAlert>(r[9]);
  return b;
}

}  // namespace

StatusOr<Budget> GetBudget(Tx& tx, const TenantId& tenant, const BudgetId& id) {
  const auto [start, end] = ThisMonth();
  const auto r = Exec(tx, kGet, tenant.str(), FormatTimestamp(start), FormatTimestamp(end), id.str());
  if (r.empty()) return NotFound("budget " + id.str() + " not found");
  return Row(r[0]);
}

StatusOr<Budget> CreateBudget(Tx& tx, const TenantId& tenant, const Budget& b) {
  const BudgetId id = BudgetId::Generate();
  try {
    if (Exec(tx, kInsert, tenant.str(), id.str(), b.name, b.amount, Thresholds(b.thresholds)).empty()) {
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
  return ToPage<Budget>(r, q.page_size, Row, [](const Budget& b) { return b.id->str(); });
}

StatusOr<Budget> UpdateBudget(Tx& tx, const TenantId& tenant, const BudgetId& id, const BudgetPatch& p) {
  std::optional<std::string> thresholds;
  if (p.thresholds) thresholds = Thresholds(*p.thresholds);
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
