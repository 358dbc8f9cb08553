#include "controller/instance_reconciler.h"

#include <algorithm>

#include "core/log.h"
#include "storage/fleet.h"
#include "storage/instance_status.h"
#include "storage/instances.h"
#include "storage/quotas.h"
#include "storage/usage.h"

namespace gaon::controller {
namespace {

using storage::InstanceRecord;
using storage::StatusWrite;

constexpr auto kMinRequeue = std::chrono::milliseconds(20);
constexpr auto kHostDownRecheck = std::chrono::seconds(1);

// Phases in which the instance holds its GPUs and is metered.
bool Consuming(std::string_view phase) { return phase == "Running" || phase == "Rebooting"; }

// Sets condition `c` in `conds`, keeping its transition time when its status did not change.
std::vector<Condition> With(std::vector<Condition> conds, Condition c) {
  for (auto& x : conds) {
    if (x.type != c.type) continue;
    if (x.status == c.status) c.last_transition_time = x.last_transition_time;
    x = std::move(c);
    return conds;
  }
  conds.push_back(std::move(c));
  return conds;
}

Condition Cond(const char* type, const char* status, const char* reason, std::string message, std::int64_t generation) {
  return Condition{type, status, reason, std::move(message), Now(), generation};
}

// The write that changes nothing: every status field as it is.
StatusWrite Unchanged(const InstanceRecord& rec) {
  const InstanceStatus& s = rec.instance.status;
  StatusWrite w;
  w.phase = rec.stored_phase;
  w.conditions = s.conditions;
  w.zone = s.zone;
  w.node = s.node;
  w.ip_address = s.ip_address;
  w.observed_generation = s.observed_generation;
  w.run_count = rec.run_count;
  w.reboots_done = rec.reboots_done;
  w.evicting = rec.evicting;
  w.failure_reason = rec.failure_reason;
  return w;
}

// Look again when the machine's transition should be over.
ReconcileResult After(const Machine& m) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m.busy_until - Now());
  return ReconcileResult{std::max<std::chrono::milliseconds>(left, kMinRequeue)};
}

ReconcileResult Done() { return ReconcileResult{}; }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

InstanceReconciler::InstanceReconciler(storage::Database& db, Driver& driver, std::function<storage::Fence()> fence,
                                       std::function<void()> capacity_freed)
    : db_(db), driver_(driver), fence_(std::move(fence)), capacity_freed_(std::move(capacity_freed)) {}

StatusOr<std::vector<std::string>> InstanceReconciler::Keys() {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "instances.keys"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(auto live, storage::ListInstancesToReconcile(tx));
                                 keys.clear();
                                 for (const auto& [t, i] : live) keys.push_back(Key(t, i));
                                 return Status::Ok();
                               }));
  // Those left out wait in the queue: a scheduler pass takes them.
  capacity_freed_();
  return keys;
}

Status InstanceReconciler::Write(const InstanceRecord& rec, StatusWrite w) {
  const Instance& i = rec.instance;
  const bool entering = !Consuming(rec.stored_phase) && Consuming(w.phase);
  const bool leaving = Consuming(rec.stored_phase) && !Consuming(w.phase);
  const bool frees_node = i.status.node.has_value() && !w.node.has_value();
  if (entering) w.run_count = rec.run_count + 1;
  // A write that opens or closes metering or ends the instance waits for the disk: its times
  // are what the tenant pays for. Any other status is an observation the reconciler makes
  // again should a PostgreSQL crash lose it (docs/controllers.md, "Durability").
  const bool durable = entering || leaving || w.tombstone;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .durable = durable, .name = "instances.status"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence_());
    if (entering) {
      storage::OpenUsage(tx, {i.tenant_id, "instance", i.id.str(), w.run_count, i.spec.instance_type, rec.gpu_type,
                              rec.gpus, rec.vcpus, rec.memory_gib, w.zone, w.node, Now()});
    }
    if (leaving) storage::CloseUsage(tx, i.tenant_id, "instance", i.id.str(), Now(), Lower(w.phase));
    if (frees_node) storage::ReleaseAllocation(tx, "instance", i.tenant_id, i.id.str());
    if (w.tombstone) {
      RETURN_IF_ERROR(storage::Release(tx, i.tenant_id,
                                       storage::InstanceFootprint(rec.gpu_type, rec.gpus, rec.vcpus, rec.memory_gib)));
    }
    return storage::WriteInstanceStatus(tx, rec, w).status();
  }));
  if (frees_node) capacity_freed_();
  return Status::Ok();
}

void InstanceReconciler::HandOver(storage::InstanceRecord rec) {
  if (rec.user_data.size() > kMaxHandedOverUserData) return;
  std::string key = Key(rec.instance.tenant_id, rec.instance.id);
  std::lock_guard lock(mu_);
  if (handed_over_.size() < kMaxHandedOver) handed_over_.insert_or_assign(std::move(key), std::move(rec));
}

void InstanceReconciler::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  handed_over_.erase(key);
}

void InstanceReconciler::ForgetAll() {
  std::lock_guard lock(mu_);
  handed_over_.clear();
}

std::optional<storage::InstanceRecord> InstanceReconciler::TakeHandOver(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = handed_over_.find(key);
  if (it == handed_over_.end()) return std::nullopt;
  std::optional<storage::InstanceRecord> rec(std::move(it->second));
  handed_over_.erase(it);
  return rec;
}

StatusOr<ReconcileResult> InstanceReconciler::Reconcile(const std::string& key) {
  const auto slash = key.find('/');
  auto tenant = TenantId::Parse(key.substr(0, slash));
  auto id = InstanceId::Parse(slash == std::string::npos ? "" : key.substr(slash + 1));
  if (!tenant.ok() || !id.ok()) {
    LogError("malformed instance key", {{"key", key}});
    return Done();
  }
  std::optional<InstanceRecord> rec = TakeHandOver(key);
  if (!rec) {
    RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "instances.load"},
                                 [&](storage::Tx& tx) -> Status {
                                   ASSIGN_OR_RETURN(rec, storage::LoadInstanceRecord(tx, *tenant, *id));
                                   return Status::Ok();
                                 }));
  }
  if (!rec || rec->instance.deleted_at) return Done();
  const Instance& i = rec->instance;
  const bool never_ran = rec->run_count == 0 && !i.deletion_requested_at && i.spec.desired_state == "running";
  // A new instance waiting for a node has no machine: the scheduler is its next step. (A
  // resync leaves these out: storage::ListInstancesToReconcile, the same condition in SQL.)
  if (never_ran && rec->stored_phase == "Pending" && !i.status.node) {
    capacity_freed_();
    return Done();
  }
  // Just placed: Create is idempotent by id, so it is called without asking first (a crash
  // between Create and the status write finds the machine made before).
  Machine m;
  if (!(never_ran && rec->stored_phase == "Scheduled" && !rec->evicting && rec->node_state != "Down")) {
    ASSIGN_OR_RETURN(m, driver_.Describe(id->str()));
  }

  if (i.deletion_requested_at) return Delete(*rec, m);
  if (rec->stored_phase == "Failed") {
    // Failed stays failed until the tenant asks again (:start bumps the generation).
    if (i.spec.desired_state != "running" || i.generation <= i.status.observed_generation) return Done();
    if (m.state != MachineState::kAbsent) RETURN_IF_ERROR(driver_.Delete(i.id.str()));
    StatusWrite w = Unchanged(*rec);
    w.phase = "Pending";
    w.requeue = true;
    w.node.reset();
    w.ip_address.reset();
    w.failure_reason.reset();
    w.observed_generation = i.generation;
    w.conditions = With(w.conditions, Cond("Ready", "False", "Queued", "waiting to be placed again", i.generation));
    w.event_reason = "Retried";
    w.event_message = "started again after a failure; waiting to be placed";
    RETURN_IF_ERROR(Write(*rec, std::move(w)));
    capacity_freed_();
    return Done();
  }
  if (i.status.node && rec->node_state == "Down") {
    if (m.state != MachineState::kAbsent) driver_.Delete(i.id.str()).ok();  // best effort: its host is gone
    return Fail(*rec, "NodeFailure",
                "node " + *i.status.node + " is down" +
                    (rec->node_down_reason ? " (" + *rec->node_down_reason + ")" : std::string()));
  }
  if (m.state == MachineState::kFailed) {
    RETURN_IF_ERROR(driver_.Delete(i.id.str()));
    return Fail(*rec, "MachineFailed", m.failure.value_or("the provider reports the machine failed"));
  }
  if (m.host_down && i.status.node) return ReconcileResult{kHostDownRecheck};  // the fleet monitor decides
  if (i.spec.desired_state == "running" && !rec->evicting) return Run(*rec, std::move(m));
  return Park(*rec, m);
}

StatusOr<ReconcileResult> InstanceReconciler::Delete(const InstanceRecord& rec, const Machine& m) {
  if (m.state != MachineState::kAbsent) RETURN_IF_ERROR(driver_.Delete(rec.instance.id.str()));
  StatusWrite w = Unchanged(rec);
  w.phase = "Deleted";
  w.tombstone = true;
  w.node.reset();
  w.ip_address.reset();
  w.observed_generation = rec.instance.generation;
  w.conditions = With(w.conditions, Cond("Ready", "False", "Deleted", "the instance was deleted", rec.instance.generation));
  w.event_reason = "Deleted";
  w.event_message = "machine torn down, capacity and quota given back";
  RETURN_IF_ERROR(Write(rec, std::move(w)));
  return Done();
}

StatusOr<ReconcileResult> InstanceReconciler::Fail(const InstanceRecord& rec, const std::string& reason,
                                                   const std::string& why) {
  StatusWrite w = Unchanged(rec);
  w.phase = "Failed";
  w.failure_reason = reason + ": " + why;
  w.node.reset();
  w.ip_address.reset();
  w.conditions = With(w.conditions, Condition{"Ready", "False", reason, why, Now(), rec.instance.generation});
  w.event_type = "Warning";
  w.event_reason = reason;
  w.event_message = why;
  RETURN_IF_ERROR(Write(rec, std::move(w)));
  return Done();
}

StatusOr<ReconcileResult> InstanceReconciler::Run(const InstanceRecord& rec, Machine m) {
  const Instance& i = rec.instance;
  const std::string id = i.id.str();
  if (!i.status.node) {
    // Not placed: a machine still up from before must stop first; then it waits in the queue.
    if (m.state == MachineState::kRunning || m.state == MachineState::kProvisioning ||
        m.state == MachineState::kStarting || m.state == MachineState::kRebooting) {
      ASSIGN_OR_RETURN(m, driver_.Stop(id));
      return After(m);
    }
    if (m.state == MachineState::kStopping) return After(m);
    if (rec.stored_phase != "Pending") {  // back in the queue (a start, or after a drain)
      StatusWrite w = Unchanged(rec);
      w.requeue = true;
      w.phase = "Pending";
      w.observed_generation = i.generation;
      w.event_reason = "Queued";
      w.event_message = "waiting to be placed";
      RETURN_IF_ERROR(Write(rec, std::move(w)));
    }
    capacity_freed_();  // a new arrival in the queue: let the scheduler look
    return Done();
  }
  const std::string& node = *i.status.node;
  std::string event_reason, event_message;
  if (m.state == MachineState::kAbsent) {
    if (rec.run_count > 0) {
      event_reason = "MachineLost";
      event_message = "the provider no longer knows the machine; provisioning it again on " + node;
    }
    MachineSpec spec{id, i.tenant_id, node, i.spec.instance_type, i.spec.image, rec.gpus, rec.vcpus, rec.memory_gib,
                     rec.user_data};
    ASSIGN_OR_RETURN(m, driver_.Create(spec));
  } else if (m.state == MachineState::kStopped) {
    ASSIGN_OR_RETURN(m, driver_.Start(id, node));
  } else if (m.state == MachineState::kStopping) {
    return After(m);
  }
  StatusWrite w = Unchanged(rec);
  w.observed_generation = i.generation;
  w.ip_address = m.ip_address.empty() ? std::optional<std::string>() : std::optional<std::string>(m.ip_address);
  if (m.state == MachineState::kRunning && rec.reboots_done < i.spec.reboot_requests) {
    ASSIGN_OR_RETURN(m, driver_.Reboot(id, i.spec.reboot_requests));
    w.reboots_done = i.spec.reboot_requests;
  }
  switch (m.state) {
    case MachineState::kProvisioning:
    case MachineState::kStarting:
      w.phase = m.state == MachineState::kProvisioning ? "Provisioning" : "Starting";
      w.conditions = With(w.conditions, Cond("Ready", "False", w.phase.c_str(), "booting on " + node, i.generation));
      break;
    case MachineState::kRebooting:
      w.phase = "Rebooting";
      w.conditions = With(w.conditions, Cond("Ready", "False", "Rebooting", "rebooting on " + node, i.generation));
      break;
    case MachineState::kRunning:
      w.phase = "Running";
      w.conditions = With(w.conditions, Cond("Ready", "True", "Running", "running on " + node + " at " + m.ip_address,
                                             i.generation));
      break;
    default:
      return Internal("machine " + id + " is " + std::string(ToString(m.state)) + " after a start");
  }
  const bool changed = w.phase != rec.stored_phase || w.observed_generation != i.status.observed_generation ||
                       w.ip_address != i.status.ip_address || w.reboots_done != rec.reboots_done;
  if (changed) {
    w.conditions = With(w.conditions, Cond("Reconciled", "True", "Reconciled", "", i.generation));
    if (!event_reason.empty()) {
      w.event_type = "Warning";
      w.event_reason = event_reason;
      w.event_message = event_message;
    } else if (w.phase != rec.stored_phase) {
      w.event_reason = w.phase;
      w.event_message = Lower(w.phase) + " on node " + node +
                        (m.state == MachineState::kRunning ? " at " + m.ip_address : std::string());
    }
    RETURN_IF_ERROR(Write(rec, std::move(w)));
  }
  if (m.state == MachineState::kRunning) return Done();
  return After(m);
}

StatusOr<ReconcileResult> InstanceReconciler::Park(const InstanceRecord& rec, const Machine& m) {
  const Instance& i = rec.instance;
  const std::string id = i.id.str();
  StatusWrite w = Unchanged(rec);
  w.observed_generation = i.generation;
  switch (m.state) {
    case MachineState::kRunning:
    case MachineState::kProvisioning:
    case MachineState::kStarting:
    case MachineState::kRebooting: {
      ASSIGN_OR_RETURN(Machine stopping, driver_.Stop(id));
      w.phase = "Stopping";
      w.conditions = With(w.conditions, Cond("Ready", "False", "Stopping",
                                             rec.evicting ? "moving off its node (drain)" : "stopping", i.generation));
      w.event_reason = "Stopping";
      w.event_message = rec.evicting ? "stopping to move off node " + i.status.node.value_or("") : "stopping";
      RETURN_IF_ERROR(Write(rec, std::move(w)));
      return After(stopping);
    }
    case MachineState::kStopping:
      if (rec.stored_phase != "Stopping") {
        w.phase = "Stopping";
        RETURN_IF_ERROR(Write(rec, std::move(w)));
      }
      return After(m);
    default:
      break;
  }
  // The machine is off (or never was): give the node back.
  if (rec.evicting) {
    w.phase = "Pending";
    w.requeue = true;
    w.evicting = false;
    w.node.reset();
    w.conditions = With(w.conditions, Cond("Scheduled", "False", "Evicted",
                                           "moved off node " + i.status.node.value_or("") + "; waiting to be placed",
                                           i.generation));
    w.event_reason = "Evicted";
    w.event_message = "moved off node " + i.status.node.value_or("") + " (drain); waiting to be placed elsewhere";
  } else {
    if (rec.stored_phase == "Stopped" && !i.status.node && i.status.observed_generation == i.generation) return Done();
    w.phase = "Stopped";
    w.node.reset();
    w.conditions = With(w.conditions, Cond("Ready", "False", "Stopped", "stopped", i.generation));
    w.event_reason = "Stopped";
    w.event_message = "stopped; its GPUs were given back";
  }
  RETURN_IF_ERROR(Write(rec, std::move(w)));
  return Done();
}

void InstanceReconciler::ReportError(const std::string& key, const Status& error, int failures) {
  const auto slash = key.find('/');
  auto tenant = TenantId::Parse(key.substr(0, slash));
  auto id = InstanceId::Parse(slash == std::string::npos ? "" : key.substr(slash + 1));
  if (!tenant.ok() || !id.ok()) return;
  const std::string message = error.message() + " (attempt " + std::to_string(failures) + ", retrying)";
  const Status s = db_.Transact({.platform = true, .name = "instances.report_error"}, [&](storage::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto rec, storage::LoadInstanceRecord(tx, *tenant, *id));
    if (!rec || rec->instance.deleted_at) return Status::Ok();
    storage::CheckFence(tx, fence_());
    StatusWrite w = Unchanged(*rec);
    w.conditions = With(w.conditions, Condition{"Reconciled", "False", error.reason(), message, Now(),
                                                rec->instance.generation});
    // One event per run of failures; the condition carries the latest attempt.
    if (failures == 1) {
      w.event_type = "Warning";
      w.event_reason = "ReconcileError";
      w.event_message = error.message();
    }
    return storage::WriteInstanceStatus(tx, *rec, w).status();
  });
  if (!s.ok() && s.reason() != "conflict") LogWarn("cannot record a reconcile error", {{"key", key}, {"error", s.ToString()}});
}

}  // namespace gaon::controller
