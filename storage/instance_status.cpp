#include "storage/instance_status.h"

#include "storage/changes.h"
#include "storage/internal/instance_rows.h"
#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"load", std::string("SELECT ") + kInstanceCols + ", " + kRecordCols +
                   ", n.state, n.down_reason FROM instances LEFT JOIN LATERAL (SELECT state, "
                   "down_reason FROM nodes WHERE nodes.node_id = instances.node_id) n ON true "
                   "WHERE tenant_id = $1 AND instance_id = $2"},
      {"write",
       std::string("UPDATE instances SET phase = $3, conditions = $4::jsonb, zone_id = $5, node_id = $6, "
                   "ip_address = $7, observed_generation = $8, run_count = $9, reboots_done = $10, evicting = $11, "
                   "failure_reason = $12, queued_at = CASE WHEN $13 THEN now() ELSE queued_at END, "
                   "deleted_at = CASE WHEN $14 THEN now() ELSE deleted_at END, "
                   "status_extra = CASE WHEN $6::text IS NULL THEN status_extra ELSE status_extra - 'placement' END, "
                   "updated_at = now(), resource_version = resource_version + 1 "
                   "WHERE tenant_id = $1 AND instance_id = $2 AND resource_version = $15 RETURNING ") +
           kInstanceCols},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

// The negated condition is exactly the one InstanceReconciler::Reconcile answers with
// "nothing to do" (keep the two together).
constexpr Sql kToReconcile{"instance_status.to_reconcile",
                           "SELECT tenant_id, instance_id FROM instances WHERE deleted_at IS NULL AND NOT "
                           "(phase = 'Pending' AND node_id IS NULL AND run_count = 0 AND "
                           "deletion_requested_at IS NULL AND desired_state = 'running')"};
constexpr Sql kRank{"instance_status.rank_queue", "SELECT gaon_rank_queue()"};
constexpr Sql kEvent{"instance_status.event",
                     "INSERT INTO instance_events (tenant_id, instance_id, type, reason, message, from_phase, to_phase) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7)"};

}  // namespace

StatusOr<std::optional<InstanceRecord>> LoadInstanceRecord(Tx& tx, const TenantId& tenant, const InstanceId& id) {
  const auto r = Exec(tx, S("instance_status.load", "load"), tenant.str(), id.str());
  if (r.empty()) return std::optional<InstanceRecord>();
  return std::optional<InstanceRecord>(InstanceRecordRow(r[0]));
}

StatusOr<std::vector<std::pair<TenantId, InstanceId>>> ListInstancesToReconcile(Tx& tx) {
  std::vector<std::pair<TenantId, InstanceId>> out;
  for (const auto& r : Exec(tx, kToReconcile)) {
    out.emplace_back(TenantId::FromTrusted(r[0].c_str()), InstanceId::FromTrusted(r[1].c_str()));
  }
  return out;
}

StatusOr<Instance> WriteInstanceStatus(Tx& tx, const InstanceRecord& before, const StatusWrite& w) {
  const Instance& i = before.instance;
  const auto r = Exec(tx, S("instance_status.write", "write"), i.tenant_id.str(), i.id.str(), w.phase,
                      ToJsonText(w.conditions), w.zone, w.node, w.ip_address, w.observed_generation, w.run_count,
                      w.reboots_done, w.evicting, w.failure_reason, w.requeue, w.tombstone, i.resource_version);
  if (r.empty()) {
    return Aborted("instance " + i.id.str() + " changed while it was being reconciled", "conflict");
  }
  const Instance after = InstanceRow(r[0]);
  if (!w.event_reason.empty()) {
    ExecLater(tx, kEvent, i.tenant_id.str(), i.id.str(), w.event_type, w.event_reason, w.event_message,
              before.stored_phase, w.phase);
  }
  RETURN_IF_ERROR(RecordChange(tx, i.tenant_id, "instance", i.id.str(), w.tombstone ? "DELETED" : "MODIFIED",
                               after.resource_version, ToJson(after), ChangeOrigin::kController));
  return after;
}

StatusOr<std::int64_t> RankPlacementQueue(Tx& tx) { return Exec(tx, kRank)[0][0].as<std::int64_t>(); }

}  // namespace gaon::storage
