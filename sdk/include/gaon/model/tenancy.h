// Wire types for tenancy and access: tenants, users, memberships, API keys, sessions, the
// caller's identity, audit events, and the list envelope. Shared by gaond and the SDK.
// Field lists (Fields()) drive the JSON codecs in json_io.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaon/ids.h"
#include "gaon/model/json_io.h"
#include "gaon/time.h"

namespace gaon {

#define GAON_WIRE_ENUM(Name)                          \
  std::string_view ToString(Name v);                  \
  bool FromString(std::string_view s, Name* out)

enum class TenantStatus { kActive, kSuspended, kDeleted };
GAON_WIRE_ENUM(TenantStatus);

// Roles: platform-admin for operators; the four tenant roles for members and service keys.
enum class Role { kPlatformAdmin, kTenantAdmin, kTenantMember, kTenantViewer, kBillingViewer };
GAON_WIRE_ENUM(Role);
bool IsTenantRole(Role r);

enum class UserStatus { kActive, kDisabled };
GAON_WIRE_ENUM(UserStatus);

struct Tenant {
  TenantId id;
  std::string name;          // unique, DNS-label style: lowercase letters, digits, '-'
  std::string display_name;
  std::string jurisdiction;  // ISO 3166-1 alpha-2: where data and workloads must stay
  std::string billing_currency;  // ISO 4217
  std::string billing_email;
  TenantStatus status = TenantStatus::kActive;
  Labels labels;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::int64_t resource_version = 0;

  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("name", name, Field::kRequired);
    v("display_name", display_name);
    v("jurisdiction", jurisdiction, Field::kRequired);
    v("billing_currency", billing_currency, Field::kRequired);
    v("billing_email", billing_email, Field::kRequired);
    v("status", status, Field::kOutputOnly);
    v("labels", labels);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// PATCH /v1/tenants/{tenant}: JSON merge patch. Absent fields are unchanged; a label set to
// null is removed. jurisdiction and billing_currency may only be changed by operators.
struct TenantPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> billing_email;
  std::optional<std::string> jurisdiction;
  std::optional<std::string> billing_currency;
  std::optional<boost::json::object> labels;  // values: string to set, null to remove

  template <class V>
  void Fields(V& v) {
    v("display_name", display_name);
    v("billing_email", billing_email);
    v("jurisdiction", jurisdiction);
    v("billing_currency", billing_currency);
    v("labels", labels);
  }
};

struct User {
  UserId id;
  std::string email;
  std::string display_name;
  UserStatus status = UserStatus::kActive;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::int64_t resource_version = 0;

  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("email", email, Field::kRequired);
    v("display_name", display_name);
    v("status", status, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// POST /v1/admin/users
struct CreateUserRequest {
  std::string email;
  std::string display_name;
  std::string password;
  template <class V>
  void Fields(V& v) {
    v("email", email, Field::kRequired);
    v("display_name", display_name);
    v("password", password, Field::kRequired);
  }
};

// A user's membership in a tenant, as tenant admins see it.
struct Member {
  TenantId tenant_id;
  UserId user_id;
  std::string email;
  std::string display_name;
  Role role = Role::kTenantViewer;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::int64_t resource_version = 0;

  template <class V>
  void Fields(V& v) {
    v("tenant_id", tenant_id, Field::kOutputOnly);
    v("user_id", user_id, Field::kOutputOnly);
    v("email", email, Field::kRequired);
    v("display_name", display_name);
    v("role", role, Field::kRequired);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// POST /v1/tenants/{tenant}/members: adds a user by email. When no user has that email, one
// is created and its initial password is returned once.
struct AddMemberRequest {
  std::string email;
  Role role = Role::kTenantViewer;
  std::string display_name;
  template <class V>
  void Fields(V& v) {
    v("email", email, Field::kRequired);
    v("role", role, Field::kRequired);
    v("display_name", display_name);
  }
};

struct AddMemberResponse {
  Member member;
  std::optional<std::string> initial_password;  // only when the user was created
  template <class V>
  void Fields(V& v) {
    v("member", member);
    v("initial_password", initial_password);
  }
};

// PATCH /v1/tenants/{tenant}/members/{user}
struct MemberPatch {
  std::optional<Role> role;
  template <class V>
  void Fields(V& v) {
    v("role", role);
  }
};

struct ApiKey {
  ApiKeyId id;
  std::optional<TenantId> tenant_id;  // absent for operator (platform) keys
  std::string name;
  Role role = Role::kTenantViewer;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> last_used_at;
  std::optional<Timestamp> revoked_at;
  std::string status;  // active | expired | revoked (derived)
  std::string created_by;
  Timestamp created_at{};
  std::int64_t resource_version = 0;

  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("tenant_id", tenant_id, Field::kOutputOnly);
    v("name", name, Field::kRequired);
    v("role", role, Field::kRequired);
    v("expires_at", expires_at);
    v("last_used_at", last_used_at, Field::kOutputOnly);
    v("revoked_at", revoked_at, Field::kOutputOnly);
    v("status", status, Field::kOutputOnly);
    v("created_by", created_by, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// The answer to creating a key: the key and, this once, its secret.
struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // "gaon_sk_…": shown exactly once, never stored
  template <class V>
  void Fields(V& v) {
    v("key", key);
    v("secret", secret);
  }
};

struct LoginRequest {
  std::string email;
  std::string password;
  template <class V>
  void Fields(V& v) {
    v("email", email, Field::kRequired);
    v("password", password, Field::kRequired);
  }
};

struct ChangePasswordRequest {
  std::string current_password;
  std::string new_password;
  template <class V>
  void Fields(V& v) {
    v("current_password", current_password, Field::kRequired);
    v("new_password", new_password, Field::kRequired);
  }
};

struct MembershipRef {
  TenantId tenant_id;
  std::string tenant_name;
  Role role = Role::kTenantViewer;
  template <class V>
  void Fields(V& v) {
    v("tenant_id", tenant_id);
    v("tenant_name", tenant_name);
    v("role", role);
  }
};

// GET /v1/me and the answer to POST /v1/sessions.
struct Me {
  std::string principal_type;  // "user" | "api_key"
  std::string principal_id;
  std::string name;
  std::optional<User> user;
  std::optional<Role> role;                 // for API keys: the key's role
  std::optional<TenantId> tenant_id;        // for tenant API keys
  std::vector<MembershipRef> memberships;   // for users
  bool platform_admin = false;
  std::optional<std::string> session_id;
  std::optional<Timestamp> session_expires_at;
  std::optional<std::string> csrf_token;    // for cookie sessions: send as X-CSRF-Token
  template <class V>
  void Fields(V& v) {
    v("principal_type", principal_type);
    v("principal_id", principal_id);
    v("name", name);
    v("user", user);
    v("role", role);
    v("tenant_id", tenant_id);
    v("memberships", memberships);
    v("platform_admin", platform_admin);
    v("session_id", session_id);
    v("session_expires_at", session_expires_at);
    v("csrf_token", csrf_token);
  }
};

struct AuditPrincipal {
  std::string type;  // user | api_key | anonymous | system
  std::string id;
  std::string name;
  template <class V>
  void Fields(V& v) {
    v("type", type);
    v("id", id);
    v("name", name);
  }
};

struct AuditEvent {
  AuditEventId id;
  std::string tenant_id;  // a tenant id, or "platform" for platform-level events
  std::int64_t seq = 0;   // position in the tenant's chain, from 1, without gaps
  Timestamp time{};
  AuditPrincipal principal;
  std::optional<std::string> operator_reason;  // set when an operator acted on a tenant
  std::string action;                          // "api_keys.create"
  std::string resource_type;
  std::string resource_id;
  std::string request_id;
  std::string source_address;
  std::string user_agent;
  std::string outcome;  // success | failure | denied
  int status = 0;       // the HTTP status answered
  boost::json::value changes;  // fields changed (never secrets); null when none
  std::string prev_hash;
  std::string hash;
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("tenant_id", tenant_id);
    v("seq", seq);
    v("time", time);
    v("principal", principal);
    v("operator_reason", operator_reason);
    v("action", action);
    v("resource_type", resource_type);
    v("resource_id", resource_id);
    v("request_id", request_id);
    v("source_address", source_address);
    v("user_agent", user_agent);
    v("outcome", outcome);
    v("status", status);
    v("changes", changes);
    v("prev_hash", prev_hash);
    v("hash", hash);
  }
};

struct AuditBreak {
  std::int64_t seq = 0;
  std::string event_id;
  std::string reason;  // "hash_mismatch" | "prev_hash_mismatch" | "sequence_gap"
  template <class V>
  void Fields(V& v) {
    v("seq", seq);
    v("event_id", event_id);
    v("reason", reason);
  }
};

struct AuditVerification {
  std::string tenant_id;
  bool intact = true;
  std::int64_t events_checked = 0;
  std::optional<AuditBreak> first_broken;
  template <class V>
  void Fields(V& v) {
    v("tenant_id", tenant_id);
    v("intact", intact);
    v("events_checked", events_checked);
    v("first_broken", first_broken);
  }
};

}  // namespace gaon
