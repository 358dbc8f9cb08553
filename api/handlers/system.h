// System routes: liveness, readiness, metrics and the API contract.
#pragma once

#include "api/router.h"
#include "api/services.h"

namespace gaon::api {

// GET /healthz: the process is up and serving (no database access).
Handler HealthzHandler();
// GET /readyz: the database answers and its schema is exactly the one this binary expects;
// 503 "not_ready" with the reason otherwise.
Handler ReadyzHandler(const Services& services);
// GET /metrics: Prometheus text format.
Handler MetricsHandler(const Services& services);
// GET /v1/openapi.yaml: docs/openapi.yaml as compiled into gaond.
Handler OpenApiHandler();

}  // namespace gaon::api
