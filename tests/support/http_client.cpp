#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cstring>
#include <stdexcept>

namespace gaon::test {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Reads more bytes into `buf`; false on EOF, error or timeout.
bool ReadMore(int fd, std::string& buf, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char tmp[16384];
  const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

std::optional<std::string> HttpResult::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return std::nullopt;
}

boost::json::value HttpResult::Json() const { return boost::json::parse(body); }

HttpClient::HttpClient(std::string address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

int HttpClient::OpenSocket() {
  const auto colon = address_.rfind(':');
  const std::string host = address_.substr(0, colon);
  const int port = std::stoi(address_.substr(colon + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to " + address_ + ": " + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool HttpClient::SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

HttpResult HttpClient::ReadResponse(int fd) {
  HttpResult r;
  std::string buf;
  std::size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buf, timeout_)) return r;
  }
  const std::string head = buf.substr(0, head_end);
  std::string rest = buf.substr(head_end + 4);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  r.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  if (r.status == 100) return ReadResponse(fd);  // 100 Continue: the real answer follows
  if (auto len = r.Header("Content-Length")) {
    const std::size_t n = std::stoul(*len);
    while (rest.size() < n) {
      if (!ReadMore(fd, rest, timeout_)) break;
    }
    r.body = rest.substr(0, n);
  } else if (auto te = r.Header("Transfer-Encoding"); te && IEquals(*te, "chunked")) {
    std::size_t pos = 0;
    for (;;) {
      std::size_t crlf;
      while ((crlf = rest.find("\r\n", pos)) == std::string::npos) {
        if (!ReadMore(fd, rest, timeout_)) return r;
      }
      const std::size_t size = std::stoul(rest.substr(pos, crlf - pos), nullptr, 16);
      while (rest.size() < crlf + 2 + size + 2) {
        if (!ReadMore(fd, rest, timeout_)) return r;
      }
      if (size == 0) break;
      r.body.append(rest, crlf + 2, size);
      pos = crlf + 2 + size + 2;
    }
  } else {
    while (ReadMore(fd, rest, timeout_)) {
    }
    r.body = rest;
  }
  return r;
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + address_ + "\r\n";
  bool has_type = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    has_type = has_type || IEquals(k, "Content-Type");
  }
  if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh) fd_ = OpenSocket();
    if (SendAll(fd_, req)) {
      HttpResult r = ReadResponse(fd_);
      if (r.status != 0) {
        reused_ = fresh ? 0 : reused_ + 1;
        auto conn = r.Header("Connection");
        if (conn && IEquals(*conn, "close")) {
          ::close(fd_);
          fd_ = -1;
        }
        return r;
      }
    }
    ::close(fd_);
    fd_ = -1;
    if (fresh) break;  // a brand-new connection failed: don't retry
  }
  return {};
}

HttpResult HttpClient::Raw(const std::string& raw) {
  const int fd = OpenSocket();
  SendAll(fd, raw);
  HttpResult r = ReadResponse(fd);
  ::close(fd);
  return r;
}

}  // namespace gaon::test
