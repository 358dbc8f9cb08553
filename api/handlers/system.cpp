#include "api/handlers/system.h"

#include <boost/json.hpp>

#include "api/context.h"
#include "api/respond.h"
#include "core/metrics.h"
#include "storage/database.h"
#include "storage/migrations.h"

namespace gaon {
std::string_view OpenApiYaml();  // generated from docs/openapi.yaml
}

namespace gaon::api {

Handler HealthzHandler() {
  return [](RequestContext&) -> StatusOr<http::HttpResponse> {
    http::HttpResponse r;
    r.body = R"({"status":"ok"})";
    return r;
  };
}

Handler ReadyzHandler(const Services& services) {
  return [&services](RequestContext&) -> StatusOr<http::HttpResponse> {
    Status s = storage::CheckSchema(*services.db, *services.migrations);
    if (!s.ok()) {
      return Status(StatusCode::kUnavailable, "not_ready", "not ready: " + s.message()).WithHttpStatus(503);
    }
    const int version = services.migrations->empty() ? 0 : services.migrations->back().version;
    return JsonResponse(200, boost::json::object{{"status", "ready"}, {"schema_version", version}});
  };
}

Handler MetricsHandler(const Services& services) {
  return [&services](RequestContext&) -> StatusOr<http::HttpResponse> {
    http::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = services.metrics ? services.metrics->Render() : std::string();
    return r;
  };
}

Handler OpenApiHandler() {
  return [](RequestContext&) -> StatusOr<http::HttpResponse> {
    http::HttpResponse r;
    r.content_type = "application/yaml";
    r.body = std::string(OpenApiYaml());
    return r;
  };
}

}  // namespace gaon::api
