// RateLimiter: a token bucket per key (principal id, or client address before
// authentication). Buckets refill at `rate` tokens per second up to `burst`.
// Limits are per gaond process; behind a load balancer with N replicas a principal gets up
// to N times the configured rate (documented in docs/security.md).
// Thread-safety: Take() may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace gaon::api {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, double burst, const Clock& clock);
  // Takes a token for `key`. Zero when allowed; otherwise how long until one is available.
  std::chrono::milliseconds Take(const std::string& key);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  void Sweep(std::chrono::steady_clock::time_point now);

  const double rate_, burst_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::uint64_t calls_ = 0;
};

}  // namespace gaon::api
