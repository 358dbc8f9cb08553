#include "controller/controller.h"

#include "core/log.h"

namespace gaon::controller {

ControllerMetrics ControllerMetrics::Register(MetricsRegistry& registry) {
  return {&registry.AddCounter("gaon_controller_reconciles_total", "Reconciles by kind and result (done, requeue, error).",
                               {"kind", "result"}),
          &registry.AddHistogram("gaon_controller_reconcile_duration_seconds", "Time one reconcile took.", {"kind"},
                                 MetricsRegistry::LatencyBuckets()),
          &registry.AddGauge("gaon_controller_queue_depth", "Keys waiting for a worker.", {"kind"})};
}

Controller::Controller(Reconciler& reconciler, int workers, std::chrono::milliseconds resync_interval,
                       std::chrono::milliseconds max_backoff, ControllerMetrics metrics)
    : reconciler_(reconciler),
      workers_(workers),
      resync_interval_(resync_interval),
      max_backoff_(max_backoff),
      metrics_(metrics) {}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  if (queue_) return;
  queue_ = std::make_unique<WorkQueue>(std::chrono::milliseconds(50), max_backoff_);
  stopping_ = false;
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
  threads_.emplace_back([this] { Resync(); });
}

void Controller::Stop() {
  if (!queue_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  queue_->ShutDown();
  for (auto& t : threads_) t.join();
  threads_.clear();
  queue_.reset();
}

void Controller::Enqueue(const std::string& key) {
  if (queue_) queue_->Add(key);
}

void Controller::ResyncNow() {
  {
    std::lock_guard lock(mu_);
    resync_now_ = true;
  }
  cv_.notify_all();
}

void Controller::Resync() {
  const std::string kind = reconciler_.kind();
  std::unique_lock lock(mu_);
  do {
    resync_now_ = false;
    lock.unlock();
    auto keys = reconciler_.Keys();
    if (!keys.ok()) {
      LogWarn("resync failed", {{"kind", kind}, {"error", keys.status().ToString()}});
    } else {
      for (const auto& k : *keys) queue_->Add(k);
      metrics_.depth->With({kind})->Set(static_cast<std::int64_t>(queue_->depth()));
    }
    lock.lock();
    cv_.wait_for(lock, resync_interval_, [this] { return stopping_ || resync_now_; });
  } while (!stopping_);
}

void Controller::Work() {
  const std::string kind = reconciler_.kind();
  Counter* done = metrics_.reconciles->With({kind, "done"});
  Counter* requeue = metrics_.reconciles->With({kind, "requeue"});
  Counter* error = metrics_.reconciles->With({kind, "error"});
  Histogram* latency = metrics_.latency->With({kind});
  Gauge* depth = metrics_.depth->With({kind});
  while (auto key = queue_->Get()) {
    depth->Set(static_cast<std::int64_t>(queue_->depth()));
    const auto start = std::chrono::steady_clock::now();
    StatusOr<ReconcileResult> r = Status(StatusCode::kInternal, "internal", "reconcile threw");
    try {
      r = reconciler_.Reconcile(*key);
    } catch (const std::exception& e) {
      r = Internal(std::string("reconcile threw: ") + e.what());
    }
    latency->ObserveMicros(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
    if (!r.ok()) {
      error->Inc();
      // A conflict means someone wrote in between: look again at once, it is not a failure.
      if (r.status().reason() == "conflict") {
        queue_->AddAfter(*key, std::chrono::milliseconds(0));
      } else {
        const auto delay = queue_->AddRateLimited(*key);
        const int failures = queue_->failures(*key);
        if (r.status().reason() != "lease_lost") reconciler_.ReportError(*key, r.status(), failures);
        LogWarn("reconcile failed", {{"kind", kind}, {"key", *key}, {"error", r.status().ToString()},
                                     {"failures", failures}, {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
      }
    } else {
      queue_->Forget(*key);
      if (r->requeue_after) {
        requeue->Inc();
        queue_->AddAfter(*key, *r->requeue_after);
      } else {
        done->Inc();
      }
    }
    queue_->Done(*key);
  }
}

}  // namespace gaon::controller
