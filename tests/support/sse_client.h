// SseClient: reads a Server-Sent Events response (chunked) event by event, for watch tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gaon::test {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

class SseClient {
 public:
  // Sends GET `target` and reads the response head. status() is the HTTP status.
  SseClient(const std::string& address, const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers);
  ~SseClient();
  int status() const { return status_; }
  const std::string& error_body() const { return raw_; }
  // The next event (comments skipped), or nullopt after `timeout` or at the end of the stream.
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Close();

 private:
  bool Fill(std::chrono::milliseconds timeout);  // reads and de-chunks more of the body
  int fd_ = -1;
  int status_ = 0;
  bool chunked_ = false;
  std::string raw_;   // bytes read, not yet de-chunked
  std::string body_;  // de-chunked, not yet parsed
};

}  // namespace gaon::test
