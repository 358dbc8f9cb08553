// Client construction, the request pipeline (Execute: headers, idempotency keys, retries,
// deadlines, the attempt observer), and the system, identity and raw calls.
#include <algorithm>
#include <random>
#include <thread>

#include "client/client_impl.h"
#include "gaon/version.h"
#include "internal/problem.h"
#include "internal/retry.h"

namespace gaon {
namespace {

using Clock = std::chrono::steady_clock;
using client_internal::Call;
using client_internal::ClientImpl;

// Header values must not be able to end the header (no CR, LF or other controls).
bool IsHeaderSafe(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) >= 32 && c != 127; });
}

std::string RandomHex(int bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; i += 4) {
    std::uint32_t r = rd();
    for (int k = 0; k < 8 && static_cast<int>(out.size()) < bytes * 2; ++k, r >>= 4) out += kHex[r & 15];
  }
  return out;
}

bool HasHeader(const internal::Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return internal::HeaderNameEquals(h.first, name); });
}

Status Invalid(const std::string& what) { return InvalidArgument("client options: " + what, "invalid_options"); }

Status Validate(const ClientOptions& o) {
  if (!IsHeaderSafe(o.api_key)) return Invalid("api_key contains control characters");
  if (!IsHeaderSafe(o.operator_reason)) return Invalid("operator_reason contains control characters");
  if (!IsHeaderSafe(o.user_agent_suffix)) return Invalid("user_agent_suffix contains control characters");
  if (o.pool_size < 0) return Invalid("pool_size must not be negative");
  if (o.connect_timeout.count() <= 0 || o.request_timeout.count() <= 0) return Invalid("timeouts must be positive");
  const RetryPolicy& r = o.retry;
  if (r.max_attempts < 1) return Invalid("retry.max_attempts must be at least 1");
  if (r.initial_backoff.count() < 0 || r.max_backoff < r.initial_backoff || r.multiplier < 1.0) {
    return Invalid("retry needs 0 <= initial_backoff <= max_backoff and multiplier >= 1");
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------- ClientImpl

namespace client_internal {

ClientImpl::ClientImpl(ClientOptions options, internal::Endpoint endpoint, std::shared_ptr<internal::Transport> transport)
    : options_(std::move(options)), endpoint_(std::move(endpoint)), transport_(std::move(transport)) {}

std::shared_ptr<const ClientImpl> ClientImpl::WithOptions(ClientOptions options) const {
  return std::make_shared<const ClientImpl>(std::move(options), endpoint_, transport_);
}

internal::Headers ClientImpl::BaseHeaders() const {
  internal::Headers h;
  std::string agent = "gaon-sdk-cpp/" + std::string(kSdkVersion);
  if (!options_.user_agent_suffix.empty()) agent += " " + options_.user_agent_suffix;
  h.emplace_back("User-Agent", std::move(agent));
  h.emplace_back("Accept", "application/json");
  if (!options_.api_key.empty()) h.emplace_back("Authorization", "Bearer " + options_.api_key);
  if (!options_.operator_reason.empty()) h.emplace_back("X-Gaon-Operator-Reason", options_.operator_reason);
  return h;
}

std::string ClientImpl::Target(const Call& call) const {
  if (!call.raw_target.empty()) return endpoint_.base_path + call.raw_target;
  return internal::BuildTarget(endpoint_.base_path, call.path, call.query);
}

StatusOr<internal::HttpResponse> ClientImpl::Execute(const Call& call) const {
  return ExecuteWith(call, [this](const internal::HttpRequest& req, internal::Deadline deadline) {
    return transport_->Send(req, deadline);
  });
}

StatusOr<internal::HttpResponse> ClientImpl::ExecuteWith(const Call& call, const Attempt& send) const {
  const auto deadline = Clock::now() + options_.request_timeout;
  internal::HttpRequest req;
  req.method = call.method;
  req.target = Target(call);
  req.headers = BaseHeaders();
  for (const auto& h : call.headers) req.headers.push_back(h);
  if (call.body) {
    req.body = *call.body;
    if (!HasHeader(req.headers, "Content-Type")) {
      req.headers.emplace_back("Content-Type",
                               call.method == "PATCH" ? "application/merge-patch+json" : "application/json");
    }
  }
  // One key for the whole logical call: a retry of a POST the server already did replays the
  // stored answer instead of doing it twice.
  if (call.method == "POST" && !HasHeader(req.headers, "Idempotency-Key")) {
    req.headers.emplace_back("Idempotency-Key", "sdk-" + RandomHex(16));
  }
  const std::string request_id = "sdk-" + RandomHex(12);
  req.headers.emplace_back("X-Request-Id", request_id);
  const RetryPolicy policy = call.retry ? options_.retry : RetryPolicy{.max_attempts = 1};
  for (int attempt = 1;; ++attempt) {
    const std::string attempt_id = attempt == 1 ? request_id : request_id + "." + std::to_string(attempt);
    req.headers.back().second = attempt_id;
    const auto started = Clock::now();
    StatusOr<internal::HttpResponse> r = send(req, deadline);

    internal::AttemptOutcome outcome;
    std::string problem_code;
    AttemptInfo info{.method = req.method, .target = req.target, .attempt = attempt, .request_id = attempt_id};
    if (r.ok()) {
      outcome.http_status = info.http_status = r->status;
      if (auto id = r->Header("X-Request-Id")) info.request_id = *id;
      info.replayed = r->Header("Idempotent-Replayed") == "true";
      if (r->status >= 300) {
        info.status = internal::StatusFromProblem(r->status, r->body, info.request_id);
        problem_code = info.status.reason();
        outcome.problem_code = problem_code;
        if (auto ra = r->Header("Retry-After")) outcome.retry_after = internal::ParseRetryAfter(*ra);
      }
    } else {
      info.status = r.status().WithRequestId(attempt_id);
      outcome.transport = info.status;
      r = info.status;
    }
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const auto delay = internal::NextRetryDelay(policy, attempt, outcome, remaining, internal::RandomUnit());
    info.will_retry = delay.has_value();
    info.backoff = delay.value_or(std::chrono::milliseconds(0));
    info.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (options_.on_attempt) options_.on_attempt(info);
    if (!delay) return r;
    std::this_thread::sleep_for(*delay);
  }
}

StatusOr<internal::HttpResponse> ClientImpl::Do(const Call& call) const {
  ASSIGN_OR_RETURN(internal::HttpResponse r, Execute(call));
  if (r.status >= 200 && r.status < 300) return r;
  return internal::StatusFromProblem(r.status, r.body, r.Header("X-Request-Id").value_or(""));
}

// ---------------------------------------------------------------- call builders

Call Get(std::vector<std::string> path, internal::Query query) {
  return Call{.method = "GET", .path = std::move(path), .query = std::move(query)};
}

Call Delete(std::vector<std::string> path) { return Call{.method = "DELETE", .path = std::move(path)}; }

Call Post(std::vector<std::string> path, std::optional<std::string> body) {
  return Call{.method = "POST", .path = std::move(path), .body = std::move(body)};
}

Call Patch(std::vector<std::string> path, std::string body, std::optional<std::int64_t> if_match_version) {
  Call c{.method = "PATCH", .path = std::move(path), .body = std::move(body)};
  if (if_match_version) c.headers.emplace_back("If-Match", "\"" + std::to_string(*if_match_version) + "\"");
  return c;
}

Call Put(std::vector<std::string> path, std::string body) {
  return Call{.method = "PUT", .path = std::move(path), .body = std::move(body)};
}

std::vector<std::string> TenantPath(const TenantId& tenant, std::vector<std::string> rest) {
  std::vector<std::string> p{"v1", "tenants", tenant.str()};
  p.insert(p.end(), std::make_move_iterator(rest.begin()), std::make_move_iterator(rest.end()));
  return p;
}

std::string Action(const std::string& id, const char* action) { return id + ":" + action; }

bool KeepPolling(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded ||
         s.code() == StatusCode::kResourceExhausted;
}

Status PhaseWaitTimeout(const std::string& what, std::string_view phase, const WaitOptions& options,
                        const std::string& last_phase, const Status& last_error) {
  std::string message = what + " did not become " + std::string(phase) + " within " +
                        std::to_string(options.timeout.count() / 1000.0).substr(0, 6) + " s; it is " + last_phase;
  if (!last_error.ok()) message += " (last error: " + last_error.ToString() + ")";
  return DeadlineExceeded(message, "wait_timeout")
      .WithExtra("phase", boost::json::serialize(boost::json::value(last_phase)));
}

}  // namespace client_internal

// ---------------------------------------------------------------- Client

StatusOr<Client> Client::Create(ClientOptions options) {
  RETURN_IF_ERROR(Validate(options));
  ASSIGN_OR_RETURN(internal::Endpoint endpoint, internal::ParseEndpoint(options.endpoint));
  internal::TransportOptions t{.endpoint = endpoint,
                               .verify_tls = options.verify_tls,
                               .ca_file = options.ca_file,
                               .connect_timeout = options.connect_timeout,
                               .pool_size = options.pool_size};
  ASSIGN_OR_RETURN(std::shared_ptr<internal::Transport> transport, internal::Transport::Create(std::move(t)));
  return Client(std::make_shared<const client_internal::ClientImpl>(std::move(options), std::move(endpoint), std::move(transport)));
}

const ClientOptions& Client::options() const { return impl_->options(); }

Client Client::WithOperatorReason(std::string reason) const {
  // A header cannot carry line breaks or other controls; they become spaces.
  std::replace_if(reason.begin(), reason.end(), [](char c) { return !IsHeaderSafe(std::string_view(&c, 1)); }, ' ');
  ClientOptions o = impl_->options();
  o.operator_reason = std::move(reason);
  return Client(impl_->WithOptions(std::move(o)));
}

StatusOr<Health> Client::GetHealth() const {
  return client_internal::Fetch<Health>(*impl_, client_internal::Get({"healthz"}));
}

StatusOr<Readiness> Client::GetReadiness() const {
  Call c = client_internal::Get({"readyz"});
  c.retry = false;  // a probe wants the answer now, not after the server recovers
  return client_internal::Fetch<Readiness>(*impl_, c);
}

StatusOr<std::string> Client::GetMetrics() const {
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl_->Do(client_internal::Get({"metrics"})));
  return std::move(r.body);
}

StatusOr<std::string> Client::GetOpenApi() const {
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl_->Do(client_internal::Get({"v1", "openapi.yaml"})));
  return std::move(r.body);
}

StatusOr<Me> Client::GetMe() const { return client_internal::Fetch<Me>(*impl_, client_internal::Get({"v1", "me"})); }

StatusOr<RawResponse> Client::Raw(const RawRequest& request) const {
  ASSIGN_OR_RETURN(std::string target, internal::PrefixTarget("", request.target));
  const bool method_ok = !request.method.empty() && std::all_of(request.method.begin(), request.method.end(),
                                                                 [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!method_ok) return InvalidArgument("'" + request.method + "' is not an HTTP method", "invalid_method");
  for (const auto& [k, v] : request.headers) {
    if (!IsHeaderSafe(k) || !IsHeaderSafe(v) || k.empty()) {
      return InvalidArgument("header '" + k + "' has control characters or no name", "invalid_header");
    }
  }
  Call c{.method = request.method, .headers = request.headers, .raw_target = std::move(target)};
  if (!request.body.empty()) c.body = request.body;
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl_->Execute(c));
  return RawResponse{r.status, std::move(r.headers), std::move(r.body)};
}

std::optional<std::string> RawResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (internal::HeaderNameEquals(k, name)) return v;
  }
  return std::nullopt;
}

Status RawResponse::ToStatus() const {
  if (status >= 200 && status < 300) return Status::Ok();
  return internal::StatusFromProblem(status, body, Header("X-Request-Id").value_or(""));
}

}  // namespace gaon
