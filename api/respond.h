// Helpers that build successful responses.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

#include "api/http/http_types.h"
#include "gaon/model/json_io.h"
#include "gaon/model/tenancy.h"

namespace gaon::api {

http::HttpResponse JsonResponse(int status, const boost::json::value& body);

template <typename T>
http::HttpResponse Json(int status, const T& model) {
  return JsonResponse(status, ToJson(model));
}

// Adds ETag: "<version>" (resource_version, checked again through If-Match).
http::HttpResponse& WithEtag(http::HttpResponse& res, std::int64_t version);

http::HttpResponse NoContent();

// A page of items with the next page token encoded.
template <typename T>
http::HttpResponse PageResponse(Page<T> page);

}  // namespace gaon::api

#include "api/context.h"

namespace gaon::api {
template <typename T>
http::HttpResponse PageResponse(Page<T> page) {
  if (page.next_page_token) page.next_page_token = EncodePageToken(*page.next_page_token);
  return Json(200, page);
}
}  // namespace gaon::api
