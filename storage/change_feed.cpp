#include "storage/change_feed.h"

#include <pqxx/pqxx>

#include <sstream>

#include "core/log.h"
#include "storage/changes.h"
#include "storage/internal/pq.h"

namespace gaon::storage {
namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& c, const char* channel, std::function<void(const std::string&)> fn)
      : pqxx::notification_receiver(c, channel), fn_(std::move(fn)) {}
  void operator()(const std::string& payload, int) override { fn_(payload); }

 private:
  std::function<void(const std::string&)> fn_;
};

}  // namespace

ChangeFeed::ChangeFeed(const DatabaseConfig& config) : config_(config) {
  thread_ = std::thread([this] { Run(); });
}

ChangeFeed::~ChangeFeed() { Stop(); }

void ChangeFeed::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ChangeFeed::listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

void ChangeFeed::Subscribe(std::function<void(const ChangeNotice&)> fn) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(std::move(fn));
}

void ChangeFeed::SubscribeAuth(std::function<void(const std::string&)> fn) {
  std::lock_guard lock(mu_);
  auth_subscribers_.push_back(std::move(fn));
}

void ChangeFeed::OnConnection(std::function<void(bool)> fn) {
  std::lock_guard lock(mu_);
  connection_subscribers_.push_back(fn);
  if (listening_) fn(true);
}

void ChangeFeed::Announce(bool connected) {
  std::vector<std::function<void(bool)>> subs;
  {
    std::lock_guard lock(mu_);
    subs = connection_subscribers_;
  }
  for (const auto& fn : subs) fn(connected);
}

ChangeFeed::Mark ChangeFeed::MarkOf(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto it = notices_.find(tenant);
  return {it == notices_.end() ? 0 : it->second, epoch_};
}

bool ChangeFeed::Wait(const std::string& tenant, Mark since, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    auto it = notices_.find(tenant);
    return stop_ || epoch_ != since.epoch || (it != notices_.end() && it->second != since.notices);
  });
}

void ChangeFeed::Deliver(const ChangeNotice& n) {
  std::vector<std::function<void(const ChangeNotice&)>> subs;
  {
    std::lock_guard lock(mu_);
    ++notices_[n.tenant];
    subs = subscribers_;
  }
  cv_.notify_all();
  for (const auto& fn : subs) fn(n);
}

void ChangeFeed::Run() {
  int failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    try {
      pqxx::connection conn(config_.url);
      Receiver changes(conn, kChangesChannel, [this](const std::string& payload) {
        std::istringstream in(payload);
        ChangeNotice n;
        std::string origin;
        if (in >> n.tenant >> n.kind >> n.resource_id) {
          in >> origin;
          n.from_controller = origin == "c";
          n.queued = origin == "q";
          Deliver(n);
        }
      });
      Receiver auth(conn, kAuthChannel, [this](const std::string& payload) {
        std::vector<std::function<void(const std::string&)>> subs;
        {
          std::lock_guard lock(mu_);
          subs = auth_subscribers_;
        }
        for (const auto& fn : subs) fn(payload);
      });
      {
        // Make sure LISTEN is in effect before announcing that we listen.
        pqxx::nontransaction w(conn);
        w.exec("SELECT 1");
      }
      {
        std::lock_guard lock(mu_);
        listening_ = true;
        ++epoch_;
      }
      cv_.notify_all();
      Announce(true);
      failures = 0;
      for (;;) {
        {
          std::lock_guard lock(mu_);
          if (stop_) return;
        }
        conn.await_notification(0, 200'000);  // wakes at least every 200 ms to notice Stop()
        conn.get_notifs();
      }
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mu_);
        listening_ = false;
      }
      Announce(false);
      LogWarn("change feed connection lost; reconnecting", {{"error", e.what()}});
      const auto wait = std::chrono::milliseconds(std::min(5000, 100 << std::min(failures++, 6)));
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, wait, [this] { return stop_; });
    }
  }
}

}  // namespace gaon::storage
