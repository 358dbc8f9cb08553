#include "storage/credentials.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

// Columns shared by both key tables; tenant_id is NULL for platform keys.
constexpr const char* kTenantKeyCols =
    "key_id, tenant_id, name, role, expires_at, last_used_at, revoked_at, created_by, created_at, resource_version";
constexpr const char* kPlatformKeyCols =
    "key_id, NULL::text, name, 'platform-admin', expires_at, last_used_at, revoked_at, created_by, created_at, "
    "resource_version";

ApiKey KeyRow(const ResultRow& r) {
  ApiKey k;
  k.id = ApiKeyId::FromTrusted(r[0].c_str());
  if (!r[1].is_null()) k.tenant_id = TenantId::FromTrusted(r[1].c_str());
  k.name = r[2].c_str();
  FromString(r[3].c_str(), &k.role);
  k.expires_at = OptTs(r[4]);
  k.last_used_at = OptTs(r[5]);
  k.revoked_at = OptTs(r[6]);
  k.created_by = r[7].c_str();
  k.created_at = Ts(r[8]);
  k.resource_version = r[9].as<std::int64_t>();
  const auto now = Now();
  k.status = k.revoked_at ? "revoked" : (k.expires_at && *k.expires_at <= now ? "expired" : "active");
  return k;
}

TenantState TenantStateOf(const std::optional<std::string>& status, const std::optional<std::string>& jurisdiction) {
  TenantState s;
  if (!status) return s;
  s.exists = FromString(*status, &s.status) && s.status != TenantStatus::kDeleted;
  s.jurisdiction = jurisdiction.value_or("");
  return s;
}

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"insert_tenant", std::string("INSERT INTO api_keys (tenant_id, key_id, name, role, secret_hash, expires_at, "
                                    "created_by) VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7) RETURNING ") +
                            kTenantKeyCols},
      {"insert_platform", std::string("INSERT INTO platform_api_keys (key_id, name, secret_hash, expires_at, "
                                      "created_by) VALUES ($1, $2, $3, $4::timestamptz, $5) RETURNING ") +
                              kPlatformKeyCols},
      {"get_tenant", std::string("SELECT ") + kTenantKeyCols + " FROM api_keys WHERE tenant_id = $1 AND key_id = $2"},
      {"get_platform", std::string("SELECT ") + kPlatformKeyCols + " FROM platform_api_keys WHERE key_id = $1"},
      {"list_tenant", std::string("SELECT ") + kTenantKeyCols +
                          " FROM api_keys WHERE tenant_id = $1 AND ($2::text IS NULL OR key_id > $2) "
                          "ORDER BY key_id LIMIT $3"},
      {"list_platform", std::string("SELECT ") + kPlatformKeyCols +
                            " FROM platform_api_keys WHERE ($1::text IS NULL OR key_id > $1) ORDER BY key_id LIMIT $2"},
      {"revoke_tenant", std::string("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), updated_at = now(), "
                                    "resource_version = resource_version + (revoked_at IS NULL)::int "
                                    "WHERE tenant_id = $1 AND key_id = $2 RETURNING ") + kTenantKeyCols},
      {"revoke_platform", std::string("UPDATE platform_api_keys SET revoked_at = coalesce(revoked_at, now()), "
                                      "updated_at = now(), resource_version = resource_version + "
                                      "(revoked_at IS NULL)::int WHERE key_id = $1 RETURNING ") + kPlatformKeyCols},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

constexpr Sql kTouchTenantKey{"api_keys.touch",
                              "UPDATE api_keys k SET last_used_at = u.t FROM unnest($1::text[], $2::timestamptz[]) AS "
                              "u(id, t) WHERE k.key_id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.t)"};
constexpr Sql kTouchPlatformKey{"platform_api_keys.touch",
                                "UPDATE platform_api_keys k SET last_used_at = u.t FROM unnest($1::text[], "
                                "$2::timestamptz[]) AS u(id, t) WHERE k.key_id = u.id AND (k.last_used_at IS NULL OR "
                                "k.last_used_at < u.t)"};
constexpr Sql kAuthKey{"api_keys.auth", "SELECT * FROM gaon_authenticate_key($1)"};
constexpr Sql kAuthSession{"sessions.auth", "SELECT * FROM gaon_authenticate_session($1)"};
constexpr Sql kTouchSession{"sessions.touch",
                            "UPDATE sessions s SET last_seen_at = u.t FROM unnest($1::text[], $2::timestamptz[]) AS "
                            "u(id, t) WHERE s.session_id = u.id AND s.last_seen_at < u.t"};
constexpr Sql kPlatformOn{"tx.platform_on", "SELECT set_config('gaon.platform', 'on', true)"};
constexpr Sql kAllowEmail{"tx.allow_email", "SELECT set_config('gaon.auth_email', lower($1), true)"};
constexpr Sql kSetPrincipal{"tx.set_principal", "SELECT set_config('gaon.principal', $1, true)"};
constexpr Sql kInsertSession{"sessions.insert",
                             "INSERT INTO sessions (session_id, user_id, secret_hash, expires_at, source_address, "
                             "user_agent) VALUES ($1, $2, $3, $4::timestamptz, $5, $6)"};
constexpr Sql kRevokeSession{"sessions.revoke",
                             "UPDATE sessions SET revoked_at = coalesce(revoked_at, now()) WHERE session_id = $1"};
constexpr Sql kBlockedUntil{"login_throttle.blocked_until",
                            "SELECT max(blocked_until) FROM login_throttle WHERE subject = ANY($1::text[]) "
                            "AND blocked_until > now()"};
constexpr Sql kRecordFailure{
    "login_throttle.fail",
    "INSERT INTO login_throttle AS t (subject, failures, last_failure_at, blocked_until) VALUES ($1, 1, now(), "
    "CASE WHEN 1 >= $2 THEN now() + make_interval(secs => $3 / 1000.0) END) "
    "ON CONFLICT (subject) DO UPDATE SET failures = t.failures + 1, last_failure_at = now(), blocked_until = "
    "CASE WHEN t.failures + 1 >= $2 THEN now() + make_interval(secs => "
    "least($4::float8, $3 * power(2, t.failures + 1 - $2)) / 1000.0) END"};
constexpr Sql kPurgeFailures{"login_throttle.purge",
                             "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day' AND "
                             "(blocked_until IS NULL OR blocked_until < now())"};
constexpr Sql kClearFailures{"login_throttle.clear", "DELETE FROM login_throttle WHERE subject = $1"};


}  // namespace

StatusOr<ApiKey> InsertApiKey(Tx& tx, const ApiKey& key, const std::string& secret_hash) {
  const auto expires = TsParam(key.expires_at);
  const auto r = key.tenant_id
                     ? Exec(tx, S("api_keys.insert", "insert_tenant"), key.tenant_id->str(), key.id.str(), key.name,
                            std::string(ToString(key.role)), secret_hash, expires, key.created_by)
                     : Exec(tx, S("platform_api_keys.insert", "insert_platform"), key.id.str(), key.name, secret_hash,
                            expires, key.created_by);
  return KeyRow(r[0]);
}

StatusOr<ApiKey> GetApiKey(Tx& tx, const std::optional<TenantId>& tenant, const ApiKeyId& id) {
  const auto r = tenant ? Exec(tx, S("api_keys.get", "get_tenant"), tenant->str(), id.str())
                        : Exec(tx, S("platform_api_keys.get", "get_platform"), id.str());
  if (r.empty()) return NotFound("API key " + id.str() + " not found");
  return KeyRow(r[0]);
}

StatusOr<Page<ApiKey>> ListApiKeys(Tx& tx, const std::optional<TenantId>& tenant, const ListQuery& q) {
  const auto r = tenant ? Exec(tx, S("api_keys.list", "list_tenant"), tenant->str(), q.after, q.page_size + 1)
                        : Exec(tx, S("platform_api_keys.list", "list_platform"), q.after, q.page_size + 1);
  return ToPage<ApiKey>(r, q.page_size, KeyRow, [](const ApiKey& k) { return k.id.str(); });
}

StatusOr<ApiKey> RevokeApiKey(Tx& tx, const std::optional<TenantId>& tenant, const ApiKeyId& id) {
  const auto r = tenant ? Exec(tx, S("api_keys.revoke", "revoke_tenant"), tenant->str(), id.str())
                        : Exec(tx, S("platform_api_keys.revoke", "revoke_platform"), id.str());
  if (r.empty()) return NotFound("API key " + id.str() + " not found");
  return KeyRow(r[0]);
}

StatusOr<std::optional<KeyAuth>> LookupKeyForAuth(Tx& tx, const ApiKeyId& id) {
  const Result result = Exec(tx, kAuthKey, id.str());
  if (result.empty()) return std::optional<KeyAuth>();
  const ResultRow r = result[0];
  KeyAuth k;
  k.key.id = ApiKeyId::FromTrusted(r[0].c_str());
  if (!r[1].is_null()) k.key.tenant_id = TenantId::FromTrusted(r[1].c_str());
  k.key.name = Str(r[2]);
  FromString(Str(r[3]), &k.key.role);
  k.key.expires_at = OptTs(r[4]);
  k.key.last_used_at = OptTs(r[5]);
  k.key.revoked_at = OptTs(r[6]);
  k.key.created_by = Str(r[7]);
  k.key.created_at = Ts(r[8]);
  k.key.resource_version = r[9].as<std::int64_t>();
  k.secret_hash = Str(r[10]);
  k.tenant = TenantStateOf(OptStr(r[11]), OptStr(r[12]));
  return std::optional<KeyAuth>(std::move(k));
}

StatusOr<std::optional<SessionAuth>> LookupSessionForAuth(Tx& tx, const SessionId& id) {
  const Result result = Exec(tx, kAuthSession, id.str());
  if (result.empty()) return std::optional<SessionAuth>();
  const ResultRow r = result[0];
  SessionAuth s;
  s.id = SessionId::FromTrusted(r[0].c_str());
  s.secret_hash = Str(r[1]);
  s.expires_at = Ts(r[2]);
  s.last_seen_at = Ts(r[3]);
  s.revoked = r[4].as<bool>();
  s.user.id = UserId::FromTrusted(r[5].c_str());
  s.user.email = Str(r[6]);
  s.user.display_name = Str(r[7]);
  FromString(Str(r[8]), &s.user.status);
  s.user.created_at = Ts(r[9]);
  s.user.updated_at = Ts(r[10]);
  s.user.resource_version = r[11].as<std::int64_t>();
  if (Role role; !r[12].is_null() && FromString(Str(r[12]), &role)) s.role = role;
  s.tenant = TenantStateOf(OptStr(r[13]), OptStr(r[14]));
  return std::optional<SessionAuth>(std::move(s));
}

Status RecordLastUse(Tx& tx, const std::vector<std::pair<std::string, Timestamp>>& keys,
                     const std::vector<std::pair<std::string, Timestamp>>& sessions) {
  auto split = [](const std::vector<std::pair<std::string, Timestamp>>& items) {
    std::vector<std::string> ids, times;
    for (const auto& [id, t] : items) {
      ids.push_back(id);
      times.push_back(FormatTimestamp(t));
    }
    return std::make_pair(TextArray(ids), TextArray(times));
  };
  if (!keys.empty()) {
    const auto [ids, times] = split(keys);
    Exec(tx, kTouchTenantKey, ids, times);
    Exec(tx, kTouchPlatformKey, ids, times);
  }
  if (!sessions.empty()) {
    const auto [ids, times] = split(sessions);
    Exec(tx, kTouchSession, ids, times);
  }
  return Status::Ok();
}

Status EnablePlatformAccess(Tx& tx) {
  Exec(tx, kPlatformOn);
  return Status::Ok();
}

Status AllowEmailLookup(Tx& tx, const std::string& email) {
  Exec(tx, kAllowEmail, email);
  return Status::Ok();
}

Status SetPrincipal(Tx& tx, const std::string& principal_id) {
  Exec(tx, kSetPrincipal, principal_id);
  return Status::Ok();
}

Status InsertSession(Tx& tx, const NewSession& s) {
  Exec(tx, kInsertSession, s.id.str(), s.user.str(), s.secret_hash, FormatTimestamp(s.expires_at), s.source_address,
       s.user_agent);
  return Status::Ok();
}

Status RevokeSession(Tx& tx, const SessionId& id) {
  Exec(tx, kRevokeSession, id.str());
  return Status::Ok();
}

StatusOr<std::optional<Timestamp>> LoginBlockedUntil(Tx& tx, const std::vector<std::string>& subjects) {
  const auto r = Exec(tx, kBlockedUntil, TextArray(subjects));
  return OptTs(r[0][0]);
}

Status RecordLoginFailure(Tx& tx, const std::string& subject, int free_failures, std::chrono::milliseconds base_delay,
                          std::chrono::milliseconds max_delay) {
  Exec(tx, kRecordFailure, subject, free_failures, static_cast<std::int64_t>(base_delay.count()),
       static_cast<std::int64_t>(max_delay.count()));
  return Status::Ok();
}

StatusOr<std::int64_t> PurgeLoginFailures(Tx& tx) {
  return static_cast<std::int64_t>(Exec(tx, kPurgeFailures).affected_rows());
}

Status ClearLoginFailures(Tx& tx, const std::string& subject) {
  Exec(tx, kClearFailures, subject);
  return Status::Ok();
}

}  // namespace gaon::storage
