#include "controller/endpoint_reconciler.h"

#include <algorithm>

#include "core/log.h"
#include "storage/changes.h"
#include "storage/endpoints.h"
#include "storage/fleet.h"
#include "storage/models.h"
#include "storage/quotas.h"
#include "storage/usage.h"

namespace gaon::controller {
namespace {

using storage::EndpointRecord;
using storage::ReplicaRecord;

constexpr auto kBusyRequeue = std::chrono::milliseconds(300);

ReconcileResult Requeue(std::chrono::milliseconds after) { return ReconcileResult{after}; }

storage::Footprint ReplicaFootprint(const std::string& gpu_type, int gpus) {
  return {{"gpus", gpus}, {"gpus." + gpu_type, gpus}};
}

// Whether two specs serve the same way (same replicas); only scaling settings differ.
bool SameServing(const EndpointSpec& a, const EndpointSpec& b) {
  return a.model == b.model && a.runtime == b.runtime && a.runtime_version == b.runtime_version &&
         a.runtime_args == b.runtime_args && a.gpu_type == b.gpu_type && a.gpus_per_replica == b.gpus_per_replica &&
         a.zone == b.zone;
}

const EndpointRevision* FindRevision(const EndpointRecord& rec, int revision) {
  for (const auto& r : rec.revisions) {
    if (r.revision == revision) return &r;
  }
  return nullptr;
}

bool InProgress(const ReplicaRecord& r) {
  return r.phase == "Pending" || r.phase == "Scheduled" || r.phase == "Loading";
}

// The replica to retire first: one that serves nothing (waiting, loading), newest first;
// else the oldest ready one.
const ReplicaRecord* Victim(const std::vector<const ReplicaRecord*>& rs) {
  const ReplicaRecord* best = nullptr;
  for (const ReplicaRecord* r : rs) {
    if (!best) {
      best = r;
      continue;
    }
    const bool r_idle = r->phase != "Ready", b_idle = best->phase != "Ready";
    if (r_idle != b_idle) {
      if (r_idle) best = r;
      continue;
    }
    if (r_idle ? r->created_at > best->created_at : r->created_at < best->created_at) best = r;
  }
  return best;
}

Condition MakeCondition(const std::string& type, bool on, const std::string& reason, const std::string& message,
                        const std::vector<Condition>& before, std::int64_t generation) {
  const std::string status = on ? "True" : "False";
  for (const auto& c : before) {
    if (c.type == type && c.status == status && c.reason == reason && c.message == message) return c;
  }
  return Condition{type, status, reason, message, Now(), generation};
}

}  // namespace

EndpointReconciler::EndpointReconciler(storage::Database& db, Driver& driver, const ControllerConfig& config,
                                       std::function<storage::Fence()> fence, std::function<void()> kick_scheduler)
    : db_(db),
      driver_(driver),
      config_(config),
      fence_(std::move(fence)),
      kick_scheduler_(std::move(kick_scheduler)),
      autoscaler_(config.autoscale_stable_window, config.autoscale_panic_window) {}

StatusOr<std::vector<std::string>> EndpointReconciler::Keys() {
  std::vector<std::string> keys;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "endpoints.keys"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(keys, storage::LiveEndpointKeys(tx));
                                 return Status::Ok();
                               }));
  return keys;
}

StatusOr<std::optional<EndpointRecord>> EndpointReconciler::Load(const TenantId& tenant, const EndpointId& id) {
  std::optional<EndpointRecord> rec;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "endpoints.load"},
                               [&](storage::Tx& tx) -> Status {
                                 ASSIGN_OR_RETURN(rec, storage::LoadEndpoint(tx, tenant, id));
                                 return Status::Ok();
                               }));
  return rec;
}

Status EndpointReconciler::Terminate(const EndpointRecord& rec, const ReplicaRecord& r,
                                     std::optional<std::string> failure, bool host_failed) {
  if (r.node) RETURN_IF_ERROR(driver_.DeleteReplica(r.id.str()));
  const bool counts = failure && !r.ever_ready && !host_failed;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "endpoints.terminate_replica"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence_());
    ReplicaRecord gone = r;
    gone.phase = "Terminated";
    if (failure) gone.failure_reason = failure;
    RETURN_IF_ERROR(storage::UpdateReplica(tx, gone, r.phase));
    if (r.node) storage::ReleaseAllocation(tx, "replica", r.tenant, r.id.str());
    RETURN_IF_ERROR(storage::Release(tx, r.tenant, ReplicaFootprint(r.gpu_type, r.gpus)));
    if (r.ever_ready) {  // Ready, or Terminating after it was: its open record closes now
      storage::CloseUsage(tx, r.tenant, "replica", r.id.str(), Now(),
                          failure ? (host_failed ? "node_failure" : "failed") : "terminated");
    }
    if (counts) {
      if (const EndpointRevision* rev = FindRevision(rec, r.revision)) {
        EndpointRevision next = *rev;
        ++next.failures;
        next.message = "replica " + r.id.str() + " failed to become ready: " + *failure;
        RETURN_IF_ERROR(storage::UpdateRevision(tx, r.tenant, r.endpoint, next));
      }
    }
    return Status::Ok();
  }));
  if (r.node) kick_scheduler_();
  return Status::Ok();
}

Status EndpointReconciler::MarkTerminating(const ReplicaRecord& r) {
  return db_.Transact({.platform = true, .name = "endpoints.retire_replica"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence_());
    ReplicaRecord next = r;
    next.phase = "Terminating";
    return storage::UpdateReplica(tx, next, r.phase);
  });
}

StatusOr<bool> EndpointReconciler::Observe(const EndpointRecord& rec, const ReplicaRecord& r) {
  if (r.phase == "Pending") return false;  // the scheduler's
  if (r.node_down && r.phase != "Terminating") {
    RETURN_IF_ERROR(Terminate(rec, r, "node " + *r.node + " is Down", true));
    return true;
  }
  if (r.phase == "Terminating") {
    RETURN_IF_ERROR(Terminate(rec, r, std::nullopt, false));
    return true;
  }
  ReplicaObservation o;
  if (r.phase == "Scheduled") {
    const EndpointRevision* rev = FindRevision(rec, r.revision);
    const EndpointSpec& spec = rev ? rev->spec : rec.endpoint.spec;
    ReplicaSpec s;
    s.id = r.id.str();
    s.tenant = r.tenant;
    s.endpoint = r.endpoint.str();
    s.revision = r.revision;
    s.node = *r.node;
    s.model = spec.model;
    s.runtime = spec.runtime;
    s.runtime_version = spec.runtime_version;
    s.runtime_args = spec.runtime_args;
    s.gpus = r.gpus;
    RETURN_IF_ERROR(db_.Transact({.platform = true, .read_only = true, .defer_commit = true, .name = "endpoints.model"},
                                 [&](storage::Tx& tx) -> Status {
                                   auto m = storage::ResolveModel(tx, r.tenant, spec.model);
                                   s.parameters_millions = m.ok() ? m->parameters_millions : 1000;
                                   return Status::Ok();
                                 }));
    auto created = driver_.CreateReplica(s);
    // A host that stopped answering is not Down until its heartbeat times out: wait for that
    // (then the replica is replaced elsewhere, below) rather than churn replicas on it.
    if (!created.ok() && created.status().reason() == "host_down") return false;
    RETURN_IF_ERROR(created.status());
    o = *created;
  } else {
    ASSIGN_OR_RETURN(o, driver_.DescribeReplica(r.id.str()));
  }
  if (o.state == ReplicaState::kFailed || o.state == ReplicaState::kAbsent) {
    // A replica that served before it crashed failed its runtime, not its revision's rollout.
    ReplicaRecord failed = r;
    failed.ever_ready = r.ever_ready || o.served;
    RETURN_IF_ERROR(Terminate(rec, failed, o.failure.value_or("the replica vanished from its host"), o.host_down));
    return true;
  }
  const std::string next = o.state == ReplicaState::kReady ? "Ready" : "Loading";
  if (next == r.phase) return false;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "endpoints.replica_status"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence_());
    ReplicaRecord w = r;
    w.phase = next;
    if (next == "Ready") {
      w.ever_ready = true;
      w.ready_at = Now();
      storage::UsageOpen u;
      u.tenant = r.tenant;
      u.resource_kind = "replica";
      u.resource_id = r.id.str();
      u.run = 1;
      u.sku = "endpoint-replica." + r.gpu_type;
      u.gpu_type = r.gpu_type;
      u.gpus = r.gpus;
      u.vcpus = r.vcpus;
      u.memory_gib = r.memory_gib;
      u.zone = r.zone;
      u.node = r.node;
      u.started_at = *w.ready_at;
      u.parent = r.endpoint.str();
      storage::OpenUsage(tx, u);
    }
    return storage::UpdateReplica(tx, w, r.phase);
  }));
  return true;
}

StatusOr<bool> EndpointReconciler::AddReplica(const EndpointRecord& rec, int revision, std::string* limited) {
  const EndpointRevision* rev = FindRevision(rec, revision);
  const EndpointSpec& spec = rev ? rev->spec : rec.endpoint.spec;
  bool added = false;
  const Status done = db_.Transact({.platform = true, .name = "endpoints.add_replica"}, [&](storage::Tx& tx) -> Status {
    added = false;
    storage::CheckFence(tx, fence_());
    ASSIGN_OR_RETURN(auto shape, storage::ReplicaShape(tx, spec.gpu_type, spec.gpus_per_replica));
    const Status admitted =
        storage::Admit(tx, rec.endpoint.tenant_id, ReplicaFootprint(spec.gpu_type, spec.gpus_per_replica));
    if (!admitted.ok()) {
      if (admitted.reason() != "quota_exceeded") return admitted;
      *limited = admitted.message();
      return Aborted("quota", "rollback");  // undo the partial admission
    }
    ReplicaRecord r;
    r.tenant = rec.endpoint.tenant_id;
    r.id = ReplicaId::Generate();
    r.endpoint = rec.endpoint.id;
    r.revision = revision;
    r.gpu_type = spec.gpu_type;
    r.gpus = spec.gpus_per_replica;
    r.vcpus = shape.first;
    r.memory_gib = shape.second;
    r.requested_zone = spec.zone;
    RETURN_IF_ERROR(storage::InsertReplica(tx, r));
    added = true;
    return Status::Ok();
  });
  if (!done.ok() && limited->empty()) return done;
  return added;
}

void EndpointReconciler::ReportError(const std::string& key, const Status& error, int failures) {
  const auto slash = key.find('/');
  auto tenant = TenantId::Parse(key.substr(0, slash));
  auto id = EndpointId::Parse(slash == std::string::npos ? "" : key.substr(slash + 1));
  if (!tenant.ok() || !id.ok()) return;
  const std::string message = error.message() + " (attempt " + std::to_string(failures) + ", retrying)";
  // The last error shows as a condition until a pass succeeds (it rewrites the conditions).
  const Status s = db_.Transact({.platform = true, .name = "endpoints.report_error"}, [&](storage::Tx& tx) -> Status {
    ASSIGN_OR_RETURN(auto rec, storage::LoadEndpoint(tx, *tenant, *id));
    if (!rec) return Status::Ok();
    storage::CheckFence(tx, fence_());
    storage::EndpointStatusWrite w;
    w.status = rec->endpoint.status;
    if (rec->endpoint.deletion_requested_at) w.status.phase = "Deleting";
    std::erase_if(w.status.conditions, [](const Condition& c) { return c.type == "Reconciled"; });
    w.status.conditions.push_back(
        Condition{"Reconciled", "False", error.reason(), message, Now(), rec->endpoint.generation});
    return storage::WriteEndpointStatus(tx, *tenant, *id, w).status();
  });
  if (!s.ok()) LogWarn("cannot record a reconcile error", {{"key", key}, {"error", s.ToString()}});
}

StatusOr<ReconcileResult> EndpointReconciler::Reconcile(const std::string& key) {
  const auto slash = key.find('/');
  auto tenant = TenantId::Parse(key.substr(0, slash));
  auto id = EndpointId::Parse(slash == std::string::npos ? "" : key.substr(slash + 1));
  if (!tenant.ok() || !id.ok()) {
    LogError("malformed endpoint key", {{"key", key}});
    return ReconcileResult{};
  }
  ASSIGN_OR_RETURN(auto loaded, Load(*tenant, *id));
  if (!loaded) {
    autoscaler_.Forget(key);
    return ReconcileResult{};
  }

  // 1. Move every replica on.
  bool moved = false;
  for (const auto& r : loaded->replicas) {
    ASSIGN_OR_RETURN(bool changed, Observe(*loaded, r));
    moved = moved || changed;
  }
  if (moved) {
    ASSIGN_OR_RETURN(loaded, Load(*tenant, *id));
  }
  if (!loaded) return ReconcileResult{};
  EndpointRecord& rec = *loaded;
  const Endpoint& ep = rec.endpoint;
  const std::vector<Condition>& before = ep.status.conditions;
  storage::EndpointStatusWrite w;
  w.status = ep.status;
  w.status.observed_generation = ep.generation;

  // 2. Deletion: retire everything, then the tombstone.
  if (ep.deletion_requested_at) {
    for (const auto& r : rec.replicas) {
      if (r.phase == "Pending") {
        RETURN_IF_ERROR(Terminate(rec, r, std::nullopt, false));
      } else if (r.phase != "Terminating") {
        RETURN_IF_ERROR(MarkTerminating(r));
      }
    }
    const bool gone = rec.replicas.empty();
    w.status.phase = gone ? "Deleted" : "Deleting";
    w.status.desired_replicas = 0;
    w.status.ready_replicas = 0;
    w.status.traffic.clear();
    w.tombstone = gone;
    RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "endpoints.delete"}, [&](storage::Tx& tx) -> Status {
      storage::CheckFence(tx, fence_());
      if (gone) RETURN_IF_ERROR(storage::Release(tx, ep.tenant_id, {{"endpoints", 1}}));
      ASSIGN_OR_RETURN(Endpoint stored, storage::WriteEndpointStatus(tx, ep.tenant_id, ep.id, w));
      return storage::RecordChange(tx, stored.tenant_id, "endpoint", stored.id.str(), gone ? "DELETED" : "MODIFIED",
                                   stored.resource_version, ToJson(stored), storage::ChangeOrigin::kController);
    }));
    if (gone) {
      autoscaler_.Forget(key);
      return ReconcileResult{};
    }
    return Requeue(kBusyRequeue);
  }

  // 3. Which revision to serve: the latest, unless its rollout failed.
  const int latest = ep.status.latest_revision;
  int current = ep.status.current_revision;
  const EndpointRevision* latest_rev = FindRevision(rec, latest);
  std::vector<EndpointRevision> revision_writes;
  std::optional<Condition> rolled_back;
  int target = latest;
  std::string latest_state = latest_rev ? latest_rev->state : "";
  if (latest_rev && latest != current) {
    EndpointRevision lr = *latest_rev;
    if ((lr.state == "Deploying" || lr.state == "Canary") && lr.failures >= config_.rollout_failure_limit) {
      lr.state = current > 0 ? "RolledBack" : "Failed";
      revision_writes.push_back(lr);
    }
    latest_state = lr.state;
    if (lr.state == "RolledBack" || lr.state == "Failed") target = current;
    if (lr.state == "RolledBack") {
      rolled_back = MakeCondition("RolledBack", true, "RevisionFailed",
                                  "revision " + std::to_string(latest) + " was rolled back to revision " +
                                      std::to_string(current) + ": " + lr.message.value_or("its replicas failed"),
                                  before, ep.generation);
    }
    // Only scaling settings changed: the replicas serving now serve the new revision as well.
    const EndpointRevision* cur_rev = FindRevision(rec, current);
    if (target == latest && cur_rev && SameServing(cur_rev->spec, lr.spec) && lr.failures == 0) {
      RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "endpoints.adopt"}, [&](storage::Tx& tx) -> Status {
        storage::CheckFence(tx, fence_());
        return storage::AdoptReplicas(tx, ep.tenant_id, ep.id, latest);
      }));
      for (auto& r : rec.replicas) r.revision = latest;
    }
  }
  // The first revision failed and nothing older can serve: wait for a new spec.
  const bool failed = current == 0 && latest_state == "Failed";
  const EndpointSpec& spec = ep.spec;

  // 4. How many replicas.
  std::vector<const ReplicaRecord*> live, fresh, old;
  int ready = 0, ready_fresh = 0;
  for (const auto& r : rec.replicas) {
    if (r.phase == "Terminating") continue;
    live.push_back(&r);
    (r.revision == target ? fresh : old).push_back(&r);
    if (r.phase == "Ready") {
      ++ready;
      if (r.revision == target) ++ready_fresh;
    }
  }
  std::int64_t load = 0;
  ASSIGN_OR_RETURN(auto loads, driver_.EndpointLoad(ep.id.str()));
  for (const auto& l : loads) load += spec.autoscaling.metric == "rps" ? l.requests_per_second : l.concurrency;
  const Timestamp now = Now();
  int desired = ep.status.desired_replicas;
  const bool woken = rec.wake_requested_at.has_value();
  if (failed) {
    desired = 0;
  } else {
    desired = autoscaler_.Decide(key, {now, load, spec.autoscaling.target, ready,
                                       std::max(desired, 1),
                                       spec.min_replicas, spec.max_replicas});
    // Asleep stays asleep until a request (or load) wakes it. (Only an endpoint that may
    // sleep: one whose failed first revision was replaced by a new spec deploys at once.)
    if (spec.min_replicas == 0 && ep.status.desired_replicas == 0 && !woken && load == 0) desired = 0;
    if (spec.min_replicas == 0 && !woken && load == 0 && desired > 0) {
      // Idle since the last request, the last change of size, or the last replica becoming
      // ready — whichever came last: a woken endpoint gets a full idle period once it serves.
      Timestamp last = std::max(ep.status.last_request_at.value_or(ep.created_at), rec.scaled_at);
      for (const auto& r : rec.replicas) {
        if (r.ready_at) last = std::max(last, *r.ready_at);
      }
      if (now - last >= std::chrono::seconds(spec.autoscaling.scale_to_zero_after_seconds) &&
          autoscaler_.IdleForWindow(key, now)) {
        desired = 0;
      }
    }
  }
  if (desired != ep.status.desired_replicas) w.scaled_at = now;
  if (woken && desired > 0) w.clear_wake = true;

  // 5. Create or retire replicas.
  std::string limited;
  bool waiting_for_node = false;
  // Replicas of other revisions still exist: roll, one replica at a time.
  const bool rolling = !old.empty();
  int fresh_want = desired, old_want = 0;
  const bool canary = spec.canary_percent && *spec.canary_percent > 0 && *spec.canary_percent < 100 && current > 0 &&
                      target == latest && target != current && desired > 0;
  if (canary) {
    fresh_want = std::clamp((desired * *spec.canary_percent + 99) / 100, 1, desired);
    old_want = std::max(1, desired - fresh_want);
  }
  if (!rolling) {
    for (int k = static_cast<int>(fresh.size()); k < desired; ++k) {
      ASSIGN_OR_RETURN(bool added, AddReplica(rec, target, &limited));
      if (!added) break;
      waiting_for_node = true;
    }
    for (int k = static_cast<int>(fresh.size()); k > desired; --k) {
      const ReplicaRecord* v = Victim(fresh);
      fresh.erase(std::find(fresh.begin(), fresh.end(), v));
      if (v->phase == "Pending") {
        RETURN_IF_ERROR(Terminate(rec, *v, std::nullopt, false));
      } else {
        RETURN_IF_ERROR(MarkTerminating(*v));
      }
    }
    if (target != current && desired > 0 && ready_fresh >= desired) current = target;
    if (target != current && desired == 0 && fresh.empty() && !failed) current = target;
  } else {
    const bool fresh_busy = std::any_of(fresh.begin(), fresh.end(), [](const ReplicaRecord* r) { return InProgress(*r); });
    const int surge_limit = std::max(desired, fresh_want + old_want) + 1;
    // Old replicas that serve nothing go first: they hold no capacity anyone relies on.
    const ReplicaRecord* idle_old = nullptr;
    for (const ReplicaRecord* r : old) {
      if (r->phase != "Ready") idle_old = r;
    }
    if (idle_old && static_cast<int>(old.size()) > old_want) {
      if (idle_old->phase == "Pending") {
        RETURN_IF_ERROR(Terminate(rec, *idle_old, std::nullopt, false));
      } else {
        RETURN_IF_ERROR(MarkTerminating(*idle_old));
      }
    } else if (!fresh_busy && static_cast<int>(fresh.size()) < fresh_want &&
               static_cast<int>(live.size()) < surge_limit) {
      ASSIGN_OR_RETURN(bool added, AddReplica(rec, target, &limited));
      waiting_for_node = added;
    } else if (!fresh_busy && static_cast<int>(old.size()) > old_want && ready - 1 >= desired) {
      // A serving old replica goes only while the ready ones left still carry the desired size.
      RETURN_IF_ERROR(MarkTerminating(*Victim(old)));
    }
  }
  if (waiting_for_node) kick_scheduler_();

  // 6. Status.
  int updated = 0, loading = 0;
  bool unschedulable = false;
  std::map<int, int> ready_by_revision;
  for (const auto& r : rec.replicas) {
    if (r.phase == "Terminating") continue;
    if (r.revision == latest) ++updated;
    if (r.phase == "Ready") ++ready_by_revision[r.revision];
    if (r.phase == "Scheduled" || r.phase == "Loading") ++loading;
    if (r.phase == "Pending" && r.message) unschedulable = true;
  }
  EndpointStatus& s = w.status;
  s.desired_replicas = desired;
  s.ready_replicas = ready;
  s.updated_replicas = updated;
  s.current_revision = current;
  s.failure_reason.reset();
  s.traffic.clear();
  if (ready > 0) {
    if (canary && ready_by_revision.count(target) && ready_by_revision.size() > 1) {
      int rest = 100 - *spec.canary_percent;
      const int others = static_cast<int>(ready_by_revision.size()) - 1;
      int k = 0;
      for (const auto& [rev, n] : ready_by_revision) {
        if (rev == target) {
          s.traffic.push_back({rev, *spec.canary_percent, n});
        } else {
          const int share = ++k == others ? rest : (100 - *spec.canary_percent) * n / ready;
          rest -= share;
          s.traffic.push_back({rev, share, n});
        }
      }
    } else {
      int rest = 100, k = 0;
      for (const auto& [rev, n] : ready_by_revision) {
        const int share = ++k == static_cast<int>(ready_by_revision.size()) ? rest : 100 * n / ready;
        rest -= share;
        s.traffic.push_back({rev, share, n});
      }
    }
  }
  const bool rolling_now = !canary && std::any_of(rec.replicas.begin(), rec.replicas.end(), [&](const ReplicaRecord& r) {
    return r.phase != "Terminating" && r.revision != target;
  });
  if (failed) {
    s.phase = "Failed";
    s.failure_reason = latest_rev && latest_rev->message ? *latest_rev->message : "revision failed to become ready";
  } else if (desired == 0 && live.empty()) {
    s.phase = "ScaledToZero";
  } else if (ready == 0) {
    s.phase = loading > 0 ? "Deploying" : "Pending";
  } else if (rolling_now || (target != current && !canary)) {
    s.phase = "Deploying";
  } else if (ready < desired && loading == 0) {
    s.phase = "Degraded";
  } else {
    s.phase = "Ready";
  }
  std::vector<Condition> conditions;
  conditions.push_back(MakeCondition("Ready", ready > 0 && ready >= std::min(desired, 1),
                                     ready > 0 ? "Serving" : (s.phase == "ScaledToZero" ? "ScaledToZero" : "NoReplicas"),
                                     std::to_string(ready) + " of " + std::to_string(desired) + " replicas ready",
                                     before, ep.generation));
  if (!limited.empty()) {
    conditions.push_back(MakeCondition("QuotaLimited", true, "QuotaExceeded",
                                       "cannot add a replica: " + limited + "; serving with " + std::to_string(ready),
                                       before, ep.generation));
  } else {
    for (const auto& c : before) {
      // A quota refusal stands until a replica is admitted or none is wanted any more.
      if (c.type == "QuotaLimited" && c.status == "True" && static_cast<int>(live.size()) < desired &&
          !waiting_for_node) {
        conditions.push_back(c);
      }
    }
  }
  if (unschedulable) {
    std::string why;
    for (const auto& r : rec.replicas) {
      if (r.phase == "Pending" && r.message) why = *r.message;
    }
    conditions.push_back(MakeCondition("Unschedulable", true, "NoCapacity", why, before, ep.generation));
  }
  if (rolled_back) conditions.push_back(*rolled_back);
  if (rolling_now || canary) {
    conditions.push_back(MakeCondition(
        "Progressing", true, canary ? "Canary" : "RollingUpdate",
        canary ? "revision " + std::to_string(target) + " takes " + std::to_string(*spec.canary_percent) + "% of requests"
               : "rolling out revision " + std::to_string(target) + " replica by replica",
        before, ep.generation));
  }
  s.conditions = conditions;

  // Revision states follow what serves.
  for (const auto& r : rec.revisions) {
    EndpointRevision next = r;
    const auto written = std::find_if(revision_writes.begin(), revision_writes.end(),
                                      [&](const EndpointRevision& x) { return x.revision == r.revision; });
    if (written != revision_writes.end()) continue;
    if (r.revision == current && (target == current || canary)) {
      next.state = "Active";
    } else if (r.revision == target && canary) {
      next.state = "Canary";
    } else if (r.revision < current && (r.state == "Active" || r.state == "Deploying" || r.state == "Canary")) {
      next.state = "Superseded";
    }
    if (next.state != r.state) revision_writes.push_back(next);
  }

  const bool changed = s.phase != ep.status.phase || s.desired_replicas != ep.status.desired_replicas ||
                       s.ready_replicas != ep.status.ready_replicas || s.updated_replicas != ep.status.updated_replicas ||
                       s.current_revision != ep.status.current_revision ||
                       ToJsonText(s.traffic) != ToJsonText(ep.status.traffic) ||
                       ToJsonText(s.conditions) != ToJsonText(before) ||
                       s.observed_generation != ep.status.observed_generation || !revision_writes.empty() ||
                       w.clear_wake || s.failure_reason != ep.status.failure_reason;
  if (changed) {
    RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "endpoints.status"}, [&](storage::Tx& tx) -> Status {
      storage::CheckFence(tx, fence_());
      for (const auto& r : revision_writes) RETURN_IF_ERROR(storage::UpdateRevision(tx, ep.tenant_id, ep.id, r));
      ASSIGN_OR_RETURN(Endpoint stored, storage::WriteEndpointStatus(tx, ep.tenant_id, ep.id, w));
      return storage::RecordChange(tx, stored.tenant_id, "endpoint", stored.id.str(), "MODIFIED",
                                   stored.resource_version, ToJson(stored), storage::ChangeOrigin::kController);
    }));
  }
  const bool busy = moved || loading > 0 || waiting_for_node || rolling_now ||
                    std::any_of(rec.replicas.begin(), rec.replicas.end(),
                                [](const ReplicaRecord& r) { return r.phase == "Terminating" || r.phase == "Pending"; });
  return Requeue(busy ? kBusyRequeue : config_.autoscale_interval);
}

}  // namespace gaon::controller
