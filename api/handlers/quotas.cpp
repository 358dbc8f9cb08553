// Quotas: what a tenant may use, what it uses, and asking for more.
#include <boost/json.hpp>

#include <algorithm>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "storage/catalog.h"
#include "storage/quotas.h"

namespace gaon::api {
namespace {

// A dimension Gaon counts: the base ones, or gpus.<a GPU type of the catalog>.
StatusOr<bool> KnownDimension(storage::Tx& tx, const std::string& d) {
  if (storage::IsBaseDimension(d)) return true;
  if (d.rfind("gpus.", 0) != 0) return false;
  ASSIGN_OR_RETURN(auto gpus, storage::ListGpuTypes(tx));
  for (const auto& g : gpus) {
    if (d == "gpus." + g.id) return true;
  }
  return false;
}

http::HttpResponse RequestResponse(int status, const QuotaRequest& r) {
  http::HttpResponse res = Json(status, r);
  return WithEtag(res, r.resource_version);
}

StatusOr<http::HttpResponse> Decide(RequestContext& ctx, QuotaRequestState state) {
  ASSIGN_OR_RETURN(QuotaRequestId id, ctx.PathId<QuotaRequestId>("request"));
  ASSIGN_OR_RETURN(QuotaDecision decision, ctx.Body<QuotaDecision>());
  ASSIGN_OR_RETURN(QuotaRequest r, storage::GetQuotaRequest(ctx.Tx(), *ctx.tenant, id));
  if (r.state != QuotaRequestState::kPending) {
    return FailedPrecondition("quota request " + id.str() + " is already " + std::string(ToString(r.state)),
                              "quota_request_decided");
  }
  if (state == QuotaRequestState::kApproved) {
    const std::int64_t limit = decision.limit.value_or(r.requested_limit);
    if (limit < 0) return ValidationFailed({{"limit", "invalid", "limit must not be negative"}});
    RETURN_IF_ERROR(storage::SetQuotaLimits(ctx.Tx(), *ctx.tenant, {{r.dimension, limit}}));
    r.approved_limit = limit;
  }
  r.state = state;
  if (!decision.note.empty()) r.decision_note = decision.note;
  r.decided_by = ctx.principal.id;
  ASSIGN_OR_RETURN(QuotaRequest decided, storage::DecideQuotaRequest(ctx.Tx(), r));
  boost::json::object changes{{"state", std::string(ToString(state))}, {"dimension", r.dimension}};
  if (decided.approved_limit) {
    changes["limit"] = boost::json::object{{"from", r.previous_limit ? boost::json::value(*r.previous_limit) : nullptr},
                                           {"to", *decided.approved_limit}};
  }
  ctx.audit = {"quota_request", id.str(), std::move(changes), std::nullopt};
  return RequestResponse(200, decided);
}

}  // namespace

Handler ListQuotas() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    QuotaList out;
    ASSIGN_OR_RETURN(out.items, storage::ListQuotas(ctx.Tx(), *ctx.tenant));
    return Json(200, out);
  };
}

Handler SetQuotas() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(TenantId tenant, ctx.PathId<TenantId>("tenant"));
    ASSIGN_OR_RETURN(SetQuotasRequest req, ctx.Body<SetQuotasRequest>());
    ASSIGN_OR_RETURN(auto before, storage::ListQuotas(ctx.Tx(), tenant));
    if (before.empty()) return NotFound("tenant " + tenant.str() + " not found");
    Validator v;
    for (const auto& [dimension, limit] : req.limits) {
      ASSIGN_OR_RETURN(bool known, KnownDimension(ctx.Tx(), dimension));
      v.Require(known, "limits." + dimension, "unknown",
                "is not a quota dimension (instances, gpus, gpus.<gpu type>, vcpus, memory_gib, endpoints)");
      v.Require(!limit || *limit >= 0, "limits." + dimension, "invalid", "must not be negative");
      v.Require(limit || !storage::IsBaseDimension(dimension), "limits." + dimension, "required",
                "cannot be removed, only set");
    }
    RETURN_IF_ERROR(v.status());
    RETURN_IF_ERROR(storage::SetQuotaLimits(ctx.Tx(), tenant, req.limits));
    boost::json::object changes;
    for (const auto& [dimension, limit] : req.limits) {
      boost::json::value from = nullptr;
      for (const auto& q : before) {
        if (q.dimension == dimension) from = q.limit;
      }
      changes[dimension] = boost::json::object{{"from", from}, {"to", limit ? boost::json::value(*limit) : nullptr}};
    }
    ctx.audit = {"quota", tenant.str(), std::move(changes), std::nullopt};
    QuotaList out;
    ASSIGN_OR_RETURN(out.items, storage::ListQuotas(ctx.Tx(), tenant));
    return Json(200, out);
  };
}

Handler CreateQuotaRequest() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(QuotaRequest req, ctx.Body<QuotaRequest>());
    Validator v;
    ASSIGN_OR_RETURN(bool known, KnownDimension(ctx.Tx(), req.dimension));
    v.Require(known, "dimension", "unknown", "is not a quota dimension");
    v.Require(req.requested_limit >= 0, "requested_limit", "invalid", "must not be negative");
    v.Require(!req.reason.empty(), "reason", "required", "must say what the capacity is for");
    v.Length("reason", req.reason, 2000);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(auto current, storage::QuotaLimit(ctx.Tx(), *ctx.tenant, req.dimension));
    if (current && req.requested_limit <= *current) {
      return ValidationFailed({{"requested_limit", "not_an_increase",
                                "requested_limit must be above the current limit of " + std::to_string(*current)}});
    }
    req.id = QuotaRequestId::Generate();
    req.tenant_id = *ctx.tenant;
    req.previous_limit = current;
    req.requested_by = ctx.principal.id;
    ASSIGN_OR_RETURN(QuotaRequest created, storage::InsertQuotaRequest(ctx.Tx(), req));
    ctx.audit = {"quota_request", created.id.str(),
                 boost::json::object{{"dimension", created.dimension},
                                     {"requested_limit", created.requested_limit},
                                     {"reason", created.reason}},
                 std::nullopt};
    http::HttpResponse res = RequestResponse(201, created);
    res.Set("Location", "/v1/tenants/" + ctx.tenant->str() + "/quota-requests/" + created.id.str());
    return res;
  };
}

Handler ListQuotaRequests() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    std::optional<QuotaRequestState> state;
    if (auto s = ctx.request.Query("state")) {
      QuotaRequestState st;
      if (!FromString(*s, &st)) {
        return ValidationFailed({{"state", "invalid", "state must be pending, approved, denied or cancelled"}});
      }
      state = st;
    }
    ASSIGN_OR_RETURN(auto page, storage::ListQuotaRequests(ctx.Tx(), ctx.tenant, state, q));
    if (!ctx.tenant) {  // the operators' queue: each tenant listed sees the read in its audit log
      for (const auto& r : page.items) ctx.audit.tenants.push_back(r.tenant_id.str());
      std::sort(ctx.audit.tenants.begin(), ctx.audit.tenants.end());
      ctx.audit.tenants.erase(std::unique(ctx.audit.tenants.begin(), ctx.audit.tenants.end()), ctx.audit.tenants.end());
    }
    return PageResponse(std::move(page));
  };
}

Handler GetQuotaRequest() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(QuotaRequestId id, ctx.PathId<QuotaRequestId>("request"));
    ASSIGN_OR_RETURN(QuotaRequest r, storage::GetQuotaRequest(ctx.Tx(), *ctx.tenant, id));
    return RequestResponse(200, r);
  };
}

Handler CancelQuotaRequest() {
  return [](RequestContext& ctx) { return Decide(ctx, QuotaRequestState::kCancelled); };
}

Handler ApproveQuotaRequest() {
  return [](RequestContext& ctx) { return Decide(ctx, QuotaRequestState::kApproved); };
}

Handler DenyQuotaRequest() {
  return [](RequestContext& ctx) { return Decide(ctx, QuotaRequestState::kDenied); };
}

}  // namespace gaon::api
