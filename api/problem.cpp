#include "api/problem.h"

#include <boost/json.hpp>

#include <unordered_map>

namespace gaon::api {
namespace {

int ForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kAborted: return 409;
    case StatusCode::kOutOfRange: return 400;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kInternal: return 500;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kUnauthenticated: return 401;
  }
  return 500;
}

// Reasons whose HTTP status differs from their canonical code's.
const std::unordered_map<std::string, int>& ReasonStatus() {
  static const std::unordered_map<std::string, int> m = {
      {"precondition_failed", 412},     {"idempotency_key_reused", 422}, {"payload_too_large", 413},
      {"header_too_large", 431},        {"method_not_allowed", 405},     {"unsupported_media_type", 415},
      {"not_acceptable", 406},          {"precondition_required", 428},
      {"artifact_outside_jurisdiction", 422}, {"artifact_not_in_object_storage", 422},
      {"event_too_late", 422},
  };
  return m;
}

std::string Title(const Status& s, int http) {
  static const std::unordered_map<std::string, std::string> m = {
      {"validation_failed", "Validation failed"},
      {"malformed_body", "Malformed request body"},
      {"not_found", "Not found"},
      {"route_not_found", "No such route"},
      {"method_not_allowed", "Method not allowed"},
      {"quota_exceeded", "Quota exceeded"},
      {"tenant_suspended", "Tenant suspended"},
      {"residency_violation", "Data residency violation"},
      {"artifact_outside_jurisdiction", "Artifact outside the tenant's jurisdiction"},
      {"artifact_not_in_object_storage", "Artifact not in the region's object storage"},
      {"endpoint_scaled_to_zero", "Endpoint scaled to zero"},
      {"endpoint_not_ready", "Endpoint not ready"},
      {"model_in_use", "Model in use"},
      {"insufficient_credit", "Insufficient credit"},
      {"rate_limited", "Too many requests"},
      {"precondition_failed", "Precondition failed"},
      {"idempotency_key_reused", "Idempotency key reused"},
      {"payload_too_large", "Payload too large"},
      {"header_too_large", "Request header fields too large"},
      {"not_ready", "Not ready"},
      {"internal", "Internal error"},
  };
  auto it = m.find(s.reason());
  if (it != m.end()) return it->second;
  return std::string(ReasonPhrase(http));
}

}  // namespace

int HttpStatusFor(const Status& status) {
  if (status.http_status() != 0) return status.http_status();
  auto it = ReasonStatus().find(status.reason());
  if (it != ReasonStatus().end()) return it->second;
  return ForCode(status.code());
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

http::HttpResponse ProblemResponse(const Status& status, const std::string& request_id) {
  const int http = HttpStatusFor(status);
  boost::json::object o;
  o["type"] = "urn:gaon:problem:" + status.reason();
  o["title"] = Title(status, http);
  o["status"] = http;
  o["detail"] = status.message().empty() ? std::string(ReasonPhrase(http)) : status.message();
  o["code"] = status.reason();
  o["request_id"] = request_id;
  if (!status.violations().empty()) {
    boost::json::array errors;
    for (const auto& v : status.violations()) {
      errors.push_back(boost::json::object{{"field", v.field}, {"code", v.code}, {"message", v.message}});
    }
    o["errors"] = std::move(errors);
  }
  http::HttpResponse r;
  for (const auto& [name, json] : status.extras()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    o[name] = ec ? boost::json::value(json) : std::move(v);
    // Clients and proxies act on the header; the field says the same in the body.
    if (name == "retry_after_seconds") r.Set("Retry-After", json);
  }
  r.status = http;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(o);
  return r;
}

}  // namespace gaon::api
