#include "storage/sim.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr const char* kCols =
    "machine_id, node_id, state, ip_address, busy_until, failure, reboots, "
    "coalesce((SELECT healthy FROM sim_nodes h WHERE h.node_id = m.node_id), true)";

const std::string& Text(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"get", std::string("SELECT ") + kCols + " FROM sim_machines m WHERE machine_id = $1"},
      {"list", std::string("SELECT ") + kCols + " FROM sim_machines m ORDER BY machine_id"},
      // Inserts, with the next address of the pool ("10.<a>.<b>.<c>"), unless the id exists or
      // the host is failed; returns what is stored under the id (nothing: the host is failed).
      {"create", std::string("WITH ip AS (SELECT nextval('sim_ip_seq') AS n WHERE coalesce((SELECT healthy FROM "
                             "sim_nodes WHERE node_id = $2), true)), "
                             "ins AS (INSERT INTO sim_machines AS m (machine_id, node_id, state, ip_address, busy_until) "
                             "SELECT $1, $2, $3, format('10.%s.%s.%s', (n >> 16) & 255, (n >> 8) & 255, n & 255), "
                             "$4::timestamptz FROM ip ON CONFLICT DO NOTHING RETURNING ") + kCols +
                     ") SELECT * FROM ins UNION ALL SELECT " + kCols +
                     " FROM sim_machines m WHERE machine_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)"},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

constexpr Sql kUpdate{"sim.update",
                      "UPDATE sim_machines SET node_id = $2, state = $3, ip_address = $4, busy_until = $5::timestamptz, "
                      "failure = $6, reboots = $7, updated_at = now() WHERE machine_id = $1"};
constexpr Sql kDelete{"sim.delete", "DELETE FROM sim_machines WHERE machine_id = $1"};
constexpr Sql kHealth{"sim.health", "SELECT node_id, healthy FROM sim_nodes"};
constexpr Sql kSetHealth{"sim.set_health",
                         "INSERT INTO sim_nodes (node_id, healthy) VALUES ($1, $2) ON CONFLICT (node_id) DO UPDATE "
                         "SET healthy = excluded.healthy, changed_at = now()"};

SimMachine Row(const ResultRow& r) {
  return SimMachine{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), Ts(r[4]),
                    OptStr(r[5]),  r[6].as<int>(), r[7].as<bool>()};
}

}  // namespace

StatusOr<std::optional<SimMachine>> GetSimMachine(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, S("sim.get", "get"), id);
  if (r.empty()) return std::optional<SimMachine>();
  return std::optional<SimMachine>(Row(r[0]));
}

StatusOr<std::vector<SimMachine>> ListSimMachines(Tx& tx) {
  std::vector<SimMachine> out;
  for (const auto& r : Exec(tx, S("sim.list", "list"))) out.push_back(Row(r));
  return out;
}

StatusOr<std::optional<SimMachine>> CreateSimMachine(Tx& tx, const SimMachine& m) {
  const auto r = Exec(tx, S("sim.create", "create"), m.id, m.node, m.state, FormatTimestamp(m.busy_until));
  if (r.empty()) return std::optional<SimMachine>();
  return std::optional<SimMachine>(Row(r[0]));
}

Status UpdateSimMachine(Tx& tx, const SimMachine& m) {
  ExecLater(tx, kUpdate, m.id, m.node, m.state, m.ip_address, FormatTimestamp(m.busy_until), m.failure, m.reboots);
  return Status::Ok();
}

Status DeleteSimMachine(Tx& tx, const std::string& id) {
  ExecLater(tx, kDelete, id);
  return Status::Ok();
}

StatusOr<std::map<std::string, bool>> SimNodeHealth(Tx& tx) {
  std::map<std::string, bool> out;
  for (const auto& r : Exec(tx, kHealth)) out[r[0].c_str()] = r[1].as<bool>();
  return out;
}

Status SetSimNodeHealth(Tx& tx, const std::string& node, bool healthy) {
  ExecLater(tx, kSetHealth, node, healthy);
  return Status::Ok();
}

namespace {

constexpr const char* kReplicaCols =
    "replica_id, endpoint_id, revision, node_id, ready_at, fails_at, failure, "
    "coalesce((SELECT healthy FROM sim_nodes h WHERE h.node_id = r.node_id), true)";

const std::string& ReplicaText(const std::string& key) {
  static const std::map<std::string, std::string> t = {
      {"get", std::string("SELECT ") + kReplicaCols + " FROM sim_replicas r WHERE replica_id = $1"},
      {"of", std::string("SELECT ") + kReplicaCols + " FROM sim_replicas r WHERE endpoint_id = $1 ORDER BY replica_id"},
      {"insert", std::string("WITH ins AS (INSERT INTO sim_replicas AS r (replica_id, endpoint_id, revision, node_id, "
                             "state, ready_at, fails_at, failure) VALUES ($1, $2, $3, $4, 'loading', $5::timestamptz, "
                             "$6::timestamptz, $7) ON CONFLICT DO NOTHING RETURNING ") + kReplicaCols +
                     ") SELECT * FROM ins UNION ALL SELECT " + kReplicaCols +
                     " FROM sim_replicas r WHERE replica_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)"},
  };
  return t.at(key);
}

Sql R(const char* name, const char* key) { return Sql{name, ReplicaText(key)}; }

SimReplica ReplicaRow(const ResultRow& r) {
  return SimReplica{r[0].c_str(), r[1].c_str(), r[2].as<int>(), r[3].c_str(), Ts(r[4]), OptTs(r[5]), OptStr(r[6]),
                    r[7].as<bool>()};
}

constexpr Sql kDeleteReplica{"sim.delete_replica", "DELETE FROM sim_replicas WHERE replica_id = $1"};
constexpr Sql kTraffic{"sim.traffic",
                       "SELECT concurrency, requests_per_second, until, array_to_json(failing_revisions)::text FROM "
                       "sim_endpoint_traffic WHERE endpoint_id = $1"};
constexpr Sql kSetTraffic{"sim.set_traffic",
                          "INSERT INTO sim_endpoint_traffic (endpoint_id, concurrency, requests_per_second, until, "
                          "failing_revisions) VALUES ($1, $2, $3, $4::timestamptz, $5::int[]) ON CONFLICT (endpoint_id) "
                          "DO UPDATE SET concurrency = excluded.concurrency, requests_per_second = "
                          "excluded.requests_per_second, until = excluded.until, failing_revisions = "
                          "excluded.failing_revisions, updated_at = now()"};
constexpr Sql kDeleteTraffic{"sim.delete_traffic", "DELETE FROM sim_endpoint_traffic WHERE endpoint_id = $1"};

}  // namespace

StatusOr<SimReplica> InsertSimReplica(Tx& tx, const SimReplica& r) {
  const auto res = Exec(tx, R("sim.insert_replica", "insert"), r.id, r.endpoint, r.revision, r.node,
                        FormatTimestamp(r.ready_at), TsParam(r.fails_at), r.failure);
  return ReplicaRow(res[0]);
}

StatusOr<std::optional<SimReplica>> GetSimReplica(Tx& tx, const std::string& id) {
  const auto r = Exec(tx, R("sim.get_replica", "get"), id);
  if (r.empty()) return std::optional<SimReplica>();
  return std::optional<SimReplica>(ReplicaRow(r[0]));
}

StatusOr<std::vector<SimReplica>> SimReplicasOf(Tx& tx, const std::string& endpoint) {
  std::vector<SimReplica> out;
  for (const auto& r : Exec(tx, R("sim.replicas_of", "of"), endpoint)) out.push_back(ReplicaRow(r));
  return out;
}

Status DeleteSimReplica(Tx& tx, const std::string& id) {
  Exec(tx, kDeleteReplica, id);
  return Status::Ok();
}

StatusOr<std::optional<SimTraffic>> GetSimTraffic(Tx& tx, const std::string& endpoint) {
  const auto r = Exec(tx, kTraffic, endpoint);
  if (r.empty()) return std::optional<SimTraffic>();
  SimTraffic t;
  t.concurrency = r[0][0].as<int>();
  t.requests_per_second = r[0][1].as<int>();
  t.until = OptTs(r[0][2]);
  const boost::json::value revs = boost::json::parse(r[0][3].c_str());
  for (const auto& v : revs.as_array()) t.failing_revisions.push_back(static_cast<int>(v.to_number<std::int64_t>()));
  return std::optional<SimTraffic>(t);
}

Status SetSimTraffic(Tx& tx, const std::string& endpoint, const SimTraffic& t) {
  std::string revs = "{";
  for (std::size_t i = 0; i < t.failing_revisions.size(); ++i) {
    revs += (i ? "," : "") + std::to_string(t.failing_revisions[i]);
  }
  revs += "}";
  Exec(tx, kSetTraffic, endpoint, t.concurrency, t.requests_per_second, TsParam(t.until), revs);
  return Status::Ok();
}

Status DeleteSimTraffic(Tx& tx, const std::string& endpoint) {
  if (Exec(tx, kDeleteTraffic, endpoint).affected_rows() == 0) {
    return NotFound("endpoint " + endpoint + " has no simulated traffic profile");
  }
  return Status::Ok();
}

}  // namespace gaon::storage
