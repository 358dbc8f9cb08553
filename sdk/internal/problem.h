// Turning an HTTP error answer back into the Status the server failed with.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "gaon/status.h"

namespace gaon::internal {

// The canonical code for an HTTP status and problem `code`: OK for 2xx, FailedPrecondition
// for an unexpected 1xx/3xx. Otherwise the HTTP status decides, except
// for 409, which three codes share: AlreadyExists for *_exists / *_taken / already_*,
// Aborted for concurrency conflicts (aborted, serialization_failure, deadlock_detected,
// lock_not_available, idempotency_*), FailedPrecondition otherwise.
StatusCode CodeForHttp(int http_status, std::string_view reason);

// The Status of an error answer: code from CodeForHttp, reason = the problem's `code`,
// message = its `detail`, violations from `errors[]`, every other extension member as an
// extra (serialized JSON), http_status() = `http_status`, request_id() = the problem's
// request_id, else `request_id_header`. A body that is not a problem document (a proxy's
// HTML page) gives reason "http_<status>" and the start of the body as the message.
// Precondition: `http_status` is not 2xx.
Status StatusFromProblem(int http_status, std::string_view body, std::string_view request_id_header);

}  // namespace gaon::internal
