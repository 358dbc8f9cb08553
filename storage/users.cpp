#include "storage/users.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kUserColumns = "user_id, email, display_name, status, created_at, updated_at, resource_version";

User UserRow(const ResultRow& r, int o = 0) {
  User u;
  u.id = UserId::FromTrusted(r[o].c_str());
  u.email = r[o + 1].c_str();
  u.display_name = r[o + 2].c_str();
  FromString(r[o + 3].c_str(), &u.status);
  u.created_at = Ts(r[o + 4]);
  u.updated_at = Ts(r[o + 5]);
  u.resource_version = r[o + 6].as<std::int64_t>();
  return u;
}

constexpr const char* kMemberSelect =
    "SELECT m.tenant_id, m.user_id, u.email, u.display_name, m.role, m.created_at, m.updated_at, "
    "m.resource_version FROM memberships m JOIN users u ON u.user_id = m.user_id";

Member MemberRow(const ResultRow& r) {
  Member m;
  m.tenant_id = TenantId::FromTrusted(r[0].c_str());
  m.user_id = UserId::FromTrusted(r[1].c_str());
  m.email = r[2].c_str();
  m.display_name = r[3].c_str();
  FromString(r[4].c_str(), &m.role);
  m.created_at = Ts(r[5]);
  m.updated_at = Ts(r[6]);
  m.resource_version = r[7].as<std::int64_t>();
  return m;
}

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"insert_user", std::string("INSERT INTO users (user_id, email, display_name, password_hash) "
                                  "VALUES ($1, $2, $3, $4) RETURNING ") + kUserColumns},
      {"get_user", std::string("SELECT ") + kUserColumns + " FROM users WHERE user_id = $1"},
      {"user_by_email", std::string("SELECT ") + kUserColumns + ", password_hash FROM users WHERE lower(email) = lower($1)"},
      {"user_creds", std::string("SELECT ") + kUserColumns + ", password_hash FROM users WHERE user_id = $1"},
      {"list_users", std::string("SELECT ") + kUserColumns +
                         " FROM users WHERE ($1::text IS NULL OR user_id > $1) ORDER BY user_id LIMIT $2"},
      {"set_status", std::string("UPDATE users SET status = $2, updated_at = now(), resource_version = "
                                 "resource_version + 1 WHERE user_id = $1 RETURNING ") + kUserColumns},
      {"get_member", std::string(kMemberSelect) + " WHERE m.tenant_id = $1 AND m.user_id = $2"},
      {"list_members", std::string(kMemberSelect) +
                           " WHERE m.tenant_id = $1 AND ($2::text IS NULL OR m.user_id > $2) ORDER BY m.user_id LIMIT $3"},
  };
  return t.at(key);
}

constexpr Sql kSetPassword{"users.set_password",
                           "UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now(), "
                           "resource_version = resource_version + 1 WHERE user_id = $1"};
constexpr Sql kRevokeSessions{"users.revoke_sessions",
                              "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"};
constexpr Sql kInsertMember{"memberships.insert",
                            "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)"};
constexpr Sql kUpdateMember{"memberships.update",
                            "UPDATE memberships SET role = $3, updated_at = now(), resource_version = "
                            "resource_version + 1 WHERE tenant_id = $1 AND user_id = $2 AND "
                            "($4::bigint IS NULL OR resource_version = $4)"};
constexpr Sql kDeleteMember{"memberships.delete", "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2"};
constexpr Sql kCountAdmins{"memberships.count_admins",
                           "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'tenant-admin' "
                           "AND user_id <> $2"};
constexpr Sql kMembershipsOf{"memberships.of_user",
                             "SELECT m.tenant_id, t.name, m.role FROM memberships m JOIN tenants t ON "
                             "t.tenant_id = m.tenant_id WHERE m.user_id = $1 AND t.status <> 'deleted' "
                             "ORDER BY t.name"};

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

}  // namespace

StatusOr<User> InsertUser(Tx& tx, const User& u, const std::string& password_hash) {
  try {
    return UserRow(Exec(tx, S("users.insert", "insert_user"), u.id.str(), u.email, u.display_name, password_hash)[0]);
  } catch (const UniqueViolation&) {
    return AlreadyExists("a user with email " + u.email + " already exists", "email_taken");
  }
}

StatusOr<User> GetUser(Tx& tx, const UserId& id) {
  const auto r = Exec(tx, S("users.get", "get_user"), id.str());
  if (r.empty()) return NotFound("user " + id.str() + " not found");
  return UserRow(r[0]);
}

StatusOr<std::optional<UserCredentials>> FindUserByEmail(Tx& tx, const std::string& email) {
  const auto r = Exec(tx, S("users.by_email", "user_by_email"), email);
  if (r.empty()) return std::optional<UserCredentials>();
  return std::optional<UserCredentials>(UserCredentials{UserRow(r[0]), r[0][7].c_str()});
}

StatusOr<UserCredentials> GetUserCredentials(Tx& tx, const UserId& id) {
  const auto r = Exec(tx, S("users.credentials", "user_creds"), id.str());
  if (r.empty()) return NotFound("user " + id.str() + " not found");
  return UserCredentials{UserRow(r[0]), r[0][7].c_str()};
}

StatusOr<Page<User>> ListUsers(Tx& tx, const ListQuery& q) {
  return ToPage<User>(Exec(tx, S("users.list", "list_users"), q.after, q.page_size + 1), q.page_size,
                      [](const ResultRow& r) { return UserRow(r); }, [](const User& u) { return u.id.str(); });
}

Status SetPassword(Tx& tx, const UserId& id, const std::string& password_hash) {
  if (Exec(tx, kSetPassword, id.str(), password_hash).affected_rows() == 0) {
    return NotFound("user " + id.str() + " not found");
  }
  Exec(tx, kRevokeSessions, id.str());
  return Status::Ok();
}

StatusOr<User> SetUserStatus(Tx& tx, const UserId& id, UserStatus status) {
  const auto r = Exec(tx, S("users.set_status", "set_status"), id.str(), std::string(ToString(status)));
  if (r.empty()) return NotFound("user " + id.str() + " not found");
  if (status == UserStatus::kDisabled) Exec(tx, kRevokeSessions, id.str());
  return UserRow(r[0]);
}

StatusOr<Member> InsertMembership(Tx& tx, const TenantId& tenant, const UserId& user, Role role) {
  try {
    Exec(tx, kInsertMember, tenant.str(), user.str(), std::string(ToString(role)));
  } catch (const UniqueViolation&) {
    return AlreadyExists("the user is already a member of " + tenant.str(), "already_member");
  }
  return GetMember(tx, tenant, user);
}

StatusOr<Member> GetMember(Tx& tx, const TenantId& tenant, const UserId& user) {
  const auto r = Exec(tx, S("memberships.get", "get_member"), tenant.str(), user.str());
  if (r.empty()) return NotFound("member " + user.str() + " not found");
  return MemberRow(r[0]);
}

StatusOr<Page<Member>> ListMembers(Tx& tx, const TenantId& tenant, const ListQuery& q) {
  return ToPage<Member>(Exec(tx, S("memberships.list", "list_members"), tenant.str(), q.after, q.page_size + 1),
                        q.page_size, MemberRow, [](const Member& m) { return m.user_id.str(); });
}

StatusOr<Member> UpdateMemberRole(Tx& tx, const TenantId& tenant, const UserId& user, Role role,
                                  std::optional<std::int64_t> expected_version) {
  if (Exec(tx, kUpdateMember, tenant.str(), user.str(), std::string(ToString(role)), expected_version)
          .affected_rows() == 0) {
    RETURN_IF_ERROR(GetMember(tx, tenant, user).status());
    return FailedPrecondition("the membership changed since the version you sent", "precondition_failed");
  }
  return GetMember(tx, tenant, user);
}

Status DeleteMember(Tx& tx, const TenantId& tenant, const UserId& user) {
  if (Exec(tx, kDeleteMember, tenant.str(), user.str()).affected_rows() == 0) {
    return NotFound("member " + user.str() + " not found");
  }
  return Status::Ok();
}

StatusOr<int> CountOtherAdmins(Tx& tx, const TenantId& tenant, const UserId& except) {
  return Exec(tx, kCountAdmins, tenant.str(), except.str())[0][0].as<int>();
}

StatusOr<std::vector<MembershipRef>> MembershipsOfPrincipal(Tx& tx, const UserId& user) {
  std::vector<MembershipRef> out;
  for (const auto& row : Exec(tx, kMembershipsOf, user.str())) {
    MembershipRef m;
    m.tenant_id = TenantId::FromTrusted(row[0].c_str());
    m.tenant_name = row[1].c_str();
    FromString(row[2].c_str(), &m.role);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace gaon::storage
