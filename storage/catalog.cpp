#include "storage/catalog.h"

#include <map>

#include "core/log.h"

#include "storage/internal/rows.h"
#include "storage/billing.h"
#include "storage/models.h"

namespace gaon::storage {
namespace {

constexpr Sql kUpsertRegion{"catalog.upsert_region",
                            "INSERT INTO regions (region_id, display_name, jurisdiction, time_zone, object_storage) VALUES ($1, $2, "
                            "$3, $4, $5::jsonb) ON CONFLICT (region_id) DO UPDATE SET display_name = excluded.display_name, "
                            "jurisdiction = excluded.jurisdiction, time_zone = excluded.time_zone, object_storage = "
                            "excluded.object_storage, updated_at = now()"};
constexpr Sql kUpsertZone{"catalog.upsert_zone",
                          "INSERT INTO zones (zone_id, region_id, display_name, status) VALUES ($1, $2, $3, $4) "
                          "ON CONFLICT (zone_id) DO UPDATE SET display_name = excluded.display_name, status = "
                          "excluded.status, updated_at = now()"};
constexpr Sql kUpsertGpu{"catalog.upsert_gpu_type",
                         "INSERT INTO gpu_types (gpu_type_id, display_name, vendor, architecture, memory_gib, interconnect, "
                         "mig_profiles) VALUES ($1, $2, $3, $4, $5, $6, $7::text[]) ON CONFLICT (gpu_type_id) DO UPDATE SET "
                         "display_name = excluded.display_name, vendor = excluded.vendor, architecture = "
                         "excluded.architecture, memory_gib = excluded.memory_gib, interconnect = excluded.interconnect, "
                         "mig_profiles = excluded.mig_profiles, updated_at = now()"};
constexpr Sql kUpsertType{"catalog.upsert_instance_type",
                          "INSERT INTO instance_types (instance_type_id, display_name, gpu_type_id, gpu_count, vcpus, "
                          "memory_gib, local_nvme_gib, network_gbps, available) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                          "ON CONFLICT (instance_type_id) DO UPDATE SET display_name = excluded.display_name, gpu_type_id = "
                          "excluded.gpu_type_id, gpu_count = excluded.gpu_count, vcpus = excluded.vcpus, memory_gib = "
                          "excluded.memory_gib, local_nvme_gib = excluded.local_nvme_gib, network_gbps = "
                          "excluded.network_gbps, available = excluded.available, updated_at = now()"};
constexpr Sql kUpsertImage{"catalog.upsert_image",
                           "INSERT INTO images (image_id, display_name, os, os_version, cuda_version, driver_version, "
                           "gpu_types, status) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8) ON CONFLICT (image_id) DO "
                           "UPDATE SET display_name = excluded.display_name, os = excluded.os, os_version = "
                           "excluded.os_version, cuda_version = excluded.cuda_version, driver_version = "
                           "excluded.driver_version, gpu_types = excluded.gpu_types, status = excluded.status, "
                           "updated_at = now()"};

constexpr Sql kRegion{"catalog.region",
                      "SELECT r.region_id, r.display_name, r.jurisdiction, r.time_zone, z.zone_id, z.display_name, "
                      "z.status, r.object_storage::text FROM regions r JOIN zones z ON z.region_id = r.region_id ORDER BY z.zone_id"};
constexpr Sql kGpuTypes{"catalog.gpu_types",
                        "SELECT gpu_type_id, display_name, vendor, architecture, memory_gib, interconnect, "
                        "array_to_json(mig_profiles)::text FROM gpu_types ORDER BY gpu_type_id"};
constexpr Sql kTypes{"catalog.instance_types",
                     "SELECT instance_type_id, display_name, gpu_type_id, gpu_count, vcpus, memory_gib, local_nvme_gib, "
                     "network_gbps, available FROM instance_types ORDER BY gpu_type_id, gpu_count, instance_type_id"};
constexpr Sql kType{"catalog.instance_type",
                    "SELECT instance_type_id, display_name, gpu_type_id, gpu_count, vcpus, memory_gib, local_nvme_gib, "
                    "network_gbps, available FROM instance_types WHERE instance_type_id = $1"};
constexpr Sql kImages{"catalog.images",
                      "SELECT image_id, display_name, os, os_version, cuda_version, driver_version, "
                      "array_to_json(gpu_types)::text, status FROM images ORDER BY image_id"};
constexpr Sql kImage{"catalog.image",
                     "SELECT image_id, display_name, os, os_version, cuda_version, driver_version, "
                     "array_to_json(gpu_types)::text, status FROM images WHERE image_id = $1"};
// Free capacity per zone for every instance type: for each Ready node of the type's GPU, how
// many whole instances fit in what is left of its GPUs, vCPUs and memory.
constexpr Sql kAvailability{
    "catalog.availability",
    "SELECT t.instance_type_id, z.zone_id, coalesce(sum(least((n.gpu_count - n.allocated_gpus) / t.gpu_count, "
    "(n.vcpus - n.allocated_vcpus) / t.vcpus, (n.memory_gib - n.allocated_memory_gib) / t.memory_gib)), 0) "
    "FROM instance_types t CROSS JOIN zones z LEFT JOIN nodes n ON n.zone_id = z.zone_id AND n.gpu_type_id = "
    "t.gpu_type_id AND n.state = 'Ready' AND z.status = 'available' "
    "WHERE ($1::text IS NULL OR t.instance_type_id = $1) GROUP BY t.instance_type_id, z.zone_id "
    "ORDER BY t.instance_type_id, z.zone_id"};


std::vector<std::string> JsonStrings(const ResultField& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  const boost::json::value parsed = boost::json::parse(f.c_str());
  for (const auto& v : parsed.as_array()) out.emplace_back(v.as_string());
  return out;
}

InstanceType TypeRow(const ResultRow& r) {
  InstanceType t;
  t.id = r[0].c_str();
  t.display_name = r[1].c_str();
  t.gpu_type = r[2].c_str();
  t.gpu_count = r[3].as<int>();
  t.vcpus = r[4].as<int>();
  t.memory_gib = r[5].as<int>();
  t.local_nvme_gib = r[6].as<int>();
  t.network_gbps = r[7].as<int>();
  t.available = r[8].as<bool>();
  return t;
}

Image ImageRow(const ResultRow& r) {
  Image im;
  im.id = r[0].c_str();
  im.display_name = r[1].c_str();
  im.os = r[2].c_str();
  im.os_version = r[3].c_str();
  im.cuda_version = r[4].c_str();
  im.driver_version = r[5].c_str();
  im.gpu_types = JsonStrings(r[6]);
  im.status = r[7].c_str();
  return im;
}

// kAvailability's rows by type id.
AvailabilityMap ByType(const Result& rows) {
  AvailabilityMap out;
  for (const auto& row : rows) out[row[0].c_str()].push_back({row[1].c_str(), row[2].as<std::int64_t>()});
  return out;
}

// Availability of every instance type (or one), by type id.
AvailabilityMap AvailabilityOf(Tx& tx, const std::optional<std::string>& type) {
  return ByType(Exec(tx, kAvailability, type));
}

}  // namespace

Status UpsertCatalog(Tx& tx, const Catalog& c) {
  Exec(tx, kUpsertRegion, c.region.id, c.region.display_name, c.region.jurisdiction, c.region.time_zone,
       ToJsonText(c.region.object_storage));
  for (const auto& z : c.region.zones) Exec(tx, kUpsertZone, z.id, c.region.id, z.display_name, z.status);
  for (const auto& g : c.gpu_types) {
    Exec(tx, kUpsertGpu, g.id, g.display_name, g.vendor, g.architecture, g.memory_gib, g.interconnect,
         TextArray(g.mig_profiles));
  }
  for (const auto& t : c.instance_types) {
    Exec(tx, kUpsertType, t.id, t.display_name, t.gpu_type, t.gpu_count, t.vcpus, t.memory_gib, t.local_nvme_gib,
         t.network_gbps, t.available);
  }
  RETURN_IF_ERROR(SeedModels(tx, c.models));
  ASSIGN_OR_RETURN(const int skipped, SeedBilling(tx, c.billing));
  if (skipped > 0) {
    LogWarn("catalog prices dated in the past were not added: a SKU that has a price only takes new ones from now on",
            {{"skipped", skipped}});
  }
  for (const auto& im : c.images) {
    Exec(tx, kUpsertImage, im.id, im.display_name, im.os, im.os_version, im.cuda_version, im.driver_version,
         TextArray(im.gpu_types), im.status);
  }
  return Status::Ok();
}

StatusOr<Region> GetRegion(Tx& tx) {
  const auto r = Exec(tx, kRegion);
  if (r.empty()) return NotFound("no region is configured: set catalog.file", "no_catalog");
  Region region;
  region.id = r[0][0].c_str();
  region.display_name = r[0][1].c_str();
  region.jurisdiction = r[0][2].c_str();
  region.time_zone = r[0][3].c_str();
  for (const auto& row : r) region.zones.push_back({row[4].c_str(), row[5].c_str(), row[6].c_str()});
  region.object_storage = JsonList<ObjectStorageLocation>(r[0][7]);
  return region;
}

StatusOr<std::vector<GpuType>> ListGpuTypes(Tx& tx) {
  std::vector<GpuType> out;
  for (const auto& r : Exec(tx, kGpuTypes)) {
    out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].as<int>(), r[5].c_str(),
                   JsonStrings(r[6])});
  }
  return out;
}

StatusOr<std::vector<InstanceType>> ListInstanceTypes(Tx& tx) {
  auto availability = AvailabilityOf(tx, std::nullopt);
  std::vector<InstanceType> out;
  for (const auto& r : Exec(tx, kTypes)) {
    InstanceType t = TypeRow(r);
    t.availability = std::move(availability[t.id]);
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<std::optional<InstanceType>> GetInstanceType(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, kType, id);
  if (r.empty()) return std::optional<InstanceType>();
  return std::optional<InstanceType>(TypeRow(r[0]));
}

StatusOr<std::vector<Image>> ListImages(Tx& tx) {
  std::vector<Image> out;
  for (const auto& r : Exec(tx, kImages)) out.push_back(ImageRow(r));
  return out;
}

StatusOr<std::optional<Image>> GetImage(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, kImage, id);
  if (r.empty()) return std::optional<Image>();
  return std::optional<Image>(ImageRow(r[0]));
}

StatusOr<std::vector<ZoneAvailability>> Availability(Tx& tx, const InstanceType& type) {
  return std::move(AvailabilityOf(tx, type.id)[type.id]);
}

StatusOr<AvailabilityMap> AvailabilityByType(Tx& tx) { return AvailabilityOf(tx, std::nullopt); }

}  // namespace gaon::storage
