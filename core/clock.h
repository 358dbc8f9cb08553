// Clock: the one way Gaon code reads the time, so time-dependent logic (leases, billing
// periods, backoff, session expiry) is tested with a FakeClock instead of sleeping.
// Thread-safety: all implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>

#include "gaon/time.h"

namespace gaon {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC, microseconds).
  virtual Timestamp Now() const = 0;
  // Monotonic time for deadlines and durations.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;

  // The process-wide real clock.
  static Clock& Real();
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override { return gaon::Now(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that only moves when told to. Both readings advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : now_us_(start.time_since_epoch().count()) {}
  Timestamp Now() const override { return Timestamp(std::chrono::microseconds(now_us_.load())); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::microseconds(now_us_.load()));
  }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }
  void Set(Timestamp t) { now_us_ = t.time_since_epoch().count(); }

 private:
  std::atomic<long long> now_us_;
};

}  // namespace gaon
