// Budgets: a tenant's monthly amount with alert thresholds, the month's cost so far against
// it (gaon_invoice_lines, as the draft invoice has it: after discounts, before tax and
// credits), and the alerts the billing pass raises — each threshold once per UTC month.
#pragma once

#include <vector>

#include "gaon/model/billing.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// AlreadyExists("budget_name_taken") for a name the tenant already uses; NotFound for an
// unknown tenant.
StatusOr<Budget> CreateBudget(Tx& tx, const TenantId& tenant, const Budget& b);
// With this month's spend and alerts.
StatusOr<Budget> GetBudget(Tx& tx, const TenantId& tenant, const BudgetId& id);
StatusOr<Page<Budget>> ListBudgets(Tx& tx, const TenantId& tenant, const ListQuery& q);
StatusOr<Budget> UpdateBudget(Tx& tx, const TenantId& tenant, const BudgetId& id, const BudgetPatch& patch);
Status DeleteBudget(Tx& tx, const TenantId& tenant, const BudgetId& id);

struct FiredBudgetAlert {
  TenantId tenant;
  BudgetId budget;
  std::string name;
  BudgetAlert alert;
};
// The billing pass: records every threshold of every visible budget that the month
// [start, end)'s cost so far has reached and that has not fired this month, and returns them.
StatusOr<std::vector<FiredBudgetAlert>> FireBudgetAlerts(Tx& tx, Timestamp start, Timestamp end);

}  // namespace gaon::storage
