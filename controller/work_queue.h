// WorkQueue: the keys of resources waiting to be reconciled (after client-go's workqueue).
//
// - A key is queued at most once: adding a queued key does nothing.
// - A key is handed to at most one worker at a time: adding a key while it is being
//   reconciled queues it again for after Done().
// - AddAfter queues a key later (the earliest of several requests wins); AddRateLimited
//   queues it after an exponential backoff with jitter that grows with the key's consecutive
//   failures, capped; Forget resets that count (after a success).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace gaon::controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  WorkQueue(std::chrono::milliseconds base_delay, std::chrono::milliseconds max_delay);

  void Add(const std::string& key);
  void AddAfter(const std::string& key, std::chrono::milliseconds delay);
  // Queues `key` after its backoff; returns the delay chosen.
  std::chrono::milliseconds AddRateLimited(const std::string& key);
  void Forget(const std::string& key);
  // Blocks until a key is ready or the queue shuts down (nullopt). The caller must call
  // Done(key) when finished with it.
  std::optional<std::string> Get();
  void Done(const std::string& key);
  // Wakes every Get() with nullopt; later Adds are ignored.
  void ShutDown();
  // Keys ready now (not counting delayed ones or those being processed).
  std::size_t depth() const;
  int failures(const std::string& key) const;

 private:
  void AddLocked(const std::string& key);
  void PromoteDueLocked(Clock::time_point now);

  const std::chrono::milliseconds base_delay_, max_delay_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued or to be queued again after Done
  std::set<std::string> processing_;
  std::map<std::string, Clock::time_point> waiting_;              // key → when
  std::multimap<Clock::time_point, std::string> waiting_by_time_;
  std::map<std::string, int> failures_;
  std::mt19937 rng_{std::random_device{}()};
  bool shut_down_ = false;
};

}  // namespace gaon::controller
