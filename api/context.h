// RequestContext: everything a handler gets — the request, its route and path parameters,
// the request's transaction, the authenticated caller, the path's tenant, and the audit
// draft the handler fills in (resource id, fields changed).
// Thread-safety: owned by the thread running the handler.
#pragma once

#include <boost/json/value.hpp>

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "api/http/http_types.h"
#include "api/router.h"
#include "api/services.h"
#include "gaon/model/json_io.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::api {

struct AuditDraft {
  std::string resource_type;
  std::string resource_id;
  boost::json::value changes;        // null when nothing worth recording changed
  std::optional<std::string> chain;  // the chain to write to, when not the path's tenant
  // Tenants whose data an operator-wide request (RouteOptions::cross_tenant) read or changed:
  // each finds a copy of the event, with the operator's reason, in its own log.
  std::vector<std::string> tenants;
};

struct RequestContext {
  const http::HttpRequest& request;
  const Route& route;
  PathParams params;
  const Services& services;
  storage::Tx* tx = nullptr;          // the request's transaction (worker routes only)
  Principal principal;                // anonymous on public routes
  std::optional<TenantId> tenant;     // the path's {tenant}
  AuditDraft audit;
  std::vector<std::string> auth_changes;  // see AuthChanged

  // Records that authentication data of `subject` ("key:…", "session:…", "user:…",
  // "tenant:…") changes in this transaction, so this gaond's cache drops it as soon as the
  // transaction commits, before the answer goes out. (Triggers announce the change to every
  // gaond, this one included, but that notice arrives a little later.)
  void AuthChanged(std::string subject) { auth_changes.push_back(std::move(subject)); }

  // The decoded path parameter `name`; empty when the route has none of that name.
  std::string_view Param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
  const std::string& request_id() const { return request.request_id; }
  storage::Tx& Tx() {
    assert(tx && "handler without a transaction");
    return *tx;
  }

  // A path parameter as a typed id. A malformed id names nothing: NotFound, as a missing one.
  template <typename IdT>
  StatusOr<IdT> PathId(std::string_view name) const {
    auto id = IdT::Parse(Param(name));
    if (!id.ok()) return NotFound(std::string(name) + " '" + std::string(Param(name)).substr(0, 64) + "' not found");
    return id;
  }

  // The JSON body as T, strictly: unknown, missing-required and read-only fields are refused
  // with field details. 415 when the body is not JSON.
  template <typename T>
  StatusOr<T> Body() const {
    RETURN_IF_ERROR(CheckJsonBody());
    return FromJsonText<T>(request.body.empty() ? std::string_view("{}") : std::string_view(request.body),
                           ReadMode::kStrict);
  }
  Status CheckJsonBody() const;

  // If-Match as a resource version: nullopt when absent or "*". 400 when malformed.
  StatusOr<std::optional<std::int64_t>> IfMatch() const;
  // OK when If-Match is absent or names `version`; else 412 precondition_failed naming
  // `what` ("instance inst_…") and both versions.
  Status CheckIfMatch(const std::string& what, std::int64_t version) const;
  // page_size (1..1000, default 50), page_token and — for lists of labelled resources —
  // label_selector (elsewhere it is refused rather than silently ignored).
  enum class Labels { kNone, kFilter };
  StatusOr<storage::ListQuery> ListParams(Labels labels = Labels::kNone) const;
};

// Opaque page tokens: base64url of "v1:" + the last id of the page.
std::string EncodePageToken(const std::string& last);
// The sequence number a page token of a list ordered by seq carries (none without a token).
StatusOr<std::optional<std::int64_t>> PageSeq(const storage::ListQuery& q);
StatusOr<std::string> DecodePageToken(std::string_view token);
// "env=prod,team!=ml,gpu,!spot" → selector; InvalidArgument naming the bad term.
StatusOr<storage::LabelSelector> ParseLabelSelector(std::string_view text);

}  // namespace gaon::api
