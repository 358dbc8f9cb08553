#include "api/app.h"

#include <chrono>
#include <condition_variable>
#include <thread>
#include <mutex>
#include <unordered_map>

#include "api/auth.h"
#include "api/auth_cache.h"
#include "api/context.h"
#include "api/last_use.h"
#include "api/problem.h"
#include "api/rate_limiter.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread_pool.h"
#include "storage/audit.h"
#include "storage/change_feed.h"
#include "storage/credentials.h"
#include "storage/idempotency.h"

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

Status RateLimited(std::chrono::milliseconds wait) {
  const long secs = std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
  return ResourceExhausted("too many requests; retry in " + std::to_string(secs) + " s", "rate_limited")
      .WithExtra("retry_after_seconds", std::to_string(secs));
}

// Streamed responses (watches, exports) each get a thread of their own for as long as they
// run, so they never hold a worker that requests are waiting for.
class StreamThreads {
 public:
  explicit StreamThreads(int max) : max_(max) {}
  // Runs `fn` on a new thread; false (and `fn` dropped) when `max` streams already run.
  bool Start(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (active_ >= max_) return false;
      ++active_;
    }
    std::thread([this, fn = std::move(fn)] {
      fn();
      std::lock_guard lock(mu_);
      --active_;
      cv_.notify_all();
    }).detach();
    return true;
  }
  // Waits for every stream to end (they end once the server stops writing).
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return active_ == 0; });
  }
  int active() const {
    std::lock_guard lock(mu_);
    return active_;
  }

 private:
  const int max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
};

// What the auth cache said before the request's transaction began.
struct AuthLookup {
  std::optional<Principal> cached;  // a checked cache hit: no lookup needed
  std::uint64_t generation = 0;     // AuthCache::Generation() before any lookup
};

}  // namespace

struct App::Impl {
  Services services;
  Router router;
  ThreadPool workers;
  // Requests of group_commit routes wait for their group's COMMIT on threads of their own: as
  // many as the groups running at once can hold, so that they neither hold back the other
  // requests nor outnumber the connections those requests wait for. Null when groups are off.
  std::unique_ptr<ThreadPool> group_workers;
  HttpMetrics metrics;
  bool access_log;
  std::unique_ptr<RateLimiter> limiter;
  StreamThreads streams;
  LastUseRecorder last_use;
  AuthCache auth_cache{std::chrono::seconds(10)};

  Impl(Services s, int n)
      : services(s),
        workers(n, "handler"),
        metrics(s.metrics),
        access_log(s.config ? s.config->log.access : true),
        streams(s.config ? s.config->server.max_streams : 256),
        last_use(s.db, std::chrono::seconds(1)) {
    if (s.config && s.config->database.group_size > 1) {
      group_workers = std::make_unique<ThreadPool>(s.config->database.group_size * s.config->database.GroupLeaders(),
                                                   "grouped");
    }
    if (s.feed) {
      // Trust cached authentication only while every change to it is heard about.
      s.feed->OnConnection([this](bool up) { auth_cache.SetEnabled(up); });
      s.feed->SubscribeAuth([this](const std::string& subject) { auth_cache.Invalidate(subject); });
    }
    if (s.config && s.config->rate_limit.enabled) {
      limiter = std::make_unique<RateLimiter>(s.config->rate_limit.requests_per_second, s.config->rate_limit.burst,
                                              Clock::Real());
    }
  }

  const Config& config() const { return *services.config; }

  // Runs the route's handler; any failure becomes a problem response.
  http::HttpResponse Run(const Route& route, const http::HttpRequest& req, PathParams params) {
    ScopedLogRequestId scoped(req.request_id);
    RequestContext ctx{req, route, std::move(params), services};
    try {
      if (route.execution == Execution::kInline) return Respond(ctx, route.handler(ctx));
      return RunInTransaction(ctx);
    } catch (const std::exception& e) {
      // Last resort: a handler threw. This is a bug; answer 500 and keep serving.
      LogError("handler threw", {{"route", route.pattern}, {"error", e.what()}});
      return ProblemResponse(Internal("an internal error occurred"), req.request_id);
    }
  }

  http::HttpResponse Respond(const RequestContext& ctx, StatusOr<http::HttpResponse> res) {
    if (res.ok()) return std::move(res).value();
    return Problem(ctx, res.status());
  }

  http::HttpResponse Problem(const RequestContext& ctx, const Status& s) {
    http::HttpResponse res = ProblemResponse(s, ctx.request_id());
    if (res.status >= 500) LogError("request failed", {{"route", ctx.route.pattern}, {"error", s.ToString()}});
    if (res.status == 401) res.Set("WWW-Authenticate", "Bearer realm=\"gaon\"");
    return res;
  }

  // One transaction per request: authentication, authorization, idempotency, the handler and
  // the audit event commit or roll back together.
  http::HttpResponse RunInTransaction(RequestContext& ctx) {
    if (ctx.route.HasParam("tenant")) {
      auto tenant = TenantId::Parse(ctx.Param("tenant"));
      if (!tenant.ok()) return Finish(ctx, NotFound("tenant '" + std::string(ctx.Param("tenant")).substr(0, 64) + "' not found"));
      ctx.tenant = *tenant;
    }
    const Credentials creds = ParseCredentials(ctx.request);
    // Anonymous callers are limited by address before they cost a database round trip.
    if (limiter && (creds.kind == Credentials::kNone || ctx.route.permission == Permission::kPublic)) {
      if (auto wait = limiter->Take("addr:" + ctx.request.remote_address); wait.count() > 0) {
        return Problem(ctx, RateLimited(wait));
      }
    }
    // Reads run read-only with their COMMIT deferred to the connection's next use: one round
    // trip for BEGIN and authentication, one per query, nothing else.
    const bool reading = !ctx.route.mutating();
    storage::TxOptions options{.tenant = ctx.tenant, .read_only = reading, .defer_commit = reading,
                               .group = ctx.route.options.group_commit, .name = ctx.route.action};
    // A recent lookup of this credential for this tenant saves the lookup; the secret and
    // the expiries are checked again all the same.
    AuthLookup lookup{.generation = auth_cache.Generation()};
    if (ctx.route.permission != Permission::kPublic &&
        (creds.kind == Credentials::kApiKey || creds.kind == Credentials::kSession)) {
      if (auto entry = auth_cache.Find(creds.id, ctx.tenant ? ctx.tenant->str() : std::string())) {
        lookup.cached = AuthenticateCached(entry->principal, entry->auth, creds);
      }
    }
    if (lookup.cached) {
      options.settings.emplace_back("gaon.principal", lookup.cached->id);
    } else if (ctx.route.permission != Permission::kPublic) {
      AddAuthOptions(creds, &options);
    }
    // A read whose caller needs no lookup is mostly one query: tried without BEGIN and COMMIT.
    options.one_trip = reading && (lookup.cached || ctx.route.permission == Permission::kPublic);
    if (ctx.route.options.own_transaction) {
      if (ctx.route.permission != Permission::kPublic) {
        auto admit = [&](storage::Tx& tx) -> Status {
          ctx.principal = {};
          RETURN_IF_ERROR(Admit(ctx, creds, lookup, tx));
          if (!ctx.principal.platform_admin) return Status::Ok();
          return storage::AppendAuditEvent(tx, MakeEvent(ctx, 200, SuccessChain(ctx)));
        };
        Status admitted = services.db->Transact(options, admit);
        if (admitted.reason() == "needs_write_transaction") {  // as below: an operator's read is audited
          options.read_only = options.defer_commit = false;
          admitted = services.db->Transact(options, admit);
        }
        if (!admitted.ok()) return Finish(ctx, admitted, &creds);
      }
      auto res = ctx.route.handler(ctx);
      if (res.ok() && !ctx.audit.tenants.empty()) {  // before a byte of the answer is sent
        const Status written = services.db->Transact({.platform = true, .name = "audit.cross_tenant"},
                                                     [&](storage::Tx& tx) { return AuditTouchedTenants(ctx, 200, tx); });
        if (!written.ok()) return Finish(ctx, written, &creds);
      }
      return Respond(ctx, std::move(res));
    }
    std::optional<http::HttpResponse> result;
    auto run = [&](storage::Tx& tx) -> Status {
      ScopedLogRequestId scoped(ctx.request.request_id);  // a grouped transaction runs it on another thread
      ctx.tx = &tx;
      ctx.principal = {};
      ctx.audit = {};
      ctx.auth_changes.clear();
      auto r = Pipeline(ctx, creds, lookup, tx);
      if (!r.ok()) return r.status();
      result = std::move(r).value();
      return Status::Ok();
    };
    Status s = services.db->Transact(options, run);
    if (s.reason() == "needs_write_transaction") {
      // An operator's read is audited, which a read-only transaction cannot do.
      options.read_only = options.defer_commit = false;
      s = services.db->Transact(options, run);
    }
    ctx.tx = nullptr;
    if (!s.ok()) return Finish(ctx, s, &creds);
    for (const auto& subject : ctx.auth_changes) auth_cache.Invalidate(subject);
    return std::move(*result);
  }

  // Who is calling and may they: authentication, the per-principal rate limit, authorization,
  // and operator-wide access for operators on platform routes.
  Status Admit(RequestContext& ctx, const Credentials& creds, const AuthLookup& lookup, storage::Tx& tx) {
    const Route& route = ctx.route;
    if (route.permission != Permission::kPublic && lookup.cached) {
      ctx.principal = *lookup.cached;
    } else if (route.permission != Permission::kPublic) {
      CacheableAuth entry;
      ASSIGN_OR_RETURN(ctx.principal, Authenticate(tx, creds, config().auth, &entry));
      auth_cache.Store(creds.id, ctx.tenant ? ctx.tenant->str() : std::string(), {ctx.principal, entry},
                       lookup.generation);
    }
    if (limiter && ctx.principal.authenticated() && tx.attempt() == 1) {
      if (auto wait = limiter->Take(ctx.principal.id); wait.count() > 0) return RateLimited(wait);
    }
    RETURN_IF_ERROR(Authorize(route, ctx.principal, ctx.tenant, ctx.request));
    if (ctx.principal.platform_admin && tx.options().read_only) {
      return Aborted("operator requests are audited", "needs_write_transaction");
    }
    if (ctx.principal.platform_admin && route.permission == Permission::kPlatformAdmin) {
      RETURN_IF_ERROR(storage::EnablePlatformAccess(tx));
    }
    if (ctx.principal.stale_last_use) {
      if (ctx.principal.session) {
        last_use.RecordSession(ctx.principal.session->str(), Now());
      } else {
        last_use.RecordKey(ctx.principal.id, Now());
      }
    }
    return Status::Ok();
  }

  StatusOr<http::HttpResponse> Pipeline(RequestContext& ctx, const Credentials& creds,
                                        const AuthLookup& lookup, storage::Tx& tx) {
    const Route& route = ctx.route;
    RETURN_IF_ERROR(Admit(ctx, creds, lookup, tx));

    std::optional<std::string> idempotency_key;
    if (route.method == "POST" && route.options.idempotent && ctx.principal.authenticated()) {
      if (auto key = ctx.request.Header("Idempotency-Key")) {
        const bool printable = std::all_of(key->begin(), key->end(), [](char c) { return c > 32 && c < 127; });
        if (key->empty() || key->size() > 255 || !printable) {
          return ValidationFailed({{"Idempotency-Key", "invalid", "Idempotency-Key must be 1–255 printable characters"}});
        }
        const std::string hash = Sha256Hex(route.method + "\n" + ctx.request.target + "\n" + ctx.request.body);
        ASSIGN_OR_RETURN(auto begin, storage::BeginIdempotent(tx, ctx.principal.id, std::string(*key), hash,
                                                              route.method, ctx.request.path,
                                                              std::chrono::duration_cast<std::chrono::seconds>(
                                                                  config().idempotency_ttl)));
        if (begin.state == storage::IdempotencyBegin::kMismatch) {
          return InvalidArgument("this Idempotency-Key was used with a different request", "idempotency_key_reused");
        }
        if (begin.state == storage::IdempotencyBegin::kReplay) {
          http::HttpResponse replay;
          replay.status = begin.status;
          replay.body = std::move(begin.body);
          replay.Set("Idempotent-Replayed", "true");
          // A replay changes nothing, but it is a request: the log shows it was answered again.
          ctx.audit.changes = boost::json::object{{"idempotent_replay", true}, {"idempotency_key", *key}};
          RETURN_IF_ERROR(storage::AppendAuditEvent(tx, MakeEvent(ctx, replay.status, SuccessChain(ctx))));
          return replay;
        }
        idempotency_key = std::string(*key);
      }
    }

    ASSIGN_OR_RETURN(http::HttpResponse res, route.handler(ctx));
    if ((route.mutating() && route.options.audited) || ctx.principal.platform_admin) {
      RETURN_IF_ERROR(storage::AppendAuditEvent(tx, MakeEvent(ctx, res.status, SuccessChain(ctx))));
    }
    RETURN_IF_ERROR(AuditTouchedTenants(ctx, res.status, tx));
    if (idempotency_key && res.status < 400) {
      RETURN_IF_ERROR(storage::CompleteIdempotent(tx, ctx.principal.id, *idempotency_key, res.status,
                                                  res.stored_body.value_or(res.body)));
    }
    return res;
  }

  // An operator's cross-tenant request, in the log of each tenant it touched.
  Status AuditTouchedTenants(const RequestContext& ctx, int status, storage::Tx& tx) const {
    if (!ctx.principal.platform_admin || !ctx.route.options.cross_tenant) return Status::Ok();
    for (const auto& tenant : ctx.audit.tenants) {
      RETURN_IF_ERROR(storage::AppendAuditEvent(tx, MakeEvent(ctx, status, tenant)));
    }
    return Status::Ok();
  }

  std::string SuccessChain(const RequestContext& ctx) const {
    if (ctx.audit.chain) return *ctx.audit.chain;
    if (ctx.tenant) return ctx.tenant->str();
    return storage::kPlatformChain;
  }

  // The chain of a refused request: the path's tenant when the caller may see it (so the tenant
  // sees denied attempts on its resources), else the caller's own tenant, else the platform.
  std::string FailureChain(const RequestContext& ctx) const {
    const Principal& p = ctx.principal;
    if (ctx.tenant && p.tenant.exists && (p.platform_admin || p.RoleIn(*ctx.tenant))) return ctx.tenant->str();
    if (p.key_tenant) return p.key_tenant->str();
    return storage::kPlatformChain;
  }

  AuditEvent MakeEvent(const RequestContext& ctx, int status, const std::string& chain) const {
    AuditEvent e;
    e.id = AuditEventId::Generate();
    e.tenant_id = chain;
    e.time = Now();
    e.principal = {std::string(ctx.principal.type()), ctx.principal.id, ctx.principal.name};
    if (ctx.principal.platform_admin && (ctx.tenant || ctx.route.options.cross_tenant)) {
      if (auto reason = ctx.request.Header(kOperatorReasonHeader)) e.operator_reason = std::string(*reason);
    }
    e.action = ctx.route.action;
    e.resource_type = ctx.audit.resource_type;
    e.resource_id = ctx.audit.resource_id.empty() && ctx.tenant ? ctx.tenant->str() : ctx.audit.resource_id;
    if (e.resource_type.empty()) e.resource_type = ctx.route.action.substr(0, ctx.route.action.find('.'));
    e.request_id = ctx.request_id();
    e.source_address = ctx.request.remote_address;
    e.user_agent = std::string(ctx.request.Header("User-Agent").value_or("")).substr(0, 256);
    e.outcome = status < 400 ? "success" : (status == 401 || status == 403 ? "denied" : "failure");
    e.status = status;
    e.changes = ctx.audit.changes;
    return e;
  }

  // Answers a failed request; a failed change (or any operator request) is audited in a
  // transaction of its own, since the request's transaction was rolled back.
  http::HttpResponse Finish(RequestContext& ctx, const Status& s, const Credentials* creds = nullptr) {
    http::HttpResponse res = Problem(ctx, s);
    // Failed logins too (public, but a change was asked for); not 429s, so a flood of
    // refused requests cannot turn into database writes.
    const bool audited = (ctx.route.mutating() || ctx.principal.platform_admin) && res.status != 429 && services.db;
    if (!audited) return res;
    const std::string chain = FailureChain(ctx);
    AuditEvent e = MakeEvent(ctx, res.status, chain);
    if (!ctx.principal.authenticated() && creds) e.principal.id = creds->id;  // the credential that was tried
    e.changes = boost::json::object{{"error", s.reason()}};
    storage::TxOptions options{.name = "audit.failure"};
    if (chain == storage::kPlatformChain) {
      options.platform = true;
    } else {
      options.tenant = TenantId::FromTrusted(chain);
    }
    const Status written = services.db->Transact(options, [&](storage::Tx& tx) {
      return storage::AppendAuditEvent(tx, e);
    });
    if (!written.ok()) LogError("cannot write the audit event of a failed request", {{"error", written.ToString()}});
    return res;
  }

  void Record(std::size_t route_key, const std::string& route_name, const http::HttpRequest& req,
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

void App::Stop() {
  impl_->workers.Stop();
  if (impl_->group_workers) impl_->group_workers->Stop();
  impl_->streams.Wait();
  impl_->last_use.Flush();
}

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
    d.Record(d.router.routes().size(), "unmatched", request, res, start);
    return done(std::move(res));
  }
  const Route& route = *match.route;
  if (route.execution == Execution::kInline) {
    http::HttpResponse res = d.Run(route, request, std::move(match.params));
    d.Record(route.index, route.pattern, request, res, start);
    return done(std::move(res));
  }
  auto shared_done = std::make_shared<std::function<void(http::HttpResponse)>>(std::move(done));
  auto req = std::make_shared<http::HttpRequest>(std::move(request));
  ThreadPool& pool = route.options.group_commit && d.group_workers ? *d.group_workers : d.workers;
  const bool queued = pool.Submit([&d, &route, req, params = std::move(match.params), shared_done, start]() mutable {
    http::HttpResponse res = d.Run(route, *req, std::move(params));
    d.Record(route.index, route.pattern, *req, res, start);
    if (!res.stream) return (*shared_done)(std::move(res));
    auto stream = std::make_shared<http::HttpResponse>(std::move(res));
    if (!d.streams.Start([shared_done, stream] { (*shared_done)(std::move(*stream)); })) {
      (*shared_done)(ProblemResponse(Unavailable("too many streams are open; retry later", "too_many_streams")
                                         .WithExtra("retry_after_seconds", "5"),
                                     req->request_id));
    }
  });
  if (!queued) {
    http::HttpResponse res = ProblemResponse(Unavailable("the server is shutting down", "shutting_down"),
                                             req->request_id);
    res.close = true;
    d.Record(route.index, route.pattern, *req, res, start);
    (*shared_done)(std::move(res));
  }
}

}  // namespace gaon::api
