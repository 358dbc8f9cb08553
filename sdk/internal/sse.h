// A Server-Sent Events parser (the WHATWG "event stream" format): bytes in, events out.
// Thread-safety: one parser per stream, owned by one thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace gaon::internal {

struct SseMessage {
  std::string id;     // the event's id field ("" when it had none)
  std::string event;  // its type; "message" when it had none
  std::string data;   // data lines joined with '\n'
};

class SseParser {
 public:
  // Feeds the next bytes of the stream (any split, CRLF, CR or LF line ends); calls
  // `on_message` for each complete event, in order, until it returns false. Returns false
  // when it did.
  bool Feed(std::string_view bytes, const std::function<bool(const SseMessage&)>& on_message);

 private:
  bool Line(std::string_view line, const std::function<bool(const SseMessage&)>& on_message);
  std::string pending_;  // an incomplete line
  bool skip_lf_ = false;  // the last byte was CR: a following LF belongs to it
  SseMessage current_;
  bool has_data_ = false;
};

}  // namespace gaon::internal
