#include "storage/instances.h"

#include "storage/internal/instance_rows.h"
#include "storage/internal/rows.h"

namespace gaon::storage {

const char* const kInstanceCols =
    "instance_id, tenant_id, name, labels, instance_type_id, image_id, requested_zone_id, "
    "array_to_json(ssh_key_ids)::text, desired_state, reboot_requests, generation, phase, observed_generation, "
    "conditions::text, zone_id, node_id, ip_address, status_extra::text, resource_version, created_at, updated_at, "
    "deletion_requested_at, deleted_at, failure_reason";

Instance InstanceRow(const ResultRow& r) {
  Instance i;
  i.id = InstanceId::FromTrusted(r[0].c_str());
  i.tenant_id = TenantId::FromTrusted(r[1].c_str());
  i.name = r[2].c_str();
  i.labels = LabelsOf(r[3]);
  i.spec.instance_type = r[4].c_str();
  i.spec.image = r[5].c_str();
  i.spec.zone = OptStr(r[6]);
  const boost::json::value keys = boost::json::parse(r[7].c_str());
  for (const auto& v : keys.as_array()) i.spec.ssh_key_ids.emplace_back(v.as_string());
  i.spec.desired_state = r[8].c_str();
  i.spec.reboot_requests = r[9].as<int>();
  i.generation = r[10].as<std::int64_t>();
  i.status.phase = r[11].c_str();
  i.status.observed_generation = r[12].as<std::int64_t>();
  const boost::json::value conditions = boost::json::parse(r[13].c_str());
  for (const auto& c : conditions.as_array()) {
    auto cond = FromJson<Condition>(c);
    if (cond.ok()) i.status.conditions.push_back(*cond);
  }
  i.status.zone = OptStr(r[14]);
  i.status.node = OptStr(r[15]);
  i.status.ip_address = OptStr(r[16]);
  const boost::json::value extra_value = boost::json::parse(r[17].c_str());
  const auto& extra = extra_value.as_object();
  if (const auto* p = extra.if_contains("placement")) {
    auto hints = FromJson<PlacementHints>(*p);
    if (hints.ok()) i.status.placement = *hints;
  }
  i.resource_version = r[18].as<std::int64_t>();
  i.created_at = Ts(r[19]);
  i.updated_at = Ts(r[20]);
  i.deletion_requested_at = OptTs(r[21]);
  i.deleted_at = OptTs(r[22]);
  i.status.failure_reason = OptStr(r[23]);
  // Asked to go away and not gone yet: that is what the tenant sees, whatever step the
  // controller is at.
  if (i.deletion_requested_at && i.status.phase != "Deleted") i.status.phase = "Deleting";
  return i;
}

const char* const kRecordCols =
    "phase, gpu_type_id, gpu_count, vcpus, memory_gib, run_count, reboots_done, evicting, failure_reason, user_data";

InstanceRecord InstanceRecordRow(const ResultRow& row) {
  constexpr int base = kInstanceColCount;
  InstanceRecord rec;
  rec.instance = InstanceRow(row);
  rec.stored_phase = row[base].c_str();
  rec.gpu_type = row[base + 1].c_str();
  rec.gpus = row[base + 2].as<int>();
  rec.vcpus = row[base + 3].as<int>();
  rec.memory_gib = row[base + 4].as<int>();
  rec.run_count = row[base + 5].as<int>();
  rec.reboots_done = row[base + 6].as<int>();
  rec.evicting = row[base + 7].as<bool>();
  rec.failure_reason = OptStr(row[base + 8]);
  rec.user_data = Str(row[base + 9]);
  rec.node_state = OptStr(row[base + 10]);
  rec.node_down_reason = OptStr(row[base + 11]);
  return rec;
}

namespace {

// What reads add to an instance: its queue position and the time of the ranking it comes from
// (migration 0012), for an instance that is waiting in the same stay in the queue it was ranked
// in. Three primary-key lookups, whatever the queue's length; the scheduler keeps the rows.
constexpr const char* kQueueCols = ", qp.position, qp.ranked_at, qp.gpu_type_id";
constexpr const char* kQueueJoin =
    " LEFT JOIN LATERAL (SELECT p.position, k.ranked_at, p.gpu_type_id FROM instance_queue_positions p "
    "JOIN instance_queue_rankings k ON k.gpu_type_id = p.gpu_type_id WHERE p.tenant_id = instances.tenant_id AND "
    "p.instance_id = instances.instance_id AND p.queued_at = instances.queued_at AND instances.node_id IS NULL AND "
    "instances.deleted_at IS NULL AND instances.deletion_requested_at IS NULL AND "
    "instances.desired_state = 'running' AND instances.phase = 'Pending') qp ON true";

// InstanceRow, plus the queue position read with kQueueCols: in status.queue_position, and in
// the message of the waiting Scheduled condition together with the time it was true at.
Instance InstanceWithPosition(const ResultRow& r) {
  Instance i = InstanceRow(r);
  constexpr int kAt = kInstanceColCount;
  if (r[kAt].is_null()) return i;
  i.status.queue_position = r[kAt].as<std::int64_t>();
  const std::string note = " Position " + std::to_string(*i.status.queue_position) + " in the " +
                           r[kAt + 2].c_str() + " queue (1 = next) as of " + FormatTimestamp(Ts(r[kAt + 1])) +
                           ", the scheduler's last ranking; see status.queue_position.";
  for (auto& c : i.status.conditions) {
    if (c.type == "Scheduled" && c.status == "False") c.message += note;
  }
  return i;
}

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      // ON CONFLICT names the live-name index: a name taken is a row not returned, not an
      // error, so the caller learns which name it was.
      {"insert", std::string("WITH ins AS (INSERT INTO instances (tenant_id, instance_id, name, instance_type_id, "
                             "image_id, requested_zone_id, ssh_key_ids, user_data, labels, gpu_type_id, gpu_count, vcpus, "
                             "memory_gib, phase, conditions, status_extra) SELECT $1, n.id, n.name, $4, $5, $6, "
                             "$7::text[], $8, $9::jsonb, $10, $11, $12, $13, $14, $15::jsonb, $16::jsonb FROM "
                             "unnest($2::text[], $3::text[]) WITH ORDINALITY AS n(id, name, ord) ORDER BY n.ord "
                             "ON CONFLICT (tenant_id, name) WHERE deleted_at IS NULL DO NOTHING RETURNING *), "
                             "ev AS (INSERT INTO instance_events (tenant_id, instance_id, type, reason, message, to_phase) "
                             "SELECT tenant_id, instance_id, $17, $18, $19, phase FROM ins) SELECT ") + kInstanceCols + " FROM ins"},
      {"get", std::string("SELECT ") + kInstanceCols + kQueueCols + " FROM instances" + kQueueJoin +
                  " WHERE tenant_id = $1 AND instance_id = $2 AND ($3 OR deleted_at IS NULL)"},
      {"meta", std::string("UPDATE instances SET name = $3, labels = $4::jsonb, updated_at = now(), resource_version = "
                           "resource_version + 1 WHERE tenant_id = $1 AND instance_id = $2 AND deleted_at IS NULL AND "
                           "resource_version = $5 RETURNING ") + kInstanceCols},
      // One statement per action; each changes spec only when it would make a difference.
      {"stop", std::string("UPDATE instances SET desired_state = 'stopped', generation = generation + 1, "
                           "resource_version = resource_version + 1, updated_at = now() WHERE tenant_id = $1 AND "
                           "instance_id = $2 AND deleted_at IS NULL AND deletion_requested_at IS NULL AND "
                           "desired_state <> 'stopped' RETURNING ") + kInstanceCols},
      {"start", std::string("UPDATE instances SET desired_state = 'running', generation = generation + 1, "
                            "resource_version = resource_version + 1, updated_at = now() WHERE tenant_id = $1 AND "
                            "instance_id = $2 AND deleted_at IS NULL AND deletion_requested_at IS NULL AND "
                            "(desired_state <> 'running' OR phase = 'Failed') RETURNING ") + kInstanceCols},
      {"reboot", std::string("UPDATE instances SET reboot_requests = reboot_requests + 1, generation = generation + 1, "
                             "resource_version = resource_version + 1, updated_at = now() WHERE tenant_id = $1 AND "
                             "instance_id = $2 AND deleted_at IS NULL AND deletion_requested_at IS NULL RETURNING ") + kInstanceCols},
      {"drain_move", std::string("UPDATE instances SET evicting = true, resource_version = resource_version + 1, "
                                 "updated_at = now() WHERE node_id = $1 AND deleted_at IS NULL AND "
                                 "deletion_requested_at IS NULL AND NOT evicting RETURNING ") + kInstanceCols},
      {"drain_stop", std::string("UPDATE instances SET desired_state = 'stopped', generation = generation + 1, "
                                 "resource_version = resource_version + 1, updated_at = now() WHERE node_id = $1 AND "
                                 "deleted_at IS NULL AND deletion_requested_at IS NULL AND desired_state = 'running' "
                                 "RETURNING ") + kInstanceCols},
      {"delete", std::string("UPDATE instances SET deletion_requested_at = now(), generation = generation + 1, "
                             "resource_version = resource_version + 1, updated_at = now() WHERE tenant_id = $1 AND "
                             "instance_id = $2 AND deleted_at IS NULL AND deletion_requested_at IS NULL RETURNING ") + kInstanceCols},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

constexpr Sql kAddEvent{"instance_events.insert",
                        "INSERT INTO instance_events (tenant_id, instance_id, type, reason, message, from_phase, to_phase) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7)"};
constexpr Sql kEvents{"instance_events.list",
                      "SELECT seq, at, type, reason, message, from_phase, to_phase FROM instance_events WHERE tenant_id = $1 "
                      "AND instance_id = $2 AND ($3::bigint IS NULL OR seq > $3) ORDER BY seq LIMIT $4"};

Status NameTaken(const std::string& name) {
  return AlreadyExists("an instance named '" + name + "' already exists", "name_taken")
      .WithViolations({{"name", "duplicate", "name is used by another instance of this tenant"}});
}

}  // namespace

Footprint InstanceFootprint(const InstanceType& type) {
  return InstanceFootprint(type.gpu_type, type.gpu_count, type.vcpus, type.memory_gib);
}

Footprint InstanceFootprint(const std::string& gpu_type, int gpus, int vcpus, int memory_gib) {
  return {{"instances", 1}, {"gpus", gpus}, {"gpus." + gpu_type, gpus}, {"vcpus", vcpus}, {"memory_gib", memory_gib}};
}

Pending<StatusOr<std::vector<Instance>>> QueueInsertInstances(Tx& tx, const Instance& i,
                                                              const std::vector<std::pair<InstanceId, std::string>>& names,
                                                              const InstanceType& type, const InstanceEvent& first) {
  boost::json::object extra;
  if (i.status.placement) extra["placement"] = ToJson(*i.status.placement);
  std::vector<std::string> ids, texts;
  for (const auto& [id, name] : names) {
    ids.push_back(id.str());
    texts.push_back(name);
  }
  auto d = ExecDeferred(tx, S("instances.insert", "insert"), i.tenant_id.str(), TextArray(ids), TextArray(texts),
                        i.spec.instance_type, i.spec.image, i.spec.zone, TextArray(i.spec.ssh_key_ids), i.spec.user_data,
                        LabelsJson(i.labels), type.gpu_type, type.gpu_count, type.vcpus, type.memory_gib,
                        i.status.phase, ToJsonText(i.status.conditions), boost::json::serialize(extra), first.type,
                        first.reason, first.message);
  return Pending<StatusOr<std::vector<Instance>>>([d, names]() mutable -> StatusOr<std::vector<Instance>> {
    std::map<std::string, Instance> made;
    for (const auto& row : d.Rows()) {
      Instance inst = InstanceRow(row);
      made.emplace(inst.id.str(), std::move(inst));
    }
    std::vector<Instance> out;
    for (const auto& [id, name] : names) {
      auto it = made.find(id.str());
      if (it == made.end()) return NameTaken(name);
      out.push_back(std::move(it->second));
    }
    return out;
  });
}

StatusOr<Instance> GetInstance(Tx& tx, const TenantId& tenant, const InstanceId& id, bool include_deleted) {
  const auto r = Exec(tx, S("instances.get", "get"), tenant.str(), id.str(), include_deleted);
  if (r.empty()) return NotFound("instance " + id.str() + " not found");
  return InstanceWithPosition(r[0]);
}

StatusOr<Page<Instance>> ListInstances(Tx& tx, const TenantId& tenant, const InstanceFilter& f, const ListQuery& q) {
  // The page is chosen first and only its rows look up their queue position: joined before
  // the LIMIT, a plan that sorts the tenant's instances would look up every one of them.
  FilteredSql sql("instances.list", std::string("SELECT ") + kInstanceCols + kQueueCols +
                                        " FROM (SELECT * FROM instances WHERE true");
  sql.Add("tenant_id = $?", tenant.str())
      .AddIf(!f.include_deleted, "deleted_at IS NULL")
      .Add("(CASE WHEN deletion_requested_at IS NOT NULL AND phase <> 'Deleted' THEN 'Deleting' ELSE phase END) = $?",
           f.phase)
      .Add("coalesce(zone_id, requested_zone_id) = $?", f.zone)
      .Add("instance_type_id = $?", f.instance_type)
      .Add("instance_id > $?", q.after);
  AddLabelFilters(sql, q.labels);
  sql.Tail(std::string("ORDER BY instance_id LIMIT $?) instances") + kQueueJoin + " ORDER BY instance_id",
           std::to_string(q.page_size + 1));
  return ToPage<Instance>(sql.Run(tx), q.page_size, InstanceWithPosition,
                         [](const Instance& i) { return i.id.str(); });
}

StatusOr<Instance> UpdateInstanceMeta(Tx& tx, const Instance& u, std::int64_t expected_version) {
  Result r;
  try {
    r = Exec(tx, S("instances.update_meta", "meta"), u.tenant_id.str(), u.id.str(), u.name, LabelsJson(u.labels),
             expected_version);
  } catch (const UniqueViolation&) {
    return NameTaken(u.name);
  }
  if (r.empty()) {
    RETURN_IF_ERROR(GetInstance(tx, u.tenant_id, u.id).status());
    return FailedPrecondition("instance " + u.id.str() + " changed since version " + std::to_string(expected_version),
                              "precondition_failed");
  }
  return InstanceRow(r[0]);
}

StatusOr<Instance> ApplyInstanceAction(Tx& tx, const TenantId& tenant, const InstanceId& id, InstanceAction action,
                                       bool* changed) {
  static constexpr const char* kKeys[] = {"stop", "start", "reboot", "delete"};
  static constexpr const char* kNames[] = {"instances.stop", "instances.start", "instances.reboot", "instances.delete"};
  const int a = static_cast<int>(action);
  const auto r = Exec(tx, S(kNames[a], kKeys[a]), tenant.str(), id.str());
  *changed = !r.empty();
  if (*changed) return InstanceRow(r[0]);
  ASSIGN_OR_RETURN(Instance current, GetInstance(tx, tenant, id));
  if (current.deletion_requested_at && action != InstanceAction::kDelete) {
    return FailedPrecondition("instance " + id.str() + " is being deleted", "instance_deleting");
  }
  return current;
}

StatusOr<std::vector<Instance>> DrainInstances(Tx& tx, const std::string& node, const std::string& policy) {
  const Sql sql = policy == "stop" ? S("instances.drain_stop", "drain_stop") : S("instances.drain_move", "drain_move");
  std::vector<Instance> out;
  for (const auto& r : Exec(tx, sql, node)) out.push_back(InstanceRow(r));
  return out;
}

Status AddInstanceEvent(Tx& tx, const TenantId& tenant, const InstanceId& id, const InstanceEvent& e) {
  Exec(tx, kAddEvent, tenant.str(), id.str(), e.type, e.reason, e.message, e.from_phase, e.to_phase);
  return Status::Ok();
}

StatusOr<Page<InstanceEvent>> ListInstanceEvents(Tx& tx, const TenantId& tenant, const InstanceId& id,
                                                 const ListQuery& q) {
  std::optional<std::int64_t> after;
  if (q.after) after = std::stoll(*q.after);
  return ToPage<InstanceEvent>(
      Exec(tx, kEvents, tenant.str(), id.str(), after, q.page_size + 1), q.page_size,
      [](const ResultRow& r) {
        InstanceEvent e;
        e.seq = r[0].as<std::int64_t>();
        e.time = Ts(r[1]);
        e.type = r[2].c_str();
        e.reason = r[3].c_str();
        e.message = r[4].c_str();
        e.from_phase = OptStr(r[5]);
        e.to_phase = OptStr(r[6]);
        return e;
      },
      [](const InstanceEvent& e) { return std::to_string(e.seq); });
}

}  // namespace gaon::storage
