// Users and memberships repository. Users are global identities; memberships give a user a
// role in one tenant. Runs inside the caller's transaction; row-level security applies.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gaon/model/tenancy.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// AlreadyExists("email_taken") when another user has the address (case-insensitive).
StatusOr<User> InsertUser(Tx& tx, const User& u, const std::string& password_hash);
StatusOr<User> GetUser(Tx& tx, const UserId& id);
struct UserCredentials {
  User user;
  std::string password_hash;
};
// The user with this email, if the transaction may see it (platform access, or
// gaon.auth_email set to lower(email)).
StatusOr<std::optional<UserCredentials>> FindUserByEmail(Tx& tx, const std::string& email);
StatusOr<UserCredentials> GetUserCredentials(Tx& tx, const UserId& id);
StatusOr<Page<User>> ListUsers(Tx& tx, const ListQuery& q);
// Sets a new password hash and revokes every session of the user.
Status SetPassword(Tx& tx, const UserId& id, const std::string& password_hash);
StatusOr<User> SetUserStatus(Tx& tx, const UserId& id, UserStatus status);

// AlreadyExists("already_member").
StatusOr<Member> InsertMembership(Tx& tx, const TenantId& tenant, const UserId& user, Role role);
StatusOr<Member> GetMember(Tx& tx, const TenantId& tenant, const UserId& user);
StatusOr<Page<Member>> ListMembers(Tx& tx, const TenantId& tenant, const ListQuery& q);
// FailedPrecondition("precondition_failed") on a version mismatch.
StatusOr<Member> UpdateMemberRole(Tx& tx, const TenantId& tenant, const UserId& user, Role role,
                                  std::optional<std::int64_t> expected_version);
Status DeleteMember(Tx& tx, const TenantId& tenant, const UserId& user);
// Tenant admins other than `except`.
StatusOr<int> CountOtherAdmins(Tx& tx, const TenantId& tenant, const UserId& except);
// The memberships of the authenticated user (gaon.principal), with tenant names.
StatusOr<std::vector<MembershipRef>> MembershipsOfPrincipal(Tx& tx, const UserId& user);

}  // namespace gaon::storage
