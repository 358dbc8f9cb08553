#include "storage/ssh_keys.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr Sql kInsert{"ssh_keys.insert",
                      "INSERT INTO ssh_keys (tenant_id, ssh_key_id, name, key_type, public_key, fingerprint, bits, "
                      "comment, labels) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING ssh_key_id, name, "
                      "public_key, key_type, fingerprint, bits, comment, labels, created_at"};
constexpr Sql kGet{"ssh_keys.get",
                   "SELECT ssh_key_id, name, public_key, key_type, fingerprint, bits, comment, labels, created_at "
                   "FROM ssh_keys WHERE tenant_id = $1 AND ssh_key_id = $2"};
constexpr Sql kList{"ssh_keys.list",
                    "SELECT ssh_key_id, name, public_key, key_type, fingerprint, bits, comment, labels, created_at "
                    "FROM ssh_keys WHERE tenant_id = $1 AND ($2::text IS NULL OR ssh_key_id > $2) ORDER BY ssh_key_id "
                    "LIMIT $3"};
constexpr Sql kDelete{"ssh_keys.delete", "DELETE FROM ssh_keys WHERE tenant_id = $1 AND ssh_key_id = $2"};
constexpr Sql kMissing{"ssh_keys.missing",
                       "SELECT id FROM unnest($2::text[]) id WHERE NOT EXISTS (SELECT 1 FROM ssh_keys k WHERE "
                       "k.tenant_id = $1 AND k.ssh_key_id = id)"};

SshKey Row(const ResultRow& r) {
  SshKey k;
  k.id = SshKeyId::FromTrusted(r[0].c_str());
  k.name = r[1].c_str();
  k.public_key = r[2].c_str();
  k.key_type = r[3].c_str();
  k.fingerprint = r[4].c_str();
  k.bits = r[5].as<int>();
  k.comment = r[6].c_str();
  k.labels = LabelsOf(r[7]);
  k.created_at = Ts(r[8]);
  return k;
}


}  // namespace

StatusOr<SshKey> InsertSshKey(Tx& tx, const TenantId& tenant, const SshKey& k) {
  try {
    return Row(Exec(tx, kInsert, tenant.str(), k.id.str(), k.name, k.key_type, k.public_key, k.fingerprint, k.bits,
                    k.comment, LabelsJson(k.labels))[0]);
  } catch (const UniqueViolation& e) {
    const bool by_name = std::string(e.what()).find("ssh_keys_name_key") != std::string::npos;
    return AlreadyExists(by_name ? "an SSH key named '" + k.name + "' already exists"
                                 : "this public key (" + k.fingerprint + ") is already registered",
                         "ssh_key_exists")
        .WithViolations({{by_name ? "name" : "public_key", "duplicate",
                          by_name ? "name is already used by another key" : "public_key is already registered"}});
  }
}

StatusOr<SshKey> GetSshKey(Tx& tx, const TenantId& tenant, const SshKeyId& id) {
  const auto r = Exec(tx, kGet, tenant.str(), id.str());
  if (r.empty()) return NotFound("SSH key " + id.str() + " not found");
  return Row(r[0]);
}

StatusOr<Page<SshKey>> ListSshKeys(Tx& tx, const TenantId& tenant, const ListQuery& q) {
  return ToPage<SshKey>(Exec(tx, kList, tenant.str(), q.after, q.page_size + 1), q.page_size, Row,
                        [](const SshKey& k) { return k.id.str(); });
}

Status DeleteSshKey(Tx& tx, const TenantId& tenant, const SshKeyId& id) {
  if (Exec(tx, kDelete, tenant.str(), id.str()).affected_rows() == 0) return NotFound("SSH key " + id.str() + " not found");
  return Status::Ok();
}

StatusOr<std::vector<std::string>> MissingSshKeys(Tx& tx, const TenantId& tenant, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  if (ids.empty()) return out;
  for (const auto& row : Exec(tx, kMissing, tenant.str(), TextArray(ids))) out.push_back(row[0].c_str());
  return out;
}

}  // namespace gaon::storage
