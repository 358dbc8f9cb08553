// Open models (the catalog and tenants' custom models), inference endpoints with their
// revisions and replicas, the endpoint waiter, the OpenAI-compatible chat call, and the
// simulated traffic operators set.
#include <thread>

#include "client/client_impl.h"
#include "internal/problem.h"
#include "internal/retry.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

std::vector<std::string> EndpointPath(const TenantId& tenant, const EndpointId& id, std::vector<std::string> rest = {}) {
  std::vector<std::string> path = TenantPath(tenant, {"endpoints", id.str()});
  path.insert(path.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  return path;
}

std::vector<std::string> SimEndpointPath(const EndpointId& id) { return {"v1", "admin", "sim", "endpoints", id.str()}; }

std::string Json(const boost::json::value& v) { return boost::json::serialize(v); }

// Why a Failed endpoint failed: its failure reason, and its most recent condition that is not
// True.
Status FailedEndpoint(const Endpoint& e) {
  const Condition* why = nullptr;
  for (const auto& c : e.status.conditions) {
    if (c.status != "True" && (!why || c.last_transition_time >= why->last_transition_time)) why = &c;
  }
  std::string message = "endpoint " + e.id.str() + " failed";
  if (e.status.failure_reason) message += ": " + *e.status.failure_reason;
  if (!why) return FailedPrecondition(message, "endpoint_failed");
  message += std::string(e.status.failure_reason ? " (" : ": ") + why->type + " " + why->reason +
             (why->message.empty() ? "" : " — " + why->message) + (e.status.failure_reason ? ")" : "");
  return FailedPrecondition(message, "endpoint_failed")
      .WithExtra("condition_type", Json(boost::json::value(why->type)))
      .WithExtra("condition_reason", Json(boost::json::value(why->reason)));
}

// Sends a POST the server does not make idempotent — a chat completion: gaond keeps no
// answers to replay, so prompts and completions are never stored — and retries it only when
// the server surely did nothing: no connection could be made, or it answered 429 or 503 (an
// endpoint scaled to zero or not ready yet; Retry-After is honoured). A connection that broke
// mid-request is not retried: the tokens could be generated and metered twice. Other answers
// come back as they are.
StatusOr<internal::HttpResponse> ExecuteUnlessDone(const ClientImpl& impl, Call call) {
  using Clock = std::chrono::steady_clock;
  call.retry = false;  // the loop below decides
  const auto deadline = Clock::now() + impl.options().request_timeout;
  for (int attempt = 1;; ++attempt) {
    StatusOr<internal::HttpResponse> r = impl.Execute(call);
    internal::AttemptOutcome outcome;
    if (r.ok()) {
      if (r->status != 429 && r->status != 503) return r;
      outcome.http_status = r->status;
      if (auto ra = r->Header("Retry-After")) outcome.retry_after = internal::ParseRetryAfter(*ra);
    } else {
      if (r.status().reason() != "connection_failed") return r;
      outcome.transport = r.status();
    }
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const auto delay =
        internal::NextRetryDelay(impl.options().retry, attempt, outcome, remaining, internal::RandomUnit());
    if (!delay) return r;
    std::this_thread::sleep_for(*delay);
  }
}

}  // namespace

// ---------------------------------------------------------------- models

ListRange<Model> Client::ListModels(ModelFilter filter, ListOptions list) const {
  internal::Query q = {{"runtime", std::move(filter.runtime)}, {"language", std::move(filter.language)}};
  return PagedList<Model>(impl_, Get({"v1", "models"}, std::move(q)), list);
}

StatusOr<Model> Client::GetModel(const std::string& model) const {
  return Fetch<Model>(*impl_, Get({"v1", "models", model}));
}

StatusOr<Model> Client::CreateModel(const ModelCreate& model) const {
  return Fetch<Model>(*impl_, Post({"v1", "admin", "models"}, RequestBody(model)));
}

StatusOr<Model> Client::UpdateModel(const std::string& model, const ModelPatch& patch) const {
  return Fetch<Model>(*impl_, Patch({"v1", "admin", "models", model}, RequestBody(patch), std::nullopt));
}

StatusOr<Model> Client::CreateCustomModel(const TenantId& tenant, const Model& model) const {
  return Fetch<Model>(*impl_, Post(TenantPath(tenant, {"models"}), RequestBody(model)));
}

ListRange<Model> Client::ListCustomModels(const TenantId& tenant, ListOptions list) const {
  return PagedList<Model>(impl_, Get(TenantPath(tenant, {"models"})), list);
}

StatusOr<Model> Client::GetCustomModel(const TenantId& tenant, const ModelId& model) const {
  return Fetch<Model>(*impl_, Get(TenantPath(tenant, {"models", model.str()})));
}

Status Client::DeleteCustomModel(const TenantId& tenant, const ModelId& model) const {
  return FetchNothing(*impl_, Delete(TenantPath(tenant, {"models", model.str()})));
}

// ---------------------------------------------------------------- endpoints

StatusOr<Endpoint> Client::CreateEndpoint(const TenantId& tenant, const Endpoint& endpoint) const {
  return Fetch<Endpoint>(*impl_, Post(TenantPath(tenant, {"endpoints"}), RequestBody(endpoint)));
}

ListRange<Endpoint> Client::ListEndpoints(const TenantId& tenant, EndpointFilter filter, ListOptions list) const {
  internal::Query q = {{"label_selector", std::move(filter.label_selector)},
                       {"phase", std::move(filter.phase)},
                       {"include_deleted", filter.include_deleted ? "true" : ""}};
  return PagedList<Endpoint>(impl_, Get(TenantPath(tenant, {"endpoints"}), std::move(q)), list);
}

StatusOr<Endpoint> Client::GetEndpoint(const TenantId& tenant, const EndpointId& endpoint) const {
  return Fetch<Endpoint>(*impl_, Get(EndpointPath(tenant, endpoint)));
}

StatusOr<Endpoint> Client::UpdateEndpoint(const TenantId& tenant, const EndpointId& endpoint,
                                          const EndpointPatch& patch,
                                          std::optional<std::int64_t> if_match_version) const {
  return Fetch<Endpoint>(*impl_, Patch(EndpointPath(tenant, endpoint), RequestBody(patch), if_match_version));
}

StatusOr<Endpoint> Client::DeleteEndpoint(const TenantId& tenant, const EndpointId& endpoint) const {
  return Fetch<Endpoint>(*impl_, Delete(EndpointPath(tenant, endpoint)));
}

ListRange<EndpointRevision> Client::ListEndpointRevisions(const TenantId& tenant, const EndpointId& endpoint,
                                                          ListOptions list) const {
  return PagedList<EndpointRevision>(impl_, Get(EndpointPath(tenant, endpoint, {"revisions"})), list);
}

ListRange<Replica> Client::ListEndpointReplicas(const TenantId& tenant, const EndpointId& endpoint,
                                                ReplicaFilter filter, ListOptions list) const {
  internal::Query q = {{"include_terminated", filter.include_terminated ? "true" : ""}};
  return PagedList<Replica>(impl_, Get(EndpointPath(tenant, endpoint, {"replicas"}), std::move(q)), list);
}

StatusOr<Endpoint> Client::WaitForEndpoint(const TenantId& tenant, const EndpointId& endpoint, std::string_view phase,
                                           std::chrono::milliseconds timeout) const {
  return WaitForEndpoint(tenant, endpoint, phase, WaitOptions{.timeout = timeout});
}

StatusOr<Endpoint> Client::WaitForEndpoint(const TenantId& tenant, const EndpointId& endpoint, std::string_view phase,
                                           WaitOptions options) const {
  // An update's Failed may be the previous spec's: it ends the wait only once current.
  return WaitForPhase<Endpoint>([&] { return GetEndpoint(tenant, endpoint); }, phase, options,
                                {.what = "endpoint " + endpoint.str(),
                                 .failed = endpoint_phases::kFailed,
                                 .deleting = endpoint_phases::kDeleting,
                                 .deleted = endpoint_phases::kDeleted,
                                 .deleted_reason = "endpoint_deleted",
                                 .failed_needs_current = true,
                                 .failed_status = FailedEndpoint});
}

StatusOr<ChatCompletion> Client::CreateChatCompletion(const TenantId& tenant, const EndpointId& endpoint,
                                                      const ChatCompletionRequest& request) const {
  ASSIGN_OR_RETURN(internal::HttpResponse r,
                   ExecuteUnlessDone(*impl_, Post(EndpointPath(tenant, endpoint, {"v1", "chat", "completions"}),
                                                  RequestBody(request))));
  if (r.status < 200 || r.status >= 300) {
    return internal::StatusFromProblem(r.status, r.body, r.Header("X-Request-Id").value_or(""));
  }
  return Decode<ChatCompletion>(r);
}

// ---------------------------------------------------------------- simulated traffic

StatusOr<SimEndpointProfile> Client::SetSimEndpointProfile(const EndpointId& endpoint,
                                                           const SimEndpointProfile& profile) const {
  return Fetch<SimEndpointProfile>(*impl_, Put(SimEndpointPath(endpoint), RequestBody(profile)));
}

Status Client::ClearSimEndpointProfile(const EndpointId& endpoint) const {
  return FetchNothing(*impl_, Delete(SimEndpointPath(endpoint)));
}

}  // namespace gaon
