#include "controller/placement.h"

#include <tuple>

namespace gaon::controller {

bool Fits(const storage::QueuedInstance& q, const storage::FreeNode& n) {
  return n.gpu_type == q.gpu_type && (!q.zone || *q.zone == n.zone) && n.free_gpus >= q.gpus &&
         n.free_vcpus >= q.vcpus && n.free_memory_gib >= q.memory_gib;
}

PlacementPlan PlanPlacements(const std::vector<storage::QueuedInstance>& queue, std::vector<storage::FreeNode>& nodes,
                             std::map<std::pair<std::string, std::string>, int> spread) {
  PlacementPlan plan;
  for (const auto& q : queue) {
    storage::FreeNode* best = nullptr;
    std::tuple<bool, int, int, std::string> best_score;
    for (auto& n : nodes) {
      if (!Fits(q, n)) continue;
      const auto it = spread.find({n.id, q.tenant.str()});
      const auto score = std::make_tuple(n.free_gpus == n.gpus, it == spread.end() ? 0 : it->second,
                                         n.free_gpus - q.gpus, n.id);
      if (!best || score < best_score) {
        best = &n;
        best_score = score;
      }
    }
    if (!best) {
      plan.unplaced.push_back(q);
      continue;
    }
    best->free_gpus -= q.gpus;
    best->free_vcpus -= q.vcpus;
    best->free_memory_gib -= q.memory_gib;
    ++spread[{best->id, q.tenant.str()}];
    plan.placed.push_back({q.tenant, q.id, q.resource_version, best->id, best->zone});
  }
  return plan;
}

}  // namespace gaon::controller
