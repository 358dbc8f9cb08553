// The audit log: a tenant's events (tenant admins), the platform's events (operators), and
// chain verification (operators).

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "storage/audit.h"

namespace gaon::api {
namespace {

std::string Chain(const RequestContext& ctx) { return ctx.tenant ? ctx.tenant->str() : storage::kPlatformChain; }

StatusOr<std::optional<Timestamp>> TimeParam(const RequestContext& ctx, const char* name) {
  auto v = ctx.request.Query(name);
  if (!v) return std::optional<Timestamp>();
  auto t = ParseTimestamp(*v);
  if (!t) return ValidationFailed({{name, "invalid", std::string(name) + " must be an RFC 3339 timestamp"}});
  return std::optional<Timestamp>(*t);
}

}  // namespace

Handler ListAuditEvents() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    storage::AuditQuery q;
    ASSIGN_OR_RETURN(q.since, TimeParam(ctx, "since"));
    ASSIGN_OR_RETURN(q.until, TimeParam(ctx, "until"));
    if (auto a = ctx.request.Query("action")) q.action = std::string(*a);
    if (auto p = ctx.request.Query("principal")) q.principal_id = std::string(*p);
    ASSIGN_OR_RETURN(auto list, ctx.ListParams());
    q.page_size = list.page_size;
    ASSIGN_OR_RETURN(q.before_seq, PageSeq(list));
    ASSIGN_OR_RETURN(auto page, storage::ListAuditEvents(ctx.Tx(), Chain(ctx), q));
    return PageResponse(std::move(page));
  };
}

Handler VerifyAuditChain() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto result, storage::VerifyAuditChain(ctx.Tx(), Chain(ctx)));
    return Json(200, result);
  };
}

}  // namespace gaon::api
