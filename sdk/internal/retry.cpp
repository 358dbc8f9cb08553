#include "internal/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

namespace gaon::internal {

bool IsTransient(const AttemptOutcome& o) {
  if (o.http_status == 0) {
    const std::string& r = o.transport.reason();
    return o.transport.code() == StatusCode::kUnavailable && (r == "connection_failed" || r == "connection_reset");
  }
  switch (o.http_status) {
    case 429:
    case 502:
    case 503:
    case 504: return true;
    case 409: return o.problem_code == "idempotency_in_progress" || o.problem_code == "idempotency_conflict";
    default: return false;
  }
}

std::chrono::milliseconds BackoffBound(const RetryPolicy& policy, int attempt) {
  const double initial = static_cast<double>(policy.initial_backoff.count());
  const double cap = static_cast<double>(policy.max_backoff.count());
  const double bound = initial * std::pow(std::max(1.0, policy.multiplier), std::max(0, attempt - 1));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(bound, cap)));
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double unit,
                                       std::optional<std::chrono::milliseconds> retry_after) {
  auto delay = BackoffBound(policy, attempt);
  if (policy.jitter) {
    delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * unit));
  }
  if (retry_after) delay = std::max(delay, *retry_after);
  return delay;
}

std::optional<std::chrono::milliseconds> NextRetryDelay(const RetryPolicy& policy, int attempt,
                                                        const AttemptOutcome& outcome,
                                                        std::chrono::milliseconds remaining, double unit) {
  if (!IsTransient(outcome) || attempt >= policy.max_attempts) return std::nullopt;
  const auto delay = BackoffDelay(policy, attempt, unit, outcome.retry_after);
  if (delay >= remaining) return std::nullopt;
  return delay;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  std::int64_t seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc() || p != value.data() + value.size() || seconds < 0) return std::nullopt;
  return std::chrono::milliseconds(std::min<std::int64_t>(seconds, 24 * 3600) * 1000);
}

double RandomUnit() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace gaon::internal
