#include "core/catalog_loader.h"

#include "core/yaml_file.h"

#include <algorithm>
#include <set>

#include "core/iso.h"

namespace gaon {
namespace {

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument("catalog: " + where + ": " + what, "invalid_catalog");
}

// Reads `key` of `node` into `out`; `where` names the entry for error messages.
template <typename T>
Status Get(const YAML::Node& node, const char* key, T* out, const std::string& where, bool required = true) {
  const YAML::Node v = node[key];
  if (!v) return required ? Bad(where, std::string(key) + " is required") : Status::Ok();
  try {
    *out = v.as<T>();
  } catch (const YAML::Exception&) {
    return Bad(where, std::string(key) + " has the wrong type");
  }
  return Status::Ok();
}

Status CheckId(const std::string& id, const std::string& where) {
  if (id.empty() || id.size() > 63) return Bad(where, "id must be 1–63 characters");
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return Bad(where, "id '" + id + "' may only hold lowercase letters, digits, '-' and '.'");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Catalog> LoadCatalog(const std::string& path) {
  ASSIGN_OR_RETURN(const YAML::Node root, ReadYamlFile(path, "catalog"));
  Catalog c;
  const YAML::Node region = root["region"];
  if (!region || !region.IsMap()) return Bad(path, "region is required");
  RETURN_IF_ERROR(Get(region, "id", &c.region.id, "region"));
  RETURN_IF_ERROR(CheckId(c.region.id, "region"));
  RETURN_IF_ERROR(Get(region, "display_name", &c.region.display_name, "region"));
  RETURN_IF_ERROR(Get(region, "jurisdiction", &c.region.jurisdiction, "region"));
  if (!IsCountryCode(c.region.jurisdiction)) return Bad("region", "jurisdiction must be an ISO 3166-1 alpha-2 code");
  RETURN_IF_ERROR(Get(region, "time_zone", &c.region.time_zone, "region"));
  std::set<std::string> zone_ids;
  for (const auto& z : region["zones"]) {
    Zone zone;
    const std::string where = "zone " + std::to_string(zone_ids.size() + 1);
    RETURN_IF_ERROR(Get(z, "id", &zone.id, where));
    RETURN_IF_ERROR(CheckId(zone.id, where));
    if (zone.id.rfind(c.region.id, 0) != 0) return Bad(where, "zone " + zone.id + " must start with the region id");
    RETURN_IF_ERROR(Get(z, "display_name", &zone.display_name, where));
    RETURN_IF_ERROR(Get(z, "status", &zone.status, where, false));
    if (zone.status != "available" && zone.status != "unavailable") return Bad(where, "status must be available or unavailable");
    if (!zone_ids.insert(zone.id).second) return Bad(where, "duplicate zone " + zone.id);
    c.region.zones.push_back(zone);
  }
  if (c.region.zones.empty()) return Bad("region", "at least one zone is required");
  std::set<std::string> store_ids;
  for (const auto& o : region["object_storage"]) {
    ObjectStorageLocation loc;
    const std::string where = "object storage " + std::to_string(store_ids.size() + 1);
    RETURN_IF_ERROR(Get(o, "id", &loc.id, where));
    RETURN_IF_ERROR(CheckId(loc.id, where));
    RETURN_IF_ERROR(Get(o, "uri_prefix", &loc.uri_prefix, where));
    RETURN_IF_ERROR(Get(o, "jurisdiction", &loc.jurisdiction, where));
    if (!IsCountryCode(loc.jurisdiction)) return Bad(where, "jurisdiction must be an ISO 3166-1 alpha-2 code");
    if (loc.uri_prefix.find("://") == std::string::npos || loc.uri_prefix.back() != '/') {
      return Bad(where, "uri_prefix must be a URI ending in '/' (s3://bucket/ or https://host/path/)");
    }
    if (!store_ids.insert(loc.id).second) return Bad(where, "duplicate object storage " + loc.id);
    c.region.object_storage.push_back(loc);
  }

  std::set<std::string> gpu_ids;
  for (const auto& g : root["gpu_types"]) {
    GpuType t;
    RETURN_IF_ERROR(Get(g, "id", &t.id, "gpu_types"));
    const std::string where = "gpu type " + t.id;
    RETURN_IF_ERROR(CheckId(t.id, where));
    RETURN_IF_ERROR(Get(g, "display_name", &t.display_name, where));
    RETURN_IF_ERROR(Get(g, "vendor", &t.vendor, where));
    RETURN_IF_ERROR(Get(g, "architecture", &t.architecture, where));
    RETURN_IF_ERROR(Get(g, "memory_gib", &t.memory_gib, where));
    RETURN_IF_ERROR(Get(g, "interconnect", &t.interconnect, where));
    RETURN_IF_ERROR(Get(g, "mig_profiles", &t.mig_profiles, where, false));
    if (t.memory_gib <= 0) return Bad(where, "memory_gib must be positive");
    if (!gpu_ids.insert(t.id).second) return Bad(where, "duplicate id");
    c.gpu_types.push_back(t);
  }
  std::set<std::string> type_ids;
  for (const auto& n : root["instance_types"]) {
    InstanceType t;
    RETURN_IF_ERROR(Get(n, "id", &t.id, "instance_types"));
    const std::string where = "instance type " + t.id;
    RETURN_IF_ERROR(CheckId(t.id, where));
    RETURN_IF_ERROR(Get(n, "display_name", &t.display_name, where));
    RETURN_IF_ERROR(Get(n, "gpu_type", &t.gpu_type, where));
    RETURN_IF_ERROR(Get(n, "gpu_count", &t.gpu_count, where));
    RETURN_IF_ERROR(Get(n, "vcpus", &t.vcpus, where));
    RETURN_IF_ERROR(Get(n, "memory_gib", &t.memory_gib, where));
    RETURN_IF_ERROR(Get(n, "local_nvme_gib", &t.local_nvme_gib, where, false));
    RETURN_IF_ERROR(Get(n, "network_gbps", &t.network_gbps, where, false));
    RETURN_IF_ERROR(Get(n, "available", &t.available, where, false));
    if (!gpu_ids.count(t.gpu_type)) return Bad(where, "unknown gpu_type " + t.gpu_type);
    if (t.gpu_count <= 0 || t.vcpus <= 0 || t.memory_gib <= 0) {
      return Bad(where, "gpu_count, vcpus and memory_gib must be positive");
    }
    if (!type_ids.insert(t.id).second) return Bad(where, "duplicate id");
    c.instance_types.push_back(t);
  }
  std::set<std::string> image_ids;
  for (const auto& n : root["images"]) {
    Image im;
    RETURN_IF_ERROR(Get(n, "id", &im.id, "images"));
    const std::string where = "image " + im.id;
    RETURN_IF_ERROR(CheckId(im.id, where));
    RETURN_IF_ERROR(Get(n, "display_name", &im.display_name, where));
    RETURN_IF_ERROR(Get(n, "os", &im.os, where));
    RETURN_IF_ERROR(Get(n, "os_version", &im.os_version, where));
    RETURN_IF_ERROR(Get(n, "cuda_version", &im.cuda_version, where));
    RETURN_IF_ERROR(Get(n, "driver_version", &im.driver_version, where));
    RETURN_IF_ERROR(Get(n, "gpu_types", &im.gpu_types, where, false));
    RETURN_IF_ERROR(Get(n, "status", &im.status, where, false));
    for (const auto& g : im.gpu_types) {
      if (!gpu_ids.count(g)) return Bad(where, "unknown gpu type " + g);
    }
    if (im.status != "available" && im.status != "deprecated") return Bad(where, "status must be available or deprecated");
    if (!image_ids.insert(im.id).second) return Bad(where, "duplicate id");
    c.images.push_back(im);
  }
  std::set<std::string> model_ids;
  for (const auto& n : root["models"]) {
    Model m;
    RETURN_IF_ERROR(Get(n, "id", &m.id, "models"));
    const std::string where = "model " + m.id;
    RETURN_IF_ERROR(CheckId(m.id, where));
    RETURN_IF_ERROR(Get(n, "display_name", &m.display_name, where));
    RETURN_IF_ERROR(Get(n, "publisher", &m.publisher, where));
    RETURN_IF_ERROR(Get(n, "family", &m.family, where, false));
    RETURN_IF_ERROR(Get(n, "parameters_millions", &m.parameters_millions, where));
    RETURN_IF_ERROR(Get(n, "license", &m.license, where));
    RETURN_IF_ERROR(Get(n, "languages", &m.languages, where, false));
    RETURN_IF_ERROR(Get(n, "context_length", &m.context_length, where, false));
    RETURN_IF_ERROR(Get(n, "min_gpu_memory_gib", &m.min_gpu_memory_gib, where));
    RETURN_IF_ERROR(Get(n, "runtimes", &m.runtimes, where));
    RETURN_IF_ERROR(Get(n, "default_runtime_args", &m.default_runtime_args, where, false));
    RETURN_IF_ERROR(Get(n, "status", &m.status, where, false));
    if (m.parameters_millions <= 0 || m.min_gpu_memory_gib <= 0) {
      return Bad(where, "parameters_millions and min_gpu_memory_gib must be positive");
    }
    if (m.runtimes.empty()) return Bad(where, "runtimes must name at least one of vllm, tgi, triton");
    for (const auto& r : m.runtimes) {
      if (!IsModelRuntime(r)) return Bad(where, "unknown runtime " + r + " (vllm, tgi or triton)");
    }
    if (m.status != "available" && m.status != "deprecated") return Bad(where, "status must be available or deprecated");
    if (!model_ids.insert(m.id).second) return Bad(where, "duplicate id");
    c.models.push_back(m);
  }
  const YAML::Node billing = root["billing"];
  if (billing) RETURN_IF_ERROR(Get(billing, "issuer", &c.billing.issuer, "billing", false));
  if (c.billing.issuer.empty()) return Bad("billing", "issuer must not be empty");
  for (const auto& n : billing["tax_rates"]) {
    TaxRate t;
    RETURN_IF_ERROR(Get(n, "jurisdiction", &t.jurisdiction, "billing.tax_rates"));
    const std::string where = "tax rate " + t.jurisdiction;
    if (!IsCountryCode(t.jurisdiction)) return Bad(where, "jurisdiction must be an ISO 3166-1 alpha-2 code");
    RETURN_IF_ERROR(Get(n, "percent", &t.percent, where));
    RETURN_IF_ERROR(Get(n, "name", &t.name, where, false));
    if (!IsDecimalAmount(t.percent)) return Bad(where, "percent must be a decimal such as 10 or 7.5");
    c.billing.tax_rates.push_back(t);
  }
  for (const auto& n : billing["prices"]) {
    Price p;
    std::string effective;
    RETURN_IF_ERROR(Get(n, "sku", &p.sku, "billing.prices"));
    const std::string where = "price " + p.sku;
    RETURN_IF_ERROR(Get(n, "currency", &p.currency, where));
    RETURN_IF_ERROR(Get(n, "unit_price", &p.unit_price, where));
    RETURN_IF_ERROR(Get(n, "effective_from", &effective, where));
    RETURN_IF_ERROR(Get(n, "description", &p.description, where, false));
    const auto unit = SkuUnit(p.sku);
    if (!unit) return Bad(where, "unknown SKU (gpu-hour.*, endpoint-replica-hour.*, tokens-input.*, tokens-output.*)");
    p.unit = *unit;
    if (!CurrencyMinorUnits(p.currency)) return Bad(where, "currency must be an ISO 4217 code");
    if (!IsDecimalAmount(p.unit_price)) return Bad(where, "unit_price must be a decimal such as 4500000 or 2.49");
    auto ts = ParseTimestamp(effective);
    if (!ts) return Bad(where, "effective_from must be an RFC 3339 time such as 2026-01-01T00:00:00Z");
    p.effective_from = *ts;
    c.billing.prices.push_back(p);
  }
  if (c.gpu_types.empty() || c.instance_types.empty() || c.images.empty()) {
    return Bad(path, "gpu_types, instance_types and images must not be empty");
  }
  return c;
}

bool IsDecimalAmount(std::string_view s) {
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  const auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (whole.empty() || whole.size() > 18 || !digits(whole)) return false;
  if (dot != std::string_view::npos && (frac.empty() || frac.size() > 12 || !digits(frac))) return false;
  return true;
}

std::optional<std::string> SkuUnit(std::string_view sku) {
  const auto dot = sku.find('.');
  if (dot == std::string_view::npos || dot + 1 >= sku.size()) return std::nullopt;
  const std::string_view kind = sku.substr(0, dot);
  if (kind == "gpu-hour" || kind == "endpoint-replica-hour") return std::string("gpu-hour");
  if (kind == "tokens-input" || kind == "tokens-output") return std::string("million-tokens");
  return std::nullopt;
}

bool IsModelRuntime(std::string_view runtime) { return runtime == "vllm" || runtime == "tgi" || runtime == "triton"; }

}  // namespace gaon
