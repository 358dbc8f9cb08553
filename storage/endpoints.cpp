#include "storage/endpoints.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kCols =
    "endpoint_id, tenant_id, name, labels, spec::text, generation, latest_revision, phase, observed_generation, "
    "conditions::text, desired_replicas, ready_replicas, updated_replicas, current_revision, traffic::text, "
    "failure_reason, last_request_at, created_at, updated_at, deletion_requested_at, deleted_at, resource_version, "
    "scaled_at, wake_requested_at";

template <typename T>
T JsonField(const ResultField& f) {
  auto v = FromJsonText<T>(f.c_str());
  return v.ok() ? *v : T{};
}

Endpoint EndpointRow(const ResultRow& r) {
  Endpoint e;
  e.id = EndpointId::FromTrusted(r[0].c_str());
  e.tenant_id = TenantId::FromTrusted(r[1].c_str());
  e.name = r[2].c_str();
  e.labels = LabelsOf(r[3]);
  e.spec = JsonField<EndpointSpec>(r[4]);
  e.generation = r[5].as<std::int64_t>();
  e.status.latest_revision = r[6].as<int>();
  e.status.phase = r[7].c_str();
  e.status.observed_generation = r[8].as<std::int64_t>();
  e.status.conditions = JsonList<Condition>(r[9]);
  e.status.desired_replicas = r[10].as<int>();
  e.status.ready_replicas = r[11].as<int>();
  e.status.updated_replicas = r[12].as<int>();
  e.status.current_revision = r[13].as<int>();
  e.status.traffic = JsonList<TrafficTarget>(r[14]);
  e.status.failure_reason = OptStr(r[15]);
  e.status.last_request_at = OptTs(r[16]);
  e.created_at = Ts(r[17]);
  e.updated_at = Ts(r[18]);
  e.deletion_requested_at = OptTs(r[19]);
  e.deleted_at = OptTs(r[20]);
  e.resource_version = r[21].as<std::int64_t>();
  // Asked to go away and not gone yet: that is what the tenant sees.
  if (e.deletion_requested_at && e.status.phase != "Deleted") e.status.phase = "Deleting";
  return e;
}

constexpr const char* kReplicaCols =
    "tenant_id, replica_id, endpoint_id, revision, phase, gpu_type_id, gpu_count, vcpus, memory_gib, "
    "requested_zone_id, zone_id, node_id, message, failure_reason, ever_ready, ready_at, created_at, "
    "coalesce((SELECT n.state = 'Down' FROM nodes n WHERE n.node_id = r.node_id), false)";

ReplicaRecord ReplicaRow(const ResultRow& r) {
  ReplicaRecord x;
  x.tenant = TenantId::FromTrusted(r[0].c_str());
  x.id = ReplicaId::FromTrusted(r[1].c_str());
  x.endpoint = EndpointId::FromTrusted(r[2].c_str());
  x.revision = r[3].as<int>();
  x.phase = r[4].c_str();
  x.gpu_type = r[5].c_str();
  x.gpus = r[6].as<int>();
  x.vcpus = r[7].as<int>();
  x.memory_gib = r[8].as<int>();
  x.requested_zone = OptStr(r[9]);
  x.zone = OptStr(r[10]);
  x.node = OptStr(r[11]);
  x.message = OptStr(r[12]);
  x.failure_reason = OptStr(r[13]);
  x.ever_ready = r[14].as<bool>();
  x.ready_at = OptTs(r[15]);
  x.created_at = Ts(r[16]);
  x.node_down = r[17].as<bool>();
  return x;
}

constexpr const char* kRevisionCols =
    "revision, generation, spec::text, state, message, failures, created_at, updated_at";

EndpointRevision RevisionRow(const ResultRow& r) {
  EndpointRevision v;
  v.revision = r[0].as<int>();
  v.generation = r[1].as<std::int64_t>();
  v.spec = JsonField<EndpointSpec>(r[2]);
  v.state = r[3].c_str();
  v.message = OptStr(r[4]);
  v.failures = r[5].as<int>();
  v.created_at = Ts(r[6]);
  v.updated_at = Ts(r[7]);
  return v;
}

const std::string kSelect = std::string("SELECT ") + kCols + " FROM endpoints";
const std::string kReturning = std::string(" RETURNING ") + kCols;

const Sql kInsert{"endpoints.insert",
                  KeepText(std::string("WITH ins AS (INSERT INTO endpoints (tenant_id, endpoint_id, name, labels, spec, phase, "
                              "conditions, desired_replicas) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8) "
                              "RETURNING *), rev AS (INSERT INTO endpoint_revisions (tenant_id, endpoint_id, revision, "
                              "generation, spec) SELECT tenant_id, endpoint_id, 1, 1, spec FROM ins) SELECT ") +
                      kCols + " FROM ins")};
const Sql kGet{"endpoints.get", KeepText(kSelect + " WHERE tenant_id = $1 AND endpoint_id = $2 AND ($3 OR deleted_at IS NULL)")};
const Sql kTenant{"endpoints.tenant", KeepText("SELECT tenant_id FROM endpoints WHERE endpoint_id = $1 AND deleted_at IS NULL")};
const Sql kUpdateMeta{"endpoints.update_meta",
                      KeepText("UPDATE endpoints SET name = $3, labels = $4::jsonb, updated_at = now(), resource_version = "
                      "resource_version + 1 WHERE tenant_id = $1 AND endpoint_id = $2 AND deleted_at IS NULL AND "
                      "deletion_requested_at IS NULL AND resource_version = $5" + kReturning)};
const Sql kUpdateSpec{"endpoints.update_spec",
                      KeepText(std::string("WITH upd AS (UPDATE endpoints SET name = $3, labels = $4::jsonb, spec = $6::jsonb, "
                                  "generation = generation + 1, latest_revision = latest_revision + 1, updated_at = now(), "
                                  "resource_version = resource_version + 1 WHERE tenant_id = $1 AND endpoint_id = $2 AND "
                                  "deleted_at IS NULL AND deletion_requested_at IS NULL AND resource_version = $5 "
                                  "RETURNING *), rev AS (INSERT INTO endpoint_revisions (tenant_id, endpoint_id, revision, "
                                  "generation, spec) SELECT tenant_id, endpoint_id, latest_revision, generation, spec "
                                  "FROM upd) SELECT ") + kCols + " FROM upd")};
const Sql kDelete{"endpoints.delete",
                  KeepText("UPDATE endpoints SET deletion_requested_at = now(), generation = generation + 1, updated_at = now(), "
                  "resource_version = resource_version + 1 WHERE tenant_id = $1 AND endpoint_id = $2 AND deleted_at IS "
                  "NULL AND deletion_requested_at IS NULL" + kReturning)};
const Sql kTouch{"endpoints.touch",
                 KeepText("UPDATE endpoints SET last_request_at = now(), wake_requested_at = CASE WHEN $3 THEN "
                 "coalesce(wake_requested_at, now()) ELSE wake_requested_at END, resource_version = resource_version + "
                 "CASE WHEN $3 AND wake_requested_at IS NULL THEN 1 ELSE 0 END WHERE tenant_id = $1 AND endpoint_id = $2 "
                 "AND deleted_at IS NULL" + kReturning)};
const Sql kRevisions{"endpoints.revisions",
                     KeepText(std::string("SELECT ") + kRevisionCols +
                         " FROM endpoint_revisions WHERE tenant_id = $1 AND endpoint_id = $2 ORDER BY revision")};
const Sql kLiveReplicas{"endpoints.live_replicas",
                        KeepText(std::string("SELECT ") + kReplicaCols +
                            " FROM endpoint_replicas r WHERE tenant_id = $1 AND endpoint_id = $2 AND deleted_at IS NULL "
                            "ORDER BY created_at, replica_id")};
const Sql kLiveKeys{"endpoints.live_keys",
                    KeepText("SELECT tenant_id || '/' || endpoint_id FROM endpoints WHERE deleted_at IS NULL")};
const Sql kInsertReplica{"endpoint_replicas.insert",
                         KeepText("INSERT INTO endpoint_replicas (tenant_id, replica_id, endpoint_id, revision, phase, gpu_type_id, "
                         "gpu_count, vcpus, memory_gib, requested_zone_id, message) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                         "$8, $9, $10, $11)")};
const Sql kUpdateReplica{"endpoint_replicas.update",
                         KeepText("UPDATE endpoint_replicas SET phase = $3, node_id = $4, zone_id = $5, message = $6, "
                         "failure_reason = $7, ever_ready = $8, ready_at = $9::timestamptz, updated_at = now(), "
                         "deleted_at = CASE WHEN $3 = 'Terminated' THEN now() END WHERE tenant_id = $1 AND replica_id = $2 "
                         "AND phase = $10 AND deleted_at IS NULL")};
const Sql kWriteStatus{"endpoints.write_status",
                       KeepText("UPDATE endpoints SET phase = $3, observed_generation = $4, conditions = $5::jsonb, "
                       "desired_replicas = $6, ready_replicas = $7, updated_replicas = $8, current_revision = $9, "
                       "traffic = $10::jsonb, failure_reason = $11, scaled_at = coalesce($12::timestamptz, scaled_at), "
                       "wake_requested_at = CASE WHEN $13 THEN NULL ELSE wake_requested_at END, deleted_at = CASE WHEN "
                       "$14 THEN now() END, updated_at = now(), resource_version = resource_version + 1 WHERE tenant_id = "
                       "$1 AND endpoint_id = $2 AND deleted_at IS NULL" + kReturning)};
const Sql kUpdateRevision{"endpoint_revisions.update",
                          KeepText("UPDATE endpoint_revisions SET state = $4, message = $5, failures = $6, updated_at = now() "
                          "WHERE tenant_id = $1 AND endpoint_id = $2 AND revision = $3")};
const Sql kQueue{"endpoint_replicas.queue",
                 KeepText(std::string("SELECT ") + kReplicaCols +
                     " FROM replica_queue r ORDER BY turn, served, queued_at, replica_id LIMIT $1")};
const Sql kPlace{
    "endpoint_replicas.place",
    KeepText("WITH p AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(tenant_id, replica_id, "
    "node_id, zone_id)), "
    "upd AS (UPDATE endpoint_replicas r SET node_id = p.node_id, zone_id = p.zone_id, phase = 'Scheduled', message = "
    "NULL, updated_at = now() FROM p WHERE r.tenant_id = p.tenant_id AND r.replica_id = p.replica_id AND r.node_id IS "
    "NULL AND r.phase = 'Pending' AND r.deleted_at IS NULL RETURNING r.*), "
    "booked AS (INSERT INTO allocations (consumer_kind, tenant_id, consumer_id, node_id, gpus, vcpus, memory_gib) "
    "SELECT 'replica', tenant_id, replica_id, node_id, gpu_count, vcpus, memory_gib FROM upd), "
    "counted AS (UPDATE nodes n SET allocated_gpus = n.allocated_gpus + s.gpus, allocated_vcpus = n.allocated_vcpus + "
    "s.vcpus, allocated_memory_gib = n.allocated_memory_gib + s.memory_gib, updated_at = now(), resource_version = "
    "n.resource_version + 1 FROM (SELECT node_id, sum(gpu_count) AS gpus, sum(vcpus) AS vcpus, sum(memory_gib) AS "
    "memory_gib FROM upd GROUP BY node_id) s WHERE n.node_id = s.node_id) "
    "SELECT DISTINCT tenant_id || '/' || endpoint_id FROM upd")};
const Sql kNoteUnplaced{"endpoint_replicas.note_unplaced",
                        KeepText("UPDATE endpoint_replicas r SET message = p.message, updated_at = now() FROM unnest($1::text[], "
                        "$2::text[], $3::text[]) AS p(tenant_id, replica_id, message) WHERE r.tenant_id = p.tenant_id AND "
                        "r.replica_id = p.replica_id AND r.phase = 'Pending' AND r.message IS DISTINCT FROM p.message")};
const Sql kUsageEvents{"usage_events.insert",
                       KeepText("INSERT INTO usage_events (tenant_id, source, event_id, meter, quantity, resource_kind, "
                       "resource_id, attributes, occurred_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
                       "$4::text[], $5::numeric[], $6::text[], $7::text[], $8::jsonb[], $9::timestamptz[]) ON CONFLICT "
                       "DO NOTHING")};

Status NameTaken(const std::string& name) {
  return AlreadyExists("an endpoint named '" + name + "' already exists", "name_taken")
      .WithViolations({{"name", "duplicate", "name is used by another endpoint of this tenant"}});
}


}  // namespace

Replica ToReplica(const ReplicaRecord& r) {
  Replica x;
  x.id = r.id;
  x.endpoint_id = r.endpoint;
  x.revision = r.revision;
  x.phase = r.phase;
  x.node = r.node;
  x.zone = r.zone;
  x.gpus = r.gpus;
  x.ready_at = r.ready_at;
  x.failure_reason = r.failure_reason;
  x.message = r.message;
  x.created_at = r.created_at;
  return x;
}

StatusOr<Endpoint> InsertEndpoint(Tx& tx, const Endpoint& e) {
  try {
    const auto r = Exec(tx, kInsert, e.tenant_id.str(), e.id.str(), e.name, LabelsJson(e.labels), ToJsonText(e.spec),
                        e.status.phase, ToJsonText(e.status.conditions), e.status.desired_replicas);
    return EndpointRow(r[0]);
  } catch (const UniqueViolation&) {
    return NameTaken(e.name);
  }
}

StatusOr<Endpoint> GetEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id, bool include_deleted) {
  const auto r = Exec(tx, kGet, tenant.str(), id.str(), include_deleted);
  if (r.empty()) return NotFound("endpoint " + id.str() + " not found");
  return EndpointRow(r[0]);
}

StatusOr<TenantId> EndpointTenant(Tx& tx, const EndpointId& id) {
  const auto r = Exec(tx, kTenant, id.str());
  if (r.empty()) return NotFound("endpoint " + id.str() + " not found");
  return TenantId::FromTrusted(r[0][0].c_str());
}

StatusOr<Page<Endpoint>> ListEndpoints(Tx& tx, const TenantId& tenant, const EndpointFilter& f, const ListQuery& q) {
  FilteredSql sql("endpoints.list", kSelect + " WHERE true");
  sql.Add("tenant_id = $?", tenant.str())
      .AddIf(!f.include_deleted, "deleted_at IS NULL")
      .Add("(CASE WHEN deletion_requested_at IS NOT NULL AND phase <> 'Deleted' THEN 'Deleting' ELSE phase END) = $?",
           f.phase)
      .Add("endpoint_id > $?", q.after);
  AddLabelFilters(sql, q.labels);
  sql.Tail("ORDER BY endpoint_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Endpoint>(sql.Run(tx), q.page_size, EndpointRow, [](const Endpoint& e) { return e.id.str(); });
}

StatusOr<Endpoint> UpdateEndpoint(Tx& tx, const Endpoint& u, std::int64_t expected_version, bool new_revision) {
  Result r;
  try {
    r = new_revision ? Exec(tx, kUpdateSpec, u.tenant_id.str(), u.id.str(), u.name, LabelsJson(u.labels),
                            expected_version, ToJsonText(u.spec))
                     : Exec(tx, kUpdateMeta, u.tenant_id.str(), u.id.str(), u.name, LabelsJson(u.labels),
                            expected_version);
  } catch (const UniqueViolation&) {
    return NameTaken(u.name);
  }
  if (r.empty()) {
    ASSIGN_OR_RETURN(Endpoint now, GetEndpoint(tx, u.tenant_id, u.id));
    if (now.deletion_requested_at) {
      return FailedPrecondition("endpoint " + u.id.str() + " is being deleted", "endpoint_deleting");
    }
    return FailedPrecondition("endpoint " + u.id.str() + " changed since version " + std::to_string(expected_version),
                              "precondition_failed");
  }
  return EndpointRow(r[0]);
}

StatusOr<Endpoint> RequestEndpointDeletion(Tx& tx, const TenantId& tenant, const EndpointId& id, bool* changed) {
  const auto r = Exec(tx, kDelete, tenant.str(), id.str());
  *changed = !r.empty();
  if (*changed) return EndpointRow(r[0]);
  return GetEndpoint(tx, tenant, id);
}

StatusOr<Page<EndpointRevision>> ListRevisions(Tx& tx, const TenantId& tenant, const EndpointId& id,
                                               const ListQuery& q) {
  FilteredSql sql("endpoint_revisions.list", std::string("SELECT ") + kRevisionCols + " FROM endpoint_revisions WHERE true");
  sql.Add("tenant_id = $?", tenant.str()).Add("endpoint_id = $?", id.str()).Add("revision > $?::int", q.after);
  sql.Tail("ORDER BY revision LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<EndpointRevision>(sql.Run(tx), q.page_size, RevisionRow,
                                  [](const EndpointRevision& r) { return std::to_string(r.revision); });
}

StatusOr<Page<Replica>> ListReplicas(Tx& tx, const TenantId& tenant, const EndpointId& id, bool include_gone,
                                     const ListQuery& q) {
  FilteredSql sql("endpoint_replicas.list", std::string("SELECT ") + kReplicaCols + " FROM endpoint_replicas r WHERE true");
  sql.Add("tenant_id = $?", tenant.str())
      .Add("endpoint_id = $?", id.str())
      .AddIf(!include_gone, "deleted_at IS NULL")
      .Add("replica_id > $?", q.after);
  sql.Tail("ORDER BY replica_id LIMIT $?", std::to_string(q.page_size + 1));
  return ToPage<Replica>(
      sql.Run(tx), q.page_size, [](const ResultRow& r) { return ToReplica(ReplicaRow(r)); },
      [](const Replica& r) { return r.id.str(); });
}

StatusOr<Endpoint> TouchEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id, bool wake) {
  const auto r = Exec(tx, kTouch, tenant.str(), id.str(), wake);
  if (r.empty()) return NotFound("endpoint " + id.str() + " not found");
  return EndpointRow(r[0]);
}

StatusOr<std::optional<EndpointRecord>> LoadEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id) {
  const auto r = Exec(tx, kGet, tenant.str(), id.str(), false);
  if (r.empty()) return std::optional<EndpointRecord>();
  EndpointRecord rec;
  rec.endpoint = EndpointRow(r[0]);
  rec.scaled_at = Ts(r[0][22]);
  rec.wake_requested_at = OptTs(r[0][23]);
  for (const auto& row : Exec(tx, kRevisions, tenant.str(), id.str())) rec.revisions.push_back(RevisionRow(row));
  for (const auto& row : Exec(tx, kLiveReplicas, tenant.str(), id.str())) rec.replicas.push_back(ReplicaRow(row));
  return std::optional<EndpointRecord>(std::move(rec));
}

StatusOr<std::vector<std::string>> LiveEndpointKeys(Tx& tx) {
  std::vector<std::string> out;
  for (const auto& r : Exec(tx, kLiveKeys)) out.emplace_back(r[0].c_str());
  return out;
}

StatusOr<std::pair<int, int>> ReplicaShape(Tx& tx, const std::string& gpu_type, int gpus) {
  constexpr Sql kShape{"endpoint_replicas.shape",
                       "SELECT vcpus, memory_gib FROM instance_types WHERE gpu_type_id = $1 AND gpu_count = $2 ORDER BY "
                       "available DESC, instance_type_id LIMIT 1"};
  const auto r = Exec(tx, kShape, gpu_type, gpus);
  if (r.empty()) {
    return NotFound("the region sells no " + std::to_string(gpus) + "-GPU " + gpu_type + " shape", "unknown_shape");
  }
  return std::make_pair(r[0][0].as<int>(), r[0][1].as<int>());
}

Status AdoptReplicas(Tx& tx, const TenantId& tenant, const EndpointId& id, int revision) {
  constexpr Sql kAdopt{"endpoint_replicas.adopt",
                       "UPDATE endpoint_replicas SET revision = $3, updated_at = now() WHERE tenant_id = $1 AND "
                       "endpoint_id = $2 AND deleted_at IS NULL AND revision <> $3"};
  Exec(tx, kAdopt, tenant.str(), id.str(), revision);
  return Status::Ok();
}

Status InsertReplica(Tx& tx, const ReplicaRecord& r) {
  Exec(tx, kInsertReplica, r.tenant.str(), r.id.str(), r.endpoint.str(), r.revision, r.phase, r.gpu_type, r.gpus,
       r.vcpus, r.memory_gib, r.requested_zone, r.message);
  return Status::Ok();
}

Status UpdateReplica(Tx& tx, const ReplicaRecord& r, const std::string& expected_phase) {
  const auto res = Exec(tx, kUpdateReplica, r.tenant.str(), r.id.str(), r.phase, r.node, r.zone, r.message,
                        r.failure_reason, r.ever_ready, TsParam(r.ready_at), expected_phase);
  if (res.affected_rows() == 0) {
    return Aborted("replica " + r.id.str() + " changed meanwhile (was " + expected_phase + ")", "replica_changed");
  }
  return Status::Ok();
}

StatusOr<Endpoint> WriteEndpointStatus(Tx& tx, const TenantId& tenant, const EndpointId& id,
                                       const EndpointStatusWrite& w) {
  const EndpointStatus& s = w.status;
  const auto r = Exec(tx, kWriteStatus, tenant.str(), id.str(), s.phase, s.observed_generation, ToJsonText(s.conditions),
                      s.desired_replicas, s.ready_replicas, s.updated_replicas, s.current_revision,
                      ToJsonText(s.traffic), s.failure_reason, TsParam(w.scaled_at), w.clear_wake, w.tombstone);
  if (r.empty()) return NotFound("endpoint " + id.str() + " not found");
  return EndpointRow(r[0]);
}

Status UpdateRevision(Tx& tx, const TenantId& tenant, const EndpointId& id, const EndpointRevision& r) {
  Exec(tx, kUpdateRevision, tenant.str(), id.str(), r.revision, r.state, r.message, r.failures);
  return Status::Ok();
}

StatusOr<std::vector<ReplicaRecord>> ReplicaPlacementQueue(Tx& tx, int limit) {
  std::vector<ReplicaRecord> out;
  for (const auto& r : Exec(tx, kQueue, limit)) out.push_back(ReplicaRow(r));
  return out;
}

StatusOr<std::map<std::pair<std::string, std::string>, int>> ReplicaSpread(Tx& tx,
                                                                           const std::vector<std::string>& endpoints) {
  constexpr Sql kSpread{"endpoint_replicas.spread",
                        "SELECT node_id, endpoint_id, count(*) FROM endpoint_replicas WHERE endpoint_id = ANY($1::text[]) "
                        "AND node_id IS NOT NULL AND deleted_at IS NULL GROUP BY node_id, endpoint_id"};
  std::map<std::pair<std::string, std::string>, int> out;
  for (const auto& r : Exec(tx, kSpread, TextArray(endpoints))) out[{r[0].c_str(), r[1].c_str()}] = r[2].as<int>();
  return out;
}

StatusOr<std::vector<std::string>> PlaceReplicas(Tx& tx, const std::vector<ReplicaPlacement>& ps) {
  std::vector<std::string> keys;
  if (ps.empty()) return keys;
  const auto r = Exec(tx, kPlace, TextArray(Column(ps, [](const ReplicaPlacement& p) { return p.tenant.str(); })),
                      TextArray(Column(ps, [](const ReplicaPlacement& p) { return p.id.str(); })),
                      TextArray(Column(ps, [](const ReplicaPlacement& p) { return p.node; })),
                      TextArray(Column(ps, [](const ReplicaPlacement& p) { return p.zone; })));
  for (const auto& row : r) keys.emplace_back(row[0].c_str());
  return keys;
}

Status NoteUnplacedReplicas(Tx& tx, const std::vector<std::pair<ReplicaRecord, std::string>>& notes) {
  if (notes.empty()) return Status::Ok();
  using Note = std::pair<ReplicaRecord, std::string>;
  Exec(tx, kNoteUnplaced, TextArray(Column(notes, [](const Note& n) { return n.first.tenant.str(); })),
       TextArray(Column(notes, [](const Note& n) { return n.first.id.str(); })),
       TextArray(Column(notes, [](const Note& n) { return n.second; })));
  return Status::Ok();
}

StatusOr<int> InsertUsageEvents(Tx& tx, const std::vector<UsageEvent>& events) {
  if (events.empty()) return 0;
  using E = UsageEvent;
  const auto r = Exec(tx, kUsageEvents, TextArray(Column(events, [](const E& e) { return e.tenant.str(); })),
                      TextArray(Column(events, [](const E& e) { return e.source; })),
                      TextArray(Column(events, [](const E& e) { return e.event_id; })),
                      TextArray(Column(events, [](const E& e) { return e.meter; })),
                      TextArray(Column(events, [](const E& e) { return std::to_string(e.quantity); })),
                      TextArray(Column(events, [](const E& e) { return e.resource_kind; })),
                      TextArray(Column(events, [](const E& e) { return e.resource_id; })),
                      TextArray(Column(events, [](const E& e) { return boost::json::serialize(e.attributes); })),
                      TextArray(Column(events, [](const E& e) { return FormatTimestamp(e.occurred_at); })));
  return static_cast<int>(r.affected_rows());
}

}  // namespace gaon::storage
