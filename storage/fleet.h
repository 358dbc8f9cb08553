// The fleet: GPU hosts (nodes), what is booked on them (allocations), and the placement queue.
//
// Capacity is never double-booked: the scheduler locks the nodes it places on (FOR UPDATE), and
// books each placement with its allocation row and the node's counters in one statement of the
// same transaction; nodes_capacity_check refuses anything beyond a node's size regardless.
// Every function runs in the caller's transaction; the writes need operator-wide access
// (controllers and operator routes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/fleet_loader.h"
#include "gaon/model/compute.h"
#include "gaon/model/fleet.h"
#include "storage/database.h"
#include "storage/instance_status.h"
#include "storage/query.h"

namespace gaon::storage {

// ---------------------------------------------------------------- nodes (operators)

struct NodeFilter {
  std::optional<std::string> zone;
  std::optional<std::string> gpu_type;
  std::optional<std::string> state;
};
StatusOr<Page<Node>> ListNodes(Tx& tx, const NodeFilter& filter, const ListQuery& q);
StatusOr<Node> GetNode(Tx& tx, const std::string& id);
// Cordons (true) or uncordons (false) a node. Uncordoning ends a drain. A Down node stays
// Down either way (only its heartbeat brings it back). NotFound for an unknown node.
StatusOr<Node> SetNodeCordoned(Tx& tx, const std::string& id, bool cordoned);
// Cordons the node and records the drain policy; the caller then acts on its instances.
StatusOr<Node> StartDrain(Tx& tx, const std::string& id, const std::string& policy);

// ---------------------------------------------------------------- inventory and health (controllers)

// Registers new hosts and updates sizes; a healthy host's heartbeat becomes now, and a Down
// host that is healthy again comes back Ready. Never removes a node.
Status SyncNodes(Tx& tx, const std::vector<FleetHost>& inventory);
// Marks Down every node whose heartbeat is older than `timeout`; returns their ids.
StatusOr<std::vector<std::string>> MarkSilentNodesDown(Tx& tx, std::chrono::milliseconds timeout);
// The live instances placed on `nodes`.
StatusOr<std::vector<std::pair<TenantId, InstanceId>>> InstancesOnNodes(Tx& tx, const std::vector<std::string>& nodes);

// ---------------------------------------------------------------- the placement queue (scheduler)

// A live instance that wants to run and has no node, in the scheduler's order.
struct QueuedInstance {
  TenantId tenant;
  InstanceId id;
  std::string gpu_type;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  std::optional<std::string> zone;   // requested
  std::string instance_type;
  std::int64_t resource_version = 0;
  std::string condition_message;     // of its current Scheduled condition, to avoid rewriting it
};
// The next `limit` waiting instances in fair order (the instance_queue view, migration 0006):
// per GPU type, tenants take turns, the least recently served first; first come, first
// served within a tenant.
StatusOr<std::vector<QueuedInstance>> PlacementQueue(Tx& tx, int limit);

// A Ready node with room, locked until the transaction ends.
struct FreeNode {
  std::string id;
  std::string zone;
  std::string gpu_type;
  int gpus = 0;          // total
  int free_gpus = 0;
  int free_vcpus = 0;
  int free_memory_gib = 0;
};
// Placing is optimistic: a pass plans on the Ready nodes with room as they are now, without
// locking them (a pass used to lock every one of them, ~1,300 row locks in the 10,000-instance
// bench, on every pass), then locks only the nodes its plan uses and checks they still take it.
// Node rows change under a pass only by allocations given back (more room), a node going
// Down or Cordoned, a zone closing, or — with a split brain — another pass; the check catches
// all of these, and the node locks, held until commit, serialise the bookings themselves.
StatusOr<std::vector<FreeNode>> NodesWithRoom(Tx& tx, const std::vector<std::string>& gpu_types);
// What a plan takes from each node: the difference of the room before and after it (`after`
// is `before` with the plan's room taken, in the same order).
struct NodeNeed {
  std::string node;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
};
std::vector<NodeNeed> NeedsOf(const std::vector<FreeNode>& before, const std::vector<FreeNode>& after);
// Locks the nodes of `needs` until commit and answers whether each is still Ready, in an
// available zone, with the room asked for. False: the pass must plan again.
StatusOr<bool> LockNodesFor(Tx& tx, const std::vector<NodeNeed>& needs);
// How many instances each of `tenants` has on each of `nodes`: (node, tenant) → count.
StatusOr<std::map<std::pair<std::string, std::string>, int>> TenantSpread(Tx& tx, const std::vector<std::string>& tenants,
                                                                          const std::vector<FreeNode>& nodes);

struct Placement {
  TenantId tenant;
  InstanceId id;
  std::int64_t resource_version = 0;
  std::string node;
  std::string zone;
};
// Books each placement: the instance gets its node and phase Scheduled, an allocation row is
// written and the node's counters move — skipping instances that changed since they were
// queued (resource_version). Returns the instances placed, as they are now, each with what
// LoadInstanceRecord would read (its node's state as this transaction left it).
StatusOr<std::vector<InstanceRecord>> Place(Tx& tx, const std::vector<Placement>& placements);

// Writes an Unschedulable condition (and where it could go instead) on queued instances
// that did not fit. Returns them as they are now.
struct Unplaceable {
  TenantId tenant;
  InstanceId id;
  std::int64_t resource_version = 0;
  Condition condition;
  PlacementHints hints;
};
StatusOr<std::vector<Instance>> MarkUnschedulable(Tx& tx, const std::vector<Unplaceable>& notes);

// Gives a consumer's booking back to its node (no-op when it has none). Queued to travel with
// the transaction's next statement or COMMIT.
void ReleaseAllocation(Tx& tx, const std::string& consumer_kind, const TenantId& tenant, const std::string& consumer);

}  // namespace gaon::storage
