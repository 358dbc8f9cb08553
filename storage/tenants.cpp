#include "storage/tenants.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kColumns =
    "tenant_id, name, display_name, jurisdiction, billing_currency, billing_email, status, labels, created_at, "
    "updated_at, resource_version";

Tenant Row(const ResultRow& r) {
  Tenant t;
  t.id = TenantId::FromTrusted(r[0].c_str());
  t.name = r[1].c_str();
  t.display_name = r[2].c_str();
  t.jurisdiction = r[3].c_str();
  t.billing_currency = r[4].c_str();
  t.billing_email = r[5].c_str();
  FromString(r[6].c_str(), &t.status);
  t.labels = LabelsOf(r[7]);
  t.created_at = Ts(r[8]);
  t.updated_at = Ts(r[9]);
  t.resource_version = r[10].as<std::int64_t>();
  return t;
}

const std::string& Text(const char* key) {
  static const std::map<std::string, std::string> texts = {
      {"insert", std::string("INSERT INTO tenants (tenant_id, name, display_name, jurisdiction, billing_currency, "
                             "billing_email, labels) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING ") +
                     kColumns},
      {"get", std::string("SELECT ") + kColumns + " FROM tenants WHERE tenant_id = $1 AND status <> 'deleted'"},
      {"update", std::string("UPDATE tenants SET display_name = $2, billing_email = $3, jurisdiction = $4, "
                             "billing_currency = $5, labels = $6::jsonb, status = $7, updated_at = now(), "
                             "resource_version = resource_version + 1 WHERE tenant_id = $1 AND status <> 'deleted' "
                             "AND ($8::bigint IS NULL OR resource_version = $8) RETURNING ") +
                     kColumns},
  };
  return texts.at(key);
}

constexpr Sql kInsertHead{"tenants.insert_audit_head",
                          "INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, 0, '')"};
// Later migrations add their live kinds (instances, endpoints, …) to this view.
constexpr Sql kLive{"tenants.live_resources",
                    "SELECT kind || '/' || id FROM tenant_live_resources WHERE tenant_id = $1 ORDER BY 1 LIMIT 20"};
constexpr Sql kDelete{"tenants.delete",
                      "UPDATE tenants SET status = 'deleted', deleted_at = now(), updated_at = now(), "
                      "resource_version = resource_version + 1 WHERE tenant_id = $1 AND status <> 'deleted'"};
constexpr Sql kRevokeKeys{"tenants.delete.revoke_keys",
                          "UPDATE api_keys SET revoked_at = now(), updated_at = now(), "
                          "resource_version = resource_version + 1 WHERE tenant_id = $1 AND revoked_at IS NULL"};
constexpr Sql kDropMembers{"tenants.delete.memberships", "DELETE FROM memberships WHERE tenant_id = $1"};

}  // namespace

StatusOr<Tenant> InsertTenant(Tx& tx, const Tenant& t) {
  try {
    const auto r = Exec(tx, Sql{"tenants.insert", Text("insert")}, t.id.str(), t.name, t.display_name,
                        t.jurisdiction, t.billing_currency, t.billing_email, LabelsJson(t.labels));
    Exec(tx, kInsertHead, t.id.str());
    return Row(r[0]);
  } catch (const UniqueViolation&) {
    return AlreadyExists("a tenant named '" + t.name + "' already exists", "tenant_name_taken");
  }
}

StatusOr<Tenant> GetTenant(Tx& tx, const TenantId& id) {
  const auto r = Exec(tx, Sql{"tenants.get", Text("get")}, id.str());
  if (r.empty()) return NotFound("tenant " + id.str() + " not found");
  return Row(r[0]);
}

StatusOr<Page<Tenant>> ListTenants(Tx& tx, const ListQuery& q) {
  FilteredSql sql("tenants.list", std::string("SELECT ") + kColumns + " FROM tenants WHERE status <> 'deleted'");
  sql.Add("tenant_id > $?", q.after);
  AddLabelFilters(sql, q.labels);
  sql.Tail("ORDER BY tenant_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Tenant>(sql.Run(tx), q.page_size, Row, [](const Tenant& t) { return t.id.str(); });
}

StatusOr<Tenant> UpdateTenant(Tx& tx, const Tenant& t, std::optional<std::int64_t> expected_version) {
  const auto r = Exec(tx, Sql{"tenants.update", Text("update")}, t.id.str(), t.display_name, t.billing_email,
                      t.jurisdiction, t.billing_currency, LabelsJson(t.labels), std::string(ToString(t.status)),
                      expected_version);
  if (r.empty()) {
    RETURN_IF_ERROR(GetTenant(tx, t.id).status());
    return FailedPrecondition("tenant " + t.id.str() + " was changed since version " +
                                  std::to_string(expected_version.value_or(0)),
                              "precondition_failed");
  }
  return Row(r[0]);
}

StatusOr<std::vector<std::string>> TenantLiveResources(Tx& tx, const TenantId& id) {
  std::vector<std::string> out;
  for (const auto& row : Exec(tx, kLive, id.str())) out.push_back(row[0].c_str());
  return out;
}

Status DeleteTenant(Tx& tx, const TenantId& id) {
  if (Exec(tx, kDelete, id.str()).affected_rows() == 0) return NotFound("tenant " + id.str() + " not found");
  Exec(tx, kRevokeKeys, id.str());
  Exec(tx, kDropMembers, id.str());
  return Status::Ok();
}

}  // namespace gaon::storage
