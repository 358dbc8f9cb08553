// Templates of client_impl.h: request bodies and lenient decoding of answers.
#pragma once

#include <boost/json.hpp>

#include <type_traits>

#include "gaon/model/json_io.h"
#include "gaon/request_json.h"

namespace gaon::client_internal {

template <typename T>
std::string RequestBody(const T& value) {
  return boost::json::serialize(RequestJson(value));
}

template <typename T>
StatusOr<T> Decode(const internal::HttpResponse& response) {
  auto v = FromJsonText<T>(response.body.empty() ? std::string_view("{}") : std::string_view(response.body),
                           ReadMode::kLenient);
  if (v.ok()) return v;
  std::string detail = v.status().message();
  for (const auto& f : v.status().violations()) detail += "; " + f.message;
  Status s = Internal("the server's answer could not be read: " + detail, "invalid_response")
                 .WithHttpStatus(response.status);
  if (auto id = response.Header("X-Request-Id")) s = s.WithRequestId(*id);
  return s;
}

}  // namespace gaon::client_internal
