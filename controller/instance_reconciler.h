// InstanceReconciler: drives a GPU instance toward its spec, one step per reconcile.
//
// Phases (docs/controllers.md has the full state machine):
//   Pending → Scheduled (the scheduler placed it) → Provisioning → Running
//   :stop → Stopping → Stopped (the node is given back)   :start → Pending → … → Running
//   :reboot → Rebooting → Running        delete → Deleting → Deleted (a tombstone)
//   node Down, or the provider reports the machine failed → Failed
// Each reconcile reads the instance and the driver's machine, takes one idempotent step, and
// writes status guarded by the resource_version it read and by the controllers' fence. The
// transition into a consuming phase (Running, Rebooting) opens a usage record and the
// transition out closes it, in the same transaction as the status.
// Thread-safety: Reconcile may run concurrently for different keys (the work queue never
// gives one key to two workers).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "controller/controller.h"
#include "controller/driver.h"
#include "storage/database.h"
#include "storage/instance_status.h"
#include "storage/leases.h"

namespace gaon::controller {

class InstanceReconciler final : public Reconciler {
 public:
  // `fence` returns the current lease token; `capacity_freed` kicks the scheduler.
  InstanceReconciler(storage::Database& db, Driver& driver, std::function<storage::Fence()> fence,
                     std::function<void()> capacity_freed);

  std::string kind() const override { return "instance"; }
  StatusOr<ReconcileResult> Reconcile(const std::string& key) override;
  StatusOr<std::vector<std::string>> Keys() override;
  void ReportError(const std::string& key, const Status& error, int failures) override;

  static std::string Key(const TenantId& tenant, const InstanceId& id) { return tenant.str() + "/" + id.str(); }

  // Hand-over: the scheduler passes each instance it placed, as its transaction left it, and
  // the next reconcile of that key starts from it instead of reading the row again. A record
  // that went stale meanwhile costs nothing but a retry: the status write is guarded by the
  // resource_version it carries. Forget drops the record of a key the tenant changed since;
  // ForgetAll drops every record (the controllers stop leading: another may move them).
  void HandOver(storage::InstanceRecord rec);
  void Forget(const std::string& key);
  void ForgetAll();

 private:
  std::optional<storage::InstanceRecord> TakeHandOver(const std::string& key);
  StatusOr<ReconcileResult> Delete(const storage::InstanceRecord& rec, const Machine& m);
  StatusOr<ReconcileResult> Fail(const storage::InstanceRecord& rec, const std::string& reason, const std::string& why);
  StatusOr<ReconcileResult> Run(const storage::InstanceRecord& rec, Machine m);
  StatusOr<ReconcileResult> Park(const storage::InstanceRecord& rec, const Machine& m);
  // Writes `w` with what the transition implies: usage opened or closed, the node's booking
  // given back when the instance leaves it, the quota given back with the tombstone.
  Status Write(const storage::InstanceRecord& rec, storage::StatusWrite w);

  storage::Database& db_;
  Driver& driver_;
  std::function<storage::Fence()> fence_;
  std::function<void()> capacity_freed_;

  // Bounded: records beyond it (or with a large user data) are read again when reconciled.
  static constexpr std::size_t kMaxHandedOver = 10'000;
  static constexpr std::size_t kMaxHandedOverUserData = 4'096;
  std::mutex mu_;
  std::unordered_map<std::string, storage::InstanceRecord> handed_over_;
};

}  // namespace gaon::controller
