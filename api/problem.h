// RFC 9457 problem details: the one mapping from a Status to an HTTP error response.
//
//   {"type":"urn:gaon:problem:quota_exceeded","title":"Quota exceeded","status":409,
//    "detail":"...","code":"quota_exceeded","request_id":"req_...","errors":[...], ...extras}
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "api/http/http_types.h"
#include "gaon/status.h"

namespace gaon::api {

// The HTTP status a Status maps to: its explicit http_status() if set, else by reason
// (e.g. precondition_failed → 412, idempotency_key_reused → 422), else by canonical code.
int HttpStatusFor(const Status& status);

// An application/problem+json response for a non-OK status.
http::HttpResponse ProblemResponse(const Status& status, const std::string& request_id);

// Standard reason phrase ("Not Found") for an HTTP status code.
std::string_view ReasonPhrase(int status);

}  // namespace gaon::api
