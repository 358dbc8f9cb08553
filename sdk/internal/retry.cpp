#include "internal/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <regex>
#include <string>

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

namespace {

constexpr auto kMaxRetryAfter = std::chrono::hours(24);

int Number(const std::ssub_match& m) { return std::stoi(m.str()); }

// "Jan" → 1 … "Dec" → 12; 0 for anything else (month names are case-sensitive).
unsigned Month(const std::string& name) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < 12; ++i) {
    if (kMonths[i] == name) return i + 1;
  }
  return 0;
}

// An HTTP-date (RFC 9110 §5.6.7) as a UTC time; nullopt when it is not one.
std::optional<std::chrono::sys_seconds> ParseHttpDate(const std::string& text,
                                                      std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  static const std::regex kImfFixdate(
      R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$)");
  static const std::regex kRfc850(
      R"(^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$)");
  static const std::regex kAsctime(
      R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$)");
  std::smatch m;
  int y = 0, d = 0, hh = 0, mm = 0, ss = 0;
  unsigned mon = 0;
  if (std::regex_match(text, m, kImfFixdate)) {
    d = Number(m[2]), mon = Month(m[3]), y = Number(m[4]);
    hh = Number(m[5]), mm = Number(m[6]), ss = Number(m[7]);
  } else if (std::regex_match(text, m, kRfc850)) {
    d = Number(m[2]), mon = Month(m[3]);
    hh = Number(m[5]), mm = Number(m[6]), ss = Number(m[7]);
    // A two-digit year more than 50 years ahead is the most recent past year ending so.
    const int this_year = static_cast<int>(year_month_day(floor<days>(now)).year());
    y = this_year / 100 * 100 + Number(m[4]);
    if (y > this_year + 50) y -= 100;
  } else if (std::regex_match(text, m, kAsctime)) {
    mon = Month(m[2]), d = Number(m[3]), y = Number(m[7]);
    hh = Number(m[4]), mm = Number(m[5]), ss = Number(m[6]);
  } else {
    return std::nullopt;
  }
  const year_month_day date{year(y), month(mon), day(static_cast<unsigned>(d))};
  // 60 is a leap second, which an HTTP-date may carry.
  if (!date.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return sys_days(date) + hours(hh) + minutes(mm) + seconds(ss);
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                        std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t secs = 0;
  if (auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
      ec == std::errc() && p == value.data() + value.size()) {
    if (secs < 0) return std::nullopt;
    return duration_cast<milliseconds>(std::min<seconds>(seconds(secs), kMaxRetryAfter));
  }
  const auto date = ParseHttpDate(std::string(value), now);
  if (!date) return std::nullopt;
  const auto wait = ceil<milliseconds>(*date - now);
  return std::clamp<milliseconds>(wait, milliseconds(0), kMaxRetryAfter);
}

double RandomUnit() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace gaon::internal
