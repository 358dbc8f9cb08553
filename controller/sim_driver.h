// SimDriver: a fleet of simulated GPU hosts (deploy/fleet.yaml), the default driver.
//
// Machines live in PostgreSQL (storage/sim.h), so they survive gaond restarts and every
// controller replica sees the same fleet. A transition (provisioning, start, stop, reboot)
// takes a time drawn from the configured range (zero in tests) and completes by itself: the
// state a call returns is the state at that moment. Provisioning fails at the configured
// rate (Unavailable: the controller retries). Hosts an operator failed through the sim routes
// stop reporting healthy; their machines report host_down.
//
// Inference replicas (storage::SimReplica) start, load their model — the time grows with the
// model's size — and report ready; replicas of a revision the operator marked failing fail
// half way through loading, and ready replicas crash at the configured mean interval. The
// load an endpoint carries is the operator's traffic profile, spread evenly over its ready
// replicas.
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <mutex>
#include <random>
#include <vector>

#include "controller/driver.h"
#include "core/config.h"
#include "core/fleet_loader.h"
#include "storage/database.h"

namespace gaon::storage {
struct SimMachine;
}

namespace gaon::controller {

class SimDriver final : public Driver {
 public:
  SimDriver(storage::Database& db, std::vector<FleetHost> fleet, SimConfig config);

  StatusOr<Machine> Create(const MachineSpec& spec) override;
  StatusOr<Machine> Start(const std::string& id, const std::string& node) override;
  StatusOr<Machine> Stop(const std::string& id) override;
  StatusOr<Machine> Reboot(const std::string& id, int sequence) override;
  Status Delete(const std::string& id) override;
  StatusOr<Machine> Describe(const std::string& id) override;
  StatusOr<std::vector<Machine>> List() override;
  StatusOr<std::vector<FleetHost>> Hosts() override;
  StatusOr<ReplicaObservation> CreateReplica(const ReplicaSpec& spec) override;
  StatusOr<ReplicaObservation> DescribeReplica(const std::string& id) override;
  Status DeleteReplica(const std::string& id) override;
  StatusOr<std::vector<ReplicaLoad>> EndpointLoad(const std::string& endpoint) override;

 private:
  std::chrono::milliseconds Draw(const DurationRange& range);
  bool Fails();
  // When a replica that becomes ready at `ready_at` crashes (replica_crash_interval), if ever.
  std::optional<Timestamp> CrashTime(Timestamp ready_at);
  // Runs `fn` on the machine `id` (absent: nullopt) in one transaction and returns what it
  // leaves, as a Machine.
  StatusOr<Machine> Mutate(const std::string& id,
                           const std::function<StatusOr<std::optional<storage::SimMachine>>(
                               storage::Tx&, std::optional<storage::SimMachine>)>& fn);

  storage::Database& db_;
  const std::vector<FleetHost> fleet_;
  const SimConfig config_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace gaon::controller
