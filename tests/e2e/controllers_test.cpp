// End-to-end: the controllers with the sim driver — lifecycle paths, node failure, queueing
// and fair order, drain, a crash while provisioning, leader failover, and racing schedulers.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "controller/instance_reconciler.h"
#include "controller/scheduler.h"
#include "controller/sim_driver.h"
#include "storage/database.h"
#include "storage/fleet.h"
#include "storage/instance_status.h"
#include "storage/leases.h"
#include "tests/support/cloud.h"

using namespace gaon;
using namespace gaon::test;
using namespace std::chrono_literals;

namespace {

std::string S(const boost::json::value& v) { return std::string(v.as_string()); }

// A cloud whose fleet is `groups` (TestCloud::FleetGroup lines), with extra settings.
std::unique_ptr<TestCloud> CloudWith(const std::string& groups, std::map<std::string, std::string> env = {}) {
  env["GAON_SIM_FLEET_FILE"] = TestCloud::FleetFile("groups:\n" + groups);
  return TestCloud::Start({.env = std::move(env)});
}

// Operator-wide SQL against the test database; the first column of the first row.
std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }
int SqlInt(TestCloud& c, const std::string& q) {
  const std::string v = Sql(c, q);
  return v.empty() ? 0 : std::stoi(v);
}

struct Owner {  // a tenant and its member key
  std::string id, key;
};

// A tenant with room for `gpus` GPUs (and instances to match) and a tenant-member key.
Owner MakeTenant(TestCloud& c, const std::string& name, int gpus = 64) {
  Owner t{c.CreateTenant(name), ""};
  const std::string limits = R"({"limits":{"instances":)" + std::to_string(gpus) + R"(,"gpus":)" +
                             std::to_string(gpus) + R"(,"vcpus":100000,"memory_gib":1000000}})";
  REQUIRE(c.Op("PUT", "/v1/admin/tenants/" + t.id + "/quotas", limits).status == 200);
  t.key = c.CreateKey(t.id, "tenant-member");
  return t;
}

// The create request alone, without assertions: safe on other threads (Catch's are not).
HttpResult Post(TestCloud& c, const Owner& t, const std::string& name, const std::string& type = "gpu.h100.1x",
                const std::string& extra = "") {
  return c.Call("POST", "/v1/tenants/" + t.id + "/instances", t.key,
                R"({"name":")" + name + R"(","spec":{"instance_type":")" + type +
                    R"(","image":"ubuntu-24.04-cuda-12.8")" + extra + "}}");
}

std::string Create(TestCloud& c, const Owner& t, const std::string& name, const std::string& type = "gpu.h100.1x",
                   const std::string& extra = "") {
  auto r = Post(c, t, name, type, extra);
  INFO(r.body);
  REQUIRE(r.status == 202);
  return S(r.Json().at("id"));
}

// Creates `count` instances vm-0 … from `threads` threads at once, and checks every answer on
// this thread once all are in.
void CreateConcurrently(TestCloud& c, const Owner& t, int count, int threads) {
  std::vector<HttpResult> answers(static_cast<std::size_t>(count));
  std::vector<std::thread> creators;
  for (int w = 0; w < threads; ++w) {
    creators.emplace_back([&, w] {
      for (int n = w; n < count; n += threads) answers[static_cast<std::size_t>(n)] = Post(c, t, "vm-" + std::to_string(n));
    });
  }
  for (auto& th : creators) th.join();
  for (const auto& r : answers) {
    INFO(r.body);
    REQUIRE(r.status == 202);
  }
}

boost::json::value Get(TestCloud& c, const Owner& t, const std::string& id) {
  auto r = c.Call("GET", "/v1/tenants/" + t.id + "/instances/" + id, t.key);
  if (r.status != 200) return {};
  return r.Json();
}

std::string Phase(TestCloud& c, const Owner& t, const std::string& id) {
  auto j = Get(c, t, id);
  return j.is_null() ? "" : S(j.at("status").at("phase"));
}

// Waits until the instance is in `phase`; fails the test with its last state otherwise.
void AwaitPhase(TestCloud& c, const Owner& t, const std::string& id, const std::string& phase,
                std::chrono::milliseconds timeout = 20s) {
  const bool reached = WaitUntil([&] { return Phase(c, t, id) == phase; }, timeout);
  INFO("waiting for " << id << " to be " << phase << "; it is: " << boost::json::serialize(Get(c, t, id)));
  INFO("every instance: " << Sql(c, "SELECT string_agg(name || ':' || phase || '@' || coalesce(node_id, '-') || "
                                    "(CASE WHEN deletion_requested_at IS NULL THEN '' ELSE '(deleting)' END), ' ' "
                                    "ORDER BY name) FROM instances"));
  INFO("nodes: " << Sql(c, "SELECT string_agg(node_id || ':' || state || ':' || allocated_gpus, ' ') FROM nodes"));
  REQUIRE(reached);
}

void Act(TestCloud& c, const Owner& t, const std::string& id, const std::string& verb) {
  auto r = c.Call("POST", "/v1/tenants/" + t.id + "/instances/" + id + ":" + verb, t.key);
  INFO(r.body);
  REQUIRE(r.status == 202);
}

std::vector<std::string> EventReasons(TestCloud& c, const Owner& t, const std::string& id) {
  auto r = c.Call("GET", "/v1/tenants/" + t.id + "/instances/" + id + "/events?page_size=200", t.key);
  REQUIRE(r.status == 200);
  std::vector<std::string> out;
  const auto page = r.Json();
  for (const auto& e : page.at("items").as_array()) out.push_back(S(e.at("reason")));
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

int AllocatedGpus(TestCloud& c) { return SqlInt(c, "SELECT coalesce(sum(allocated_gpus), 0) FROM nodes"); }
int OpenUsage(TestCloud& c, const std::string& id) {
  return SqlInt(c, "SELECT count(*) FROM usage_records WHERE resource_id = '" + id + "' AND ended_at IS NULL");
}
int AllUsage(TestCloud& c, const std::string& id) {
  return SqlInt(c, "SELECT count(*) FROM usage_records WHERE resource_id = '" + id + "'");
}

}  // namespace

TEST_CASE("an instance runs, stops, starts, reboots and is deleted, metered exactly once per run",
          "[e2e][controllers][lifecycle]") {
  // Boots take a moment, so Starting and Rebooting are seen.
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2), {{"GAON_SIM_BOOT_TIME", "300ms"}});
  const Owner t = MakeTenant(*c, "lifecycle");
  const std::string id = Create(*c, t, "trainer", "gpu.h100.2x");

  AwaitPhase(*c, t, id, "Running");
  auto running = Get(*c, t, id);
  const std::string node = S(running.at("status").at("node"));
  CHECK(node.rfind("kr-central-1a-h100-", 0) == 0);
  CHECK(S(running.at("status").at("zone")) == "kr-central-1a");
  CHECK(S(running.at("status").at("ip_address")).rfind("10.", 0) == 0);
  CHECK(running.at("status").at("observed_generation") == running.at("generation"));
  auto events = EventReasons(*c, t, id);
  CHECK(Has(events, "Admitted"));
  CHECK(Has(events, "Scheduled"));
  CHECK(Has(events, "Running"));
  CHECK(AllocatedGpus(*c) == 2);
  CHECK(OpenUsage(*c, id) == 1);
  auto n = c->Op("GET", "/v1/admin/nodes/" + node);
  REQUIRE(n.status == 200);
  CHECK(n.Json().at("allocated").at("gpus").as_int64() == 2);
  CHECK(n.Json().at("instances").as_int64() == 1);

  // The controllers report their work.
  auto metrics = c->Call("GET", "/metrics", "");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("gaon_controller_reconciles_total{kind=\"instance\",result=\"done\"}") != std::string::npos);
  CHECK(metrics.body.find("gaon_controller_queue_depth{kind=\"instance\"}") != std::string::npos);
  CHECK(metrics.body.find("gaon_controller_reconcile_duration_seconds") != std::string::npos);
  CHECK(metrics.body.find("gaon_controller_leader 1") != std::string::npos);

  Act(*c, t, id, "stop");
  AwaitPhase(*c, t, id, "Stopped");
  CHECK(AllocatedGpus(*c) == 0);  // a stopped instance holds no GPUs
  CHECK(OpenUsage(*c, id) == 0);
  CHECK(Sql(*c, "SELECT end_reason FROM usage_records WHERE resource_id = '" + id + "' AND run = 1") == "stopping");
  CHECK_FALSE(Get(*c, t, id).at("status").as_object().contains("node"));

  Act(*c, t, id, "start");
  AwaitPhase(*c, t, id, "Running");
  CHECK(Has(EventReasons(*c, t, id), "Starting"));
  CHECK(AllocatedGpus(*c) == 2);
  CHECK(OpenUsage(*c, id) == 1);
  CHECK(AllUsage(*c, id) == 2);  // one record per run

  // A reboot keeps the placement; Rebooting is still metered (the GPUs stay held).
  const std::string node_before = S(Get(*c, t, id).at("status").at("node"));
  Act(*c, t, id, "reboot");
  REQUIRE(WaitUntil([&] { return Has(EventReasons(*c, t, id), "Rebooting"); }, 10s));
  AwaitPhase(*c, t, id, "Running");
  CHECK(S(Get(*c, t, id).at("status").at("node")) == node_before);
  CHECK(SqlInt(*c, "SELECT reboots FROM sim_machines WHERE machine_id = '" + id + "'") == 1);
  CHECK(AllUsage(*c, id) == 2);

  REQUIRE(c->Call("DELETE", "/v1/tenants/" + t.id + "/instances/" + id, t.key).status == 202);
  AwaitPhase(*c, t, id, "Deleted");
  // The tombstone stays readable for billing and audit, and the name is free again.
  CHECK(Get(*c, t, id).as_object().contains("deleted_at"));
  CHECK(c->Call("GET", "/v1/tenants/" + t.id + "/instances", t.key).Json().at("items").as_array().empty());
  CHECK(AllocatedGpus(*c) == 0);
  CHECK(OpenUsage(*c, id) == 0);
  CHECK(AllUsage(*c, id) == 2);
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines WHERE machine_id = '" + id + "'") == 0);
  CHECK(SqlInt(*c, "SELECT used FROM quota_usage WHERE tenant_id = '" + t.id + "' AND dimension = 'gpus'") == 0);
  CHECK(Has(EventReasons(*c, t, id), "Deleted"));
}

TEST_CASE("a node that goes down fails its instances with the reason and frees their GPUs",
          "[e2e][controllers][failure]") {
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner t = MakeTenant(*c, "unlucky");
  const std::string a = Create(*c, t, "vm-a");
  const std::string b = Create(*c, t, "vm-b", "gpu.h100.4x");
  AwaitPhase(*c, t, a, "Running");
  AwaitPhase(*c, t, b, "Running");
  const std::string node = S(Get(*c, t, a).at("status").at("node"));

  auto fail = c->Op("POST", "/v1/admin/sim/nodes/" + node + ":fail", R"({"reason":"PSU fault"})");
  REQUIRE(fail.status == 202);
  CHECK(c->Op("POST", "/v1/admin/sim/nodes/nope:fail").status == 404);
  AwaitPhase(*c, t, a, "Failed", 20s);
  AwaitPhase(*c, t, b, "Failed", 20s);
  auto failed = Get(*c, t, a);
  CHECK(S(failed.at("status").at("failure_reason")).find("node " + node + " is down") != std::string::npos);
  CHECK_FALSE(failed.at("status").as_object().contains("node"));
  CHECK(Has(EventReasons(*c, t, a), "NodeFailure"));
  CHECK(S(c->Op("GET", "/v1/admin/nodes/" + node).Json().at("state")) == "Down");
  CHECK(AllocatedGpus(*c) == 0);
  CHECK(OpenUsage(*c, a) == 0);
  CHECK(Sql(*c, "SELECT end_reason FROM usage_records WHERE resource_id = '" + a + "'") == "failed");

  // The host comes back; a failed instance stays failed until its tenant starts it again.
  REQUIRE(c->Op("POST", "/v1/admin/sim/nodes/" + node + ":recover").status == 202);
  REQUIRE(WaitUntil([&] { return S(c->Op("GET", "/v1/admin/nodes/" + node).Json().at("state")) == "Ready"; }, 20s));
  std::this_thread::sleep_for(500ms);
  CHECK(Phase(*c, t, a) == "Failed");
  Act(*c, t, a, "start");
  AwaitPhase(*c, t, a, "Running");
  CHECK(OpenUsage(*c, a) == 1);
}

TEST_CASE("a driver error is retried with backoff and shown as a condition",
          "[e2e][controllers][errors]") {
  // Every simulated provisioning attempt fails.
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1), {{"GAON_SIM_FAILURE_PERCENT", "100"}});
  const Owner t = MakeTenant(*c, "flaky");
  const std::string id = Create(*c, t, "flaky");
  auto reconciled = [&] {
    auto j = Get(*c, t, id);
    for (const auto& cond : j.at("status").at("conditions").as_array()) {
      if (S(cond.at("type")) == "Reconciled") return cond;
    }
    return boost::json::value();
  };
  // Retried: the message counts the attempts (each one replaces it, so wait for any count ≥ 2).
  REQUIRE(WaitUntil([&] {
    auto r = reconciled();
    if (!r.is_object() || S(r.at("status")) != "False") return false;
    std::smatch m;
    const std::string message = S(r.at("message"));
    return std::regex_search(message, m, std::regex(R"(attempt (\d+), retrying)")) && std::stoi(m[1]) >= 2;
  }));
  auto r = reconciled();
  CHECK(S(r.at("reason")) == "provisioning_failed");
  CHECK(S(r.at("message")).find("simulated fault") != std::string::npos);
  CHECK(Phase(*c, t, id) == "Scheduled");
  CHECK(SqlInt(*c, "SELECT count(*) FROM instance_events WHERE reason = 'ReconcileError'") == 1);  // one per run of failures
  CHECK(OpenUsage(*c, id) == 0);
}

TEST_CASE("an instance that cannot be placed waits with its queue position and runs when capacity frees",
          "[e2e][controllers][queue]") {
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner t = MakeTenant(*c, "patient");
  const std::string big = Create(*c, t, "big", "gpu.h100.8x");
  AwaitPhase(*c, t, big, "Running");

  const std::string waiting = Create(*c, t, "waiting", "gpu.h100.2x");
  // Admission already says it cannot be placed now; the scheduler then says where it stands.
  REQUIRE(WaitUntil([&] {
    auto j = Get(*c, t, waiting);
    for (const auto& cond : j.at("status").at("conditions").as_array()) {
      if (S(cond.at("type")) == "Scheduled" && S(cond.at("reason")) == "Unschedulable" &&
          S(cond.at("message")).find("queue_position") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  auto j = Get(*c, t, waiting);
  CHECK(S(j.at("status").at("phase")) == "Pending");
  CHECK(j.at("status").at("queue_position").as_int64() == 1);
  std::string message;
  for (const auto& cond : j.at("status").at("conditions").as_array()) {
    if (S(cond.at("type")) == "Scheduled") message = S(cond.at("message"));
  }
  CHECK(message.find("h100-80gb-sxm") != std::string::npos);
  CHECK(message.find("queue_position") != std::string::npos);
  // The position is the scheduler's last ranking, not counted per read: the condition says when.
  CHECK(message.find("Position 1 in the h100-80gb-sxm queue (1 = next) as of ") != std::string::npos);
  // A list shows what a GET shows.
  auto list = c->Call("GET", "/v1/tenants/" + t.id + "/instances", t.key).Json();
  int listed = 0;
  for (const auto& item : list.at("items").as_array()) {
    if (S(item.at("id")) != waiting) continue;
    ++listed;
    CHECK(item.at("status").at("queue_position").as_int64() == 1);
  }
  CHECK(listed == 1);
  std::this_thread::sleep_for(300ms);
  CHECK(Phase(*c, t, waiting) == "Pending");

  REQUIRE(c->Call("DELETE", "/v1/tenants/" + t.id + "/instances/" + big, t.key).status == 202);
  AwaitPhase(*c, t, waiting, "Running");
  CHECK_FALSE(Get(*c, t, waiting).at("status").as_object().contains("queue_position"));
  CHECK(AllocatedGpus(*c) == 2);
  // The next ranking forgets an instance that no longer waits.
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instance_queue_positions") == 0; }));
}

TEST_CASE("new instances waiting for capacity cost the controllers no reconcile until they are placed",
          "[e2e][controllers][queue]") {
  // A create wakes the scheduler, not the instance reconciler: before its placement a new
  // instance gives a reconcile nothing to do, and 10,000 of them would fill its work queue.
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner t = MakeTenant(*c, "queued");
  const auto reconciles = [&] {
    const std::string body = c->Call("GET", "/metrics", "").body;
    static const std::regex line(R"(gaon_controller_reconciles_total\{kind="instance",result="[a-z_]+"\} ([0-9]+))");
    int total = 0;
    for (std::sregex_iterator m(body.begin(), body.end(), line), end; m != end; ++m) total += std::stoi((*m)[1]);
    return total;
  };
  std::vector<std::string> ids;
  for (int n = 0; n < 10; ++n) ids.push_back(Create(*c, t, "a100-" + std::to_string(n), "gpu.a100.1x"));  // no A100 host
  // The scheduler has seen every one (it ranks them), and the notices are long delivered.
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instance_queue_positions") == 10; }));
  std::this_thread::sleep_for(300ms);
  CHECK(reconciles() == 0);

  // Any other change from the API is the reconciler's: a delete is carried out.
  REQUIRE(c->Call("DELETE", "/v1/tenants/" + t.id + "/instances/" + ids[0], t.key).status == 202);
  AwaitPhase(*c, t, ids[0], "Deleted");
  CHECK(reconciles() >= 1);
  CHECK(Phase(*c, t, ids[1]) == "Pending");
}

TEST_CASE("waiting instances are placed in fair order: no tenant starves another", "[e2e][controllers][fair]") {
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner blocker = MakeTenant(*c, "blocker");
  std::vector<std::string> blocks;
  for (int n = 0; n < 8; ++n) blocks.push_back(Create(*c, blocker, "block-" + std::to_string(n)));
  for (const auto& b : blocks) AwaitPhase(*c, blocker, b, "Running");

  // Owner A queues three, then tenant B one: B's first comes right after A's first.
  const Owner a = MakeTenant(*c, "greedy");
  const Owner b = MakeTenant(*c, "modest");
  std::vector<std::string> as;
  for (int n = 0; n < 3; ++n) as.push_back(Create(*c, a, "a-" + std::to_string(n)));
  const std::string b0 = Create(*c, b, "b-0");
  auto position = [&](const Owner& t, const std::string& id) {
    auto j = Get(*c, t, id);
    return j.at("status").as_object().contains("queue_position") ? j.at("status").at("queue_position").as_int64() : -1;
  };
  REQUIRE(WaitUntil([&] { return position(b, b0) == 2; }));
  CHECK(position(a, as[0]) == 1);
  CHECK(position(a, as[1]) == 3);
  CHECK(position(a, as[2]) == 4);

  // Two GPUs free up: A's first and B's first run, A's others keep waiting.
  for (int n = 0; n < 2; ++n) {
    REQUIRE(c->Call("DELETE", "/v1/tenants/" + blocker.id + "/instances/" + blocks[n], blocker.key).status == 202);
  }
  AwaitPhase(*c, a, as[0], "Running");
  AwaitPhase(*c, b, b0, "Running");
  std::this_thread::sleep_for(300ms);
  CHECK(Phase(*c, a, as[1]) == "Pending");
  CHECK(Phase(*c, a, as[2]) == "Pending");
  CHECK(position(a, as[1]) == 1);
}

TEST_CASE("draining a node moves its instances to another and cordoning stops new placements",
          "[e2e][controllers][drain]") {
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2));
  const Owner t = MakeTenant(*c, "mover");
  const std::string id = Create(*c, t, "mover", "gpu.h100.4x");
  AwaitPhase(*c, t, id, "Running");
  const std::string from = S(Get(*c, t, id).at("status").at("node"));

  CHECK(c->Op("POST", "/v1/admin/nodes/" + from + ":drain", R"({"policy":"evaporate"})").status == 400);
  auto drain = c->Op("POST", "/v1/admin/nodes/" + from + ":drain", R"({"policy":"reschedule"})");
  REQUIRE(drain.status == 202);
  CHECK(S(drain.Json().at("node").at("state")) == "Cordoned");
  CHECK(S(drain.Json().at("instances").at(0)) == id);
  REQUIRE(WaitUntil([&] {
    auto j = Get(*c, t, id);
    return S(j.at("status").at("phase")) == "Running" && j.at("status").as_object().contains("node") &&
           S(j.at("status").at("node")) != from;
  }, 20s));
  CHECK(Has(EventReasons(*c, t, id), "Evicted"));
  CHECK(SqlInt(*c, "SELECT allocated_gpus FROM nodes WHERE node_id = '" + from + "'") == 0);
  CHECK(AllUsage(*c, id) == 2);
  CHECK(OpenUsage(*c, id) == 1);

  // The cordoned node takes nothing new: a second 4x goes next to the first.
  const std::string second = Create(*c, t, "second", "gpu.h100.4x");
  AwaitPhase(*c, t, second, "Running");
  CHECK(S(Get(*c, t, second).at("status").at("node")) != from);
  // Full now (the other node has 8 of 8 GPUs booked), so a third waits until uncordon.
  const std::string third = Create(*c, t, "third", "gpu.h100.1x");
  std::this_thread::sleep_for(500ms);
  CHECK(Phase(*c, t, third) == "Pending");
  auto uncordon = c->Op("POST", "/v1/admin/nodes/" + from + ":uncordon");
  REQUIRE(uncordon.status == 200);
  CHECK(S(uncordon.Json().at("state")) == "Ready");
  AwaitPhase(*c, t, third, "Running");
  CHECK(S(Get(*c, t, third).at("status").at("node")) == from);

  // Nodes are operators' business only.
  CHECK(c->Call("GET", "/v1/admin/nodes", t.key).status == 403);
  auto list = c->Op("GET", "/v1/admin/nodes?state=Ready");
  REQUIRE(list.status == 200);
  CHECK(list.Json().at("items").as_array().size() == 2);
}

TEST_CASE("instances provisioning when gaond is killed converge to Running exactly once after a restart",
          "[e2e][controllers][crash]") {
  // 300 one-GPU instances on 40 hosts, each taking 1-3 s to provision.
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 20) +
                         TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 20),
                     {{"GAON_SIM_PROVISION_TIME", "1s..3s"}});
  const Owner t = MakeTenant(*c, "crashy", 300);
  CreateConcurrently(*c, t, 300, 6);
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM sim_machines") >= 100; }, 20s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") < 300);

  c->StopGaond(SIGKILL);
  c->StartGaond();
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") == 300; }, 60s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines") == 300);
  // The sim completes a transition lazily: a machine whose boot is over counts as running.
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines WHERE state IN ('provisioning', 'starting', 'running') "
                   "AND busy_until <= now()") == 300);
  CHECK(AllocatedGpus(*c) == 300);
  CHECK(SqlInt(*c, "SELECT count(*) FROM allocations") == 300);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE ended_at IS NULL") == 300);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records") == 300);  // Running entered exactly once each
  CHECK(SqlInt(*c, "SELECT count(*) FROM instances WHERE run_count <> 1") == 0);
}

TEST_CASE("instances provisioning when PostgreSQL crashes converge to Running exactly once after it is back",
          "[e2e][controllers][crash][serial]") {
  // The controllers' observations commit without waiting for the disk (docs/controllers.md,
  // "Durability"): a crash of PostgreSQL itself, not of gaond, loses the newest of them.
  // Whatever it loses, every instance must still end Running once, metered once.
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 10) +
                         TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 10),
                     {{"GAON_SIM_PROVISION_TIME", "300ms..2s"}});
  constexpr int kCount = 120;
  const Owner t = MakeTenant(*c, "pg-crash", kCount);
  CreateConcurrently(*c, t, kCount, 4);
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM sim_machines") >= 40; }, 20s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") < kCount);

  const std::string crash = RequiredEnv("GAON_ROOT") + "/gaon pg crash";
  REQUIRE(std::system(crash.c_str()) == 0);

  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") == kCount; },
                    90s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines") == kCount);
  CHECK(AllocatedGpus(*c) == kCount);
  CHECK(SqlInt(*c, "SELECT count(*) FROM allocations") == kCount);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE ended_at IS NULL") == kCount);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records") == kCount);  // Running entered exactly once each
  CHECK(SqlInt(*c, "SELECT count(*) FROM instances WHERE run_count <> 1") == 0);
  // The API answers again without a gaond restart.
  CHECK(c->Call("GET", "/v1/tenants/" + t.id + "/instances?page_size=1", t.key).status == 200);
}

TEST_CASE("when the leading controller dies another takes over within the lease and nothing runs twice",
          "[e2e][controllers][failover]") {
  auto c = CloudWith(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 10),
                     {{"GAON_SIM_PROVISION_TIME", "200ms..600ms"}});
  // Two controller replicas beside the API process (which runs controllers too, so three
  // contend); the test kills whichever leads.
  GaondOptions replica{.args = {"serve", "--roles", "controllers"},
                       .env = {{"GAON_SIM_FLEET_FILE", TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup(
                                                                               "kr-central-1a", "h100-80gb-sxm", 10))},
                               {"GAON_SIM_PROVISION_TIME", "200ms..600ms"},
                               {"GAON_CATALOG_FILE", std::string(GAON_SOURCE_DIR) + "/deploy/catalog.yaml"},
                               {"GAON_CONTROLLER_LEASE_DURATION", "2s"},
                               {"GAON_CONTROLLER_NODE_TIMEOUT", "3s"}}};
  auto r1 = GaondProcess::Start(&c->db(), replica);
  auto r2 = GaondProcess::Start(&c->db(), replica);
  const Owner t = MakeTenant(*c, "failover", 80);
  for (int n = 0; n < 40; ++n) Create(*c, t, "first-" + std::to_string(n));
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") == 40; }, 30s));

  const std::string holder = Sql(*c, "SELECT holder FROM leases WHERE name = 'controllers'");
  const int token = SqlInt(*c, "SELECT token FROM leases WHERE name = 'controllers'");
  const auto pid_of = [&](const std::string& h) { return std::stoi(h.substr(h.find(':') + 1)); };
  GaondProcess* leader = nullptr;
  for (GaondProcess* p : {r1.get(), r2.get(), &c->gaond()}) {
    if (p->pid() == pid_of(holder)) leader = p;
  }
  REQUIRE(leader != nullptr);
  const bool api_leads = leader == &c->gaond();

  // More work arrives, and the leader dies at once.
  std::vector<std::string> second;
  if (!api_leads) {
    for (int n = 0; n < 40; ++n) second.push_back(Create(*c, t, "second-" + std::to_string(n)));
  }
  const auto killed_at = std::chrono::steady_clock::now();
  leader->Signal(SIGKILL);
  leader->Wait();
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT token FROM leases WHERE name = 'controllers'") > token; }, 10s));
  const auto takeover = std::chrono::steady_clock::now() - killed_at;
  CHECK(takeover < 2s + 1500ms);  // the lease time, plus one renewal interval
  CHECK(pid_of(Sql(*c, "SELECT holder FROM leases WHERE name = 'controllers'")) != leader->pid());

  if (api_leads) {
    // The API process was the leader: bring an API back (its own controllers contend again).
    c->StartGaond();
    for (int n = 0; n < 40; ++n) second.push_back(Create(*c, t, "second-" + std::to_string(n)));
  }
  REQUIRE(WaitUntil([&] { return SqlInt(*c, "SELECT count(*) FROM instances WHERE phase = 'Running'") == 80; }, 30s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines") == 80);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records") == 80);
  CHECK(AllocatedGpus(*c) == 80);
  CHECK(SqlInt(*c, "SELECT count(*) FROM instances WHERE run_count <> 1") == 0);
}

TEST_CASE("a backlog drained in full batches is ranked once the drain stops", "[e2e][controllers][scheduler][queue]") {
  // gaond serves the API only; the test runs the scheduler's passes itself, batch of 4.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}});
  auto db = storage::Database::Create(c->db().Config(), nullptr).value();
  const std::vector<FleetHost> hosts{{"drain-0", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048}};
  REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) { return storage::SyncNodes(tx, hosts); }).ok());
  const Owner t = MakeTenant(*c, "drainer", 64);
  for (int n = 0; n < 10; ++n) Create(*c, t, "d-" + std::to_string(n));
  auto token = storage::AcquireOrRenewLease(*db, "controllers", "test", std::chrono::minutes(1)).value();
  REQUIRE(token.has_value());
  const storage::Fence fence{"controllers", *token};
  std::vector<storage::InstanceRecord> handed;
  controller::Scheduler s(*db, 4, [&](storage::InstanceRecord rec) { handed.push_back(std::move(rec)); });
  const auto positions = [&] { return SqlInt(*c, "SELECT count(*) FROM instance_queue_positions"); };

  // Full batches with no one left waiting: the queue drains, and ranking waits.
  CHECK(s.RunPass(fence).value() == 4);
  CHECK(positions() == 0);
  // What the pass hands the reconciler is what a reconcile would have read (it skips the read).
  REQUIRE(handed.size() == 4);
  for (const auto& h : handed) {
    std::optional<storage::InstanceRecord> read;
    REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) -> Status {
                ASSIGN_OR_RETURN(read, storage::LoadInstanceRecord(tx, h.instance.tenant_id, h.instance.id));
                return Status::Ok();
              }).ok());
    REQUIRE(read.has_value());
    CHECK(boost::json::serialize(ToJson(h.instance)) == boost::json::serialize(ToJson(read->instance)));
    CHECK(h.instance.status.phase == "Scheduled");
    CHECK(h.stored_phase == read->stored_phase);
    CHECK(h.gpu_type == read->gpu_type);
    CHECK(h.gpus == read->gpus);
    CHECK(h.vcpus == read->vcpus);
    CHECK(h.memory_gib == read->memory_gib);
    CHECK(h.run_count == read->run_count);
    CHECK(h.user_data == read->user_data);
    CHECK(h.node_state == std::optional<std::string>("Ready"));
    CHECK(h.node_state == read->node_state);
    CHECK(h.node_down_reason == read->node_down_reason);
  }
  CHECK(s.RunPass(fence).value() == 4);
  CHECK(positions() == 0);
  // The host is full: the last two wait for capacity, and now they are ranked.
  CHECK(s.RunPass(fence).value() == 0);
  CHECK(positions() == 2);
  CHECK(SqlInt(*c, "SELECT count(*) FROM instance_queue_positions WHERE position IN (1, 2)") == 2);
  CHECK(AllocatedGpus(*c) == 8);
}

TEST_CASE("a reconcile started from a stale hand-over writes nothing and runs again from a fresh read",
          "[e2e][controllers][scheduler]") {
  // gaond serves the API only; the test runs a scheduler pass and the instance reconciler
  // itself, without the change notices that would drop a stale record.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}});
  auto db = storage::Database::Create(c->db().Config(), nullptr).value();
  const std::vector<FleetHost> hosts{{"stale-0", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048}};
  REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) { return storage::SyncNodes(tx, hosts); }).ok());
  const Owner t = MakeTenant(*c, "stale", 8);
  const std::string id = Create(*c, t, "late-delete");
  auto token = storage::AcquireOrRenewLease(*db, "controllers", "test", std::chrono::minutes(1)).value();
  REQUIRE(token.has_value());
  const storage::Fence fence{"controllers", *token};
  controller::SimDriver driver(*db, hosts, SimConfig{});
  controller::InstanceReconciler reconciler(*db, driver, [&] { return fence; }, [] {});
  controller::Scheduler s(*db, 10, [&](storage::InstanceRecord rec) { reconciler.HandOver(std::move(rec)); });
  REQUIRE(s.RunPass(fence).value() == 1);
  const std::string key = t.id + "/" + id;

  // The tenant deletes it after the placement; the record handed over still says Scheduled.
  REQUIRE(c->Call("DELETE", "/v1/tenants/" + t.id + "/instances/" + id, t.key).status == 202);
  auto stale = reconciler.Reconcile(key);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.status().reason() == "conflict");
  CHECK(Phase(*c, t, id) == "Deleting");
  CHECK(AllUsage(*c, id) == 0);  // the write that would have opened metering did not commit

  // The retry reads the row: the machine the stale step made is torn down, the GPUs given back.
  REQUIRE(reconciler.Reconcile(key).ok());
  CHECK(Phase(*c, t, id) == "Deleted");
  CHECK(AllocatedGpus(*c) == 0);
  CHECK(AllUsage(*c, id) == 0);
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_machines") == 0);
}

TEST_CASE("a pass books only on nodes that still take its plan when it locks them", "[e2e][controllers][scheduler]") {
  // A pass plans on the nodes as it read them, unlocked, then locks the ones its plan uses and
  // checks them again: each change that can happen in between makes it plan again.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}});
  auto db = storage::Database::Create(c->db().Config(), nullptr).value();
  const std::vector<FleetHost> hosts{{"plan-a", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048},
                                     {"plan-b", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048}};
  REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) { return storage::SyncNodes(tx, hosts); }).ok());
  std::vector<storage::FreeNode> before;
  REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) -> Status {
              ASSIGN_OR_RETURN(before, storage::NodesWithRoom(tx, {"h100-80gb-sxm"}));
              return Status::Ok();
            }).ok());
  REQUIRE(before.size() == 2);
  // A plan of 3 GPUs on plan-a and none on plan-b needs plan-a only, and that much of it.
  auto after = before;
  after[0].free_gpus -= 3;
  after[0].free_vcpus -= 72;
  after[0].free_memory_gib -= 720;
  const auto needs = storage::NeedsOf(before, after);
  REQUIRE(needs.size() == 1);
  CHECK(needs[0].node == "plan-a");
  CHECK(needs[0].gpus == 3);
  CHECK(needs[0].vcpus == 72);
  CHECK(needs[0].memory_gib == 720);
  const auto still = [&](const std::vector<storage::NodeNeed>& n) {
    bool ok = false;
    REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) -> Status {
                ASSIGN_OR_RETURN(ok, storage::LockNodesFor(tx, n));
                return Status::Ok();
              }).ok());
    return ok;
  };
  CHECK(still(needs));
  // Less room than planned (another pass booked in between): plan again.
  Sql(*c, "UPDATE nodes SET allocated_gpus = 6 WHERE node_id = 'plan-a'");
  CHECK_FALSE(still(needs));
  Sql(*c, "UPDATE nodes SET allocated_gpus = 0 WHERE node_id = 'plan-a'");
  CHECK(still(needs));
  // The node went Down, or was cordoned, or its zone closed.
  Sql(*c, "UPDATE nodes SET state = 'Cordoned' WHERE node_id = 'plan-a'");
  CHECK_FALSE(still(needs));
  Sql(*c, "UPDATE nodes SET state = 'Ready' WHERE node_id = 'plan-a'");
  Sql(*c, "UPDATE zones SET status = 'unavailable' WHERE zone_id = 'kr-central-1a'");
  CHECK_FALSE(still(needs));
  Sql(*c, "UPDATE zones SET status = 'available' WHERE zone_id = 'kr-central-1a'");
  CHECK(still(needs));
  CHECK(still({}));  // a plan that places nothing locks nothing
}

TEST_CASE("two schedulers racing over the same queue never double-book a GPU", "[e2e][controllers][scheduler]") {
  // gaond serves the API only; the test runs the scheduler passes itself, from two threads
  // with two connection pools, as two replicas with a split brain would.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}});
  auto db = storage::Database::Create(c->db().Config(), nullptr).value();
  std::vector<FleetHost> hosts;
  for (int n = 0; n < 5; ++n) hosts.push_back({"race-" + std::to_string(n), "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048});
  REQUIRE(db->Transact({.platform = true}, [&](storage::Tx& tx) { return storage::SyncNodes(tx, hosts); }).ok());
  const Owner a = MakeTenant(*c, "racer-a", 64);
  const Owner b = MakeTenant(*c, "racer-b", 64);
  for (int n = 0; n < 30; ++n) {
    Create(*c, a, "a-" + std::to_string(n));
    Create(*c, b, "b-" + std::to_string(n));
  }
  auto token = storage::AcquireOrRenewLease(*db, "controllers", "test", std::chrono::minutes(1)).value();
  REQUIRE(token.has_value());
  const storage::Fence fence{"controllers", *token};
  std::atomic<int> placed = 0;
  std::vector<std::thread> racers;
  for (int r = 0; r < 2; ++r) {
    racers.emplace_back([&] {
      auto own = storage::Database::Create(c->db().Config(), nullptr).value();
      controller::Scheduler s(*own, 7, [](storage::InstanceRecord) {});
      for (int pass = 0; pass < 10; ++pass) {
        auto n = s.RunPass(fence);
        if (n.ok()) placed += *n;
      }
    });
  }
  for (auto& th : racers) th.join();
  CHECK(placed == 40);  // 5 hosts x 8 GPUs, every one booked once
  CHECK(AllocatedGpus(*c) == 40);
  CHECK(SqlInt(*c, "SELECT count(*) FROM nodes WHERE allocated_gpus > gpu_count") == 0);
  CHECK(SqlInt(*c, "SELECT coalesce(sum(gpus), 0) FROM allocations") == 40);
  CHECK(SqlInt(*c, "SELECT count(*) FROM (SELECT consumer_id FROM allocations GROUP BY consumer_id HAVING count(*) > 1) d") ==
        0);

  // A stale token (the lease moved on) changes nothing.
  REQUIRE(storage::ReleaseLease(*db, "controllers", "test").ok());
  REQUIRE(storage::AcquireOrRenewLease(*db, "controllers", "other", std::chrono::minutes(1)).value().value() > *token);
  controller::Scheduler stale(*db, 100, [](storage::InstanceRecord) {});
  auto refused = stale.RunPass(fence);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().reason() == "lease_lost");
}
