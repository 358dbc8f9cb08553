// HttpServer: Gaon's asynchronous HTTP/1.1 server (Boost.Beast/Asio, optional TLS 1.2+).
//
// N I/O threads, each with its own io_context; one acceptor hands connections out round-robin.
// Keep-alive, per-connection read and idle timeouts, header and body size limits (431/413),
// a connection cap (503), X-Request-Id on every response, and graceful shutdown: stop
// accepting, close idle connections, let in-flight requests finish until a deadline, then
// stop.
// The server knows nothing about routes: complete requests go to a RequestHandler.
// Beast and Asio live only in server.cpp (and beast_impl.cpp, which compiles them once).
// Thread-safety: Start/Shutdown from one controlling thread; the rest is internal.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "api/http/http_types.h"
#include "core/config.h"
#include "gaon/status.h"

namespace gaon::http {

class HttpServer {
 public:
  // Binds the listening socket (so the port is known before Start) and loads TLS material.
  // InvalidArgument for a bad address or unreadable certificate; Unavailable when the port
  // cannot be bound. `handler` must outlive the server.
  static StatusOr<std::unique_ptr<HttpServer>> Create(const ServerConfig& config, RequestHandler* handler);
  ~HttpServer();

  // "127.0.0.1:8080" — the address actually bound (port 0 resolved).
  std::string address() const;
  bool tls() const;

  // Starts the I/O threads and accepting. Returns immediately.
  void Start();
  // Stops accepting and closes idle connections; waits up to `deadline` for in-flight
  // requests (including streams) to finish, then stops the I/O threads. Requests still in
  // flight at the deadline get up to `answer_grace` more: the caller cancels their work then
  // (gaond interrupts the database pool), and their error answers can still go out. Logs how
  // many requests it abandons. Idempotent.
  void Shutdown(std::chrono::milliseconds deadline,
                std::chrono::milliseconds answer_grace = std::chrono::milliseconds(0));

  // Requests read and not yet answered.
  int in_flight() const;
  int open_connections() const;

  struct Impl;  // implementation detail, public only so server.cpp's sessions can name it

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gaon::http
