#include "api/catalog_cache.h"

#include "storage/catalog.h"

namespace gaon::api {

const InstanceType* CatalogSnapshot::Type(const std::string& id) const {
  auto it = instance_types.find(id);
  return it == instance_types.end() ? nullptr : &it->second;
}

const Image* CatalogSnapshot::FindImage(const std::string& id) const {
  auto it = images.find(id);
  return it == images.end() ? nullptr : &it->second;
}

const Zone* CatalogSnapshot::FindZone(const std::string& id) const {
  for (const auto& z : region.zones) {
    if (z.id == id) return &z;
  }
  return nullptr;
}

StatusOr<std::shared_ptr<const CatalogSnapshot>> CatalogCache::Get(storage::Tx& tx) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (snapshot_ && now - loaded_ < max_age_) return snapshot_;
  }
  // Loaded without the lock: requests racing here each read the catalog once, and the last
  // one's snapshot stays. That is cheaper than making them wait for one another.
  auto snap = std::make_shared<CatalogSnapshot>();
  ASSIGN_OR_RETURN(snap->region, storage::GetRegion(tx));
  ASSIGN_OR_RETURN(auto types, storage::ListInstanceTypes(tx));
  for (auto& t : types) {
    t.availability.clear();  // capacity changes by the second; never cached
    snap->instance_types.emplace(t.id, std::move(t));
  }
  ASSIGN_OR_RETURN(auto images, storage::ListImages(tx));
  for (auto& im : images) snap->images.emplace(im.id, std::move(im));
  ASSIGN_OR_RETURN(auto gpus, storage::ListGpuTypes(tx));
  for (auto& g : gpus) snap->gpu_types.emplace(g.id, std::move(g));
  std::lock_guard lock(mu_);
  snapshot_ = std::move(snap);
  loaded_ = now;
  return snapshot_;
}

}  // namespace gaon::api
