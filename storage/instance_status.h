// What the controllers read and write of an instance: its status, its placement and the
// bookkeeping a reconciler needs (runs, reboots carried out, eviction). The API writes spec
// (storage/instances.h); these functions write status only, each guarded by the
// resource_version the reconciler read, so a write based on a stale read fails
// (Aborted("conflict")) and the reconciler simply runs again. Operator-wide transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"

namespace gaon::storage {

struct InstanceRecord {
  Instance instance;              // as the API shows it
  std::string stored_phase;       // the phase column (the API shows Deleting over it)
  std::string gpu_type;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  int run_count = 0;              // entries into a consuming phase so far
  int reboots_done = 0;           // reboot requests carried out
  bool evicting = false;          // a drain wants it off its node
  std::optional<std::string> failure_reason;
  std::string user_data;
  std::optional<std::string> node_state;   // of its node: Ready, Cordoned, Down
  std::optional<std::string> node_down_reason;
};

StatusOr<std::optional<InstanceRecord>> LoadInstanceRecord(Tx& tx, const TenantId& tenant, const InstanceId& id);
// What a resync hands the instance reconciler: every instance that is not a tombstone, except
// those that only wait for their first placement (new, Pending, not placed, to run). For
// those the scheduler is the next step, and it enqueues each one it places.
StatusOr<std::vector<std::pair<TenantId, InstanceId>>> ListInstancesToReconcile(Tx& tx);

// The status a reconcile step writes. Fields left empty keep their value; `node` and
// `ip_address` are written as given (nullopt clears them).
struct StatusWrite {
  std::string phase;
  std::vector<Condition> conditions;
  std::optional<std::string> zone;
  std::optional<std::string> node;
  std::optional<std::string> ip_address;
  std::int64_t observed_generation = 0;
  int run_count = 0;
  int reboots_done = 0;
  bool evicting = false;
  std::optional<std::string> failure_reason;
  bool requeue = false;      // back into the placement queue (now at its end)
  bool tombstone = false;    // deletion finished: the row stays as a tombstone
  // The event recorded with the change (its phases are filled in); none when `reason` is empty.
  std::string event_type = "Normal";
  std::string event_reason;
  std::string event_message;
};
// Writes `w` if the instance is still at `before`'s resource_version, with its event and a
// change record (DELETED for a tombstone). Returns the instance as it is now.
StatusOr<Instance> WriteInstanceStatus(Tx& tx, const InstanceRecord& before, const StatusWrite& w);

// Ranks every GPU type's placement queue in the scheduler's fair order and stores each waiting
// instance's position with the time of the ranking (gaon_rank_queue, migration 0012), which
// reads then show (storage/instances.h). Writes only positions that changed and deletes those
// of instances no longer waiting. Costs one pass over the whole queue — the scheduler calls it
// at most once per pass, never a read. Operator-wide transactions. Returns the position rows
// written or deleted.
StatusOr<std::int64_t> RankPlacementQueue(Tx& tx);

}  // namespace gaon::storage
