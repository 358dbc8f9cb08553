#include "controller/work_queue.h"

#include <algorithm>

namespace gaon::controller {

WorkQueue::WorkQueue(std::chrono::milliseconds base_delay, std::chrono::milliseconds max_delay)
    : base_delay_(base_delay), max_delay_(max_delay) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shut_down_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // queued again by Done
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::Add(const std::string& key) {
  std::lock_guard lock(mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, std::chrono::milliseconds delay) {
  if (delay <= std::chrono::milliseconds::zero()) return Add(key);
  std::lock_guard lock(mu_);
  if (shut_down_) return;
  const auto when = Clock::now() + delay;
  auto it = waiting_.find(key);
  if (it != waiting_.end()) {
    if (it->second <= when) return;  // an earlier request stands
    for (auto t = waiting_by_time_.lower_bound(it->second); t != waiting_by_time_.end() && t->first == it->second; ++t) {
      if (t->second == key) {
        waiting_by_time_.erase(t);
        break;
      }
    }
    it->second = when;
  } else {
    waiting_.emplace(key, when);
  }
  waiting_by_time_.emplace(when, key);
  cv_.notify_one();  // a waiting Get may have to wake earlier
}

std::chrono::milliseconds WorkQueue::AddRateLimited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    const int n = ++failures_[key];
    const auto exp = base_delay_ * (1LL << std::min(n - 1, 20));
    const auto capped = std::min<std::chrono::milliseconds>(exp, max_delay_);
    // Jitter: somewhere in the upper half, so keys failing together spread out.
    std::uniform_int_distribution<std::int64_t> d(capped.count() / 2, std::max<std::int64_t>(capped.count(), 1));
    delay = std::chrono::milliseconds(d(rng_));
  }
  AddAfter(key, delay);
  return delay;
}

void WorkQueue::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked(Clock::time_point now) {
  while (!waiting_by_time_.empty() && waiting_by_time_.begin()->first <= now) {
    const std::string key = waiting_by_time_.begin()->second;
    waiting_by_time_.erase(waiting_by_time_.begin());
    waiting_.erase(key);
    AddLocked(key);
  }
}

std::optional<std::string> WorkQueue::Get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shut_down_) return std::nullopt;
    PromoteDueLocked(Clock::now());
    if (!queue_.empty()) break;
    if (waiting_by_time_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, waiting_by_time_.begin()->first);
    }
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

void WorkQueue::Done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.count(key) && !shut_down_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::ShutDown() {
  std::lock_guard lock(mu_);
  shut_down_ = true;
  cv_.notify_all();
}

std::size_t WorkQueue::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace gaon::controller
