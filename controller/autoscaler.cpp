#include "controller/autoscaler.h"

#include <algorithm>
#include <optional>

namespace gaon::controller {
namespace {

int CeilDiv(std::int64_t a, std::int64_t b) { return static_cast<int>((a + b - 1) / b); }

}  // namespace

int Autoscaler::Decide(const std::string& key, const AutoscaleInput& in) {
  std::lock_guard lock(mu_);
  State& s = states_[key];
  if (s.samples.empty()) s.first = in.now;
  const int target = std::max(1, in.target);
  const int floor = std::max(1, in.min_replicas);
  const int ceiling = std::max(floor, in.max_replicas);
  while (!s.samples.empty() && in.now - s.samples.front().at > stable_) s.samples.pop_front();

  std::int64_t stable_sum = in.load, panic_sum = in.load;
  int stable_n = 1, panic_n = 1;
  for (const auto& x : s.samples) {
    stable_sum += x.load;
    ++stable_n;
    if (in.now - x.at <= panic_) {
      panic_sum += x.load;
      ++panic_n;
    }
  }
  // Averages rounded up: a fraction of a replica's worth of load still needs that replica.
  const int stable_want = std::clamp(CeilDiv(stable_sum, static_cast<std::int64_t>(stable_n) * target), floor, ceiling);
  const int panic_want = std::clamp(CeilDiv(panic_sum, static_cast<std::int64_t>(panic_n) * target), floor, ceiling);
  s.samples.push_back({in.now, in.load, stable_want});

  const int current = std::clamp(in.current, floor, ceiling);
  if (panic_want >= 2 * std::max(1, in.ready) && panic_want > current) s.panic_until = in.now + stable_;
  if (s.panic_until && in.now < *s.panic_until) return std::max(current, panic_want);
  s.panic_until.reset();
  if (stable_want >= current) return stable_want;
  // Down slowly: only as far as every recommendation of the last stable window allows, and
  // only once the window has been watched in full.
  if (in.now - s.first < stable_) return current;
  int most = stable_want;
  for (const auto& x : s.samples) most = std::max(most, x.want);
  return std::min(current, most);
}

bool Autoscaler::IdleForWindow(const std::string& key, Timestamp now) {
  std::lock_guard lock(mu_);
  const auto it = states_.find(key);
  if (it == states_.end() || it->second.samples.empty() || now - it->second.first < stable_) return false;
  return std::all_of(it->second.samples.begin(), it->second.samples.end(), [](const Sample& x) { return x.load == 0; });
}

void Autoscaler::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  states_.erase(key);
}

}  // namespace gaon::controller
