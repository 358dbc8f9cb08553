// The controllers' pure parts: the work queue's guarantees, the placement policy and the
// autoscaler's arithmetic.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "controller/autoscaler.h"
#include "controller/placement.h"
#include "controller/work_queue.h"

using namespace gaon;
using controller::PlanPlacements;
using controller::WorkQueue;
using namespace std::chrono_literals;

TEST_CASE("the work queue holds a key once and hands it to one worker at a time", "[controller][queue]") {
  WorkQueue q(10ms, 1s);
  q.Add("a");
  q.Add("b");
  q.Add("a");  // already queued: nothing
  CHECK(q.depth() == 2);
  CHECK(q.Get() == std::optional<std::string>("a"));
  q.Add("a");  // being processed: queued again only after Done
  CHECK(q.depth() == 1);
  CHECK(q.Get() == std::optional<std::string>("b"));
  CHECK(q.depth() == 0);
  q.Done("b");
  CHECK(q.depth() == 0);
  q.Done("a");
  CHECK(q.depth() == 1);
  CHECK(q.Get() == std::optional<std::string>("a"));
  q.Done("a");

  // Many workers, many adds of few keys: a key is never in two workers' hands at once.
  WorkQueue busy(1ms, 10ms);
  std::atomic<int> inside[4] = {};
  std::atomic<bool> overlap = false;
  std::atomic<int> handled = 0;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto k = busy.Get()) {
        const int i = (*k)[0] - '0';
        if (inside[i].fetch_add(1) != 0) overlap = true;
        std::this_thread::sleep_for(100us);
        inside[i].fetch_sub(1);
        ++handled;
        busy.Done(*k);
      }
    });
  }
  for (int n = 0; n < 2000; ++n) busy.Add(std::to_string(n % 4));
  for (int n = 0; n < 500 && (busy.depth() > 0 || handled == 0); ++n) std::this_thread::sleep_for(10ms);
  CHECK(busy.depth() == 0);
  busy.ShutDown();
  for (auto& t : workers) t.join();
  CHECK_FALSE(overlap);
  CHECK(handled >= 4);
  CHECK(handled <= 2000);
}

TEST_CASE("the work queue delays keys, backs off failures with a cap and forgets on success", "[controller][queue]") {
  WorkQueue q(100ms, 400ms);
  q.AddAfter("later", 150ms);
  // Timed from before the request, so the 50 ms are a floor however slow the machine is.
  const auto start = std::chrono::steady_clock::now();
  q.AddAfter("later", 50ms);  // the earliest request wins
  CHECK(q.depth() == 0);
  CHECK(q.Get() == std::optional<std::string>("later"));
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(waited >= 50ms);
  CHECK(waited < 150ms);
  q.Done("later");

  // Backoff doubles per consecutive failure, with jitter in the upper half, up to the cap.
  std::vector<std::chrono::milliseconds> delays;
  for (int n = 0; n < 5; ++n) delays.push_back(q.AddRateLimited("flaky"));
  CHECK(q.failures("flaky") == 5);
  CHECK(delays[0] >= 50ms);
  CHECK(delays[0] <= 100ms);
  CHECK(delays[1] >= 100ms);
  CHECK(delays[1] <= 200ms);
  CHECK(delays[4] >= 200ms);
  CHECK(delays[4] <= 400ms);
  q.Forget("flaky");
  CHECK(q.failures("flaky") == 0);
  CHECK(q.AddRateLimited("flaky") <= 100ms);

  q.ShutDown();
  CHECK_FALSE(q.Get().has_value());
}

namespace {

storage::QueuedInstance Want(const std::string& tenant, int gpus, std::optional<std::string> zone = std::nullopt,
                             const std::string& gpu_type = "h100") {
  storage::QueuedInstance q;
  static std::map<std::string, TenantId> tenants;
  q.tenant = tenants.try_emplace(tenant, TenantId::Generate()).first->second;
  q.id = InstanceId::Generate();
  q.gpu_type = gpu_type;
  q.gpus = gpus;
  q.vcpus = gpus * 8;
  q.memory_gib = gpus * 64;
  q.zone = std::move(zone);
  return q;
}

storage::FreeNode Host(const std::string& id, int free_gpus, const std::string& zone = "z1",
                       const std::string& gpu_type = "h100") {
  return {id, zone, gpu_type, 8, free_gpus, free_gpus * 8, free_gpus * 64};
}

}  // namespace

TEST_CASE("placement packs small instances so whole hosts stay free for 8-GPU ones", "[controller][placement]") {
  std::vector<storage::FreeNode> nodes = {Host("n1", 8), Host("n2", 6), Host("n3", 8)};
  auto plan = PlanPlacements({Want("a", 1), Want("a", 2), Want("b", 8), Want("b", 8)}, nodes, {});
  REQUIRE(plan.placed.size() == 4);
  CHECK(plan.placed[0].node == "n2");  // the partly used host, not an empty one
  CHECK(plan.placed[1].node == "n2");
  CHECK(plan.placed[2].node == "n1");
  CHECK(plan.placed[3].node == "n3");
  CHECK(nodes[1].free_gpus == 3);
  CHECK(nodes[0].free_gpus == 0);
}

TEST_CASE("placement honours the zone and GPU type and leaves what fits nowhere", "[controller][placement]") {
  std::vector<storage::FreeNode> nodes = {Host("a1", 4, "z1"), Host("b1", 8, "z2"), Host("l1", 8, "z1", "l40s")};
  auto plan = PlanPlacements({Want("t", 8, "z1"), Want("t", 4, "z2"), Want("t", 1, std::nullopt, "b200"),
                              Want("t", 2, "z1", "l40s")},
                             nodes, {});
  REQUIRE(plan.placed.size() == 2);
  CHECK(plan.placed[0].node == "b1");
  CHECK(plan.placed[0].zone == "z2");
  CHECK(plan.placed[1].node == "l1");
  REQUIRE(plan.unplaced.size() == 2);
  CHECK(plan.unplaced[0].gpus == 8);           // z1 has no host with 8 free
  CHECK(plan.unplaced[1].gpu_type == "b200");  // no such host at all
  // vCPUs and memory count too, not only GPUs.
  std::vector<storage::FreeNode> thin = {{"t1", "z1", "h100", 8, 8, 4, 1024}};
  CHECK(PlanPlacements({Want("t", 1)}, thin, {}).unplaced.size() == 1);
}

TEST_CASE("placement spreads a tenant's instances across equally good hosts", "[controller][placement]") {
  std::vector<storage::FreeNode> nodes = {Host("n1", 4), Host("n2", 4), Host("n3", 4)};
  auto plan = PlanPlacements({Want("s", 1), Want("s", 1), Want("s", 1)}, nodes, {});
  REQUIRE(plan.placed.size() == 3);
  std::set<std::string> used;
  for (const auto& p : plan.placed) used.insert(p.node);
  CHECK(used.size() == 3);
  // Existing instances count: a host where the tenant already runs comes last.
  std::vector<storage::FreeNode> again = {Host("n1", 4), Host("n2", 4)};
  const auto spread_tenant = Want("s", 1).tenant.str();
  auto second = PlanPlacements({Want("s", 1)}, again, {{{"n1", spread_tenant}, 2}});
  REQUIRE(second.placed.size() == 1);
  CHECK(second.placed[0].node == "n2");
}

TEST_CASE("an endpoint's replicas go to different hosts before they fill a partly used one", "[controller][placement]") {
  std::vector<storage::FreeNode> nodes = {Host("n1", 8), Host("n2", 6), Host("n3", 8)};
  controller::Spread spread;
  const controller::Demand replica{"ep_a", "h100", std::nullopt, 1, 8, 64, /*spread_first=*/true};
  std::vector<std::string> chosen;
  for (int k = 0; k < 3; ++k) chosen.push_back(controller::PlaceOne(replica, nodes, spread)->id);
  // The partly used host first (packing among equals), then each empty host once.
  CHECK(chosen == std::vector<std::string>{"n2", "n1", "n3"});
  // A fourth has no host free of the endpoint: packing decides again.
  CHECK(controller::PlaceOne(replica, nodes, spread)->id == "n2");
  // An instance (spread second) packs onto the partly used host regardless.
  const controller::Demand instance{"ten_a", "h100", std::nullopt, 1, 8, 64};
  CHECK(controller::PlaceOne(instance, nodes, spread)->id == "n2");
}

namespace {

Timestamp At(int ms) { return Timestamp{} + std::chrono::milliseconds(ms) + std::chrono::hours(24 * 365 * 50); }

}  // namespace

TEST_CASE("the autoscaler scales up at once, within min and max, and down only after a calm stable window",
          "[controller][autoscaler]") {
  controller::Autoscaler a(10s, 1s);
  auto in = [](int ms, std::int64_t load, int ready, int current) {
    return controller::AutoscaleInput{At(ms), load, /*target=*/4, ready, current, /*min=*/1, /*max=*/5};
  };
  CHECK(a.Decide("e", in(0, 0, 1, 1)) == 1);
  // 14 in flight at 4 per replica: ceil(average) — and the average still holds the idle sample.
  CHECK(a.Decide("e", in(1000, 14, 1, 1)) == 2);
  // The panic window (1 s) sees only the burst: 4 replicas, twice the ready one, at once.
  CHECK(a.Decide("e", in(1500, 14, 1, 2)) == 4);
  // Never above max.
  CHECK(a.Decide("e", in(1600, 400, 4, 4)) == 5);
  // The load ends; panicking, it holds its size (no scale-down for a stable window).
  CHECK(a.Decide("e", in(3000, 0, 5, 5)) == 5);
  CHECK(a.Decide("e", in(9000, 0, 5, 5)) == 5);
  // Calm again, but samples within the last stable window (3 s, still averaging the burst)
  // wanted 5: down slowly means not yet.
  CHECK(a.Decide("e", in(13000, 0, 5, 5)) == 5);
  // Once every sample in the window wants 1, it goes down to min.
  CHECK(a.Decide("e", in(25000, 0, 5, 5)) == 1);
}

TEST_CASE("the autoscaler never scales below min, and knows when an endpoint was idle for a whole window",
          "[controller][autoscaler]") {
  controller::Autoscaler a(2s, 500ms);
  auto in = [](int ms, std::int64_t load) {
    return controller::AutoscaleInput{At(ms), load, 10, 2, 2, /*min=*/2, /*max=*/3};
  };
  CHECK(a.Decide("e", in(0, 0)) == 2);
  CHECK_FALSE(a.IdleForWindow("e", At(1000)));  // not watched for a whole window yet
  CHECK(a.Decide("e", in(2500, 0)) == 2);
  CHECK(a.IdleForWindow("e", At(2500)));
  CHECK(a.Decide("e", in(2600, 5)) == 2);  // 5 at 10 per replica: min still wins
  CHECK_FALSE(a.IdleForWindow("e", At(2600)));
  a.Forget("e");
  CHECK_FALSE(a.IdleForWindow("e", At(2700)));
}
