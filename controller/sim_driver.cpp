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

StatusOr<Machine> SimDriver::Mutate(
    const std::string& id,
    const std::function<StatusOr<std::optional<SimMachine>>(storage::Tx&, std::optional<SimMachine>)>& fn) {
  Machine out = Absent(id);
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "sim.mutate"}, [&](storage::Tx& tx) -> Status {
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
    ASSIGN_OR_RETURN(auto health, storage::SimNodeHealth(tx));
    if (health.count(spec.node) && !health[spec.node]) return HostDown(spec.node);
    if (Fails()) {
      return Unavailable("provisioning failed on host " + spec.node + " (simulated fault)", "provisioning_failed");
    }
    SimMachine created;
    created.id = spec.id;
    created.node = spec.node;
    created.state = "provisioning";
    ASSIGN_OR_RETURN(created.ip_address, storage::NextSimAddress(tx));
    created.busy_until = Now() + std::chrono::duration_cast<std::chrono::microseconds>(Draw(config_.provision_time));
    ASSIGN_OR_RETURN(SimMachine stored, storage::InsertSimMachine(tx, created));
    return std::optional<SimMachine>(Settle(stored, Now()));
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

}  // namespace gaon::controller
