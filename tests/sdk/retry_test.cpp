// The SDK's retries against a real gaond: a gaond killed and restarted in the middle of a
// create (after it committed, before its answer arrived), and a rate-limited route. Either
// way the create happens exactly once. Also: connections are reused (keep-alive pool).
//
// Between the client and gaond sits FaultyProxy (faulty_proxy.h), a plain TCP relay on loopback
// that can lose one answer: it is the network failing, not a mock of the server.
#include <boost/json.hpp>

#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/sdk/faulty_proxy.h"
#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon;
using namespace gaon::test;

namespace {

// Records every attempt the client makes.
struct Attempts {
  std::mutex m;
  std::vector<AttemptInfo> all;
  std::function<void(const AttemptInfo&)> Observer() {
    return [this](const AttemptInfo& a) {
      std::lock_guard lock(m);
      all.push_back(a);
    };
  }
};

}  // namespace

TEST_CASE("a create whose answer is lost while gaond restarts is retried with its Idempotency-Key and happens once",
          "[sdk][e2e][retry]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  FaultyProxy proxy(c->address());
  Attempts attempts;
  const Client sdk = SdkClient(proxy.address(), c->CreateKey(tid, "tenant-admin"), [&](ClientOptions& o) {
    o.retry = RetryPolicy{.max_attempts = 40, .initial_backoff = std::chrono::milliseconds(50),
                          .max_backoff = std::chrono::milliseconds(500)};
    o.request_timeout = std::chrono::seconds(60);
    o.on_attempt = attempts.Observer();
  });
  Ok(sdk.GetMe());  // a pooled connection through the proxy

  // gaond has committed the create and is sending its answer: kill it there, and bring it
  // back while the client retries into a closed port.
  std::thread restarter;
  proxy.LoseNextAnswer([&] {
    c->StopGaond(SIGKILL);
    restarter = std::thread([&] { c->StartGaond(); });
  });
  const auto created = sdk.CreateInstance(Tid(tid), InstanceRequest("once"));
  restarter.join();
  if (!created.ok()) {
    // What each attempt saw, and what the restarted gaond logged. (A hang here was once the
    // restarted gaond inheriting the proxy's client socket when its fork won the race with
    // the proxy's close: gaond processes now start with stdio only.)
    std::lock_guard lock(attempts.m);
    for (const auto& a : attempts.all) {
      UNSCOPED_INFO("attempt " << a.attempt << " " << a.method << " " << a.target << " -> " << a.http_status << " "
                               << a.status.ToString() << " after " << a.duration.count() << " us, backoff "
                               << a.backoff.count() << " ms");
    }
    UNSCOPED_INFO("restarted gaond's log:\n" << c->gaond().Log());
  }
  const Instance i = Ok(created);
  CHECK(proxy.lost());

  std::vector<AttemptInfo> posts;
  for (const auto& a : attempts.all) {
    if (a.method == "POST") posts.push_back(a);
  }
  INFO("POST attempts: " << posts.size());
  REQUIRE(posts.size() >= 2);
  CHECK(posts.front().http_status == 0);  // the lost answer
  CHECK(posts.front().will_retry);
  CHECK(posts.back().http_status == 202);
  CHECK(posts.back().replayed);  // the stored answer of the first attempt, not a second create
  CHECK(LiveInstances(*c, tid) == 1);
  CHECK(Ok(sdk.GetInstance(Tid(tid), i.id)).name == "once");
}

TEST_CASE("a rate-limited client waits out Retry-After and every create happens exactly once", "[sdk][e2e][retry]") {
  auto c = TestCloud::Start({.env = {{"GAON_RATE_LIMIT_REQUESTS_PER_SECOND", "2"}, {"GAON_RATE_LIMIT_BURST", "2"}}});
  const std::string tid = c->CreateTenant("acme");
  Attempts attempts;
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"), [&](ClientOptions& o) {
    o.retry = RetryPolicy{.max_attempts = 10, .initial_backoff = std::chrono::milliseconds(50),
                          .max_backoff = std::chrono::milliseconds(200)};
    o.on_attempt = attempts.Observer();
  });
  constexpr int kCreates = 6;
  const auto started = std::chrono::steady_clock::now();
  for (int k = 0; k < kCreates; ++k) Ok(sdk.CreateInstance(Tid(tid), InstanceRequest("burst-" + std::to_string(k))));
  const auto took = std::chrono::steady_clock::now() - started;

  int limited = 0;
  for (const auto& a : attempts.all) {
    if (a.http_status != 429) continue;
    ++limited;
    CHECK(a.will_retry);
    CHECK(a.status.reason() == "rate_limited");
    CHECK(a.backoff >= std::chrono::seconds(1));  // Retry-After, above the policy's 200 ms cap
  }
  CHECK(limited >= 1);
  CHECK(took >= std::chrono::seconds(1));
  CHECK(LiveInstances(*c, tid) == kCreates);
  CHECK(Ok(CollectAll(sdk.ListInstances(Tid(tid)))).size() == kCreates);

  // Without retries the limit is the caller's to see: 429, ResourceExhausted, retry_after.
  const Client once = SdkClient(c->address(), c->CreateKey(tid, "tenant-viewer"),
                                [](ClientOptions& o) { o.retry.max_attempts = 1; });
  Status last;
  for (int k = 0; k < 10 && last.ok(); ++k) last = once.GetMe().status();
  CHECK(last.code() == StatusCode::kResourceExhausted);
  CHECK(last.http_status() == 429);
}

TEST_CASE("the client reuses its keep-alive connections across calls and threads", "[sdk][e2e][pool]") {
  auto c = TestCloud::Start();
  FaultyProxy proxy(c->address());
  const Client sdk = SdkClient(proxy.address(), c->operator_key());
  for (int k = 0; k < 20; ++k) Ok(sdk.GetMe());
  CHECK(proxy.connections() == 1);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};  // Catch's assertions are not for other threads
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < 10; ++k) failures += sdk.GetHealth().ok() ? 0 : 1;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(proxy.connections() <= 4);  // at most one per concurrent caller
}

TEST_CASE("a POST answered 502 and 504 by a proxy in front of gaond is retried and happens once", "[sdk][e2e][retry]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  FaultyProxy proxy(c->address());
  Attempts attempts;
  const Client sdk = SdkClient(proxy.address(), c->CreateKey(tid, "tenant-admin"),
                               [&](ClientOptions& o) { o.on_attempt = attempts.Observer(); });
  proxy.AnswerNextRequests({502, 504});
  const Instance i = Ok(sdk.CreateInstance(Tid(tid), InstanceRequest("behind-a-proxy")));
  CHECK(proxy.answered_by_proxy() == 2);
  std::vector<int> seen;
  for (const auto& a : attempts.all) seen.push_back(a.http_status);
  CHECK(seen == std::vector<int>{502, 504, 202});
  CHECK(attempts.all[0].will_retry);
  CHECK(attempts.all[0].status.reason() == "http_502");
  CHECK(attempts.all[1].status.reason() == "http_504");
  CHECK_FALSE(attempts.all[2].replayed);  // the proxy's answers never reached gaond
  CHECK(LiveInstances(*c, tid) == 1);
  CHECK(Ok(sdk.GetInstance(Tid(tid), i.id)).name == "behind-a-proxy");

  // With retries off, the proxy's page is the caller's error: Unavailable, HTTP 502.
  const Client once = SdkClient(proxy.address(), c->operator_key(), [](ClientOptions& o) { o.retry.max_attempts = 1; });
  proxy.AnswerNextRequests({502});
  const Status s = once.GetMe().status();
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.http_status() == 502);
}

TEST_CASE("concurrent POSTs with one Idempotency-Key through the SDK all get the one resource", "[sdk][e2e][retry]") {
  auto c = TestCloud::Start();
  Attempts attempts;
  const Client op = SdkClient(c->address(), c->operator_key(), [&](ClientOptions& o) {
    o.operator_reason = "sdk test";
    o.on_attempt = attempts.Observer();
  });
  const RawRequest create{.method = "POST",
                          .target = "/v1/admin/tenants",
                          .body = R"({"name":"race-co","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@b.kr"})",
                          .headers = {{"Idempotency-Key", "one-key-for-all"}}};
  constexpr int kCallers = 16;
  std::vector<std::optional<StatusOr<RawResponse>>> answers(kCallers);
  std::vector<std::thread> callers;
  std::atomic<bool> go{false};
  for (int k = 0; k < kCallers; ++k) {
    callers.emplace_back([&, k] {
      while (!go) std::this_thread::yield();
      answers[static_cast<std::size_t>(k)] = op.Raw(create);
    });
  }
  go = true;
  for (auto& t : callers) t.join();
  std::set<std::string> ids;
  for (const auto& a : answers) {
    const RawResponse r = Ok(a.value());
    INFO(r.status << " " << r.body);
    CHECK(r.status == 201);  // the first create, or its replay: never a 409 left to the caller
    if (r.status == 201) ids.insert(std::string(boost::json::parse(r.body).at("id").as_string()));
  }
  CHECK(ids.size() == 1);
  // gaond holds each duplicate until the first request commits, then replays its answer
  // (docs/sdk.md): one create, fifteen replays, no 409 to retry.
  int replayed = 0;
  std::map<std::string, int> codes;
  for (const auto& a : attempts.all) {
    codes[std::to_string(a.http_status) + " " + a.status.reason()]++;
    replayed += a.replayed ? 1 : 0;
  }
  for (const auto& [code, n] : codes) UNSCOPED_INFO(code << " x" << n);
  CHECK(replayed == kCallers - 1);
  CHECK(attempts.all.size() == kCallers);
  CHECK(Ok(CollectAll(op.ListTenants())).size() == 1);
}
