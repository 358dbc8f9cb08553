// The region and its catalog: what this deployment offers and how much of it is free now.
#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "storage/catalog.h"

namespace gaon::api {
namespace {

template <typename T>
http::HttpResponse Items(const std::vector<T>& items) {
  Page<T> page;
  page.items = items;
  return Json(200, page);
}

}  // namespace

Handler ListRegions() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Region region, storage::GetRegion(ctx.Tx()));
    return Items(std::vector<Region>{region});
  };
}

Handler ListGpuTypes() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto types, storage::ListGpuTypes(ctx.Tx()));
    return Items(types);
  };
}

Handler ListInstanceTypes() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto types, storage::ListInstanceTypes(ctx.Tx()));
    if (auto gpu = ctx.request.Query("gpu_type")) {
      std::erase_if(types, [&](const InstanceType& t) { return t.gpu_type != *gpu; });
    }
    return Items(types);
  };
}

Handler GetInstanceType() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto type, storage::GetInstanceType(ctx.Tx(), std::string(ctx.Param("instance_type"))));
    if (!type) return NotFound("instance type '" + std::string(ctx.Param("instance_type")) + "' not found");
    ASSIGN_OR_RETURN(type->availability, storage::Availability(ctx.Tx(), *type));
    return Json(200, *type);
  };
}

Handler ListImages() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto images, storage::ListImages(ctx.Tx()));
    return Items(images);
  };
}

}  // namespace gaon::api
