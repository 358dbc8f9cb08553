// gaon::Client: the C++ client of the Gaon API — one typed method per API operation, with
// retries, connection reuse, lazy paging and waiters.
//
//   auto client = gaon::Client::Create(gaon::OptionsFromEnvironment().value());
//   auto instance = client->CreateInstance(tenant, request);
//   if (!instance.ok()) std::cerr << instance.status().ToString() << "\n";
//
// Results are StatusOr<T> (or Status): the value, or the error the server answered with,
// rebuilt from its RFC 9457 problem document — canonical code, `reason()` (the problem's
// `code`, e.g. "quota_exceeded"), `message()` (its `detail`), field violations, extension
// members as extras (limit, used, dimension, retry_after_seconds, …), `http_status()` and
// `request_id()`. Transport failures are Unavailable ("connection_failed",
// "connection_reset"), DeadlineExceeded ("deadline_exceeded": options().request_timeout
// passed), or FailedPrecondition ("tls_failed", "protocol_error"). No method throws.
//
// Request bodies and answers are the model types of gaon/model/ (the server uses the same
// ones); answers are read leniently, so fields a newer server adds are ignored.
//
// Thread-safety: a Client is immutable and every method is const and may be called from any
// number of threads at once. Copies are cheap (a shared pointer) and share one connection
// pool. Calls block the calling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gaon/ids.h"
#include "gaon/list_range.h"
#include "gaon/model/billing.h"
#include "gaon/model/compute.h"
#include "gaon/model/fleet.h"
#include "gaon/model/inference.h"
#include "gaon/model/tenancy.h"
#include "gaon/options.h"
#include "gaon/status.h"
#include "gaon/time.h"

namespace gaon {

// The phases of an instance (InstanceStatus::phase), for WaitForInstance.
namespace phases {
inline constexpr std::string_view kPending = "Pending";
inline constexpr std::string_view kScheduled = "Scheduled";
inline constexpr std::string_view kProvisioning = "Provisioning";
inline constexpr std::string_view kRunning = "Running";
inline constexpr std::string_view kStopping = "Stopping";
inline constexpr std::string_view kStopped = "Stopped";
inline constexpr std::string_view kStarting = "Starting";
inline constexpr std::string_view kRebooting = "Rebooting";
inline constexpr std::string_view kDeleting = "Deleting";
inline constexpr std::string_view kDeleted = "Deleted";
inline constexpr std::string_view kFailed = "Failed";
}  // namespace phases

// The phases of an inference endpoint (EndpointStatus::phase), for WaitForEndpoint.
// docs/endpoints.md has the state machine.
namespace endpoint_phases {
inline constexpr std::string_view kPending = "Pending";
inline constexpr std::string_view kDeploying = "Deploying";
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kDegraded = "Degraded";
inline constexpr std::string_view kScaledToZero = "ScaledToZero";
inline constexpr std::string_view kFailed = "Failed";
inline constexpr std::string_view kDeleting = "Deleting";
inline constexpr std::string_view kDeleted = "Deleted";
}  // namespace endpoint_phases

// GET /healthz: the process is up.
struct Health {
  std::string status;  // "ok"
  template <class V>
  void Fields(V& v) {
    v("status", status);
  }
};

// GET /readyz: the database answers and its schema is current.
struct Readiness {
  std::string status;  // "ready"
  int schema_version = 0;
  template <class V>
  void Fields(V& v) {
    v("status", status);
    v("schema_version", schema_version);
  }
};

// Filters of ListTenants.
struct TenantFilter {
  std::string label_selector;  // "env=prod,team!=ml,gpu,!spot"
};

// Filters of ListInstances.
struct InstanceFilter {
  std::string label_selector;
  std::string phase;          // e.g. "Running"
  std::string zone;
  std::string instance_type;
  bool include_deleted = false;  // tombstones too
};

// Filters of the audit lists.
struct AuditFilter {
  std::optional<Timestamp> since;
  std::optional<Timestamp> until;
  std::string action;     // e.g. "instances.create"
  std::string principal;  // a user or key id
};

// Filters of the quota request lists.
struct QuotaRequestFilter {
  std::optional<QuotaRequestState> state;
};

// Filters of ListNodes; empty fields do not filter.
struct NodeFilter {
  std::string zone;
  std::string gpu_type;
  std::string state;  // Ready, Cordoned or Down
};

// Filters of ListModels; empty fields do not filter.
struct ModelFilter {
  std::string runtime;   // vllm, tgi or triton: models that run on it
  std::string language;  // BCP 47 ("ko"): models that speak it
};

// Filters of ListEndpoints; empty fields do not filter.
struct EndpointFilter {
  std::string phase;           // e.g. "Ready"
  std::string label_selector;  // "env=prod,team!=ml,gpu,!spot"
  bool include_deleted = false;  // deleted endpoints too
};

// Filters of ListPrices; empty fields do not filter.
struct PriceFilter {
  std::string sku;       // "gpu-hour.h100-80gb-sxm"
  std::string currency;  // "KRW"
};

// What GetUsage reports: charges in [from, to) (default: the current UTC month; at most 366
// days), grouped by UTC day and SKU ("day", the default) or by resource and SKU ("resource").
struct UsageQuery {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
  std::string group_by;  // "day" | "resource"; empty: the server's default (day)
};

// What ExportBilling exports: one UTC calendar month's charges in one format.
struct ExportQuery {
  std::string period;          // "2026-10"; empty: the current month
  std::string format = "csv";  // "csv" (Gaon's columns), "jsonl" or "focus" (FOCUS 1.2 as CSV)
  bool gzip = false;           // the file gzip-compressed (application/gzip)
};

// What an export delivered, once the whole file has reached the sink.
struct ExportResult {
  std::string filename;      // the server's name for it: "gaon-ten_…-2026-10-focus.csv.gz"
  std::string content_type;  // "text/csv; charset=utf-8", "application/jsonl; …" or "application/gzip"
  std::int64_t bytes = 0;    // bytes passed to the sink
};

// Receives an export's bytes in order, piece by piece, as they arrive; returns false to stop
// (the export then fails with Cancelled("export_cancelled")).
using ExportSink = std::function<bool(std::string_view)>;

// Filters of ListEndpointReplicas.
struct ReplicaFilter {
  bool include_terminated = false;  // replicas already gone too (the endpoint's history)
};

// The states of a node (Node::state), for WaitForNode.
namespace node_states {
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kCordoned = "Cordoned";
inline constexpr std::string_view kDown = "Down";
}  // namespace node_states

// A page of the change feed.
struct ChangesPage {
  std::vector<ChangeEvent> items;
  std::optional<std::string> next_page_token;  // set when the page is full
  std::int64_t head = 0;  // the tenant's latest change seq when the page was read
};

struct ChangesQuery {
  std::optional<std::int64_t> since;  // changes after this seq; absent: the oldest kept
  ListOptions list;                    // page_size default 500 for this list
};

// How WatchChanges runs.
struct WatchOptions {
  // Resume after this seq (the last one seen); absent: start at the head (only new changes).
  std::optional<std::int64_t> since;
  // Stop when this much time has passed (0: no limit) or `stop` is requested; either ends
  // the watch with OK.
  std::chrono::milliseconds timeout{0};
  std::stop_token stop;
  // Deliver BOOKMARK events (type "BOOKMARK", seq set, no object) to the callback too.
  bool bookmarks = false;
  // Reconnect when the stream breaks (server restart, network, the server's stream length
  // limit), resuming with Last-Event-ID; false: return when the first stream ends.
  bool reconnect = true;
};

// How WaitForInstance polls.
struct WaitOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds initial_interval{500};  // the first wait between polls
  std::chrono::milliseconds max_interval{5'000};    // grows ×1.5 per poll up to this
  // Also require status.observed_generation >= generation (the controllers have acted on
  // the latest spec), so a wait right after an action does not see the old state.
  bool require_observed_generation = false;
  // Called on the waiting thread after every successful poll with the phase (or node state)
  // seen, e.g. to show progress; empty for none. Must not call back into the client.
  std::function<void(std::string_view)> on_poll;
};

// An arbitrary authenticated request (gaonctl api).
struct RawRequest {
  std::string method = "GET";
  std::string target;  // path and query, "/v1/me" or "/v1/tenants/ten_…/instances?phase=Running"
  std::string body;    // sent as application/json (merge-patch+json for PATCH) when not empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers; an
  // Idempotency-Key here replaces the one a POST gets automatically
};

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  // OK for 2xx; else the Status rebuilt from the problem document, as the typed calls return it.
  Status ToStatus() const;
};

namespace client_internal {
class ClientImpl;  // the transport, retries and codecs (sdk/client/client_impl.h)
}  // namespace client_internal

class Client {
 public:
  // A client for `options`. InvalidArgument when the endpoint is not an http(s) URL, the API
  // key or operator reason could not go in a header, or a number is out of range;
  // InvalidArgument("invalid_ca_file") when the CA file cannot be loaded. No connection is
  // made here.
  static StatusOr<Client> Create(ClientOptions options);

  const ClientOptions& options() const;
  // The same client (sharing the connection pool) with another operator reason.
  Client WithOperatorReason(std::string reason) const;

  // ------------------------------------------------------------ system and identity
  StatusOr<Health> GetHealth() const;
  // Unavailable("not_ready") with the reason when the server is not ready (not retried).
  StatusOr<Readiness> GetReadiness() const;
  StatusOr<std::string> GetMetrics() const;  // Prometheus text
  StatusOr<std::string> GetOpenApi() const;  // the API contract (OpenAPI 3.1 YAML)
  // Who the API key is: its role, its tenant (tenant keys) or platform_admin.
  StatusOr<Me> GetMe() const;

  // ------------------------------------------------------------ tenants (operators)
  // Fills name, jurisdiction, billing_currency, billing_email (display_name, labels
  // optional). AlreadyExists("tenant_name_taken"); validation_failed with field errors.
  StatusOr<Tenant> CreateTenant(const Tenant& tenant) const;
  ListRange<Tenant> ListTenants(TenantFilter filter = {}, ListOptions list = {}) const;
  StatusOr<Tenant> GetTenant(const TenantId& tenant) const;
  // A merge patch; with `if_match_version`, FailedPrecondition("precondition_failed", 412)
  // unless the tenant is still at that resource_version.
  StatusOr<Tenant> UpdateTenant(const TenantId& tenant, const TenantPatch& patch,
                                std::optional<std::int64_t> if_match_version = {}) const;
  StatusOr<Tenant> SuspendTenant(const TenantId& tenant) const;
  StatusOr<Tenant> ResumeTenant(const TenantId& tenant) const;
  // FailedPrecondition("tenant_has_resources", extra `resources`) while it has live ones.
  Status DeleteTenant(const TenantId& tenant) const;

  // ------------------------------------------------------------ users (operators)
  StatusOr<User> CreateUser(const CreateUserRequest& request) const;
  ListRange<User> ListUsers(ListOptions list = {}) const;
  StatusOr<User> GetUser(const UserId& user) const;
  StatusOr<User> DisableUser(const UserId& user) const;
  StatusOr<User> EnableUser(const UserId& user) const;

  // ------------------------------------------------------------ members
  ListRange<Member> ListMembers(const TenantId& tenant, ListOptions list = {}) const;
  // Adds a user by email, creating the user when none has it; then `initial_password` is set
  // — shown this once (a replayed retry does not carry it again).
  StatusOr<AddMemberResponse> AddMember(const TenantId& tenant, const AddMemberRequest& request) const;
  StatusOr<Member> GetMember(const TenantId& tenant, const UserId& user) const;
  StatusOr<Member> UpdateMember(const TenantId& tenant, const UserId& user, const MemberPatch& patch,
                                std::optional<std::int64_t> if_match_version = {}) const;
  // FailedPrecondition("last_admin") for the tenant's last tenant-admin.
  Status RemoveMember(const TenantId& tenant, const UserId& user) const;

  // ------------------------------------------------------------ API keys
  // A tenant service key (name, role: a tenant role, expires_at optional). The secret is in
  // the answer only: if a retry got the stored answer of an attempt whose answer was lost, the
  // secret is gone and this fails with FailedPrecondition("secret_lost", extra `key_id`) —
  // revoke that key and create another.
  StatusOr<CreatedApiKey> CreateApiKey(const TenantId& tenant, const ApiKey& key) const;
  ListRange<ApiKey> ListApiKeys(const TenantId& tenant, ListOptions list = {}) const;
  StatusOr<ApiKey> GetApiKey(const TenantId& tenant, const ApiKeyId& key) const;
  StatusOr<ApiKey> RevokeApiKey(const TenantId& tenant, const ApiKeyId& key) const;
  // Operator (platform-admin) keys; same contract.
  StatusOr<CreatedApiKey> CreateOperatorKey(const ApiKey& key) const;
  ListRange<ApiKey> ListOperatorKeys(ListOptions list = {}) const;
  StatusOr<ApiKey> GetOperatorKey(const ApiKeyId& key) const;
  StatusOr<ApiKey> RevokeOperatorKey(const ApiKeyId& key) const;

  // ------------------------------------------------------------ audit
  // Newest first.
  ListRange<AuditEvent> ListAuditEvents(const TenantId& tenant, AuditFilter filter = {},
                                        ListOptions list = {}) const;
  ListRange<AuditEvent> ListPlatformAuditEvents(AuditFilter filter = {}, ListOptions list = {}) const;
  StatusOr<AuditVerification> VerifyAuditChain(const TenantId& tenant) const;
  StatusOr<AuditVerification> VerifyPlatformAuditChain() const;

  // ------------------------------------------------------------ the region's catalog
  StatusOr<std::vector<Region>> ListRegions() const;
  StatusOr<std::vector<GpuType>> ListGpuTypes() const;
  // Every instance type (or those of one GPU type) with its free capacity per zone.
  StatusOr<std::vector<InstanceType>> ListInstanceTypes(std::string gpu_type = {}) const;
  StatusOr<InstanceType> GetInstanceType(const std::string& instance_type) const;
  StatusOr<std::vector<Image>> ListImages() const;

  // ------------------------------------------------------------ SSH keys
  // name and public_key (OpenSSH format). AlreadyExists("ssh_key_exists").
  StatusOr<SshKey> CreateSshKey(const TenantId& tenant, const SshKey& key) const;
  ListRange<SshKey> ListSshKeys(const TenantId& tenant, ListOptions list = {}) const;
  StatusOr<SshKey> GetSshKey(const TenantId& tenant, const SshKeyId& key) const;
  Status DeleteSshKey(const TenantId& tenant, const SshKeyId& key) const;

  // ------------------------------------------------------------ quotas
  StatusOr<std::vector<Quota>> ListQuotas(const TenantId& tenant) const;
  // Operators: sets the named limits (null removes a per-GPU-type cap); returns all quotas.
  StatusOr<std::vector<Quota>> SetQuotas(const TenantId& tenant, const SetQuotasRequest& request) const;
  // dimension, requested_limit (above the current limit), reason.
  StatusOr<QuotaRequest> CreateQuotaRequest(const TenantId& tenant, const QuotaRequest& request) const;
  ListRange<QuotaRequest> ListQuotaRequests(const TenantId& tenant, QuotaRequestFilter filter = {},
                                            ListOptions list = {}) const;
  StatusOr<QuotaRequest> GetQuotaRequest(const TenantId& tenant, const QuotaRequestId& request) const;
  // The tenant withdraws a pending request. FailedPrecondition("quota_request_decided").
  StatusOr<QuotaRequest> CancelQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                            std::string note = {}) const;
  // Operators: every tenant's requests.
  ListRange<QuotaRequest> ListAllQuotaRequests(QuotaRequestFilter filter = {}, ListOptions list = {}) const;
  // Operators: approve (decision.limit: another limit than the one asked for) or deny.
  StatusOr<QuotaRequest> ApproveQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                             QuotaDecision decision = {}) const;
  StatusOr<QuotaRequest> DenyQuotaRequest(const TenantId& tenant, const QuotaRequestId& request,
                                          std::string note = {}) const;

  // ------------------------------------------------------------ GPU instances
  // name, labels, spec (instance_type, image, zone, ssh_key_ids, user_data). Answers at once
  // (202) with phase Pending; controllers converge — see WaitForInstance. Fails with
  // FailedPrecondition("quota_exceeded", extras dimension, limit, used, requested),
  // PermissionDenied("residency_violation"), AlreadyExists("name_taken"), or validation_failed
  // listing every bad field.
  StatusOr<Instance> CreateInstance(const TenantId& tenant, const Instance& instance) const;
  // `count` (1 … 1,000) alike instances named from `name_pattern` ("worker-###"), admitted
  // together or not at all: the quota refusal's `requested` is the whole request's, and one
  // name a live instance already has refuses all (name_taken). Returns them in index order.
  StatusOr<std::vector<Instance>> BulkCreateInstances(const TenantId& tenant, const BulkInstanceRequest& request) const;
  ListRange<Instance> ListInstances(const TenantId& tenant, InstanceFilter filter = {},
                                    ListOptions list = {}) const;
  // Deleted instances stay readable (Deleting, then Deleted) until purged.
  StatusOr<Instance> GetInstance(const TenantId& tenant, const InstanceId& instance) const;
  // Name and labels (a merge patch; a null label removes it). With `if_match_version`,
  // FailedPrecondition("precondition_failed", 412) unless still at that resource_version.
  StatusOr<Instance> UpdateInstance(const TenantId& tenant, const InstanceId& instance, const InstancePatch& patch,
                                    std::optional<std::int64_t> if_match_version = {}) const;
  // The actions record the desired state and answer at once (202) with the instance.
  StatusOr<Instance> DeleteInstance(const TenantId& tenant, const InstanceId& instance) const;
  StatusOr<Instance> StopInstance(const TenantId& tenant, const InstanceId& instance) const;
  StatusOr<Instance> StartInstance(const TenantId& tenant, const InstanceId& instance) const;
  StatusOr<Instance> RebootInstance(const TenantId& tenant, const InstanceId& instance) const;
  ListRange<InstanceEvent> ListInstanceEvents(const TenantId& tenant, const InstanceId& instance,
                                              ListOptions list = {}) const;

  // Polls the instance (waits growing ×1.5 from options.initial_interval) until its phase is
  // `phase` (waiting for Deleting accepts Deleted too), and returns it then. Fails fast with FailedPrecondition("instance_failed",
  // extras condition_type, condition_reason) when it reaches Failed, and with
  // FailedPrecondition("instance_deleted") when it is being deleted and `phase` is not
  // Deleting or Deleted; DeadlineExceeded("wait_timeout", extra `phase`: the last one seen)
  // after options.timeout. Transient errors while polling do not end the wait. Waiting for
  // Deleted on an instance already purged (no tombstone left) gives NotFound.
  StatusOr<Instance> WaitForInstance(const TenantId& tenant, const InstanceId& instance, std::string_view phase,
                                     WaitOptions options = {}) const;
  StatusOr<Instance> WaitForInstance(const TenantId& tenant, const InstanceId& instance, std::string_view phase,
                                     std::chrono::milliseconds timeout) const;

  // ------------------------------------------------------------ models
  // The region's catalog of open models (any authenticated caller), ordered by id; filtered by
  // runtime and language.
  ListRange<Model> ListModels(ModelFilter filter = {}, ListOptions list = {}) const;
  // A catalog model by its id ("exaone-3.5-7.8b-instruct"); NotFound when the catalog has none.
  StatusOr<Model> GetModel(const std::string& model) const;
  // Operators (platform-admin; PermissionDenied otherwise): add a catalog model with the id
  // they choose (AlreadyExists when taken), or edit one (a merge patch; absent fields stay).
  // A model set to status "deprecated" takes no new endpoints; the endpoints using it keep
  // running. validation_failed lists every bad field.
  StatusOr<Model> CreateModel(const ModelCreate& model) const;
  StatusOr<Model> UpdateModel(const std::string& model, const ModelPatch& patch) const;

  // A tenant's own model: display_name, parameters_millions, min_gpu_memory_gib, runtimes and
  // artifact_uri, where the weights are in the region's object storage. The server gives it
  // an id "mdl_…", usable as EndpointSpec::model. An artifact outside the region's object
  // storage in the tenant's jurisdiction is refused with
  // InvalidArgument("artifact_outside_jurisdiction", 422); validation_failed for bad fields.
  StatusOr<Model> CreateCustomModel(const TenantId& tenant, const Model& model) const;
  ListRange<Model> ListCustomModels(const TenantId& tenant, ListOptions list = {}) const;
  StatusOr<Model> GetCustomModel(const TenantId& tenant, const ModelId& model) const;
  // FailedPrecondition("model_in_use", 409) while an endpoint of the tenant serves it.
  Status DeleteCustomModel(const TenantId& tenant, const ModelId& model) const;

  // ------------------------------------------------------------ inference endpoints
  // name, labels, spec (model, runtime, gpu_type, gpus_per_replica, min/max replicas,
  // autoscaling, zone, canary_percent). Answers at once (202) with phase Pending and revision
  // 1; the controllers place and load its replicas — see WaitForEndpoint. Fails with
  // FailedPrecondition("quota_exceeded", extras dimension, limit, used, requested: the
  // `endpoints` quota, or `gpus` for min_replicas' GPUs), PermissionDenied
  // ("residency_violation"), AlreadyExists("name_taken"), or validation_failed listing every
  // bad field (an unknown or deprecated model, a runtime it does not support, GPUs per replica
  // too small for its memory needs, min above max, …).
  StatusOr<Endpoint> CreateEndpoint(const TenantId& tenant, const Endpoint& endpoint) const;
  ListRange<Endpoint> ListEndpoints(const TenantId& tenant, EndpointFilter filter = {},
                                    ListOptions list = {}) const;
  // Deleted endpoints stay readable (Deleting, then Deleted) until purged.
  StatusOr<Endpoint> GetEndpoint(const TenantId& tenant, const EndpointId& endpoint) const;
  // A JSON merge patch of name, labels (a null label removes it) and spec (members given
  // replace the current ones). A spec change is a new revision, rolled out replica by replica
  // (or to canary_percent of the traffic); see ListEndpointRevisions. With
  // `if_match_version`, FailedPrecondition("precondition_failed", 412) unless still at that
  // resource_version.
  StatusOr<Endpoint> UpdateEndpoint(const TenantId& tenant, const EndpointId& endpoint, const EndpointPatch& patch,
                                    std::optional<std::int64_t> if_match_version = {}) const;
  // Records the deletion and answers at once (202) with the endpoint, Deleting; the
  // controllers stop its replicas and it becomes Deleted.
  StatusOr<Endpoint> DeleteEndpoint(const TenantId& tenant, const EndpointId& endpoint) const;
  // Every revision the endpoint's spec changes made, with its state (Deploying, Active,
  // Canary, Superseded, RolledBack, Failed), oldest first.
  ListRange<EndpointRevision> ListEndpointRevisions(const TenantId& tenant, const EndpointId& endpoint,
                                                    ListOptions list = {}) const;
  // The endpoint's live replicas (of any revision: starting, serving or stopping) and where
  // they run; with include_terminated, those already gone too.
  ListRange<Replica> ListEndpointReplicas(const TenantId& tenant, const EndpointId& endpoint,
                                          ReplicaFilter filter = {}, ListOptions list = {}) const;

  // Polls the endpoint as WaitForInstance polls an instance, until its phase is `phase` (see
  // endpoint_phases; waiting for Deleting accepts Deleted too), and returns it then. Fails
  // fast with FailedPrecondition("endpoint_failed", extras condition_type, condition_reason
  // when a condition says why) when it reaches Failed, and with
  // FailedPrecondition("endpoint_deleted") when it is being deleted and `phase` is not
  // Deleting or Deleted; DeadlineExceeded("wait_timeout", extra `phase`: the last one seen)
  // after options.timeout. With options.require_observed_generation the controllers must also
  // have acted on the latest spec (status.observed_generation >= generation): use it after an
  // update. Transient errors while polling do not end the wait.
  StatusOr<Endpoint> WaitForEndpoint(const TenantId& tenant, const EndpointId& endpoint, std::string_view phase,
                                     WaitOptions options = {}) const;
  StatusOr<Endpoint> WaitForEndpoint(const TenantId& tenant, const EndpointId& endpoint, std::string_view phase,
                                     std::chrono::milliseconds timeout) const;

  // The endpoint's OpenAI-compatible chat call: POST {status.url}/v1/chat/completions
  // (tenant-member or tenant-admin keys). The answer's text is simulated; `usage` counts the
  // tokens (metered for the tenant) and `system_fingerprint` names the revision that answered.
  // While the endpoint has no ready replica the server answers 503 with Retry-After — code
  // "endpoint_scaled_to_zero" (this call wakes it up) or "endpoint_not_ready" — and the client
  // retries within its retry policy and request_timeout, then returns Unavailable with that
  // code. Unlike other POSTs this call is not idempotent (the server stores no answers to
  // replay), so it is retried only when the server surely did nothing: a connection that could
  // not be made, 429 or 503; never after a connection broke mid-request. validation_failed for
  // a bad request (no messages, a `model` that is not the endpoint's, stream: true).
  StatusOr<ChatCompletion> CreateChatCompletion(const TenantId& tenant, const EndpointId& endpoint,
                                                const ChatCompletionRequest& request) const;

  // Operators, the simulated driver only: the load the sim reports for an endpoint on top of
  // its real requests (concurrency, requests_per_second, for duration_seconds or until
  // cleared) and revisions whose replicas crash while loading. Returns the profile with
  // `until` set when it has a duration. Replaces any earlier profile. NotFound for an unknown
  // endpoint.
  StatusOr<SimEndpointProfile> SetSimEndpointProfile(const EndpointId& endpoint,
                                                     const SimEndpointProfile& profile) const;
  // Ends the endpoint's simulated load and failures; NotFound when it has none.
  Status ClearSimEndpointProfile(const EndpointId& endpoint) const;

  // ------------------------------------------------------------ billing
  // Money and quantities are decimal strings, computed by the server in PostgreSQL numeric;
  // never parse them into a double. docs/billing.md has the rating and rounding rules.
  //
  // Operators (platform-admin; PermissionDenied otherwise): every price row, ordered by SKU,
  // currency and effective_from; a price holds until the next row of its SKU and currency.
  ListRange<Price> ListPrices(PriceFilter filter = {}, ListOptions list = {}) const;
  // Operators: adds a price (sku, currency, unit, unit_price, effective_from, description)
  // from a future time; prices are never changed or removed. Fails with
  // FailedPrecondition("price_in_past", 409) when effective_from has passed,
  // AlreadyExists("price_exists", 409) for the same SKU, currency and time again, or
  // validation_failed (an unknown SKU form, a unit that does not match it, a bad decimal or
  // currency).
  StatusOr<Price> CreatePrice(const Price& price) const;
  // Operators: replaces the tenant's contracted discounts (percent per SKU, or "*" for every
  // SKU; a SKU's own wins over "*"; each more than 0 and at most 100) and returns them. An
  // empty map removes them all. validation_failed for a bad SKU or percentage; NotFound for an
  // unknown tenant.
  StatusOr<Discounts> SetDiscounts(const TenantId& tenant, const Discounts& discounts) const;
  // The tenant's discounts (tenant-admin or billing-viewer keys).
  StatusOr<Discounts> GetDiscounts(const TenantId& tenant) const;
  // Charges so far (tenant-admin or billing-viewer): after discounts, not rounded; running
  // resources count up to now with the 60-second minimum. validation_failed when `to` is not
  // after `from`, the range spans more than 366 days, or group_by is not day or resource.
  StatusOr<UsageReport> GetUsage(const TenantId& tenant, UsageQuery query = {}) const;
  // The live draft invoice of `period` ("2026-11", a UTC calendar month; default the current
  // one) as if it closed now (tenant-admin or billing-viewer): one line per SKU, unit price
  // and discount, each rounded once; tax on the rounded subtotal. Nothing is stored.
  // validation_failed for a malformed period; FailedPrecondition("invoice_finalized", 409)
  // when the period already has an issued invoice.
  StatusOr<Invoice> GetDraftInvoice(const TenantId& tenant, std::optional<std::string> period = {}) const;
  // The tenant's issued invoices (finalized, paid and void), newest first, without their lines
  // (tenant-admin or billing-viewer).
  ListRange<Invoice> ListInvoices(const TenantId& tenant, ListOptions list = {}) const;
  // An issued invoice with its lines (tenant-admin or billing-viewer); NotFound when the tenant
  // has no such invoice.
  StatusOr<Invoice> GetInvoice(const TenantId& tenant, const InvoiceId& invoice) const;
  // Operators: closes `period` ("2026-10"; default the last month) into an immutable,
  // gap-free numbered invoice, with corrections for usage that reached invoiced periods late
  // and the tenant's credit burnt against its total. A period that already has a live invoice
  // returns that one, unchanged (safe to repeat). Fails with
  // FailedPrecondition("period_open", 409) when the month has not ended, validation_failed
  // for a malformed period, NotFound for an unknown tenant.
  StatusOr<Invoice> FinalizeInvoice(const TenantId& tenant, std::optional<std::string> period = {}) const;
  // Operators: records a finalized invoice as paid (a paid one is returned as it is).
  // FailedPrecondition("invoice_void", 409) for a void invoice; NotFound for an unknown one.
  StatusOr<Invoice> PayInvoice(const TenantId& tenant, const InvoiceId& invoice) const;
  // Operators: voids a finalized or paid invoice with `request.reason` (1–500 characters); its
  // contents stay as they were and the credit it took is given back. Returns the voided
  // invoice, or with `request.reissue` the new invoice of the same period (a new number,
  // replaces_invoice_id naming the voided one). FailedPrecondition("invoice_void", 409) when it
  // is already void; validation_failed for a missing reason; NotFound for an unknown invoice.
  StatusOr<Invoice> VoidInvoice(const TenantId& tenant, const InvoiceId& invoice, const VoidRequest& request) const;
  // Operators (meters such as the inference gateway use an operator key): records up to 1000
  // events from one source, all or nothing, deduplicated on (tenant, source, event id): a
  // resent event with the same payload counts in `duplicates` and writes nothing, so a batch
  // may be resent after any failure. Fails with FailedPrecondition("event_id_reused", 409)
  // when an id comes again with another payload, InvalidArgument("event_too_late", 422) for
  // an event before the open period (or before the previous month while its grace period
  // lasts), validation_failed (400) for a malformed event, one in the future or a batch of
  // more than 1000, NotFound for an unknown tenant; nothing is written on any error.
  StatusOr<UsageEventResult> IngestUsageEvents(const UsageEventBatch& batch) const;
  // Operators: grants prepaid or promotional credit (kind, amount, optional expires_at in the
  // future, description) in the tenant's billing currency and returns the grant.
  // validation_failed for another kind, an amount that is not positive or has more decimals
  // than the currency's minor units, or a past expiry; NotFound for an unknown tenant.
  StatusOr<CreditGrant> GrantCredit(const TenantId& tenant, const CreditGrant& grant) const;
  // The tenant's billing mode, credit balance (unexpired grants' remainders), month so far and
  // every grant with what remains of it (tenant-admin or billing-viewer).
  StatusOr<CreditSummary> GetCredits(const TenantId& tenant) const;
  // Operators: makes the tenant "prepaid" or "postpaid". A prepaid tenant whose balance does
  // not cover its month so far cannot create instances or endpoints
  // (FailedPrecondition("insufficient_credit")); nothing running stops. validation_failed for
  // another mode; NotFound for an unknown tenant.
  StatusOr<BillingMode> SetBillingMode(const TenantId& tenant, const std::string& mode) const;
  // Streams `query.period`'s charges (tenant-admin or billing-viewer) to `sink`, in constant
  // memory whatever the size: one row per charge — usage per resource, UTC day and GPU count,
  // corrections, tax and the credits an invoice burnt; a period with an issued invoice
  // exports exactly that invoice, any other its draft as of now (docs/billing.md,
  // "Exports"). Returns once the server has sent the whole file. Only what fails before the
  // answer starts is retried (within the retry policy and options().request_timeout); once
  // bytes have reached the sink nothing is retried, and a transfer that breaks — the server
  // failing mid-way ends it without its last chunk, or nothing arrives for request_timeout —
  // fails with Unavailable("export_incomplete", extra `bytes`): what the sink got is a part
  // of the file, never to be used as the whole (run the export again). Fails with
  // validation_failed (400) for a malformed period or another format, NotFound for a tenant
  // the key cannot see, PermissionDenied for other roles, Cancelled("export_cancelled") when
  // `sink` returned false. The sink runs on the calling thread and must not call back into
  // the client.
  StatusOr<ExportResult> ExportBilling(const TenantId& tenant, const ExportQuery& query, const ExportSink& sink) const;
  // Operators: the same for every tenant at once, ordered by tenant, from one consistent
  // snapshot — exactly the tenants' exports put together.
  StatusOr<ExportResult> ExportBillingAllTenants(const ExportQuery& query, const ExportSink& sink) const;
  // Creates a monthly budget (tenant-admin): name, amount in the tenant's billing currency,
  // thresholds in percent (ascending, 1–1000; default 50, 80, 100). When the month's cost so
  // far (after discounts, before tax and credits) crosses a threshold, the controllers record
  // an alert once that month: a budget_alert change on the feed and an audit entry. Fails with
  // AlreadyExists("budget_name_taken"), or validation_failed (an amount that is not positive or
  // has more decimals than the currency's minor units, bad thresholds, a bad name).
  StatusOr<Budget> CreateBudget(const TenantId& tenant, const Budget& budget) const;
  // The tenant's budgets with their spend, percent used and this month's alerts
  // (tenant-admin or billing-viewer).
  ListRange<Budget> ListBudgets(const TenantId& tenant, ListOptions list = {}) const;
  // NotFound when the tenant has no such budget.
  StatusOr<Budget> GetBudget(const TenantId& tenant, const BudgetId& budget) const;
  // Changes the fields given (tenant-admin); a lower amount or threshold may fire alerts at
  // the controllers' next pass. Errors as CreateBudget, and NotFound.
  StatusOr<Budget> UpdateBudget(const TenantId& tenant, const BudgetId& budget, const BudgetPatch& patch) const;
  // Deletes the budget and its alerts (tenant-admin); NotFound when it is not there.
  Status DeleteBudget(const TenantId& tenant, const BudgetId& budget) const;

  // ------------------------------------------------------------ the fleet (operators)
  // Nodes are named by their host name. Every call needs a platform-admin key
  // (PermissionDenied otherwise); an unknown node is NotFound.
  ListRange<Node> ListNodes(NodeFilter filter = {}, ListOptions list = {}) const;
  StatusOr<Node> GetNode(const std::string& node) const;
  // Cordon: the node keeps what runs there and takes no new work. Uncordon undoes it (a Down
  // node stays Down until it answers again). Both are idempotent.
  StatusOr<Node> CordonNode(const std::string& node) const;
  StatusOr<Node> UncordonNode(const std::string& node) const;
  // Cordons the node and moves (policy "reschedule") or stops (policy "stop") what runs there;
  // answers at once (202) with the node and the instances acted on. validation_failed for
  // another policy.
  StatusOr<DrainResult> DrainNode(const std::string& node, DrainRequest request = {}) const;
  // The simulated driver only: the host stops answering (its instances fail once the
  // controllers notice it is Down), or answers again. Answers at once (202) with the node as
  // it was; see WaitForNode.
  StatusOr<Node> SimFailNode(const std::string& node, SimFailRequest request = {}) const;
  StatusOr<Node> SimRecoverNode(const std::string& node) const;
  // Polls the node (as WaitForInstance does) until its state is `state`; DeadlineExceeded
  // ("wait_timeout", extra `state`: the last one seen) after options.timeout.
  StatusOr<Node> WaitForNode(const std::string& node, std::string_view state, WaitOptions options = {}) const;
  // Polls the node after DrainNode until no instance is placed there any more (Node::instances
  // is 0: each one moved elsewhere or stopped, its GPUs released), and returns it then;
  // options.on_poll gets "N instance(s) left". DeadlineExceeded("wait_timeout", extra
  // `instances`: how many were left) after options.timeout. Endpoint replicas are not drained
  // and do not count.
  StatusOr<Node> WaitForNodeDrained(const std::string& node, WaitOptions options = {}) const;

  // ------------------------------------------------------------ the change feed
  // One page of changes after `query.since`. FailedPrecondition("resource_expired", 410) when
  // changes after `since` are no longer kept: list the resources again.
  StatusOr<ChangesPage> ListChanges(const TenantId& tenant, ChangesQuery query = {}) const;
  // Streams the tenant's changes (Server-Sent Events), calling `on_event` for each in order
  // on this thread; `on_event` returns false to stop. Reconnects after a broken stream with
  // Last-Event-ID and backoff, so no change is missed or repeated. Returns OK when stopped
  // (callback, options.stop or options.timeout), or the error that ended it:
  // FailedPrecondition("resource_expired") when the resume point is too old, or a
  // non-transient error.
  Status WatchChanges(const TenantId& tenant, const std::function<bool(const ChangeEvent&)>& on_event,
                      WatchOptions options = {}) const;

  // ------------------------------------------------------------ anything else
  // Any request with the client's credentials, retries and Idempotency-Key. Unlike the typed
  // methods, an HTTP error answer is returned as a RawResponse (see ToStatus()); the result is
  // an error only when no answer came.
  StatusOr<RawResponse> Raw(const RawRequest& request) const;

 private:
  explicit Client(std::shared_ptr<const client_internal::ClientImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const client_internal::ClientImpl> impl_;
};

}  // namespace gaon
