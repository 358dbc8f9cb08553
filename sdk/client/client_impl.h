// ClientImpl: what every Client method shares — the options, the transport, and Execute(),
// the one place a request is built, sent, retried and its answer turned into a StatusOr.
// The typed methods (client.cpp, client_tenancy.cpp, client_compute.cpp,
// client_changes.cpp) are one or two lines each on top of the helpers here.
// Thread-safety: immutable after construction; every member is safe to call concurrently.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gaon/client.h"
#include "internal/transport.h"
#include "internal/url.h"

namespace gaon::client_internal {

class ClientImpl {
 public:
  // One logical call; Execute sends it, with retries.
  struct Call {
    std::string method = "GET";
    std::vector<std::string> path;  // segments below the base path: {"v1", "tenants", id}
    internal::Query query;
    std::optional<std::string> body;  // JSON; absent: no body
    internal::Headers headers;        // extra headers (If-Match, Last-Event-ID, …)
    bool retry = true;                // false: one attempt (readiness probes)
    std::string raw_target;           // set instead of `path`/`query` by Raw()
  };

  ClientImpl(ClientOptions options, internal::Endpoint endpoint, std::shared_ptr<internal::Transport> transport);

  const ClientOptions& options() const { return options_; }
  const internal::Endpoint& endpoint() const { return endpoint_; }
  internal::Transport& transport() const { return *transport_; }

  // The same client with other options but this one's transport and pool.
  std::shared_ptr<const ClientImpl> WithOptions(ClientOptions options) const;

  // Sends `call` until an attempt succeeds, fails for good, the retry policy is spent, or the
  // deadline (now + request_timeout) would pass; returns the last answer, whatever its HTTP
  // status, or the last transport error (with the request id that was sent).
  StatusOr<internal::HttpResponse> Execute(const Call& call) const;
  // One attempt: sends the request, whose headers are complete, before the deadline.
  using Attempt =
      std::function<StatusOr<internal::HttpResponse>(const internal::HttpRequest&, internal::Deadline)>;
  // Execute with `attempt` in place of Transport::Send (a streamed read); an attempt that
  // should not be repeated returns an error that is not transient.
  StatusOr<internal::HttpResponse> ExecuteWith(const Call& call, const Attempt& attempt) const;
  // Execute, with any non-2xx answer turned into its Status.
  StatusOr<internal::HttpResponse> Do(const Call& call) const;

  // The request headers every call carries (credentials, user agent, operator reason).
  internal::Headers BaseHeaders() const;
  std::string Target(const Call& call) const;

 private:
  ClientOptions options_;
  internal::Endpoint endpoint_;
  std::shared_ptr<internal::Transport> transport_;
};

using Call = ClientImpl::Call;

// The JSON request body for `value`: its input fields (output-only ones left out, input-only
// ones such as user_data kept), as the server's strict reader wants them.
template <typename T>
std::string RequestBody(const T& value);

// Reads T leniently from a 2xx answer; Internal("invalid_response") naming the fields that
// could not be read.
template <typename T>
StatusOr<T> Decode(const internal::HttpResponse& response);

// Do(call), then Decode<T>.
template <typename T>
StatusOr<T> Fetch(const ClientImpl& impl, const Call& call) {
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl.Do(call));
  return Decode<T>(r);
}

// Do(call), dropping the body.
inline Status FetchNothing(const ClientImpl& impl, const Call& call) { return impl.Do(call).status(); }

// A lazy range over a paged list at `call`; page_size and page_token are added per page.
template <typename T>
ListRange<T> PagedList(std::shared_ptr<const ClientImpl> impl, Call call, const ListOptions& list) {
  if (list.page_size > 0) call.query.emplace_back("page_size", std::to_string(list.page_size));
  auto fetch = [impl = std::move(impl), call = std::move(call)](const std::string& token) -> StatusOr<Page<T>> {
    Call page = call;
    page.query.emplace_back("page_token", token);
    return Fetch<Page<T>>(*impl, page);
  };
  return ListRange<T>(std::move(fetch), list.page_token);
}

// A list answered in one page ({"items": [...]}) as a vector.
template <typename T>
StatusOr<std::vector<T>> Items(const ClientImpl& impl, const Call& call) {
  ASSIGN_OR_RETURN(Page<T> page, Fetch<Page<T>>(impl, call));
  return std::move(page.items);
}

Call Get(std::vector<std::string> path, internal::Query query = {});
Call Delete(std::vector<std::string> path);
// POST with a JSON body (an empty body when `body` is empty).
Call Post(std::vector<std::string> path, std::optional<std::string> body = std::nullopt);
Call Patch(std::vector<std::string> path, std::string body, std::optional<std::int64_t> if_match_version);
Call Put(std::vector<std::string> path, std::string body);

// Errors a waiter polls through: the client already retried them, but a wait is longer.
bool KeepPolling(const Status& s);

// DeadlineExceeded("wait_timeout", extra `phase`) for a waiter that did not see `what`
// ("instance inst_…") reach `phase` within options.timeout; `last_error` (when not OK) is the
// last poll's failure.
Status PhaseWaitTimeout(const std::string& what, std::string_view phase, const WaitOptions& options,
                        const std::string& last_phase, const Status& last_error);

// What a waiter's check made of one poll: nullopt to poll again, OK when the wait is over (the
// polled resource is returned), or the error that ends the wait.
using PollVerdict = std::optional<Status>;

// The waiters' loop: reads the resource with `fetch` and hands it to `check` until the check
// ends the wait, sleeping between polls (from options.initial_interval, growing ×1.5 up to
// options.max_interval). A failed read the waiter may poll through (KeepPolling) is kept as
// the last error; any other ends the wait (NotFound too: a resource purged while waiting for
// Deleted has no tombstone left to return). Once options.timeout has passed, returns
// timed_out(the last error, OK when the last read worked).
template <typename T>
StatusOr<T> PollUntil(const WaitOptions& options, const std::function<StatusOr<T>()>& fetch,
                      const std::function<PollVerdict(const T&)>& check,
                      const std::function<Status(const Status& last_error)>& timed_out) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + options.timeout;
  auto interval = options.initial_interval;
  Status last_error;
  for (;;) {
    StatusOr<T> r = fetch();
    if (r.ok()) {
      last_error = Status::Ok();
      if (PollVerdict verdict = check(*r)) {
        if (!verdict->ok()) return *verdict;
        return r;
      }
    } else if (!KeepPolling(r.status())) {
      return r.status();
    } else {
      last_error = r.status();
    }
    const auto now = Clock::now();
    if (now >= deadline) return timed_out(last_error);
    std::this_thread::sleep_for(std::min<Clock::duration>(interval, deadline - now));
    interval = std::min(options.max_interval, std::chrono::milliseconds(interval.count() * 3 / 2));
  }
}

// How WaitForPhase treats one kind of reconciled resource (R: Instance or Endpoint, with
// `generation` and status.phase / status.observed_generation).
template <typename R>
struct PhaseRules {
  std::string what;                             // "instance inst_…", for messages
  std::string_view failed, deleting, deleted;   // the kind's phases
  std::string deleted_reason;                   // "instance_deleted"
  bool failed_needs_current = false;            // Failed ends the wait only once current
  std::function<Status(const R&)> failed_status;  // why a Failed one failed
};

// Polls until the resource's phase is `phase` (waiting for Deleting accepts Deleted too) —
// and, with options.require_observed_generation, the controllers have acted on the latest
// spec. Fails fast with rules.failed_status at Failed, with FailedPrecondition
// (rules.deleted_reason) when it is being deleted and `phase` is not a deletion phase, and
// with the read's error when it is not one to poll through (NotFound: purged); else
// wait_timeout after options.timeout.
template <typename R>
StatusOr<R> WaitForPhase(const std::function<StatusOr<R>()>& fetch, std::string_view phase,
                         const WaitOptions& options, const PhaseRules<R>& rules) {
  auto deletion = [&rules](std::string_view p) { return p == rules.deleting || p == rules.deleted; };
  std::string last_phase = "unknown";
  return PollUntil<R>(
      options, fetch,
      [&](const R& r) -> PollVerdict {
        last_phase = r.status.phase;
        if (options.on_poll) options.on_poll(last_phase);
        const bool current = !options.require_observed_generation || r.status.observed_generation >= r.generation;
        // Deleting is a stage on the way to Deleted: a tombstone has been through it.
        const bool reached = r.status.phase == phase || (phase == rules.deleting && r.status.phase == rules.deleted);
        if (reached && current) return Status::Ok();
        if (r.status.phase == rules.failed && (current || !rules.failed_needs_current)) return rules.failed_status(r);
        if (deletion(r.status.phase) && !deletion(phase)) {
          return FailedPrecondition(rules.what + " is " + r.status.phase + "; it will not become " + std::string(phase),
                                    rules.deleted_reason);
        }
        return std::nullopt;
      },
      [&](const Status& last_error) { return PhaseWaitTimeout(rules.what, phase, options, last_phase, last_error); });
}

// "v1", "tenants", tenant — the prefix of a tenant's routes.
std::vector<std::string> TenantPath(const TenantId& tenant, std::vector<std::string> rest = {});
// "id:action" — a custom method on a resource.
std::string Action(const std::string& id, const char* action);

}  // namespace gaon::client_internal

#include "client/client_impl_inl.h"
