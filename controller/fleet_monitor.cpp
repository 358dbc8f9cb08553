#include "controller/fleet_monitor.h"

#include "core/log.h"
#include "storage/fleet.h"

namespace gaon::controller {

FleetMonitor::FleetMonitor(storage::Database& db, Driver& driver, std::chrono::milliseconds interval,
                           std::chrono::milliseconds node_timeout,
                           std::function<void(const std::string&)> instance_affected,
                           std::function<void()> capacity_changed)
    : db_(db),
      driver_(driver),
      interval_(interval),
      node_timeout_(node_timeout),
      instance_affected_(std::move(instance_affected)),
      capacity_changed_(std::move(capacity_changed)) {}

FleetMonitor::~FleetMonitor() { Stop(); }

void FleetMonitor::Start(storage::Fence fence) {
  Stop();
  const Status first = RunPass(fence);
  if (!first.ok()) LogWarn("fleet pass failed", {{"error", first.ToString()}});
  stop_ = false;
  thread_ = std::thread([this, fence] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      const Status s = RunPass(fence);
      if (!s.ok()) LogWarn("fleet pass failed", {{"error", s.ToString()}});
      lock.lock();
    }
  });
}

void FleetMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status FleetMonitor::RunPass(const storage::Fence& fence) {
  ASSIGN_OR_RETURN(const auto inventory, driver_.Hosts());
  std::vector<std::string> down;
  std::vector<std::pair<TenantId, InstanceId>> affected;
  RETURN_IF_ERROR(db_.Transact({.platform = true, .name = "fleet.pass"}, [&](storage::Tx& tx) -> Status {
    storage::CheckFence(tx, fence);
    RETURN_IF_ERROR(storage::SyncNodes(tx, inventory));
    ASSIGN_OR_RETURN(down, storage::MarkSilentNodesDown(tx, node_timeout_));
    affected.clear();
    if (!down.empty()) {
      ASSIGN_OR_RETURN(affected, storage::InstancesOnNodes(tx, down));
    }
    return Status::Ok();
  }));
  for (const auto& n : down) LogWarn("node down", {{"node", n}, {"instances", static_cast<std::int64_t>(affected.size())}});
  for (const auto& [t, i] : affected) instance_affected_(t.str() + "/" + i.str());
  capacity_changed_();  // a host may have come back
  return Status::Ok();
}

}  // namespace gaon::controller
