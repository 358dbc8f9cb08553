#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace gaon {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_fd{1};
thread_local std::string_view t_request_id;

constexpr std::string_view kLevelNames[] = {"debug", "info", "warn", "error"};

void AppendTime(std::string& out) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms_total = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const auto secs = static_cast<std::time_t>(ms_total / 1000);
  const int ms = static_cast<int>(ms_total % 1000);
  // Formatting the date is the expensive part; it changes once a second.
  thread_local std::time_t cached_secs = -1;
  thread_local char cached[64];
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_secs = secs;
  }
  out.append(cached, 20);
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
}

void WriteAll(int fd, const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failure to log
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// Lines are appended to a buffer that a background thread writes out in batches: one
// write(2) per batch instead of one per line keeps access logging off the request path.
// Errors, and everything at exit, are flushed synchronously so nothing important is lost.
class LogSink {
 public:
  LogSink() : writer_([this] { Run(); }) {}
  ~LogSink() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    writer_.join();
  }
  void Append(const std::string& line, bool sync) {
    if (sync) {
      std::lock_guard order(write_mu_);
      std::string out;
      {
        std::lock_guard lock(mu_);
        pending_ += line;
        out.swap(pending_);
      }
      WriteAll(g_fd.load(std::memory_order_relaxed), out);
      return;
    }
    std::lock_guard lock(mu_);
    const bool was_empty = pending_.empty();
    pending_ += line;
    if (was_empty && !waking_) {
      waking_ = true;
      cv_.notify_one();
    }
  }
  void Flush() { Append(std::string(), true); }

 private:
  void Run() {
    std::string out;
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
        if (stop_ && pending_.empty()) return;
        // Let a batch build up: one wake-up and one write per few milliseconds at most.
        if (!stop_) cv_.wait_for(lock, std::chrono::milliseconds(5), [this] { return stop_; });
      }
      // write_mu_ first, so a synchronous writer cannot overtake this batch.
      std::lock_guard order(write_mu_);
      {
        std::lock_guard lock(mu_);
        out.swap(pending_);
        waking_ = false;
      }
      WriteAll(g_fd.load(std::memory_order_relaxed), out);
      out.clear();
    }
  }
  std::mutex write_mu_;  // held while writing; orders batches
  std::mutex mu_;        // guards pending_ and stop_
  std::condition_variable cv_;
  std::string pending_;
  bool stop_ = false;
  bool waking_ = false;  // the writer was notified and has not taken the batch yet
  std::thread writer_;
};

LogSink& Sink() {
  static LogSink sink;
  return sink;
}

}  // namespace

void FlushLogs() { Sink().Flush(); }

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  for (int i = 0; i < 4; ++i) {
    if (kLevelNames[i] == name) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void SetLogFd(int fd) {
  FlushLogs();
  g_fd = fd;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of characters that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void Log(LogLevel level, std::string_view msg, LogFields fields) {
  if (!LogEnabled(level)) return;
  std::string line;
  line.reserve(320);
  line += "{\"time\":\"";
  AppendTime(line);
  line += "\",\"level\":\"";
  line += kLevelNames[static_cast<int>(level)];
  line += "\",\"msg\":";
  AppendJsonString(line, msg);
  if (!t_request_id.empty()) {
    line += ",\"request_id\":";
    AppendJsonString(line, t_request_id);
  }
  for (const auto& f : fields) {
    // Keys are identifiers chosen in code: they never need escaping.
    line += ",\"";
    line += f.key;
    line += "\":";
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      AppendJsonString(line, *s);
    } else if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, *i);
      line.append(buf, r.ptr);
    } else if (const auto* d = std::get_if<double>(&f.value)) {
      if (std::isfinite(*d)) {
        char buf[32];
        line.append(buf, static_cast<std::size_t>(std::snprintf(buf, sizeof buf, "%.6g", *d)));
      } else {
        line += "null";
      }
    } else {
      line += std::get<bool>(f.value) ? "true" : "false";
    }
  }
  line += "}\n";
  Sink().Append(line, level >= LogLevel::kError);
}

ScopedLogRequestId::ScopedLogRequestId(std::string_view request_id) : previous_(t_request_id) {
  t_request_id = request_id;
}

ScopedLogRequestId::~ScopedLogRequestId() { t_request_id = previous_; }

}  // namespace gaon
