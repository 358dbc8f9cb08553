#include "storage/models.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kCols =
    "display_name, publisher, family, parameters_millions, license, array_to_json(languages)::text, context_length, "
    "min_gpu_memory_gib, array_to_json(runtimes)::text, array_to_json(default_runtime_args)::text, created_at";

std::vector<std::string> Strings(const ResultField& f) {
  std::vector<std::string> out;
  const boost::json::value v = boost::json::parse(f.c_str());
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

// Columns from kCols starting at `k`.
void Fill(Model& m, const ResultRow& r, int k) {
  m.display_name = r[k].c_str();
  m.publisher = r[k + 1].c_str();
  m.family = r[k + 2].c_str();
  m.parameters_millions = r[k + 3].as<std::int64_t>();
  m.license = r[k + 4].c_str();
  m.languages = Strings(r[k + 5]);
  m.context_length = r[k + 6].as<int>();
  m.min_gpu_memory_gib = r[k + 7].as<int>();
  m.runtimes = Strings(r[k + 8]);
  m.default_runtime_args = Strings(r[k + 9]);
  m.created_at = Ts(r[k + 10]);
}

Model CatalogRow(const ResultRow& r) {
  Model m;
  m.id = r[0].c_str();
  m.status = r[1].c_str();
  Fill(m, r, 2);
  return m;
}

Model CustomRow(const ResultRow& r) {
  Model m;
  m.id = r[0].c_str();
  m.tenant_id = TenantId::FromTrusted(r[1].c_str());
  m.artifact_uri = r[2].c_str();
  Fill(m, r, 3);
  return m;
}

const std::string kCatalogSelect = std::string("SELECT model_id, status, ") + kCols + " FROM models";
const std::string kCustomSelect = std::string("SELECT model_id, tenant_id, artifact_uri, ") + kCols + " FROM custom_models";

const Sql kSeed{"models.seed",
                KeepText("INSERT INTO models (model_id, display_name, publisher, family, parameters_millions, license, languages, "
                "context_length, min_gpu_memory_gib, runtimes, default_runtime_args, status) VALUES ($1, $2, $3, $4, $5, "
                "$6, $7::text[], $8, $9, $10::text[], $11::text[], $12) ON CONFLICT (model_id) DO NOTHING RETURNING "
                "model_id")};
const Sql kGet{"models.get", KeepText(kCatalogSelect + " WHERE model_id = $1")};
const Sql kUpdate{"models.update",
                  KeepText("UPDATE models SET display_name = $2, license = $3, languages = $4::text[], min_gpu_memory_gib = $5, "
                  "runtimes = $6::text[], default_runtime_args = $7::text[], status = $8, updated_at = now() WHERE "
                  "model_id = $1")};
const Sql kInsertCustom{"custom_models.insert",
                        KeepText("INSERT INTO custom_models (tenant_id, model_id, display_name, publisher, family, "
                        "parameters_millions, license, languages, context_length, min_gpu_memory_gib, runtimes, "
                        "default_runtime_args, artifact_uri) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10, "
                        "$11::text[], $12::text[], $13)")};
const Sql kGetCustom{"custom_models.get", KeepText(kCustomSelect + " WHERE tenant_id = $1 AND model_id = $2")};
const Sql kUsers{"custom_models.users",
                 KeepText("SELECT endpoint_id FROM endpoints WHERE tenant_id = $1 AND deleted_at IS NULL AND "
                 "(spec->>'model' = $2 OR EXISTS (SELECT 1 FROM endpoint_revisions r WHERE r.tenant_id = "
                 "endpoints.tenant_id AND r.endpoint_id = endpoints.endpoint_id AND r.spec->>'model' = $2 AND "
                 "r.state IN ('Deploying', 'Active', 'Canary'))) ORDER BY endpoint_id LIMIT 5")};
const Sql kDeleteCustom{"custom_models.delete", KeepText("DELETE FROM custom_models WHERE tenant_id = $1 AND model_id = $2")};

}  // namespace

Status SeedModels(Tx& tx, const std::vector<Model>& models) {
  for (const auto& m : models) {
    Exec(tx, kSeed, m.id, m.display_name, m.publisher, m.family, m.parameters_millions, m.license,
         TextArray(m.languages), m.context_length, m.min_gpu_memory_gib, TextArray(m.runtimes),
         TextArray(m.default_runtime_args), m.status);
  }
  return Status::Ok();
}

StatusOr<Page<Model>> ListModels(Tx& tx, const ModelFilter& f, const ListQuery& q) {
  FilteredSql sql("models.list", kCatalogSelect + " WHERE true");
  sql.Add("$? = ANY(runtimes)", f.runtime).Add("$? = ANY(languages)", f.language).Add("model_id > $?", q.after);
  sql.Tail("ORDER BY model_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Model>(sql.Run(tx), q.page_size, CatalogRow, [](const Model& m) { return m.id; });
}

StatusOr<Model> GetModel(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, kGet, id);
  if (r.empty()) return NotFound("model " + id + " is not in this region's catalog (GET /v1/models)");
  return CatalogRow(r[0]);
}

StatusOr<Model> InsertModel(Tx& tx, const Model& m) {
  if (Exec(tx, kSeed, m.id, m.display_name, m.publisher, m.family, m.parameters_millions, m.license,
           TextArray(m.languages), m.context_length, m.min_gpu_memory_gib, TextArray(m.runtimes),
           TextArray(m.default_runtime_args), m.status)
          .empty()) {
    return AlreadyExists("a model with id '" + m.id + "' exists", "model_exists");
  }
  return GetModel(tx, m.id);
}

StatusOr<Model> UpdateModel(Tx& tx, const Model& m) {
  if (Exec(tx, kUpdate, m.id, m.display_name, m.license, TextArray(m.languages), m.min_gpu_memory_gib,
           TextArray(m.runtimes), TextArray(m.default_runtime_args), m.status)
          .affected_rows() == 0) {
    return NotFound("model " + m.id + " is not in this region's catalog");
  }
  return GetModel(tx, m.id);
}

StatusOr<Model> InsertCustomModel(Tx& tx, const TenantId& tenant, const Model& m) {
  try {
    Exec(tx, kInsertCustom, tenant.str(), m.id, m.display_name, m.publisher, m.family, m.parameters_millions, m.license,
         TextArray(m.languages), m.context_length, m.min_gpu_memory_gib, TextArray(m.runtimes),
         TextArray(m.default_runtime_args), m.artifact_uri.value_or(""));
  } catch (const UniqueViolation&) {
    return AlreadyExists("a custom model named '" + m.display_name + "' exists", "name_taken")
        .WithViolations({{"display_name", "duplicate", "is used by another custom model of this tenant"}});
  }
  return GetCustomModel(tx, tenant, ModelId::FromTrusted(m.id));
}

StatusOr<Model> GetCustomModel(Tx& tx, const TenantId& tenant, const ModelId& id) {
  const auto r = Exec(tx, kGetCustom, tenant.str(), id.str());
  if (r.empty()) return NotFound("model " + id.str() + " not found");
  return CustomRow(r[0]);
}

StatusOr<Page<Model>> ListCustomModels(Tx& tx, const TenantId& tenant, const ListQuery& q) {
  FilteredSql sql("custom_models.list", kCustomSelect + " WHERE true");
  sql.Add("tenant_id = $?", tenant.str()).Add("model_id > $?", q.after);
  sql.Tail("ORDER BY model_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Model>(sql.Run(tx), q.page_size, CustomRow, [](const Model& m) { return m.id; });
}

Status DeleteCustomModel(Tx& tx, const TenantId& tenant, const ModelId& id) {
  RETURN_IF_ERROR(GetCustomModel(tx, tenant, id).status());
  const auto users = Exec(tx, kUsers, tenant.str(), id.str());
  if (!users.empty()) {
    std::string list;
    for (const auto& r : users) list += (list.empty() ? "" : ", ") + std::string(r[0].c_str());
    return FailedPrecondition("model " + id.str() + " is served by endpoint(s) " + list + "; delete them first",
                              "model_in_use");
  }
  Exec(tx, kDeleteCustom, tenant.str(), id.str());
  return Status::Ok();
}

StatusOr<Model> ResolveModel(Tx& tx, const TenantId& tenant, const std::string& id) {
  if (ModelId::Parse(id).ok()) return GetCustomModel(tx, tenant, ModelId::FromTrusted(id));
  return GetModel(tx, id);
}

}  // namespace gaon::storage
