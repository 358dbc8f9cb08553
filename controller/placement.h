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
// Endpoint replicas swap 1 and 2 (Demand::spread_first): an endpoint's replicas go to
// different hosts first, so one host failing takes one replica of it.
// An instance that fits nowhere is left for a later pass; the ones after it may still go.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/fleet.h"

namespace gaon::controller {

struct PlacementPlan {
  std::vector<storage::Placement> placed;
  std::vector<storage::QueuedInstance> unplaced;
};

// What one consumer (an instance, an endpoint replica) needs from a node. `group` is what
// its placement spreads: a tenant's instances, an endpoint's replicas.
struct Demand {
  std::string group;
  std::string gpu_type;
  std::optional<std::string> zone;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  // Spreading before packing: an endpoint's replicas go to different hosts first (one host
  // failing then takes one replica), and fill partly used hosts only among equals.
  bool spread_first = false;
};
Demand DemandOf(const storage::QueuedInstance& q);

// (node, group) → consumers of the group on the node.
using Spread = std::map<std::pair<std::string, std::string>, int>;

// The node `d` goes to by the rules above, with its room taken there and `spread` counted;
// nullptr when it fits nowhere.
const storage::FreeNode* PlaceOne(const Demand& d, std::vector<storage::FreeNode>& nodes, Spread& spread);

// `nodes` is updated to the room left after the plan; `spread` counts (node, tenant) → instances.
PlacementPlan PlanPlacements(const std::vector<storage::QueuedInstance>& queue, std::vector<storage::FreeNode>& nodes,
                             Spread spread);

// Whether `d` would fit on `n` as it is.
bool Fits(const Demand& d, const storage::FreeNode& n);

}  // namespace gaon::controller
