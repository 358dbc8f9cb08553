#include "gaon/status.h"

namespace gaon {
namespace {

const std::string& DefaultReason(StatusCode code) {
  static const std::string kNames[] = {
      "ok",          "cancelled",           "invalid_argument", "deadline_exceeded",
      "not_found",   "already_exists",      "permission_denied", "resource_exhausted",
      "failed_precondition", "aborted",     "out_of_range",     "unimplemented",
      "internal",    "unavailable",         "unauthenticated",
  };
  return kNames[static_cast<int>(code)];
}

const std::string& Empty() {
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace

std::string_view StatusCodeName(StatusCode code) {
  static constexpr std::string_view kNames[] = {
      "OK",           "CANCELLED",         "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
      "NOT_FOUND",    "ALREADY_EXISTS",    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED",    "OUT_OF_RANGE",     "UNIMPLEMENTED",
      "INTERNAL",     "UNAVAILABLE",       "UNAUTHENTICATED",
  };
  return kNames[static_cast<int>(code)];
}

Status::Status(StatusCode code, std::string reason, std::string message) : code_(code) {
  if (code == StatusCode::kOk) return;
  auto rep = std::make_shared<Rep>();
  rep->reason = reason.empty() ? DefaultReason(code) : std::move(reason);
  rep->message = std::move(message);
  rep_ = std::move(rep);
}

const std::string& Status::reason() const { return rep_ ? rep_->reason : DefaultReason(code_); }
const std::string& Status::message() const { return rep_ ? rep_->message : Empty(); }

const std::vector<FieldViolation>& Status::violations() const {
  static const std::vector<FieldViolation> kNone;
  return rep_ ? rep_->violations : kNone;
}

const std::vector<std::pair<std::string, std::string>>& Status::extras() const {
  static const std::vector<std::pair<std::string, std::string>> kNone;
  return rep_ ? rep_->extras : kNone;
}

std::optional<std::string> Status::extra(std::string_view name) const {
  for (const auto& [k, v] : extras()) {
    if (k == name) return v;
  }
  return std::nullopt;
}

int Status::http_status() const { return rep_ ? rep_->http_status : 0; }

const std::string& Status::request_id() const { return rep_ ? rep_->request_id : Empty(); }

Status::Rep& Status::Mutable() {
  assert(!ok() && "details on an OK status");
  auto copy = std::make_shared<Rep>(*rep_);
  Rep& ref = *copy;
  rep_ = std::move(copy);
  return ref;
}

Status Status::WithViolations(std::vector<FieldViolation> v) const {
  Status s = *this;
  s.Mutable().violations = std::move(v);
  return s;
}

Status Status::WithExtra(std::string name, std::string json_value) const {
  Status s = *this;
  s.Mutable().extras.emplace_back(std::move(name), std::move(json_value));
  return s;
}

Status Status::WithHttpStatus(int http_status) const {
  Status s = *this;
  s.Mutable().http_status = http_status;
  return s;
}

Status Status::WithRequestId(std::string request_id) const {
  Status s = *this;
  s.Mutable().request_id = std::move(request_id);
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code_));
  out += " (" + reason() + ")";
  if (!message().empty()) out += ": " + message();
  for (const auto& v : violations()) out += "; " + v.field + ": " + v.message;
  if (!request_id().empty()) out += " [request " + request_id() + "]";
  return out;
}

#define GAON_STATUS_CTOR(Name, Code)                                \
  Status Name(std::string message, std::string reason) {            \
    return Status(StatusCode::Code, std::move(reason), std::move(message)); \
  }
GAON_STATUS_CTOR(InvalidArgument, kInvalidArgument)
GAON_STATUS_CTOR(NotFound, kNotFound)
GAON_STATUS_CTOR(AlreadyExists, kAlreadyExists)
GAON_STATUS_CTOR(PermissionDenied, kPermissionDenied)
GAON_STATUS_CTOR(Unauthenticated, kUnauthenticated)
GAON_STATUS_CTOR(FailedPrecondition, kFailedPrecondition)
GAON_STATUS_CTOR(Aborted, kAborted)
GAON_STATUS_CTOR(ResourceExhausted, kResourceExhausted)
GAON_STATUS_CTOR(Unavailable, kUnavailable)
GAON_STATUS_CTOR(DeadlineExceeded, kDeadlineExceeded)
GAON_STATUS_CTOR(Unimplemented, kUnimplemented)
GAON_STATUS_CTOR(Internal, kInternal)
#undef GAON_STATUS_CTOR

Status ValidationFailed(std::vector<FieldViolation> violations) {
  std::string message = "the request has invalid fields";
  if (violations.size() == 1) message = violations[0].field + ": " + violations[0].message;
  return InvalidArgument(std::move(message), "validation_failed")
      .WithViolations(std::move(violations));
}

}  // namespace gaon
