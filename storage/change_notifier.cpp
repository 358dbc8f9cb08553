#include "storage/change_notifier.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <memory>

#include "core/log.h"
#include "storage/changes.h"
#include "storage/internal/rows.h"

namespace gaon::storage {

ChangeNotifier::ChangeNotifier(std::string url) : url_(std::move(url)) {
  thread_ = std::thread([this] { Run(); });
}

ChangeNotifier::~ChangeNotifier() { Stop(); }

void ChangeNotifier::Post(std::vector<std::string> payloads) {
  if (payloads.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& p : payloads) queue_.push_back(std::move(p));
    if (queue_.size() > kMaxQueued) {
      dropped_ += queue_.size() - kMaxQueued;
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_.size() - kMaxQueued));
    }
  }
  cv_.notify_one();
}

void ChangeNotifier::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t ChangeNotifier::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void ChangeNotifier::Run() {
  std::unique_ptr<pqxx::connection> conn;
  std::chrono::steady_clock::time_point stop_deadline{};
  int failures = 0;
  std::chrono::steady_clock::time_point last_sent{};
  for (;;) {
    std::vector<std::string> batch;
    {
      std::unique_lock lock(mu_);
      // At most one announcement per kMinInterval: what commits meanwhile goes with the next.
      cv_.wait_until(lock, last_sent + kMinInterval, [this] { return stop_; });
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) {
        if (stop_deadline == std::chrono::steady_clock::time_point{}) {
          stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        }
        if (queue_.empty() || std::chrono::steady_clock::now() > stop_deadline) return;
      }
      const std::size_t n = std::min(queue_.size(), kMaxPerStatement);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(url_);
        pqxx::nontransaction(*conn).exec("SET synchronous_commit = off");
      }
      pqxx::nontransaction w(*conn);
      w.exec_params("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", std::string(kChangesChannel),
                    TextArray(batch));
      failures = 0;
      last_sent = std::chrono::steady_clock::now();
    } catch (const std::exception& e) {
      conn.reset();
      LogWarn("cannot announce changes; they are found by the next resync", {{"error", e.what()},
                                                                             {"notices", static_cast<std::int64_t>(batch.size())}});
      std::unique_lock lock(mu_);
      dropped_ += batch.size();
      const auto wait = std::chrono::milliseconds(std::min(5000, 100 << std::min(failures++, 6)));
      cv_.wait_for(lock, wait, [this] { return stop_; });
    }
  }
}

}  // namespace gaon::storage
