#include "storage/fleet.h"

#include "storage/changes.h"
#include "storage/internal/instance_rows.h"
#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kNodeCols =
    "n.node_id, n.zone_id, n.gpu_type_id, n.gpu_count, n.vcpus, n.memory_gib, n.allocated_gpus, n.allocated_vcpus, "
    "n.allocated_memory_gib, n.state, n.down_reason, "
    "(SELECT count(*) FROM allocations a WHERE a.node_id = n.node_id AND a.consumer_kind = 'instance'), "
    "n.heartbeat_at, n.labels, n.created_at, n.updated_at, n.resource_version";

Node NodeRow(const ResultRow& r) {
  Node n;
  n.id = r[0].c_str();
  n.zone = r[1].c_str();
  n.gpu_type = r[2].c_str();
  n.capacity = {r[3].as<int>(), r[4].as<int>(), r[5].as<int>()};
  n.allocated = {r[6].as<int>(), r[7].as<int>(), r[8].as<int>()};
  n.state = r[9].c_str();
  n.down_reason = OptStr(r[10]);
  n.instances = r[11].as<std::int64_t>();
  n.heartbeat_at = OptTs(r[12]);
  n.labels = LabelsOf(r[13]);
  n.created_at = Ts(r[14]);
  n.updated_at = Ts(r[15]);
  n.resource_version = r[16].as<std::int64_t>();
  return n;
}

std::string NodeSql(const std::string& tail) { return std::string("SELECT ") + kNodeCols + " FROM nodes n " + tail; }

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"get", NodeSql("WHERE n.node_id = $1")},
      {"drain", std::string("UPDATE nodes SET state = CASE WHEN state = 'Down' THEN 'Down' ELSE 'Cordoned' END, "
                            "drain_policy = $2, updated_at = now(), resource_version = resource_version + 1 "
                            "WHERE node_id = $1")},
      // The batch is chosen from the queue's narrow rows (migration 0017); only its rows are read
      // in full.
      {"queue",
       "SELECT i.tenant_id, i.instance_id, i.gpu_type_id, i.gpu_count, i.vcpus, i.memory_gib, i.requested_zone_id, "
       "i.instance_type_id, i.resource_version, coalesce((SELECT c->>'message' FROM jsonb_array_elements(i.conditions) c "
       "WHERE c->>'type' = 'Scheduled'), '') "
       "FROM (SELECT tenant_id, instance_id, turn, served, queued_at FROM instance_queue "
       "ORDER BY turn, served, queued_at, instance_id LIMIT $1) q JOIN instances i USING (tenant_id, instance_id) "
       "ORDER BY q.turn, q.served, q.queued_at, q.instance_id"},
      {"place",
       std::string("WITH p AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], "
                   "$6::jsonb[]) AS p(tenant_id, instance_id, rv, node_id, zone_id, conditions)), "
                   "upd AS (UPDATE instances i SET node_id = p.node_id, zone_id = p.zone_id, phase = 'Scheduled', "
                   "conditions = p.conditions, status_extra = i.status_extra - 'placement', updated_at = now(), "
                   "resource_version = i.resource_version + 1 FROM p WHERE i.tenant_id = p.tenant_id AND "
                   "i.instance_id = p.instance_id AND i.resource_version = p.rv AND i.node_id IS NULL AND "
                   "i.deleted_at IS NULL AND i.deletion_requested_at IS NULL AND i.desired_state = 'running' "
                   "RETURNING i.*), "
                   "booked AS (INSERT INTO allocations (consumer_kind, tenant_id, consumer_id, node_id, gpus, vcpus, "
                   "memory_gib) SELECT 'instance', tenant_id, instance_id, node_id, gpu_count, vcpus, memory_gib FROM upd), "
                   "counted AS (UPDATE nodes n SET allocated_gpus = n.allocated_gpus + s.gpus, allocated_vcpus = "
                   "n.allocated_vcpus + s.vcpus, allocated_memory_gib = n.allocated_memory_gib + s.memory_gib, "
                   "updated_at = now(), resource_version = n.resource_version + 1 FROM (SELECT node_id, "
                   "sum(gpu_count) AS gpus, sum(vcpus) AS vcpus, sum(memory_gib) AS memory_gib FROM upd GROUP BY "
                   "node_id) s WHERE n.node_id = s.node_id RETURNING n.node_id, n.state, n.down_reason), "
                   "ev AS (INSERT INTO instance_events (tenant_id, instance_id, type, reason, message, from_phase, "
                   "to_phase) SELECT tenant_id, instance_id, 'Normal', 'Scheduled', 'placed on node ' || node_id || "
                   "' in ' || zone_id, 'Pending', 'Scheduled' FROM upd) "
                   "SELECT ") + kInstanceCols + ", " + kRecordCols +
           ", counted.state, counted.down_reason FROM upd JOIN counted USING (node_id)"},
      {"unschedulable",
       std::string("WITH p AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::jsonb[]) "
                   "AS p(tenant_id, instance_id, rv, conditions, hints)), "
                   "upd AS (UPDATE instances i SET conditions = p.conditions, status_extra = jsonb_set(i.status_extra, "
                   "'{placement}', p.hints), updated_at = now(), resource_version = i.resource_version + 1 FROM p "
                   "WHERE i.tenant_id = p.tenant_id AND i.instance_id = p.instance_id AND i.resource_version = p.rv "
                   "AND i.node_id IS NULL RETURNING i.*) SELECT ") + kInstanceCols + " FROM upd"},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

constexpr Sql kNodesWithRoom{
    "fleet.nodes_with_room",
    "SELECT n.node_id, n.zone_id, n.gpu_type_id, n.gpu_count, n.gpu_count - n.allocated_gpus, "
    "n.vcpus - n.allocated_vcpus, n.memory_gib - n.allocated_memory_gib FROM nodes n JOIN zones z ON "
    "z.zone_id = n.zone_id WHERE n.state = 'Ready' AND z.status = 'available' AND n.gpu_type_id = ANY($1::text[]) "
    "AND n.gpu_count > n.allocated_gpus ORDER BY n.node_id"};
// Locks the nodes in id order (two passes lock theirs in the same order) and counts those
// that still take what is asked of them: the locked row is the latest version, whatever the
// statement's snapshot (READ COMMITTED re-reads a row it waited for).
constexpr Sql kLockFor{
    "fleet.lock_for",
    "WITH need AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS x(node_id, gpus, vcpus, "
    "memory_gib)), locked AS (SELECT n.node_id, n.zone_id, n.state, n.gpu_count - n.allocated_gpus AS gpus, "
    "n.vcpus - n.allocated_vcpus AS vcpus, n.memory_gib - n.allocated_memory_gib AS memory_gib FROM nodes n "
    "WHERE n.node_id IN (SELECT node_id FROM need) ORDER BY n.node_id FOR NO KEY UPDATE) "
    "SELECT count(*) FROM locked l JOIN need USING (node_id) JOIN zones z ON z.zone_id = l.zone_id "
    "WHERE l.state = 'Ready' AND z.status = 'available' AND l.gpus >= need.gpus AND l.vcpus >= need.vcpus AND "
    "l.memory_gib >= need.memory_gib"};
// Only the nodes a pass may use: the allocations of all of a tenant's instances are many, of
// those on nodes with room few (a pass fills partly used nodes first).
constexpr Sql kSpread{"fleet.tenant_spread",
                      "SELECT node_id, tenant_id, count(*) FROM allocations WHERE tenant_id = ANY($1::text[]) "
                      "AND node_id = ANY($2::text[]) GROUP BY node_id, tenant_id"};
constexpr Sql kRelease{"fleet.release",
                       "WITH gone AS (DELETE FROM allocations WHERE consumer_kind = $1 AND tenant_id = $2 AND "
                       "consumer_id = $3 RETURNING node_id, gpus, vcpus, memory_gib) "
                       "UPDATE nodes n SET allocated_gpus = n.allocated_gpus - gone.gpus, allocated_vcpus = "
                       "n.allocated_vcpus - gone.vcpus, allocated_memory_gib = n.allocated_memory_gib - "
                       "gone.memory_gib, updated_at = now(), resource_version = n.resource_version + 1 "
                       "FROM gone WHERE n.node_id = gone.node_id"};
constexpr Sql kSync{"fleet.sync",
                    "INSERT INTO nodes AS n (node_id, zone_id, gpu_type_id, gpu_count, vcpus, memory_gib, heartbeat_at) "
                    "SELECT id, zone, gpu, gpus, vcpus, mem, CASE WHEN healthy THEN now() END "
                    "FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::bool[]) "
                    "AS s(id, zone, gpu, gpus, vcpus, mem, healthy) "
                    "ON CONFLICT (node_id) DO UPDATE SET zone_id = excluded.zone_id, gpu_type_id = excluded.gpu_type_id, "
                    "gpu_count = excluded.gpu_count, vcpus = excluded.vcpus, memory_gib = excluded.memory_gib, "
                    "heartbeat_at = coalesce(excluded.heartbeat_at, n.heartbeat_at), "
                    "state = CASE WHEN n.state = 'Down' AND excluded.heartbeat_at IS NOT NULL THEN 'Ready' ELSE n.state END, "
                    "down_reason = CASE WHEN n.state = 'Down' AND excluded.heartbeat_at IS NOT NULL THEN NULL "
                    "ELSE n.down_reason END, "
                    "updated_at = CASE WHEN n.state = 'Down' AND excluded.heartbeat_at IS NOT NULL THEN now() "
                    "ELSE n.updated_at END"};
constexpr Sql kSilent{"fleet.mark_down",
                      "UPDATE nodes SET state = 'Down', down_reason = 'no heartbeat for ' || $1 || ' ms', "
                      "drain_policy = NULL, updated_at = now(), resource_version = resource_version + 1 "
                      "WHERE state <> 'Down' AND (heartbeat_at IS NULL OR heartbeat_at < now() - $1 * interval "
                      "'1 millisecond') RETURNING node_id"};

std::vector<Instance> Instances(const Result& r) {
  std::vector<Instance> out;
  for (const auto& row : r) out.push_back(InstanceRow(row));
  return out;
}

}  // namespace

StatusOr<Page<Node>> ListNodes(Tx& tx, const NodeFilter& f, const ListQuery& q) {
  FilteredSql sql("nodes.list", std::string("SELECT ") + kNodeCols + " FROM nodes n WHERE true");
  sql.Add("n.zone_id = $?", f.zone)
      .Add("n.gpu_type_id = $?", f.gpu_type)
      .Add("n.state = $?", f.state)
      .Add("n.node_id > $?", q.after)
      .Tail("ORDER BY n.node_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Node>(sql.Run(tx), q.page_size, NodeRow, [](const Node& n) { return n.id; });
}

StatusOr<Node> GetNode(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, S("nodes.get", "get"), id);
  if (r.empty()) return NotFound("node " + id + " not found");
  return NodeRow(r[0]);
}

StatusOr<Node> SetNodeCordoned(Tx& tx, const std::string& id, bool cordoned) {
  constexpr Sql kCordon{"nodes.cordon",
                        "UPDATE nodes SET state = CASE WHEN state = 'Down' THEN 'Down' WHEN $2 THEN 'Cordoned' "
                        "ELSE 'Ready' END, drain_policy = CASE WHEN $2 THEN drain_policy END, updated_at = now(), "
                        "resource_version = resource_version + 1 WHERE node_id = $1"};
  if (Exec(tx, kCordon, id, cordoned).affected_rows() == 0) return NotFound("node " + id + " not found");
  return GetNode(tx, id);
}

StatusOr<Node> StartDrain(Tx& tx, const std::string& id, const std::string& policy) {
  if (Exec(tx, S("nodes.drain", "drain"), id, policy).affected_rows() == 0) return NotFound("node " + id + " not found");
  return GetNode(tx, id);
}

Status SyncNodes(Tx& tx, const std::vector<FleetHost>& inventory) {
  std::vector<std::string> ids, zones, gpu_types, gpus, vcpus, mems, healthy;
  for (const auto& n : inventory) {
    ids.push_back(n.id);
    zones.push_back(n.zone);
    gpu_types.push_back(n.gpu_type);
    gpus.push_back(std::to_string(n.gpus));
    vcpus.push_back(std::to_string(n.vcpus));
    mems.push_back(std::to_string(n.memory_gib));
    healthy.push_back(n.healthy ? "true" : "false");
  }
  ExecLater(tx, kSync, TextArray(ids), TextArray(zones), TextArray(gpu_types), TextArray(gpus), TextArray(vcpus),
            TextArray(mems), TextArray(healthy));
  return Status::Ok();
}

StatusOr<std::vector<std::string>> MarkSilentNodesDown(Tx& tx, std::chrono::milliseconds timeout) {
  std::vector<std::string> out;
  for (const auto& row : Exec(tx, kSilent, static_cast<std::int64_t>(timeout.count()))) out.push_back(row[0].c_str());
  return out;
}

StatusOr<std::vector<std::pair<TenantId, InstanceId>>> InstancesOnNodes(Tx& tx, const std::vector<std::string>& nodes) {
  constexpr Sql kOnNodes{"fleet.instances_on_nodes",
                         "SELECT tenant_id, instance_id FROM instances WHERE node_id = ANY($1::text[]) AND deleted_at IS NULL"};
  std::vector<std::pair<TenantId, InstanceId>> out;
  for (const auto& r : Exec(tx, kOnNodes, TextArray(nodes))) {
    out.emplace_back(TenantId::FromTrusted(r[0].c_str()), InstanceId::FromTrusted(r[1].c_str()));
  }
  return out;
}

StatusOr<std::vector<QueuedInstance>> PlacementQueue(Tx& tx, int limit) {
  std::vector<QueuedInstance> out;
  for (const auto& r : Exec(tx, S("fleet.queue", "queue"), limit)) {
    QueuedInstance q;
    q.tenant = TenantId::FromTrusted(r[0].c_str());
    q.id = InstanceId::FromTrusted(r[1].c_str());
    q.gpu_type = r[2].c_str();
    q.gpus = r[3].as<int>();
    q.vcpus = r[4].as<int>();
    q.memory_gib = r[5].as<int>();
    q.zone = OptStr(r[6]);
    q.instance_type = r[7].c_str();
    q.resource_version = r[8].as<std::int64_t>();
    q.condition_message = r[9].c_str();
    out.push_back(std::move(q));
  }
  return out;
}

StatusOr<std::vector<FreeNode>> NodesWithRoom(Tx& tx, const std::vector<std::string>& gpu_types) {
  std::vector<FreeNode> out;
  for (const auto& r : Exec(tx, kNodesWithRoom, TextArray(gpu_types))) {
    out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].as<int>(), r[4].as<int>(), r[5].as<int>(),
                   r[6].as<int>()});
  }
  return out;
}

std::vector<NodeNeed> NeedsOf(const std::vector<FreeNode>& before, const std::vector<FreeNode>& after) {
  std::vector<NodeNeed> needs;
  for (std::size_t k = 0; k < before.size() && k < after.size(); ++k) {
    const FreeNode& b = before[k];
    const FreeNode& a = after[k];
    if (a.free_gpus == b.free_gpus && a.free_vcpus == b.free_vcpus && a.free_memory_gib == b.free_memory_gib) continue;
    needs.push_back({b.id, b.free_gpus - a.free_gpus, b.free_vcpus - a.free_vcpus, b.free_memory_gib - a.free_memory_gib});
  }
  return needs;
}

StatusOr<bool> LockNodesFor(Tx& tx, const std::vector<NodeNeed>& needs) {
  if (needs.empty()) return true;
  std::vector<std::string> ids, gpus, vcpus, memory;
  for (const auto& n : needs) {
    ids.push_back(n.node);
    gpus.push_back(std::to_string(n.gpus));
    vcpus.push_back(std::to_string(n.vcpus));
    memory.push_back(std::to_string(n.memory_gib));
  }
  const auto r = Exec(tx, kLockFor, TextArray(ids), TextArray(gpus), TextArray(vcpus), TextArray(memory));
  return r[0][0].as<std::int64_t>() == static_cast<std::int64_t>(needs.size());
}

StatusOr<std::map<std::pair<std::string, std::string>, int>> TenantSpread(Tx& tx, const std::vector<std::string>& tenants,
                                                                          const std::vector<FreeNode>& nodes) {
  std::vector<std::string> ids;
  for (const auto& n : nodes) ids.push_back(n.id);
  std::map<std::pair<std::string, std::string>, int> out;
  for (const auto& r : Exec(tx, kSpread, TextArray(tenants), TextArray(ids))) out[{r[0].c_str(), r[1].c_str()}] = r[2].as<int>();
  return out;
}

StatusOr<std::vector<InstanceRecord>> Place(Tx& tx, const std::vector<Placement>& ps) {
  if (ps.empty()) return std::vector<InstanceRecord>();
  std::vector<std::string> versions, conditions;
  const std::string now = FormatTimestamp(Now());
  for (const auto& p : ps) {
    versions.push_back(std::to_string(p.resource_version));
    Condition c{"Scheduled", "True", "Scheduled", "placed on node " + p.node + " in " + p.zone, Now(), 0};
    conditions.push_back(ToJsonText(std::vector<Condition>{c}));
  }
  const auto r = Exec(tx, S("fleet.place", "place"),
                      TextArray(Column(ps, [](const Placement& p) { return p.tenant.str(); })),
                      TextArray(Column(ps, [](const Placement& p) { return p.id.str(); })), TextArray(versions),
                      TextArray(Column(ps, [](const Placement& p) { return p.node; })),
                      TextArray(Column(ps, [](const Placement& p) { return p.zone; })), TextArray(conditions));
  std::vector<InstanceRecord> placed;
  std::vector<Instance> changed;
  for (const auto& row : r) {
    placed.push_back(InstanceRecordRow(row));
    changed.push_back(placed.back().instance);
  }
  RETURN_IF_ERROR(RecordChanges(tx, "instance", "MODIFIED", InstanceChanges(changed), ChangeOrigin::kController));
  return placed;
}

StatusOr<std::vector<Instance>> MarkUnschedulable(Tx& tx, const std::vector<Unplaceable>& notes) {
  if (notes.empty()) return std::vector<Instance>();
  std::vector<std::string> tenants, ids, versions, conditions, hints;
  for (const auto& n : notes) {
    tenants.push_back(n.tenant.str());
    ids.push_back(n.id.str());
    versions.push_back(std::to_string(n.resource_version));
    conditions.push_back(ToJsonText(std::vector<Condition>{n.condition}));
    hints.push_back(ToJsonText(n.hints));
  }
  const auto r = Exec(tx, S("fleet.unschedulable", "unschedulable"), TextArray(tenants), TextArray(ids),
                      TextArray(versions), TextArray(conditions), TextArray(hints));
  std::vector<Instance> marked = Instances(r);
  RETURN_IF_ERROR(RecordChanges(tx, "instance", "MODIFIED", InstanceChanges(marked), ChangeOrigin::kController));
  return marked;
}

void ReleaseAllocation(Tx& tx, const std::string& consumer_kind, const TenantId& tenant, const std::string& consumer) {
  ExecLater(tx, kRelease, consumer_kind, tenant.str(), consumer);
}

}  // namespace gaon::storage
