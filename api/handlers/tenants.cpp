#include <boost/json.hpp>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "storage/changes.h"
#include "storage/quotas.h"
#include "storage/tenants.h"

namespace gaon::api {
namespace {

void Validate(Validator& v, const Tenant& t) {
  v.Length("display_name", t.display_name, 200);
  v.Country("jurisdiction", t.jurisdiction);
  v.Currency("billing_currency", t.billing_currency);
  v.Email("billing_email", t.billing_email);
  v.Labels("labels", t.labels);
}

http::HttpResponse TenantResponse(int status, const Tenant& t) {
  http::HttpResponse res = Json(status, t);
  return WithEtag(res, t.resource_version);
}

// {"field": {"from": old, "to": new}} for every field that differs.
boost::json::object Diff(const Tenant& before, const Tenant& after) {
  const auto a = ToJson(before).as_object();
  const auto b = ToJson(after).as_object();
  boost::json::object out;
  for (const char* f : {"display_name", "billing_email", "jurisdiction", "billing_currency", "status", "labels"}) {
    if (a.at(f) != b.at(f)) out[f] = boost::json::object{{"from", a.at(f)}, {"to", b.at(f)}};
  }
  return out;
}

StatusOr<http::HttpResponse> SetStatus(RequestContext& ctx, TenantStatus status) {
  ASSIGN_OR_RETURN(TenantId id, ctx.PathId<TenantId>("tenant"));
  ASSIGN_OR_RETURN(Tenant before, storage::GetTenant(ctx.Tx(), id));
  Tenant t = before;
  t.status = status;
  ASSIGN_OR_RETURN(Tenant after, storage::UpdateTenant(ctx.Tx(), t, std::nullopt));
  ctx.AuthChanged("tenant:" + id.str());
  ctx.audit = {"tenant", id.str(), Diff(before, after), id.str()};
  return TenantResponse(200, after);
}

}  // namespace

Handler CreateTenant(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Tenant t, ctx.Body<Tenant>());
    if (t.display_name.empty()) t.display_name = t.name;
    Validator v;
    v.Name("name", t.name);
    Validate(v, t);
    RETURN_IF_ERROR(v.status());
    t.id = TenantId::Generate();
    ASSIGN_OR_RETURN(Tenant created, storage::InsertTenant(ctx.Tx(), t));
    const QuotaDefaults& q = s.config->quota_defaults;
    RETURN_IF_ERROR(storage::SetQuotaLimits(ctx.Tx(), created.id,
                                            {{"instances", q.instances}, {"gpus", q.gpus}, {"vcpus", q.vcpus},
                                             {"memory_gib", q.memory_gib}, {"endpoints", q.endpoints}}));
    RETURN_IF_ERROR(storage::InitChangeHead(ctx.Tx(), created.id));
    auto changes = ToJson(created).as_object();
    for (const char* f : {"created_at", "updated_at", "resource_version", "id"}) changes.erase(f);
    // The tenant's own audit log begins with its creation.
    ctx.audit = {"tenant", created.id.str(), std::move(changes), created.id.str()};
    http::HttpResponse res = TenantResponse(201, created);
    res.Set("Location", "/v1/tenants/" + created.id.str());
    return res;
  };
}

Handler ListTenants() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams(RequestContext::Labels::kFilter));
    ASSIGN_OR_RETURN(auto page, storage::ListTenants(ctx.Tx(), q));
    return PageResponse(std::move(page));
  };
}

Handler GetTenant() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Tenant t, storage::GetTenant(ctx.Tx(), *ctx.tenant));
    return TenantResponse(200, t);
  };
}

Handler PatchTenant() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(TenantPatch patch, ctx.Body<TenantPatch>());
    ASSIGN_OR_RETURN(Tenant before, storage::GetTenant(ctx.Tx(), *ctx.tenant));
    RETURN_IF_ERROR(ctx.CheckIfMatch("the tenant", before.resource_version));
    Validator v;
    if ((patch.jurisdiction || patch.billing_currency) && !ctx.principal.platform_admin) {
      v.Require(false, patch.jurisdiction ? "jurisdiction" : "billing_currency", "operator_only",
                "can only be changed by a platform operator");
    }
    Tenant t = before;
    if (patch.display_name) t.display_name = *patch.display_name;
    if (patch.billing_email) t.billing_email = *patch.billing_email;
    if (patch.jurisdiction) t.jurisdiction = *patch.jurisdiction;
    if (patch.billing_currency) t.billing_currency = *patch.billing_currency;
    if (patch.labels) {
      v.MergeLabels(*patch.labels, t.labels);
    }
    Validate(v, t);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Tenant after, storage::UpdateTenant(ctx.Tx(), t, before.resource_version));
    if (after.jurisdiction != before.jurisdiction) ctx.AuthChanged("tenant:" + after.id.str());
    ctx.audit = {"tenant", after.id.str(), Diff(before, after), std::nullopt};
    return TenantResponse(200, after);
  };
}

Handler SuspendTenant() {
  return [](RequestContext& ctx) { return SetStatus(ctx, TenantStatus::kSuspended); };
}

Handler ResumeTenant() {
  return [](RequestContext& ctx) { return SetStatus(ctx, TenantStatus::kActive); };
}

Handler DeleteTenant() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(TenantId id, ctx.PathId<TenantId>("tenant"));
    RETURN_IF_ERROR(storage::GetTenant(ctx.Tx(), id).status());
    ASSIGN_OR_RETURN(auto live, storage::TenantLiveResources(ctx.Tx(), id));
    if (!live.empty()) {
      std::string list;
      boost::json::array names;
      for (const auto& r : live) {
        list += (list.empty() ? "" : ", ") + r;
        names.push_back(boost::json::value(r));
      }
      return FailedPrecondition("tenant " + id.str() + " still has live resources: " + list +
                                    "; delete them first",
                                "tenant_has_resources")
          .WithExtra("resources", boost::json::serialize(names));
    }
    RETURN_IF_ERROR(storage::DeleteTenant(ctx.Tx(), id));
    ctx.AuthChanged("tenant:" + id.str());
    ctx.audit = {"tenant", id.str(), boost::json::object{{"status", boost::json::object{{"to", "deleted"}}}}, id.str()};
    return NoContent();
  };
}

}  // namespace gaon::api
