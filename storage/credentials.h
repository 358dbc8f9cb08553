// Credentials repository: API keys (tenant service keys and platform operator keys), console
// sessions, the lookups that authenticate them, and login throttling.
//
// Secrets are never stored: keys and sessions keep the SHA-256 of their secret, and callers
// compare it in constant time. Authentication lookups work before any tenant is known through
// the gaon.auth_credential setting, which makes exactly one key or session row visible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gaon/model/tenancy.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// ---- API keys. `tenant` empty means a platform (operator) key.
StatusOr<ApiKey> InsertApiKey(Tx& tx, const ApiKey& key, const std::string& secret_hash);
StatusOr<ApiKey> GetApiKey(Tx& tx, const std::optional<TenantId>& tenant, const ApiKeyId& id);
StatusOr<Page<ApiKey>> ListApiKeys(Tx& tx, const std::optional<TenantId>& tenant, const ListQuery& q);
// Idempotent: revoking a revoked key returns it unchanged.
StatusOr<ApiKey> RevokeApiKey(Tx& tx, const std::optional<TenantId>& tenant, const ApiKeyId& id);

// What authenticating a request needs to know, read in one statement.
struct TenantState {
  bool exists = false;  // the transaction's tenant (gaon.tenant_id) exists and is not deleted
  TenantStatus status = TenantStatus::kActive;
  std::string jurisdiction;
};

struct KeyAuth {
  ApiKey key;
  std::string secret_hash;
  TenantState tenant;
};
// Needs gaon.auth_credential = id. Sets gaon.principal to the key id when it finds the key.
// As a transaction's first statement it shares the round trip of BEGIN.
StatusOr<std::optional<KeyAuth>> LookupKeyForAuth(Tx& tx, const ApiKeyId& id);

struct SessionAuth {
  SessionId id;
  User user;
  std::string secret_hash;
  Timestamp expires_at{};
  Timestamp last_seen_at{};
  bool revoked = false;
  std::optional<Role> role;  // the user's role in the transaction's tenant
  TenantState tenant;
};
// Needs gaon.auth_credential = id. Sets gaon.principal to the user id when it finds the session.
StatusOr<std::optional<SessionAuth>> LookupSessionForAuth(Tx& tx, const SessionId& id);

// Writes last-use times collected in memory: keys' last_used_at and sessions' last_seen_at,
// never moving one backwards (platform access).
Status RecordLastUse(Tx& tx, const std::vector<std::pair<std::string, Timestamp>>& keys,
                     const std::vector<std::pair<std::string, Timestamp>>& sessions);

// Makes the rest of the transaction operator-wide (gaon.platform = on). Only after the caller
// authenticated as an operator.
Status EnablePlatformAccess(Tx& tx);
// Makes the user with this email visible to the rest of the transaction (logins, adding a
// member by email).
Status AllowEmailLookup(Tx& tx, const std::string& email);
// Sets gaon.principal (after a successful login).
Status SetPrincipal(Tx& tx, const std::string& principal_id);

struct NewSession {
  SessionId id;
  UserId user;
  std::string secret_hash;
  Timestamp expires_at{};
  std::string source_address, user_agent;
};
Status InsertSession(Tx& tx, const NewSession& s);
Status RevokeSession(Tx& tx, const SessionId& id);

// ---- login throttling. Subjects are "email:<sha256>" and "addr:<ip>".
// The latest time any of `subjects` is blocked until, if in the future.
StatusOr<std::optional<Timestamp>> LoginBlockedUntil(Tx& tx, const std::vector<std::string>& subjects);
// Counts a failure; from the `free_failures`-th on, blocks the subject for
// base_delay × 2^(failures − free_failures), at most max_delay.
Status RecordLoginFailure(Tx& tx, const std::string& subject, int free_failures, std::chrono::milliseconds base_delay,
                          std::chrono::milliseconds max_delay);
Status ClearLoginFailures(Tx& tx, const std::string& subject);
// Forgets failures that block nothing any more and are older than a day (platform access).
StatusOr<std::int64_t> PurgeLoginFailures(Tx& tx);

}  // namespace gaon::storage
