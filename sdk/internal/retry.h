// The retry rule and exponential backoff with full jitter, as pure functions of their inputs
// (the random draw is a parameter), so they are tested without clocks or sleeps.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "gaon/options.h"
#include "gaon/status.h"

namespace gaon::internal {

// What one attempt came to: an HTTP answer (http_status != 0, with its problem code and
// Retry-After), or a transport failure (`transport` not OK).
struct AttemptOutcome {
  int http_status = 0;
  std::string_view problem_code;
  std::optional<std::chrono::milliseconds> retry_after;
  Status transport;
};

// True for failures worth another attempt of the same request: a connection that could not
// be made or broke before the answer (Unavailable connection_failed / connection_reset),
// 429, 502, 503, 504, and the two 409s gaond's idempotency store answers with "retry"
// (storage/idempotency.cpp): idempotency_in_progress (a request with this Idempotency-Key
// is on record without an answer yet) and idempotency_conflict (the key's record expired and
// was purged between gaond's insert and its read). A concurrent duplicate itself gets
// neither: gaond holds it until the first commits, then replays that answer. Every Gaon
// request is safe to repeat (see RetryPolicy).
bool IsTransient(const AttemptOutcome& outcome);

// The upper bound of the wait after attempt `attempt` (1 for the first):
// min(max_backoff, initial_backoff × multiplier^(attempt−1)).
std::chrono::milliseconds BackoffBound(const RetryPolicy& policy, int attempt);

// The wait after attempt `attempt`: the bound itself without jitter, else uniform in
// [0, bound] drawn by `unit` (a number in [0, 1)). A Retry-After raises it to at least that.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double unit,
                                       std::optional<std::chrono::milliseconds> retry_after = {});

// The wait before attempt `attempt + 1`, or nullopt to stop: the outcome is not transient,
// `attempt` was the last one allowed, or the wait would end past `remaining` (the time left
// before the call's deadline).
std::optional<std::chrono::milliseconds> NextRetryDelay(const RetryPolicy& policy, int attempt,
                                                        const AttemptOutcome& outcome,
                                                        std::chrono::milliseconds remaining, double unit);

// Retry-After (RFC 9110 §10.2.3) as the wait it asks for: delay-seconds ("120"), or an
// HTTP-date in any of the three forms a recipient must accept — IMF-fixdate ("Sun, 06 Nov
// 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6
// 08:49:37 1994") — less `now` (0 for a date already past). Capped at 24 hours. nullopt for
// anything else (the backoff alone then applies).
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// A uniform number in [0, 1) from a per-thread generator (for jitter).
double RandomUnit();

}  // namespace gaon::internal
