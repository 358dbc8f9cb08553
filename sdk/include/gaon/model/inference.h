// Wire types for open models and inference endpoints: the model catalog, tenants' custom
// models, endpoints with their revisions and replicas, the OpenAI-compatible chat call the
// (simulated) data plane answers, and the operator's simulated traffic.
// Shared by gaond and the SDK; Fields() lists drive the JSON codecs in json_io.h.
// docs/endpoints.md has the state machine, the autoscaling rule and rollouts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaon/ids.h"
#include "gaon/model/compute.h"
#include "gaon/model/json_io.h"
#include "gaon/time.h"

namespace gaon {

// ---------------------------------------------------------------- models

// POST /v1/admin/models: a catalog model, with the id the operator chooses.
struct ModelCreate {
  std::string id;
  Model model;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kRequired);
    v("model", model, Field::kRequired);
  }
};

// PATCH /v1/admin/models/{model}: what operators edit on a catalog model; absent = unchanged.
struct ModelPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> license;
  std::optional<std::vector<std::string>> languages;
  std::optional<int> min_gpu_memory_gib;
  std::optional<std::vector<std::string>> runtimes;
  std::optional<std::vector<std::string>> default_runtime_args;
  std::optional<std::string> status;
  template <class V>
  void Fields(V& v) {
    v("display_name", display_name);
    v("license", license);
    v("languages", languages);
    v("min_gpu_memory_gib", min_gpu_memory_gib);
    v("runtimes", runtimes);
    v("default_runtime_args", default_runtime_args);
    v("status", status);
  }
};

// ---------------------------------------------------------------- endpoints

struct AutoscalingSpec {
  std::string metric = "concurrency";  // concurrency (in-flight requests per replica) | rps (requests/s per replica)
  int target = 8;                      // per replica
  int scale_to_zero_after_seconds = 300;  // idle time before min_replicas 0 takes effect
  template <class V>
  void Fields(V& v) {
    v("metric", metric);
    v("target", target);
    v("scale_to_zero_after_seconds", scale_to_zero_after_seconds);
  }
};

struct EndpointSpec {
  std::string model;                      // a catalog model id or a custom model's mdl_… id
  std::string runtime = "vllm";           // vllm | tgi | triton, one the model supports
  std::string runtime_version = "latest";
  std::vector<std::string> runtime_args;  // empty: the model's defaults
  std::string gpu_type;                   // "h100-80gb-sxm"
  int gpus_per_replica = 1;               // tensor parallel: 1, 2, 4 or 8
  int min_replicas = 1;                   // 0: scale to zero when idle
  int max_replicas = 1;
  AutoscalingSpec autoscaling;
  std::optional<std::string> zone;        // any zone when absent
  // Percentage of requests the newest revision gets while the previous one keeps serving
  // (a canary). Absent: the new revision replaces the old one completely.
  std::optional<int> canary_percent;
  template <class V>
  void Fields(V& v) {
    v("model", model, Field::kRequired);
    v("runtime", runtime);
    v("runtime_version", runtime_version);
    v("runtime_args", runtime_args);
    v("gpu_type", gpu_type, Field::kRequired);
    v("gpus_per_replica", gpus_per_replica);
    v("min_replicas", min_replicas);
    v("max_replicas", max_replicas);
    v("autoscaling", autoscaling);
    v("zone", zone);
    v("canary_percent", canary_percent);
  }
};

// One revision's share of the endpoint's traffic.
struct TrafficTarget {
  int revision = 0;
  int percent = 0;
  int ready_replicas = 0;
  template <class V>
  void Fields(V& v) {
    v("revision", revision);
    v("percent", percent);
    v("ready_replicas", ready_replicas);
  }
};

struct EndpointStatus {
  std::string phase = "Pending";  // Pending, Deploying, Ready, Degraded, ScaledToZero, Failed, Deleting, Deleted
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  int desired_replicas = 0;  // what the autoscaler wants, within min..max
  int ready_replicas = 0;    // serving, any revision
  int updated_replicas = 0;  // of the latest revision
  std::optional<std::string> url;  // OpenAI-compatible base: POST {url}/v1/chat/completions
  int current_revision = 0;        // the revision fully rolled out (0: none yet)
  int latest_revision = 0;         // the newest revision (the spec's)
  std::vector<TrafficTarget> traffic;
  std::optional<Timestamp> last_request_at;
  std::optional<std::string> failure_reason;
  template <class V>
  void Fields(V& v) {
    v("phase", phase);
    v("observed_generation", observed_generation);
    v("conditions", conditions);
    v("desired_replicas", desired_replicas);
    v("ready_replicas", ready_replicas);
    v("updated_replicas", updated_replicas);
    v("url", url);
    v("current_revision", current_revision);
    v("latest_revision", latest_revision);
    v("traffic", traffic);
    v("last_request_at", last_request_at);
    v("failure_reason", failure_reason);
  }
};

struct Endpoint {
  EndpointId id;
  TenantId tenant_id;
  std::string name;
  Labels labels;
  EndpointSpec spec;
  EndpointStatus status;
  std::int64_t generation = 0;
  std::int64_t resource_version = 0;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::optional<Timestamp> deletion_requested_at;
  std::optional<Timestamp> deleted_at;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("tenant_id", tenant_id, Field::kOutputOnly);
    v("name", name, Field::kRequired);
    v("labels", labels);
    v("spec", spec, Field::kRequired);
    v("status", status, Field::kOutputOnly);
    v("generation", generation, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("deletion_requested_at", deletion_requested_at, Field::kOutputOnly);
    v("deleted_at", deleted_at, Field::kOutputOnly);
  }
};

// PATCH …/endpoints/{endpoint}: a JSON merge patch of name, labels (null removes one) and
// spec (members given replace the current ones; a null canary_percent or zone clears it).
// Any change to spec is a new revision.
struct EndpointPatch {
  std::optional<std::string> name;
  std::optional<boost::json::object> labels;
  std::optional<boost::json::object> spec;
  template <class V>
  void Fields(V& v) {
    v("name", name);
    v("labels", labels);
    v("spec", spec);
  }
};

// What each spec change produced. State: Deploying (being rolled out), Active (serving, the
// current revision), Canary (serving its canary share), Superseded (replaced by a later
// one), RolledBack (its replicas failed to become ready; the previous one serves),
// Failed (it failed with nothing to roll back to).
struct EndpointRevision {
  int revision = 0;
  std::int64_t generation = 0;
  EndpointSpec spec;
  std::string state;
  std::optional<std::string> message;
  int failures = 0;  // replicas of this revision that failed to become ready
  Timestamp created_at{};
  Timestamp updated_at{};
  template <class V>
  void Fields(V& v) {
    v("revision", revision);
    v("generation", generation);
    v("spec", spec);
    v("state", state);
    v("message", message);
    v("failures", failures);
    v("created_at", created_at);
    v("updated_at", updated_at);
  }
};

// One serving copy of a revision, on one node. Phase: Pending (waiting for quota or a node),
// Scheduled, Loading (the model loads), Ready, Failed, Terminating.
struct Replica {
  ReplicaId id;
  EndpointId endpoint_id;
  int revision = 0;
  std::string phase;
  std::optional<std::string> node;
  std::optional<std::string> zone;
  int gpus = 0;
  std::optional<Timestamp> ready_at;
  std::optional<std::string> failure_reason;
  std::optional<std::string> message;  // why it waits, when Pending
  Timestamp created_at{};
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("endpoint_id", endpoint_id);
    v("revision", revision);
    v("phase", phase);
    v("node", node);
    v("zone", zone);
    v("gpus", gpus);
    v("ready_at", ready_at);
    v("failure_reason", failure_reason);
    v("message", message);
    v("created_at", created_at);
  }
};

// ---------------------------------------------------------------- the OpenAI-compatible data plane

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
  template <class V>
  void Fields(V& v) {
    v("role", role, Field::kRequired);
    v("content", content, Field::kRequired);
  }
};

// POST {endpoint url}/v1/chat/completions, the subset of OpenAI's request Gaon's simulated
// runtime understands. Unknown members are refused rather than silently ignored.
struct ChatCompletionRequest {
  std::optional<std::string> model;  // when given, must name the endpoint's model
  std::vector<ChatMessage> messages;
  std::optional<int> max_tokens;
  std::optional<bool> stream;        // only false is supported
  std::optional<std::string> user;
  template <class V>
  void Fields(V& v) {
    v("model", model);
    v("messages", messages, Field::kRequired);
    v("max_tokens", max_tokens);
    v("stream", stream);
    v("user", user);
  }
};

struct ChatChoice {
  int index = 0;
  ChatMessage message;
  std::string finish_reason;  // stop | length
  template <class V>
  void Fields(V& v) {
    v("index", index);
    v("message", message);
    v("finish_reason", finish_reason);
  }
};

struct TokenUsage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  template <class V>
  void Fields(V& v) {
    v("prompt_tokens", prompt_tokens);
    v("completion_tokens", completion_tokens);
    v("total_tokens", total_tokens);
  }
};

struct ChatCompletion {
  std::string id;  // "chatcmpl-…", also the usage events' id
  std::string object = "chat.completion";
  std::int64_t created = 0;  // Unix seconds
  std::string model;
  std::vector<ChatChoice> choices;
  TokenUsage usage;
  std::string system_fingerprint;  // "gaon-sim-r<revision>": which revision answered
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("object", object);
    v("created", created);
    v("model", model);
    v("choices", choices);
    v("usage", usage);
    v("system_fingerprint", system_fingerprint);
  }
};

// ---------------------------------------------------------------- simulated traffic (operators)

// PUT /v1/admin/sim/endpoints/{endpoint}: load the sim driver reports for an endpoint, on top
// of the real requests it answers, and replicas made to fail. DELETE ends the profile.
struct SimEndpointProfile {
  int concurrency = 0;          // in-flight requests across the endpoint
  int requests_per_second = 0;  // across the endpoint
  std::optional<int> duration_seconds;  // the load ends after this long; absent: until removed
  std::vector<int> failing_revisions;   // replicas of these revisions crash while loading
  std::optional<Timestamp> until;       // output: when the load ends
  template <class V>
  void Fields(V& v) {
    v("concurrency", concurrency);
    v("requests_per_second", requests_per_second);
    v("duration_seconds", duration_seconds);
    v("failing_revisions", failing_revisions);
    v("until", until, Field::kOutputOnly);
  }
};

}  // namespace gaon
