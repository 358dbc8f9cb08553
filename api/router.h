// Router: matches a method and path against the route table.
//
// Patterns are written as in docs/openapi.yaml: literal segments, `{name}` parameters, and a
// parameter with a custom-action suffix (`{instance}:stop`). Literal segments win over
// parameters. A path that matches a pattern but not its method is a 405 with the methods
// that would match (for the Allow header); no pattern at all is a 404.
// Thread-safety: build once with Add(), then Find() from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/http/http_types.h"
#include "api/permissions.h"
#include "gaon/status.h"

namespace gaon::api {

struct RequestContext;
using Handler = std::function<StatusOr<http::HttpResponse>(RequestContext&)>;
using PathParams = std::vector<std::pair<std::string, std::string>>;

enum class Execution {
  kWorker,  // runs on the worker pool (anything that may touch the database)
  kInline,  // runs on the I/O thread: must be quick and never block
};

// Per-route exceptions to the defaults the pipeline derives from the method.
struct RouteOptions {
  // Allowed while the tenant is suspended. Default: reads and deletes only, because a
  // suspended tenant may read and wind down but not create or start anything.
  std::optional<bool> allowed_when_suspended;
  // POST honours Idempotency-Key. Off only where replaying would need a stored secret
  // (logging in).
  bool idempotent = true;
  // The handler opens its own transactions (readiness, streams): the pipeline authenticates
  // in a short transaction of its own and calls the handler with no `tx`.
  bool own_transaction = false;
  // Mutations write an audit event. Off for the inference data plane (an endpoint's chat
  // completions): those calls are metered as usage events, and an audit event per inference
  // request would drown the log.
  bool audited = true;
  // An operator route that reads or changes several tenants' data (no {tenant} in its path):
  // like a route on one tenant it needs the operator's reason, and the handler names the
  // tenants it touched in ctx.audit.tenants so each sees the access in its own audit log.
  bool cross_tenant = false;
  // The request's transaction may share its COMMIT with other tenants' requests on routes
  // like it (storage::TxOptions::group): for short, frequent writes on one tenant, where one
  // COMMIT per request is most of the database's work.
  bool group_commit = false;
};

struct Route {
  std::string method;   // "GET"
  std::string pattern;  // "/v1/tenants/{tenant}/instances/{instance}"
  Permission permission;
  std::string action;   // audit action and log label: "instances.create"
  Handler handler;
  Execution execution = Execution::kWorker;
  RouteOptions options = {};
  // Filled by the router: index in the table (metrics label key).
  std::size_t index = 0;

  bool mutating() const { return method != "GET" && method != "HEAD"; }
  bool HasParam(std::string_view name) const;
};

class Router {
 public:
  // Aborts on a malformed pattern or a duplicate (method, pattern): both are programming errors.
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;   // null: see `allowed`
    PathParams params;
    std::vector<std::string> allowed;  // methods for this path when `route` is null (405)
  };
  // `path` is the raw (percent-encoded) path; parameters come back decoded.
  Match Find(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Segment {
    enum Kind { kLiteral, kParam } kind;
    std::string text;    // literal text, or parameter name
    std::string suffix;  // ":stop" for an action segment
  };
  struct Compiled {
    std::vector<Segment> segments;
    int literal_count = 0;
  };
  bool MatchSegments(const Compiled& c, const std::vector<std::string>& parts, PathParams* params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
  // Fully literal patterns ("/healthz") by path, for a lookup without splitting the path.
  std::unordered_map<std::string, std::vector<std::size_t>> literal_;
};

// Percent-decodes `s`; returns false on a malformed escape.
bool PercentDecode(std::string_view s, std::string* out);

}  // namespace gaon::api
