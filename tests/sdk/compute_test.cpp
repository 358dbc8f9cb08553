// End-to-end through the SDK: the catalog, SSH keys, quotas and quota requests, GPU instances
// with their waiters, events and lazy pages, the change feed, and the fleet (nodes, sim).
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"
#include "tests/support/test_keys.h"

using namespace gaon;
using namespace gaon::test;

namespace {

// 2 H100 hosts in kr-central-1a, 1 in kr-central-1b.
std::unique_ptr<TestCloud> SmallCloud() {
  return TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE",
                                    TestCloud::FleetFile("groups:\n" +
                                                         TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2) +
                                                         TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 1))}}});
}

constexpr const char* kZoneBNode = "kr-central-1b-h100-8g-01";

}  // namespace

TEST_CASE("the SDK reads the catalog: regions, GPU types, instance types with capacity, images", "[sdk][e2e][catalog]") {
  auto c = SmallCloud();
  const Client viewer = SdkClient(c->address(), c->CreateKey(c->CreateTenant("acme"), "tenant-viewer"));
  const auto regions = Ok(viewer.ListRegions());
  REQUIRE(regions.size() == 1);
  CHECK(regions[0].id == "kr-central-1");
  CHECK(regions[0].zones.size() == 3);
  const auto gpus = Ok(viewer.ListGpuTypes());
  CHECK(std::any_of(gpus.begin(), gpus.end(), [](const GpuType& g) { return g.id == "h100-80gb-sxm"; }));
  const auto images = Ok(viewer.ListImages());
  CHECK(std::any_of(images.begin(), images.end(), [](const Image& i) { return i.id == "ubuntu-24.04-cuda-12.8"; }));
  const auto h100s = Ok(viewer.ListInstanceTypes("h100-80gb-sxm"));
  REQUIRE_FALSE(h100s.empty());
  for (const auto& t : h100s) CHECK(t.gpu_type == "h100-80gb-sxm");
  REQUIRE(WaitUntil([&] {
    auto t = viewer.GetInstanceType("gpu.h100.8x");
    std::int64_t free = 0;
    for (const auto& z : t->availability) free += z.available;
    return t.ok() && free == 3;
  }));
  const Status missing = viewer.GetInstanceType("gpu.tpu.1x").status();
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.http_status() == 404);
}

TEST_CASE("SSH keys, quotas and quota requests through the SDK, with their errors", "[sdk][e2e][quotas]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client admin = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  const Client op = OperatorClient(*c);

  SshKey key{.name = "laptop", .public_key = kTestEd25519};
  const SshKey created = Ok(admin.CreateSshKey(t, key));
  CHECK(created.fingerprint == kTestEd25519Fingerprint);
  CHECK(Ok(admin.GetSshKey(t, created.id)).name == "laptop");
  CHECK(Ok(CollectAll(admin.ListSshKeys(t))).size() == 1);
  CHECK(admin.CreateSshKey(t, SshKey{.name = "again", .public_key = kTestEd25519}).status().reason() == "ssh_key_exists");
  const Status bad = admin.CreateSshKey(t, SshKey{.name = "bad", .public_key = "ssh-rsa nope"}).status();
  CHECK(bad.reason() == "validation_failed");
  CHECK_FALSE(bad.violations().empty());
  Ok(admin.DeleteSshKey(t, created.id));
  CHECK(admin.GetSshKey(t, created.id).status().code() == StatusCode::kNotFound);

  SetQuotasRequest limits;
  limits.limits["gpus"] = 4;
  limits.limits["gpus.h100-80gb-sxm"] = 2;
  const auto set = Ok(op.SetQuotas(t, limits));
  CHECK(std::any_of(set.begin(), set.end(), [](const Quota& q) { return q.dimension == "gpus" && q.limit == 4; }));
  CHECK(admin.SetQuotas(t, limits).status().code() == StatusCode::kPermissionDenied);
  const auto quotas = Ok(admin.ListQuotas(t));
  CHECK(std::any_of(quotas.begin(), quotas.end(),
                    [](const Quota& q) { return q.dimension == "gpus.h100-80gb-sxm" && q.remaining == 2; }));

  const QuotaRequest asked =
      Ok(admin.CreateQuotaRequest(t, QuotaRequest{.dimension = "gpus", .requested_limit = 8, .reason = "training"}));
  CHECK(asked.state == QuotaRequestState::kPending);
  CHECK(Ok(admin.GetQuotaRequest(t, asked.id)).requested_limit == 8);
  CHECK(Ok(CollectAll(admin.ListQuotaRequests(t, {.state = QuotaRequestState::kPending}))).size() == 1);
  CHECK(Ok(CollectAll(op.ListAllQuotaRequests())).size() == 1);
  const QuotaRequest approved = Ok(op.ApproveQuotaRequest(t, asked.id, QuotaDecision{.limit = 6, .note = "6 for now"}));
  CHECK(approved.state == QuotaRequestState::kApproved);
  CHECK(approved.approved_limit == 6);
  CHECK(admin.CancelQuotaRequest(t, asked.id).status().reason() == "quota_request_decided");
  const QuotaRequest more =
      Ok(admin.CreateQuotaRequest(t, QuotaRequest{.dimension = "instances", .requested_limit = 50, .reason = "x"}));
  CHECK(Ok(op.DenyQuotaRequest(t, more.id, "no")).state == QuotaRequestState::kDenied);
  const QuotaRequest third =
      Ok(admin.CreateQuotaRequest(t, QuotaRequest{.dimension = "vcpus", .requested_limit = 1024, .reason = "x"}));
  CHECK(Ok(admin.CancelQuotaRequest(t, third.id, "not needed")).state == QuotaRequestState::kCancelled);
  CHECK(Ok(CollectAll(admin.ListQuotaRequests(t, {.state = QuotaRequestState::kPending}))).empty());
  CHECK(admin.CreateQuotaRequest(t, QuotaRequest{.dimension = "gpus", .requested_limit = 1, .reason = "less"})
            .status()
            .code() == StatusCode::kInvalidArgument);
}

TEST_CASE("an instance is launched, waited for, paged, stopped, started, rebooted and deleted through the SDK",
          "[sdk][e2e][instances]") {
  auto c = SmallCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  SetQuotasRequest limits;
  limits.limits["gpus"] = 3;
  Ok(OperatorClient(*c).SetQuotas(t, limits));

  Instance req = InstanceRequest("train-1");
  req.labels = {{"team", "ml"}};
  const Instance created = Ok(sdk.CreateInstance(t, req));
  CHECK(created.status.phase == "Pending");
  std::vector<std::string> seen;
  WaitOptions w{.timeout = std::chrono::seconds(30), .initial_interval = std::chrono::milliseconds(20)};
  w.on_poll = [&](std::string_view phase) { seen.emplace_back(phase); };
  const Instance running = Ok(sdk.WaitForInstance(t, created.id, phases::kRunning, w));
  CHECK(running.status.phase == "Running");
  CHECK(running.status.node.has_value());
  CHECK_FALSE(seen.empty());
  CHECK(seen.back() == "Running");

  const Status dup = sdk.CreateInstance(t, InstanceRequest("train-1")).status();
  CHECK(dup.code() == StatusCode::kAlreadyExists);
  CHECK(dup.reason() == "name_taken");

  // Two more, then lazy pages of one: three fetches, in a stable order.
  const Instance second = Ok(sdk.CreateInstance(t, InstanceRequest("train-2")));
  Ok(sdk.CreateInstance(t, InstanceRequest("train-3")));
  std::set<std::string> ids;
  for (const auto& i : sdk.ListInstances(t, {}, {.page_size = 1})) ids.insert(Ok(i).id.str());
  CHECK(ids.size() == 3);
  auto range = sdk.ListInstances(t, {}, {.page_size = 2});
  CHECK(Ok(range.NextPage()).items.size() == 2);
  CHECK_FALSE(range.exhausted());
  CHECK(Ok(range.NextPage()).items.size() == 1);
  CHECK(Ok(CollectAll(sdk.ListInstances(t, {.label_selector = "team=ml"}))).size() == 1);

  // Over quota: a fourth GPU. The error carries the problem's extras.
  const Status over = sdk.CreateInstance(t, InstanceRequest("big")).status();
  CHECK(over.reason() == "quota_exceeded");
  CHECK(over.http_status() == 409);
  CHECK(over.extra("dimension").has_value());
  CHECK_FALSE(over.request_id().empty());
  Instance bad = InstanceRequest("bad", "gpu.tpu.1x");
  bad.spec.image = "nope";
  const Status invalid = sdk.CreateInstance(t, bad).status();
  CHECK(invalid.reason() == "validation_failed");
  CHECK(invalid.violations().size() >= 2);

  const Instance renamed = Ok(sdk.UpdateInstance(t, created.id, InstancePatch{.name = "train-one"}));
  CHECK(renamed.name == "train-one");
  CHECK(sdk.UpdateInstance(t, created.id, InstancePatch{.name = "x1"}, renamed.resource_version - 1).status().reason() ==
        "precondition_failed");

  Ok(sdk.StopInstance(t, created.id));
  CHECK(Ok(sdk.WaitForInstance(t, created.id, phases::kStopped, std::chrono::seconds(30))).status.phase == "Stopped");
  Ok(sdk.StartInstance(t, created.id));
  Ok(sdk.WaitForInstance(t, created.id, phases::kRunning, std::chrono::seconds(30)));
  const Instance rebooting = Ok(sdk.RebootInstance(t, created.id));
  const Instance rebooted = Ok(sdk.WaitForInstance(
      t, created.id, phases::kRunning, WaitOptions{.timeout = std::chrono::seconds(30), .require_observed_generation = true}));
  CHECK(rebooted.status.observed_generation >= rebooting.generation);

  const auto events = Ok(CollectAll(sdk.ListInstanceEvents(t, created.id)));
  CHECK(events.size() >= 4);
  const ChangesPage changes = Ok(sdk.ListChanges(t));
  CHECK_FALSE(changes.items.empty());
  CHECK(changes.head >= changes.items.back().seq);

  // A waiter times out with the phase it last saw; a deleted instance never becomes Running.
  const Status timeout = sdk.WaitForInstance(t, second.id, phases::kStopped, std::chrono::milliseconds(300)).status();
  CHECK(timeout.reason() == "wait_timeout");
  CHECK(timeout.extra("phase").has_value());
  Ok(sdk.DeleteInstance(t, second.id));
  CHECK(Ok(sdk.WaitForInstance(t, second.id, phases::kDeleted, std::chrono::seconds(30))).status.phase == "Deleted");
  CHECK(sdk.WaitForInstance(t, second.id, phases::kRunning, std::chrono::seconds(5)).status().reason() ==
        "instance_deleted");
  CHECK(sdk.GetInstance(t, InstanceId::Parse("inst_01aaaaaaaaaaaaaaaaaaaaaaaa").value()).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("alike instances are launched together through the SDK, all or none", "[sdk][e2e][instances][bulk]") {
  auto c = SmallCloud();
  const std::string tid = c->CreateTenant("batcher");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  SetQuotasRequest limits;
  limits.limits["gpus"] = 4;
  Ok(OperatorClient(*c).SetQuotas(t, limits));

  BulkInstanceRequest req{.count = 3, .name_pattern = "shard-#", .start_index = 0, .labels = {{"job", "eval"}}};
  req.spec = InstanceRequest("unused").spec;
  const std::vector<Instance> made = Ok(sdk.BulkCreateInstances(t, req));
  REQUIRE(made.size() == 3);
  CHECK(made[0].name == "shard-0");
  CHECK(made[2].name == "shard-2");
  for (const Instance& i : made) {
    CHECK(i.labels.at("job") == "eval");
    CHECK(Ok(sdk.WaitForInstance(t, i.id, phases::kRunning, std::chrono::seconds(30))).status.phase == "Running");
  }
  // Two more would take five GPUs of four: refused whole, with what the request asked for.
  req.count = 2;
  req.start_index = 3;
  const Status over = sdk.BulkCreateInstances(t, req).status();
  CHECK(over.reason() == "quota_exceeded");
  CHECK(over.extra("requested").value_or("") == "2");
  req.count = 1;
  req.start_index = 2;  // shard-2 is taken
  CHECK(sdk.BulkCreateInstances(t, req).status().reason() == "name_taken");
  CHECK(Ok(CollectAll(sdk.ListInstances(t, {.label_selector = "job=eval"}))).size() == 3);
}

TEST_CASE("WatchChanges streams a tenant's changes in order and stops when asked", "[sdk][e2e][watch]") {
  auto c = SmallCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  std::vector<ChangeEvent> got;
  Status watched;  // checked after the join: Catch's assertions are not for other threads
  std::thread watcher([&] {
    watched = sdk.WatchChanges(
        t,
        [&](const ChangeEvent& e) {
          got.push_back(e);
          return e.kind != "instance" || e.object.as_object().at("status").at("phase") != "Running";
        },
        WatchOptions{.since = 0, .timeout = std::chrono::seconds(30)});
  });
  const Instance i = Ok(sdk.CreateInstance(t, InstanceRequest("watched")));
  watcher.join();
  Ok(watched);
  REQUIRE_FALSE(got.empty());
  CHECK(got.back().resource_id == i.id.str());
  for (std::size_t k = 1; k < got.size(); ++k) CHECK(got[k].seq > got[k - 1].seq);
}

TEST_CASE("operators list, cordon and drain nodes and fail simulated hosts through the SDK", "[sdk][e2e][nodes]") {
  auto c = SmallCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client op = OperatorClient(*c);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));

  REQUIRE(WaitUntil([&] { return Ok(CollectAll(op.ListNodes({.state = "Ready"}))).size() == 3; }));
  std::set<std::string> paged;
  for (const auto& n : op.ListNodes({}, {.page_size = 2})) paged.insert(Ok(n).id);
  CHECK(paged.size() == 3);
  const auto zone_b = Ok(CollectAll(op.ListNodes({.zone = "kr-central-1b"})));
  REQUIRE(zone_b.size() == 1);
  CHECK(zone_b[0].id == kZoneBNode);
  CHECK(zone_b[0].capacity.gpus == 8);
  CHECK(op.GetNode("no-such-node").status().code() == StatusCode::kNotFound);
  CHECK(sdk.ListNodes().begin()->status().code() == StatusCode::kPermissionDenied);

  CHECK(Ok(op.CordonNode(kZoneBNode)).state == "Cordoned");
  CHECK(Ok(op.UncordonNode(kZoneBNode)).state == "Ready");

  Instance pinned = InstanceRequest("pinned");
  pinned.spec.zone = "kr-central-1b";
  const Instance i = Ok(sdk.CreateInstance(t, pinned));
  CHECK(Ok(sdk.WaitForInstance(t, i.id, phases::kRunning, std::chrono::seconds(30))).status.node == kZoneBNode);
  CHECK(Ok(op.GetNode(kZoneBNode)).allocated.gpus == 1);

  CHECK(op.DrainNode(kZoneBNode, DrainRequest{.policy = "evict"}).status().reason() == "validation_failed");
  const DrainResult drained = Ok(op.DrainNode(kZoneBNode, DrainRequest{.policy = "stop"}));
  CHECK(drained.node.state == "Cordoned");
  REQUIRE(drained.instances.size() == 1);
  CHECK(drained.instances[0] == i.id.str());
  Ok(sdk.WaitForInstance(t, i.id, phases::kStopped, std::chrono::seconds(30)));
  Ok(op.UncordonNode(kZoneBNode));

  Ok(sdk.StartInstance(t, i.id));
  Ok(sdk.WaitForInstance(t, i.id, phases::kRunning, std::chrono::seconds(30)));
  Ok(op.SimFailNode(kZoneBNode, SimFailRequest{.reason = "PSU"}));
  CHECK(Ok(op.WaitForNode(kZoneBNode, node_states::kDown, WaitOptions{.timeout = std::chrono::seconds(30)})).state ==
        "Down");
  // The node is Down before its instances are marked Failed (the controllers' next pass): wait
  // for that, then a waiter for Running gives up with instance_failed instead of waiting.
  Ok(sdk.WaitForInstance(t, i.id, phases::kFailed, std::chrono::seconds(30)));
  const Status failed = sdk.WaitForInstance(t, i.id, phases::kRunning, std::chrono::seconds(30)).status();
  CHECK(failed.reason() == "instance_failed");
  Ok(op.SimRecoverNode(kZoneBNode));
  CHECK(Ok(op.WaitForNode(kZoneBNode, node_states::kReady, WaitOptions{.timeout = std::chrono::seconds(30)})).state ==
        "Ready");
  CHECK(op.SimFailNode("no-such-node").status().code() == StatusCode::kNotFound);
  CHECK(sdk.SimRecoverNode(kZoneBNode).status().code() == StatusCode::kPermissionDenied);
}
