// Endpoints repository: endpoints with their revisions (written by the API) and replicas and
// status (written by the controllers), the replica placement queue (the scheduler), and
// what the data plane records per request. Every function runs in the caller's transaction.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/model/inference.h"
#include "storage/database.h"
#include "storage/fleet.h"
#include "storage/query.h"

namespace gaon::storage {

// ---------------------------------------------------------------- the API's side

// Inserts the endpoint with its first revision. AlreadyExists("name_taken") on a live name.
StatusOr<Endpoint> InsertEndpoint(Tx& tx, const Endpoint& e);
StatusOr<Endpoint> GetEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id, bool include_deleted = false);
// The tenant of a live endpoint, by id alone (operator routes). NotFound otherwise.
StatusOr<TenantId> EndpointTenant(Tx& tx, const EndpointId& id);

struct EndpointFilter {
  std::optional<std::string> phase;
  bool include_deleted = false;
};
StatusOr<Page<Endpoint>> ListEndpoints(Tx& tx, const TenantId& tenant, const EndpointFilter& filter, const ListQuery& q);

// Writes name, labels and — when `new_revision` — the spec as a new revision (generation and
// latest_revision bumped). FailedPrecondition("precondition_failed") on a version mismatch.
StatusOr<Endpoint> UpdateEndpoint(Tx& tx, const Endpoint& updated, std::int64_t expected_version, bool new_revision);
// Marks the endpoint for deletion; `*changed` is false when it already was.
StatusOr<Endpoint> RequestEndpointDeletion(Tx& tx, const TenantId& tenant, const EndpointId& id, bool* changed);

StatusOr<Page<EndpointRevision>> ListRevisions(Tx& tx, const TenantId& tenant, const EndpointId& id, const ListQuery& q);
StatusOr<Page<Replica>> ListReplicas(Tx& tx, const TenantId& tenant, const EndpointId& id, bool include_gone,
                                     const ListQuery& q);

// A request reached the endpoint: remember when (idle time), and ask for a wake-up when it is
// scaled to zero. Returns the endpoint as it is now.
StatusOr<Endpoint> TouchEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id, bool wake);

// ---------------------------------------------------------------- the controllers' side

struct ReplicaRecord {
  TenantId tenant;
  ReplicaId id;
  EndpointId endpoint;
  int revision = 0;
  std::string phase = "Pending";
  std::string gpu_type;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  std::optional<std::string> requested_zone;
  std::optional<std::string> zone;
  std::optional<std::string> node;
  std::optional<std::string> message;
  std::optional<std::string> failure_reason;
  bool ever_ready = false;
  std::optional<Timestamp> ready_at;
  Timestamp created_at{};
  bool node_down = false;  // read only: its node is Down
};
Replica ToReplica(const ReplicaRecord& r);

struct EndpointRecord {
  Endpoint endpoint;
  Timestamp scaled_at{};
  std::optional<Timestamp> wake_requested_at;
  std::vector<EndpointRevision> revisions;  // oldest first
  std::vector<ReplicaRecord> replicas;      // live ones (not Terminated)
};
// Operator-wide. nullopt when the endpoint does not exist or is a tombstone.
StatusOr<std::optional<EndpointRecord>> LoadEndpoint(Tx& tx, const TenantId& tenant, const EndpointId& id);
// Keys ("<tenant>/<endpoint>") of every live endpoint.
StatusOr<std::vector<std::string>> LiveEndpointKeys(Tx& tx);

// vCPUs and memory of a replica with `gpus` GPUs of `gpu_type`: those of the catalog's
// instance type of that shape. NotFound when the catalog has none.
StatusOr<std::pair<int, int>> ReplicaShape(Tx& tx, const std::string& gpu_type, int gpus);
Status InsertReplica(Tx& tx, const ReplicaRecord& r);
// Moves live replicas of other revisions to `revision` (a revision that serves the same way:
// only scaling settings changed, nothing to roll out).
Status AdoptReplicas(Tx& tx, const TenantId& tenant, const EndpointId& id, int revision);
// Writes phase, node, zone, message, failure, readiness of `r`, only if the row is still in
// `expected_phase` (the scheduler may have placed a Pending replica meanwhile): Aborted
// otherwise. Phase Terminated also sets deleted_at.
Status UpdateReplica(Tx& tx, const ReplicaRecord& r, const std::string& expected_phase);

struct EndpointStatusWrite {
  EndpointStatus status;
  std::optional<Timestamp> scaled_at;  // set when the desired size changed
  bool clear_wake = false;
  bool tombstone = false;              // Deleted: deleted_at = now()
};
// Writes the status columns; returns the endpoint as it is now (for the change feed).
StatusOr<Endpoint> WriteEndpointStatus(Tx& tx, const TenantId& tenant, const EndpointId& id,
                                       const EndpointStatusWrite& w);
Status UpdateRevision(Tx& tx, const TenantId& tenant, const EndpointId& id, const EndpointRevision& r);

// ---------------------------------------------------------------- the placement queue (scheduler)

// The next `limit` replicas waiting for a node, in fair order (the replica_queue view).
StatusOr<std::vector<ReplicaRecord>> ReplicaPlacementQueue(Tx& tx, int limit);
struct ReplicaPlacement {
  TenantId tenant;
  ReplicaId id;
  std::string node;
  std::string zone;
};
// How many live replicas each of `endpoints` has on each node: (node, endpoint) → count.
StatusOr<std::map<std::pair<std::string, std::string>, int>> ReplicaSpread(Tx& tx,
                                                                           const std::vector<std::string>& endpoints);
// Books each placement (allocation, node counters, replica Scheduled) for replicas still
// waiting; returns the endpoints ("<tenant>/<endpoint>") whose replicas were placed.
StatusOr<std::vector<std::string>> PlaceReplicas(Tx& tx, const std::vector<ReplicaPlacement>& placements);
// Records why waiting replicas could not be placed (their message).
Status NoteUnplacedReplicas(Tx& tx, const std::vector<std::pair<ReplicaRecord, std::string>>& notes);

// ---------------------------------------------------------------- metering

struct UsageEvent {
  TenantId tenant;
  std::string source;    // "endpoint"
  std::string event_id;  // unique per source and tenant: a repeat is a no-op
  std::string meter;     // "tokens-input", "tokens-output"
  std::int64_t quantity = 0;
  std::string resource_kind;
  std::string resource_id;
  boost::json::object attributes;
  Timestamp occurred_at{};
};
// Inserts events that are new; returns how many were.
StatusOr<int> InsertUsageEvents(Tx& tx, const std::vector<UsageEvent>& events);

}  // namespace gaon::storage
