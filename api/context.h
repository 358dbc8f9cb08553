// RequestContext: everything a handler gets — the request, its route and path parameters,
// and (from the tenancy issue on) the authenticated caller.
// Thread-safety: owned by the thread running the handler.
#pragma once

#include <string>
#include <string_view>

#include "api/http/http_types.h"
#include "api/router.h"

namespace gaon::api {

struct RequestContext {
  const http::HttpRequest& request;
  const Route& route;
  PathParams params;

  // The decoded path parameter `name`; empty when the route has none of that name.
  std::string_view Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
  const std::string& request_id() const { return request.request_id; }
};

}  // namespace gaon::api
