// ChangeNotifier: announces committed change records on the gaon_changes channel, from a
// connection of its own, after the transactions that wrote them have committed.
//
// Why not pg_notify inside those transactions: PostgreSQL serialises the commits of every
// transaction that notifies behind one database-wide lock, held until its commit record is
// flushed, so notifying transactions cannot share a WAL flush (group commit). Measured with
// pgbench (c=8, one insert per transaction): 5,500–6,000 tps without NOTIFY, 700–2,000 with.
// Here a committed transaction hands its notices over, and this thread sends whatever has
// gathered in one transaction of its own (synchronous_commit off: notifications are hints),
// at most one every kMinInterval. Each announcement is a transaction here and a wake-up of every
// listening backend and client; sent one per commit, they cost ~12 % of PostgreSQL's CPU under
// 850 creates/s (docs/performance.md), for a latency no watcher notices.
//
// Notices are hints, never the data (see ChangeFeed): one lost to a crash between a commit and
// its announcement costs latency — the controllers' periodic resync and the watch streams'
// periodic re-read find the change — not correctness.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gaon::storage {

class ChangeNotifier {
 public:
  // Connects on demand with `url` (any role may NOTIFY).
  explicit ChangeNotifier(std::string url);
  ~ChangeNotifier();
  ChangeNotifier(const ChangeNotifier&) = delete;
  ChangeNotifier& operator=(const ChangeNotifier&) = delete;

  // Queues payloads ("tenant kind resource_id origin") of changes that have committed.
  void Post(std::vector<std::string> payloads);
  // Sends what is queued (for up to a second), then stops the thread. Idempotent.
  void Stop();
  // Notices dropped because the queue was full (the database unreachable for long).
  std::uint64_t dropped() const;

 private:
  void Run();

  static constexpr std::size_t kMaxQueued = 100'000;
  static constexpr std::size_t kMaxPerStatement = 1'000;
  static constexpr std::chrono::milliseconds kMinInterval{10};
  const std::string url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::uint64_t dropped_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gaon::storage
