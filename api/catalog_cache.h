// CatalogCache: the region and its catalog in memory, for validating requests without a round
// trip per lookup. The catalog changes only when a gaond loads its catalog file (or, later,
// through operator edits), so a snapshot at most 30 s old is refreshed on use.
// Thread-safety: Get() may be called from any thread; snapshots are immutable.
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

namespace gaon::storage {
class Tx;
}

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
  explicit CatalogCache(std::chrono::seconds max_age = std::chrono::seconds(30)) : max_age_(max_age) {}
  // The current snapshot; loads it through `tx` when missing or older than max_age.
  StatusOr<std::shared_ptr<const CatalogSnapshot>> Get(storage::Tx& tx);

 private:
  const std::chrono::seconds max_age_;
  std::mutex mu_;
  std::shared_ptr<const CatalogSnapshot> snapshot_;
  std::chrono::steady_clock::time_point loaded_{};
};

}  // namespace gaon::api
