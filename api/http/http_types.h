// HttpRequest and HttpResponse: what handlers see of HTTP. No Beast types leak past this
// header, so handlers and their tests compile without Beast or Asio.
// Thread-safety: plain values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gaon::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive ASCII comparison for header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  HeaderList headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1"
  std::string request_id;      // from X-Request-Id when well-formed, else generated
  bool tls = false;

  // First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // First query parameter with this name, or nullopt.
  std::optional<std::string_view> Query(std::string_view name) const;
};

// Writes a streamed (chunked) response body. Each call blocks the calling thread (never an
// I/O thread) until the data is handed to the socket.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `data`; sends when enough is buffered. False once the client is gone or the
  // server is shutting down: the producer should stop.
  virtual bool Write(std::string_view data) = 0;
  // Sends whatever is buffered now (after each Server-Sent Event, say).
  virtual bool Flush() = 0;
  // True once the server is shutting down or the client is gone: long-lived producers
  // (watches) should finish.
  virtual bool closing() const = 0;
  // The body cannot be completed (its source failed after the status was sent): the response
  // ends without its last chunk, so the client sees a broken transfer, never a short file.
  virtual void Abort() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;
  // When set, the body is produced by this function, streamed with chunked encoding, and
  // `body` is ignored. It runs on the thread that completes the request (never an I/O thread).
  std::function<void(ResponseStream&)> stream;
  // Close the connection after this response.
  bool close = false;
  // What an idempotent replay of this response returns, when it must differ from `body`
  // (a created key's secret is shown once and never stored).
  std::optional<std::string> stored_body;

  HttpResponse& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  std::optional<std::string_view> Header(std::string_view name) const;
};

// Receives complete requests from the server.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Called on an I/O thread. Must not block: call `done` right away for cheap requests, or
  // hand the request to another thread and call `done` from there. `done` must be called
  // exactly once; calling it with a streaming response blocks until the stream ends, so only
  // do that off the I/O threads.
  virtual void Handle(HttpRequest request, std::function<void(HttpResponse)> done) = 0;
  // The answer for requests the server rejects before a handler sees them (too large, bad
  // syntax, overloaded): lets the application shape them as problem documents.
  virtual HttpResponse Reject(int status, std::string_view code, std::string_view detail,
                              const std::string& request_id) = 0;
};

// Well-formed client request ids: 1–128 of [A-Za-z0-9._:-].
bool IsWellFormedRequestId(std::string_view id);
// A new request id ("req_" + time-ordered body).
std::string NewRequestId();

}  // namespace gaon::http
