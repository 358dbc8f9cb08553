#include "api/validation.h"

#include "core/iso.h"
#include "core/password.h"

namespace gaon::api {
namespace {

bool IsAlnumLower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsAlnumLower(c) || (c >= 'A' && c <= 'Z'); }

bool IsLabelName(std::string_view s) {  // the part after any prefix
  if (s.empty() || s.size() > 63 || !IsAlnumLower(s.front()) || !IsAlnumLower(s.back())) return false;
  for (char c : s) {
    if (!IsAlnumLower(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!IsAlnumLower(c) && c != '-' && c != '.') return false;
  }
  return IsAlnumLower(s.front()) && IsAlnumLower(s.back());
}

}  // namespace

bool IsLabelKey(std::string_view k) {
  const auto slash = k.find('/');
  if (slash == std::string_view::npos) return IsLabelName(k);
  return IsDnsSubdomain(k.substr(0, slash)) && IsLabelName(k.substr(slash + 1));
}

bool IsLabelValue(std::string_view v) {
  if (v.empty()) return true;
  if (v.size() > 63 || !IsAlnum(v.front()) || !IsAlnum(v.back())) return false;
  for (char c : v) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

void Validator::Require(bool ok, std::string field, std::string code, std::string message) {
  if (!ok) violations_.push_back({field, std::move(code), field + " " + std::move(message)});
}

void Validator::Name(const std::string& field, const std::string& v) {
  bool ok = v.size() >= 2 && v.size() <= 63 && v.front() >= 'a' && v.front() <= 'z' && IsAlnumLower(v.back());
  for (char c : v) ok = ok && (IsAlnumLower(c) || c == '-');
  Require(ok, field, "invalid",
          "must be 2–63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit");
}

void Validator::Email(const std::string& field, const std::string& v) {
  const auto at = v.find('@');
  const bool ok = v.size() <= 254 && at != std::string::npos && at > 0 && v.find('@', at + 1) == std::string::npos &&
                  v.find('.', at) != std::string::npos && v.back() != '.' && v.find(' ') == std::string::npos &&
                  v.find(',') == std::string::npos;
  Require(ok, field, "invalid", "must be an email address");
}

void Validator::Country(const std::string& field, const std::string& v) {
  Require(IsCountryCode(v), field, "invalid", "must be an ISO 3166-1 alpha-2 country code such as KR");
}

void Validator::Currency(const std::string& field, const std::string& v) {
  Require(CurrencyMinorUnits(v).has_value(), field, "invalid", "must be an ISO 4217 currency code such as KRW");
}

void Validator::MergeLabels(const boost::json::object& patch, gaon::Labels& labels) {
  for (const auto& [k, val] : patch) {
    if (val.is_null()) {
      labels.erase(std::string(k));
    } else if (val.is_string()) {
      labels[std::string(k)] = std::string(val.get_string());
    } else {
      Require(false, "labels." + std::string(k), "invalid_type", "must be a string, or null to remove it");
    }
  }
}

void Validator::Labels(const std::string& field, const gaon::Labels& labels) {
  Require(labels.size() <= 64, field, "too_many", "may have at most 64 labels");
  for (const auto& [k, v] : labels) {
    Require(IsLabelKey(k), field + "." + k, "invalid",
            "is not a valid label key (lowercase letters, digits, '-', '_', '.', optional prefix/)");
    Require(IsLabelValue(v), field + "." + k, "invalid",
            "must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit");
  }
}

void Validator::Length(const std::string& field, const std::string& value, std::size_t max) {
  Require(value.size() <= max, field, "too_long", "must be at most " + std::to_string(max) + " bytes");
}

void Validator::Password(const std::string& field, const std::string& value) {
  const std::string problem = PasswordProblem(value);
  Require(problem.empty(), field, "weak", problem);
}

Status Validator::status() const {
  if (violations_.empty()) return Status::Ok();
  return ValidationFailed(violations_);
}

}  // namespace gaon::api
