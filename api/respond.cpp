#include "api/respond.h"

#include <boost/json/serialize.hpp>

namespace gaon::api {

http::HttpResponse JsonResponse(int status, const boost::json::value& body) {
  http::HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(body);
  return r;
}

}  // namespace gaon::api
