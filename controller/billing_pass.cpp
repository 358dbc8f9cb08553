#include "controller/billing_pass.h"

#include <boost/json.hpp>

#include "core/log.h"
#include "storage/audit.h"
#include "storage/billing.h"
#include "storage/budgets.h"
#include "storage/changes.h"

namespace gaon::controller {

namespace {

using std::chrono::sys_days;

// The UTC calendar month that starts `back` months before the one containing `t`.
std::pair<Timestamp, Timestamp> MonthBefore(Timestamp t, int back) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  const auto first = ymd.year() / ymd.month() / std::chrono::day(1) - std::chrono::months(back);
  return {Timestamp(sys_days(first)), Timestamp(sys_days(first + std::chrono::months(1)))};
}

AuditEvent SystemEvent(const std::string& tenant, std::string action, std::string type, std::string id,
                       boost::json::value changes) {
  AuditEvent e;
  e.id = AuditEventId::Generate();
  e.tenant_id = tenant;
  e.time = Now();
  e.principal = {"system", "gaond-controllers", "billing pass"};
  e.action = std::move(action);
  e.resource_type = std::move(type);
  e.resource_id = std::move(id);
  e.outcome = "success";
  e.status = 200;
  e.changes = std::move(changes);
  return e;
}

}  // namespace

BillingPass::BillingPass(storage::Database& db, std::chrono::milliseconds interval, std::chrono::milliseconds grace)
    : db_(db), interval_(interval), grace_(grace) {}

BillingPass::~BillingPass() { Stop(); }

void BillingPass::Start(storage::Fence fence) {
  Stop();
  stop_ = false;
  thread_ = std::thread([this, fence] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      const auto s = RunPass(fence, Now());
      if (!s.ok()) LogWarn("billing pass failed", {{"error", s.status().ToString()}});
      lock.lock();
    }
  });
}

void BillingPass::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StatusOr<BillingPass::Outcome> BillingPass::RunPass(const storage::Fence& fence, Timestamp now) {
  Outcome out;
  for (int back : {2, 1}) {
    const auto [start, end] = MonthBefore(now, back);
    if (now < end + grace_) continue;
    std::vector<TenantId> due;
    RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .name = "billing.due"},
                                 [&](storage::Tx& tx) -> Status {
                                   ASSIGN_OR_RETURN(due, storage::TenantsToInvoice(tx, start, end));
                                   return Status::Ok();
                                 }));
    for (const TenantId& tenant : due) {
      bool created = false;
      const Status s = db_.Transact({.tenant = tenant, .platform = true, .name = "billing.finalize"},
                                    [&](storage::Tx& tx) -> Status {
                                      storage::CheckFence(tx, fence);
                                      ASSIGN_OR_RETURN(Invoice inv, storage::FinalizeInvoice(tx, tenant, start, end,
                                                                                             std::nullopt, &created));
                                      if (!created) return Status::Ok();
                                      return storage::AppendAuditEvent(
                                          tx, SystemEvent(tenant.str(), "invoices.finalize", "invoice", inv.id->str(),
                                                          boost::json::object{{"number", *inv.number},
                                                                              {"total", inv.total},
                                                                              {"created", true}}));
                                    });
      if (!s.ok()) {
        LogWarn("invoice finalization failed", {{"tenant", tenant.str()}, {"error", s.ToString()}});
        continue;  // the next pass tries again; the others need not wait
      }
      if (created) ++out.invoices;
    }
  }
  const auto [start, end] = MonthBefore(now, 0);
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "billing.budgets"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence);
    ASSIGN_OR_RETURN(const auto fired, storage::FireBudgetAlerts(tx, start, end));
    for (const auto& f : fired) {
      const boost::json::object alert{{"budget_id", f.budget.str()}, {"budget", f.name},
                                      {"threshold", f.alert.threshold}, {"amount", f.alert.amount},
                                      {"spend", f.alert.spend}, {"fired_at", FormatTimestamp(f.alert.fired_at)}};
      RETURN_IF_ERROR(storage::RecordChange(tx, f.tenant, "budget_alert", f.budget.str(), "ADDED", 1, alert,
                                            storage::ChangeOrigin::kController));
      RETURN_IF_ERROR(
          storage::AppendAuditEvent(tx, SystemEvent(f.tenant.str(), "budgets.alert", "budget", f.budget.str(), alert)));
    }
    out.alerts = static_cast<int>(fired.size());
    return Status::Ok();
  }));
  if (out.invoices || out.alerts) LogInfo("billing pass", {{"invoices", out.invoices}, {"alerts", out.alerts}});
  return out;
}

}  // namespace gaon::controller
