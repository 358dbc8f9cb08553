// Placement: which node each waiting instance goes to. Pure (no I/O), so it is tested alone.
//
// Instances are taken in queue order (fair across tenants, see storage::PlacementQueue); each
// goes to a Ready node of its GPU type (and requested zone) with room for its GPUs, vCPUs and
// memory. Among the nodes that fit it prefers, in order:
//   1. a node already in use over an empty one — small instances fill partly used hosts, so
//      whole 8-GPU hosts stay free for 8-GPU instances;
//   2. a node with fewer instances of the same tenant — a tenant's instances spread across
//      hosts when they can, so one host failing takes fewer of them;
//   3. the tightest fit (fewest GPUs left over), then the node id (a stable choice).
// An instance that fits nowhere is left for a later pass; the ones after it may still go.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/fleet.h"

namespace gaon::controller {

struct PlacementPlan {
  std::vector<storage::Placement> placed;
  std::vector<storage::QueuedInstance> unplaced;
};

// `nodes` is updated to the room left after the plan; `spread` counts (node, tenant) → instances.
PlacementPlan PlanPlacements(const std::vector<storage::QueuedInstance>& queue, std::vector<storage::FreeNode>& nodes,
                             std::map<std::pair<std::string, std::string>, int> spread);

// Whether `q` would fit on `n` as it is.
bool Fits(const storage::QueuedInstance& q, const storage::FreeNode& n);

}  // namespace gaon::controller
