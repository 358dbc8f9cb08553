#include "controller/sim_driver.h"

#include <algorithm>

#include "storage/sim.h"

namespace gaon::controller {
namespace {

using storage::SimMachine;

// A transition whose time has come is over.
SimMachine Settle(SimMachine m, Timestamp now) {
  if (now < m.busy_until) return m;
  if (m.state == "provisioning" || m.state == "starting" || m.state == "rebooting") m.state = "running";
  if (m.state == "stopping") m.state = "stopped";
  return m;
}

MachineState StateOf(const std::string& s) {
  if (s == "provisioning") return MachineState::kProvisioning;
  if (s == "starting") return MachineState::kStarting;
  if (s == "running") return MachineState::kRunning;
  if (s == "rebooting") return MachineState::kRebooting;
  if (s == "stopping") return MachineState::kStopping;
  if (s == "stopped") return MachineState::kStopped;
  return MachineState::kFailed;
}

Machine ToMachine(const SimMachine& m) {
  Machine out;
  out.id = m.id;
  out.state = StateOf(m.state);
  out.node = m.node;
  out.ip_address = m.ip_address;
  out.busy_until = m.busy_until;
  out.failure = m.failure;
  out.reboots = m.reboots;
  out.host_down = !m.host_healthy;
  return out;
}

Machine Absent(const std::string& id) {
  Machine m;
  m.id = id;
  return m;
}

Status HostDown(const std::string& node) {
  return Unavailable("host " + node + " does not answer", "host_down");
}

}  // namespace

std::string_view ToString(MachineState s) {
  switch (s) {
    case MachineState::kAbsent: return "absent";
    case MachineState::kProvisioning: return "provisioning";
    case MachineState::kStarting: return "starting";
    case MachineState::kRunning: return "running";
    case MachineState::kRebooting: return "rebooting";
    case MachineState::kStopping: return "stopping";
    case MachineState::kStopped: return "stopped";
    case MachineState::kFailed: return "failed";
  }
  return "unknown";
}

SimDriver::SimDriver(storage::Database& db, std::vector<FleetHost> fleet, SimConfig config)
    : db_(db), fleet_(std::move(fleet)), config_(std::move(config)), rng_(std::random_device{}()) {}

std::chrono::milliseconds SimDriver::Draw(const DurationRange& range) {
  if (range.max <= range.min) return range.min;
  std::lock_guard lock(rng_mu_);
  std::uniform_int_distribution<std::int64_t> d(range.min.count(), range.max.count());
  return std::chrono::milliseconds(d(rng_));
}

bool SimDriver::Fails() {
  if (config_.failure_percent <= 0) return false;
  std::lock_guard lock(rng_mu_);
  return std::uniform_int_distribution<int>(1, 100)(rng_) <= config_.failure_percent;
}

// Not durable: the simulated provider's own record. A PostgreSQL crash can lose only its last
// changes, together with every status write that followed them, so what the reconciler reads
// afterwards is a provider that had not done them yet, and it asks again (docs/controllers.md).
StatusOr<Machine> SimDriver::Mutate(
    const std::string& id,
    const std::function<StatusOr<std::optional<SimMachine>>(storage::Tx&, std::optional<SimMachine>)>& fn) {
  Machine out = Absent(id);
  RETURN_IF_ERROR(db_.Transact({.platform = true, .durable = false, .name = "sim.mutate"}, [&](storage::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto current, storage::GetSimMachine(tx, id));
    if (current) current = Settle(*current, Now());
    ASSIGN_OR_RETURN(auto next, fn(tx, current));
    out = next ? ToMachine(*next) : Absent(id);
    return Status::Ok();
  }));
  return out;
}

StatusOr<Machine> SimDriver::Create(const MachineSpec& spec) {
  return Mutate(spec.id, [&](storage::Tx& tx, std::optional<SimMachine> m) -> StatusOr<std::optional<SimMachine>> {
    if (m) return m;  // created before: idempotent
    const bool known = std::any_of(fleet_.begin(), fleet_.end(), [&](const FleetHost& h) { return h.id == spec.node; });
    if (!known) return InvalidArgument("the fleet has no host " + spec.node, "unknown_host");
    if (Fails()) {
      return Unavailable("provisioning failed on host " + spec.node + " (simulated fault)", "provisioning_failed");
    }
    SimMachine created;
    created.id = spec.id;
    created.node = spec.node;
    created.state = "provisioning";
    created.busy_until = Now() + std::chrono::duration_cast<std::chrono::microseconds>(Draw(config_.provision_time));
    // The host's health, the address and the insert in one statement.
    ASSIGN_OR_RETURN(auto stored, storage::CreateSimMachine(tx, created));
    if (!stored) return HostDown(spec.node);
    return std::optional<SimMachine>(Settle(*stored, Now()));
  });
}

StatusOr<Machine> SimDriver::Start(const std::string& id, const std::string& node) {
  return Mutate(id, [&](storage::Tx& tx, std::optional<SimMachine> m) -> StatusOr<std::optional<SimMachine>> {
    if (!m) return NotFound("no machine " + id, "machine_absent");
    if (m->state != "stopped") return m;  // running, or on its way somewhere: nothing to do now
    ASSIGN_OR_RETURN(auto health, storage::SimNodeHealth(tx));
    if (health.count(node) && !health[node]) return HostDown(node);
    m->node = node;
    m->state = "starting";
    m->busy_until = Now() + std::chrono::duration_cast<std::chrono::microseconds>(Draw(config_.boot_time));
    RETURN_IF_ERROR(storage::UpdateSimMachine(tx, *m));
    m->host_healthy = true;
    return std::optional<SimMachine>(Settle(*m, Now()));
  });
}

StatusOr<Machine> SimDriver::Stop(const std::string& id) {
  return Mutate(id, [&](storage::Tx& tx, std::optional<SimMachine> m) -> StatusOr<std::optional<SimMachine>> {
    if (!m || m->state == "stopped" || m->state == "stopping" || m->state == "failed") return m;
    m->state = "stopping";
    m->busy_until = Now() + std::chrono::duration_cast<std::chrono::microseconds>(Draw(config_.boot_time));
    RETURN_IF_ERROR(storage::UpdateSimMachine(tx, *m));
    return std::optional<SimMachine>(Settle(*m, Now()));
  });
}

StatusOr<Machine> SimDriver::Reboot(const std::string& id, int sequence) {
  return Mutate(id, [&](storage::Tx& tx, std::optional<SimMachine> m) -> StatusOr<std::optional<SimMachine>> {
    if (!m) return NotFound("no machine " + id, "machine_absent");
    if (m->reboots >= sequence || m->state != "running") return m;  // done already, or not up yet
    m->state = "rebooting";
    m->reboots = sequence;
    m->busy_until = Now() + std::chrono::duration_cast<std::chrono::microseconds>(Draw(config_.boot_time));
    RETURN_IF_ERROR(storage::UpdateSimMachine(tx, *m));
    return std::optional<SimMachine>(Settle(*m, Now()));
  });
}

Status SimDriver::Delete(const std::string& id) {
  return Mutate(id, [&](storage::Tx& tx, std::optional<SimMachine> m) -> StatusOr<std::optional<SimMachine>> {
    if (m) RETURN_IF_ERROR(storage::DeleteSimMachine(tx, id));
    return std::optional<SimMachine>();
  }).status();
}

StatusOr<Machine> SimDriver::Describe(const std::string& id) {
  Machine out = Absent(id);
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "sim.describe"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(auto m, storage::GetSimMachine(tx, id));
                                 if (m) out = ToMachine(Settle(*m, Now()));
                                 return Status::Ok();
                               }));
  return out;
}

StatusOr<std::vector<Machine>> SimDriver::List() {
  std::vector<Machine> out;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "sim.list"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(auto all, storage::ListSimMachines(tx));
                                 out.clear();
                                 for (const auto& m : all) out.push_back(ToMachine(Settle(m, Now())));
                                 return Status::Ok();
                               }));
  return out;
}

StatusOr<std::vector<FleetHost>> SimDriver::Hosts() {
  std::map<std::string, bool> health;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "sim.hosts"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(health, storage::SimNodeHealth(tx));
                                 return Status::Ok();
                               }));
  std::vector<FleetHost> out = fleet_;
  for (auto& h : out) {
    const auto it = health.find(h.id);
    h.healthy = it == health.end() || it->second;
  }
  return out;
}

std::optional<Timestamp> SimDriver::CrashTime(Timestamp ready_at) {
  if (config_.replica_crash_interval.count() <= 0) return std::nullopt;
  std::lock_guard lock(rng_mu_);
  std::exponential_distribution<double> d(1.0 / static_cast<double>(config_.replica_crash_interval.count()));
  return ready_at + std::chrono::milliseconds(static_cast<std::int64_t>(d(rng_)) + 1);
}

namespace {

ReplicaObservation Observe(const storage::SimReplica& r, Timestamp now) {
  ReplicaObservation o;
  o.id = r.id;
  o.node = r.node;
  o.ready_at = r.ready_at;
  o.host_down = !r.host_healthy;
  if (o.host_down) {
    o.state = ReplicaState::kFailed;
    o.failure = "host " + r.node + " does not answer";
  } else if (r.fails_at && now >= *r.fails_at) {
    o.state = ReplicaState::kFailed;
    o.failure = r.failure;
    o.served = *r.fails_at > r.ready_at;  // a crash comes after ready_at; a failed load at or before it
  } else {
    o.state = now >= r.ready_at ? ReplicaState::kReady : ReplicaState::kLoading;
  }
  return o;
}

}  // namespace

StatusOr<ReplicaObservation> SimDriver::CreateReplica(const ReplicaSpec& spec) {
  ReplicaObservation out;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "sim.create_replica"}, [&](storage::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto existing, storage::GetSimReplica(tx, spec.id));
    if (existing) {  // created before: idempotent
      out = Observe(*existing, Now());
      return Status::Ok();
    }
    const bool known = std::any_of(fleet_.begin(), fleet_.end(), [&](const FleetHost& h) { return h.id == spec.node; });
    if (!known) return InvalidArgument("the fleet has no host " + spec.node, "unknown_host");
    ASSIGN_OR_RETURN(auto health, storage::SimNodeHealth(tx));
    if (health.count(spec.node) && !health[spec.node]) return HostDown(spec.node);
    const auto start = Draw(config_.replica_start_time);
    const auto load = std::chrono::milliseconds(config_.model_load_time_per_billion.count() *
                                                spec.parameters_millions / 1000);
    const Timestamp now = Now();
    storage::SimReplica r;
    r.id = spec.id;
    r.endpoint = spec.endpoint;
    r.revision = spec.revision;
    r.node = spec.node;
    r.ready_at = now + std::chrono::duration_cast<std::chrono::microseconds>(start + load);
    ASSIGN_OR_RETURN(auto traffic, storage::GetSimTraffic(tx, spec.endpoint));
    const bool failing = traffic && std::find(traffic->failing_revisions.begin(), traffic->failing_revisions.end(),
                                              spec.revision) != traffic->failing_revisions.end();
    if (failing) {
      r.fails_at = now + std::chrono::duration_cast<std::chrono::microseconds>((start + load) / 2);
      r.failure = "simulated: the model server exited while loading " + spec.model +
                  " (torch.OutOfMemoryError: CUDA out of memory)";
    } else if (auto crash = CrashTime(r.ready_at)) {
      r.fails_at = *crash;
      r.failure = "simulated: the model server crashed (CUDA error: an illegal memory access was encountered)";
    }
    ASSIGN_OR_RETURN(auto stored, storage::InsertSimReplica(tx, r));
    out = Observe(stored, now);
    return Status::Ok();
  }));
  return out;
}

StatusOr<ReplicaObservation> SimDriver::DescribeReplica(const std::string& id) {
  ReplicaObservation out;
  out.id = id;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "sim.describe_replica"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(auto r, storage::GetSimReplica(tx, id));
                                 if (r) out = Observe(*r, Now());
                                 return Status::Ok();
                               }));
  return out;
}

Status SimDriver::DeleteReplica(const std::string& id) {
  return db_.Transact({.platform = true, .name = "sim.delete_replica"},
                      [&](storage::Tx& tx) { return storage::DeleteSimReplica(tx, id); });
}

StatusOr<std::vector<ReplicaLoad>> SimDriver::EndpointLoad(const std::string& endpoint) {
  std::vector<ReplicaLoad> out;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "sim.endpoint_load"},
                               [&](storage::Tx& tx) -> Status {
                                 out.clear();
                                 ASSIGN_OR_RETURN(auto replicas, storage::SimReplicasOf(tx, endpoint));
                                 ASSIGN_OR_RETURN(auto traffic, storage::GetSimTraffic(tx, endpoint));
                                 const Timestamp now = Now();
                                 for (const auto& r : replicas) {
                                   if (Observe(r, now).state == ReplicaState::kReady) out.push_back({r.id, 0, 0});
                                 }
                                 if (out.empty() || !traffic || (traffic->until && now >= *traffic->until)) {
                                   return Status::Ok();
                                 }
                                 const auto n = static_cast<std::int64_t>(out.size());
                                 for (std::int64_t i = 0; i < n; ++i) {
                                   out[i].concurrency = traffic->concurrency / n + (i < traffic->concurrency % n);
                                   out[i].requests_per_second =
                                       traffic->requests_per_second / n + (i < traffic->requests_per_second % n);
                                 }
                                 return Status::Ok();
                               }));
  return out;
}

}  // namespace gaon::controller
