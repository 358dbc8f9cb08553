#include "storage/changes.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

// The head update comes last in a request's transaction and holds the row lock only until
// commit: sequence order within a tenant is commit order.
constexpr Sql kRecord{"changes.record",
                      "WITH head AS (UPDATE tenant_change_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq), "
                      "ins AS (INSERT INTO changes (tenant_id, seq, kind, resource_id, change_type, resource_version, object) "
                      "SELECT $1, head.seq, $2, $3, $4, $5, $6::jsonb FROM head "
                      "RETURNING seq) "
                      "SELECT coalesce((SELECT seq FROM ins), gaon_fail('tenant ' || $1 || ' has no change feed'))"};
// Many changes at once: each tenant's head moves by its count and its changes take the
// sequence numbers in between, in the order given. Heads are locked in the join's order; only
// operator-wide transactions (a scheduler pass, a drain) touch several, and a deadlock between
// two of them is retried by Transact.
constexpr Sql kRecordMany{
    "changes.record_many",
    "WITH r AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[]) WITH ORDINALITY "
    "AS r(tenant_id, resource_id, resource_version, object, ord)), "
    "n AS (SELECT tenant_id, count(*) AS k FROM r GROUP BY tenant_id), "
    "head AS (UPDATE tenant_change_heads h SET seq = h.seq + n.k FROM n WHERE h.tenant_id = n.tenant_id "
    "RETURNING h.tenant_id, h.seq - n.k AS base), "
    "ins AS (INSERT INTO changes (tenant_id, seq, kind, resource_id, change_type, resource_version, object) "
    "SELECT r.tenant_id, head.base + row_number() OVER (PARTITION BY r.tenant_id ORDER BY r.ord), $5, r.resource_id, "
    "$6, r.resource_version, r.object FROM r JOIN head USING (tenant_id) RETURNING 1) "
    "SELECT CASE WHEN (SELECT count(*) FROM ins) = cardinality($1::text[]) THEN 0 "
    "ELSE gaon_fail('a tenant among the changes has no change feed') END"};
constexpr Sql kList{"changes.list",
                    "SELECT seq, at, change_type, kind, resource_id, resource_version, object::text FROM changes "
                    "WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"};
constexpr Sql kWindow{"changes.window",
                      "SELECT coalesce((SELECT min(seq) FROM changes WHERE tenant_id = $1), 0), "
                      "coalesce((SELECT seq FROM tenant_change_heads WHERE tenant_id = $1), 0)"};
constexpr Sql kPurge{"changes.purge", "DELETE FROM changes WHERE at < $1::timestamptz"};
constexpr Sql kInitHead{"changes.init_head",
                        "INSERT INTO tenant_change_heads (tenant_id, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING"};

}  // namespace

Status RecordChange(Tx& tx, const TenantId& tenant, std::string_view kind, std::string_view resource_id,
                    std::string_view type, std::int64_t resource_version, const boost::json::value& object,
                    ChangeOrigin origin) {
  return RecordChanges(tx, kind, type, {{tenant, std::string(resource_id), resource_version, object}}, origin);
}

Status RecordChanges(Tx& tx, std::string_view kind, std::string_view type, const std::vector<Change>& changes,
                     ChangeOrigin origin) {
  if (changes.empty()) return Status::Ok();
  if (changes.size() == 1) {
    const Change& c = changes[0];
    ExecLater(tx, kRecord, c.tenant.str(), std::string(kind), c.resource_id, std::string(type), c.resource_version,
              boost::json::serialize(c.object));
  } else {
    std::vector<std::string> tenants, ids, versions, objects;
    for (const Change& c : changes) {
      tenants.push_back(c.tenant.str());
      ids.push_back(c.resource_id);
      versions.push_back(std::to_string(c.resource_version));
      objects.push_back(boost::json::serialize(c.object));
    }
    ExecLater(tx, kRecordMany, TextArray(tenants), TextArray(ids), TextArray(versions), TextArray(objects),
              std::string(kind), std::string(type));
  }
  const char* letter = origin == ChangeOrigin::kApi ? " a" : origin == ChangeOrigin::kQueued ? " q" : " c";
  for (const Change& c : changes) {
    TxAccess::Notices(tx).push_back(c.tenant.str() + " " + std::string(kind) + " " + c.resource_id + letter);
  }
  return Status::Ok();
}

std::vector<Change> InstanceChanges(const std::vector<Instance>& instances) {
  std::vector<Change> out;
  for (const auto& i : instances) out.push_back({i.tenant_id, i.id.str(), i.resource_version, ToJson(i)});
  return out;
}

StatusOr<std::vector<ChangeEvent>> ListChanges(Tx& tx, const TenantId& tenant, std::int64_t after_seq, int limit) {
  std::vector<ChangeEvent> out;
  for (const auto& row : Exec(tx, kList, tenant.str(), after_seq, limit)) {
    ChangeEvent e;
    e.seq = row[0].as<std::int64_t>();
    e.time = Ts(row[1]);
    e.type = row[2].c_str();
    e.kind = row[3].c_str();
    e.resource_id = row[4].c_str();
    e.resource_version = row[5].as<std::int64_t>();
    e.object = boost::json::parse(row[6].c_str());
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<ChangeWindow> GetChangeWindow(Tx& tx, const TenantId& tenant) {
  const auto r = Exec(tx, kWindow, tenant.str());
  return ChangeWindow{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
}

StatusOr<std::int64_t> PurgeChanges(Tx& tx, Timestamp before) {
  return static_cast<std::int64_t>(Exec(tx, kPurge, FormatTimestamp(before)).affected_rows());
}

Status InitChangeHead(Tx& tx, const TenantId& tenant) {
  Exec(tx, kInitHead, tenant.str());
  return Status::Ok();
}

}  // namespace gaon::storage
