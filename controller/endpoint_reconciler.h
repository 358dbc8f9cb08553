// EndpointReconciler: drives an inference endpoint toward its spec — replicas of its latest
// revision, as many as the autoscaler wants — one pass per reconcile.
//
// A pass (docs/endpoints.md has the state machine and the rules):
//   1. observes every live replica through the driver and moves it on: Scheduled → Loading
//      (the driver starts it), Loading → Ready (metering opens), a failed or vanished replica →
//      Terminated (metering closes, its node booking and quota are given back, and a replica
//      of a new revision that never became ready counts against that revision);
//   2. on deletion, terminates everything, then leaves a tombstone;
//   3. rolls back a revision whose replicas failed rollout_failure_limit times;
//   4. asks the autoscaler for the size, with scale to zero after an idle period and wake-up
//      on a request;
//   5. creates or terminates replicas: all at once when nothing older serves, else one at a
//      time — surge one new replica, wait until it is ready, then retire one old one — so
//      serving capacity never drops below the desired size; a canary keeps its share;
//   6. writes status, phase and conditions.
// New replicas are admitted against the tenant's gpus quota in the transaction that creates
// them; the scheduler places them like instances. Every write is fenced by the lease.
// Thread-safety: Reconcile may run concurrently for different keys.
#pragma once

#include <functional>

#include "controller/autoscaler.h"
#include "controller/controller.h"
#include "controller/driver.h"
#include "core/config.h"
#include "storage/database.h"
#include "storage/leases.h"

namespace gaon::storage {
struct EndpointRecord;
struct ReplicaRecord;
}  // namespace gaon::storage

namespace gaon::controller {

class EndpointReconciler final : public Reconciler {
 public:
  // `kick_scheduler` runs when replicas wait for a node or capacity was freed.
  EndpointReconciler(storage::Database& db, Driver& driver, const ControllerConfig& config,
                     std::function<storage::Fence()> fence, std::function<void()> kick_scheduler);

  std::string kind() const override { return "endpoint"; }
  StatusOr<ReconcileResult> Reconcile(const std::string& key) override;
  StatusOr<std::vector<std::string>> Keys() override;
  void ReportError(const std::string& key, const Status& error, int failures) override;

 private:
  StatusOr<std::optional<storage::EndpointRecord>> Load(const TenantId& tenant, const EndpointId& id);
  // Step 1 for one replica; true when it changed.
  StatusOr<bool> Observe(const storage::EndpointRecord& rec, const storage::ReplicaRecord& r);
  // Ends a replica: driver teardown, then Terminated with its booking, quota and metering
  // given back. `failure` set: it failed (and counts against its revision when it never
  // became ready and its host did not fail).
  Status Terminate(const storage::EndpointRecord& rec, const storage::ReplicaRecord& r,
                   std::optional<std::string> failure, bool host_failed);
  // Admits and inserts a new replica of `revision`; false (with `*limited` set to why) when the
  // quota refuses it.
  StatusOr<bool> AddReplica(const storage::EndpointRecord& rec, int revision, std::string* limited);
  Status MarkTerminating(const storage::ReplicaRecord& r);

  storage::Database& db_;
  Driver& driver_;
  const ControllerConfig config_;
  std::function<storage::Fence()> fence_;
  std::function<void()> kick_scheduler_;
  Autoscaler autoscaler_;
};

}  // namespace gaon::controller
