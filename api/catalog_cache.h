// CatalogCache: the region and its catalog in memory, for validating requests without a round
// trip per lookup. The catalog changes only when a gaond loads its catalog file (or, later,
// through operator edits), so a snapshot at most 30 s old is refreshed on use.
//
// It also keeps the region's free capacity as the create path uses it: to say whether a new
// instance could be placed now and, when not, where else it could go. That is advice — the
// scheduler places from the nodes themselves, under their row locks, and rewrites the
// instance's condition — so a snapshot at most a second old serves it. Computing it costs a
// scan of every Ready node (2.5 ms with 1,320 hosts and the dead row versions allocations
// leave); once a second instead of once per create (docs/performance.md).
// Thread-safety: Get() and Capacity() may be called from any thread; snapshots are immutable.
//
// A refresh reads through the caller's transaction, never a connection of its own: a handler
// already holds one, and waiting for a second while every handler does the same would
// deadlock the pool.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gaon/model/compute.h"
#include "storage/catalog.h"

namespace gaon::api {

struct CatalogSnapshot {
  Region region;
  std::map<std::string, InstanceType> instance_types;
  std::map<std::string, Image> images;
  std::map<std::string, GpuType> gpu_types;

  const InstanceType* Type(const std::string& id) const;
  const Image* FindImage(const std::string& id) const;
  const Zone* FindZone(const std::string& id) const;
};

class CatalogCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CatalogCache(Clock::duration max_age = std::chrono::seconds(30),
                        Clock::duration capacity_max_age = std::chrono::seconds(1))
      : catalog_(max_age), capacity_(capacity_max_age) {}
  // The current snapshot; loads it through `tx` when missing or older than max_age.
  StatusOr<std::shared_ptr<const CatalogSnapshot>> Get(storage::Tx& tx);
  // How many more of each instance type every zone could place, at most capacity_max_age old.
  StatusOr<std::shared_ptr<const storage::AvailabilityMap>> Capacity(storage::Tx& tx);

 private:
  // One cached value and when it was loaded. Loaded without the lock: requests racing on a
  // stale value each read it once and the last one's stays, which is cheaper than making
  // them wait for one another.
  template <typename T>
  struct Slot {
    explicit Slot(Clock::duration max_age) : max_age(max_age) {}
    template <typename Load>
    StatusOr<std::shared_ptr<const T>> Get(Load load);

    const Clock::duration max_age;
    std::mutex mu;
    std::shared_ptr<const T> value;
    Clock::time_point loaded{};
  };
  Slot<CatalogSnapshot> catalog_;
  Slot<storage::AvailabilityMap> capacity_;
};

}  // namespace gaon::api
