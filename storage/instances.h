// GPU instances repository. The API writes spec (and the initial status at admission); the
// controllers write status. Every function runs in the caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"
#include "storage/query.h"
#include "storage/quotas.h"

namespace gaon::storage {

// What an instance of `type` counts for against quotas.
Footprint InstanceFootprint(const InstanceType& type);
Footprint InstanceFootprint(const std::string& gpu_type, int gpus, int vcpus, int memory_gib);

// Queues the insert of admitted instances alike but for their ids and names — `instance` with
// each (id, name) of `names` — and of the first event of each, in one statement (it goes with
// the next statement that needs an answer). Get() returns them in the order of `names`, or
// AlreadyExists("name_taken") naming the first that a live instance of the tenant has (the
// caller's transaction must then roll back: the others are in).
Pending<StatusOr<std::vector<Instance>>> QueueInsertInstances(Tx& tx, const Instance& instance,
                                                              const std::vector<std::pair<InstanceId, std::string>>& names,
                                                              const InstanceType& type, const InstanceEvent& first);
// NotFound unless the tenant has it (tombstones included only when asked). A waiting instance
// comes with its place in its GPU type's queue (status.queue_position, 1 = next) as of the
// scheduler's last ranking, which its Scheduled condition states; none before its first
// ranking. Lists do the same. Neither ranks the queue (RankPlacementQueue in
// instance_status.h does, for the scheduler).
StatusOr<Instance> GetInstance(Tx& tx, const TenantId& tenant, const InstanceId& id, bool include_deleted = false);

struct InstanceFilter {
  std::optional<std::string> phase;
  std::optional<std::string> zone;
  std::optional<std::string> instance_type;
  bool include_deleted = false;
};
StatusOr<Page<Instance>> ListInstances(Tx& tx, const TenantId& tenant, const InstanceFilter& filter, const ListQuery& q);

// Name and labels. FailedPrecondition("precondition_failed") on a version mismatch;
// AlreadyExists("name_taken") on a name clash.
StatusOr<Instance> UpdateInstanceMeta(Tx& tx, const Instance& updated, std::int64_t expected_version);

enum class InstanceAction { kStop, kStart, kReboot, kDelete };
// Changes spec for an action and bumps generation (and resource_version). Idempotent: stopping
// a stopped instance, or deleting one being deleted, changes nothing and returns it as is.
// FailedPrecondition("instance_deleting") for start/stop/reboot of an instance being deleted.
StatusOr<Instance> ApplyInstanceAction(Tx& tx, const TenantId& tenant, const InstanceId& id, InstanceAction action,
                                       bool* changed);

// What a drain of `node` does to its live instances: "reschedule" marks them to be moved
// (the controllers stop each and place it again elsewhere), "stop" asks them to stop (spec,
// as the tenant's :stop would). Operator-wide. Returns the instances changed.
StatusOr<std::vector<Instance>> DrainInstances(Tx& tx, const std::string& node, const std::string& policy);

Status AddInstanceEvent(Tx& tx, const TenantId& tenant, const InstanceId& id, const InstanceEvent& e);
StatusOr<Page<InstanceEvent>> ListInstanceEvents(Tx& tx, const TenantId& tenant, const InstanceId& id, const ListQuery& q);

}  // namespace gaon::storage
