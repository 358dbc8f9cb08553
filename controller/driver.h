// Driver: how the controllers act on GPU hosts. One interface, implemented by the simulated
// fleet (SimDriver) now and by real back ends later.
//
// The contract (docs/controllers.md):
// - Every call is idempotent by the resource id: creating a machine that exists returns it,
//   deleting one that is gone succeeds, Start/Stop of a machine already there do nothing, and
//   Reboot is idempotent by its sequence number. A controller may therefore repeat any call
//   after a crash without doing anything twice.
// - Calls return quickly. Transitions take time on the provider's side; Describe tells where a
//   machine is, and `busy_until` when the transition in progress should end.
// - Errors are classified by code: Unavailable means "retry later" (a provisioning failure, an
//   unreachable host), anything else is permanent for this request.
// Thread-safety: implementations must allow concurrent calls for different ids.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/fleet_loader.h"
#include "gaon/ids.h"
#include "gaon/status.h"
#include "gaon/time.h"

namespace gaon::controller {

struct MachineSpec {
  std::string id;  // the resource id: the idempotency key of every call
  TenantId tenant;
  std::string node;
  std::string instance_type;
  std::string image;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  std::string user_data;
};

enum class MachineState { kAbsent, kProvisioning, kStarting, kRunning, kRebooting, kStopping, kStopped, kFailed };
std::string_view ToString(MachineState s);

struct Machine {
  std::string id;
  MachineState state = MachineState::kAbsent;
  std::string node;
  std::string ip_address;
  Timestamp busy_until{};             // end of the transition in progress
  std::optional<std::string> failure; // why it is kFailed
  int reboots = 0;                    // reboot sequence numbers carried out
  bool host_down = false;             // its host does not answer
};

// An inference replica: one copy of a model server on `node`, idempotent by its id.
struct ReplicaSpec {
  std::string id;  // rep_…
  TenantId tenant;
  std::string endpoint;
  int revision = 0;
  std::string node;
  std::string model;
  std::int64_t parameters_millions = 0;  // load time grows with the model
  std::string runtime;
  std::string runtime_version;
  std::vector<std::string> runtime_args;
  int gpus = 0;
};

enum class ReplicaState { kAbsent, kLoading, kReady, kFailed };

struct ReplicaObservation {
  std::string id;
  ReplicaState state = ReplicaState::kAbsent;
  std::string node;
  Timestamp ready_at{};                // when loading completes (or completed)
  std::optional<std::string> failure;  // why it is kFailed
  bool host_down = false;
  bool served = false;                 // kFailed after it had become ready (a crash, not a failed load)
};

// The load one ready replica carries now.
struct ReplicaLoad {
  std::string id;
  std::int64_t concurrency = 0;          // requests in flight
  std::int64_t requests_per_second = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Places a new machine on spec.node and starts provisioning it.
  virtual StatusOr<Machine> Create(const MachineSpec& spec) = 0;
  // Boots a stopped machine on `node` (which may differ from where it ran before).
  virtual StatusOr<Machine> Start(const std::string& id, const std::string& node) = 0;
  virtual StatusOr<Machine> Stop(const std::string& id) = 0;
  // Reboots once per sequence number: a repeat with a number already carried out does nothing.
  virtual StatusOr<Machine> Reboot(const std::string& id, int sequence) = 0;
  virtual Status Delete(const std::string& id) = 0;
  // kAbsent when the provider does not know the id.
  virtual StatusOr<Machine> Describe(const std::string& id) = 0;
  virtual StatusOr<std::vector<Machine>> List() = 0;
  // Inventory and health of the hosts.
  virtual StatusOr<std::vector<FleetHost>> Hosts() = 0;

  // Inference replicas: start one (it loads its model, then reports ready), see where it is,
  // remove it. Same contract as machines: idempotent by id, quick, Unavailable to retry.
  virtual StatusOr<ReplicaObservation> CreateReplica(const ReplicaSpec& spec) = 0;
  virtual StatusOr<ReplicaObservation> DescribeReplica(const std::string& id) = 0;
  virtual Status DeleteReplica(const std::string& id) = 0;
  // The load each ready replica of `endpoint` reports now.
  virtual StatusOr<std::vector<ReplicaLoad>> EndpointLoad(const std::string& endpoint) = 0;
};

}  // namespace gaon::controller
