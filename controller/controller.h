// The reconcile runtime, generic over resource kinds (after controller-runtime).
//
// A Reconciler gets a key, reads desired and observed state, takes one step, writes status
// and says whether it is done or wants to look again later. It never depends on the event
// that woke it, and running it twice changes nothing. A Controller feeds it keys from a
// WorkQueue with N workers: notices of committed changes (Enqueue), a periodic resync of
// every key (which catches lost notices and restarts), requeues the reconciler asks for, and
// retries with per-key exponential backoff after errors.
// Thread-safety: Enqueue may be called from any thread; Start/Stop from one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/work_queue.h"
#include "core/metrics.h"
#include "gaon/status.h"

namespace gaon::controller {

struct ReconcileResult {
  std::optional<std::chrono::milliseconds> requeue_after;  // none: done until something changes
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual std::string kind() const = 0;
  virtual StatusOr<ReconcileResult> Reconcile(const std::string& key) = 0;
  // Every key that may need attention, for a resync.
  virtual StatusOr<std::vector<std::string>> Keys() = 0;
  // Makes a failing key's last error visible (e.g. as a condition). Best effort.
  virtual void ReportError(const std::string& /*key*/, const Status& /*error*/, int /*failures*/) {}
};

struct ControllerMetrics {
  Family<Counter>* reconciles;    // {kind, result}
  Family<Histogram>* latency;     // {kind}
  Family<Gauge>* depth;           // {kind}
  static ControllerMetrics Register(MetricsRegistry& registry);
};

class Controller {
 public:
  Controller(Reconciler& reconciler, int workers, std::chrono::milliseconds resync_interval,
             std::chrono::milliseconds max_backoff, ControllerMetrics metrics);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Starts the workers and the resync loop (the first resync runs at once).
  void Start();
  // Stops taking keys and waits for the reconciles in flight. The controller can be started
  // again (a new queue).
  void Stop();
  void Enqueue(const std::string& key);
  // Runs a resync now instead of at the next interval.
  void ResyncNow();
  bool running() const { return queue_ != nullptr; }

 private:
  void Work();
  void Resync();

  Reconciler& reconciler_;
  const int workers_;
  const std::chrono::milliseconds resync_interval_, max_backoff_;
  ControllerMetrics metrics_;
  std::unique_ptr<WorkQueue> queue_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool resync_now_ = false;
};

}  // namespace gaon::controller
