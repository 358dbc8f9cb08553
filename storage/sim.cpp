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
      // Inserts unless the id exists; either way returns what is stored.
      {"insert", std::string("WITH ins AS (INSERT INTO sim_machines AS m (machine_id, node_id, state, ip_address, "
                             "busy_until, failure, reboots) VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7) "
                             "ON CONFLICT DO NOTHING RETURNING ") + kCols + ") SELECT * FROM ins UNION ALL SELECT " +
                     kCols + " FROM sim_machines m WHERE machine_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)"},
  };
  return t.at(key);
}

Sql S(const char* name, const char* key) { return Sql{name, Text(key)}; }

constexpr Sql kUpdate{"sim.update",
                      "UPDATE sim_machines SET node_id = $2, state = $3, ip_address = $4, busy_until = $5::timestamptz, "
                      "failure = $6, reboots = $7, updated_at = now() WHERE machine_id = $1"};
constexpr Sql kDelete{"sim.delete", "DELETE FROM sim_machines WHERE machine_id = $1"};
constexpr Sql kNextIp{"sim.next_ip", "SELECT nextval('sim_ip_seq')"};
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

StatusOr<SimMachine> InsertSimMachine(Tx& tx, const SimMachine& m) {
  const auto r = Exec(tx, S("sim.insert", "insert"), m.id, m.node, m.state, m.ip_address, FormatTimestamp(m.busy_until),
                      m.failure, m.reboots);
  return Row(r[0]);
}

Status UpdateSimMachine(Tx& tx, const SimMachine& m) {
  ExecLater(tx, kUpdate, m.id, m.node, m.state, m.ip_address, FormatTimestamp(m.busy_until), m.failure, m.reboots);
  return Status::Ok();
}

Status DeleteSimMachine(Tx& tx, const std::string& id) {
  ExecLater(tx, kDelete, id);
  return Status::Ok();
}

StatusOr<std::string> NextSimAddress(Tx& tx) {
  const std::int64_t n = Exec(tx, kNextIp)[0][0].as<std::int64_t>();
  return "10." + std::to_string((n >> 16) & 0xff) + "." + std::to_string((n >> 8) & 0xff) + "." +
         std::to_string(n & 0xff);
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

}  // namespace gaon::storage
