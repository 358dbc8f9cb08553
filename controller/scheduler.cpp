#include "controller/scheduler.h"

#include <algorithm>
#include <set>

#include "controller/placement.h"
#include "core/log.h"
#include "storage/catalog.h"
#include "storage/endpoints.h"
#include "storage/fleet.h"
#include "storage/instance_status.h"

namespace gaon::controller {
namespace {

constexpr auto kIdlePass = std::chrono::seconds(2);
// After a ranking that took t, the next waits at least kRankingRest × t: ranking a long queue
// (it reads all of it, and a placement at its head moves every position behind) then takes at
// most a tenth of one database backend's time, while a short queue is ranked on every pass.
constexpr int kRankingRest = 9;

// Why `q` waits, and where something could go instead, from what is left after this pass.
storage::Unplaceable Explain(const storage::QueuedInstance& q, const std::vector<storage::FreeNode>& room,
                             const std::vector<InstanceType>& types) {
  storage::Unplaceable u{q.tenant, q.id, q.resource_version, {}, {}};
  std::set<std::string> zones;
  for (const auto& n : room) {
    Demand anywhere = DemandOf(q);
    anywhere.zone.reset();
    if (Fits(anywhere, n)) zones.insert(n.zone);
  }
  u.hints.zones.assign(zones.begin(), zones.end());
  for (const auto& t : types) {
    if (t.id == q.instance_type || t.gpu_type != q.gpu_type || !t.available) continue;
    Demand other = DemandOf(q);
    other.gpus = t.gpu_count;
    other.vcpus = t.vcpus;
    other.memory_gib = t.memory_gib;
    for (const auto& n : room) {
      if (Fits(other, n)) {
        u.hints.instance_types.push_back(t.id);
        break;
      }
    }
  }
  std::string message = "waiting for capacity: no Ready " + q.gpu_type + " host" +
                        (q.zone ? " in " + *q.zone : std::string()) + " has " + std::to_string(q.gpus) +
                        " free GPUs, " + std::to_string(q.vcpus) + " vCPUs and " + std::to_string(q.memory_gib) +
                        " GiB now";
  if (q.zone && !zones.empty()) {
    std::string list;
    for (const auto& z : zones) list += (list.empty() ? "" : ", ") + z;
    message += "; zones that could place it now: " + list;
  }
  if (!u.hints.instance_types.empty()) {
    std::string list;
    for (const auto& t : u.hints.instance_types) list += (list.empty() ? "" : ", ") + t;
    message += "; instance types that could be placed now: " + list;
  }
  // Its position is not part of the stored message (it changes with every placement ahead):
  // reads add it from the last ranking (RankQueue).
  message += ". It is placed in turn as capacity frees.";
  u.condition = Condition{"Scheduled", "False", "Unschedulable", message, Now(), 0};
  return u;
}

// Locks the nodes a plan made on `before` uses (`after` is what it leaves) and checks they
// still take it (storage::NodesWithRoom). Aborted("conflict") when one does not: the pass
// rolls back and runs again at once.
Status LockPlanned(storage::Tx& tx, const std::vector<storage::FreeNode>& before,
                   const std::vector<storage::FreeNode>& after) {
  ASSIGN_OR_RETURN(bool still, storage::LockNodesFor(tx, storage::NeedsOf(before, after)));
  if (!still) return Aborted("a node changed while the pass was planning", "conflict");
  return Status::Ok();
}

}  // namespace

Scheduler::Scheduler(storage::Database& db, int batch, std::function<void(storage::InstanceRecord)> on_placed,
                     std::function<void(const std::string&)> on_replicas_placed)
    : db_(db), batch_(batch), on_placed_(std::move(on_placed)), on_replicas_placed_(std::move(on_replicas_placed)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start(storage::Fence fence) {
  Stop();
  stop_ = false;
  thread_ = std::thread([this, fence] { Loop(fence); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Kick() {
  {
    std::lock_guard lock(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
}

void Scheduler::Loop(storage::Fence fence) {
  // Passes in a row that found a node changed under their plan and ran again at once; more
  // than a few means something keeps changing, and the idle wait paces them.
  constexpr int kMaxReplans = 3;
  int replans = 0;
  std::unique_lock lock(mu_);
  while (!stop_) {
    kicked_ = false;
    lock.unlock();
    auto placed = RunPass(fence);
    // A node changed under the plan: plan again on what it is now.
    const bool again = !placed.ok() && placed.status().reason() == "conflict" && ++replans <= kMaxReplans;
    if (placed.ok()) replans = 0;
    if (!placed.ok() && !again) LogWarn("scheduling pass failed", {{"error", placed.status().ToString()}});
    lock.lock();
    if (again) continue;
    // A full batch means more may be waiting: go again at once.
    if (placed.ok() && *placed >= batch_) continue;
    // A ranking put off by its rest is made as soon as the rest is over, not an idle pass later.
    auto idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(kIdlePass);
    if (ranking_owed_) idle = std::clamp(next_ranking_ - std::chrono::steady_clock::now(), {}, idle);
    cv_.wait_for(lock, idle, [this] { return stop_ || kicked_; });
  }
}

StatusOr<int> Scheduler::RunPass(const storage::Fence& fence) {
  ASSIGN_OR_RETURN(int instances, PlaceInstances(fence));
  ASSIGN_OR_RETURN(int replicas, PlaceReplicas(fence));
  if (instances >= batch_ && !left_waiting_) {
    // A full batch placed and none left waiting: the queue drains as fast as passes run, and
    // every position would be stale a pass later. Ranking (which rewrites the position of
    // everyone behind, 10,000 rows for a 10,000-instance backlog) waits until it stops.
    ranking_owed_ = true;
  } else {
    RETURN_IF_ERROR(RankQueue(fence));
  }
  return instances + replicas;
}

Status Scheduler::RankQueue(const storage::Fence& fence) {
  const auto start = std::chrono::steady_clock::now();
  if (start < next_ranking_) {
    ranking_owed_ = true;
    return Status::Ok();
  }
  // Its own transaction, after the pass's: the node locks are not held while the queue is read.
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "scheduler.rank"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence);
    return storage::RankPlacementQueue(tx).status();
  }));
  const auto end = std::chrono::steady_clock::now();
  next_ranking_ = end + (end - start) * kRankingRest;
  ranking_owed_ = false;
  return Status::Ok();
}

StatusOr<int> Scheduler::PlaceReplicas(const storage::Fence& fence) {
  std::vector<std::string> endpoints;
  int placed = 0;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "scheduler.replicas"}, [&](storage::Tx& tx) -> Status {
    endpoints.clear();
    placed = 0;
    storage::CheckFence(tx, fence);
    ASSIGN_OR_RETURN(auto queue, storage::ReplicaPlacementQueue(tx, batch_));
    if (queue.empty()) return Status::Ok();
    std::set<std::string> gpu_types, endpoints_waiting;
    for (const auto& q : queue) {
      gpu_types.insert(q.gpu_type);
      endpoints_waiting.insert(q.endpoint.str());
    }
    ASSIGN_OR_RETURN(auto nodes, storage::NodesWithRoom(tx, {gpu_types.begin(), gpu_types.end()}));
    ASSIGN_OR_RETURN(auto spread, storage::ReplicaSpread(tx, {endpoints_waiting.begin(), endpoints_waiting.end()}));
    const std::vector<storage::FreeNode> before = nodes;
    std::vector<storage::ReplicaPlacement> placements;
    std::vector<std::pair<storage::ReplicaRecord, std::string>> unplaced;
    for (const auto& q : queue) {
      const Demand d{q.endpoint.str(), q.gpu_type, q.requested_zone, q.gpus, q.vcpus, q.memory_gib, true};
      if (const storage::FreeNode* n = PlaceOne(d, nodes, spread)) {
        placements.push_back({q.tenant, q.id, n->id, n->zone});
      } else {
        unplaced.emplace_back(q, "waiting for capacity: no Ready " + q.gpu_type + " host" +
                                     (q.requested_zone ? " in " + *q.requested_zone : std::string()) + " has " +
                                     std::to_string(q.gpus) + " free GPUs now");
      }
    }
    RETURN_IF_ERROR(LockPlanned(tx, before, nodes));
    ASSIGN_OR_RETURN(endpoints, storage::PlaceReplicas(tx, placements));
    placed = static_cast<int>(placements.size());
    return storage::NoteUnplacedReplicas(tx, unplaced);
  }));
  if (on_replicas_placed_) {
    for (const auto& key : endpoints) on_replicas_placed_(key);
  }
  return placed;
}

StatusOr<int> Scheduler::PlaceInstances(const storage::Fence& fence) {
  std::vector<storage::InstanceRecord> placed;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "scheduler.pass"}, [&](storage::Tx& tx) -> Status {
    placed.clear();
    left_waiting_ = false;
    storage::CheckFence(tx, fence);
    ASSIGN_OR_RETURN(auto queue, storage::PlacementQueue(tx, batch_));
    if (queue.empty()) return Status::Ok();
    std::set<std::string> gpu_types, tenants;
    for (const auto& q : queue) {
      gpu_types.insert(q.gpu_type);
      tenants.insert(q.tenant.str());
    }
    ASSIGN_OR_RETURN(auto nodes, storage::NodesWithRoom(tx, {gpu_types.begin(), gpu_types.end()}));
    ASSIGN_OR_RETURN(auto spread, storage::TenantSpread(tx, {tenants.begin(), tenants.end()}, nodes));
    const std::vector<storage::FreeNode> before = nodes;
    PlacementPlan plan = PlanPlacements(queue, nodes, std::move(spread));
    RETURN_IF_ERROR(LockPlanned(tx, before, nodes));
    ASSIGN_OR_RETURN(placed, storage::Place(tx, plan.placed));
    left_waiting_ = !plan.unplaced.empty();
    if (plan.unplaced.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(auto types, storage::ListInstanceTypes(tx));
    std::vector<storage::Unplaceable> notes;
    for (const auto& q : plan.unplaced) {
      storage::Unplaceable u = Explain(q, nodes, types);
      if (u.condition.message != q.condition_message) notes.push_back(std::move(u));
    }
    return storage::MarkUnschedulable(tx, notes).status();
  }));
  const int count = static_cast<int>(placed.size());
  for (auto& rec : placed) on_placed_(std::move(rec));
  return count;
}

}  // namespace gaon::controller
