// FaultyProxy: a plain TCP relay on loopback between a client and gaond that can lose an
// answer or cut answers short — the network failing, not a mock of the server. Used by the
// SDK's and gaonctl's end-to-end tests.
// Thread-safety: the relays run on threads of their own; the setters may be called any time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gaon::test {

inline int Listen(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 64) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

inline int Connect(const std::string& address) {
  const auto colon = address.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Relays loopback TCP connections to `upstream`. When armed, the first answer bytes that come
// back are not relayed: `on_lose` runs, then the client's connection is closed. With
// CutAnswersAfter(n), every connection is closed once n bytes of answers have been relayed on
// it (a download broken by the network half-way). With AnswerNextRequests(statuses), the next
// requests are answered by the proxy itself, as a load balancer whose upstream is away answers
// (502 Bad Gateway, 504 Gateway Timeout, …): an HTML page and a closed connection, nothing
// sent to gaond.
class FaultyProxy {
 public:
  explicit FaultyProxy(std::string upstream) : upstream_(std::move(upstream)) {
    listener_ = Listen(&port_);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~FaultyProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::lock_guard lock(m_);
    for (auto& t : relays_) t.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  void LoseNextAnswer(std::function<void()> on_lose) {
    std::lock_guard lock(m_);
    on_lose_ = std::move(on_lose);
    armed_ = true;
  }
  bool lost() const { return lost_; }
  void CutAnswersAfter(std::size_t bytes) { cut_after_ = bytes; }
  void AnswerNextRequests(std::vector<int> statuses) {
    std::lock_guard lock(m_);
    canned_.insert(canned_.end(), statuses.begin(), statuses.end());
  }
  // Requests answered by the proxy itself so far.
  int answered_by_proxy() const { return answered_by_proxy_; }

 private:
  void Accept() {
    for (;;) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      ++connections_;
      std::lock_guard lock(m_);
      relays_.emplace_back([this, client] { Relay(client); });
    }
  }

  void Relay(int client) {
    const int server = Connect(upstream_);
    if (server < 0) {  // gaond is down: the client sees its connection closed
      ::close(client);
      return;
    }
    char buf[64 * 1024];
    std::size_t relayed = 0;
    for (;;) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 200) < 0 || stopping_) break;
      if (p[0].revents) {
        const ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        if (const int status = NextCanned(); status != 0) {
          const std::string page = "<html><body><h1>" + std::to_string(status) + "</h1>upstream away</body></html>";
          const std::string answer = "HTTP/1.1 " + std::to_string(status) + " Proxy Says No\r\nContent-Type: text/html\r\n"
                                     "Content-Length: " + std::to_string(page.size()) + "\r\nConnection: close\r\n\r\n" + page;
          [[maybe_unused]] auto written = ::write(client, answer.data(), answer.size());
          ++answered_by_proxy_;
          break;
        }
        if (::write(server, buf, static_cast<std::size_t>(n)) != n) break;
      }
      if (p[1].revents) {
        const ssize_t n = ::read(server, buf, sizeof buf);
        if (n <= 0) break;
        std::function<void()> lose;
        {
          std::lock_guard lock(m_);
          if (armed_) {
            armed_ = false;
            lose = std::move(on_lose_);
          }
        }
        if (lose) {
          lose();
          lost_ = true;
          break;  // the answer is lost with the connection
        }
        const std::size_t cut = cut_after_, m = std::min(static_cast<std::size_t>(n), cut - relayed);
        if (::write(client, buf, m) != static_cast<ssize_t>(m)) break;
        relayed += m;
        if (relayed == cut) break;  // the rest of the answer is lost with the connection
      }
    }
    ::close(server);
    ::close(client);
  }

  // The status the proxy answers the next request with itself, or 0 to relay it.
  int NextCanned() {
    std::lock_guard lock(m_);
    if (canned_.empty()) return 0;
    const int status = canned_.front();
    canned_.erase(canned_.begin());
    return status;
  }

  std::string upstream_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<bool> lost_{false};
  std::atomic<int> answered_by_proxy_{0};
  std::atomic<std::size_t> cut_after_{std::numeric_limits<std::size_t>::max()};
  std::mutex m_;
  bool armed_ = false;
  std::function<void()> on_lose_;
  std::vector<int> canned_;
  std::vector<std::thread> relays_;
  std::thread acceptor_;
};

}  // namespace gaon::test
