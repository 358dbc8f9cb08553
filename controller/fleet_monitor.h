// FleetMonitor: keeps the nodes table in step with the driver's hosts, on the leader only.
//
// Every pass registers new hosts and sizes, records a heartbeat for each healthy host, brings
// a Down host that is healthy again back to Ready, and marks Down every node without a
// heartbeat for controller.node_timeout. The instances of a node that went Down are handed
// to the instance controller (which fails them and gives their capacity back); a node that
// came back kicks the scheduler.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "controller/driver.h"
#include "storage/database.h"
#include "storage/leases.h"

namespace gaon::controller {

class FleetMonitor {
 public:
  FleetMonitor(storage::Database& db, Driver& driver, std::chrono::milliseconds interval,
               std::chrono::milliseconds node_timeout, std::function<void(const std::string&)> instance_affected,
               std::function<void()> capacity_changed);
  ~FleetMonitor();
  void Start(storage::Fence fence);
  void Stop();
  // One pass (also run once before Start returns, so nodes exist when scheduling begins).
  Status RunPass(const storage::Fence& fence);

 private:
  storage::Database& db_;
  Driver& driver_;
  const std::chrono::milliseconds interval_, node_timeout_;
  std::function<void(const std::string&)> instance_affected_;
  std::function<void()> capacity_changed_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gaon::controller
