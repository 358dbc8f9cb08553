// Templates of client_impl.h: request bodies and lenient decoding of answers.
#pragma once

#include <boost/json.hpp>

#include <type_traits>

#include "gaon/model/json_io.h"

namespace gaon::client_internal {

template <typename T>
concept HasFields = requires(T& t, JsonWriter& w) { t.Fields(w); };
template <typename T>
concept VectorOfFields = IsVector<T>::value && HasFields<typename T::value_type>;

// Writes what a request may carry: JsonWriter (used for answers) leaves input-only fields out
// and writes output-only ones; a request needs the opposite.
class RequestWriter {
 public:
  boost::json::object& object() { return obj_; }

  template <typename T>
  void operator()(const char* name, const T& value, Field flags = Field::kOptional) {
    if (flags == Field::kOutputOnly) return;
    if constexpr (IsOptional<T>::value) {
      if (value) obj_[name] = Value(*value);
    } else {
      obj_[name] = Value(value);
    }
  }

  template <typename T>
  static boost::json::value Value(const T& v) {
    if constexpr (HasFields<T>) {
      RequestWriter w;
      const_cast<T&>(v).Fields(w);  // Fields() only reads through a writer
      return std::move(w.obj_);
    } else if constexpr (VectorOfFields<T>) {
      boost::json::array a;
      for (const auto& e : v) a.push_back(Value(e));
      return a;
    } else {
      return JsonWriter::Value(v);
    }
  }

 private:
  boost::json::object obj_;
};

template <typename T>
std::string RequestBody(const T& value) {
  return boost::json::serialize(RequestWriter::Value(value));
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
