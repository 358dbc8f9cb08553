// End-to-end: the real gaonctl binary against a real gaond for open models and inference
// endpoints — the catalog, operators' edits, custom models, endpoints from create to delete
// with a chat answer and a new revision, simulated traffic, and the exit codes of their errors.
#include <sstream>

#include "tests/cli/cli_support.h"
#include "tests/support/gaond_process.h"

namespace gaon::test {
namespace {

namespace json = boost::json;

std::string S(const json::value& v) { return std::string(v.as_string()); }

// Runs `run` once; requires its exit code to be `expected`, printing its output when not.
#define EXPECT_EXIT(run, expected)                   \
  do {                                               \
    const CliResult expect_exit_result_ = (run);     \
    INFO(Describe(expect_exit_result_));             \
    REQUIRE(expect_exit_result_.code == (expected)); \
  } while (0)

// A cloud whose simulated replicas start at once and whose autoscaler looks often: 2 H100
// hosts in kr-central-1a.
std::unique_ptr<TestCloud> InferenceCloud() {
  return TestCloud::Start(
      {.env = {{"GAON_SIM_FLEET_FILE",
                TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2))},
               {"GAON_SIM_REPLICA_START_TIME", "0s"},
               {"GAON_SIM_MODEL_LOAD_TIME_PER_BILLION", "0s"},
               {"GAON_CONTROLLER_AUTOSCALE_INTERVAL", "100ms"},
               {"GAON_CONTROLLER_AUTOSCALE_PANIC_WINDOW", "500ms"},
               {"GAON_CONTROLLER_AUTOSCALE_STABLE_WINDOW", "2s"}}});
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("gaonctl reads the model catalog, operators add and deprecate models, tenants register their own",
          "[cli][e2e][inference][models]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl member(c->address(), c->CreateKey(t, "tenant-member"));

  auto table = member({"models", "list"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find("exaone-3.5-2.4b-instruct") != std::string::npos);
  CHECK(table.out.find("2.4B") != std::string::npos);  // parameters, for people
  auto thai = member({"models", "list", "--language", "th", "-o", "name"});
  EXPECT_EXIT(thai, 0);
  CHECK_FALSE(thai.out.empty());
  CHECK(thai.out.find("exaone") == std::string::npos);
  auto paged = member({"models", "list", "--page-size", "2", "-o", "json"});
  EXPECT_EXIT(paged, 0);
  CHECK(paged.Json().at("items").as_array().size() == Lines(member({"models", "list", "-o", "name"}).out).size());
  CHECK(Lines(member({"models", "list", "--limit", "2", "-o", "name"}).out).size() == 2);
  auto yaml = member({"models", "get", "exaone-3.5-2.4b-instruct", "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("parameters_millions: 2400") != std::string::npos);
  EXPECT_EXIT(member({"models", "get", "gpt-5"}), 3);

  // Operators add (exit 0), a second time conflicts (4); tenants may not (5).
  const std::vector<std::string> add = {"models", "create", "sea-lion-v3.5-8b-r", "--display-name", "SEA-LION v3.5 8B R",
                                        "--parameters", "8B", "--min-gpu-memory-gib", "24", "--runtime", "vllm",
                                        "--runtime", "tgi", "--language", "th", "--language", "id",
                                        "--runtime-arg=--max-model-len=32768", "-o", "json"};
  auto added = op(add);
  EXPECT_EXIT(added, 0);
  CHECK(added.Json().at("parameters_millions").as_int64() == 8000);
  CHECK(S(added.Json().at("default_runtime_args").at(0)) == "--max-model-len=32768");
  EXPECT_EXIT(op(add), 4);
  EXPECT_EXIT(member(add), 5);
  EXPECT_EXIT(op({"models", "create", "x", "--display-name", "X", "--parameters", "lots", "--min-gpu-memory-gib", "8",
                  "--runtime", "vllm"}),
              2);
  auto bad_runtime = op({"models", "create", "x", "--display-name", "X", "--parameters", "1B", "--min-gpu-memory-gib",
                         "8", "--runtime", "llama.cpp"});
  EXPECT_EXIT(bad_runtime, 1);
  CHECK(bad_runtime.err.find("validation_failed") != std::string::npos);
  auto deprecated = op({"models", "update", "sea-lion-v3.5-8b-r", "--status", "deprecated", "-o", "json"});
  EXPECT_EXIT(deprecated, 0);
  CHECK(S(deprecated.Json().at("status")) == "deprecated");
  CHECK(S(deprecated.Json().at("display_name")) == "SEA-LION v3.5 8B R");
  EXPECT_EXIT(op({"models", "update", "gpt-5", "--status", "deprecated"}), 3);
  EXPECT_EXIT(op({"models", "update", "sea-lion-v3.5-8b-r", "--status", "retired"}), 2);

  // A tenant's own model: in its jurisdiction it is registered, abroad it is refused.
  const std::vector<std::string> reg = {"models", "register", "acme-support", "--parameters", "2.4B",
                                        "--min-gpu-memory-gib", "16", "--runtime", "vllm", "--language", "ko"};
  auto mine = member([&] {
    auto a = reg;
    a.insert(a.end(), {"--artifact-uri", "s3://kr-central-1/acme/support/", "-o", "name"});
    return a;
  }());
  EXPECT_EXIT(mine, 0);
  const std::string mid = Lines(mine.out).at(0);
  CHECK(mid.rfind("mdl_", 0) == 0);
  auto abroad = member([&] {
    auto a = reg;
    a[2] = "abroad";
    a.insert(a.end(), {"--artifact-uri", "s3://sg-singapore-1-partner/acme/support/"});
    return a;
  }());
  EXPECT_EXIT(abroad, 1);
  CHECK(abroad.err.find("artifact_outside_jurisdiction") != std::string::npos);
  CHECK(abroad.err.find("artifact_uri") != std::string::npos);  // the field, named
  CHECK(abroad.err.find("HTTP 422") != std::string::npos);
  CHECK(abroad.err.find("request id:") != std::string::npos);
  CHECK(member({"models", "list", "--custom", "-o", "name"}).out == mid + "\n");
  CHECK(member({"models", "list", "-o", "name"}).out.find(mid) == std::string::npos);
  auto got = member({"models", "get", mid, "-o", "json"});
  EXPECT_EXIT(got, 0);
  CHECK(S(got.Json().at("artifact_uri")) == "s3://kr-central-1/acme/support/");
  CHECK(S(got.Json().at("tenant_id")) == t);
  EXPECT_EXIT(member({"models", "list", "--custom", "--language", "ko"}), 2);
  EXPECT_EXIT(member({"models", "delete", mid}), 2);  // no terminal: --yes needed
  EXPECT_EXIT(member({"models", "delete", "exaone-3.5-2.4b-instruct", "--yes"}), 2);  // catalog ids are not custom
  EXPECT_EXIT(member({"models", "delete", mid, "--yes"}), 0);
  EXPECT_EXIT(member({"models", "get", mid}), 3);
}

TEST_CASE("gaonctl deploys an endpoint, chats with it, rolls out a revision and deletes it", "[cli][e2e][inference][endpoints]") {
  auto c = InferenceCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-member"));
  Gaonctl viewer(c->address(), c->CreateKey(t, "tenant-viewer"));

  auto dry = ctl({"endpoints", "create", "chat", "--model", "exaone-3.5-2.4b-instruct", "--gpu-type", "h100-80gb-sxm",
                  "--min-replicas", "1", "--max-replicas", "2", "--dry-run", "-o", "json"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.Json().at("spec").at("max_replicas").as_int64() == 2);
  CHECK(ctl({"endpoints", "list", "-o", "name"}).out.empty());

  auto created = ctl({"endpoints", "create", "chat", "--model", "exaone-3.5-2.4b-instruct", "--gpu-type", "h100-80gb-sxm",
                      "--min-replicas", "1", "--max-replicas", "2", "--target", "4", "--metric", "concurrency", "-l",
                      "team=cx", "--wait", "--wait-timeout", "60", "-o", "json"});
  EXPECT_EXIT(created, 0);
  const std::string id = S(created.Json().at("id"));
  CHECK(S(created.Json().at("status").at("phase")) == "Ready");
  CHECK(created.Json().at("spec").at("autoscaling").at("target").as_int64() == 4);
  CHECK(S(created.Json().at("status").at("url")).find("/v1/tenants/" + t + "/endpoints/" + id) != std::string::npos);

  auto table = viewer({"endpoints", "list"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find("Ready") != std::string::npos);
  CHECK(table.out.find("exaone-3.5-2.4b-instruct") != std::string::npos);
  CHECK(viewer({"endpoints", "list", "-l", "team=cx", "-o", "name"}).out == id + "\n");
  CHECK(viewer({"endpoints", "list", "--phase", "Failed", "-o", "name"}).out.empty());
  auto get = viewer({"endpoints", "get", id});
  EXPECT_EXIT(get, 0);
  CHECK(get.out.find("/v1/chat/completions") != std::string::npos);
  CHECK(viewer({"endpoints", "get", id, "-o", "wide"}).out.find("1x h100-80gb-sxm") != std::string::npos);
  auto replicas = viewer({"endpoints", "replicas", id, "-o", "json"});
  EXPECT_EXIT(replicas, 0);
  REQUIRE_FALSE(replicas.Json().at("items").as_array().empty());
  CHECK(viewer({"endpoints", "replicas", id}).out.find("Ready") != std::string::npos);

  // chat: the answer's text on stdout, the tokens on stderr; -o json is the whole completion.
  auto chat = ctl({"endpoints", "chat", id, "안녕하세요, 오늘 날씨 어때요?", "--max-tokens", "16"});
  EXPECT_EXIT(chat, 0);
  CHECK_FALSE(chat.out.empty());
  CHECK(chat.err.find("completion tokens") != std::string::npos);
  CHECK(chat.err.find("gaon-sim-r1") != std::string::npos);
  auto chat_json = ctl({"endpoints", "chat", id, "-", "--system", "Answer briefly.", "-o", "json"}, {}, "Hello?\n");
  EXPECT_EXIT(chat_json, 0);
  const json::value completion = chat_json.Json();
  CHECK(completion.at("usage").at("prompt_tokens").as_int64() > 0);
  CHECK(completion.at("usage").at("completion_tokens").as_int64() > 0);
  CHECK(S(completion.at("choices").at(0).at("message").at("role")) == "assistant");
  EXPECT_EXIT(viewer({"endpoints", "chat", id, "hi"}), 5);

  // update: a new revision, rolled out; a stale --if-match conflicts.
  const std::int64_t version = created.Json().at("resource_version").as_int64();
  auto updated = ctl({"endpoints", "update", id, "--runtime-version", "0.8.5", "--target", "6", "--if-match",
                      std::to_string(version), "--wait", "--wait-timeout", "60", "-o", "json"});
  EXPECT_EXIT(updated, 0);
  CHECK(updated.Json().at("generation").as_int64() == 2);
  CHECK(S(updated.Json().at("spec").at("runtime_version")) == "0.8.5");
  CHECK(updated.Json().at("spec").at("autoscaling").at("target").as_int64() == 6);
  CHECK(S(updated.Json().at("spec").at("autoscaling").at("metric")) == "concurrency");  // kept
  EXPECT_EXIT(ctl({"endpoints", "update", id, "--max-replicas", "3", "--if-match", std::to_string(version)}), 4);
  EXPECT_EXIT(ctl({"endpoints", "update", id}), 2);  // nothing to change
  REQUIRE(WaitUntil(
      [&] {
        auto r = viewer({"endpoints", "revisions", id, "-o", "json"});
        if (r.code != 0) return false;
        const json::value v = r.Json();
        const auto& items = v.at("items").as_array();
        return items.size() == 2 && S(items.at(1).at("state")) == "Active";
      },
      std::chrono::seconds(60)));
  auto revisions = viewer({"endpoints", "revisions", id});
  CHECK(revisions.out.find("Superseded") != std::string::npos);
  CHECK(viewer({"endpoints", "revisions", id, "-o", "name"}).out == "1\n2\n");

  // Errors and their exit codes.
  EXPECT_EXIT(ctl({"endpoints", "get", "not-an-id"}), 2);
  EXPECT_EXIT(ctl({"endpoints", "get", "ep_01aaaaaaaaaaaaaaaaaaaaaaaa"}), 3);
  EXPECT_EXIT(ctl({"endpoints", "create", "chat", "--model", "exaone-3.5-2.4b-instruct", "--gpu-type", "h100-80gb-sxm"}),
              4);  // name_taken
  auto too_big = ctl({"endpoints", "create", "big", "--model", "qwen2.5-72b-instruct", "--gpu-type", "h100-80gb-sxm"});
  EXPECT_EXIT(too_big, 1);
  CHECK(too_big.err.find("spec.gpus_per_replica") != std::string::npos);
  EXPECT_EXIT(ctl({"endpoints", "create", "x", "--model", "exaone-3.5-2.4b-instruct"}), 2);  // --gpu-type missing
  EXPECT_EXIT(ctl({"endpoints", "create", "x", "--model", "m", "--gpu-type", "g", "--metric", "latency"}), 2);
  EXPECT_EXIT(op({"quotas", "set", "endpoints=1"}), 0);
  auto over = ctl({"endpoints", "create", "second", "--model", "exaone-3.5-2.4b-instruct", "--gpu-type", "h100-80gb-sxm"});
  EXPECT_EXIT(over, 4);
  CHECK(over.err.find("quota_exceeded") != std::string::npos);

  // delete asks; --yes --wait returns once it is Deleted.
  EXPECT_EXIT(ctl({"endpoints", "delete", id}), 2);
  auto deleted = ctl({"endpoints", "delete", id, "--yes", "--wait", "--wait-timeout", "60", "-o", "json"});
  EXPECT_EXIT(deleted, 0);
  CHECK(S(deleted.Json().at("status").at("phase")) == "Deleted");
  EXPECT_EXIT(ctl({"endpoints", "wait", id, "--for", "Deleted", "--timeout", "5"}), 0);
  EXPECT_EXIT(ctl({"endpoints", "wait", id, "--for", "Ready", "--timeout", "5"}), 4);  // deleted: never Ready
}

TEST_CASE("gaonctl puts simulated traffic on an endpoint and clears it, only operators may", "[cli][e2e][inference][sim]") {
  auto c = InferenceCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-admin"));
  auto created = ctl({"endpoints", "create", "busy", "--model", "exaone-3.5-2.4b-instruct", "--gpu-type",
                      "h100-80gb-sxm", "--max-replicas", "3", "--target", "2", "--wait", "--wait-timeout", "60", "-o",
                      "name"});
  EXPECT_EXIT(created, 0);
  const std::string id = Lines(created.out).at(0);

  auto dry = op({"sim", "traffic", id, "--concurrency", "6", "--duration", "2m", "--dry-run", "-o", "json"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.Json().at("duration_seconds").as_int64() == 120);
  auto set = op({"sim", "traffic", id, "--concurrency", "6", "--duration", "2m", "-o", "json"});
  EXPECT_EXIT(set, 0);
  CHECK(set.Json().at("concurrency").as_int64() == 6);
  CHECK(set.Json().at("until").is_string());
  auto table = op({"sim", "traffic", id, "--concurrency", "6", "--rps", "10"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.find(id) != std::string::npos);
  REQUIRE(WaitUntil(
      [&] {
        auto e = ctl({"endpoints", "get", id, "-o", "json"});
        return e.code == 0 && e.Json().at("status").at("desired_replicas").as_int64() == 3;
      },
      std::chrono::seconds(30)));

  EXPECT_EXIT(ctl({"sim", "traffic", id, "--concurrency", "1"}), 5);
  EXPECT_EXIT(op({"sim", "traffic", "ep_01aaaaaaaaaaaaaaaaaaaaaaaa", "--concurrency", "1"}), 3);
  EXPECT_EXIT(op({"sim", "traffic", id, "--fail-revision", "2"}), 2);  // no terminal: --yes needed
  EXPECT_EXIT(op({"sim", "traffic", id, "--clear", "--rps", "5"}), 2);
  EXPECT_EXIT(op({"sim", "traffic", id, "--duration", "soon"}), 2);
  auto cleared = op({"sim", "traffic", id, "--clear"});
  EXPECT_EXIT(cleared, 0);
  CHECK(cleared.err.find("cleared") != std::string::npos);
  EXPECT_EXIT(op({"sim", "traffic", id, "--clear"}), 3);  // none left
}

}  // namespace gaon::test
