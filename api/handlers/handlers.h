// Handler factories, one per route, grouped by resource. The route table (api/routes.cpp)
// is the only place that binds them to methods, paths and permissions.
#pragma once

#include "api/router.h"
#include "api/services.h"

namespace gaon::api {

// tenants.cpp
Handler CreateTenant(const Services& s);
Handler ListTenants();
Handler GetTenant();
Handler PatchTenant();
Handler SuspendTenant();
Handler ResumeTenant();
Handler DeleteTenant();

// identity.cpp: users, memberships, sessions and the caller
Handler CreateUser(const Services& s);
Handler ListUsers();
Handler GetUser();
Handler DisableUser();
Handler EnableUser();
Handler ListMembers();
Handler GetMember();
Handler AddMember(const Services& s);
Handler PatchMember();
Handler RemoveMember();
Handler Login(const Services& s);
Handler Logout();
Handler GetMe();
Handler ChangePassword(const Services& s);

// api_keys.cpp: tenant service keys ({tenant} routes) and operator keys (admin routes)
Handler CreateApiKey();
Handler ListApiKeys();
Handler GetApiKey();
Handler RevokeApiKey();

// audit.cpp
Handler ListAuditEvents();
Handler VerifyAuditChain();

// catalog.cpp
Handler ListRegions();
Handler ListGpuTypes();
Handler ListInstanceTypes();
Handler GetInstanceType();
Handler ListImages();

// ssh_keys.cpp
Handler CreateSshKey();
Handler ListSshKeys();
Handler GetSshKey();
Handler DeleteSshKey();

// quotas.cpp
Handler ListQuotas();
Handler SetQuotas();
Handler CreateQuotaRequest();
Handler ListQuotaRequests();
Handler GetQuotaRequest();
Handler CancelQuotaRequest();
Handler ApproveQuotaRequest();
Handler DenyQuotaRequest();

// instances.cpp
Handler CreateInstance(const Services& s);
Handler BulkCreateInstances(const Services& s);
Handler ListInstances();
Handler GetInstance();
Handler PatchInstance();
Handler StopInstance();
Handler StartInstance();
Handler RebootInstance();
Handler DeleteInstance();
Handler ListInstanceEvents();

// models.cpp: the model catalog and tenants' custom models
Handler ListModels();
Handler GetModel();
Handler CreateModel();
Handler PatchModel();
Handler CreateCustomModel(const Services& s);
Handler ListCustomModels();
Handler GetCustomModel();
Handler DeleteCustomModel();

// endpoints.cpp: inference endpoints, their data plane and simulated traffic
Handler CreateEndpoint(const Services& s);
Handler ListEndpoints(const Services& s);
Handler GetEndpoint(const Services& s);
Handler PatchEndpoint(const Services& s);
Handler DeleteEndpoint(const Services& s);
Handler ListEndpointRevisions();
Handler ListEndpointReplicas();
Handler ChatCompletions();
Handler SetSimEndpointTraffic();
Handler ClearSimEndpointTraffic();

// billing.cpp: prices, discounts, usage and the draft invoice
Handler ListPrices();
Handler CreatePrice();
Handler GetDiscounts();
Handler SetDiscounts();
Handler GetUsage();
Handler GetDraftInvoice();
Handler ListInvoices();
Handler GrantCredit();
Handler GetCredits();
Handler SetBillingMode();
Handler IngestUsageEvents(const Services& s);
Handler GetInvoice();
Handler FinalizeInvoice();
Handler PayInvoice();
Handler VoidInvoice();
Handler ExportBilling(const Services& s);
Handler CreateBudget();
Handler ListBudgets();
Handler GetBudget();
Handler PatchBudget();
Handler DeleteBudget();

// changes.cpp: the change feed and watch
Handler ListChanges(const Services& s);

// fleet.cpp: nodes and the simulated hosts (operators)
Handler ListNodes();
Handler GetNode();
Handler CordonNode();
Handler UncordonNode();
Handler DrainNode();
Handler SimFailNode();
Handler SimRecoverNode();

}  // namespace gaon::api
