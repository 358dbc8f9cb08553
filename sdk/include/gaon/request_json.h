// RequestJson(value): the JSON a request carries for a model value — its input fields, with
// output-only ones (id, status, timestamps) left out and input-only ones (user_data, password)
// kept, as the server's strict reader wants them. The SDK sends exactly this; gaonctl's
// --dry-run prints it.
// Thread-safety: pure functions.
#pragma once

#include <boost/json.hpp>

#include <type_traits>

#include "gaon/model/json_io.h"

namespace gaon {
namespace request_json_internal {

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

}  // namespace request_json_internal

template <typename T>
boost::json::value RequestJson(const T& value) {
  return request_json_internal::RequestWriter::Value(value);
}

}  // namespace gaon
