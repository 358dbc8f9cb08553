// LastUseRecorder: API keys' and sessions' last-use times, collected in memory and written in
// one batch a second, so authenticating a read costs no write (reads run in read-only
// transactions). A time is recorded at most once a minute per credential; a crash loses at
// most a second of them, which only makes "last used" a little older than the truth.
// Thread-safety: Record() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "gaon/time.h"

namespace gaon::storage {
class Database;
}

namespace gaon::api {

class LastUseRecorder {
 public:
  LastUseRecorder(storage::Database* db, std::chrono::milliseconds interval);
  ~LastUseRecorder();  // writes what is pending
  void RecordKey(const std::string& key_id, Timestamp at);
  void RecordSession(const std::string& session_id, Timestamp at);
  // Writes everything pending now.
  void Flush();

 private:
  void Run();
  storage::Database* db_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Timestamp> keys_, sessions_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gaon::api
