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
#include "gaon/model/compute.h"
#include "gaon/model/fleet.h"
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
