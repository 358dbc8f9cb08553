// End-to-end through the SDK: the model catalog and operators' edits, tenants' custom models
// and their jurisdiction check, inference endpoints (deploy, wait, chat, update to a new
// revision, delete), scale-to-zero woken by a chat call, and operators' simulated traffic.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon;
using namespace gaon::test;

namespace {

// The smallest catalog model: it loads fastest.
constexpr const char* kSmallModel = "exaone-3.5-2.4b-instruct";

// A cloud whose simulated replicas start at once and whose autoscaler looks often: 2 H100
// hosts in kr-central-1a, 1 in kr-central-1b.
std::unique_ptr<TestCloud> InferenceCloud() {
  return TestCloud::Start({.env = {
                               {"GAON_SIM_FLEET_FILE",
                                TestCloud::FleetFile("groups:\n" +
                                                     TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2) +
                                                     TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 1))},
                               {"GAON_SIM_REPLICA_START_TIME", "0s"},
                               {"GAON_SIM_MODEL_LOAD_TIME_PER_BILLION", "0s"},
                               {"GAON_CONTROLLER_AUTOSCALE_INTERVAL", "100ms"},
                               {"GAON_CONTROLLER_AUTOSCALE_PANIC_WINDOW", "500ms"},
                               {"GAON_CONTROLLER_AUTOSCALE_STABLE_WINDOW", "2s"},
                           }});
}

Endpoint EndpointRequest(const std::string& name, const std::string& model = kSmallModel) {
  Endpoint e;
  e.name = name;
  e.spec.model = model;
  e.spec.gpu_type = "h100-80gb-sxm";
  e.spec.min_replicas = 1;
  e.spec.max_replicas = 2;
  return e;
}

ChatCompletionRequest Ask(const std::string& question) {
  ChatCompletionRequest r;
  r.messages = {{.role = "user", .content = question}};
  r.max_tokens = 32;
  return r;
}

WaitOptions Fast(std::chrono::seconds timeout = std::chrono::seconds(60)) {
  return WaitOptions{.timeout = timeout, .initial_interval = std::chrono::milliseconds(50),
                     .max_interval = std::chrono::milliseconds(500)};
}

Model CustomModel(const std::string& name, const std::string& artifact_uri) {
  Model m;
  m.display_name = name;
  m.parameters_millions = 2400;
  m.min_gpu_memory_gib = 16;
  m.runtimes = {"vllm"};
  m.languages = {"ko"};
  m.artifact_uri = artifact_uri;
  return m;
}

std::vector<std::string> Ids(const std::vector<Model>& models) {
  std::vector<std::string> out;
  for (const auto& m : models) out.push_back(m.id);
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("the SDK reads the model catalog, and operators add and deprecate models", "[sdk][e2e][inference][models]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "tenant-viewer"));
  const Client op = OperatorClient(*c);

  // The shipped catalog, read lazily in small pages, and filtered.
  const auto all = Ids(Ok(CollectAll(viewer.ListModels({}, ListOptions{.page_size = 3}))));
  CHECK(all.size() >= 6);
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == all.size());  // no page repeats one
  CHECK(Has(all, kSmallModel));
  const auto thai = Ids(Ok(CollectAll(viewer.ListModels({.language = "th"}))));
  CHECK_FALSE(thai.empty());
  CHECK_FALSE(Has(thai, kSmallModel));  // EXAONE speaks ko and en
  for (const auto& id : Ids(Ok(CollectAll(viewer.ListModels({.runtime = "triton", .language = "en"}))))) {
    const Model m = Ok(viewer.GetModel(id));
    CHECK(Has(m.runtimes, "triton"));
    CHECK(Has(m.languages, "en"));
  }
  const Model small = Ok(viewer.GetModel(kSmallModel));
  CHECK(small.parameters_millions == 2400);
  CHECK(small.min_gpu_memory_gib > 0);
  CHECK(Has(small.runtimes, "vllm"));
  CHECK(small.status == "available");
  CHECK_FALSE(small.artifact_uri.has_value());
  const Status missing = viewer.GetModel("gpt-5").status();
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.http_status() == 404);

  // Operators add a model (201) and deprecate it; tenants may not.
  ModelCreate add{.id = "sea-lion-v3.5-8b-r"};
  add.model.display_name = "SEA-LION v3.5 8B R";
  add.model.publisher = "AI Singapore";
  add.model.parameters_millions = 8000;
  add.model.languages = {"en", "id", "th"};
  add.model.min_gpu_memory_gib = 24;
  add.model.runtimes = {"vllm", "tgi"};
  const Model added = Ok(op.CreateModel(add));
  CHECK(added.id == "sea-lion-v3.5-8b-r");
  CHECK(Ok(viewer.GetModel(added.id)).display_name == "SEA-LION v3.5 8B R");
  CHECK(Has(Ids(Ok(CollectAll(viewer.ListModels({.language = "id"})))), added.id));
  CHECK(op.CreateModel(add).status().code() == StatusCode::kAlreadyExists);
  CHECK(viewer.CreateModel(ModelCreate{.id = "x", .model = add.model}).status().code() == StatusCode::kPermissionDenied);
  ModelCreate bad = add;
  bad.id = "bad-model";
  bad.model.runtimes = {"llama.cpp"};
  bad.model.min_gpu_memory_gib = 0;
  const Status invalid = op.CreateModel(bad).status();
  CHECK(invalid.reason() == "validation_failed");
  CHECK(invalid.violations().size() >= 2);

  const Model deprecated = Ok(op.UpdateModel(added.id, ModelPatch{.status = "deprecated"}));
  CHECK(deprecated.status == "deprecated");
  CHECK(deprecated.display_name == "SEA-LION v3.5 8B R");  // absent fields are unchanged
  CHECK(Ok(op.UpdateModel(added.id, ModelPatch{.languages = std::vector<std::string>{"en"}})).languages ==
        std::vector<std::string>{"en"});
  CHECK(op.UpdateModel("gpt-5", ModelPatch{.status = "deprecated"}).status().code() == StatusCode::kNotFound);
  CHECK(viewer.UpdateModel(added.id, ModelPatch{.status = "available"}).status().code() ==
        StatusCode::kPermissionDenied);
  // A deprecated model takes no new endpoints.
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  const Status refused = member.CreateEndpoint(Tid(tid), EndpointRequest("old", added.id)).status();
  CHECK(refused.reason() == "validation_failed");
}

TEST_CASE("a tenant registers its own model in its jurisdiction, one stored abroad is refused", "[sdk][e2e][inference][models]") {
  auto c = TestCloud::Start();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client member = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));

  const Model m = Ok(member.CreateCustomModel(t, CustomModel("acme-support", "s3://kr-central-1/acme/support/")));
  REQUIRE(ModelId::Parse(m.id).ok());
  CHECK(m.tenant_id == t);
  CHECK(m.artifact_uri == "s3://kr-central-1/acme/support/");
  const ModelId mid = ModelId::Parse(m.id).value();
  CHECK(Ok(member.GetCustomModel(t, mid)).display_name == "acme-support");
  CHECK(Ids(Ok(CollectAll(member.ListCustomModels(t)))) == std::vector<std::string>{m.id});
  CHECK_FALSE(Has(Ids(Ok(CollectAll(member.ListModels()))), m.id));  // not in the region's catalog

  // Weights abroad (a partner's storage in SG) stay out of a KR tenant's endpoints; so do
  // weights outside the region's object storage altogether.
  const Status abroad =
      member.CreateCustomModel(t, CustomModel("abroad", "s3://sg-singapore-1-partner/acme/support/")).status();
  CHECK(abroad.reason() == "artifact_outside_jurisdiction");
  CHECK(abroad.http_status() == 422);
  CHECK(abroad.code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(abroad.request_id().empty());
  const Status elsewhere =
      member.CreateCustomModel(t, CustomModel("elsewhere", "https://huggingface.co/acme/support")).status();
  CHECK(elsewhere.reason() == "artifact_not_in_object_storage");
  CHECK(elsewhere.http_status() == 422);
  CHECK(member.CreateCustomModel(t, CustomModel("no-uri", "")).status().code() == StatusCode::kInvalidArgument);

  // Another tenant does not see it.
  const std::string other = c->CreateTenant("globex");
  const Client stranger = SdkClient(c->address(), c->CreateKey(other, "tenant-admin"));
  CHECK(stranger.GetCustomModel(Tid(other), mid).status().code() == StatusCode::kNotFound);
  CHECK(stranger.GetCustomModel(t, mid).status().code() != StatusCode::kOk);

  Ok(member.DeleteCustomModel(t, mid));
  CHECK(member.GetCustomModel(t, mid).status().code() == StatusCode::kNotFound);
  CHECK(member.DeleteCustomModel(t, mid).code() == StatusCode::kNotFound);
}

TEST_CASE("an endpoint is deployed, answers chat completions, rolls out a new revision and is deleted",
          "[sdk][e2e][inference][endpoints]") {
  auto c = InferenceCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  const Client viewer = SdkClient(c->address(), c->CreateKey(tid, "tenant-viewer"));

  Endpoint req = EndpointRequest("support-chat");
  req.labels = {{"team", "cx"}};
  const Endpoint created = Ok(sdk.CreateEndpoint(t, req));
  CHECK(created.status.phase == "Pending");
  CHECK(created.generation == 1);
  CHECK(created.spec.model == kSmallModel);
  CHECK(created.labels.at("team") == "cx");

  std::set<std::string> seen;
  WaitOptions w = Fast();
  w.on_poll = [&](std::string_view p) { seen.insert(std::string(p)); };
  const Endpoint ready = Ok(sdk.WaitForEndpoint(t, created.id, endpoint_phases::kReady, w));
  CHECK(seen.count("Ready") == 1);
  CHECK(ready.status.ready_replicas >= 1);
  CHECK(ready.status.latest_revision == 1);
  REQUIRE(ready.status.url.has_value());
  const std::string suffix = "/v1/tenants/" + tid + "/endpoints/" + created.id.str();
  CHECK(ready.status.url->size() > suffix.size());
  CHECK(ready.status.url->compare(ready.status.url->size() - suffix.size(), suffix.size(), suffix) == 0);

  const auto replicas = Ok(CollectAll(sdk.ListEndpointReplicas(t, created.id)));
  REQUIRE_FALSE(replicas.empty());
  CHECK(std::any_of(replicas.begin(), replicas.end(), [&](const Replica& r) {
    return r.phase == "Ready" && r.node.has_value() && r.endpoint_id == created.id && r.revision == 1 && r.gpus == 1;
  }));

  // Lists and filters; viewers read, and only members may ask.
  CHECK(Ok(CollectAll(viewer.ListEndpoints(t))).size() == 1);
  CHECK(Ok(CollectAll(viewer.ListEndpoints(t, {.label_selector = "team=cx"}))).size() == 1);
  CHECK(Ok(CollectAll(viewer.ListEndpoints(t, {.label_selector = "team=ml"}))).empty());
  CHECK(Ok(CollectAll(viewer.ListEndpoints(t, {.phase = "Failed"}))).empty());

  // The OpenAI-compatible call: simulated text, counted tokens, the revision that answered.
  const ChatCompletion answer = Ok(sdk.CreateChatCompletion(t, created.id, Ask("서울에서 부산까지 얼마나 걸려요?")));
  CHECK(answer.object == "chat.completion");
  CHECK(answer.id.rfind("chatcmpl-", 0) == 0);
  CHECK(answer.model == kSmallModel);
  REQUIRE(answer.choices.size() == 1);
  CHECK(answer.choices[0].message.role == "assistant");
  CHECK_FALSE(answer.choices[0].message.content.empty());
  CHECK(answer.usage.prompt_tokens > 0);
  CHECK(answer.usage.completion_tokens > 0);
  CHECK(answer.usage.completion_tokens <= 32);
  CHECK(answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens);
  CHECK(answer.system_fingerprint == "gaon-sim-r1");
  CHECK(viewer.CreateChatCompletion(t, created.id, Ask("hi")).status().code() == StatusCode::kPermissionDenied);
  ChatCompletionRequest wrong_model = Ask("hi");
  wrong_model.model = "llama-3.1-8b-instruct";
  CHECK(sdk.CreateChatCompletion(t, created.id, wrong_model).status().reason() == "validation_failed");
  CHECK(sdk.CreateChatCompletion(t, created.id, ChatCompletionRequest{}).status().reason() == "validation_failed");

  // A spec change is revision 2, rolled out; the revisions tell the story.
  EndpointPatch patch;
  patch.spec = boost::json::object{{"runtime_version", "0.8.5"}};
  patch.labels = boost::json::object{{"team", nullptr}, {"tier", "gold"}};
  const Endpoint updated = Ok(sdk.UpdateEndpoint(t, created.id, patch, ready.resource_version));
  CHECK(updated.generation == 2);
  CHECK(updated.spec.runtime_version == "0.8.5");
  CHECK(updated.status.latest_revision == 2);
  CHECK(updated.labels.count("team") == 0);
  CHECK(updated.labels.at("tier") == "gold");
  const Status stale = sdk.UpdateEndpoint(t, created.id, patch, ready.resource_version).status();
  CHECK(stale.reason() == "precondition_failed");
  CHECK(stale.http_status() == 412);
  WaitOptions after = Fast();
  after.require_observed_generation = true;
  Ok(sdk.WaitForEndpoint(t, created.id, endpoint_phases::kReady, after));
  REQUIRE(WaitUntil(
      [&] {
        auto e = sdk.GetEndpoint(t, created.id);
        return e.ok() && e->status.current_revision == 2;
      },
      std::chrono::seconds(60)));
  const auto revisions = Ok(CollectAll(viewer.ListEndpointRevisions(t, created.id)));
  REQUIRE(revisions.size() == 2);
  CHECK(revisions[0].revision == 1);
  CHECK(revisions[0].state == "Superseded");
  CHECK(revisions[1].revision == 2);
  CHECK(revisions[1].state == "Active");
  CHECK(revisions[1].spec.runtime_version == "0.8.5");
  CHECK(revisions[1].generation == 2);
  CHECK(Ok(sdk.CreateChatCompletion(t, created.id, Ask("again"))).system_fingerprint == "gaon-sim-r2");

  // Errors, each with its code.
  CHECK(sdk.CreateEndpoint(t, req).status().reason() == "name_taken");
  CHECK(sdk.CreateEndpoint(t, EndpointRequest("unknown-model", "gpt-5")).status().reason() == "validation_failed");
  Endpoint too_big = EndpointRequest("too-big", "qwen2.5-72b-instruct");
  too_big.spec.gpus_per_replica = 1;  // 80 GiB cannot hold a 72B model
  const Status small_gpus = sdk.CreateEndpoint(t, too_big).status();
  CHECK(small_gpus.reason() == "validation_failed");
  CHECK(std::any_of(small_gpus.violations().begin(), small_gpus.violations().end(),
                    [](const FieldViolation& v) { return v.field == "spec.gpus_per_replica"; }));
  Endpoint backwards = EndpointRequest("backwards");
  backwards.spec.min_replicas = 3;
  backwards.spec.max_replicas = 1;
  CHECK(sdk.CreateEndpoint(t, backwards).status().reason() == "validation_failed");
  CHECK(viewer.CreateEndpoint(t, EndpointRequest("viewer")).status().code() == StatusCode::kPermissionDenied);
  const EndpointId nobody = EndpointId::Parse("ep_01aaaaaaaaaaaaaaaaaaaaaaaa").value();
  CHECK(sdk.GetEndpoint(t, nobody).status().code() == StatusCode::kNotFound);
  CHECK(sdk.CreateChatCompletion(t, nobody, Ask("hi")).status().code() == StatusCode::kNotFound);

  // Delete: Deleting at once, then Deleted; the name is free again.
  const Endpoint deleting = Ok(sdk.DeleteEndpoint(t, created.id));
  CHECK((deleting.status.phase == "Deleting" || deleting.status.phase == "Deleted"));
  CHECK(deleting.deletion_requested_at.has_value());
  const Status while_deleting = sdk.WaitForEndpoint(t, created.id, endpoint_phases::kReady, Fast()).status();
  CHECK(while_deleting.reason() == "endpoint_deleted");
  const Endpoint gone = Ok(sdk.WaitForEndpoint(t, created.id, endpoint_phases::kDeleted, Fast()));
  CHECK(gone.deleted_at.has_value());
  CHECK(sdk.CreateChatCompletion(t, created.id, Ask("hi")).status().code() != StatusCode::kOk);
  for (const Replica& r : Ok(CollectAll(sdk.ListEndpointReplicas(t, created.id)))) CHECK(r.phase != "Ready");
}

TEST_CASE("an endpoint in use keeps its custom model, quotas bound endpoints", "[sdk][e2e][inference][endpoints]") {
  auto c = InferenceCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  SetQuotasRequest limits;
  limits.limits["endpoints"] = 1;
  Ok(OperatorClient(*c).SetQuotas(t, limits));

  const Model m = Ok(sdk.CreateCustomModel(t, CustomModel("acme-support", "s3://kr-central-1/acme/support/")));
  const ModelId mid = ModelId::Parse(m.id).value();
  const Endpoint e = Ok(sdk.CreateEndpoint(t, EndpointRequest("custom", m.id)));
  Ok(sdk.WaitForEndpoint(t, e.id, endpoint_phases::kReady, Fast()));
  CHECK(Ok(sdk.CreateChatCompletion(t, e.id, Ask("hello"))).model == m.id);
  const Status in_use = sdk.DeleteCustomModel(t, mid);
  CHECK(in_use.reason() == "model_in_use");
  CHECK(in_use.http_status() == 409);

  const Status over = sdk.CreateEndpoint(t, EndpointRequest("second")).status();
  CHECK(over.reason() == "quota_exceeded");
  CHECK(over.code() == StatusCode::kFailedPrecondition);
  CHECK(over.extra("dimension") == "\"endpoints\"");

  Ok(sdk.DeleteEndpoint(t, e.id));
  Ok(sdk.WaitForEndpoint(t, e.id, endpoint_phases::kDeleted, Fast()));
  Ok(sdk.DeleteCustomModel(t, mid));
}

TEST_CASE("a chat call wakes an endpoint scaled to zero, the SDK waits out its 503s", "[sdk][e2e][inference][endpoints]") {
  auto c = InferenceCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"));
  Endpoint req = EndpointRequest("sleepy");
  req.spec.min_replicas = 0;
  req.spec.max_replicas = 1;
  // Longer than the Retry-After of a wake-up (10 s), so the woken endpoint is still awake when
  // the caller comes back.
  req.spec.autoscaling.scale_to_zero_after_seconds = 12;
  const Endpoint e = Ok(sdk.CreateEndpoint(t, req));
  const Endpoint asleep = Ok(sdk.WaitForEndpoint(t, e.id, endpoint_phases::kScaledToZero, Fast()));
  CHECK(asleep.status.ready_replicas == 0);

  // Without retries the caller sees the 503, its Retry-After and its code; the call still
  // wakes the endpoint.
  const Client once = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"),
                                [](ClientOptions& o) { o.retry.max_attempts = 1; });
  const RawResponse woke = Ok(once.Raw(RawRequest{
      .method = "POST",
      .target = "/v1/tenants/" + tid + "/endpoints/" + e.id.str() + "/v1/chat/completions",
      .body = R"({"messages":[{"role":"user","content":"are you there?"}]})"}));
  CHECK(woke.status == 503);
  CHECK(woke.Header("Retry-After").has_value());
  const Status asleep_status = woke.ToStatus();
  CHECK(asleep_status.code() == StatusCode::kUnavailable);
  CHECK(asleep_status.reason() == "endpoint_scaled_to_zero");

  // With them, the SDK waits out Retry-After until a replica answers.
  const Client patient = SdkClient(c->address(), c->CreateKey(tid, "tenant-member"), [](ClientOptions& o) {
    o.retry.max_attempts = 30;
    o.request_timeout = std::chrono::seconds(60);
  });
  const ChatCompletion answer = Ok(patient.CreateChatCompletion(t, e.id, Ask("are you there now?")));
  CHECK(answer.usage.completion_tokens > 0);
  const Endpoint awake = Ok(sdk.GetEndpoint(t, e.id));
  CHECK(awake.status.ready_replicas == 1);
  CHECK(awake.status.last_request_at.has_value());
}

TEST_CASE("operators put simulated traffic on an endpoint and clear it", "[sdk][e2e][inference][sim]") {
  auto c = InferenceCloud();
  const std::string tid = c->CreateTenant("acme");
  const TenantId t = Tid(tid);
  const Client sdk = SdkClient(c->address(), c->CreateKey(tid, "tenant-admin"));
  const Client op = OperatorClient(*c);
  Endpoint req = EndpointRequest("busy");
  req.spec.max_replicas = 3;
  req.spec.autoscaling.target = 2;
  const Endpoint e = Ok(sdk.CreateEndpoint(t, req));
  Ok(sdk.WaitForEndpoint(t, e.id, endpoint_phases::kReady, Fast()));

  const SimEndpointProfile set =
      Ok(op.SetSimEndpointProfile(e.id, SimEndpointProfile{.concurrency = 6, .duration_seconds = 120}));
  CHECK(set.concurrency == 6);
  REQUIRE(set.until.has_value());
  CHECK(*set.until > std::chrono::system_clock::now() + std::chrono::seconds(60));
  CHECK(sdk.SetSimEndpointProfile(e.id, SimEndpointProfile{.concurrency = 1}).status().code() ==
        StatusCode::kPermissionDenied);
  CHECK(sdk.ClearSimEndpointProfile(e.id).code() == StatusCode::kPermissionDenied);
  const EndpointId nobody = EndpointId::Parse("ep_01aaaaaaaaaaaaaaaaaaaaaaaa").value();
  CHECK(op.SetSimEndpointProfile(nobody, SimEndpointProfile{.concurrency = 1}).status().code() ==
        StatusCode::kNotFound);

  // 6 in flight at a target of 2 per replica: the autoscaler wants 3 (its max).
  REQUIRE(WaitUntil(
      [&] {
        auto now = sdk.GetEndpoint(t, e.id);
        return now.ok() && now->status.desired_replicas == 3;
      },
      std::chrono::seconds(30)));

  Ok(op.ClearSimEndpointProfile(e.id));
  CHECK(op.ClearSimEndpointProfile(e.id).code() == StatusCode::kNotFound);  // none left
  REQUIRE(WaitUntil(
      [&] {
        auto now = sdk.GetEndpoint(t, e.id);
        return now.ok() && now->status.desired_replicas == 1;
      },
      std::chrono::seconds(30)));
}
