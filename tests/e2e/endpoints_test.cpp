// End-to-end: inference endpoints on the sim driver — deploy and serve, autoscaling up and
// down, scale to zero and wake-up, rolling updates that never drop below the serving size,
// automatic rollback, canary splits, quota-limited scale-up, node failure, a crash in the
// middle of a rollout — plus the model catalog, custom models and validation.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>

#include <map>
#include <set>
#include <thread>

#include "tests/support/cloud.h"

using namespace gaon;
using namespace gaon::test;
using namespace std::chrono_literals;

namespace {

std::string S(const boost::json::value& v) { return std::string(v.as_string()); }
std::int64_t I(const boost::json::value& v) { return v.to_number<std::int64_t>(); }

// Fast simulated replicas and a quick autoscaler: load is sampled every 200 ms, averaged over
// 3 s (stable) and 600 ms (panic).
std::map<std::string, std::string> FastEnv(const std::string& fleet) {
  return {{"GAON_SIM_FLEET_FILE", TestCloud::FleetFile("groups:\n" + fleet)},
          {"GAON_SIM_REPLICA_START_TIME", "300ms"},
          {"GAON_SIM_MODEL_LOAD_TIME_PER_BILLION", "0s"},
          {"GAON_CONTROLLER_AUTOSCALE_INTERVAL", "200ms"},
          {"GAON_CONTROLLER_AUTOSCALE_STABLE_WINDOW", "3s"},
          {"GAON_CONTROLLER_AUTOSCALE_PANIC_WINDOW", "600ms"}};
}

std::unique_ptr<TestCloud> Cloud(const std::string& fleet = TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2),
                                 std::map<std::string, std::string> extra = {}) {
  auto env = FastEnv(fleet);
  for (auto& [k, v] : extra) env[k] = v;
  return TestCloud::Start({.env = std::move(env)});
}

std::string Sql(TestCloud& c, const std::string& q) { return c.db().OwnerQuery("SET gaon.platform = 'on'; " + q); }
int SqlInt(TestCloud& c, const std::string& q) {
  const std::string v = Sql(c, q);
  return v.empty() ? 0 : std::stoi(v);
}

struct Owner {
  std::string id, key;
};

Owner MakeTenant(TestCloud& c, const std::string& name, int gpus = 16) {
  Owner t{c.CreateTenant(name), ""};
  REQUIRE(c.Op("PUT", "/v1/admin/tenants/" + t.id + "/quotas", R"({"limits":{"gpus":)" + std::to_string(gpus) + "}}")
              .status == 200);
  t.key = c.CreateKey(t.id, "tenant-member");
  return t;
}

// An endpoint of `model` on one H100 per replica, with `spec` members added.
std::string Deploy(TestCloud& c, const Owner& t, const std::string& name, const std::string& spec = "",
                   const std::string& model = "qwen2.5-7b-instruct") {
  auto r = c.Call("POST", "/v1/tenants/" + t.id + "/endpoints", t.key,
                  R"({"name":")" + name + R"(","spec":{"model":")" + model +
                      R"(","gpu_type":"h100-80gb-sxm","gpus_per_replica":1,)"
                      R"("autoscaling":{"target":4,"scale_to_zero_after_seconds":1})" +
                      (spec.empty() ? "" : "," + spec) + "}}");
  INFO(r.body);
  REQUIRE(r.status == 202);
  return S(r.Json().at("id"));
}

boost::json::value Get(TestCloud& c, const Owner& t, const std::string& id) {
  auto r = c.Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id, t.key);
  return r.status == 200 ? r.Json() : boost::json::value();
}

std::string Replicas(TestCloud& c, const std::string& id) {
  return Sql(c, "SELECT string_agg(replica_id || ':r' || revision || ':' || phase || '@' || coalesce(node_id, '-'), ' ' "
                "ORDER BY created_at) FROM endpoint_replicas WHERE endpoint_id = '" + id + "' AND deleted_at IS NULL");
}

// Waits until `pred` holds for the endpoint; fails with its last state otherwise.
void Await(TestCloud& c, const Owner& t, const std::string& id, const std::string& what,
           const std::function<bool(const boost::json::value&)>& pred, std::chrono::milliseconds timeout = 20s) {
  const bool ok = WaitUntil(
      [&] {
        auto j = Get(c, t, id);
        return !j.is_null() && pred(j);
      },
      timeout);
  INFO("waiting for " << what << "; endpoint: " << boost::json::serialize(Get(c, t, id)));
  INFO("replicas: " << Replicas(c, id));
  REQUIRE(ok);
}

void AwaitPhase(TestCloud& c, const Owner& t, const std::string& id, const std::string& phase,
                std::chrono::milliseconds timeout = 20s) {
  Await(c, t, id, "phase " + phase, [&](const boost::json::value& j) { return S(j.at("status").at("phase")) == phase; },
        timeout);
}

void AwaitReady(TestCloud& c, const Owner& t, const std::string& id, int replicas, std::chrono::milliseconds timeout = 20s) {
  Await(c, t, id, "Ready with " + std::to_string(replicas) + " replicas",
        [&](const boost::json::value& j) {
          return S(j.at("status").at("phase")) == "Ready" && I(j.at("status").at("ready_replicas")) == replicas;
        },
        timeout);
}

HttpResult Chat(TestCloud& c, const Owner& t, const std::string& id, const std::string& text = "안녕하세요, how are you?") {
  return c.Call("POST", "/v1/tenants/" + t.id + "/endpoints/" + id + "/v1/chat/completions", t.key,
                R"({"messages":[{"role":"user","content":")" + text + R"("}],"max_tokens":64})");
}

void Patch(TestCloud& c, const Owner& t, const std::string& id, const std::string& body) {
  auto r = c.Call("PATCH", "/v1/tenants/" + t.id + "/endpoints/" + id, t.key, body);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

void Traffic(TestCloud& c, const std::string& id, const std::string& body) {
  auto r = c.Op("PUT", "/v1/admin/sim/endpoints/" + id, body);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

int AllocatedGpus(TestCloud& c) { return SqlInt(c, "SELECT coalesce(sum(allocated_gpus), 0) FROM nodes"); }
int GpusUsed(TestCloud& c, const Owner& t) {
  return SqlInt(c, "SELECT coalesce(sum(used), 0) FROM quota_usage WHERE tenant_id = '" + t.id + "' AND dimension = 'gpus'");
}

std::string ConditionReason(const boost::json::value& ep, const std::string& type) {
  for (const auto& cond : ep.at("status").at("conditions").as_array()) {
    if (S(cond.at("type")) == type && S(cond.at("status")) == "True") return S(cond.at("reason"));
  }
  return "";
}

}  // namespace

TEST_CASE("an endpoint deploys, serves OpenAI-compatible chat with metered tokens, and is deleted cleanly",
          "[e2e][endpoints]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "serve");
  const std::string id = Deploy(*c, t, "chat", R"("min_replicas":2,"max_replicas":2)");
  auto created = Get(*c, t, id);
  CHECK(S(created.at("status").at("url")) == "http://" + c->address() + "/v1/tenants/" + t.id + "/endpoints/" + id);
  CHECK(I(created.at("status").at("latest_revision")) == 1);

  AwaitReady(*c, t, id, 2);
  auto ready = Get(*c, t, id);
  CHECK(I(ready.at("status").at("current_revision")) == 1);
  CHECK(I(ready.at("status").at("updated_replicas")) == 2);
  CHECK(ready.at("status").at("traffic").as_array().size() == 1);
  CHECK(I(ready.at("status").at("traffic").at(0).at("percent")) == 100);
  // Replicas spread over both hosts, each metered while ready, counted against the gpus quota.
  CHECK(SqlInt(*c, "SELECT count(DISTINCT node_id) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                       "' AND phase = 'Ready'") == 2);
  CHECK(AllocatedGpus(*c) == 2);
  CHECK(GpusUsed(*c, t) == 2);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id +
                       "' AND resource_kind = 'replica' AND ended_at IS NULL") == 2);

  auto answer = Chat(*c, t, id);
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.Header("X-Gaon-Simulated") == "true");
  auto body = answer.Json();
  CHECK(S(body.at("object")) == "chat.completion");
  CHECK(S(body.at("model")) == "qwen2.5-7b-instruct");
  CHECK(S(body.at("choices").at(0).at("message").at("role")) == "assistant");
  CHECK(S(body.at("choices").at(0).at("message").at("content")).find("simulated") != std::string::npos);
  const std::int64_t prompt = I(body.at("usage").at("prompt_tokens"));
  const std::int64_t completion = I(body.at("usage").at("completion_tokens"));
  CHECK(prompt > 0);
  CHECK(completion > 0);
  CHECK(I(body.at("usage").at("total_tokens")) == prompt + completion);
  const std::string cid = S(body.at("id"));
  CHECK(SqlInt(*c, "SELECT quantity FROM usage_events WHERE event_id = '" + cid + "/input'") == prompt);
  CHECK(SqlInt(*c, "SELECT quantity FROM usage_events WHERE event_id = '" + cid + "/output'") == completion);
  CHECK(!Get(*c, t, id).at("status").at("last_request_at").is_null());

  // Bad requests change nothing.
  CHECK(c->Call("POST", "/v1/tenants/" + t.id + "/endpoints/" + id + "/v1/chat/completions", t.key,
                R"({"messages":[]})")
            .status == 400);
  CHECK(c->Call("POST", "/v1/tenants/" + t.id + "/endpoints/" + id + "/v1/chat/completions", t.key,
                R"({"messages":[{"role":"user","content":"hi"}],"stream":true})")
            .status == 400);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_events WHERE resource_id = '" + id + "'") == 2);

  // Another tenant sees nothing of it, not even its URL.
  const Owner other = MakeTenant(*c, "other");
  CHECK(c->Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id, other.key).status == 404);
  CHECK(c->Call("POST", "/v1/tenants/" + t.id + "/endpoints/" + id + "/v1/chat/completions", other.key,
                R"({"messages":[{"role":"user","content":"hi"}]})")
            .status == 404);

  auto del = c->Call("DELETE", "/v1/tenants/" + t.id + "/endpoints/" + id, t.key);
  REQUIRE(del.status == 202);
  CHECK(S(del.Json().at("status").at("phase")) == "Deleting");
  AwaitPhase(*c, t, id, "Deleted");
  CHECK(AllocatedGpus(*c) == 0);
  CHECK(GpusUsed(*c, t) == 0);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "' AND ended_at IS NULL") == 0);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "'") == 2);
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_replicas WHERE endpoint_id = '" + id + "'") == 0);
  CHECK(SqlInt(*c, "SELECT used FROM quota_usage WHERE tenant_id = '" + t.id + "' AND dimension = 'endpoints'") == 0);
}

TEST_CASE("the autoscaler scales up quickly under a traffic profile and back down slowly after it ends",
          "[e2e][endpoints][autoscale]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "scale");
  const std::string id = Deploy(*c, t, "busy", R"("min_replicas":1,"max_replicas":4)");
  AwaitReady(*c, t, id, 1);

  // 14 concurrent requests at a target of 4 per replica: 4 replicas (ceil 3.5), at most max.
  Traffic(*c, id, R"({"concurrency":14,"duration_seconds":4})");
  const auto started = std::chrono::steady_clock::now();
  Await(*c, t, id, "4 replicas wanted", [](const boost::json::value& j) {
    return I(j.at("status").at("desired_replicas")) == 4;
  });
  // The panic window acts on the burst at once; the 3 s stable window alone, averaging it with
  // the idle samples before, would need about 2.6 s.
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  AwaitReady(*c, t, id, 4);

  // The load ends after 4 s; the endpoint keeps its size for a stable window, then goes back.
  Await(*c, t, id, "back to 1 replica", [](const boost::json::value& j) {
    return I(j.at("status").at("desired_replicas")) == 1 && I(j.at("status").at("ready_replicas")) == 1;
  }, 30s);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 4s + 2s);  // not before the load ended and most of a stable window passed
  CHECK(AllocatedGpus(*c) == 1);
}

TEST_CASE("an endpoint with min_replicas 0 scales to zero when idle and a request wakes it",
          "[e2e][endpoints][autoscale]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "sleepy");
  const std::string id = Deploy(*c, t, "nap", R"("min_replicas":0,"max_replicas":2)");
  AwaitPhase(*c, t, id, "Ready");
  AwaitPhase(*c, t, id, "ScaledToZero", 30s);
  CHECK(AllocatedGpus(*c) == 0);
  CHECK(GpusUsed(*c, t) == 0);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "' AND ended_at IS NULL") == 0);

  // The next request is told to come back, and wakes it.
  auto asleep = Chat(*c, t, id);
  CHECK(asleep.status == 503);
  CHECK(asleep.Header("Retry-After").has_value());
  CHECK(S(asleep.Json().at("code")) == "endpoint_scaled_to_zero");
  // A client honouring Retry-After gets its answer once a replica is ready.
  int answered = 0;
  CHECK(WaitUntil(
      [&] {
        answered = Chat(*c, t, id).status;
        if (answered != 200) std::this_thread::sleep_for(100ms);
        return answered == 200;
      },
      20s));
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id + "' AND ever_ready") >= 2);
}

TEST_CASE("a rolling update replaces replicas one by one without ever serving below the desired size",
          "[e2e][endpoints][rollout]") {
  auto c = Cloud(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner t = MakeTenant(*c, "roll");
  const std::string id = Deploy(*c, t, "steady", R"("min_replicas":3,"max_replicas":3)");
  AwaitReady(*c, t, id, 3);

  Patch(*c, t, id, R"({"spec":{"runtime_version":"0.7.1","runtime_args":["--max-model-len=16384"]}})");
  int lowest = 3, most = 0;
  std::set<std::string> phases;
  const bool done = WaitUntil(
      [&] {
        auto j = Get(*c, t, id);
        const auto& s = j.at("status");
        phases.insert(S(s.at("phase")));
        lowest = std::min<int>(lowest, static_cast<int>(I(s.at("ready_replicas"))));
        most = std::max(most, SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                                             "' AND deleted_at IS NULL AND phase <> 'Terminating'"));
        return I(s.at("current_revision")) == 2 && S(s.at("phase")) == "Ready" && I(s.at("ready_replicas")) == 3 &&
               I(s.at("updated_replicas")) == 3;
      },
      30s);
  INFO("replicas: " << Replicas(*c, id));
  REQUIRE(done);
  CHECK(lowest >= 3);  // never below the serving size
  CHECK(most <= 4);    // surge one
  CHECK(phases.count("Deploying") == 1);
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                       "' AND deleted_at IS NULL AND revision = 2 AND phase = 'Ready'") == 3);
  auto revs = c->Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id + "/revisions", t.key).Json();
  REQUIRE(revs.at("items").as_array().size() == 2);
  CHECK(S(revs.at("items").at(0).at("state")) == "Superseded");
  CHECK(S(revs.at("items").at(1).at("state")) == "Active");
  CHECK(AllocatedGpus(*c) == 3);

  // Scaling settings alone are a revision, but nothing to roll out: the replicas stay.
  const std::string before = Sql(*c, "SELECT string_agg(replica_id, ',' ORDER BY replica_id) FROM endpoint_replicas "
                                     "WHERE endpoint_id = '" + id + "' AND deleted_at IS NULL");
  Patch(*c, t, id, R"({"spec":{"max_replicas":4}})");
  Await(*c, t, id, "revision 3 current", [](const boost::json::value& j) {
    return I(j.at("status").at("current_revision")) == 3 && S(j.at("status").at("phase")) == "Ready";
  });
  CHECK(Sql(*c, "SELECT string_agg(replica_id, ',' ORDER BY replica_id) FROM endpoint_replicas WHERE endpoint_id = '" +
                    id + "' AND deleted_at IS NULL") == before);
}

TEST_CASE("a revision whose replicas fail to become ready is rolled back automatically", "[e2e][endpoints][rollout]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "rollback");
  const std::string id = Deploy(*c, t, "stable", R"("min_replicas":2,"max_replicas":2)");
  AwaitReady(*c, t, id, 2);
  Traffic(*c, id, R"({"failing_revisions":[2]})");

  Patch(*c, t, id, R"({"spec":{"runtime_version":"broken-build"}})");
  Await(*c, t, id, "rolled back", [](const boost::json::value& j) { return ConditionReason(j, "RolledBack") != ""; },
        30s);
  AwaitReady(*c, t, id, 2);
  auto ep = Get(*c, t, id);
  CHECK(I(ep.at("status").at("current_revision")) == 1);
  CHECK(I(ep.at("status").at("latest_revision")) == 2);
  auto revs = c->Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id + "/revisions", t.key).Json();
  CHECK(S(revs.at("items").at(0).at("state")) == "Active");
  CHECK(S(revs.at("items").at(1).at("state")) == "RolledBack");
  CHECK(I(revs.at("items").at(1).at("failures")) >= 2);
  CHECK(S(revs.at("items").at(1).at("message")).find("CUDA out of memory") != std::string::npos);
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                       "' AND deleted_at IS NULL AND revision = 2") == 0);
  CHECK(AllocatedGpus(*c) == 2);
  // It kept serving throughout.
  CHECK(Chat(*c, t, id).status == 200);

  // A fixed spec is a new revision and rolls out.
  c->Op("DELETE", "/v1/admin/sim/endpoints/" + id);
  Patch(*c, t, id, R"({"spec":{"runtime_version":"0.7.2"}})");
  Await(*c, t, id, "revision 3 rolled out", [](const boost::json::value& j) {
    return I(j.at("status").at("current_revision")) == 3 && S(j.at("status").at("phase")) == "Ready" &&
           I(j.at("status").at("ready_replicas")) == 2;
  }, 30s);
}

TEST_CASE("a canary revision takes its percentage of requests while the previous one keeps serving",
          "[e2e][endpoints][rollout]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "canary");
  const std::string id = Deploy(*c, t, "split", R"("min_replicas":4,"max_replicas":4)");
  AwaitReady(*c, t, id, 4);

  Patch(*c, t, id, R"({"spec":{"runtime_version":"0.8.0","canary_percent":25}})");
  Await(*c, t, id, "canary serving", [](const boost::json::value& j) {
    const auto& traffic = j.at("status").at("traffic").as_array();
    return traffic.size() == 2 && I(traffic.at(1).at("revision")) == 2 && I(traffic.at(1).at("percent")) == 25 &&
           I(traffic.at(0).at("percent")) == 75;
  }, 30s);
  auto ep = Get(*c, t, id);
  CHECK(I(ep.at("status").at("current_revision")) == 1);
  CHECK(ConditionReason(ep, "Progressing") == "Canary");
  auto revs = c->Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id + "/revisions", t.key).Json();
  CHECK(S(revs.at("items").at(1).at("state")) == "Canary");

  std::map<std::string, int> served;
  for (int k = 0; k < 200; ++k) {
    auto r = Chat(*c, t, id, "split test");
    REQUIRE(r.status == 200);
    ++served[*r.Header("X-Gaon-Revision")];
  }
  INFO("revision 1: " << served["1"] << ", revision 2: " << served["2"]);
  CHECK(served["1"] + served["2"] == 200);
  CHECK(served["2"] >= 25);  // 50 expected; far outside chance otherwise
  CHECK(served["2"] <= 80);

  // Promotion: drop the canary; the new revision replaces the old completely.
  Patch(*c, t, id, R"({"spec":{"canary_percent":null}})");
  Await(*c, t, id, "promoted", [](const boost::json::value& j) {
    return I(j.at("status").at("current_revision")) == 3 && S(j.at("status").at("phase")) == "Ready" &&
           I(j.at("status").at("ready_replicas")) == 4 && j.at("status").at("traffic").as_array().size() == 1;
  }, 40s);
}

TEST_CASE("a scale-up the quota cannot admit keeps serving at its size with QuotaLimited", "[e2e][endpoints][quota]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "limited", /*gpus=*/2);
  const std::string id = Deploy(*c, t, "capped", R"("min_replicas":1,"max_replicas":4)");
  AwaitReady(*c, t, id, 1);
  Traffic(*c, id, R"({"concurrency":16})");
  Await(*c, t, id, "QuotaLimited", [](const boost::json::value& j) { return ConditionReason(j, "QuotaLimited") != ""; });
  Await(*c, t, id, "2 ready", [](const boost::json::value& j) { return I(j.at("status").at("ready_replicas")) == 2; });
  auto ep = Get(*c, t, id);
  CHECK(I(ep.at("status").at("desired_replicas")) == 4);
  CHECK(S(ep.at("status").at("phase")) == "Degraded");
  CHECK(GpusUsed(*c, t) == 2);
  CHECK(Chat(*c, t, id).status == 200);

  // More quota: it grows to what the load wants.
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t.id + "/quotas", R"({"limits":{"gpus":8}})").status == 200);
  AwaitReady(*c, t, id, 4);
  CHECK(ConditionReason(Get(*c, t, id), "QuotaLimited") == "");
}

TEST_CASE("a scale-up the region has no capacity for keeps serving with Unschedulable", "[e2e][endpoints][quota]") {
  auto c = Cloud(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1));
  const Owner t = MakeTenant(*c, "crowded", /*gpus=*/32);
  const std::string id = Deploy(*c, t, "wide", R"("gpus_per_replica":8,"min_replicas":1,"max_replicas":2)");
  AwaitReady(*c, t, id, 1);
  Traffic(*c, id, R"({"concurrency":16})");
  Await(*c, t, id, "Unschedulable", [](const boost::json::value& j) {
    return ConditionReason(j, "Unschedulable") != "" && I(j.at("status").at("desired_replicas")) == 2;
  });
  auto ep = Get(*c, t, id);
  CHECK(I(ep.at("status").at("ready_replicas")) == 1);
  CHECK(S(ep.at("status").at("phase")) == "Degraded");
  CHECK(Chat(*c, t, id).status == 200);
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                       "' AND phase = 'Pending' AND message LIKE 'waiting for capacity%'") == 1);
}

TEST_CASE("when a node fails its replicas are replaced on another node", "[e2e][endpoints][failure]") {
  auto c = Cloud(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2),
                 {{"GAON_CONTROLLER_NODE_TIMEOUT", "1s"}});
  const Owner t = MakeTenant(*c, "resilient");
  const std::string id = Deploy(*c, t, "survivor", R"("min_replicas":1,"max_replicas":1)");
  AwaitReady(*c, t, id, 1);
  const std::string node = Sql(*c, "SELECT node_id FROM endpoint_replicas WHERE endpoint_id = '" + id +
                                       "' AND phase = 'Ready'");
  REQUIRE(c->Op("POST", "/v1/admin/sim/nodes/" + node + ":fail", R"({"reason":"PSU fault"})").status == 202);
  Await(*c, t, id, "a replica Ready elsewhere", [&](const boost::json::value& j) {
    const std::string now = Sql(*c, "SELECT node_id FROM endpoint_replicas WHERE endpoint_id = '" + id +
                                         "' AND phase = 'Ready' AND deleted_at IS NULL");
    return I(j.at("status").at("ready_replicas")) == 1 && !now.empty() && now != node;
  }, 30s);
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                       "' AND failure_reason LIKE '%does not answer%'") == 1);
  // Placed on the failed host before it was known Down, a replacement waits for the verdict
  // instead of churning, then moves.
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id + "'") <= 3);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id +
                       "' AND end_reason = 'node_failure'") == 1);
  INFO("allocations: " << Sql(*c, "SELECT string_agg(consumer_id || '@' || node_id, ' ') FROM allocations"));
  INFO("replicas: " << Sql(*c, "SELECT string_agg(replica_id || ':' || phase || '@' || coalesce(node_id, '-') || ':' || "
                               "coalesce(failure_reason, ''), ' | ') FROM endpoint_replicas"));
  CHECK(SqlInt(*c, "SELECT coalesce(sum(allocated_gpus), 0) FROM nodes WHERE node_id = '" + node + "'") == 0);
}

TEST_CASE("replicas that crash at the simulated rate are replaced and metered per run", "[e2e][endpoints][failure]") {
  auto c = Cloud(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2), {{"GAON_SIM_REPLICA_CRASH_INTERVAL", "700ms"}});
  const Owner t = MakeTenant(*c, "crashing");
  const std::string id = Deploy(*c, t, "fragile", R"("min_replicas":2,"max_replicas":2)");
  const std::string crashed = "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                              "' AND failure_reason LIKE '%crashed%'";
  REQUIRE(WaitUntil([&] { return SqlInt(*c, crashed) >= 3; }, 30s));
  // Crashes after readiness are the runtime's, not the revision's: nothing is rolled back.
  auto revs = c->Call("GET", "/v1/tenants/" + t.id + "/endpoints/" + id + "/revisions", t.key).Json();
  // (Whether it is Active yet depends on both replicas having been ready at one look, which
  // frequent crashes may delay; it is never rolled back or failed.)
  const std::string state = S(revs.at("items").at(0).at("state"));
  CHECK((state == "Active" || state == "Deploying"));
  CHECK(I(revs.at("items").at(0).at("failures")) == 0);
  // Every crashed replica seen serving has its usage closed as failed (one that crashed
  // between two looks was never metered); at most the two live ones are open.
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "' AND end_reason = 'failed'") ==
        SqlInt(*c, "SELECT count(*) FROM endpoint_replicas r JOIN usage_records u ON u.resource_id = r.replica_id WHERE "
                   "r.endpoint_id = '" + id + "' AND r.failure_reason LIKE '%crashed%'"));
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "' AND ended_at IS NULL") <= 2);
  CHECK(SqlInt(*c, "SELECT count(*) FROM allocations WHERE consumer_kind = 'replica'") <= 2);
}

TEST_CASE("gaond killed in the middle of a rollout finishes it after restart with nothing leaked",
          "[e2e][endpoints][crash]") {
  auto c = Cloud(TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1), {{"GAON_SIM_REPLICA_START_TIME", "800ms"},
                                                                              {"GAON_CONTROLLER_LEASE_DURATION", "1s"}});
  const Owner t = MakeTenant(*c, "crashy");
  const std::string id = Deploy(*c, t, "phoenix", R"("min_replicas":3,"max_replicas":3)");
  AwaitReady(*c, t, id, 3);
  Patch(*c, t, id, R"({"spec":{"runtime_version":"0.9.0"}})");
  // Kill it once the rollout is under way: a new replica exists but old ones remain.
  Await(*c, t, id, "rollout under way", [&](const boost::json::value&) {
    return SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id +
                          "' AND deleted_at IS NULL AND revision = 2") >= 1;
  });
  c->StopGaond(SIGKILL);
  c->StartGaond();
  Await(*c, t, id, "revision 2 rolled out", [](const boost::json::value& j) {
    return I(j.at("status").at("current_revision")) == 2 && S(j.at("status").at("phase")) == "Ready" &&
           I(j.at("status").at("ready_replicas")) == 3 && I(j.at("status").at("updated_replicas")) == 3;
  }, 40s);
  // Exactly the three live replicas hold GPUs, and every other replica is gone for good.
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoint_replicas WHERE endpoint_id = '" + id + "' AND deleted_at IS NULL") == 3);
  CHECK(AllocatedGpus(*c) == 3);
  CHECK(SqlInt(*c, "SELECT count(*) FROM allocations WHERE consumer_kind = 'replica'") == 3);
  CHECK(SqlInt(*c, "SELECT count(*) FROM sim_replicas WHERE endpoint_id = '" + id + "'") == 3);
  CHECK(GpusUsed(*c, t) == 3);
  CHECK(SqlInt(*c, "SELECT count(*) FROM usage_records WHERE parent_resource_id = '" + id + "' AND ended_at IS NULL") == 3);
}

TEST_CASE("endpoint specs are checked against the model catalog and the tenant's quota", "[e2e][endpoints][validation]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "checks");
  const std::string base = "/v1/tenants/" + t.id + "/endpoints";
  auto post = [&](const std::string& spec) {
    return c->Call("POST", base, t.key, R"({"name":"probe","spec":{)" + spec + "}}");
  };
  // 72B needs 160 GiB: one 80 GiB H100 is not enough, two are.
  auto small = post(R"("model":"qwen2.5-72b-instruct","gpu_type":"h100-80gb-sxm","gpus_per_replica":1)");
  CHECK(small.status == 400);
  CHECK(small.body.find("insufficient_memory") != std::string::npos);
  CHECK(post(R"("model":"nope","gpu_type":"h100-80gb-sxm")").status == 400);
  CHECK(post(R"("model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm","gpus_per_replica":3)").status == 400);
  CHECK(post(R"("model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm","runtime":"onnx")").status == 400);
  CHECK(post(R"("model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm","min_replicas":3,"max_replicas":2)").status == 400);
  CHECK(post(R"("model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm","canary_percent":100)").status == 400);
  CHECK(SqlInt(*c, "SELECT count(*) FROM endpoints") == 0);
  auto two = post(R"("model":"qwen2.5-72b-instruct","gpu_type":"h100-80gb-sxm","gpus_per_replica":2,"min_replicas":0)");
  INFO(two.body);
  CHECK(two.status == 202);

  // The endpoints quota admits exactly.
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t.id + "/quotas", R"({"limits":{"endpoints":1}})").status == 200);
  auto over = c->Call("POST", base, t.key,
                      R"({"name":"second","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm"}})");
  CHECK(over.status == 409);
  CHECK(S(over.Json().at("code")) == "quota_exceeded");
}

TEST_CASE("the model catalog is listed and edited by operators, custom models stay in the tenant's jurisdiction",
          "[e2e][endpoints][models]") {
  auto c = Cloud();
  const Owner t = MakeTenant(*c, "models");
  auto list = c->Call("GET", "/v1/models?page_size=100", t.key);
  REQUIRE(list.status == 200);
  std::set<std::string> ids;
  const auto listed = list.Json();
  for (const auto& m : listed.at("items").as_array()) ids.insert(S(m.at("id")));
  CHECK(ids.count("exaone-3.5-32b-instruct") == 1);
  CHECK(ids.count("typhoon-2.1-12b-instruct") == 1);
  CHECK(ids.count("sea-lion-v3-9b-instruct") == 1);
  auto thai = c->Call("GET", "/v1/models?language=th", t.key).Json();
  for (const auto& m : thai.at("items").as_array()) {
    const auto& langs = m.at("languages").as_array();
    CHECK(std::find(langs.begin(), langs.end(), boost::json::value("th")) != langs.end());
  }
  CHECK(c->Call("GET", "/v1/models/qwen2.5-7b-instruct", t.key).status == 200);
  CHECK(c->Call("GET", "/v1/models/none", t.key).status == 404);

  // Operators edit; tenants cannot.
  CHECK(c->Call("PATCH", "/v1/admin/models/qwen2.5-7b-instruct", t.key, R"({"status":"deprecated"})").status == 403);
  auto dep = c->Op("PATCH", "/v1/admin/models/qwen2.5-7b-instruct", R"({"status":"deprecated"})");
  REQUIRE(dep.status == 200);
  CHECK(S(dep.Json().at("status")) == "deprecated");
  auto refused = c->Call("POST", "/v1/tenants/" + t.id + "/endpoints", t.key,
                         R"({"name":"old","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm"}})");
  CHECK(refused.status == 400);
  auto added = c->Op("POST", "/v1/admin/models",
                     R"({"id":"hyperclova-x-seed-8b","model":{"display_name":"HyperCLOVA X SEED 8B","publisher":"NAVER",)"
                     R"("parameters_millions":8000,"min_gpu_memory_gib":24,"runtimes":["vllm"],"languages":["ko","en"]}})");
  INFO(added.body);
  CHECK(added.status == 201);
  CHECK(c->Op("POST", "/v1/admin/models", R"({"id":"bad id","model":{"display_name":"x","parameters_millions":1,)"
                                          R"("min_gpu_memory_gib":1,"runtimes":["vllm"]}})")
            .status == 400);

  // Custom models: weights in the region's object storage within the tenant's jurisdiction.
  const std::string models = "/v1/tenants/" + t.id + "/models";
  const std::string body = R"({"display_name":"acme-ko-7b","parameters_millions":7000,"min_gpu_memory_gib":24,)"
                           R"("runtimes":["vllm"],"artifact_uri":")";
  auto ours = c->Call("POST", models, t.key, body + R"(s3://kr-central-1/acme/ko-7b/"})");
  INFO(ours.body);
  REQUIRE(ours.status == 201);
  const std::string mid = S(ours.Json().at("id"));
  CHECK(mid.rfind("mdl_", 0) == 0);
  auto abroad = c->Call("POST", models, t.key, body + R"(s3://sg-singapore-1-partner/acme/ko-7b/"})");
  CHECK(abroad.status == 422);
  CHECK(S(abroad.Json().at("code")) == "artifact_outside_jurisdiction");
  auto elsewhere = c->Call("POST", models, t.key, body + R"(https://example.com/w/"})");
  CHECK(elsewhere.status == 422);
  CHECK(S(elsewhere.Json().at("code")) == "artifact_not_in_object_storage");

  // A custom model serves like any other, and cannot be deleted while it does.
  const std::string id = Deploy(*c, t, "own", "", mid);
  AwaitReady(*c, t, id, 1);
  auto busy = c->Call("DELETE", models + "/" + mid, t.key);
  CHECK(busy.status == 409);
  CHECK(S(busy.Json().at("code")) == "model_in_use");
  REQUIRE(c->Call("DELETE", "/v1/tenants/" + t.id + "/endpoints/" + id, t.key).status == 202);
  AwaitPhase(*c, t, id, "Deleted");
  CHECK(c->Call("DELETE", models + "/" + mid, t.key).status == 204);
  const Owner other = MakeTenant(*c, "nosy");
  CHECK(c->Call("GET", models + "/" + mid, other.key).status == 404);
}
