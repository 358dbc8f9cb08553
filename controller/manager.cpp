#include "controller/manager.h"

#include <unistd.h>

#include "core/crypto.h"
#include "core/log.h"
#include "storage/leases.h"

namespace gaon::controller {
namespace {

std::string HolderName() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + RandomToken(6);
}

}  // namespace

Manager::Manager(storage::Database& db, storage::ChangeFeed& feed, Driver& driver, const ControllerConfig& config,
                 std::chrono::milliseconds billing_grace, MetricsRegistry& metrics)
    : db_(db),
      driver_(driver),
      config_(config),
      holder_(HolderName()),
      leader_gauge_(metrics.AddGauge("gaon_controller_leader", "1 while this replica holds the controllers' lease.", {})
                        .With({})),
      controller_metrics_(ControllerMetrics::Register(metrics)),
      instances_(db, driver, [this] { return CurrentFence(); }, [this] { scheduler_.Kick(); }),
      instance_controller_(instances_, config.workers, config.resync_interval, config.retry_max_delay,
                           controller_metrics_),
      endpoints_(db, driver, config, [this] { return CurrentFence(); }, [this] { scheduler_.Kick(); }),
      endpoint_controller_(endpoints_, config.workers, config.resync_interval, config.retry_max_delay,
                           controller_metrics_),
      scheduler_(db, config.schedule_batch,
                 [this](storage::InstanceRecord rec) {
                   const std::string key = InstanceReconciler::Key(rec.instance.tenant_id, rec.instance.id);
                   instances_.HandOver(std::move(rec));
                   instance_controller_.Enqueue(key);
                 },
                 [this](const std::string& key) { endpoint_controller_.Enqueue(key); }),
      fleet_(db, driver, std::min<std::chrono::milliseconds>(config.node_timeout / 3, std::chrono::seconds(3)),
             config.node_timeout, [this](const std::string& key) { instance_controller_.Enqueue(key); },
             [this] { scheduler_.Kick(); }),
      billing_(db, config.billing_interval, billing_grace) {
  feed.Subscribe([this](const storage::ChangeNotice& n) {
    if (!leading() || n.from_controller) return;
    if (n.kind == "instance") {
      const std::string key = n.tenant + "/" + n.resource_id;
      instances_.Forget(key);  // the tenant changed it: what the scheduler handed over is stale
      // A new instance waits for its placement, which enqueues it; a reconcile before would
      // only find that (the resync leaves these out for the same reason).
      if (n.queued) {
        scheduler_.Kick();
      } else {
        instance_controller_.Enqueue(key);
      }
    }
    if (n.kind == "endpoint") endpoint_controller_.Enqueue(n.tenant + "/" + n.resource_id);
  });
  feed.OnConnection([this](bool up) {
    // Notices may have been missed while the feed was down: look at everything again.
    if (up && leading()) {
      instance_controller_.ResyncNow();
      endpoint_controller_.ResyncNow();
    }
  });
}

Manager::~Manager() { Stop(); }

void Manager::Start() {
  stop_ = false;
  lease_thread_ = std::thread([this] { LeaseLoop(); });
}

void Manager::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !lease_thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (lease_thread_.joinable()) lease_thread_.join();
}

void Manager::Lead(std::int64_t token) {
  token_ = token;
  leader_gauge_->Set(1);
  LogInfo("controllers leading", {{"holder", holder_}, {"token", token}});
  fleet_.Start(CurrentFence());
  scheduler_.Start(CurrentFence());
  instance_controller_.Start();
  endpoint_controller_.Start();
  billing_.Start(CurrentFence());
}

void Manager::Follow() {
  if (!leading()) return;
  billing_.Stop();
  endpoint_controller_.Stop();
  instance_controller_.Stop();
  scheduler_.Stop();
  // What the scheduler handed over is this term's: another leader may move those instances.
  instances_.ForgetAll();
  fleet_.Stop();
  LogInfo("controllers stopped leading", {{"holder", holder_}, {"token", token_.load()}});
  token_ = 0;
  leader_gauge_->Set(0);
}

void Manager::LeaseLoop() {
  const auto renew_every = config_.lease_duration / 3;
  auto last_renewed = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const auto attempt = std::chrono::steady_clock::now();
    auto token = storage::AcquireOrRenewLease(db_, kLease, holder_, config_.lease_duration);
    if (token.ok()) {
      if (*token && *token != token_.load()) {
        Follow();  // a new term (we lost the lease in between): start over under the new token
        Lead(**token);
      } else if (!*token) {
        Follow();
      }
      if (*token) last_renewed = attempt;
    } else {
      LogWarn("cannot renew the controllers' lease", {{"error", token.status().ToString()}});
      // Without a renewal for most of the lease, stop before another replica may start.
      if (leading() && std::chrono::steady_clock::now() - last_renewed > config_.lease_duration * 2 / 3) Follow();
    }
    lock.lock();
    cv_.wait_for(lock, renew_every, [this] { return stop_; });
  }
  lock.unlock();
  const bool was_leading = leading();
  Follow();
  if (was_leading) storage::ReleaseLease(db_, kLease, holder_).ok();
}

}  // namespace gaon::controller
