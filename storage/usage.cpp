#include "storage/usage.h"

#include "storage/internal/pq.h"

namespace gaon::storage {
namespace {

constexpr Sql kOpen{"usage.open",
                    "INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, gpu_type_id, gpu_count, "
                    "vcpus, memory_gib, zone_id, node_id, started_at, parent_resource_id) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::timestamptz, $13) ON CONFLICT DO NOTHING"};
constexpr Sql kClose{"usage.close",
                     "UPDATE usage_records SET ended_at = greatest($4::timestamptz, started_at), end_reason = $5 "
                     "WHERE tenant_id = $1 AND resource_kind = $2 AND resource_id = $3 AND ended_at IS NULL"};

}  // namespace

void OpenUsage(Tx& tx, const UsageOpen& u) {
  ExecLater(tx, kOpen, u.tenant.str(), u.resource_kind, u.resource_id, u.run, u.sku, u.gpu_type, u.gpus, u.vcpus,
            u.memory_gib, u.zone, u.node, FormatTimestamp(u.started_at), u.parent);
}

void CloseUsage(Tx& tx, const TenantId& tenant, const std::string& resource_kind, const std::string& resource_id,
                Timestamp ended_at, const std::string& reason) {
  ExecLater(tx, kClose, tenant.str(), resource_kind, resource_id, FormatTimestamp(ended_at), reason);
}

}  // namespace gaon::storage
