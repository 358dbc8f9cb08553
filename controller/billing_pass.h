// BillingPass: the billing chores that need no request, on the leader only, every
// controller.billing_interval (the first one interval after taking the lead):
// - finalizes every invoice that is due: a month whose grace period (billing.grace_period) has
//   passed, for each tenant with something to bill in it and no invoice of it yet — the last
//   closed month and the one before, so a leader that was down for a while catches up;
// - raises budget alerts: each threshold a tenant's month so far has reached, once a month,
//   as a change on the tenant's feed (kind "budget_alert") and an audit entry.
// Each tenant's finalization is its own transaction, like an operator's; the audit entries
// name the controllers as the principal.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gaon/time.h"
#include "storage/database.h"
#include "storage/leases.h"

namespace gaon::controller {

class BillingPass {
 public:
  BillingPass(storage::Database& db, std::chrono::milliseconds interval, std::chrono::milliseconds grace);
  ~BillingPass();
  void Start(storage::Fence fence);
  void Stop();
  // One pass as of `now`: invoices finalized, alerts raised.
  struct Outcome {
    int invoices = 0;
    int alerts = 0;
  };
  StatusOr<Outcome> RunPass(const storage::Fence& fence, Timestamp now);

 private:
  storage::Database& db_;
  const std::chrono::milliseconds interval_, grace_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gaon::controller
