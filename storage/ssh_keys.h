// SSH keys repository (tenant-scoped).
#pragma once

#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// AlreadyExists("ssh_key_exists") for a fingerprint or name the tenant already has.
StatusOr<SshKey> InsertSshKey(Tx& tx, const TenantId& tenant, const SshKey& key);
StatusOr<SshKey> GetSshKey(Tx& tx, const TenantId& tenant, const SshKeyId& id);
StatusOr<Page<SshKey>> ListSshKeys(Tx& tx, const TenantId& tenant, const ListQuery& q);
Status DeleteSshKey(Tx& tx, const TenantId& tenant, const SshKeyId& id);
// Which of `ids` the tenant does not have.
StatusOr<std::vector<std::string>> MissingSshKeys(Tx& tx, const TenantId& tenant, const std::vector<std::string>& ids);

}  // namespace gaon::storage
