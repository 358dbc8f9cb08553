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
  ExecLater(tx, kRecord, tenant.str(), std::string(kind), std::string(resource_id), std::string(type), resource_version,
            boost::json::serialize(object));
  TxAccess::Notices(tx).push_back(tenant.str() + " " + std::string(kind) + " " + std::string(resource_id) +
                                  (origin == ChangeOrigin::kApi ? " a" : " c"));
  return Status::Ok();
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
