// Tenants, users, members, API keys and the audit log.
#include "client/client_impl.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

std::vector<std::string> AdminTenant(const TenantId& tenant, const char* action = nullptr) {
  return {"v1", "admin", "tenants", action ? Action(tenant.str(), action) : tenant.str()};
}

std::vector<std::string> AdminUser(const UserId& user, const char* action = nullptr) {
  return {"v1", "admin", "users", action ? Action(user.str(), action) : user.str()};
}

internal::Query AuditQuery(const AuditFilter& f) {
  return {{"since", f.since ? FormatTimestamp(*f.since) : ""},
          {"until", f.until ? FormatTimestamp(*f.until) : ""},
          {"action", f.action},
          {"principal", f.principal}};
}

// The answer of a key creation. The server keeps the answer without the secret for replays:
// a replay means the first answer (the only one with the secret) was lost.
StatusOr<CreatedApiKey> CreatedKey(const client_internal::ClientImpl& impl, const Call& call) {
  ASSIGN_OR_RETURN(CreatedApiKey created, Fetch<CreatedApiKey>(impl, call));
  if (created.secret.empty()) {
    return FailedPrecondition("API key " + created.key.id.str() +
                                  " was created, but the answer carrying its secret was lost and secrets are shown "
                                  "only once; revoke this key and create another",
                              "secret_lost")
        .WithExtra("key_id", "\"" + created.key.id.str() + "\"");
  }
  return created;
}

}  // namespace

// ---------------------------------------------------------------- tenants

StatusOr<Tenant> Client::CreateTenant(const Tenant& tenant) const {
  return Fetch<Tenant>(*impl_, Post({"v1", "admin", "tenants"}, RequestBody(tenant)));
}

ListRange<Tenant> Client::ListTenants(TenantFilter filter, ListOptions list) const {
  return PagedList<Tenant>(impl_, Get({"v1", "admin", "tenants"}, {{"label_selector", filter.label_selector}}), list);
}

StatusOr<Tenant> Client::GetTenant(const TenantId& tenant) const {
  return Fetch<Tenant>(*impl_, Get(TenantPath(tenant)));
}

StatusOr<Tenant> Client::UpdateTenant(const TenantId& tenant, const TenantPatch& patch,
                                      std::optional<std::int64_t> if_match_version) const {
  return Fetch<Tenant>(*impl_, Patch(TenantPath(tenant), RequestBody(patch), if_match_version));
}

StatusOr<Tenant> Client::SuspendTenant(const TenantId& tenant) const {
  return Fetch<Tenant>(*impl_, Post(AdminTenant(tenant, "suspend")));
}

StatusOr<Tenant> Client::ResumeTenant(const TenantId& tenant) const {
  return Fetch<Tenant>(*impl_, Post(AdminTenant(tenant, "resume")));
}

Status Client::DeleteTenant(const TenantId& tenant) const { return FetchNothing(*impl_, Delete(AdminTenant(tenant))); }

// ---------------------------------------------------------------- users

StatusOr<User> Client::CreateUser(const CreateUserRequest& request) const {
  return Fetch<User>(*impl_, Post({"v1", "admin", "users"}, RequestBody(request)));
}

ListRange<User> Client::ListUsers(ListOptions list) const {
  return PagedList<User>(impl_, Get({"v1", "admin", "users"}), list);
}

StatusOr<User> Client::GetUser(const UserId& user) const { return Fetch<User>(*impl_, Get(AdminUser(user))); }

StatusOr<User> Client::DisableUser(const UserId& user) const {
  return Fetch<User>(*impl_, Post(AdminUser(user, "disable")));
}

StatusOr<User> Client::EnableUser(const UserId& user) const {
  return Fetch<User>(*impl_, Post(AdminUser(user, "enable")));
}

// ---------------------------------------------------------------- members

ListRange<Member> Client::ListMembers(const TenantId& tenant, ListOptions list) const {
  return PagedList<Member>(impl_, Get(TenantPath(tenant, {"members"})), list);
}

StatusOr<AddMemberResponse> Client::AddMember(const TenantId& tenant, const AddMemberRequest& request) const {
  return Fetch<AddMemberResponse>(*impl_, Post(TenantPath(tenant, {"members"}), RequestBody(request)));
}

StatusOr<Member> Client::GetMember(const TenantId& tenant, const UserId& user) const {
  return Fetch<Member>(*impl_, Get(TenantPath(tenant, {"members", user.str()})));
}

StatusOr<Member> Client::UpdateMember(const TenantId& tenant, const UserId& user, const MemberPatch& patch,
                                      std::optional<std::int64_t> if_match_version) const {
  return Fetch<Member>(*impl_, Patch(TenantPath(tenant, {"members", user.str()}), RequestBody(patch), if_match_version));
}

Status Client::RemoveMember(const TenantId& tenant, const UserId& user) const {
  return FetchNothing(*impl_, Delete(TenantPath(tenant, {"members", user.str()})));
}

// ---------------------------------------------------------------- API keys

StatusOr<CreatedApiKey> Client::CreateApiKey(const TenantId& tenant, const ApiKey& key) const {
  return CreatedKey(*impl_, Post(TenantPath(tenant, {"api-keys"}), RequestBody(key)));
}

ListRange<ApiKey> Client::ListApiKeys(const TenantId& tenant, ListOptions list) const {
  return PagedList<ApiKey>(impl_, Get(TenantPath(tenant, {"api-keys"})), list);
}

StatusOr<ApiKey> Client::GetApiKey(const TenantId& tenant, const ApiKeyId& key) const {
  return Fetch<ApiKey>(*impl_, Get(TenantPath(tenant, {"api-keys", key.str()})));
}

StatusOr<ApiKey> Client::RevokeApiKey(const TenantId& tenant, const ApiKeyId& key) const {
  return Fetch<ApiKey>(*impl_, Delete(TenantPath(tenant, {"api-keys", key.str()})));
}

StatusOr<CreatedApiKey> Client::CreateOperatorKey(const ApiKey& key) const {
  return CreatedKey(*impl_, Post({"v1", "admin", "api-keys"}, RequestBody(key)));
}

ListRange<ApiKey> Client::ListOperatorKeys(ListOptions list) const {
  return PagedList<ApiKey>(impl_, Get({"v1", "admin", "api-keys"}), list);
}

StatusOr<ApiKey> Client::GetOperatorKey(const ApiKeyId& key) const {
  return Fetch<ApiKey>(*impl_, Get({"v1", "admin", "api-keys", key.str()}));
}

StatusOr<ApiKey> Client::RevokeOperatorKey(const ApiKeyId& key) const {
  return Fetch<ApiKey>(*impl_, Delete({"v1", "admin", "api-keys", key.str()}));
}

// ---------------------------------------------------------------- audit

ListRange<AuditEvent> Client::ListAuditEvents(const TenantId& tenant, AuditFilter filter, ListOptions list) const {
  return PagedList<AuditEvent>(impl_, Get(TenantPath(tenant, {"audit-events"}), AuditQuery(filter)), list);
}

ListRange<AuditEvent> Client::ListPlatformAuditEvents(AuditFilter filter, ListOptions list) const {
  return PagedList<AuditEvent>(impl_, Get({"v1", "admin", "audit-events"}, AuditQuery(filter)), list);
}

StatusOr<AuditVerification> Client::VerifyAuditChain(const TenantId& tenant) const {
  return Fetch<AuditVerification>(*impl_,
                                  Get({"v1", "admin", "tenants", tenant.str(), Action("audit-events", "verify")}));
}

StatusOr<AuditVerification> Client::VerifyPlatformAuditChain() const {
  return Fetch<AuditVerification>(*impl_, Get({"v1", "admin", Action("audit-events", "verify")}));
}

}  // namespace gaon
