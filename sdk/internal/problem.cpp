#include "internal/problem.h"

#include <boost/json.hpp>

#include <array>
#include <string>

namespace gaon::internal {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsConflictRetry(std::string_view reason) {
  static constexpr std::array<std::string_view, 4> kAborted = {"aborted", "serialization_failure",
                                                               "deadlock_detected", "lock_not_available"};
  for (auto r : kAborted) {
    if (reason == r) return true;
  }
  return reason.rfind("idempotency_", 0) == 0 && reason != "idempotency_key_reused";
}

StatusCode CodeFor4xx(int s, std::string_view reason) {
  switch (s) {
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404:
    case 410: return s == 404 ? StatusCode::kNotFound : StatusCode::kFailedPrecondition;
    case 408: return StatusCode::kDeadlineExceeded;
    case 409:
      if (EndsWith(reason, "_exists") || EndsWith(reason, "_taken") || reason.rfind("already_", 0) == 0) {
        return StatusCode::kAlreadyExists;
      }
      return IsConflictRetry(reason) ? StatusCode::kAborted : StatusCode::kFailedPrecondition;
    case 412:
    case 428: return StatusCode::kFailedPrecondition;
    case 413:
    case 429:
    case 431: return StatusCode::kResourceExhausted;
    case 416: return StatusCode::kOutOfRange;
    case 499: return StatusCode::kCancelled;
    default: return StatusCode::kInvalidArgument;  // 400, 405, 406, 415, 422, …
  }
}

std::string Text(const boost::json::value* v) {
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::vector<FieldViolation> Violations(const boost::json::value* errors) {
  std::vector<FieldViolation> out;
  if (!errors || !errors->is_array()) return out;
  for (const auto& e : errors->get_array()) {
    if (!e.is_object()) continue;
    const auto& o = e.get_object();
    out.push_back({Text(o.if_contains("field")), Text(o.if_contains("code")), Text(o.if_contains("message"))});
  }
  return out;
}

}  // namespace

StatusCode CodeForHttp(int http_status, std::string_view reason) {
  if (http_status >= 200 && http_status < 300) return StatusCode::kOk;
  // The API never redirects; a 3xx comes from something in between (http → https, say).
  if (http_status < 400) return StatusCode::kFailedPrecondition;
  if (http_status >= 400 && http_status < 500) return CodeFor4xx(http_status, reason);
  switch (http_status) {
    case 501: return StatusCode::kUnimplemented;
    case 502:
    case 503: return StatusCode::kUnavailable;
    case 504: return StatusCode::kDeadlineExceeded;
    default: return StatusCode::kInternal;
  }
}

Status StatusFromProblem(int http_status, std::string_view body, std::string_view request_id_header) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  const boost::json::object* o = !ec && doc.is_object() ? &doc.get_object() : nullptr;
  std::string reason = o ? Text(o->if_contains("code")) : std::string();
  if (reason.empty()) reason = "http_" + std::to_string(http_status);
  std::string message;
  if (o) {
    message = Text(o->if_contains("detail"));
    if (message.empty()) message = Text(o->if_contains("title"));
  } else {
    message = std::string(body.substr(0, 300));
  }
  if (message.empty()) message = "HTTP " + std::to_string(http_status);
  Status s = Status(CodeForHttp(http_status, reason), reason, message).WithHttpStatus(http_status);
  std::string request_id = o ? Text(o->if_contains("request_id")) : std::string();
  if (request_id.empty()) request_id = std::string(request_id_header);
  if (!request_id.empty()) s = s.WithRequestId(std::move(request_id));
  if (!o) return s;
  auto violations = Violations(o->if_contains("errors"));
  if (!violations.empty()) s = s.WithViolations(std::move(violations));
  for (const auto& [k, v] : *o) {
    static constexpr std::array<std::string_view, 8> kStandard = {"type", "title", "status", "detail",
                                                                  "instance", "code", "request_id", "errors"};
    bool standard = false;
    for (auto name : kStandard) standard = standard || k == name;
    if (!standard) s = s.WithExtra(std::string(k), boost::json::serialize(v));
  }
  return s;
}

}  // namespace gaon::internal
