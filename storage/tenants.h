// Tenants repository. Every function runs inside a caller's transaction (Tx); row-level
// security decides which tenants the transaction can see.
#pragma once

#include <string>
#include <vector>

#include "gaon/model/tenancy.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// Inserts `t` (id, name, … set by the caller) and the genesis of its audit chain.
// AlreadyExists("tenant_name_taken") when a live tenant has the name. Needs platform access.
StatusOr<Tenant> InsertTenant(Tx& tx, const Tenant& t);
// NotFound for a missing, invisible or deleted tenant.
StatusOr<Tenant> GetTenant(Tx& tx, const TenantId& id);
// Tenants visible to the transaction (all of them with platform access), by id.
StatusOr<Page<Tenant>> ListTenants(Tx& tx, const ListQuery& q);
// Writes the mutable fields of `t` when its resource_version still equals `expected_version`
// (if given). FailedPrecondition("precondition_failed") on a version mismatch.
StatusOr<Tenant> UpdateTenant(Tx& tx, const Tenant& t, std::optional<std::int64_t> expected_version);
// Live resources that keep a tenant from being deleted, as "kind/id" strings.
StatusOr<std::vector<std::string>> TenantLiveResources(Tx& tx, const TenantId& id);
// Marks the tenant deleted, revokes its API keys and removes its memberships.
Status DeleteTenant(Tx& tx, const TenantId& id);

}  // namespace gaon::storage
