#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace gaon::api {

RateLimiter::RateLimiter(double rate_per_second, double burst, const Clock& clock)
    : rate_(rate_per_second), burst_(burst), clock_(clock) {}

std::chrono::milliseconds RateLimiter::Take(const std::string& key) {
  const auto now = clock_.Steady();
  std::lock_guard lock(mu_);
  if (++calls_ % 4096 == 0) Sweep(now);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::chrono::milliseconds(0);
  }
  const double wait_s = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<long>(std::ceil(wait_s * 1000.0)));
}

void RateLimiter::Sweep(std::chrono::steady_clock::time_point now) {
  // A bucket that has been full for a while is the same as no bucket.
  const auto full_after = std::chrono::duration<double>(burst_ / rate_) + std::chrono::seconds(60);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = now - it->second.updated > full_after ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace gaon::api
