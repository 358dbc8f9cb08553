// The catalog, SSH keys, quotas and quota requests, GPU instances and the instance waiter.
#include "client/client_impl.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

std::vector<std::string> InstancePath(const TenantId& tenant, const InstanceId& id, const char* action = nullptr) {
  return TenantPath(tenant, {"instances", action ? Action(id.str(), action) : id.str()});
}

std::vector<std::string> QuotaRequestPath(const TenantId& tenant, const QuotaRequestId& id,
                                          const char* action = nullptr) {
  return TenantPath(tenant, {"quota-requests", action ? Action(id.str(), action) : id.str()});
}

internal::Query StateQuery(const QuotaRequestFilter& f) {
  return {{"state", f.state ? std::string(ToString(*f.state)) : ""}};
}

std::string Json(const boost::json::value& v) { return boost::json::serialize(v); }

// Why a Failed instance failed: its most recent condition that is not True.
Status FailedInstance(const Instance& i) {
  const Condition* why = nullptr;
  for (const auto& c : i.status.conditions) {
    if (c.status != "True" && (!why || c.last_transition_time >= why->last_transition_time)) why = &c;
  }
  std::string message = "instance " + i.id.str() + " failed";
  if (why) {
    message += ": " + why->type + " " + why->reason + (why->message.empty() ? "" : " — " + why->message);
    return FailedPrecondition(message, "instance_failed")
        .WithExtra("condition_type", Json(boost::json::value(why->type)))
        .WithExtra("condition_reason", Json(boost::json::value(why->reason)));
  }
  return FailedPrecondition(message, "instance_failed");
}

}  // namespace

// ---------------------------------------------------------------- catalog

StatusOr<std::vector<Region>> Client::ListRegions() const { return Items<Region>(*impl_, Get({"v1", "regions"})); }

StatusOr<std::vector<GpuType>> Client::ListGpuTypes() const {
  return Items<GpuType>(*impl_, Get({"v1", "gpu-types"}));
}

StatusOr<std::vector<InstanceType>> Client::ListInstanceTypes(std::string gpu_type) const {
  return Items<InstanceType>(*impl_, Get({"v1", "instance-types"}, {{"gpu_type", std::move(gpu_type)}}));
}

StatusOr<InstanceType> Client::GetInstanceType(const std::string& instance_type) const {
  return Fetch<InstanceType>(*impl_, Get({"v1", "instance-types", instance_type}));
}

StatusOr<std::vector<Image>> Client::ListImages() const { return Items<Image>(*impl_, Get({"v1", "images"})); }

// ---------------------------------------------------------------- SSH keys

StatusOr<SshKey> Client::CreateSshKey(const TenantId& tenant, const SshKey& key) const {
  return Fetch<SshKey>(*impl_, Post(TenantPath(tenant, {"ssh-keys"}), RequestBody(key)));
}

ListRange<SshKey> Client::ListSshKeys(const TenantId& tenant, ListOptions list) const {
  return PagedList<SshKey>(impl_, Get(TenantPath(tenant, {"ssh-keys"})), list);
}

StatusOr<SshKey> Client::GetSshKey(const TenantId& tenant, const SshKeyId& key) const {
  return Fetch<SshKey>(*impl_, Get(TenantPath(tenant, {"ssh-keys", key.str()})));
}

Status Client::DeleteSshKey(const TenantId& tenant, const SshKeyId& key) const {
  return FetchNothing(*impl_, Delete(TenantPath(tenant, {"ssh-keys", key.str()})));
}

// ---------------------------------------------------------------- quotas

StatusOr<std::vector<Quota>> Client::ListQuotas(const TenantId& tenant) const {
  return Items<Quota>(*impl_, Get(TenantPath(tenant, {"quotas"})));
}

StatusOr<std::vector<Quota>> Client::SetQuotas(const TenantId& tenant, const SetQuotasRequest& request) const {
  return Items<Quota>(*impl_, Put({"v1", "admin", "tenants", tenant.str(), "quotas"}, RequestBody(request)));
}

StatusOr<QuotaRequest> Client::CreateQuotaRequest(const TenantId& tenant, const QuotaRequest& request) const {
  return Fetch<QuotaRequest>(*impl_, Post(TenantPath(tenant, {"quota-requests"}), RequestBody(request)));
}

ListRange<QuotaRequest> Client::ListQuotaRequests(const TenantId& tenant, QuotaRequestFilter filter,
                                                  ListOptions list) const {
  return PagedList<QuotaRequest>(impl_, Get(TenantPath(tenant, {"quota-requests"}), StateQuery(filter)), list);
}

StatusOr<QuotaRequest> Client::GetQuotaRequest(const TenantId& tenant, const QuotaRequestId& request) const {
  return Fetch<QuotaRequest>(*impl_, Get(QuotaRequestPath(tenant, request)));
}

StatusOr<QuotaRequest> Client::CancelQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                                  std::string note) const {
  const QuotaDecision decision{.note = std::move(note)};
  return Fetch<QuotaRequest>(*impl_, Post(QuotaRequestPath(tenant, request, "cancel"), RequestBody(decision)));
}

ListRange<QuotaRequest> Client::ListAllQuotaRequests(QuotaRequestFilter filter, ListOptions list) const {
  return PagedList<QuotaRequest>(impl_, Get({"v1", "admin", "quota-requests"}, StateQuery(filter)), list);
}

StatusOr<QuotaRequest> Client::ApproveQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                                   QuotaDecision decision) const {
  return Fetch<QuotaRequest>(
      *impl_, Post({"v1", "admin", "tenants", tenant.str(), "quota-requests", Action(request.str(), "approve")},
                   RequestBody(decision)));
}

StatusOr<QuotaRequest> Client::DenyQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                                std::string note) const {
  const QuotaDecision decision{.note = std::move(note)};
  return Fetch<QuotaRequest>(
      *impl_, Post({"v1", "admin", "tenants", tenant.str(), "quota-requests", Action(request.str(), "deny")},
                   RequestBody(decision)));
}

// ---------------------------------------------------------------- instances

StatusOr<Instance> Client::CreateInstance(const TenantId& tenant, const Instance& instance) const {
  return Fetch<Instance>(*impl_, Post(TenantPath(tenant, {"instances"}), RequestBody(instance)));
}

StatusOr<std::vector<Instance>> Client::BulkCreateInstances(const TenantId& tenant,
                                                            const BulkInstanceRequest& request) const {
  ASSIGN_OR_RETURN(BulkInstanceResult made,
                   Fetch<BulkInstanceResult>(*impl_, Post(TenantPath(tenant, {Action("instances", "bulkCreate")}),
                                                          RequestBody(request))));
  return std::move(made.items);
}

ListRange<Instance> Client::ListInstances(const TenantId& tenant, InstanceFilter filter, ListOptions list) const {
  internal::Query q = {{"label_selector", filter.label_selector},
                       {"phase", filter.phase},
                       {"zone", filter.zone},
                       {"instance_type", filter.instance_type},
                       {"include_deleted", filter.include_deleted ? "true" : ""}};
  return PagedList<Instance>(impl_, Get(TenantPath(tenant, {"instances"}), std::move(q)), list);
}

StatusOr<Instance> Client::GetInstance(const TenantId& tenant, const InstanceId& instance) const {
  return Fetch<Instance>(*impl_, Get(InstancePath(tenant, instance)));
}

StatusOr<Instance> Client::UpdateInstance(const TenantId& tenant, const InstanceId& instance,
                                          const InstancePatch& patch,
                                          std::optional<std::int64_t> if_match_version) const {
  return Fetch<Instance>(*impl_, Patch(InstancePath(tenant, instance), RequestBody(patch), if_match_version));
}

StatusOr<Instance> Client::DeleteInstance(const TenantId& tenant, const InstanceId& instance) const {
  return Fetch<Instance>(*impl_, Delete(InstancePath(tenant, instance)));
}

StatusOr<Instance> Client::StopInstance(const TenantId& tenant, const InstanceId& instance) const {
  return Fetch<Instance>(*impl_, Post(InstancePath(tenant, instance, "stop")));
}

StatusOr<Instance> Client::StartInstance(const TenantId& tenant, const InstanceId& instance) const {
  return Fetch<Instance>(*impl_, Post(InstancePath(tenant, instance, "start")));
}

StatusOr<Instance> Client::RebootInstance(const TenantId& tenant, const InstanceId& instance) const {
  return Fetch<Instance>(*impl_, Post(InstancePath(tenant, instance, "reboot")));
}

ListRange<InstanceEvent> Client::ListInstanceEvents(const TenantId& tenant, const InstanceId& instance,
                                                    ListOptions list) const {
  return PagedList<InstanceEvent>(impl_, Get(TenantPath(tenant, {"instances", instance.str(), "events"})), list);
}

StatusOr<Instance> Client::WaitForInstance(const TenantId& tenant, const InstanceId& instance, std::string_view phase,
                                           std::chrono::milliseconds timeout) const {
  return WaitForInstance(tenant, instance, phase, WaitOptions{.timeout = timeout});
}

StatusOr<Instance> Client::WaitForInstance(const TenantId& tenant, const InstanceId& instance, std::string_view phase,
                                           WaitOptions options) const {
  return WaitForPhase<Instance>([&] { return GetInstance(tenant, instance); }, phase, options,
                                {.what = "instance " + instance.str(),
                                 .failed = phases::kFailed,
                                 .deleting = phases::kDeleting,
                                 .deleted = phases::kDeleted,
                                 .deleted_reason = "instance_deleted",
                                 .failed_status = FailedInstance});
}

}  // namespace gaon
