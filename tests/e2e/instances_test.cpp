// End-to-end: the catalog, SSH keys, quotas with exact admission, GPU instances and watch.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "tests/support/cloud.h"
#include "tests/support/sse_client.h"
#include "tests/support/test_keys.h"

using namespace gaon::test;

namespace {

boost::json::value J(const HttpResult& r) { return r.Json(); }
std::string S(const boost::json::value& v) { return std::string(v.as_string()); }

std::string InstanceBody(const std::string& name, const std::string& type = "gpu.h100.1x", const std::string& extra = "") {
  return R"({"name":")" + name + R"(","spec":{"instance_type":")" + type +
         R"(","image":"ubuntu-24.04-cuda-12.8")" + extra + "}}";
}

// These tests are about the API: gaond runs without controllers, so nothing but the API writes
// instances (tests/e2e/controllers_test.cpp covers what the controllers do).
GaondOptions ApiOnly(std::map<std::string, std::string> env = {}) {
  return {.args = {"serve", "--roles", "api"}, .env = std::move(env)};
}

std::string LiveCount(TestCloud& c, const std::string& tenant) {
  return c.db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM instances WHERE tenant_id = '" + tenant +
                           "' AND deleted_at IS NULL");
}

// gaond serving the API with at most `leaders` groups of creates at once (group commit).
std::unique_ptr<TestCloud> GroupedCloud(int leaders) {
  return TestCloud::Start(ApiOnly({{"GAON_DATABASE_POOL_SIZE", "8"},
                                   {"GAON_DATABASE_GROUP_LEADERS", std::to_string(leaders)},
                                   {"GAON_DATABASE_CHECKOUT_TIMEOUT", "60s"}}));
}

// `count` tenants named prefix-0…, each with a GPU limit of `gpus` (other dimensions ample)
// and a tenant-member key: {tenant ids, keys}.
std::pair<std::vector<std::string>, std::vector<std::string>> MakeTenants(TestCloud& c, const std::string& prefix,
                                                                          int count, int gpus) {
  std::vector<std::string> tenants, keys;
  for (int i = 0; i < count; ++i) {
    tenants.push_back(c.CreateTenant(prefix + "-" + std::to_string(i)));
    REQUIRE(c.Op("PUT", "/v1/admin/tenants/" + tenants.back() + "/quotas",
                 R"({"limits":{"gpus":)" + std::to_string(gpus) +
                     R"(,"instances":1000,"vcpus":1000000,"memory_gib":10000000}})").status == 200);
    keys.push_back(c.CreateKey(tenants.back(), "tenant-member"));
  }
  return {tenants, keys};
}

}  // namespace

TEST_CASE("the catalog lists the region, GPU types, instance types with availability, and images", "[e2e][catalog]") {
  auto c = TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE",
                                      TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2) +
                                                           TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 1))}}});
  const std::string t = c->CreateTenant("shopper");
  const std::string key = c->CreateKey(t, "tenant-viewer");
  auto regions = c->Call("GET", "/v1/regions", key);
  REQUIRE(regions.status == 200);
  const auto region = J(regions).at("items").at(0);
  CHECK(S(region.at("id")) == "kr-central-1");
  CHECK(S(region.at("jurisdiction")) == "KR");
  CHECK(region.at("zones").as_array().size() == 3);

  auto gpus = c->Call("GET", "/v1/gpu-types", key);
  CHECK(gpus.body.find("h100-80gb-sxm") != std::string::npos);
  CHECK(gpus.body.find("7g.80gb") != std::string::npos);
  auto images = c->Call("GET", "/v1/images", key);
  CHECK(images.body.find("ubuntu-24.04-cuda-12.8") != std::string::npos);

  // Three hosts, registered by the controllers from the fleet file.
  REQUIRE(WaitUntil([&] {
    auto one = c->Call("GET", "/v1/instance-types/gpu.h100.8x", key);
    const auto type = J(one);
    std::int64_t total = 0;
    for (const auto& z : type.at("availability").as_array()) total += z.at("available").as_int64();
    return total == 3;
  }));
  auto types = c->Call("GET", "/v1/instance-types?gpu_type=h100-80gb-sxm", key);
  REQUIRE(types.status == 200);
  std::map<std::string, std::map<std::string, std::int64_t>> avail;
  const auto types_json = J(types);
  for (const auto& it : types_json.at("items").as_array()) {
    CHECK(S(it.at("gpu_type")) == "h100-80gb-sxm");
    for (const auto& z : it.at("availability").as_array()) avail[S(it.at("id"))][S(z.at("zone"))] = z.at("available").as_int64();
  }
  CHECK(avail["gpu.h100.8x"]["kr-central-1a"] == 2);
  CHECK(avail["gpu.h100.8x"]["kr-central-1b"] == 1);
  CHECK(avail["gpu.h100.8x"]["kr-central-1c"] == 0);
  CHECK(avail["gpu.h100.1x"]["kr-central-1a"] == 16);
  CHECK(c->Call("GET", "/v1/instance-types/gpu.nope", key).status == 404);
  CHECK(c->Call("GET", "/v1/regions", "").status == 401);
}

TEST_CASE("SSH keys are validated, fingerprinted like ssh-keygen, and never duplicated", "[e2e][ssh]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("sshers");
  const std::string dev = c->CreateKey(t, "tenant-member");
  auto created = c->Call("POST", "/v1/tenants/" + t + "/ssh-keys", dev,
                         R"({"name":"laptop","public_key":")" + std::string(kTestEd25519) + R"("})");
  REQUIRE(created.status == 201);
  CHECK(S(J(created).at("fingerprint")) == kTestEd25519Fingerprint);
  CHECK(S(J(created).at("key_type")) == "ssh-ed25519");
  CHECK(J(created).at("bits").as_int64() == 256);
  CHECK(S(J(created).at("comment")) == "alice@laptop");
  const std::string id = S(J(created).at("id"));

  auto dup = c->Call("POST", "/v1/tenants/" + t + "/ssh-keys", dev,
                     R"({"name":"again","public_key":")" + std::string(kTestEd25519) + R"("})");
  CHECK(dup.status == 409);
  CHECK(S(J(dup).at("errors").at(0).at("field")) == "public_key");
  auto same_name = c->Call("POST", "/v1/tenants/" + t + "/ssh-keys", dev,
                           R"({"name":"laptop","public_key":")" + std::string(kTestRsa3072) + R"("})");
  CHECK(same_name.status == 409);
  auto weak = c->Call("POST", "/v1/tenants/" + t + "/ssh-keys", dev,
                      R"({"name":"old","public_key":")" + std::string(kTestRsa1024) + R"("})");
  CHECK(weak.status == 400);
  CHECK(S(J(weak).at("errors").at(0).at("field")) == "public_key");
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/ssh-keys", dev, R"({"name":"x","public_key":"ssh-ed25519 garbage"})").status == 400);

  // Another tenant may register the same key.
  const std::string t2 = c->CreateTenant("sshers-two");
  CHECK(c->Op("POST", "/v1/tenants/" + t2 + "/ssh-keys", R"({"name":"laptop","public_key":")" + std::string(kTestEd25519) + R"("})")
            .status == 201);

  CHECK(J(c->Call("GET", "/v1/tenants/" + t + "/ssh-keys", dev)).at("items").as_array().size() == 1);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/ssh-keys/" + id, dev).status == 200);
  CHECK(c->Call("DELETE", "/v1/tenants/" + t + "/ssh-keys/" + id, dev).status == 204);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/ssh-keys/" + id, dev).status == 404);
}

TEST_CASE("tenants read their quotas, operators set them, requests for more are approved or denied", "[e2e][quotas]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("quoted");
  const std::string admin = c->CreateKey(t, "tenant-admin");
  auto q = c->Call("GET", "/v1/tenants/" + t + "/quotas", admin);
  REQUIRE(q.status == 200);
  std::map<std::string, std::int64_t> limits;
  const auto q_json = J(q);
  for (const auto& it : q_json.at("items").as_array()) limits[S(it.at("dimension"))] = it.at("limit").as_int64();
  CHECK(limits == std::map<std::string, std::int64_t>{{"instances", 20}, {"gpus", 16}, {"vcpus", 512}, {"memory_gib", 4096}, {"endpoints", 5}});

  CHECK(c->Call("PUT", "/v1/admin/tenants/" + t + "/quotas", admin, R"({"limits":{"gpus":64}})").status == 403);
  auto set = c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"gpus":8,"gpus.h100-80gb-sxm":4}})");
  REQUIRE(set.status == 200);
  CHECK(set.body.find(R"("dimension":"gpus.h100-80gb-sxm","limit":4)") != std::string::npos);
  auto bad = c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"gpus.tpu":4,"vcpus":-1,"instances":null}})");
  CHECK(bad.status == 400);
  CHECK(J(bad).at("errors").as_array().size() == 3);

  auto not_more = c->Call("POST", "/v1/tenants/" + t + "/quota-requests", admin,
                          R"({"dimension":"gpus","requested_limit":8,"reason":"same"})");
  CHECK(not_more.status == 400);
  auto negative = c->Call("POST", "/v1/tenants/" + t + "/quota-requests", admin,
                          R"({"dimension":"gpus.a100-80gb-sxm","requested_limit":-1,"reason":"no limit yet"})");
  CHECK(negative.status == 400);
  CHECK(S(J(negative).at("errors").at(0).at("field")) == "requested_limit");
  auto asked = c->Call("POST", "/v1/tenants/" + t + "/quota-requests", admin,
                       R"({"dimension":"gpus","requested_limit":32,"reason":"fine-tuning EXAONE for a public-sector pilot"})");
  REQUIRE(asked.status == 201);
  const std::string req = S(J(asked).at("id"));
  CHECK(S(J(asked).at("state")) == "pending");
  CHECK(J(asked).at("previous_limit").as_int64() == 8);
  auto pending = c->Op("GET", "/v1/admin/quota-requests?state=pending");
  REQUIRE(pending.status == 200);
  CHECK(pending.body.find(req) != std::string::npos);

  auto approved = c->Op("POST", "/v1/admin/tenants/" + t + "/quota-requests/" + req + ":approve", R"({"limit":24,"note":"24 for now"})");
  REQUIRE(approved.status == 200);
  CHECK(S(J(approved).at("state")) == "approved");
  CHECK(J(approved).at("approved_limit").as_int64() == 24);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/quotas", admin).body.find(R"("dimension":"gpus","limit":24)") != std::string::npos);
  CHECK(c->Op("POST", "/v1/admin/tenants/" + t + "/quota-requests/" + req + ":deny", "{}").status == 409);

  auto second = c->Call("POST", "/v1/tenants/" + t + "/quota-requests", admin,
                        R"({"dimension":"instances","requested_limit":500,"reason":"batch"})");
  const std::string req2 = S(J(second).at("id"));
  auto denied = c->Op("POST", "/v1/admin/tenants/" + t + "/quota-requests/" + req2 + ":deny", R"({"note":"no capacity this quarter"})");
  CHECK(S(J(denied).at("state")) == "denied");
  CHECK(S(J(denied).at("decision_note")) == "no capacity this quarter");
  // A withdrawn request has no decision note at all (not an empty one).
  auto third = c->Call("POST", "/v1/tenants/" + t + "/quota-requests", admin,
                       R"({"dimension":"vcpus","requested_limit":1024,"reason":"preprocessing"})");
  const std::string req3 = S(J(third).at("id"));
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":suspend").status == 200);
  auto cancelled = c->Call("POST", "/v1/tenants/" + t + "/quota-requests/" + req3 + ":cancel", admin);
  REQUIRE(cancelled.status == 200);  // withdrawing stays possible while suspended
  CHECK(S(J(cancelled).at("state")) == "cancelled");
  CHECK_FALSE(J(cancelled).as_object().contains("decision_note"));
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":resume").status == 200);
  // Lists without labels refuse a label selector instead of ignoring it.
  auto selected = c->Call("GET", "/v1/tenants/" + t + "/quota-requests?label_selector=team%3Dml", admin);
  CHECK(selected.status == 400);
  CHECK(S(J(selected).at("errors").at(0).at("field")) == "label_selector");
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/quotas", admin).body.find(R"("dimension":"instances","limit":20)") != std::string::npos);
  // Both decisions are in the tenant's audit log with the operator's reason.
  auto events = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=quota_requests.approve", admin);
  REQUIRE(J(events).at("items").as_array().size() == 1);
  CHECK(J(events).at("items").at(0).as_object().contains("operator_reason"));
}

TEST_CASE("200 parallel creates against a 10-GPU quota admit exactly 10", "[e2e][quotas][concurrency]") {
  auto c = TestCloud::Start(ApiOnly({{"GAON_DATABASE_POOL_SIZE", "8"}, {"GAON_DATABASE_CHECKOUT_TIMEOUT", "60s"}}));
  const std::string t = c->CreateTenant("racer");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas",
                R"({"limits":{"gpus":10,"instances":1000,"vcpus":100000,"memory_gib":1000000}})").status == 200);
  const std::string key = c->CreateKey(t, "tenant-member");
  std::vector<HttpResult> results(200);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      results[static_cast<std::size_t>(i)] = c->Call("POST", "/v1/tenants/" + t + "/instances", key,
                                                     InstanceBody("racer-" + std::to_string(i)));
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  int admitted = 0, refused = 0;
  for (const auto& r : results) {
    if (r.status == 202) {
      ++admitted;
    } else {
      INFO(r.status << " " << r.body);
      REQUIRE(r.status == 409);
      const auto p = J(r);
      CHECK(S(p.at("code")) == "quota_exceeded");
      CHECK(S(p.at("dimension")) == "gpus");
      CHECK(p.at("limit").as_int64() == 10);
      CHECK(p.at("used").as_int64() == 10);
      CHECK(p.at("requested").as_int64() == 1);
      ++refused;
    }
  }
  CHECK(admitted == 10);
  CHECK(refused == 190);
  CHECK(LiveCount(*c, t) == "10");
  // Usage is exactly the sum over live instances.
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT used FROM quota_usage WHERE tenant_id = '" + t + "' AND dimension = 'gpus'") ==
        c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT sum(gpu_count) FROM instances WHERE tenant_id = '" + t + "' AND deleted_at IS NULL"));
}

TEST_CASE("creates of many tenants at once share commits, and each tenant admits, sees and audits only its own",
          "[e2e][quotas][concurrency][group]") {
  // One group at a time, so concurrent creates of different tenants must share transactions.
  auto c = GroupedCloud(1);
  constexpr int kTenants = 6, kPerTenant = 20, kLimit = 5;
  const auto [tenants, keys] = MakeTenants(*c, "group", kTenants, kLimit);
  // Every tenant asks for the same names: names are unique per tenant, not across tenants.
  std::vector<HttpResult> results(kTenants * kPerTenant);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kTenants * kPerTenant; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      const auto t = static_cast<std::size_t>(i % kTenants);
      results[static_cast<std::size_t>(i)] = c->Call("POST", "/v1/tenants/" + tenants[t] + "/instances", keys[t],
                                                     InstanceBody("same-" + std::to_string(i / kTenants)));
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  std::vector<int> admitted(kTenants, 0);
  for (int i = 0; i < kTenants * kPerTenant; ++i) {
    const auto& r = results[static_cast<std::size_t>(i)];
    INFO(r.status << " " << r.body);
    if (r.status == 202) {
      ++admitted[static_cast<std::size_t>(i % kTenants)];
      CHECK(S(J(r).at("tenant_id")) == tenants[static_cast<std::size_t>(i % kTenants)]);
    } else {
      REQUIRE(r.status == 409);
      CHECK(S(J(r).at("code")) == "quota_exceeded");
    }
  }
  for (int i = 0; i < kTenants; ++i) {
    const std::string& t = tenants[static_cast<std::size_t>(i)];
    INFO(t);
    CHECK(admitted[static_cast<std::size_t>(i)] == kLimit);
    CHECK(LiveCount(*c, t) == std::to_string(kLimit));
    // What the tenant reads is its own, and each admitted create is in its audit log, whose
    // chain verifies.
    auto list = c->Call("GET", "/v1/tenants/" + t + "/instances", keys[static_cast<std::size_t>(i)]);
    REQUIRE(list.status == 200);
    const auto page = J(list);
    const auto& items = page.at("items").as_array();
    CHECK(items.size() == static_cast<std::size_t>(kLimit));
    for (const auto& item : items) CHECK(S(item.at("tenant_id")) == t);
    CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM audit_events WHERE tenant_id = '" + t +
                             "' AND action = 'instances.create' AND outcome = 'success'") == std::to_string(kLimit));
    CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT used FROM quota_usage WHERE tenant_id = '" + t +
                             "' AND dimension = 'gpus'") == std::to_string(kLimit));
    auto verify = c->Op("GET", "/v1/admin/tenants/" + t + "/audit-events:verify");
    REQUIRE(verify.status == 200);
    CHECK(verify.Json().at("intact").as_bool());
  }
  // The creates did share commits: more grouped transactions than groups.
  const std::string metrics = c->Call("GET", "/metrics", "").body;
  auto counter = [&](const std::string& name) {
    const auto at = metrics.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stoll(metrics.substr(at + name.size() + 2));
  };
  CHECK(counter("gaon_db_grouped_transactions_total") > counter("gaon_db_groups_total"));
}

TEST_CASE("grouped creates answered 202 survive a PostgreSQL crash in the middle of a flood, and no other is half made",
          "[e2e][quotas][group][crash][serial]") {
  auto c = GroupedCloud(2);
  constexpr int kTenants = 4, kThreadsPerTenant = 4, kPerThread = 40;
  const auto [tenants, keys] = MakeTenants(*c, "crash", kTenants, 1000);
  struct Answer {
    std::string tenant, name, code;
    int status = 0;
  };
  std::vector<std::vector<Answer>> answers(kTenants * kThreadsPerTenant);
  std::atomic<int> admitted{0};
  std::atomic<bool> crashed{false};
  std::atomic<int> admitted_after_crash{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kTenants * kThreadsPerTenant; ++t) {
    threads.emplace_back([&, t] {
      const auto i = static_cast<std::size_t>(t % kTenants);
      for (int n = 0; n < kPerThread; ++n) {
        Answer a{tenants[i], "f-" + std::to_string(t) + "-" + std::to_string(n), "", 0};
        const bool after = crashed;
        auto r = c->Call("POST", "/v1/tenants/" + a.tenant + "/instances", keys[i], InstanceBody(a.name));
        a.status = r.status;
        if (r.status == 202) {
          ++admitted;
          if (after) ++admitted_after_crash;
        } else if (r.status >= 400) {
          a.code = S(J(r).at("code"));
        }
        answers[static_cast<std::size_t>(t)].push_back(a);
      }
    });
  }
  while (admitted < 60) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string crash = RequiredEnv("GAON_ROOT") + "/gaon pg crash";
  REQUIRE(std::system(crash.c_str()) == 0);
  crashed = true;
  for (auto& th : threads) th.join();
  CHECK(admitted_after_crash > 0);  // the API came back without a restart of gaond

  // Every 202 is there; a refused create is not, unless its outcome was reported unknown.
  std::map<std::string, std::set<std::string>> live;
  for (const auto& t : tenants) {
    const std::string names = c->db().OwnerQuery(
        "SET gaon.platform = 'on'; SELECT coalesce(string_agg(name, ','), '') FROM instances WHERE tenant_id = '" + t +
        "' AND deleted_at IS NULL");
    std::size_t at = 0;
    while (at < names.size()) {
      const auto comma = names.find(',', at);
      live[t].insert(names.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      at = comma == std::string::npos ? names.size() : comma + 1;
    }
  }
  // (Refusals while the database was down — 63–80 of 640 in three runs here — are expected
  // but not required: a faster restart may leave the retries nothing to refuse.)
  int lost = 0, ghosts = 0;
  for (const auto& per_thread : answers) {
    for (const auto& a : per_thread) {
      INFO(a.tenant << " " << a.name << " " << a.status << " " << a.code);
      CHECK(a.status != 0);  // gaond answered every request
      const bool exists = live[a.tenant].count(a.name) > 0;
      if (a.status == 202 && !exists) ++lost;
      if (a.status != 202 && a.code != "commit_in_doubt" && exists) ++ghosts;
    }
  }
  CHECK(lost == 0);
  CHECK(ghosts == 0);
  // Nothing half made: usage is the sum over live instances, and every audit chain verifies.
  for (const auto& t : tenants) {
    INFO(t);
    CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT used FROM quota_usage WHERE tenant_id = '" + t +
                             "' AND dimension = 'instances'") == std::to_string(live[t].size()));
    CHECK(LiveCount(*c, t) == std::to_string(live[t].size()));
    auto verify = c->Op("GET", "/v1/admin/tenants/" + t + "/audit-events:verify");
    REQUIRE(verify.status == 200);
    CHECK(verify.Json().at("intact").as_bool());
  }
}

TEST_CASE("parallel creates of mixed GPU types respect both the total and the per-type limit", "[e2e][quotas][concurrency]") {
  auto c = TestCloud::Start(ApiOnly({{"GAON_DATABASE_POOL_SIZE", "8"}, {"GAON_DATABASE_CHECKOUT_TIMEOUT", "60s"}}));
  const std::string t = c->CreateTenant("mixer");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas",
                R"({"limits":{"gpus":20,"gpus.h100-80gb-sxm":6,"instances":1000,"vcpus":100000,"memory_gib":1000000}})").status == 200);
  const std::string key = c->CreateKey(t, "tenant-member");
  std::vector<HttpResult> results(200);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      const std::string type = i % 2 ? "gpu.a100.1x" : "gpu.h100.1x";
      results[static_cast<std::size_t>(i)] = c->Call("POST", "/v1/tenants/" + t + "/instances", key,
                                                     InstanceBody("mix-" + std::to_string(i), type));
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  int admitted = 0;
  std::set<std::string> refused_by;
  for (const auto& r : results) {
    if (r.status == 202) ++admitted;
    else if (r.status == 409) refused_by.insert(S(J(r).at("dimension")));
    else FAIL(r.status << " " << r.body);
  }
  const auto per_type = [&](const char* gpu) {
    return c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM instances WHERE tenant_id = '" + t +
                              "' AND gpu_type_id = '" + gpu + "'");
  };
  // Which limit bites first depends on arrival order; neither is ever exceeded, and with 100
  // requests of each type the total is always reached.
  const int h100 = std::stoi(per_type("h100-80gb-sxm"));
  CHECK(h100 <= 6);
  CHECK(h100 + std::stoi(per_type("a100-80gb-sxm")) == 20);
  CHECK(admitted == 20);
  CHECK(refused_by.count("gpus") == 1);
  for (const auto& d : refused_by) CHECK((d == "gpus" || d == "gpus.h100-80gb-sxm"));
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT used FROM quota_usage WHERE tenant_id = '" + t +
                           "' AND dimension = 'gpus.h100-80gb-sxm'") == std::to_string(h100));

  // And the per-type limit alone: 100 more H100 requests with plenty of total quota left
  // admit exactly up to it.
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"gpus":1000}})").status == 200);
  std::vector<std::thread> more;
  std::vector<HttpResult> answers(100);  // checked after the join: Catch is not for other threads
  for (int i = 0; i < 100; ++i) {
    more.emplace_back([&, i] {
      answers[static_cast<std::size_t>(i)] =
          c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("h-" + std::to_string(i), "gpu.h100.1x"));
    });
  }
  for (auto& th : more) th.join();
  int extra = 0;
  for (const auto& r : answers) {
    INFO(r.status << " " << r.body);
    if (r.status == 202) {
      ++extra;
    } else {
      REQUIRE(r.status == 409);
      CHECK(S(J(r).at("dimension")) == "gpus.h100-80gb-sxm");
    }
  }
  CHECK(extra == 6 - h100);
  CHECK(per_type("h100-80gb-sxm") == "6");
}

TEST_CASE("lowering a limit below usage blocks only new admissions", "[e2e][quotas]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("shrinker");
  const std::string key = c->CreateKey(t, "tenant-member");
  for (int i = 0; i < 3; ++i) REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("s" + std::to_string(i))).status == 202);
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"gpus":1}})").status == 200);
  CHECK(LiveCount(*c, t) == "3");
  auto quotas = c->Call("GET", "/v1/tenants/" + t + "/quotas", key);
  CHECK(quotas.body.find(R"("dimension":"gpus","limit":1,"used":3,"remaining":0)") != std::string::npos);
  auto refused = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("s9"));
  CHECK(refused.status == 409);
  CHECK(S(J(refused).at("code")) == "quota_exceeded");
}

TEST_CASE("each bad field of an instance is refused with its field and nothing is written", "[e2e][instances]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("strict");
  const std::string key = c->CreateKey(t, "tenant-member");
  REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("taken")).status == 202);
  struct Case {
    std::string body, field, code;
    int status = 400;
  };
  const std::vector<Case> cases = {
      {InstanceBody("a", "gpu.tpu.1x"), "spec.instance_type", "unknown"},
      {R"({"name":"b","spec":{"instance_type":"gpu.h100.1x","image":"windows-11"}})", "spec.image", "unknown"},
      {R"({"name":"c","spec":{"instance_type":"gpu.a100.1x","image":"ubuntu-20.04-cuda-11.8"}})", "spec.image", "deprecated"},
      {R"({"name":"d","spec":{"instance_type":"gpu.b200.8x","image":"ubuntu-22.04-cuda-12.4"}})", "spec.image", "incompatible"},
      {InstanceBody("e", "gpu.h100.1x", R"(,"zone":"kr-central-9z")"), "spec.zone", "unknown"},
      {InstanceBody("f", "gpu.h100.1x", R"(,"ssh_key_ids":["not-a-key"])"), "spec.ssh_key_ids[0]", "invalid"},
      {InstanceBody("g", "gpu.h100.1x", R"(,"ssh_key_ids":["ssh_01m8fmp20qxgr8s7bv9deyxayz"])"), "spec.ssh_key_ids", "not_found"},
      {InstanceBody("h", "gpu.h100.1x", R"(,"user_data":")" + std::string(17000, 'x') + "\""), "spec.user_data", "too_large"},
      {R"({"name":"i","labels":{"Bad Label":"x"},"spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"}})", "labels.Bad Label", "invalid"},
      {InstanceBody("Not_A_Name"), "name", "invalid"},
      {R"({"name":"j"})", "spec", "required"},
      {R"({"name":"k","spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8","desired_state":"stopped"}})", "spec.desired_state", "read_only"},
      {InstanceBody("taken"), "name", "duplicate", 409},
  };
  for (const auto& tc : cases) {
    auto r = c->Call("POST", "/v1/tenants/" + t + "/instances", key, tc.body);
    INFO(tc.body.substr(0, 200) << " → " << r.status << " " << r.body.substr(0, 400));
    CHECK(r.status == tc.status);
    bool found = false;
    if (r.status >= 400) {
      const auto p = J(r);
      if (const auto* errors = p.as_object().if_contains("errors")) {
        for (const auto& e : errors->as_array()) found = found || (S(e.at("field")) == tc.field && S(e.at("code")) == tc.code);
      }
    }
    CHECK(found);
  }
  CHECK(LiveCount(*c, t) == "1");
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT used FROM quota_usage WHERE tenant_id = '" + t + "' AND dimension = 'instances'") == "1");
}

TEST_CASE("a bulk create makes its instances together or none, within the quota", "[e2e][instances][bulk]") {
  auto c = TestCloud::Start(ApiOnly({{"GAON_DATABASE_POOL_SIZE", "8"}, {"GAON_DATABASE_CHECKOUT_TIMEOUT", "60s"}}));
  const std::string t = c->CreateTenant("fleetowner");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas",
                R"({"limits":{"gpus":12,"instances":1000,"vcpus":100000,"memory_gib":1000000}})").status == 200);
  const std::string key = c->CreateKey(t, "tenant-admin");
  const std::string bulk = "/v1/tenants/" + t + "/instances:bulkCreate";
  const auto body = [](int count, const std::string& pattern, int start = 1, const std::string& type = "gpu.h100.1x") {
    return R"({"count":)" + std::to_string(count) + R"(,"name_pattern":")" + pattern + R"(","start_index":)" +
           std::to_string(start) + R"(,"labels":{"team":"ml"},"spec":{"instance_type":")" + type +
           R"(","image":"ubuntu-24.04-cuda-12.8"}})";
  };
  const auto used = [&](const char* dimension) {
    return c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT coalesce(sum(used), 0) FROM quota_usage WHERE tenant_id = '" +
                              t + "' AND dimension = '" + dimension + "'");
  };

  auto made = c->Call("POST", bulk, key, body(5, "web-##", 8));
  INFO(made.body.substr(0, 400));
  REQUIRE(made.status == 202);
  const auto items = J(made).at("items").as_array();
  REQUIRE(items.size() == 5);
  std::vector<std::string> ids;
  for (std::size_t k = 0; k < items.size(); ++k) {
    CHECK(S(items[k].at("name")) == "web-" + std::to_string(8 + k).insert(0, k < 2 ? "0" : ""));
    CHECK(S(items[k].at("status").at("phase")) == "Pending");
    CHECK(S(items[k].at("labels").at("team")) == "ml");
    ids.push_back(S(items[k].at("id")));
  }
  CHECK(LiveCount(*c, t) == "5");
  CHECK(used("gpus") == "5");
  // Each has its first event and its change record; the request is one audit event naming all.
  auto events = c->Call("GET", "/v1/tenants/" + t + "/instances/" + ids[3] + "/events", key);
  CHECK(events.body.find("\"Admitted\"") != std::string::npos);
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM changes WHERE tenant_id = '" + t +
                           "' AND change_type = 'ADDED'") == "5");
  auto audit = c->Call("GET", "/v1/tenants/" + t + "/audit-events?action=instances.bulk_create", key);
  REQUIRE(audit.status == 200);
  const auto audited = J(audit).at("items").as_array();
  REQUIRE(audited.size() == 1);
  CHECK(audited[0].at("changes").at("count").as_int64() == 5);
  CHECK(S(audited[0].at("changes").at("instances").at(4).at("id")) == ids[4]);

  // One name already live (web-10) refuses the whole request, naming it; nothing is written.
  auto clash = c->Call("POST", bulk, key, body(3, "web-##", 10));
  CHECK(clash.status == 409);
  CHECK(S(J(clash).at("code")) == "name_taken");
  CHECK(J(clash).at("detail").as_string().find("web-10") != std::string::npos);
  // Over the quota as a whole: the refusal names the GPUs the request wanted together.
  auto over = c->Call("POST", bulk, key, body(8, "big-#"));
  CHECK(over.status == 409);
  CHECK(S(J(over).at("code")) == "quota_exceeded");
  CHECK(J(over).at("requested").as_int64() == 8);
  CHECK(J(over).at("used").as_int64() == 5);
  CHECK(LiveCount(*c, t) == "5");
  CHECK(used("gpus") == "5");
  CHECK(used("instances") == "5");

  // Requests racing for the 7 GPUs left, three instances each: exactly two are admitted.
  std::vector<HttpResult> results(20);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      results[static_cast<std::size_t>(i)] = c->Call("POST", bulk, key, body(3, "race" + std::to_string(i) + "-#"));
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  int admitted = 0;
  for (const auto& r : results) {
    if (r.status == 202) ++admitted;
    else if (r.status != 409 || S(J(r).at("code")) != "quota_exceeded") FAIL(r.status << " " << r.body);
  }
  CHECK(admitted == 2);
  CHECK(LiveCount(*c, t) == "11");
  CHECK(used("gpus") == c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT sum(gpu_count) FROM instances WHERE tenant_id = '" +
                                           t + "' AND deleted_at IS NULL"));
  // A client retrying a bulk create with its Idempotency-Key gets the first answer again, not a
  // name clash with what the first attempt made.
  auto first = c->Call("POST", bulk, key, body(1, "retry-#"), {{"Idempotency-Key", "bulk-retry-1"}});
  REQUIRE(first.status == 202);
  auto retried = c->Call("POST", bulk, key, body(1, "retry-#"), {{"Idempotency-Key", "bulk-retry-1"}});
  CHECK(retried.status == 202);
  CHECK(retried.Header("Idempotent-Replayed") == "true");
  CHECK(S(J(retried).at("items").at(0).at("id")) == S(J(first).at("items").at(0).at("id")));
  CHECK(LiveCount(*c, t) == "12");
}

TEST_CASE("a bad bulk create is refused with its field and writes nothing", "[e2e][instances][bulk]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("bulkstrict");
  const std::string key = c->CreateKey(t, "tenant-member");
  const std::string spec = R"("spec":{"instance_type":"gpu.h100.1x","image":"ubuntu-24.04-cuda-12.8"})";
  struct Case {
    std::string body, field, code;
  };
  const std::vector<Case> cases = {
      {R"({"count":0,"name_pattern":"w-#",)" + spec + "}", "count", "out_of_range"},
      {R"({"count":1001,"name_pattern":"w-####",)" + spec + "}", "count", "out_of_range"},
      {R"({"count":2,"name_pattern":"worker",)" + spec + "}", "name_pattern", "invalid"},
      {R"({"count":2,"name_pattern":"w#-#",)" + spec + "}", "name_pattern", "invalid"},
      {R"({"count":2,"name_pattern":"w-#######",)" + spec + "}", "name_pattern", "invalid"},
      {R"({"count":11,"name_pattern":"w-#",)" + spec + "}", "name_pattern", "too_short"},
      {R"({"count":2,"name_pattern":"W_#",)" + spec + "}", "name_pattern", "invalid"},
      {R"({"count":2,"name_pattern":"w-#","start_index":-1,)" + spec + "}", "start_index", "out_of_range"},
      // An index past the end of int64 once the count is added: refused, not wrapped around.
      {R"({"count":2,"name_pattern":"w-######","start_index":9223372036854775807,)" + spec + "}", "name_pattern",
       "too_short"},
      {R"({"count":2,"name_pattern":"w-#","spec":{"instance_type":"gpu.tpu.1x","image":"ubuntu-24.04-cuda-12.8"}})",
       "spec.instance_type", "unknown"},
      {R"({"name_pattern":"w-#",)" + spec + "}", "count", "required"},
  };
  for (const auto& tc : cases) {
    auto r = c->Call("POST", "/v1/tenants/" + t + "/instances:bulkCreate", key, tc.body);
    INFO(tc.body << " → " << r.status << " " << r.body.substr(0, 400));
    CHECK(r.status == 400);
    bool found = false;
    const auto p = J(r);
    if (const auto* errors = p.as_object().if_contains("errors")) {
      for (const auto& e : errors->as_array()) found = found || (S(e.at("field")) == tc.field && S(e.at("code")) == tc.code);
    }
    CHECK(found);
  }
  CHECK(LiveCount(*c, t) == "0");
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM quota_usage WHERE tenant_id = '" + t +
                           "' AND used > 0") == "0");
}

TEST_CASE("an instance outside the tenant's jurisdiction is refused", "[e2e][instances][residency]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string thai = c->CreateTenant("bangkok-ai", "TH", "THB");
  const std::string key = c->CreateKey(thai, "tenant-member");
  auto r = c->Call("POST", "/v1/tenants/" + thai + "/instances", key, InstanceBody("nope"));
  CHECK(r.status == 403);
  CHECK(S(J(r).at("code")) == "residency_violation");
  CHECK(LiveCount(*c, thai) == "0");
}

TEST_CASE("an instance that fits the quota but not the free capacity is admitted and says where it could go", "[e2e][instances][capacity]") {
  auto c = TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE", TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup(
                                                                                      "kr-central-1b", "h100-80gb-sxm", 1, 4))}}});
  const std::string t = c->CreateTenant("waiter");
  REQUIRE(c->Op("PUT", "/v1/admin/tenants/" + t + "/quotas", R"({"limits":{"gpus":64}})").status == 200);
  const std::string key = c->CreateKey(t, "tenant-member");
  REQUIRE(WaitUntil([&] {
    return J(c->Op("GET", "/v1/admin/nodes")).at("items").as_array().size() == 1;
  }));
  auto r = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("big", "gpu.h100.8x"));
  REQUIRE(r.status == 202);
  const auto status = J(r).at("status");
  CHECK(S(status.at("phase")) == "Pending");
  CHECK(S(status.at("conditions").at(0).at("reason")) == "Unschedulable");
  CHECK(status.at("placement").at("zones").as_array().empty());
  CHECK(boost::json::serialize(status.at("placement").at("instance_types")) == R"(["gpu.h100.1x","gpu.h100.2x","gpu.h100.4x"])");
  CHECK(S(status.at("conditions").at(0).at("message")).find("gpu.h100.4x") != std::string::npos);
  // A type that fits somewhere has no hints.
  auto small = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("small", "gpu.h100.2x"));
  REQUIRE(small.status == 202);
  CHECK_FALSE(J(small).at("status").as_object().contains("placement"));
  CHECK(S(J(small).at("status").at("conditions").at(0).at("reason")) == "Pending");

  // The hints come from a free-capacity snapshot at most a second old: once the scheduler has
  // placed "small" (two of the host's four GPUs) and a second has passed, a 4-GPU instance no
  // longer fits, and only the smaller types are offered.
  const std::string small_path = "/v1/tenants/" + t + "/instances/" + S(J(small).at("id"));
  REQUIRE(WaitUntil([&] { return S(J(c->Call("GET", small_path, key)).at("status").at("phase")) == "Running"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto after = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("after", "gpu.h100.4x"));
  REQUIRE(after.status == 202);
  CHECK(S(J(after).at("status").at("conditions").at(0).at("reason")) == "Unschedulable");
  CHECK(boost::json::serialize(J(after).at("status").at("placement").at("instance_types")) ==
        R"(["gpu.h100.1x","gpu.h100.2x"])");
}

TEST_CASE("instances are read, filtered, paged, renamed with If-Match, and acted on through spec", "[e2e][instances]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("operator-of-gpus");
  const std::string key = c->CreateKey(t, "tenant-member");
  const std::string viewer = c->CreateKey(t, "tenant-viewer");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const std::string labels = i % 2 ? R"({"team":"nlp"})" : R"({"team":"vision"})";
    auto r = c->Call("POST", "/v1/tenants/" + t + "/instances", key,
                     R"({"name":"box-)" + std::to_string(i) + R"(","labels":)" + labels +
                         R"(,"spec":{"instance_type":")" + (i < 3 ? "gpu.h100.1x" : "gpu.a100.1x") +
                         R"(","image":"ubuntu-24.04-cuda-12.8","zone":"kr-central-1a"}})");
    REQUIRE(r.status == 202);
    ids.push_back(S(J(r).at("id")));
  }
  auto got = c->Call("GET", "/v1/tenants/" + t + "/instances/" + ids[0], viewer);
  REQUIRE(got.status == 200);
  CHECK(got.Header("ETag") == "\"1\"");
  CHECK_FALSE(J(got).at("spec").as_object().contains("user_data"));

  auto page = c->Call("GET", "/v1/tenants/" + t + "/instances?page_size=2", viewer);
  CHECK(J(page).at("items").as_array().size() == 2);
  auto nlp = c->Call("GET", "/v1/tenants/" + t + "/instances?label_selector=team%3Dnlp", viewer);
  CHECK(J(nlp).at("items").as_array().size() == 2);
  auto a100 = c->Call("GET", "/v1/tenants/" + t + "/instances?instance_type=gpu.a100.1x", viewer);
  CHECK(J(a100).at("items").as_array().size() == 2);
  CHECK(J(c->Call("GET", "/v1/tenants/" + t + "/instances?zone=kr-central-1a&phase=Pending", viewer)).at("items").as_array().size() == 5);
  CHECK(J(c->Call("GET", "/v1/tenants/" + t + "/instances?phase=Running", viewer)).at("items").as_array().empty());

  auto renamed = c->Call("PATCH", "/v1/tenants/" + t + "/instances/" + ids[0], key, R"({"name":"trainer","labels":{"team":null,"owner":"kim"}})",
                         {{"If-Match", "\"1\""}});
  REQUIRE(renamed.status == 200);
  CHECK(S(J(renamed).at("name")) == "trainer");
  CHECK(J(renamed).at("labels") == boost::json::parse(R"({"owner":"kim"})"));
  CHECK(J(renamed).at("generation").as_int64() == 1);  // metadata is not spec
  CHECK(c->Call("PATCH", "/v1/tenants/" + t + "/instances/" + ids[0], key, R"({"name":"late"})", {{"If-Match", "\"1\""}}).status == 412);
  CHECK(c->Call("PATCH", "/v1/tenants/" + t + "/instances/" + ids[1], key, R"({"name":"trainer"})").status == 409);
  CHECK(c->Call("PATCH", "/v1/tenants/" + t + "/instances/" + ids[1], viewer, R"({"name":"x"})").status == 403);

  auto stopped = c->Call("POST", "/v1/tenants/" + t + "/instances/" + ids[1] + ":stop", key);
  REQUIRE(stopped.status == 202);
  CHECK(S(J(stopped).at("spec").at("desired_state")) == "stopped");
  CHECK(J(stopped).at("generation").as_int64() == 2);
  auto again = c->Call("POST", "/v1/tenants/" + t + "/instances/" + ids[1] + ":stop", key);
  CHECK(J(again).at("generation").as_int64() == 2);  // already stopping: nothing changes
  CHECK(J(c->Call("POST", "/v1/tenants/" + t + "/instances/" + ids[1] + ":start", key)).at("generation").as_int64() == 3);
  auto rebooted = c->Call("POST", "/v1/tenants/" + t + "/instances/" + ids[1] + ":reboot", key);
  CHECK(J(rebooted).at("spec").at("reboot_requests").as_int64() == 1);

  auto deleting = c->Call("DELETE", "/v1/tenants/" + t + "/instances/" + ids[2], key);
  REQUIRE(deleting.status == 202);
  CHECK(S(J(deleting).at("status").at("phase")) == "Deleting");
  CHECK(J(deleting).at("spec").as_object().contains("instance_type"));
  CHECK(J(deleting).as_object().contains("deletion_requested_at"));
  auto start_deleted = c->Call("POST", "/v1/tenants/" + t + "/instances/" + ids[2] + ":start", key);
  CHECK(start_deleted.status == 409);
  CHECK(S(J(start_deleted).at("code")) == "instance_deleting");
  CHECK(c->Call("DELETE", "/v1/tenants/" + t + "/instances/" + ids[2], key).status == 202);  // idempotent

  auto events = c->Call("GET", "/v1/tenants/" + t + "/instances/" + ids[1] + "/events", viewer);
  REQUIRE(events.status == 200);
  std::vector<std::string> reasons;
  const auto events_json = J(events);
  for (const auto& e : events_json.at("items").as_array()) reasons.push_back(S(e.at("reason")));
  CHECK(reasons == std::vector<std::string>{"Admitted", "StopRequested", "StartRequested", "RebootRequested"});
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/instances/inst_nope", viewer).status == 404);
}

TEST_CASE("a suspended tenant can stop and delete instances but not start or create them", "[e2e][instances]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("frozen");
  const std::string key = c->CreateKey(t, "tenant-member");
  auto r = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("one"));
  const std::string id = S(J(r).at("id"));
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":suspend").status == 200);
  CHECK(S(J(c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("two"))).at("code")) == "tenant_suspended");
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/instances/" + id + ":stop", key).status == 202);
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/instances/" + id + ":start", key).status == 403);
  CHECK(c->Call("DELETE", "/v1/tenants/" + t + "/instances/" + id, key).status == 202);
}

TEST_CASE("a tenant with live instances cannot be deleted, and the refusal names them", "[e2e][tenants]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("busy-tenant");
  const std::string key = c->CreateKey(t, "tenant-member");
  auto r = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("keeper"));
  const std::string id = S(J(r).at("id"));
  auto e = c->Call("POST", "/v1/tenants/" + t + "/endpoints", key,
                   R"({"name":"chat","spec":{"model":"qwen2.5-7b-instruct","gpu_type":"h100-80gb-sxm","gpus_per_replica":1}})");
  REQUIRE(e.status == 202);
  const std::string endpoint = S(J(e).at("id"));
  auto refused = c->Op("DELETE", "/v1/admin/tenants/" + t);
  CHECK(refused.status == 409);
  CHECK(S(J(refused).at("code")) == "tenant_has_resources");
  std::set<std::string> named;
  const auto refusal = J(refused);
  for (const auto& v : refusal.at("resources").as_array()) named.insert(S(v));
  CHECK(named == std::set<std::string>{"instance/" + id, "endpoint/" + endpoint});
  CHECK(S(J(refused).at("detail")).find(id) != std::string::npos);
  CHECK(S(J(refused).at("detail")).find(endpoint) != std::string::npos);
  CHECK(c->Op("GET", "/v1/tenants/" + t).status == 200);  // still there
}

TEST_CASE("a watch sees create, update and delete in order and resumes without missing one", "[e2e][watch]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("watcher");
  const std::string key = c->CreateKey(t, "tenant-member");
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};
  SseClient watch(c->address(), "/v1/tenants/" + t + "/events?watch=true", auth);
  REQUIRE(watch.status() == 200);
  auto bookmark = watch.Next();
  REQUIRE(bookmark);
  CHECK(bookmark->event == "BOOKMARK");

  auto created = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("watched"));
  const std::string id = S(J(created).at("id"));
  c->Call("PATCH", "/v1/tenants/" + t + "/instances/" + id, key, R"({"labels":{"stage":"two"}})");
  c->Call("DELETE", "/v1/tenants/" + t + "/instances/" + id, key);

  auto e1 = watch.Next();
  auto e2 = watch.Next();
  auto e3 = watch.Next();
  REQUIRE(e1);
  REQUIRE(e2);
  REQUIRE(e3);
  CHECK(e1->event == "ADDED");
  CHECK(e2->event == "MODIFIED");
  CHECK(e3->event == "MODIFIED");
  const auto o1 = boost::json::parse(e1->data), o2 = boost::json::parse(e2->data), o3 = boost::json::parse(e3->data);
  CHECK(S(o1.at("resource_id")) == id);
  CHECK(o1.at("object").at("resource_version").as_int64() == 1);
  CHECK(o2.at("object").at("labels").at("stage") == "two");
  CHECK(S(o3.at("object").at("status").at("phase")) == "Deleting");
  CHECK(std::stoll(e1->id) < std::stoll(e2->id));
  CHECK(std::stoll(e2->id) < std::stoll(e3->id));
  const std::string last_seen = e2->id;
  watch.Close();

  // While disconnected, more happens.
  auto other = c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("later"));
  const std::string other_id = S(J(other).at("id"));
  SseClient resumed(c->address(), "/v1/tenants/" + t + "/events?watch=true",
                    {{"Authorization", "Bearer " + key}, {"Last-Event-ID", last_seen}});
  REQUIRE(resumed.status() == 200);
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    auto e = resumed.Next();
    REQUIRE(e);
    if (e->event == "BOOKMARK") continue;
    seen.push_back(S(boost::json::parse(e->data).at("resource_id")) + "/" + e->event);
  }
  CHECK(seen == std::vector<std::string>{id + "/MODIFIED", other_id + "/ADDED"});

  // A resume point older than what is kept is 410: list again.
  c->db().OwnerQuery("SET gaon.platform = 'on'; DELETE FROM changes WHERE tenant_id = '" + t + "' AND seq < 4");
  SseClient expired(c->address(), "/v1/tenants/" + t + "/events?watch=true", {{"Authorization", "Bearer " + key}, {"Last-Event-ID", "1"}});
  CHECK(expired.status() == 410);
  // Without watch=true the same resource is a page of changes.
  auto listed = c->Call("GET", "/v1/tenants/" + t + "/events", key);
  REQUIRE(listed.status == 200);
  CHECK(J(listed).at("items").as_array().size() == 1);
  CHECK(listed.Header("X-Gaon-Change-Head") == "4");
}

TEST_CASE("the change list pages with opaque tokens, and too many streams get Retry-After", "[e2e][watch]") {
  auto c = TestCloud::Start(ApiOnly({{"GAON_SERVER_MAX_STREAMS", "1"}}));
  const std::string t = c->CreateTenant("pager");
  const std::string key = c->CreateKey(t, "tenant-member");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c->Call("POST", "/v1/tenants/" + t + "/instances", key, InstanceBody("p" + std::to_string(i))).status == 202);
  }
  auto first = c->Call("GET", "/v1/tenants/" + t + "/events?page_size=2", key);
  REQUIRE(first.status == 200);
  REQUIRE(J(first).at("items").as_array().size() == 2);
  const std::string token = S(J(first).at("next_page_token"));
  CHECK(token.find_first_not_of("0123456789") != std::string::npos);  // opaque, not a bare number
  auto rest = c->Call("GET", "/v1/tenants/" + t + "/events?page_size=2&page_token=" + token, key);
  REQUIRE(rest.status == 200);
  REQUIRE(J(rest).at("items").as_array().size() == 1);
  CHECK(J(rest).at("items").at(0).at("seq").as_int64() == 3);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/events?page_token=bm90LWEtdG9rZW4", key).status == 400);

  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + key}};
  SseClient one(c->address(), "/v1/tenants/" + t + "/events?watch=true", auth);
  REQUIRE(one.status() == 200);
  REQUIRE(one.Next());
  auto second = c->Call("GET", "/v1/tenants/" + t + "/events?watch=true", key);
  CHECK(second.status == 503);
  CHECK(S(J(second).at("code")) == "too_many_streams");
  CHECK(second.Header("Retry-After") == "5");
}

TEST_CASE("watch streams end when gaond shuts down", "[e2e][watch][shutdown]") {
  auto c = TestCloud::Start(ApiOnly());
  const std::string t = c->CreateTenant("closing");
  const std::string key = c->CreateKey(t, "tenant-viewer");
  SseClient watch(c->address(), "/v1/tenants/" + t + "/events?watch=true", {{"Authorization", "Bearer " + key}});
  REQUIRE(watch.status() == 200);
  REQUIRE(watch.Next());
  c->gaond().Signal(SIGTERM);
  CHECK(c->gaond().Wait(std::chrono::seconds(10)) == 0);
  CHECK_FALSE(watch.Next(std::chrono::seconds(2)));
}
