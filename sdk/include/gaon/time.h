// Timestamps on the wire: RFC 3339 in UTC with microsecond precision, as PostgreSQL keeps them.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gaon {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

inline Timestamp Now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// "2026-11-27T21:50:00Z", or with ".123456" when the microseconds are not zero.
std::string FormatTimestamp(Timestamp t);
// Accepts RFC 3339 ("2026-11-27T21:50:00.5Z", "...+09:00") and PostgreSQL's text output
// ("2026-11-27 21:50:00.5+00"). Returns nullopt when `s` is neither.
std::optional<Timestamp> ParseTimestamp(std::string_view s);

}  // namespace gaon
