// Wire types of the GPU fleet (operator-only): nodes, their bookings, and what draining does.
// Shared by gaond and the SDK; Fields() lists drive the JSON codecs in json_io.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gaon/model/json_io.h"
#include "gaon/time.h"

namespace gaon {

struct NodeCapacity {
  std::int64_t gpus = 0;
  std::int64_t vcpus = 0;
  std::int64_t memory_gib = 0;
  template <class V>
  void Fields(V& v) {
    v("gpus", gpus);
    v("vcpus", vcpus);
    v("memory_gib", memory_gib);
  }
};

// A GPU host. Its id is its host name ("kr-central-1a-h100-03"): operators read it on racks
// and in alerts. State: Ready (takes new work), Cordoned (keeps what runs, takes nothing new),
// Down (unreachable: what ran there has failed).
struct Node {
  std::string id;
  std::string zone;
  std::string gpu_type;
  NodeCapacity capacity;
  NodeCapacity allocated;
  std::string state;
  std::optional<std::string> down_reason;
  std::int64_t instances = 0;  // instances placed here
  std::optional<Timestamp> heartbeat_at;
  Labels labels;
  Timestamp created_at{};
  Timestamp updated_at{};
  std::int64_t resource_version = 0;
  template <class V>
  void Fields(V& v) {
    v("id", id, Field::kOutputOnly);
    v("zone", zone, Field::kOutputOnly);
    v("gpu_type", gpu_type, Field::kOutputOnly);
    v("capacity", capacity, Field::kOutputOnly);
    v("allocated", allocated, Field::kOutputOnly);
    v("state", state, Field::kOutputOnly);
    v("down_reason", down_reason, Field::kOutputOnly);
    v("instances", instances, Field::kOutputOnly);
    v("heartbeat_at", heartbeat_at, Field::kOutputOnly);
    v("labels", labels, Field::kOutputOnly);
    v("created_at", created_at, Field::kOutputOnly);
    v("updated_at", updated_at, Field::kOutputOnly);
    v("resource_version", resource_version, Field::kOutputOnly);
  }
};

// POST /v1/admin/nodes/{node}:drain. The node is cordoned, then what runs there is moved
// ("reschedule": each instance is stopped here and placed again elsewhere, as a stop/start
// would) or stopped ("stop": the tenant starts it again when it likes).
struct DrainRequest {
  std::string policy = "reschedule";
  template <class V>
  void Fields(V& v) {
    v("policy", policy);
  }
};

struct DrainResult {
  Node node;
  std::vector<std::string> instances;  // the instances the drain acts on
  template <class V>
  void Fields(V& v) {
    v("node", node);
    v("instances", instances);
  }
};

// POST /v1/admin/sim/nodes/{node}:fail — the simulated host stops answering.
struct SimFailRequest {
  std::string reason = "simulated hardware failure";
  template <class V>
  void Fields(V& v) {
    v("reason", reason);
  }
};

}  // namespace gaon
