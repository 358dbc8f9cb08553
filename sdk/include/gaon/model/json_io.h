// JSON codecs for the wire types, written once per type.
//
// A model type lists its fields in one member template:
//
//   struct Tenant {
//     TenantId id; std::string name; Labels labels;
//     template <class V> void Fields(V& v) {
//       v("id", id, Field::kOutputOnly); v("name", name, Field::kRequired); v("labels", labels);
//     }
//   };
//
// ToJson() writes every field; FromJson() reads them back. A strict read (the server parsing a
// request) refuses unknown members, missing required members and output-only members, and
// reports each problem as a FieldViolation with its dotted path ("spec.zone"); a lenient read
// (the SDK parsing a response) ignores members it does not know, so older clients keep working
// when the server adds fields.
// Thread-safety: stateless functions.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gaon/ids.h"
#include "gaon/status.h"
#include "gaon/time.h"

namespace gaon {

using Labels = std::map<std::string, std::string>;

enum class Field {
  kOptional = 0,
  kRequired = 1,    // must be present in a strict read
  kOutputOnly = 2,  // written by the server; a strict read refuses it
  kInputOnly = 3,   // accepted in requests, never written back (user data, passwords)
};

enum class ReadMode { kStrict, kLenient };

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsStringMap : std::false_type {};
template <typename V>
struct IsStringMap<std::map<std::string, V>> : std::true_type {};
template <typename T>
struct IsId : std::false_type {};
template <typename Tag>
struct IsId<Id<Tag>> : std::true_type {};

// Enums declare `std::string_view ToString(E)` and `bool FromString(std::string_view, E*)`
// next to them; ADL finds them.
template <typename E>
concept WireEnum = std::is_enum_v<E> && requires(E e, std::string_view s) {
  { ToString(e) } -> std::convertible_to<std::string_view>;
  { FromString(s, &e) } -> std::convertible_to<bool>;
};

class JsonWriter {
 public:
  boost::json::object& object() { return obj_; }

  template <typename T>
  void operator()(const char* name, const T& value, Field flags = Field::kOptional) {
    if (flags == Field::kInputOnly) return;
    if constexpr (IsOptional<T>::value) {
      if (!value) return;  // absent optionals are omitted
      obj_[name] = Value(*value);
    } else {
      obj_[name] = Value(value);
    }
  }

  template <typename T>
  static boost::json::value Value(const T& v) {
    if constexpr (std::is_same_v<T, std::string>) {
      return boost::json::value(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      return boost::json::value(v);
    } else if constexpr (std::is_integral_v<T>) {
      return boost::json::value(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      return boost::json::value(FormatTimestamp(v));
    } else if constexpr (IsId<T>::value) {
      return boost::json::value(v.str());
    } else if constexpr (WireEnum<T>) {
      return boost::json::value(std::string(ToString(v)));
    } else if constexpr (IsOptional<T>::value) {
      return v ? Value(*v) : boost::json::value(nullptr);
    } else if constexpr (IsStringMap<T>::value) {
      boost::json::object o;
      for (const auto& [k, val] : v) o[k] = Value(val);
      return o;
    } else if constexpr (std::is_same_v<T, boost::json::value>) {
      return v;
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
      return boost::json::value(v);
    } else if constexpr (IsVector<T>::value) {
      boost::json::array a;
      for (const auto& e : v) a.push_back(Value(e));
      return a;
    } else {
      JsonWriter w;
      const_cast<T&>(v).Fields(w);  // Fields() only reads through a writer
      return std::move(w.obj_);
    }
  }

 private:
  boost::json::object obj_;
};

class JsonReader {
 public:
  JsonReader(const boost::json::object& obj, ReadMode mode, std::vector<FieldViolation>* errors,
             std::string prefix = {})
      : obj_(obj), mode_(mode), errors_(errors), prefix_(std::move(prefix)) {}

  template <typename T>
  void operator()(const char* name, T& value, Field flags = Field::kOptional) {
    seen_.push_back(name);
    const auto* v = obj_.if_contains(name);
    const std::string path = prefix_.empty() ? std::string(name) : prefix_ + "." + name;
    if (mode_ == ReadMode::kStrict && flags == Field::kOutputOnly) {
      if (v) Error(path, "read_only", "is set by the server and cannot be written");
      return;
    }
    if (!v || (v->is_null() && !IsOptional<T>::value)) {
      if (mode_ == ReadMode::kStrict && flags == Field::kRequired) Error(path, "required", "is required");
      return;
    }
    Read(path, *v, value);
  }

  // After Fields(): in strict mode, reports members the type does not have.
  void CheckUnknown() {
    if (mode_ != ReadMode::kStrict) return;
    for (const auto& [k, _] : obj_) {
      bool known = false;
      for (const auto* s : seen_) known = known || k == s;
      if (!known) {
        const std::string path = prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
        Error(path, "unknown", "is not a known field");
      }
    }
  }

  template <typename T>
  void Read(const std::string& path, const boost::json::value& v, T& out) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return Error(path, "invalid_type", "must be a string");
      out = std::string(v.get_string());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_bool()) return Error(path, "invalid_type", "must be true or false");
      out = v.get_bool();
    } else if constexpr (std::is_integral_v<T>) {
      if (v.is_int64()) {
        out = static_cast<T>(v.get_int64());
      } else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<T>(v.get_uint64());
      } else {
        return Error(path, "invalid_type", "must be an integer");
      }
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      if (!v.is_string()) return Error(path, "invalid_type", "must be an RFC 3339 timestamp string");
      auto t = ParseTimestamp(v.get_string());
      if (!t) return Error(path, "invalid", "must be an RFC 3339 timestamp with a zone");
      out = *t;
    } else if constexpr (IsId<T>::value) {
      if (!v.is_string()) return Error(path, "invalid_type", "must be a string id");
      auto id = T::Parse(std::string_view(v.get_string()));
      if (!id.ok()) return Error(path, "invalid", id.status().message());
      out = *id;
    } else if constexpr (WireEnum<T>) {
      if (!v.is_string() || !FromString(std::string_view(v.get_string()), &out)) {
        return Error(path, "invalid", "is not one of the allowed values");
      }
    } else if constexpr (IsStringMap<T>::value) {
      if (!v.is_object()) return Error(path, "invalid_type", "must be an object");
      out.clear();
      for (const auto& [k, val] : v.get_object()) {
        typename T::mapped_type item{};
        const std::size_t before = errors_->size();
        Read(path + "." + std::string(k), val, item);
        if (errors_->size() == before) out[std::string(k)] = std::move(item);
      }
    } else if constexpr (std::is_same_v<T, boost::json::value>) {
      out = v;
    } else if constexpr (std::is_same_v<T, boost::json::object>) {
      if (!v.is_object()) return Error(path, "invalid_type", "must be an object");
      out = v.get_object();
    } else if constexpr (IsOptional<T>::value) {
      if (v.is_null()) {
        out.reset();
        return;
      }
      typename T::value_type inner{};
      const std::size_t before = errors_->size();
      Read(path, v, inner);
      if (errors_->size() == before) out = std::move(inner);
    } else if constexpr (IsVector<T>::value) {
      if (!v.is_array()) return Error(path, "invalid_type", "must be an array");
      out.clear();
      std::size_t i = 0;
      for (const auto& e : v.get_array()) {
        typename T::value_type item{};
        Read(path + "[" + std::to_string(i++) + "]", e, item);
        out.push_back(std::move(item));
      }
    } else {
      if (!v.is_object()) return Error(path, "invalid_type", "must be an object");
      JsonReader nested(v.get_object(), mode_, errors_, path);
      out.Fields(nested);
      nested.CheckUnknown();
    }
  }

  void Error(const std::string& path, std::string code, std::string message) {
    errors_->push_back({path, std::move(code), path + " " + std::move(message)});
  }

 private:
  const boost::json::object& obj_;
  ReadMode mode_;
  std::vector<FieldViolation>* errors_;
  std::string prefix_;
  std::vector<const char*> seen_;
};

// A page of a list: `items` and, when more remain, an opaque `next_page_token`.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_page_token;
  template <class V>
  void Fields(V& v) {
    v("items", items);
    v("next_page_token", next_page_token);
  }
};

template <typename T>
boost::json::value ToJson(const T& v) {
  return JsonWriter::Value(v);
}

template <typename T>
std::string ToJsonText(const T& v) {
  return boost::json::serialize(ToJson(v));
}

// Reads a T from a parsed JSON value. ValidationFailed (400) listing every field problem.
template <typename T>
StatusOr<T> FromJson(const boost::json::value& v, ReadMode mode = ReadMode::kLenient) {
  if (!v.is_object()) return ValidationFailed({{"", "invalid_type", "the body must be a JSON object"}});
  T out{};
  std::vector<FieldViolation> errors;
  JsonReader r(v.get_object(), mode, &errors);
  out.Fields(r);
  r.CheckUnknown();
  if (!errors.empty()) return ValidationFailed(std::move(errors));
  return out;
}

// Parses JSON text; InvalidArgument("malformed_body") when it is not JSON.
StatusOr<boost::json::value> ParseJson(std::string_view text);

template <typename T>
StatusOr<T> FromJsonText(std::string_view text, ReadMode mode = ReadMode::kLenient) {
  ASSIGN_OR_RETURN(boost::json::value v, ParseJson(text));
  return FromJson<T>(v, mode);
}

}  // namespace gaon
