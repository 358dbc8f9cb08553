#include "tests/support/sse_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/http_client.h"

namespace gaon::test {

SseClient::SseClient(const std::string& address, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpClient opener(address);
  fd_ = opener.OpenSocket();
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: " + address + "\r\nAccept: text/event-stream\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::size_t end;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{fd_, POLLIN, 0};
    if (std::chrono::steady_clock::now() > deadline || ::poll(&p, 1, 1000) < 0) return;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return;
    raw_.append(buf, static_cast<std::size_t>(n));
  }
  const std::string head = raw_.substr(0, end);
  raw_.erase(0, end + 4);
  status_ = std::stoi(head.substr(9, 3));
  chunked_ = head.find("chunked") != std::string::npos;
}

SseClient::~SseClient() { Close(); }

void SseClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SseClient::Fill(std::chrono::milliseconds timeout) {
  // De-chunk what we have.
  for (;;) {
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      break;
    }
    const auto crlf = raw_.find("\r\n");
    if (crlf == std::string::npos) break;
    const std::size_t size = std::stoul(raw_.substr(0, crlf), nullptr, 16);
    if (size == 0) return false;  // the stream ended
    if (raw_.size() < crlf + 2 + size + 2) break;
    body_ += raw_.substr(crlf + 2, size);
    raw_.erase(0, crlf + 2 + size + 2);
  }
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return true;
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    Close();
    return false;
  }
  raw_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<SseEvent> SseClient::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto sep = body_.find("\n\n");
    if (sep != std::string::npos) {
      const std::string block = body_.substr(0, sep);
      body_.erase(0, sep + 2);
      SseEvent e;
      bool any = false;
      std::size_t start = 0;
      while (start <= block.size()) {
        const auto nl = block.find('\n', start);
        const std::string line = block.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        start = nl == std::string::npos ? block.size() + 1 : nl + 1;
        if (line.empty() || line[0] == ':') continue;
        const auto colon = line.find(':');
        const std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "id") e.id = value, any = true;
        else if (field == "event") e.event = value, any = true;
        else if (field == "data") e.data += value, any = true;
      }
      if (any && !e.event.empty()) return e;
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    if (!Fill(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)) && body_.find("\n\n") == std::string::npos) {
      return std::nullopt;
    }
  }
}

}  // namespace gaon::test
