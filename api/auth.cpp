#include "api/auth.h"

#include "core/crypto.h"

namespace gaon::api {
namespace {

constexpr std::size_t kSecretChars = 43;  // base64url of 32 random bytes
constexpr auto kTouchInterval = std::chrono::seconds(60);

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

Status Invalid() { return Unauthenticated("the credentials are not valid", "invalid_credentials"); }

bool SecretMatches(std::string_view presented, const std::string& stored_hash) {
  return ConstantTimeEquals(SecretHash(presented), stored_hash);
}

}  // namespace

std::string SecretHash(std::string_view secret) { return Sha256Hex(secret); }

std::string CsrfToken(std::string_view session_secret) {
  return Base64UrlEncode(HmacSha256(session_secret, "gaon-csrf"));
}

NewKeySecret MakeApiKeySecret() {
  NewKeySecret k;
  k.id = ApiKeyId::Generate();
  const std::string secret = RandomToken(32);
  k.token = std::string(kApiKeyPrefix) + k.id.str().substr(ApiKeyId::prefix().size() + 1) + secret;
  k.secret_hash = SecretHash(secret);
  return k;
}

Credentials ParseCredentials(const http::HttpRequest& req) {
  Credentials c;
  if (auto auth = req.Header("Authorization")) {
    std::string_view v = *auth;
    c.kind = Credentials::kMalformed;
    if (v.size() < 7 || (v.substr(0, 7) != "Bearer " && v.substr(0, 7) != "bearer ")) return c;
    v.remove_prefix(7);
    if (v.size() != kApiKeyPrefix.size() + kIdBodyLength + kSecretChars || v.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) {
      return c;
    }
    const std::string id = "key_" + std::string(v.substr(kApiKeyPrefix.size(), kIdBodyLength));
    if (!ApiKeyId::Parse(id).ok()) return c;
    c.kind = Credentials::kApiKey;
    c.id = id;
    c.secret = std::string(v.substr(kApiKeyPrefix.size() + kIdBodyLength));
    return c;
  }
  if (auto cookie = req.Header("Cookie")) {
    auto value = CookieValue(*cookie, kSessionCookie);
    if (!value) return c;
    c.kind = Credentials::kMalformed;
    const auto dot = value->find('.');
    if (dot == std::string_view::npos) return c;
    const std::string id(value->substr(0, dot));
    if (!SessionId::Parse(id).ok() || value->size() - dot - 1 != kSecretChars) return c;
    c.kind = Credentials::kSession;
    c.id = id;
    c.secret = std::string(value->substr(dot + 1));
  }
  return c;
}

void AddAuthOptions(const Credentials& creds, storage::TxOptions* options) {
  if (creds.kind != Credentials::kApiKey && creds.kind != Credentials::kSession) return;
  options->settings.emplace_back("gaon.auth_credential", creds.id);
}

std::optional<Role> Principal::RoleIn(const TenantId& tenant) const {
  if (kind == Kind::kApiKey) {
    if (key_tenant && *key_tenant == tenant) return key_role;
    return std::nullopt;
  }
  if (kind == Kind::kUser) return member_role;
  return std::nullopt;
}

std::optional<Principal> AuthenticateCached(const Principal& cached, const CacheableAuth& entry,
                                            const Credentials& creds) {
  if (!SecretMatches(creds.secret, entry.secret_hash)) return std::nullopt;
  const Timestamp now = Now();
  if (entry.key_expires_at && *entry.key_expires_at <= now) return std::nullopt;
  if (entry.session_expires_at && *entry.session_expires_at <= now) return std::nullopt;
  Principal p = cached;
  if (p.session) p.session_secret = creds.secret;
  p.stale_last_use = false;
  return p;
}

StatusOr<Principal> Authenticate(storage::Tx& tx, const Credentials& creds, const AuthConfig& config,
                                 CacheableAuth* cache_entry) {
  if (creds.kind == Credentials::kMalformed) return Invalid();
  const Timestamp now = Now();
  Principal p;
  if (creds.kind == Credentials::kApiKey) {
    ASSIGN_OR_RETURN(auto found, storage::LookupKeyForAuth(tx, ApiKeyId::FromTrusted(creds.id)));
    if (!found || !SecretMatches(creds.secret, found->secret_hash)) return Invalid();
    const ApiKey& key = found->key;
    if (key.revoked_at) return Unauthenticated("this API key was revoked", "credentials_revoked");
    if (key.expires_at && *key.expires_at <= now) return Unauthenticated("this API key has expired", "credentials_expired");
    p.kind = Principal::Kind::kApiKey;
    p.id = key.id.str();
    p.name = key.name;
    p.platform_admin = !key.tenant_id;
    p.key_tenant = key.tenant_id;
    if (key.tenant_id) p.key_role = key.role;
    p.tenant = found->tenant;
    p.stale_last_use = !key.last_used_at || now - *key.last_used_at > kTouchInterval;
    if (cache_entry) *cache_entry = {found->secret_hash, key.expires_at, std::nullopt};
    return p;
  }
  if (creds.kind == Credentials::kSession) {
    ASSIGN_OR_RETURN(auto found, storage::LookupSessionForAuth(tx, SessionId::FromTrusted(creds.id)));
    if (!found || !SecretMatches(creds.secret, found->secret_hash)) return Invalid();
    if (found->revoked) return Unauthenticated("this session has ended; log in again", "session_expired");
    if (found->expires_at <= now || now - found->last_seen_at > config.session_idle_timeout) {
      return Unauthenticated("this session has expired; log in again", "session_expired");
    }
    if (found->user.status != UserStatus::kActive) return Unauthenticated("this user is disabled", "user_disabled");
    p.kind = Principal::Kind::kUser;
    p.id = found->user.id.str();
    p.name = found->user.email;
    p.user = found->user;
    p.member_role = found->role;
    p.tenant = found->tenant;
    p.session = found->id;
    p.session_secret = creds.secret;
    p.via_cookie = true;
    p.stale_last_use = now - found->last_seen_at > kTouchInterval;
    if (cache_entry) *cache_entry = {found->secret_hash, std::nullopt, found->expires_at};
    return p;
  }
  return Unauthenticated("this request needs credentials: an API key (Authorization: Bearer gaon_sk_…) or a "
                         "console session",
                         "unauthenticated");
}

bool RoleAllows(Role role, Permission permission) {
  switch (permission) {
    case Permission::kTenantAny: return IsTenantRole(role);
    case Permission::kTenantRead: return role == Role::kTenantAdmin || role == Role::kTenantMember || role == Role::kTenantViewer;
    case Permission::kTenantWrite: return role == Role::kTenantAdmin || role == Role::kTenantMember;
    case Permission::kTenantAdmin: return role == Role::kTenantAdmin;
    case Permission::kBillingRead: return role == Role::kTenantAdmin || role == Role::kBillingViewer;
    default: return false;
  }
}

Status Authorize(const Route& route, const Principal& principal, const std::optional<TenantId>& tenant,
                 const http::HttpRequest& req) {
  const Permission perm = route.permission;
  if (perm == Permission::kPublic) return Status::Ok();
  if (!principal.authenticated()) return Unauthenticated("this request needs credentials", "unauthenticated");

  if (principal.via_cookie && route.mutating()) {
    const auto token = req.Header(kCsrfHeader);
    if (!token || !ConstantTimeEquals(*token, CsrfToken(principal.session_secret))) {
      return PermissionDenied("cookie-authenticated changes need the X-CSRF-Token header from GET /v1/me",
                              "csrf_failed");
    }
  }
  if (principal.platform_admin && (tenant || route.options.cross_tenant)) {
    const auto reason = req.Header(kOperatorReasonHeader);
    if (!reason || reason->find_first_not_of(" \t") == std::string_view::npos) {
      return PermissionDenied("operators acting on a tenant must state why in the X-Gaon-Operator-Reason header; "
                              "the tenant sees it in its audit log",
                              "operator_reason_required");
    }
  }
  if (perm == Permission::kAuthenticated) return Status::Ok();
  if (perm == Permission::kPlatformAdmin) {
    if (!principal.platform_admin) return PermissionDenied("this route is for platform operators");
    return Status::Ok();
  }
  // Tenant-scoped: a caller who cannot see the tenant gets exactly what a missing tenant gives.
  assert(tenant && "tenant-scoped route without {tenant}");
  const Status not_found = NotFound("tenant " + tenant->str() + " not found");
  if (!principal.tenant.exists) return not_found;
  if (!principal.platform_admin) {
    const auto role = principal.RoleIn(*tenant);
    if (!role) return not_found;
    if (!RoleAllows(*role, perm)) {
      return PermissionDenied("the role " + std::string(ToString(*role)) + " may not " + route.action);
    }
  }
  const bool allowed_suspended =
      route.options.allowed_when_suspended.value_or(route.method == "GET" || route.method == "DELETE");
  if (principal.tenant.status == TenantStatus::kSuspended && !allowed_suspended) {
    return PermissionDenied("tenant " + tenant->str() + " is suspended: it can read and delete but not create or "
                            "start anything",
                            "tenant_suspended");
  }
  return Status::Ok();
}

}  // namespace gaon::api
