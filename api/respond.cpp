#include "api/respond.h"

#include <boost/json/serialize.hpp>

namespace gaon::api {

http::HttpResponse JsonResponse(int status, const boost::json::value& body) {
  http::HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

http::HttpResponse& WithEtag(http::HttpResponse& res, std::int64_t version) {
  res.Set("ETag", "\"" + std::to_string(version) + "\"");
  return res;
}

http::HttpResponse NoContent() {
  http::HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace gaon::api
