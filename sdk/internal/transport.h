// Transport: HTTP/1.1 exchanges with one Gaon endpoint over plain TCP or TLS, on a pool of
// keep-alive connections. Boost.Beast, Asio and OpenSSL stay behind this header
// (transport.cpp); the client above it deals in these plain structs.
//
// Each connection owns its io_context and is driven by the thread that checked it out, so
// calls never wait on a shared I/O thread and nothing runs in the background.
// Thread-safety: Send and Stream may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gaon/status.h"
#include "internal/url.h"

namespace gaon::internal {

using Headers = std::vector<std::pair<std::string, std::string>>;
using Deadline = std::chrono::steady_clock::time_point;

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string target;  // path and query
  Headers headers;     // Host, Content-Length and Connection are set by the transport
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

// Case-insensitive header name comparison.
bool HeaderNameEquals(std::string_view a, std::string_view b);

struct TransportOptions {
  Endpoint endpoint;
  bool verify_tls = true;
  std::string ca_file;  // PEM; empty: the system's trust store
  std::chrono::milliseconds connect_timeout{10'000};
  int pool_size = 8;  // idle connections kept
  std::string user_agent;
};

class Transport {
 public:
  // InvalidArgument("invalid_ca_file") when the CA file cannot be loaded.
  static StatusOr<std::shared_ptr<Transport>> Create(TransportOptions options);
  ~Transport();

  // Sends `request` and reads the whole answer, all before `deadline`. An idle pooled
  // connection is used when there is one (one that turns out closed by the server before any
  // answer came is replaced transparently); the connection goes back to the pool when the
  // answer allows keep-alive. Fails with Unavailable("connection_failed") when no connection
  // could be opened (resolve, connect, or the connect timeout), Unavailable
  // ("connection_reset") when it broke before the whole answer came,
  // DeadlineExceeded("deadline_exceeded"), FailedPrecondition("tls_failed") when the TLS
  // handshake fails (certificate verification included), FailedPrecondition
  // ("protocol_error") when the answer is not HTTP/1.1, and ResourceExhausted
  // ("response_too_large") past 64 MiB.
  StatusOr<HttpResponse> Send(const HttpRequest& request, Deadline deadline);

  // Sends `request` on a new connection and reads the answer's head before `head_deadline`.
  // A non-200 answer is read whole and returned. A 200 answer's body is passed to `on_data`
  // piece by piece as it arrives (decoded from chunked encoding) until the server ends it
  // (OK), `on_data` returns false, `stop` is requested or `stream_deadline` passes (all OK),
  // or nothing arrives for `idle_timeout` (Unavailable "connection_reset"). The returned
  // response has the head and, for 200, an empty body. The connection is closed afterwards.
  StatusOr<HttpResponse> Stream(const HttpRequest& request, Deadline head_deadline,
                                std::chrono::milliseconds idle_timeout, const std::stop_token& stop,
                                Deadline stream_deadline, const std::function<bool(std::string_view)>& on_data);

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gaon::internal
