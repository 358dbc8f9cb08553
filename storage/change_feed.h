// ChangeFeed: one dedicated PostgreSQL connection that LISTENs on the change channel and wakes
// whoever waits for a tenant's changes (watch streams now, controllers later).
//
// Notifications are hints, never the data: waiters re-read the changes table after waking, and
// wake anyway after their timeout, so a notification lost while the connection was down costs
// latency, not correctness. After a reconnect every waiter is woken to re-read.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "gaon/status.h"

namespace gaon::storage {

struct ChangeNotice {
  std::string tenant;
  std::string kind;
  std::string resource_id;
  bool from_controller = false;  // status the controllers wrote themselves
  bool queued = false;           // from the API, and now only waits for the scheduler
};

class ChangeFeed {
 public:
  // Starts the listening thread; it connects (and reconnects) on its own.
  explicit ChangeFeed(const DatabaseConfig& config);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Where a tenant's notices stand. Take one before reading the changes table and wait from
  // it after, so a notice that arrives in between still wakes the waiter.
  struct Mark {
    std::uint64_t notices = 0;  // notices of the tenant so far
    std::uint64_t epoch = 0;
  };
  Mark MarkOf(const std::string& tenant) const;
  // Blocks until a change of `tenant` was announced after `since`, the feed reconnected,
  // Stop() was called, or `timeout` passed. True when there may be news.
  bool Wait(const std::string& tenant, Mark since, std::chrono::milliseconds timeout);
  // Calls `fn` (on the feed's thread) for every notice; for the controllers.
  void Subscribe(std::function<void(const ChangeNotice&)> fn);
  // Calls `fn` (on the feed's thread) with the payload of every notification on gaon_auth
  // (credentials, users or tenants whose authentication data changed).
  void SubscribeAuth(std::function<void(const std::string&)> fn);
  // Calls `fn(true)` whenever the feed (re)connects and `fn(false)` when it loses the
  // connection: while it is down, notifications may be missed.
  void OnConnection(std::function<void(bool)> fn);
  // True once the connection is listening.
  bool listening() const;
  void Stop();

 private:
  void Run();
  void Deliver(const ChangeNotice& n);

  const DatabaseConfig config_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::uint64_t> notices_;  // notices announced per tenant
  std::uint64_t epoch_ = 0;                      // bumped on every (re)connect
  bool listening_ = false;
  bool stop_ = false;
  std::vector<std::function<void(const ChangeNotice&)>> subscribers_;
  std::vector<std::function<void(const std::string&)>> auth_subscribers_;
  std::vector<std::function<void(bool)>> connection_subscribers_;
  void Announce(bool connected);
  std::thread thread_;
};

}  // namespace gaon::storage
