// The fleet (operators only): nodes, cordon and drain, and the simulated hosts' fault switches.
// Handlers record intent; the controllers act on it.
#include <boost/json.hpp>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "storage/changes.h"
#include "storage/fleet.h"
#include "storage/instances.h"
#include "storage/sim.h"

namespace gaon::api {
namespace {

std::string NodeParam(const RequestContext& ctx) { return std::string(ctx.Param("node")); }

StatusOr<http::HttpResponse> Cordon(RequestContext& ctx, bool cordoned) {
  ASSIGN_OR_RETURN(Node n, storage::SetNodeCordoned(ctx.Tx(), NodeParam(ctx), cordoned));
  ctx.audit = {"node", n.id, boost::json::object{{"state", n.state}}, std::nullopt};
  return Json(200, n);
}

StatusOr<http::HttpResponse> SetSimHealth(RequestContext& ctx, bool healthy, const std::string& reason) {
  ASSIGN_OR_RETURN(Node n, storage::GetNode(ctx.Tx(), NodeParam(ctx)));
  RETURN_IF_ERROR(storage::SetSimNodeHealth(ctx.Tx(), n.id, healthy));
  ctx.audit = {"node", n.id, boost::json::object{{"simulated", healthy ? "recovered" : "failed"}, {"reason", reason}},
               std::nullopt};
  return Json(202, n);
}

}  // namespace

Handler ListNodes() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    storage::NodeFilter f;
    if (auto v = ctx.request.Query("zone")) f.zone = std::string(*v);
    if (auto v = ctx.request.Query("gpu_type")) f.gpu_type = std::string(*v);
    if (auto v = ctx.request.Query("state")) f.state = std::string(*v);
    ASSIGN_OR_RETURN(auto page, storage::ListNodes(ctx.Tx(), f, q));
    return PageResponse(std::move(page));
  };
}

Handler GetNode() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Node n, storage::GetNode(ctx.Tx(), NodeParam(ctx)));
    http::HttpResponse res = Json(200, n);
    return WithEtag(res, n.resource_version);
  };
}

Handler CordonNode() {
  return [](RequestContext& ctx) { return Cordon(ctx, true); };
}

Handler UncordonNode() {
  return [](RequestContext& ctx) { return Cordon(ctx, false); };
}

Handler DrainNode() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(DrainRequest req, ctx.Body<DrainRequest>());
    if (req.policy != "reschedule" && req.policy != "stop") {
      return ValidationFailed({{"policy", "invalid", "policy must be reschedule or stop"}});
    }
    DrainResult out;
    ASSIGN_OR_RETURN(out.node, storage::StartDrain(ctx.Tx(), NodeParam(ctx), req.policy));
    ASSIGN_OR_RETURN(auto instances, storage::DrainInstances(ctx.Tx(), out.node.id, req.policy));
    RETURN_IF_ERROR(storage::RecordChanges(ctx.Tx(), "instance", "MODIFIED", storage::InstanceChanges(instances)));
    for (const auto& i : instances) out.instances.push_back(i.id.str());
    ctx.audit = {"node", out.node.id,
                 boost::json::object{{"drain", req.policy}, {"instances", static_cast<std::int64_t>(instances.size())}},
                 std::nullopt};
    return Json(202, out);
  };
}

Handler SimFailNode() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(SimFailRequest req, ctx.Body<SimFailRequest>());
    return SetSimHealth(ctx, false, req.reason);
  };
}

Handler SimRecoverNode() {
  return [](RequestContext& ctx) { return SetSimHealth(ctx, true, "recovered"); };
}

}  // namespace gaon::api
