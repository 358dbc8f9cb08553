// SSH keys: tenant-scoped OpenSSH public keys for instances.
#include <boost/json.hpp>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "core/ssh_key.h"
#include "storage/ssh_keys.h"

namespace gaon::api {

Handler CreateSshKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(SshKey req, ctx.Body<SshKey>());
    Validator v;
    v.Require(!req.name.empty(), "name", "required", "must not be empty");
    v.Length("name", req.name, 100);
    v.Labels("labels", req.labels);
    auto parsed = ParseSshPublicKey(req.public_key);
    if (!parsed.ok()) v.Require(false, "public_key", "invalid", parsed.status().message().substr(11));
    RETURN_IF_ERROR(v.status());
    SshKey key = req;
    key.id = SshKeyId::Generate();
    key.public_key = parsed->canonical + (parsed->comment.empty() ? "" : " " + parsed->comment);
    key.key_type = parsed->type;
    key.bits = parsed->bits;
    key.fingerprint = parsed->fingerprint;
    key.comment = parsed->comment;
    ASSIGN_OR_RETURN(SshKey created, storage::InsertSshKey(ctx.Tx(), *ctx.tenant, key));
    ctx.audit = {"ssh_key", created.id.str(),
                 boost::json::object{{"name", created.name}, {"fingerprint", created.fingerprint}}, std::nullopt};
    http::HttpResponse res = Json(201, created);
    res.Set("Location", "/v1/tenants/" + ctx.tenant->str() + "/ssh-keys/" + created.id.str());
    return res;
  };
}

Handler ListSshKeys() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListSshKeys(ctx.Tx(), *ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetSshKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(SshKeyId id, ctx.PathId<SshKeyId>("ssh_key"));
    ASSIGN_OR_RETURN(SshKey key, storage::GetSshKey(ctx.Tx(), *ctx.tenant, id));
    return Json(200, key);
  };
}

Handler DeleteSshKey() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(SshKeyId id, ctx.PathId<SshKeyId>("ssh_key"));
    ASSIGN_OR_RETURN(SshKey key, storage::GetSshKey(ctx.Tx(), *ctx.tenant, id));
    RETURN_IF_ERROR(storage::DeleteSshKey(ctx.Tx(), *ctx.tenant, id));
    ctx.audit = {"ssh_key", id.str(), boost::json::object{{"fingerprint", key.fingerprint}}, std::nullopt};
    return NoContent();
  };
}

}  // namespace gaon::api
