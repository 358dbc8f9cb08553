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

template <typename T>
template <typename Load>
StatusOr<std::shared_ptr<const T>> CatalogCache::Slot<T>::Get(Load load) {
  const auto now = Clock::now();
  {
    std::lock_guard lock(mu);
    if (value && now - loaded < max_age) return value;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const T> fresh, load());
  std::lock_guard lock(mu);
  value = std::move(fresh);
  loaded = now;
  return value;
}

StatusOr<std::shared_ptr<const CatalogSnapshot>> CatalogCache::Get(storage::Tx& tx) {
  return catalog_.Get([&tx]() -> StatusOr<std::shared_ptr<const CatalogSnapshot>> {
    auto snap = std::make_shared<CatalogSnapshot>();
    ASSIGN_OR_RETURN(snap->region, storage::GetRegion(tx));
    ASSIGN_OR_RETURN(auto types, storage::ListInstanceTypes(tx));
    for (auto& t : types) {
      t.availability.clear();  // capacity has its own, much shorter-lived snapshot
      snap->instance_types.emplace(t.id, std::move(t));
    }
    ASSIGN_OR_RETURN(auto images, storage::ListImages(tx));
    for (auto& im : images) snap->images.emplace(im.id, std::move(im));
    ASSIGN_OR_RETURN(auto gpus, storage::ListGpuTypes(tx));
    for (auto& g : gpus) snap->gpu_types.emplace(g.id, std::move(g));
    return std::shared_ptr<const CatalogSnapshot>(std::move(snap));
  });
}

StatusOr<std::shared_ptr<const storage::AvailabilityMap>> CatalogCache::Capacity(storage::Tx& tx) {
  return capacity_.Get([&tx]() -> StatusOr<std::shared_ptr<const storage::AvailabilityMap>> {
    ASSIGN_OR_RETURN(auto map, storage::AvailabilityByType(tx));
    return std::make_shared<const storage::AvailabilityMap>(std::move(map));
  });
}

}  // namespace gaon::api
