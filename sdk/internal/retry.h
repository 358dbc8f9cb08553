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
// 429, 502, 503, 504, and 409 idempotency_in_progress / idempotency_conflict (the first
// attempt is still running). Every Gaon request is safe to repeat (see RetryPolicy).
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

// Retry-After as delay-seconds ("120"); nullopt for anything else (HTTP dates are not used
// by Gaon and are ignored: the backoff applies).
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

// A uniform number in [0, 1) from a per-thread generator (for jitter).
double RandomUnit();

}  // namespace gaon::internal
