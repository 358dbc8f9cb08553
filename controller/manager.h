// Manager: runs the controllers on exactly one replica at a time.
//
// Every replica started with the controllers role competes for the "controllers" lease
// (storage/leases.h). The one holding it runs the fleet monitor, the scheduler and the
// instance controller, all writing under the lease's fencing token; the others wait and try
// again every third of the lease duration, so when the leader dies another takes over within
// one lease duration. A leader that cannot renew in time stops on its own, and any write it
// still attempts is refused by the fence. Work arrives from committed changes announced by
// the change feed (API-made changes only: the controllers' own writes need no second look)
// and from resyncs.
// Thread-safety: Start/Stop from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "controller/billing_pass.h"
#include "controller/controller.h"
#include "controller/driver.h"
#include "controller/endpoint_reconciler.h"
#include "controller/fleet_monitor.h"
#include "controller/instance_reconciler.h"
#include "controller/scheduler.h"
#include "core/config.h"
#include "core/metrics.h"
#include "storage/change_feed.h"
#include "storage/database.h"

namespace gaon::controller {

class Manager {
 public:
  // `billing_grace`: how long after a month ends its invoices wait for late usage.
  Manager(storage::Database& db, storage::ChangeFeed& feed, Driver& driver, const ControllerConfig& config,
          std::chrono::milliseconds billing_grace, MetricsRegistry& metrics);
  ~Manager();
  void Start();
  void Stop();
  bool leading() const { return token_.load() != 0; }
  const std::string& holder() const { return holder_; }

 private:
  void Lead(std::int64_t token);
  void Follow();
  void LeaseLoop();
  storage::Fence CurrentFence() const { return {kLease, token_.load()}; }

  static constexpr const char* kLease = "controllers";
  storage::Database& db_;
  Driver& driver_;
  const ControllerConfig config_;
  const std::string holder_;
  std::atomic<std::int64_t> token_{0};
  Gauge* leader_gauge_;
  ControllerMetrics controller_metrics_;  // shared by every kind (labelled by kind)
  InstanceReconciler instances_;
  Controller instance_controller_;
  EndpointReconciler endpoints_;
  Controller endpoint_controller_;
  Scheduler scheduler_;
  FleetMonitor fleet_;
  BillingPass billing_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread lease_thread_;
};

}  // namespace gaon::controller
