// A small blocking HTTP/1.1 client over plain sockets, for tests: it can send exactly the
// bytes a test wants (oversized heads, malformed requests) and keeps one connection alive
// between requests so keep-alive is exercised too.
// Thread-safety: one HttpClient per thread.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gaon::test {

struct HttpResult {
  int status = 0;  // 0: no response (connection closed or timed out)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
  boost::json::value Json() const;  // aborts the test (throws) when the body is not JSON
};

class HttpClient {
 public:
  explicit HttpClient(std::string address, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Request(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult Get(const std::string& target) { return Request("GET", target); }

  // Sends `raw` on a new connection and reads one response (status 0 if none came).
  HttpResult Raw(const std::string& raw);
  // Opens a connection and returns its socket (owned by the caller; close with ::close).
  int OpenSocket();
  // Reads one response from `fd`.
  HttpResult ReadResponse(int fd);

  // True when the kept-alive connection is still the one used by the previous request.
  int reused() const { return reused_; }

 private:
  bool SendAll(int fd, std::string_view data);
  std::string address_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int reused_ = 0;
};

}  // namespace gaon::test
