// API keys: tenant service keys under /v1/tenants/{tenant}/api-keys and operator keys under
// /v1/admin/api-keys. The route's {tenant} decides which: no tenant means an operator key.
#include <boost/json.hpp>

#include "api/auth.h"
#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "storage/credentials.h"

namespace gaon::api {
namespace {

http::HttpResponse KeyResponse(int status, const ApiKey& k) {
  http::HttpResponse res = Json(status, k);
  return WithEtag(res, k.resource_version);
}

std::string Base(const RequestContext& ctx) {
  return ctx.tenant ? "/v1/tenants/" + ctx.tenant->str() + "/api-keys/" : "/v1/admin/api-keys/";
}

}  // namespace

Handler CreateApiKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ApiKey req, ctx.Body<ApiKey>());
    Validator v;
    v.Require(!req.name.empty(), "name", "required", "must not be empty");
    v.Length("name", req.name, 100);
    if (ctx.tenant) {
      v.Require(IsTenantRole(req.role), "role", "invalid", "must be a tenant role for a tenant's key");
    } else {
      v.Require(req.role == Role::kPlatformAdmin, "role", "invalid", "operator keys have the role platform-admin");
    }
    v.Require(!req.expires_at || *req.expires_at > Now(), "expires_at", "invalid", "must be in the future");
    RETURN_IF_ERROR(v.status());
    const NewKeySecret secret = MakeApiKeySecret();
    ApiKey key = req;
    key.id = secret.id;
    key.tenant_id = ctx.tenant;
    key.created_by = ctx.principal.id;
    ASSIGN_OR_RETURN(ApiKey created, storage::InsertApiKey(ctx.Tx(), key, secret.secret_hash));
    ctx.audit = {"api_key", created.id.str(),
                 boost::json::object{{"name", created.name},
                                     {"role", std::string(ToString(created.role))},
                                     {"expires_at", created.expires_at ? FormatTimestamp(*created.expires_at) : ""}},
                 std::nullopt};
    http::HttpResponse res = Json(201, CreatedApiKey{created, secret.token});
    // A replay of this request must not show the secret again: it is not kept anywhere.
    res.stored_body = ToJsonText(boost::json::object{{"key", ToJson(created)}});
    res.Set("Location", Base(ctx) + created.id.str());
    res.Set("Cache-Control", "no-store");
    return res;
  };
}

Handler ListApiKeys() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListApiKeys(ctx.Tx(), ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetApiKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ApiKeyId id, ctx.PathId<ApiKeyId>("key"));
    ASSIGN_OR_RETURN(ApiKey k, storage::GetApiKey(ctx.Tx(), ctx.tenant, id));
    return KeyResponse(200, k);
  };
}

Handler RevokeApiKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ApiKeyId id, ctx.PathId<ApiKeyId>("key"));
    ASSIGN_OR_RETURN(ApiKey k, storage::RevokeApiKey(ctx.Tx(), ctx.tenant, id));
    ctx.AuthChanged("key:" + id.str());
    ctx.audit = {"api_key", id.str(), boost::json::object{{"status", "revoked"}}, std::nullopt};
    return KeyResponse(200, k);
  };
}

}  // namespace gaon::api
