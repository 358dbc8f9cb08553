// Wire types for the region's catalog, SSH keys, quotas, GPU instances and the change feed.
// Shared by gaond and the SDK; Fields() lists drive the JSON codecs in json_io.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/ids.h"
#include "gaon/model/billing.h"
#include "gaon/model/json_io.h"
#include "gaon/model/tenancy.h"
#include "gaon/time.h"

namespace gaon {

// ---------------------------------------------------------------- catalog

struct Zone {
  std::string id;  // "kr-central-1a"
  std::string display_name;
  std::string status = "available";  // available | unavailable
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("display_name", display_name);
    v("status", status);
  }
};

// A place in object storage the region can read model weights from, and the country its
// data stays in. A tenant's custom model must live in one within the tenant's jurisdiction.
struct ObjectStorageLocation {
  std::string id;
  std::string uri_prefix;    // "s3://kr-central-1-models/"
  std::string jurisdiction;  // ISO 3166-1 alpha-2
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("uri_prefix", uri_prefix);
    v("jurisdiction", jurisdiction);
  }
};

struct Region {
  std::string id;  // "kr-central-1"
  std::string display_name;
  std::string jurisdiction;  // ISO 3166-1 alpha-2: where this region's data and workloads stay
  std::string time_zone;     // IANA, e.g. "Asia/Seoul"
  std::vector<Zone> zones;
  std::vector<ObjectStorageLocation> object_storage;
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("display_name", display_name);
    v("jurisdiction", jurisdiction);
    v("time_zone", time_zone);
    v("zones", zones);
    v("object_storage", object_storage);
  }
};

struct GpuType {
  std::string id;  // "h100-80gb-sxm"
  std::string display_name;
  std::string vendor;
  std::string architecture;
  int memory_gib = 0;
  std::string interconnect;  // "nvlink", "pcie"
  std::vector<std::string> mig_profiles;  // empty: no MIG
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("display_name", display_name);
    v("vendor", vendor);
    v("architecture", architecture);
    v("memory_gib", memory_gib);
    v("interconnect", interconnect);
    v("mig_profiles", mig_profiles);
  }
};

// How many more instances of a type one zone could place now.
struct ZoneAvailability {
  std::string zone;
  std::int64_t available = 0;
  template <class V>
  void Fields(V& v) {
    v("zone", zone);
    v("available", available);
  }
};

struct InstanceType {
  std::string id;  // "gpu.h100.8x"
  std::string display_name;
  std::string gpu_type;
  int gpu_count = 0;
  int vcpus = 0;
  int memory_gib = 0;
  int local_nvme_gib = 0;
  int network_gbps = 0;
  bool available = true;  // offered at all (operators can withdraw a type)
  std::vector<ZoneAvailability> availability;
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("display_name", display_name);
    v("gpu_type", gpu_type);
    v("gpu_count", gpu_count);
    v("vcpus", vcpus);
    v("memory_gib", memory_gib);
    v("local_nvme_gib", local_nvme_gib);
    v("network_gbps", network_gbps);
    v("available", available);
    v("availability", availability);
  }
};

struct Image {
  std::string id;  // "ubuntu-22.04-cuda-12.4"
  std::string display_name;
  std::string os;
  std::string os_version;
  std::string cuda_version;
  std::string driver_version;
  std::vector<std::string> gpu_types;  // empty: every GPU type
  std::string status = "available";    // available | deprecated
  template <class V>
  void Fields(V& v) {
    v("id", id);
    v("display_name", display_name);
    v("os", os);
    v("os_version", os_version);
    v("cuda_version", cuda_version);
    v("driver_version", driver_version);
    v("gpu_types", gpu_types);
    v("status", status);
  }
};

// An open model the region can serve. Catalog models have readable ids
// ("exaone-3.5-32b-instruct"); a tenant's custom models have ids "mdl_…" and an artifact in
// the region's object storage.
struct Model {
  std::string id;
  std::string display_name;
  std::string publisher;
  std::string family;                    // "EXAONE", "Qwen", …
  std::int64_t parameters_millions = 0;  // 32000 for a 32B model
  std::string license;                   // SPDX id or the publisher's licence name
  std::vector<std::string> languages;    // BCP 47: "ko", "th", "en", …
  int context_length = 0;                // tokens
  int min_gpu_memory_gib = 0;            // all GPUs of one replica together (weights + KV cache)
  std::vector<std::string> runtimes;     // vllm | tgi | triton
  std::vector<std::string> default_runtime_args;
  std::string status = "available";     // available | deprecated (no new endpoints)
  std::optional<std::string> artifact_uri;  // custom models only: where the weights are
  std::optional<TenantId> tenant_id;        // custom models only
  std::optional<Timestamp> created_at;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("display_name", display_name, Field::kRequired);
    v("publisher", publisher);
    v("family", family);
    v("parameters_millions", parameters_millions, Field::kRequired);
    v("license", license);
    v("languages", languages);
    v("context_length", context_length);
    v("min_gpu_memory_gib", min_gpu_memory_gib, Field::kRequired);
    v("runtimes", runtimes, Field::kRequired);
    v("default_runtime_args", default_runtime_args);
    v("status", status);
    v("artifact_uri", artifact_uri);
    v("tenant_id", tenant_id, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
  }
};

// What the catalog file holds: the region this deployment serves and what it offers.
struct Catalog {
  Region region;
  std::vector<GpuType> gpu_types;
  std::vector<InstanceType> instance_types;
  std::vector<Image> images;
  std::vector<Model> models;
  BillingCatalog billing;
};

// ---------------------------------------------------------------- SSH keys

struct SshKey {
  SshKeyId id;
  std::string name;
  std::string public_key;   // OpenSSH format: "ssh-ed25519 AAAA… comment"
  std::string key_type;     // ssh-ed25519 | ecdsa-sha2-nistp256/384/521 | ssh-rsa
  std::string fingerprint;  // "SHA256:…" as ssh-keygen -l prints it
  int bits = 0;
  std::string comment;
  Labels labels;
  Timestamp created_at{};
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("name", name, Field::kRequired);
    v("public_key", public_key, Field::kRequired);
    v("key_type", key_type, Field::kOutputOnly);
    v("fingerprint", fingerprint, Field::kOutputOnly);
    v("bits", bits, Field::kOutputOnly);
    v("comment", comment, Field::kOutputOnly);
    v("labels", labels);
    v("created_at", created_at, Field::kOutputOnly);
  }
};

// ---------------------------------------------------------------- quotas

struct Quota {
  std::string dimension;  // instances | gpus | gpus.<gpu type> | vcpus | memory_gib | endpoints
  std::int64_t limit = 0;
  std::int64_t used = 0;
  std::int64_t remaining = 0;  // max(0, limit − used)
  template <class V>
  void Fields(V& v) {
    v("dimension", dimension);
    v("limit", limit);
    v("used", used);
    v("remaining", remaining);
  }
};

struct QuotaList {
  std::vector<Quota> items;
  template <class V>
  void Fields(V& v) {
    v("items", items);
  }
};

// PUT /v1/admin/tenants/{tenant}/quotas: limits to set; others are unchanged. A per-GPU-type
// dimension set to null is removed (only the overall gpus limit then applies).
struct SetQuotasRequest {
  std::map<std::string, std::optional<std::int64_t>> limits;
  template <class V>
  void Fields(V& v) {
    v("limits", limits, Field::kRequired);
  }
};

enum class QuotaRequestState { kPending, kApproved, kDenied, kCancelled };
GAON_WIRE_ENUM(QuotaRequestState);

struct QuotaRequest {
  QuotaRequestId id;
  TenantId tenant_id;
  std::string dimension;
  std::int64_t requested_limit = 0;  // the new limit asked for
  std::string reason;
  QuotaRequestState state = QuotaRequestState::kPending;
  std::optional<std::int64_t> previous_limit;
  std::optional<std::int64_t> approved_limit;
  std::optional<std::string> decision_note;
  std::string requested_by;
  std::optional<std::string> decided_by;
  std::optional<Timestamp> decided_at;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::int64_t resource_version = 0;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("tenant_id", tenant_id, Field::kOutputOnly);
    v("dimension", dimension, Field::kRequired);
    v("requested_limit", requested_limit, Field::kRequired);
    v("reason", reason, Field::kRequired);
    v("state", state, Field::kOutputOnly);
    v("previous_limit", previous_limit, Field::kOutputOnly);
    v("approved_limit", approved_limit, Field::kOutputOnly);
    v("decision_note", decision_note, Field::kOutputOnly);
    v("requested_by", requested_by, Field::kOutputOnly);
    v("decided_by", decided_by, Field::kOutputOnly);
    v("decided_at", decided_at, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// POST …/quota-requests/{request}:approve (limit optional: defaults to the one requested) and
// :deny.
struct QuotaDecision {
  std::optional<std::int64_t> limit;
  std::string note;
  template <class V>
  void Fields(V& v) {
    v("limit", limit);
    v("note", note);
  }
};

// ---------------------------------------------------------------- instances

struct Condition {
  std::string type;    // Scheduled, Ready, Unschedulable, …
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;  // CamelCase
  std::string message;
  Timestamp last_transition_time{};
  std::int64_t observed_generation = 0;
  template <class V>
  void Fields(V& v) {
    v("type", type);
    v("status", status);
    v("reason", reason);
    v("message", message);
    v("last_transition_time", last_transition_time);
    v("observed_generation", observed_generation);
  }
};

struct InstanceSpec {
  std::string instance_type;
  std::string image;
  std::optional<std::string> zone;  // any zone of the region when absent
  std::vector<std::string> ssh_key_ids;
  std::string user_data;            // cloud-init; accepted, never echoed back
  std::string desired_state = "running";  // running | stopped (the :stop/:start actions)
  int reboot_requests = 0;                 // bumped by :reboot
  template <class V>
  void Fields(V& v) {
    v("instance_type", instance_type, Field::kRequired);
    v("image", image, Field::kRequired);
    v("zone", zone);
    v("ssh_key_ids", ssh_key_ids);
    v("user_data", user_data, Field::kInputOnly);
    v("desired_state", desired_state, Field::kOutputOnly);
    v("reboot_requests", reboot_requests, Field::kOutputOnly);
  }
};

// Where the region could place an instance right now, when it cannot place this one.
struct PlacementHints {
  std::vector<std::string> zones;           // zones that could place this instance type now
  std::vector<std::string> instance_types;  // other types with the same GPU that could be placed now
  template <class V>
  void Fields(V& v) {
    v("zones", zones);
    v("instance_types", instance_types);
  }
};

struct InstanceStatus {
  std::string phase = "Pending";  // Pending, Scheduled, Provisioning, Running, Stopping,
                                  // Stopped, Starting, Rebooting, Deleting, Deleted, Failed
  std::int64_t observed_generation = 0;
  std::vector<Condition> conditions;
  std::optional<std::string> zone;
  std::optional<std::string> node;
  std::optional<std::string> ip_address;
  std::optional<PlacementHints> placement;
  // While it waits for capacity: its turn in its GPU type's queue (1 = next). Shown when one
  // instance is read, not in lists.
  std::optional<std::int64_t> queue_position;
  std::optional<std::string> failure_reason;  // why it is Failed
  template <class V>
  void Fields(V& v) {
    v("phase", phase);
    v("observed_generation", observed_generation);
    v("conditions", conditions);
    v("zone", zone);
    v("node", node);
    v("ip_address", ip_address);
    v("placement", placement);
    v("queue_position", queue_position);
    v("failure_reason", failure_reason);
  }
};

struct Instance {
  InstanceId id;
  TenantId tenant_id;
  std::string name;
  Labels labels;
  InstanceSpec spec;
  InstanceStatus status;
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

// POST …/instances:bulkCreate: `count` instances alike but for their names, admitted together
// or not at all (EC2 RunInstances' count, Compute Engine's bulkInsert name pattern). Names come
// from `name_pattern`, whose one run of '#' becomes the index, zero-padded to the run's width:
// "worker-###" from start_index 1 gives worker-001, worker-002, …
struct BulkInstanceRequest {
  int count = 0;                 // 1 … 1,000
  std::string name_pattern;
  std::int64_t start_index = 1;  // the first index (≥ 0)
  Labels labels;
  InstanceSpec spec;
  template <class V>
  void Fields(V& v) {
    v("count", count, Field::kRequired);
    v("name_pattern", name_pattern, Field::kRequired);
    v("start_index", start_index);
    v("labels", labels);
    v("spec", spec, Field::kRequired);
  }
};

// The answer to a bulk create: the instances made, in the order of their indexes.
struct BulkInstanceResult {
  std::vector<Instance> items;
  template <class V>
  void Fields(V& v) {
    v("items", items);
  }
};

// PATCH …/instances/{instance}: name and labels (merge: a null label is removed).
struct InstancePatch {
  std::optional<std::string> name;
  std::optional<boost::json::object> labels;
  template <class V>
  void Fields(V& v) {
    v("name", name);
    v("labels", labels);
  }
};

struct InstanceEvent {
  std::int64_t seq = 0;
  Timestamp time{};
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;
  std::optional<std::string> from_phase;
  std::optional<std::string> to_phase;
  template <class V>
  void Fields(V& v) {
    v("seq", seq);
    v("time", time);
    v("type", type);
    v("reason", reason);
    v("message", message);
    v("from_phase", from_phase);
    v("to_phase", to_phase);
  }
};

// ---------------------------------------------------------------- change feed

// One change to a tenant's resources, as GET /v1/tenants/{tenant}/events lists it and watch
// streams it (the SSE event id is `seq`).
struct ChangeEvent {
  std::int64_t seq = 0;
  Timestamp time{};
  std::string type;  // ADDED | MODIFIED | DELETED
  std::string kind;  // instance, …
  std::string resource_id;
  std::int64_t resource_version = 0;
  boost::json::value object;  // the resource after the change
  template <class V>
  void Fields(V& v) {
    v("seq", seq);
    v("time", time);
    v("type", type);
    v("kind", kind);
    v("resource_id", resource_id);
    v("resource_version", resource_version);
    v("object", object);
  }
};

}  // namespace gaon
