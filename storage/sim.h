// The simulated fleet's own state (the sim driver's "provider side"): its machines and the
// health of its hosts. Kept in PostgreSQL so it survives restarts and every controller replica
// sees the same fleet. Only the sim driver and the operator's sim routes use these.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/time.h"
#include "storage/database.h"

namespace gaon::storage {

struct SimMachine {
  std::string id;           // the resource id (inst_…)
  std::string node;
  std::string state;        // provisioning, running, stopping, stopped, starting, rebooting, failed
  std::string ip_address;
  Timestamp busy_until{};   // when the transition in progress completes
  std::optional<std::string> failure;
  int reboots = 0;
  bool host_healthy = true;  // read only: whether its host answers
};

StatusOr<std::optional<SimMachine>> GetSimMachine(Tx& tx, const std::string& id);
StatusOr<std::vector<SimMachine>> ListSimMachines(Tx& tx);
// Creates machine `m` (id, node, state, busy_until) on its host with a fresh address from the
// fleet's pool, "10.<a>.<b>.<c>", in one statement; returns the machine as stored — one made
// before under the same id included — or nothing when the host is failed.
StatusOr<std::optional<SimMachine>> CreateSimMachine(Tx& tx, const SimMachine& m);
Status UpdateSimMachine(Tx& tx, const SimMachine& m);
Status DeleteSimMachine(Tx& tx, const std::string& id);

// Hosts an operator failed (false) or recovered (true); hosts never mentioned are healthy.
StatusOr<std::map<std::string, bool>> SimNodeHealth(Tx& tx);
Status SetSimNodeHealth(Tx& tx, const std::string& node, bool healthy);

// ---------------------------------------------------------------- simulated inference replicas

struct SimReplica {
  std::string id;  // rep_…
  std::string endpoint;
  int revision = 0;
  std::string node;
  Timestamp ready_at{};              // loading completes
  std::optional<Timestamp> fails_at;  // it fails then (a failing revision, or a crash)
  std::optional<std::string> failure;
  bool host_healthy = true;           // read only
};
// Inserts `r` unless its id exists; returns what is stored either way.
StatusOr<SimReplica> InsertSimReplica(Tx& tx, const SimReplica& r);
StatusOr<std::optional<SimReplica>> GetSimReplica(Tx& tx, const std::string& id);
StatusOr<std::vector<SimReplica>> SimReplicasOf(Tx& tx, const std::string& endpoint);
Status DeleteSimReplica(Tx& tx, const std::string& id);

// The operator's traffic profile of an endpoint (gaon::SimEndpointProfile, with `until`).
struct SimTraffic {
  int concurrency = 0;
  int requests_per_second = 0;
  std::optional<Timestamp> until;
  std::vector<int> failing_revisions;
};
StatusOr<std::optional<SimTraffic>> GetSimTraffic(Tx& tx, const std::string& endpoint);
Status SetSimTraffic(Tx& tx, const std::string& endpoint, const SimTraffic& t);
// NotFound when the endpoint had no profile.
Status DeleteSimTraffic(Tx& tx, const std::string& endpoint);

}  // namespace gaon::storage
