// Authentication and authorization for every request.
//
// Credentials are either an API key (`Authorization: Bearer gaon_sk_…`, for the SDK and CLI)
// or a console session cookie (`gaon_session`). Both carry a public id and a secret; the
// database keeps only the SHA-256 of the secret, compared in constant time. Authorization is
// the route's declared Permission against the caller's role in the path's tenant.
// Thread-safety: free functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/http/http_types.h"
#include "api/router.h"
#include "core/config.h"
#include "gaon/model/tenancy.h"
#include "storage/credentials.h"

namespace gaon::api {

inline constexpr std::string_view kApiKeyPrefix = "gaon_sk_";
inline constexpr std::string_view kSessionCookie = "gaon_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr std::string_view kOperatorReasonHeader = "X-Gaon-Operator-Reason";

struct Credentials {
  enum Kind { kNone, kApiKey, kSession, kMalformed } kind = kNone;
  std::string id;      // key_… or ses_…
  std::string secret;  // the secret part, as presented
};

// Reads the Authorization header (preferred) or the session cookie.
Credentials ParseCredentials(const http::HttpRequest& req);
// TxOptions for a request presenting `creds`: the setting that lets the lookup see it.
void AddAuthOptions(const Credentials& creds, storage::TxOptions* options);

struct Principal {
  enum class Kind { kAnonymous, kApiKey, kUser } kind = Kind::kAnonymous;
  std::string id;    // key_… or usr_…
  std::string name;  // key name, or the user's email
  bool platform_admin = false;
  std::optional<TenantId> key_tenant;  // the tenant a service key belongs to
  std::optional<Role> key_role;        // a service key's role
  std::optional<Role> member_role;     // a user's role in the request's tenant
  storage::TenantState tenant;         // the request's tenant as the auth query saw it
  std::optional<User> user;
  std::optional<SessionId> session;
  std::string session_secret;          // for the CSRF token; never logged
  bool via_cookie = false;
  // The credential's recorded last use is more than a minute old: record this one.
  bool stale_last_use = false;

  bool authenticated() const { return kind != Kind::kAnonymous; }
  std::string_view type() const {
    return kind == Kind::kUser ? "user" : kind == Kind::kApiKey ? "api_key" : "anonymous";
  }
  // The caller's role in `tenant`, if any (operators have none: they act by permission).
  std::optional<Role> RoleIn(const TenantId& tenant) const;
};

// Looks the credential up in `tx` (whose options carry gaon.auth_credential = creds.id) and
// checks the secret, expiry,
// revocation and the user's state. Unauthenticated with reason "invalid_credentials",
// "credentials_expired", "credentials_revoked" or "session_expired". Writes nothing.
// `cache_entry`, when given, receives what a cache may keep of the result.
struct CacheableAuth {
  std::string secret_hash;
  std::optional<Timestamp> key_expires_at;
  std::optional<Timestamp> session_expires_at;
};
StatusOr<Principal> Authenticate(storage::Tx& tx, const Credentials& creds, const AuthConfig& config,
                                 CacheableAuth* cache_entry = nullptr);
// The principal from a cached lookup, after checking the presented secret (constant time) and
// the expiries again; nullopt when the entry does not hold.
std::optional<Principal> AuthenticateCached(const Principal& cached, const CacheableAuth& entry,
                                            const Credentials& creds);

// Checks the route's permission for `principal` on `tenant` (the path's tenant, if any):
// NotFound when the caller cannot see that tenant at all (exactly as a missing tenant),
// PermissionDenied ("permission_denied", "operator_reason_required", "csrf_failed",
// "tenant_suspended") otherwise.
Status Authorize(const Route& route, const Principal& principal, const std::optional<TenantId>& tenant,
                 const http::HttpRequest& req);

// Whether `role` grants `permission` (tenant-scoped permissions only).
bool RoleAllows(Role role, Permission permission);

// The CSRF token of a session: HMAC-SHA256(secret, "gaon-csrf"), base64url.
std::string CsrfToken(std::string_view session_secret);
// Hash under which a secret is stored.
std::string SecretHash(std::string_view secret);

// A new API key: its id and the full token to show once.
struct NewKeySecret {
  ApiKeyId id;
  std::string token;        // gaon_sk_<id body><secret>
  std::string secret_hash;
};
NewKeySecret MakeApiKeySecret();

}  // namespace gaon::api
