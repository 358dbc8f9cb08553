// Autoscaler: how many replicas an endpoint wants, from the load its replicas report. Pure
// arithmetic over samples kept per endpoint in memory (a new leader starts with none and
// keeps the current size until it has seen load). docs/endpoints.md explains the rule:
//   - every sample is the endpoint's total load (concurrent requests, or requests/s);
//   - stable want = ceil(average over the stable window / target), panic want = the same over
//     the panic window;
//   - when the panic want reaches twice the ready replicas the endpoint panics: it scales to the
//     panic want at once and does not scale down until a stable window has passed calmly;
//   - otherwise it scales up to the stable want at once, and down only to the largest stable
//     want seen during the last stable window (down slowly);
//   - never below min_replicas (at least 1 unless scaled to zero) nor above max_replicas.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "gaon/time.h"

namespace gaon::controller {

struct AutoscaleInput {
  Timestamp now{};
  std::int64_t load = 0;  // the whole endpoint's
  int target = 1;         // per replica
  int ready = 0;
  int current = 0;        // the size it has now (desired_replicas)
  int min_replicas = 1;
  int max_replicas = 1;
};

class Autoscaler {
 public:
  Autoscaler(std::chrono::milliseconds stable_window, std::chrono::milliseconds panic_window)
      : stable_(stable_window), panic_(panic_window) {}
  // Records the sample and returns the replicas wanted (at least 1 when min_replicas is 0:
  // scaling to zero is the reconciler's call, after an idle period).
  int Decide(const std::string& key, const AutoscaleInput& in);
  // True when every sample of the last stable window was zero load (and it has samples
  // spanning it).
  bool IdleForWindow(const std::string& key, Timestamp now);
  void Forget(const std::string& key);

 private:
  struct Sample {
    Timestamp at;
    std::int64_t load;
    int want;
  };
  struct State {
    std::deque<Sample> samples;
    Timestamp first{};
    std::optional<Timestamp> panic_until;
  };

  const std::chrono::milliseconds stable_, panic_;
  std::mutex mu_;
  std::map<std::string, State> states_;
};

}  // namespace gaon::controller
