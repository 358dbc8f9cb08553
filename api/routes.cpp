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
  const RouteOptions cross_tenant{.cross_tenant = true};
  // clang-format off
  // System.
  r.Add({"GET",    "/healthz",                                  P::kPublic,        "system.health",   HealthzHandler(),   E::kInline});
  r.Add({"GET",    "/readyz",                                   P::kPublic,        "system.ready",    ReadyzHandler(s),   E::kWorker, own_tx});
  r.Add({"GET",    "/metrics",                                  P::kPublic,        "system.metrics",  MetricsHandler(s),  E::kInline});
  r.Add({"GET",    "/v1/openapi.yaml",                          P::kPublic,        "system.openapi",  OpenApiHandler(),   E::kInline});
  if (!s.serve_api) return;

  // The caller and console sessions.
  r.Add({"POST",   "/v1/sessions",                              P::kPublic,        "sessions.create", Login(s),           E::kWorker, not_idempotent});
  r.Add({"DELETE", "/v1/sessions/current",                      P::kAuthenticated, "sessions.delete", Logout()});
  r.Add({"GET",    "/v1/me",                                    P::kAuthenticated, "me.get",          GetMe()});
  r.Add({"POST",   "/v1/me/password",                           P::kAuthenticated, "me.change_password", ChangePassword(s)});

  // Tenants.
  r.Add({"POST",   "/v1/admin/tenants",                         P::kPlatformAdmin, "tenants.create",  CreateTenant(s)});
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

  // The region and its catalog.
  r.Add({"GET",    "/v1/regions",                               P::kAuthenticated, "catalog.regions",        ListRegions()});
  r.Add({"GET",    "/v1/gpu-types",                             P::kAuthenticated, "catalog.gpu_types",      ListGpuTypes()});
  r.Add({"GET",    "/v1/instance-types",                        P::kAuthenticated, "catalog.instance_types", ListInstanceTypes()});
  r.Add({"GET",    "/v1/instance-types/{instance_type}",        P::kAuthenticated, "catalog.instance_type",  GetInstanceType()});
  r.Add({"GET",    "/v1/images",                                P::kAuthenticated, "catalog.images",         ListImages()});

  // SSH keys.
  r.Add({"POST",   "/v1/tenants/{tenant}/ssh-keys",             P::kTenantWrite,   "ssh_keys.create",  CreateSshKey()});
  r.Add({"GET",    "/v1/tenants/{tenant}/ssh-keys",             P::kTenantRead,    "ssh_keys.list",    ListSshKeys()});
  r.Add({"GET",    "/v1/tenants/{tenant}/ssh-keys/{ssh_key}",   P::kTenantRead,    "ssh_keys.get",     GetSshKey()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/ssh-keys/{ssh_key}",   P::kTenantWrite,   "ssh_keys.delete",  DeleteSshKey()});

  // Winding down stays possible for a suspended tenant: stopping and deleting what runs (and
  // costs), withdrawing a request.
  const RouteOptions winds_down{.allowed_when_suspended = true};

  // Quotas and quota requests.
  r.Add({"GET",    "/v1/tenants/{tenant}/quotas",               P::kTenantAny,     "quotas.list",      ListQuotas()});
  r.Add({"PUT",    "/v1/admin/tenants/{tenant}/quotas",         P::kPlatformAdmin, "quotas.set",       SetQuotas()});
  r.Add({"POST",   "/v1/tenants/{tenant}/quota-requests",       P::kTenantAdmin,   "quota_requests.create", CreateQuotaRequest()});
  r.Add({"GET",    "/v1/tenants/{tenant}/quota-requests",       P::kTenantRead,    "quota_requests.list",   ListQuotaRequests()});
  r.Add({"GET",    "/v1/tenants/{tenant}/quota-requests/{request}", P::kTenantRead, "quota_requests.get",  GetQuotaRequest()});
  r.Add({"POST",   "/v1/tenants/{tenant}/quota-requests/{request}:cancel", P::kTenantAdmin, "quota_requests.cancel", CancelQuotaRequest(), E::kWorker, winds_down});
  r.Add({"GET",    "/v1/admin/quota-requests",                  P::kPlatformAdmin, "quota_requests.list_all", ListQuotaRequests(), E::kWorker, cross_tenant});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/quota-requests/{request}:approve", P::kPlatformAdmin, "quota_requests.approve", ApproveQuotaRequest()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/quota-requests/{request}:deny",    P::kPlatformAdmin, "quota_requests.deny",    DenyQuotaRequest()});

  // GPU instances.
  r.Add({"POST",   "/v1/tenants/{tenant}/instances",                       P::kTenantWrite, "instances.create", CreateInstance(s), E::kWorker, {.group_commit = true}});
  r.Add({"POST",   "/v1/tenants/{tenant}/instances:bulkCreate",            P::kTenantWrite, "instances.bulk_create", BulkCreateInstances(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/instances",                       P::kTenantRead,  "instances.list",   ListInstances()});
  r.Add({"GET",    "/v1/tenants/{tenant}/instances/{instance}",            P::kTenantRead,  "instances.get",    GetInstance()});
  r.Add({"PATCH",  "/v1/tenants/{tenant}/instances/{instance}",            P::kTenantWrite, "instances.update", PatchInstance()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/instances/{instance}",            P::kTenantWrite, "instances.delete", DeleteInstance()});
  r.Add({"POST",   "/v1/tenants/{tenant}/instances/{instance}:stop",       P::kTenantWrite, "instances.stop",   StopInstance(), E::kWorker, winds_down});
  r.Add({"POST",   "/v1/tenants/{tenant}/instances/{instance}:start",      P::kTenantWrite, "instances.start",  StartInstance()});
  r.Add({"POST",   "/v1/tenants/{tenant}/instances/{instance}:reboot",     P::kTenantWrite, "instances.reboot", RebootInstance()});
  r.Add({"GET",    "/v1/tenants/{tenant}/instances/{instance}/events",     P::kTenantRead,  "instances.events", ListInstanceEvents()});

  // The fleet (operators). Handlers record intent; the controllers act on it.
  r.Add({"GET",    "/v1/admin/nodes",                           P::kPlatformAdmin, "nodes.list",     ListNodes()});
  r.Add({"GET",    "/v1/admin/nodes/{node}",                    P::kPlatformAdmin, "nodes.get",      GetNode()});
  r.Add({"POST",   "/v1/admin/nodes/{node}:cordon",             P::kPlatformAdmin, "nodes.cordon",   CordonNode()});
  r.Add({"POST",   "/v1/admin/nodes/{node}:uncordon",           P::kPlatformAdmin, "nodes.uncordon", UncordonNode()});
  r.Add({"POST",   "/v1/admin/nodes/{node}:drain",              P::kPlatformAdmin, "nodes.drain",    DrainNode()});
  r.Add({"POST",   "/v1/admin/sim/nodes/{node}:fail",           P::kPlatformAdmin, "sim.fail_node",    SimFailNode()});
  r.Add({"POST",   "/v1/admin/sim/nodes/{node}:recover",        P::kPlatformAdmin, "sim.recover_node", SimRecoverNode()});

  // Open models: the catalog (operators edit it) and tenants' own.
  r.Add({"GET",    "/v1/models",                                P::kAuthenticated, "models.list",       ListModels()});
  r.Add({"GET",    "/v1/models/{model}",                        P::kAuthenticated, "models.get",        GetModel()});
  r.Add({"POST",   "/v1/admin/models",                          P::kPlatformAdmin, "models.create",     CreateModel()});
  r.Add({"PATCH",  "/v1/admin/models/{model}",                  P::kPlatformAdmin, "models.update",     PatchModel()});
  r.Add({"POST",   "/v1/tenants/{tenant}/models",               P::kTenantWrite,   "custom_models.create", CreateCustomModel(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/models",               P::kTenantRead,    "custom_models.list",   ListCustomModels()});
  r.Add({"GET",    "/v1/tenants/{tenant}/models/{model}",       P::kTenantRead,    "custom_models.get",    GetCustomModel()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/models/{model}",       P::kTenantWrite,   "custom_models.delete", DeleteCustomModel()});

  // Inference endpoints, and the OpenAI-compatible data plane at each endpoint's URL (metered
  // as usage events, not audited; a chat completion is not replayable, so no Idempotency-Key).
  const RouteOptions data_plane{.idempotent = false, .audited = false};
  r.Add({"POST",   "/v1/tenants/{tenant}/endpoints",                       P::kTenantWrite, "endpoints.create",    CreateEndpoint(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/endpoints",                       P::kTenantRead,  "endpoints.list",      ListEndpoints(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/endpoints/{endpoint}",            P::kTenantRead,  "endpoints.get",       GetEndpoint(s)});
  r.Add({"PATCH",  "/v1/tenants/{tenant}/endpoints/{endpoint}",            P::kTenantWrite, "endpoints.update",    PatchEndpoint(s)});
  r.Add({"DELETE", "/v1/tenants/{tenant}/endpoints/{endpoint}",            P::kTenantWrite, "endpoints.delete",    DeleteEndpoint(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/endpoints/{endpoint}/revisions",  P::kTenantRead,  "endpoints.revisions", ListEndpointRevisions()});
  r.Add({"GET",    "/v1/tenants/{tenant}/endpoints/{endpoint}/replicas",   P::kTenantRead,  "endpoints.replicas",  ListEndpointReplicas()});
  r.Add({"POST",   "/v1/tenants/{tenant}/endpoints/{endpoint}/v1/chat/completions", P::kTenantWrite, "endpoints.chat", ChatCompletions(), E::kWorker, data_plane});
  r.Add({"PUT",    "/v1/admin/sim/endpoints/{endpoint}",           P::kPlatformAdmin, "sim.set_traffic",   SetSimEndpointTraffic()});
  r.Add({"DELETE", "/v1/admin/sim/endpoints/{endpoint}",           P::kPlatformAdmin, "sim.clear_traffic", ClearSimEndpointTraffic()});

  // Billing: prices and discounts (operators), usage and the live draft invoice.
  r.Add({"GET",    "/v1/admin/prices",                          P::kPlatformAdmin, "prices.list",       ListPrices()});
  r.Add({"POST",   "/v1/admin/prices",                          P::kPlatformAdmin, "prices.create",     CreatePrice()});
  r.Add({"PUT",    "/v1/admin/tenants/{tenant}/discounts",      P::kPlatformAdmin, "discounts.set",     SetDiscounts()});
  r.Add({"GET",    "/v1/tenants/{tenant}/discounts",            P::kBillingRead,   "discounts.get",     GetDiscounts()});
  r.Add({"GET",    "/v1/tenants/{tenant}/usage",                P::kBillingRead,   "usage.get",         GetUsage()});
  r.Add({"GET",    "/v1/tenants/{tenant}/invoices/draft",       P::kBillingRead,   "invoices.draft",    GetDraftInvoice()});
  r.Add({"GET",    "/v1/tenants/{tenant}/invoices",             P::kBillingRead,   "invoices.list",     ListInvoices()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/credits",        P::kPlatformAdmin, "credits.grant",     GrantCredit()});
  r.Add({"GET",    "/v1/tenants/{tenant}/credits",              P::kBillingRead,   "credits.get",       GetCredits()});
  r.Add({"PUT",    "/v1/admin/tenants/{tenant}/billing-mode",   P::kPlatformAdmin, "tenants.billing_mode", SetBillingMode()});
  r.Add({"POST",   "/v1/usage-events",                          P::kPlatformAdmin, "usage_events.ingest", IngestUsageEvents(s)});
  r.Add({"GET",    "/v1/tenants/{tenant}/invoices/{invoice}",   P::kBillingRead,   "invoices.get",      GetInvoice()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/invoices:finalize", P::kPlatformAdmin, "invoices.finalize", FinalizeInvoice()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/invoices/{invoice}:pay",  P::kPlatformAdmin, "invoices.pay",  PayInvoice()});
  r.Add({"POST",   "/v1/admin/tenants/{tenant}/invoices/{invoice}:void", P::kPlatformAdmin, "invoices.void", VoidInvoice(), E::kWorker, winds_down});
  r.Add({"GET",    "/v1/tenants/{tenant}/exports",              P::kBillingRead,   "exports.tenant",    ExportBilling(s), E::kWorker, own_tx});
  r.Add({"POST",   "/v1/tenants/{tenant}/budgets",              P::kTenantAdmin,   "budgets.create",    CreateBudget()});
  r.Add({"GET",    "/v1/tenants/{tenant}/budgets",              P::kBillingRead,   "budgets.list",      ListBudgets()});
  r.Add({"GET",    "/v1/tenants/{tenant}/budgets/{budget}",     P::kBillingRead,   "budgets.get",       GetBudget()});
  r.Add({"PATCH",  "/v1/tenants/{tenant}/budgets/{budget}",     P::kTenantAdmin,   "budgets.update",    PatchBudget()});
  r.Add({"DELETE", "/v1/tenants/{tenant}/budgets/{budget}",     P::kTenantAdmin,   "budgets.delete",    DeleteBudget()});
  r.Add({"GET",    "/v1/admin/exports",                         P::kPlatformAdmin, "exports.all",       ExportBilling(s), E::kWorker, {.own_transaction = true, .cross_tenant = true}});

  // The change feed; watch=true streams it as Server-Sent Events.
  r.Add({"GET",    "/v1/tenants/{tenant}/events",               P::kTenantRead,    "changes.list",     ListChanges(s), E::kWorker, own_tx});
  // clang-format on
}

}  // namespace gaon::api
