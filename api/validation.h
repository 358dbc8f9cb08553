// Field validation shared by handlers. Each check appends FieldViolations so a request
// reports every bad field at once.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gaon/model/json_io.h"
#include "gaon/status.h"

namespace gaon::api {

// Label keys: an optional DNS-subdomain prefix and '/', then 1–63 of [a-z0-9._-] starting
// and ending alphanumeric (Kubernetes' rule, lowercase). Values: 0–63 of [A-Za-z0-9._-],
// starting and ending alphanumeric. At most 64 labels.
bool IsLabelKey(std::string_view k);
bool IsLabelValue(std::string_view v);

class Validator {
 public:
  void Require(bool ok, std::string field, std::string code, std::string message);
  // Lowercase DNS label, 2–63 chars: the shape of names that appear in URLs and hostnames.
  void Name(const std::string& field, const std::string& value);
  void Email(const std::string& field, const std::string& value);
  void Country(const std::string& field, const std::string& value);
  void Currency(const std::string& field, const std::string& value);
  void Labels(const std::string& field, const gaon::Labels& labels);
  // Applies a JSON merge patch of labels (a string sets one, null removes it) to `labels`;
  // any other value is a violation. The result still needs Labels().
  void MergeLabels(const boost::json::object& patch, gaon::Labels& labels);
  void Length(const std::string& field, const std::string& value, std::size_t max);
  void Password(const std::string& field, const std::string& value);

  bool ok() const { return violations_.empty(); }
  // OK, or ValidationFailed listing everything found.
  Status status() const;

 private:
  std::vector<FieldViolation> violations_;
};

}  // namespace gaon::api
