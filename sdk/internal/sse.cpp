#include "internal/sse.h"

namespace gaon::internal {

bool SseParser::Feed(std::string_view bytes, const std::function<bool(const SseMessage&)>& on_message) {
  for (char c : bytes) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      const std::string line = std::move(pending_);
      pending_.clear();
      if (!Line(line, on_message)) return false;
    } else {
      pending_ += c;
    }
  }
  return true;
}

bool SseParser::Line(std::string_view line, const std::function<bool(const SseMessage&)>& on_message) {
  if (line.empty()) {
    // A blank line ends the event; one without data is not dispatched (per the spec).
    SseMessage done = std::move(current_);
    const bool dispatch = has_data_;
    current_ = {};
    has_data_ = false;
    if (!dispatch) return true;
    if (done.event.empty()) done.event = "message";
    return on_message(done);
  }
  if (line.front() == ':') return true;  // a comment (the server's keep-alive ping)
  const auto colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data += value;
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    current_.id = std::string(value);
  }
  return true;  // "retry" and unknown fields are ignored
}

}  // namespace gaon::internal
