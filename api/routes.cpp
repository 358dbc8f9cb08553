// The route table: every route Gaon serves, with the permission it requires and the action
// name its audit events and logs carry. A route cannot be added anywhere else, and
// docs/openapi.yaml must list exactly these (a test checks).
#include "api/app.h"
#include "api/handlers/handlers.h"
#include "api/handlers/system.h"

namespace gaon::api {

void RegisterRoutes(Router& r, const Services& s) {
  using P = Permission;
  using E = Execution;
  const RouteOptions own_tx{.own_transaction = true};
  const RouteOptions not_idempotent{.idempotent = false};
  // clang-format off
  // System.
  r.Add({"GET",    "/healthz",                                  P::kPublic,        "system.health",   HealthzHandler(),   E::kInline});
  r.Add({"GET",    "/readyz",                                   P::kPublic,        "system.ready",    ReadyzHandler(s),   E::kWorker, own_tx});
  r.Add({"GET",    "/metrics",                                  P::kPublic,        "system.metrics",  MetricsHandler(s),  E::kInline});
  r.Add({"GET",    "/v1/openapi.yaml",                          P::kPublic,        "system.openapi",  OpenApiHandler(),   E::kInline});

  // The caller and console sessions.
  r.Add({"POST",   "/v1/sessions",                              P::kPublic,        "sessions.create", Login(s),           E::kWorker, not_idempotent});
  r.Add({"DELETE", "/v1/sessions/current",                      P::kAuthenticated, "sessions.delete", Logout()});
  r.Add({"GET",    "/v1/me",                                    P::kAuthenticated, "me.get",          GetMe()});
  r.Add({"POST",   "/v1/me/password",                           P::kAuthenticated, "me.change_password", ChangePassword(s)});

  // Tenants.
  r.Add({"POST",   "/v1/admin/tenants",                         P::kPlatformAdmin, "tenants.create",  CreateTenant()});
  r.Add({"GET",    "/v1/admin/tenants",                         P::kPlatformAdmin, "tenants.list",    ListTenants()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}:suspend",        P::kPlatformAdmin, "tenants.suspend", SuspendTenant()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}:resume",         P::kPlatformAdmin, "tenants.resume",  ResumeTenant()});
  r.Add({"DELETE", "/v1/admin/tenants/{tenant}",                P::kPlatformAdmin, "tenants.delete",  DeleteTenant()});
  r.Add({"GET",    "/v1/tenants/{tenant}",                      P::kTenantAny,     "tenants.get",     GetTenant()});
  r.Add({"PATCH",  "/v1/tenants/{tenant}",                      P::kTenantAdmin,   "tenants.update",  PatchTenant()});

  // Users and memberships.
  r.Add({"POST",   "/v1/admin/users",                           P::kPlatformAdmin, "users.create",    CreateUser(s)});
  r.Add({"GET",    "/v1/admin/users",                           P::kPlatformAdmin, "users.list",      ListUsers()});
  r.Add({"GET",    "/v1/admin/users/{user}",                    P::kPlatformAdmin, "users.get",       GetUser()});
  r.Add({"POST",   "/v1/admin/users/{user}:disable",            P::kPlatformAdmin, "users.disable",   DisableUser()});
  r.Add({"POST",   "/v1/admin/users/{user}:enable",             P::kPlatformAdmin, "users.enable",    EnableUser()});
  r.Add({"GET",    "/v1/tenants/{tenant}/members",              P::kTenantRead,    "members.list",    ListMembers()});
  r.Add({"POST",   "/v1/tenants/{tenant}/members",              P::kTenantAdmin,   "members.create",  AddMember(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/members/{user}",       P::kTenantRead,    "members.get",     GetMember()});
  r.Add({"PATCH",  "/v1/tenants/{tenant}/members/{user}",       P::kTenantAdmin,   "members.update",  PatchMember()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/members/{user}",       P::kTenantAdmin,   "members.delete",  RemoveMember()});

  // API keys: tenant service keys and operator keys.
  r.Add({"POST",   "/v1/tenants/{tenant}/api-keys",             P::kTenantAdmin,   "api_keys.create", CreateApiKey()});
  r.Add({"GET",    "/v1/tenants/{tenant}/api-keys",             P::kTenantAdmin,   "api_keys.list",   ListApiKeys()});
  r.Add({"GET",    "/v1/tenants/{tenant}/api-keys/{key}",       P::kTenantAdmin,   "api_keys.get",    GetApiKey()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/api-keys/{key}",       P::kTenantAdmin,   "api_keys.revoke", RevokeApiKey()});
  r.Add({"POST",   "/v1/admin/api-keys",                        P::kPlatformAdmin, "operator_keys.create", CreateApiKey()});
  r.Add({"GET",    "/v1/admin/api-keys",                        P::kPlatformAdmin, "operator_keys.list",   ListApiKeys()});
  r.Add({"GET",    "/v1/admin/api-keys/{key}",                  P::kPlatformAdmin, "operator_keys.get",    GetApiKey()});
  r.Add({"DELETE", "/v1/admin/api-keys/{key}",                  P::kPlatformAdmin, "operator_keys.revoke", RevokeApiKey()});

  // Audit.
  r.Add({"GET",    "/v1/tenants/{tenant}/audit-events",         P::kTenantAdmin,   "audit.list",      ListAuditEvents()});
  r.Add({"GET",    "/v1/admin/audit-events",                    P::kPlatformAdmin, "audit.list_platform",   ListAuditEvents()});
  r.Add({"GET",    "/v1/admin/audit-events:verify",             P::kPlatformAdmin, "audit.verify_platform", VerifyAuditChain()});
  r.Add({"GET",    "/v1/admin/tenants/{tenant}/audit-events:verify", P::kPlatformAdmin, "audit.verify", VerifyAuditChain()});
  // clang-format on
}

}  // namespace gaon::api
