// Models repository: the region's catalog of open models (seeded from the catalog file,
// edited by operators) and tenants' custom models. Every function runs in the caller's
// transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// Inserts catalog models the database does not have yet. Models already there keep what
// operators made of them: the file seeds, the API edits. Needs platform access.
Status SeedModels(Tx& tx, const std::vector<Model>& models);

struct ModelFilter {
  std::optional<std::string> runtime;
  std::optional<std::string> language;
};
StatusOr<Page<Model>> ListModels(Tx& tx, const ModelFilter& filter, const ListQuery& q);
// NotFound for an id the catalog does not have.
StatusOr<Model> GetModel(Tx& tx, const std::string& id);
// AlreadyExists("model_exists") for a taken id. Needs platform access.
StatusOr<Model> InsertModel(Tx& tx, const Model& m);
// Writes every editable field of `m` (the caller merged the patch). Needs platform access.
StatusOr<Model> UpdateModel(Tx& tx, const Model& m);

StatusOr<Model> InsertCustomModel(Tx& tx, const TenantId& tenant, const Model& m);
StatusOr<Model> GetCustomModel(Tx& tx, const TenantId& tenant, const ModelId& id);
StatusOr<Page<Model>> ListCustomModels(Tx& tx, const TenantId& tenant, const ListQuery& q);
// FailedPrecondition("model_in_use") while a live endpoint of the tenant serves it.
Status DeleteCustomModel(Tx& tx, const TenantId& tenant, const ModelId& id);

// A catalog model, or the tenant's custom model for an mdl_… id. NotFound otherwise.
StatusOr<Model> ResolveModel(Tx& tx, const TenantId& tenant, const std::string& id);

}  // namespace gaon::storage
