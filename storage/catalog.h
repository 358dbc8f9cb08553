// Catalog repository: the region, its zones, GPU types, instance types (with how many more
// of each every zone could place now) and images.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"

namespace gaon::storage {

// Inserts or updates every entry of the catalog (never deletes). Needs platform access.
Status UpsertCatalog(Tx& tx, const Catalog& catalog);

// The region this deployment serves, with its zones. NotFound before a catalog was loaded.
StatusOr<Region> GetRegion(Tx& tx);
StatusOr<std::vector<GpuType>> ListGpuTypes(Tx& tx);
// With per-zone availability computed from the nodes' free capacity.
StatusOr<std::vector<InstanceType>> ListInstanceTypes(Tx& tx);
StatusOr<std::optional<InstanceType>> GetInstanceType(Tx& tx, const std::string& id);
StatusOr<std::vector<Image>> ListImages(Tx& tx);
StatusOr<std::optional<Image>> GetImage(Tx& tx, const std::string& id);

// How many more instances of `type` each zone could place now (zones with none included).
StatusOr<std::vector<ZoneAvailability>> Availability(Tx& tx, const InstanceType& type);
// The same for every instance type, by type id.
using AvailabilityMap = std::map<std::string, std::vector<ZoneAvailability>>;
StatusOr<AvailabilityMap> AvailabilityByType(Tx& tx);

}  // namespace gaon::storage
