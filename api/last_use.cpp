#include "api/last_use.h"

#include <vector>

#include "core/log.h"
#include "storage/credentials.h"
#include "storage/database.h"

namespace gaon::api {

LastUseRecorder::LastUseRecorder(storage::Database* db, std::chrono::milliseconds interval)
    : db_(db), interval_(interval) {
  if (db_) thread_ = std::thread([this] { Run(); });
}

LastUseRecorder::~LastUseRecorder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Flush();
}

void LastUseRecorder::RecordKey(const std::string& key_id, Timestamp at) {
  std::lock_guard lock(mu_);
  keys_[key_id] = at;
}

void LastUseRecorder::RecordSession(const std::string& session_id, Timestamp at) {
  std::lock_guard lock(mu_);
  sessions_[session_id] = at;
}

void LastUseRecorder::Flush() {
  std::vector<std::pair<std::string, Timestamp>> keys, sessions;
  {
    std::lock_guard lock(mu_);
    keys.assign(keys_.begin(), keys_.end());
    sessions.assign(sessions_.begin(), sessions_.end());
    keys_.clear();
    sessions_.clear();
  }
  if (!db_ || (keys.empty() && sessions.empty())) return;
  const Status s = db_->Transact({.platform = true, .name = "last_use.record"}, [&](storage::Tx& tx) {
    return storage::RecordLastUse(tx, keys, sessions);
  });
  if (!s.ok()) LogWarn("cannot record last use of credentials", {{"error", s.ToString()}});
}

void LastUseRecorder::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    lock.unlock();
    Flush();
    lock.lock();
  }
}

}  // namespace gaon::api
