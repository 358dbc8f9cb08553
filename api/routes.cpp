// The route table: every route Gaon serves, with the permission it requires. A route cannot
// be added anywhere else, and docs/openapi.yaml must list exactly these (a test checks).
#include "api/app.h"
#include "api/handlers/system.h"

namespace gaon::api {

void RegisterRoutes(Router& r, const Services& s) {
  using P = Permission;
  using E = Execution;
  // clang-format off
  r.Add({"GET", "/healthz",          P::kPublic, HealthzHandler(),   E::kInline});
  r.Add({"GET", "/readyz",           P::kPublic, ReadyzHandler(s)});
  r.Add({"GET", "/metrics",          P::kPublic, MetricsHandler(s),  E::kInline});
  r.Add({"GET", "/v1/openapi.yaml",  P::kPublic, OpenApiHandler(),   E::kInline});
  // clang-format on
}

}  // namespace gaon::api
