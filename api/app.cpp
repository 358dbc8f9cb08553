#include "api/app.h"

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "api/context.h"
#include "api/problem.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread_pool.h"

namespace gaon::api {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Per (route, method, status) series, looked up once per request under one short lock.
class HttpMetrics {
 public:
  explicit HttpMetrics(MetricsRegistry* registry) {
    if (!registry) return;
    requests_ = &registry->AddCounter("gaon_http_requests_total", "HTTP requests answered.",
                                      {"route", "method", "status"});
    latency_ = &registry->AddHistogram("gaon_http_request_duration_seconds",
                                       "Time from a complete request to its answer.", {"route", "method", "status"},
                                       MetricsRegistry::LatencyBuckets());
  }

  void Record(std::size_t route_key, const std::string& route, const std::string& method, int status,
              std::int64_t micros) {
    if (!requests_) return;
    const std::uint64_t key = (static_cast<std::uint64_t>(route_key) << 32) | static_cast<std::uint32_t>(status);
    std::pair<Counter*, Histogram*> series;
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        const std::vector<std::string> labels{route, method, std::to_string(status)};
        it = cache_.emplace(key, std::make_pair(requests_->With(labels), latency_->With(labels))).first;
      }
      series = it->second;
    }
    series.first->Inc();
    series.second->ObserveMicros(micros);
  }

 private:
  Family<Counter>* requests_ = nullptr;
  Family<Histogram>* latency_ = nullptr;
  std::mutex mu_;
  std::unordered_map<std::uint64_t, std::pair<Counter*, Histogram*>> cache_;
};

}  // namespace

struct App::Impl {
  Services services;
  Router router;
  ThreadPool workers;
  HttpMetrics metrics;
  bool access_log;

  Impl(Services s, int n)
      : services(s), workers(n, "handler"), metrics(s.metrics), access_log(s.config ? s.config->log.access : true) {}

  // Runs the route's handler; any failure becomes a problem response.
  http::HttpResponse Run(const Route& route, const http::HttpRequest& req, PathParams params) {
    ScopedLogRequestId scoped(req.request_id);
    RequestContext ctx{req, route, std::move(params)};
    try {
      StatusOr<http::HttpResponse> res = route.handler(ctx);
      if (res.ok()) return std::move(res).value();
      if (HttpStatusFor(res.status()) >= 500) {
        LogError("request failed", {{"route", route.pattern}, {"error", res.status().ToString()}});
      }
      return ProblemResponse(res.status(), req.request_id);
    } catch (const std::exception& e) {
      // Last resort: a handler threw. This is a bug; answer 500 and keep serving.
      LogError("handler threw", {{"route", route.pattern}, {"error", e.what()}});
      return ProblemResponse(Internal("an internal error occurred"), req.request_id);
    }
  }

  void Finish(std::size_t route_key, const std::string& route_name, const http::HttpRequest& req,
              const http::HttpResponse& res, SteadyClock::time_point start) {
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
    metrics.Record(route_key, route_name, req.method, res.status, micros);
    if (access_log && LogEnabled(LogLevel::kInfo)) {
      ScopedLogRequestId scoped(req.request_id);
      LogInfo("request", {{"method", req.method},
                          {"path", req.path},
                          {"route", route_name},
                          {"status", res.status},
                          {"duration_us", static_cast<std::int64_t>(micros)},
                          {"remote", req.remote_address},
                          {"bytes", static_cast<std::int64_t>(res.body.size())}});
    }
  }
};

App::App(Services services, int workers) : impl_(std::make_unique<Impl>(services, workers)) {
  RegisterRoutes(impl_->router, impl_->services);
}

App::~App() { Stop(); }

const Router& App::router() const { return impl_->router; }

void App::Stop() { impl_->workers.Stop(); }

http::HttpResponse App::Reject(int status, std::string_view code, std::string_view detail,
                               const std::string& request_id) {
  return ProblemResponse(Status(StatusCode::kInvalidArgument, std::string(code), std::string(detail))
                             .WithHttpStatus(status),
                         request_id);
}

void App::Handle(http::HttpRequest request, std::function<void(http::HttpResponse)> done) {
  const auto start = SteadyClock::now();
  Impl& d = *impl_;
  Router::Match match = d.router.Find(request.method, request.path);
  if (!match.route) {
    Status s = match.allowed.empty()
                   ? NotFound("no route for " + request.method + " " + request.path, "route_not_found")
                   : Status(StatusCode::kInvalidArgument, "method_not_allowed",
                            request.method + " is not allowed on " + request.path);
    http::HttpResponse res = ProblemResponse(s, request.request_id);
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      res.Set("Allow", allow);
    }
    d.Finish(d.router.routes().size(), "unmatched", request, res, start);
    return done(std::move(res));
  }
  const Route& route = *match.route;
  if (route.execution == Execution::kInline) {
    http::HttpResponse res = d.Run(route, request, std::move(match.params));
    d.Finish(route.index, route.pattern, request, res, start);
    return done(std::move(res));
  }
  auto shared_done = std::make_shared<std::function<void(http::HttpResponse)>>(std::move(done));
  auto req = std::make_shared<http::HttpRequest>(std::move(request));
  const bool queued = d.workers.Submit([&d, &route, req, params = std::move(match.params), shared_done, start]() mutable {
    http::HttpResponse res = d.Run(route, *req, std::move(params));
    d.Finish(route.index, route.pattern, *req, res, start);
    (*shared_done)(std::move(res));
  });
  if (!queued) {
    http::HttpResponse res = ProblemResponse(Unavailable("the server is shutting down", "shutting_down"),
                                             req->request_id);
    res.close = true;
    d.Finish(route.index, route.pattern, *req, res, start);
    (*shared_done)(std::move(res));
  }
}

}  // namespace gaon::api
