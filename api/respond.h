// Helpers that build successful responses.
#pragma once

#include <boost/json/value.hpp>

#include "api/http/http_types.h"

namespace gaon::api {

http::HttpResponse JsonResponse(int status, const boost::json::value& body);

}  // namespace gaon::api
