// Permissions: what a route requires of its caller. Every route names one in the route
// table (api/routes.cpp); a route cannot be registered without one.
// Thread-safety: constants and pure functions.
#pragma once

#include <string>
#include <string_view>

namespace gaon::api {

enum class Permission {
  kUnset,          // not a permission: what a route that names none gets, refused by Router::Add
  kPublic,         // no credentials: health, readiness, metrics, the API contract, login
  kAuthenticated,  // any valid principal (acting on itself)
  kPlatformAdmin,  // operators only (/v1/admin/...)
  kTenantAny,      // any role in the path's tenant (read the tenant itself, own membership)
  kTenantRead,     // tenant-viewer and up: read resources
  kTenantWrite,    // tenant-member and up: create and manage resources
  kTenantAdmin,    // tenant-admin: members, API keys, budgets, quota requests
  kBillingRead,    // tenant-admin and billing-viewer: usage, invoices, exports
};

std::string_view PermissionName(Permission p);
// True for permissions checked against the {tenant} path parameter.
bool IsTenantScoped(Permission p);
// Why `permission` cannot guard a route with this pattern, or empty when it can: every route
// names a permission; a tenant permission needs a {tenant} to check, and a route that names a
// {tenant} must check the caller against it (a tenant permission, or operators only) — an
// "any principal" route there would act on a tenant nobody checked.
std::string RoutePermissionProblem(std::string_view pattern, Permission permission);

}  // namespace gaon::api
