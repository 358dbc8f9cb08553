// Structured logs: one JSON object per line on stdout, with time, level, message, the request
// id of the request being served on this thread (if any) and typed fields.
//
//   LogInfo("listening", {{"address", addr}, {"io_threads", 2}});
//   → {"time":"2026-11-27T21:50:00.123Z","level":"info","msg":"listening","address":...}
//
// Thread-safety: every function here may be called from any thread; lines never interleave.
// Lines below error level are written in batches by a background thread; error lines (and
// FlushLogs()) write everything pending synchronously.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace gaon {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// A key (an identifier written in code; never escaped) and a typed value.
struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, double, bool>;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::int64_t{v}) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  std::string_view key;
  Value value;
};

using LogFields = std::initializer_list<LogField>;

// Sets the least severe level written (default: info). Parses "debug|info|warn|error".
void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view name, LogLevel* out);
bool LogEnabled(LogLevel level);
// Redirects output to `fd` (default 1, stdout). Used by tests.
void SetLogFd(int fd);
// Writes out every line logged so far (lines below error level are written in batches by a
// background thread).
void FlushLogs();

void Log(LogLevel level, std::string_view msg, LogFields fields = {});
inline void LogDebug(std::string_view msg, LogFields f = {}) { Log(LogLevel::kDebug, msg, f); }
inline void LogInfo(std::string_view msg, LogFields f = {}) { Log(LogLevel::kInfo, msg, f); }
inline void LogWarn(std::string_view msg, LogFields f = {}) { Log(LogLevel::kWarn, msg, f); }
inline void LogError(std::string_view msg, LogFields f = {}) { Log(LogLevel::kError, msg, f); }

// The request id logged with every line written by this thread while the scope lives.
class ScopedLogRequestId {
 public:
  explicit ScopedLogRequestId(std::string_view request_id);
  ~ScopedLogRequestId();
  ScopedLogRequestId(const ScopedLogRequestId&) = delete;
  ScopedLogRequestId& operator=(const ScopedLogRequestId&) = delete;

 private:
  std::string_view previous_;
};

// Appends `s` to `out` as a JSON string literal (quotes included), escaping as RFC 8259 needs.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace gaon
