// Scheduler: places waiting instances and endpoint replicas on nodes, in passes, on the leader
// only.
//
// A pass is one transaction: it reads the queue in fair order (storage::PlacementQueue), locks
// the Ready nodes with room (FOR UPDATE), plans (controller/placement.h) and books every
// placement with its allocation and the node's counters (storage::Place). Instances that fit
// nowhere get an Unschedulable condition that says why and where something could go instead.
// After the pass, in a transaction of its own, the whole queue is ranked and every waiting
// instance's position stored (storage::RankPlacementQueue), which reads show with the time of
// the ranking; a ranking that took t is not repeated within 9 t, so a long queue costs the
// database at most a tenth of a backend and its positions are at most that stale.
// Capacity is never double-booked: the node locks serialise concurrent passes, the fence
// refuses a pass of a replica that lost the lease, and the database refuses overbooking.
// Passes run when kicked (an instance waits, capacity was freed) and every couple of seconds.
// Thread-safety: Kick from any thread; Start/Stop from one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/config.h"
#include "storage/database.h"
#include "storage/instance_status.h"
#include "storage/leases.h"

namespace gaon::controller {

class Scheduler {
 public:
  // `on_placed` gets every instance placed, as the placing transaction left it, after commit;
  // `on_replicas_placed` the key ("<tenant>/<endpoint>") of every endpoint whose replicas were.
  Scheduler(storage::Database& db, int batch, std::function<void(storage::InstanceRecord)> on_placed,
            std::function<void(const std::string&)> on_replicas_placed = {});
  ~Scheduler();
  void Start(storage::Fence fence);
  void Stop();
  void Kick();
  // One pass, then a ranking of the queue unless the last one was too recent; returns how many
  // instances and endpoint replicas it placed. Called by the scheduler's thread (or, without
  // Start, by one caller at a time).
  StatusOr<int> RunPass(const storage::Fence& fence);

 private:
  void Loop(storage::Fence fence);
  StatusOr<int> PlaceInstances(const storage::Fence& fence);
  // Endpoint replicas go by the same rules, after the instances, in their own transaction.
  StatusOr<int> PlaceReplicas(const storage::Fence& fence);
  // Stores every waiting instance's queue position, or notes a ranking owed when the last one
  // was less than its rest ago.
  Status RankQueue(const storage::Fence& fence);

  storage::Database& db_;
  const int batch_;
  std::function<void(storage::InstanceRecord)> on_placed_;
  std::function<void(const std::string&)> on_replicas_placed_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;
  bool stop_ = false;
  // The ranking's pacing; touched by the thread running passes only.
  std::chrono::steady_clock::time_point next_ranking_{};
  bool ranking_owed_ = false;
  // The last instance pass read instances it could not place (they wait for capacity).
  bool left_waiting_ = false;
  std::thread thread_;
};

}  // namespace gaon::controller
