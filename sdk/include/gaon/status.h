// Status and StatusOr<T>: how every Gaon function, server and SDK alike, reports failure.
//
// A Status is a canonical code (the retry rule lives in the code, after abseil), a stable
// machine-readable reason ("quota_exceeded", "not_found"), a human message, and optional
// details: field violations for validation errors and extra members for the problem document.
// Status is a value type; copies are cheap (the details are shared and immutable).
// Thread-safety: a Status is immutable after construction and may be shared between threads.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gaon {

// Canonical codes. How to choose: Unavailable = retry this call; Aborted = retry the whole
// read-modify-write; FailedPrecondition = don't retry until the state changes.
enum class StatusCode {
  kOk = 0,
  kCancelled,
  kInvalidArgument,     // 400: the request itself is wrong
  kDeadlineExceeded,    // 504
  kNotFound,            // 404
  kAlreadyExists,       // 409
  kPermissionDenied,    // 403
  kResourceExhausted,   // 429 (rate limits) or 413 (sizes), by reason
  kFailedPrecondition,  // 409 (or 412 for If-Match), by reason
  kAborted,             // 409: concurrent modification, retry the read-modify-write
  kOutOfRange,          // 400
  kUnimplemented,       // 501
  kInternal,            // 500: a bug
  kUnavailable,         // 503: transient, retry
  kUnauthenticated,     // 401
};

std::string_view StatusCodeName(StatusCode code);

// One field-level validation problem: `field` is a JSON pointer-ish dotted path ("spec.zone").
struct FieldViolation {
  std::string field;
  std::string code;     // e.g. "required", "invalid", "too_long", "unknown"
  std::string message;  // for humans
  bool operator==(const FieldViolation&) const = default;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string reason, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // Stable machine code; never empty for a non-OK status (defaults to the code's name).
  const std::string& reason() const;
  const std::string& message() const;
  const std::vector<FieldViolation>& violations() const;
  // Extra members for the problem document, as serialized JSON values keyed by name
  // (e.g. {"limit", "10"}). Kept as text so this header needs no JSON library.
  const std::vector<std::pair<std::string, std::string>>& extras() const;
  // The extra member `name` as serialized JSON (a string value keeps its quotes), or nullopt
  // when the status has none of that name. The first one wins when a name repeats.
  std::optional<std::string> extra(std::string_view name) const;
  // HTTP status the server answers with; 0 means "derive from code". In the SDK: the HTTP
  // status the server answered with, 0 when no answer came (a transport failure).
  int http_status() const;
  // The request id this status belongs to: in the SDK, the `X-Request-Id` of the failed
  // exchange (the one the client sent, when no answer came); empty when unknown.
  const std::string& request_id() const;

  Status WithViolations(std::vector<FieldViolation> v) const;
  Status WithExtra(std::string name, std::string json_value) const;
  Status WithHttpStatus(int http_status) const;
  Status WithRequestId(std::string request_id) const;

  // "NOT_FOUND (not_found): instance inst_... not found", then "; field: message" per
  // violation and " [request <id>]" when the request id is known.
  std::string ToString() const;

  bool operator==(const Status& o) const { return code_ == o.code_ && reason() == o.reason(); }

 private:
  struct Rep {
    std::string reason;
    std::string message;
    std::vector<FieldViolation> violations;
    std::vector<std::pair<std::string, std::string>> extras;
    int http_status = 0;
    std::string request_id;
  };
  Rep& Mutable();

  StatusCode code_ = StatusCode::kOk;
  std::shared_ptr<const Rep> rep_;
};

// Constructors for the common cases; `reason` defaults to the snake_case code name.
Status InvalidArgument(std::string message, std::string reason = "invalid_argument");
Status NotFound(std::string message, std::string reason = "not_found");
Status AlreadyExists(std::string message, std::string reason = "already_exists");
Status PermissionDenied(std::string message, std::string reason = "permission_denied");
Status Unauthenticated(std::string message, std::string reason = "unauthenticated");
Status FailedPrecondition(std::string message, std::string reason = "failed_precondition");
Status Aborted(std::string message, std::string reason = "aborted");
Status ResourceExhausted(std::string message, std::string reason = "resource_exhausted");
Status Unavailable(std::string message, std::string reason = "unavailable");
Status DeadlineExceeded(std::string message, std::string reason = "deadline_exceeded");
Status Unimplemented(std::string message, std::string reason = "unimplemented");
Status Internal(std::string message, std::string reason = "internal");
// A validation failure with field details (400, reason "validation_failed").
Status ValidationFailed(std::vector<FieldViolation> violations);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "StatusOr built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // Precondition: ok().
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gaon

#define GAON_CONCAT_INNER_(a, b) a##b
#define GAON_CONCAT_(a, b) GAON_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
// (The variable's name is unique per expansion, so a RETURN_IF_ERROR inside a lambda inside
// another one's expression does not shadow it.)
#define RETURN_IF_ERROR(expr) RETURN_IF_ERROR_IMPL_(GAON_CONCAT_(gaon_status_, __COUNTER__), expr)
#define RETURN_IF_ERROR_IMPL_(var, expr) \
  do {                                   \
    ::gaon::Status var = (expr);         \
    if (!var.ok()) return var;           \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Fn()); declares/assigns `lhs` from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(GAON_CONCAT_(gaon_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
