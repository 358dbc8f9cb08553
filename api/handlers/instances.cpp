// GPU instances: admission (validation, data residency, exact quota), reads, metadata
// updates, and the actions that change spec (stop, start, reboot, delete). Handlers write
// desired state and a change record; the controllers do the rest.
#include <boost/json.hpp>

#include <algorithm>
#include <tuple>

#include "api/catalog_cache.h"
#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "storage/billing.h"
#include "storage/catalog.h"
#include "storage/changes.h"
#include "storage/instances.h"
#include "storage/quotas.h"
#include "storage/ssh_keys.h"

namespace gaon::api {
namespace {

constexpr std::size_t kMaxUserDataBytes = 16 * 1024;  // like EC2's limit on user data
constexpr std::size_t kMaxSshKeys = 10;

http::HttpResponse InstanceResponse(int status, const Instance& i) {
  http::HttpResponse res = Json(status, i);
  res.Set("Location", "/v1/tenants/" + i.tenant_id.str() + "/instances/" + i.id.str());
  return WithEtag(res, i.resource_version);
}

Status Record(storage::Tx& tx, const Instance& i, const char* type) {
  return storage::RecordChange(tx, i.tenant_id, "instance", i.id.str(), type, i.resource_version, ToJson(i));
}

Status Event(storage::Tx& tx, const Instance& i, const std::string& reason, const std::string& message) {
  InstanceEvent e;
  e.type = "Normal";
  e.reason = reason;
  e.message = message;
  return storage::AddInstanceEvent(tx, i.tenant_id, i.id, e);
}

// Whether some zone (or `zone`) could place one more now.
bool Fits(const std::vector<ZoneAvailability>& zones, const std::optional<std::string>& zone) {
  return std::any_of(zones.begin(), zones.end(),
                     [&](const ZoneAvailability& z) { return z.available > 0 && (!zone || z.zone == *zone); });
}

// Where the region could place something now instead: zones for `type`, and other available
// instance types of the same GPU type that `zone` (or any zone) could place, smallest first.
PlacementHints HintsFor(const InstanceType& type, const std::optional<std::string>& zone,
                        const storage::AvailabilityMap& availability, const CatalogSnapshot& catalog) {
  static const std::vector<ZoneAvailability> kNone;
  auto of = [&](const std::string& id) -> const std::vector<ZoneAvailability>& {
    auto it = availability.find(id);
    return it == availability.end() ? kNone : it->second;
  };
  PlacementHints h;
  for (const auto& z : of(type.id)) {
    if (z.available > 0) h.zones.push_back(z.zone);
  }
  std::vector<const InstanceType*> others;
  for (const auto& [id, t] : catalog.instance_types) {
    if (id != type.id && t.gpu_type == type.gpu_type && t.available && Fits(of(id), zone)) others.push_back(&t);
  }
  std::sort(others.begin(), others.end(), [](const InstanceType* a, const InstanceType* b) {
    return std::tie(a->gpu_count, a->id) < std::tie(b->gpu_count, b->id);
  });
  for (const InstanceType* t : others) h.instance_types.push_back(t->id);
  return h;
}

// Validates every field of a create request against the catalog and the tenant's keys,
// collecting all problems (the name's under `name_field`); returns the instance type on success.
StatusOr<InstanceType> ValidateCreate(RequestContext& ctx, const CatalogSnapshot& catalog, const Instance& req,
                                      const char* name_field = "name") {
  Validator v;
  v.Name(name_field, req.name);
  v.Labels("labels", req.labels);
  v.Require(req.spec.user_data.size() <= kMaxUserDataBytes, "spec.user_data", "too_large",
            "must be at most " + std::to_string(kMaxUserDataBytes) + " bytes");
  v.Require(req.spec.ssh_key_ids.size() <= kMaxSshKeys, "spec.ssh_key_ids", "too_many",
            "may name at most " + std::to_string(kMaxSshKeys) + " keys");
  const InstanceType* type = catalog.Type(req.spec.instance_type);
  v.Require(type != nullptr, "spec.instance_type", "unknown",
            "'" + req.spec.instance_type + "' is not an instance type of this region (GET /v1/instance-types)");
  if (type) v.Require(type->available, "spec.instance_type", "unavailable", "'" + type->id + "' is not offered any more");
  const Image* image = catalog.FindImage(req.spec.image);
  v.Require(image != nullptr, "spec.image", "unknown", "'" + req.spec.image + "' is not an image of this region (GET /v1/images)");
  if (image) {
    v.Require(image->status == "available", "spec.image", "deprecated", "'" + image->id + "' is deprecated");
    const bool fits = image->gpu_types.empty() || !type ||
                      std::find(image->gpu_types.begin(), image->gpu_types.end(), type->gpu_type) != image->gpu_types.end();
    v.Require(fits, "spec.image", "incompatible",
              "'" + image->id + "' does not support the " + (type ? type->gpu_type : std::string()) + " GPU");
  }
  if (req.spec.zone) {
    const Zone* zone = catalog.FindZone(*req.spec.zone);
    v.Require(zone != nullptr, "spec.zone", "unknown", "'" + *req.spec.zone + "' is not a zone of " + catalog.region.id);
    if (zone) v.Require(zone->status == "available", "spec.zone", "unavailable", "is not taking new instances");
  }
  std::vector<std::string> well_formed;
  for (std::size_t i = 0; i < req.spec.ssh_key_ids.size(); ++i) {
    const std::string& id = req.spec.ssh_key_ids[i];
    const bool ok = SshKeyId::Parse(id).ok();
    v.Require(ok, "spec.ssh_key_ids[" + std::to_string(i) + "]", "invalid", "is not an SSH key id");
    if (ok) well_formed.push_back(id);
  }
  ASSIGN_OR_RETURN(auto missing, storage::MissingSshKeys(ctx.Tx(), *ctx.tenant, well_formed));
  for (const auto& id : missing) v.Require(false, "spec.ssh_key_ids", "not_found", id + " is not an SSH key of this tenant");
  RETURN_IF_ERROR(v.status());
  return *type;
}

StatusOr<http::HttpResponse> Act(RequestContext& ctx, storage::InstanceAction action, const char* reason,
                                 const char* message) {
  ASSIGN_OR_RETURN(InstanceId id, ctx.PathId<InstanceId>("instance"));
  bool changed = false;
  ASSIGN_OR_RETURN(Instance i, storage::ApplyInstanceAction(ctx.Tx(), *ctx.tenant, id, action, &changed));
  if (changed) {
    RETURN_IF_ERROR(Event(ctx.Tx(), i, reason, message));
    RETURN_IF_ERROR(Record(ctx.Tx(), i, "MODIFIED"));
  }
  ctx.audit = {"instance", id.str(),
               boost::json::object{{"generation", i.generation}, {"desired_state", i.spec.desired_state},
                                   {"changed", changed}},
               std::nullopt};
  return InstanceResponse(202, i);
}

// Launches one instance like `req` per (id, name) of `names`, all admitted or none: data
// residency, a prepaid tenant's credit, exact admission of their footprint together, the
// capacity advice, then the rows with their first events and change records.
StatusOr<std::vector<Instance>> Launch(RequestContext& ctx, const Services& services, const CatalogSnapshot& catalog,
                                       const InstanceType& type, const Instance& req,
                                       const std::vector<std::pair<InstanceId, std::string>>& names) {
  storage::Tx& tx = ctx.Tx();
  // Data residency: workloads of a tenant stay in its jurisdiction.
  const std::string& jurisdiction = ctx.principal.tenant.jurisdiction;
  if (catalog.region.jurisdiction != jurisdiction) {
    return PermissionDenied("tenant " + ctx.tenant->str() + " must keep its workloads in " + jurisdiction +
                                "; region " + catalog.region.id + " is in " + catalog.region.jurisdiction,
                            "residency_violation");
  }

  // Capacity is not quota: an instance that fits the quota is admitted even when no zone can
  // place it now; it waits, and says where something could be placed instead (from the
  // free-capacity snapshot, at most a second old: see CatalogCache).
  Instance i = req;
  i.tenant_id = *ctx.tenant;
  i.status = InstanceStatus{};
  ASSIGN_OR_RETURN(auto capacity, services.catalog->Capacity(tx));
  const auto own = capacity->find(type.id);
  const bool placeable = own != capacity->end() && Fits(own->second, req.spec.zone);
  Condition scheduled{"Scheduled", "False", "Pending", "waiting for the scheduler", Now(), 1};
  if (!placeable) {
    const PlacementHints hints = HintsFor(type, req.spec.zone, *capacity, catalog);
    std::string where = "no zone", alternatives;
    for (std::size_t k = 0; k < hints.zones.size(); ++k) where = (k ? where + ", " : "zones ") + hints.zones[k];
    for (const auto& t : hints.instance_types) alternatives += (alternatives.empty() ? "" : ", ") + t;
    scheduled.reason = "Unschedulable";
    scheduled.message = "no free capacity for " + type.id + (req.spec.zone ? " in " + *req.spec.zone : std::string()) +
                        " now; " + where + " could place it" +
                        (alternatives.empty() ? std::string() : "; could place now: " + alternatives) +
                        ". It waits in the queue and starts when capacity frees.";
    i.status.placement = hints;
  }
  i.status.conditions = {scheduled};
  InstanceEvent admitted;
  admitted.type = "Normal";
  admitted.reason = "Admitted";
  admitted.message = "admitted: " + type.id + (req.spec.zone ? " in " + *req.spec.zone : " in any zone") +
                     (placeable ? "" : " (waiting for capacity)");

  // Three statements in one round trip, their answers checked in this order: a prepaid tenant
  // launches only while its credit covers the month so far; exact admission (adds the
  // footprint to the tenant's usage, whose rows stay locked until this transaction ends); the
  // rows. A refusal rolls the transaction back, the rows with it.
  storage::Footprint footprint = storage::InstanceFootprint(type);
  for (auto& [dimension, amount] : footprint) amount *= static_cast<std::int64_t>(names.size());
  auto prepaid = storage::QueueCheckPrepaid(tx, *ctx.tenant);
  auto admission = storage::QueueAdmit(tx, *ctx.tenant, footprint);
  auto inserted = storage::QueueInsertInstances(tx, i, names, type, admitted);
  RETURN_IF_ERROR(prepaid.Get());
  RETURN_IF_ERROR(admission.Get());
  ASSIGN_OR_RETURN(auto created, inserted.Get());
  // New, Pending, to run: the scheduler's, not a reconcile's (ChangeOrigin::kQueued).
  RETURN_IF_ERROR(storage::RecordChanges(tx, "instance", "ADDED", storage::InstanceChanges(created),
                                         storage::ChangeOrigin::kQueued));
  return created;
}

boost::json::object LaunchAudit(const Instance& req) {
  return {{"instance_type", req.spec.instance_type},
          {"image", req.spec.image},
          {"zone", req.spec.zone ? boost::json::value(*req.spec.zone) : nullptr},
          {"labels", ToJson(req.labels)}};
}

// The names a bulk create asks for, or the violations of its count, pattern and start index.
StatusOr<std::vector<std::string>> BulkNames(const BulkInstanceRequest& req) {
  constexpr int kMaxCount = 1000;
  Validator v;
  v.Require(req.count >= 1 && req.count <= kMaxCount, "count", "out_of_range",
            "must be between 1 and " + std::to_string(kMaxCount));
  const std::string& pattern = req.name_pattern;
  const auto first = pattern.find('#');
  const auto end = first == std::string::npos ? first : pattern.find_first_not_of('#', first);
  const std::size_t width = first == std::string::npos ? 0 : (end == std::string::npos ? pattern.size() : end) - first;
  const bool one_run = width > 0 && pattern.find('#', first + width) == std::string::npos;
  v.Require(one_run && width <= 6, "name_pattern", "invalid",
            "must hold one run of 1 to 6 '#', which each name replaces with its index (e.g. worker-###)");
  v.Require(req.start_index >= 0, "start_index", "out_of_range", "must be 0 or more");
  RETURN_IF_ERROR(v.status());
  std::int64_t room = 1;  // indexes the run can write: 0 … room - 1
  for (std::size_t k = 0; k < width; ++k) room *= 10;
  // Compared without adding to start_index, which may be as large as a client likes.
  if (req.start_index > room - req.count) {
    Validator w;
    w.Require(false, "name_pattern", "too_short",
              "has " + std::to_string(width) + " '#', too few for indexes from " + std::to_string(req.start_index) +
                  " to " + std::to_string(req.start_index) + " + " + std::to_string(req.count - 1));
    return w.status();
  }
  const std::int64_t last = req.start_index + req.count - 1;
  std::vector<std::string> names;
  for (std::int64_t n = req.start_index; n <= last; ++n) {
    std::string digits = std::to_string(n);
    digits.insert(0, width - digits.size(), '0');
    names.push_back(pattern.substr(0, first) + digits + pattern.substr(first + width));
  }
  return names;
}

}  // namespace

Handler CreateInstance(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Instance req, ctx.Body<Instance>());
    ASSIGN_OR_RETURN(auto catalog, services.catalog->Get(ctx.Tx()));
    ASSIGN_OR_RETURN(InstanceType type, ValidateCreate(ctx, *catalog, req));
    ASSIGN_OR_RETURN(auto created, Launch(ctx, services, *catalog, type, req, {{InstanceId::Generate(), req.name}}));
    boost::json::object audit = LaunchAudit(req);
    audit["name"] = req.name;
    ctx.audit = {"instance", created[0].id.str(), std::move(audit), std::nullopt};
    return InstanceResponse(202, created[0]);
  };
}

Handler BulkCreateInstances(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(BulkInstanceRequest bulk, ctx.Body<BulkInstanceRequest>());
    ASSIGN_OR_RETURN(auto names, BulkNames(bulk));
    Instance req;
    req.name = names.front();
    req.labels = bulk.labels;
    req.spec = bulk.spec;
    ASSIGN_OR_RETURN(auto catalog, services.catalog->Get(ctx.Tx()));
    ASSIGN_OR_RETURN(InstanceType type, ValidateCreate(ctx, *catalog, req, "name_pattern"));
    std::vector<std::pair<InstanceId, std::string>> ids;
    for (auto& name : names) ids.emplace_back(InstanceId::Generate(), std::move(name));
    ASSIGN_OR_RETURN(auto created, Launch(ctx, services, *catalog, type, req, ids));
    // One audit event for the request, naming every instance it made (as one RunInstances is
    // one CloudTrail event).
    boost::json::object audit = LaunchAudit(req);
    boost::json::array made;
    for (const auto& c : created) made.push_back(boost::json::object{{"id", c.id.str()}, {"name", c.name}});
    audit["count"] = created.size();
    audit["instances"] = std::move(made);
    ctx.audit = {"instance", created.front().id.str(), std::move(audit), std::nullopt};
    return Json(202, BulkInstanceResult{std::move(created)});
  };
}

Handler ListInstances() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams(RequestContext::Labels::kFilter));
    storage::InstanceFilter f;
    if (auto v = ctx.request.Query("phase")) f.phase = std::string(*v);
    if (auto v = ctx.request.Query("zone")) f.zone = std::string(*v);
    if (auto v = ctx.request.Query("instance_type")) f.instance_type = std::string(*v);
    if (auto v = ctx.request.Query("include_deleted")) f.include_deleted = *v == "true";
    ASSIGN_OR_RETURN(auto page, storage::ListInstances(ctx.Tx(), *ctx.tenant, f, q));
    return PageResponse(std::move(page));
  };
}

Handler GetInstance() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InstanceId id, ctx.PathId<InstanceId>("instance"));
    // A waiting instance comes with its queue position as of the scheduler's last ranking.
    ASSIGN_OR_RETURN(Instance i, storage::GetInstance(ctx.Tx(), *ctx.tenant, id, /*include_deleted=*/true));
    http::HttpResponse res = Json(200, i);
    return WithEtag(res, i.resource_version);
  };
}

Handler PatchInstance() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InstanceId id, ctx.PathId<InstanceId>("instance"));
    ASSIGN_OR_RETURN(InstancePatch patch, ctx.Body<InstancePatch>());
    ASSIGN_OR_RETURN(Instance before, storage::GetInstance(ctx.Tx(), *ctx.tenant, id));
    RETURN_IF_ERROR(ctx.CheckIfMatch("instance " + id.str(), before.resource_version));
    Instance after = before;
    Validator v;
    if (patch.name) {
      after.name = *patch.name;
      v.Name("name", after.name);
    }
    if (patch.labels) {
      v.MergeLabels(*patch.labels, after.labels);
      v.Labels("labels", after.labels);
    }
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Instance updated, storage::UpdateInstanceMeta(ctx.Tx(), after, before.resource_version));
    RETURN_IF_ERROR(Record(ctx.Tx(), updated, "MODIFIED"));
    boost::json::object changes;
    if (before.name != updated.name) changes["name"] = boost::json::object{{"from", before.name}, {"to", updated.name}};
    if (before.labels != updated.labels) {
      changes["labels"] = boost::json::object{{"from", ToJson(before.labels)}, {"to", ToJson(updated.labels)}};
    }
    ctx.audit = {"instance", id.str(), std::move(changes), std::nullopt};
    http::HttpResponse res = Json(200, updated);
    return WithEtag(res, updated.resource_version);
  };
}

Handler StopInstance() {
  return [](RequestContext& ctx) { return Act(ctx, storage::InstanceAction::kStop, "StopRequested", "stop requested"); };
}

Handler StartInstance() {
  return [](RequestContext& ctx) {
    return Act(ctx, storage::InstanceAction::kStart, "StartRequested", "start requested");
  };
}

Handler RebootInstance() {
  return [](RequestContext& ctx) {
    return Act(ctx, storage::InstanceAction::kReboot, "RebootRequested", "reboot requested");
  };
}

Handler DeleteInstance() {
  return [](RequestContext& ctx) {
    return Act(ctx, storage::InstanceAction::kDelete, "DeletionRequested", "deletion requested");
  };
}

Handler ListInstanceEvents() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(InstanceId id, ctx.PathId<InstanceId>("instance"));
    RETURN_IF_ERROR(storage::GetInstance(ctx.Tx(), *ctx.tenant, id, true).status());
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    RETURN_IF_ERROR(PageSeq(q).status());
    ASSIGN_OR_RETURN(auto page, storage::ListInstanceEvents(ctx.Tx(), *ctx.tenant, id, q));
    return PageResponse(std::move(page));
  };
}

}  // namespace gaon::api
