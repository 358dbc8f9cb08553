#include "controller/placement.h"

#include <string_view>
#include <tuple>

namespace gaon::controller {

Demand DemandOf(const storage::QueuedInstance& q) {
  return {q.tenant.str(), q.gpu_type, q.zone, q.gpus, q.vcpus, q.memory_gib};
}

bool Fits(const Demand& d, const storage::FreeNode& n) {
  return n.gpu_type == d.gpu_type && (!d.zone || *d.zone == n.zone) && n.free_gpus >= d.gpus &&
         n.free_vcpus >= d.vcpus && n.free_memory_gib >= d.memory_gib;
}

const storage::FreeNode* PlaceOne(const Demand& d, std::vector<storage::FreeNode>& nodes, Spread& spread) {
  storage::FreeNode* best = nullptr;
  std::tuple<int, int, int, std::string_view> best_score;
  for (auto& n : nodes) {
    if (!Fits(d, n)) continue;
    const auto it = spread.find({n.id, d.group});
    const int same = it == spread.end() ? 0 : it->second;
    const int empty = n.free_gpus == n.gpus ? 1 : 0;
    const std::string_view id = n.id;  // no copy per node and instance
    const auto score = d.spread_first ? std::make_tuple(same, empty, n.free_gpus - d.gpus, id)
                                      : std::make_tuple(empty, same, n.free_gpus - d.gpus, id);
    if (!best || score < best_score) {
      best = &n;
      best_score = score;
    }
  }
  if (!best) return nullptr;
  best->free_gpus -= d.gpus;
  best->free_vcpus -= d.vcpus;
  best->free_memory_gib -= d.memory_gib;
  ++spread[{best->id, d.group}];
  return best;
}

PlacementPlan PlanPlacements(const std::vector<storage::QueuedInstance>& queue, std::vector<storage::FreeNode>& nodes,
                             Spread spread) {
  PlacementPlan plan;
  for (const auto& q : queue) {
    const storage::FreeNode* node = PlaceOne(DemandOf(q), nodes, spread);
    if (!node) {
      plan.unplaced.push_back(q);
      continue;
    }
    plan.placed.push_back({q.tenant, q.id, q.resource_version, node->id, node->zone});
  }
  return plan;
}

}  // namespace gaon::controller
