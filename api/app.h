// App: Gaon's HTTP application. It receives complete requests from the HTTP server, routes
// them (404/405 as problems), runs handlers that touch the database on a worker pool (never
// on an I/O thread), maps errors to RFC 9457 problems, and records per-route metrics and one
// access-log line per request.
// Thread-safety: Handle() is called concurrently from the I/O threads.
#pragma once

#include <memory>

#include "api/http/http_types.h"
#include "api/router.h"
#include "api/services.h"

namespace gaon::api {

class App final : public http::RequestHandler {
 public:
  // Registers every route (api/routes.cpp) and starts `workers` worker threads.
  App(Services services, int workers);
  ~App() override;

  void Handle(http::HttpRequest request, std::function<void(http::HttpResponse)> done) override;
  http::HttpResponse Reject(int status, std::string_view code, std::string_view detail,
                            const std::string& request_id) override;

  const Router& router() const;
  // Finishes queued requests and joins the worker threads. Call after the server stopped.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Registers all routes; the single table of routes and their permissions.
void RegisterRoutes(Router& router, const Services& services);

}  // namespace gaon::api
