// The change feed: a page of changes, and the Server-Sent-Events watch that resumes where it
// left off.
#include <charconv>
#include <condition_variable>
#include <mutex>

#include "client/client_impl.h"
#include "internal/problem.h"
#include "internal/retry.h"
#include "internal/sse.h"

namespace gaon {

using namespace client_internal;  // NOLINT: the call builders, in this file only

namespace {

using Clock = std::chrono::steady_clock;

// The server pings an idle stream every 15 s; three missed pings mean the connection is dead.
constexpr auto kStreamIdleTimeout = std::chrono::seconds(45);

std::optional<std::int64_t> ParseSeq(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Sleeps `d` unless `stop` is requested or `until` comes first; false when stopped.
bool SleepUnless(std::chrono::milliseconds d, const std::stop_token& stop, Clock::time_point until) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  const auto wait = std::min<Clock::duration>(d, std::max<Clock::duration>(Clock::duration::zero(), until - Clock::now()));
  cv.wait_for(lock, stop, wait, [] { return false; });
  return !stop.stop_requested();
}

// One watch: the cursor, the callback, and what ended the last stream.
class Watcher {
 public:
  Watcher(const std::function<bool(const ChangeEvent&)>& on_event, const WatchOptions& options)
      : on_event_(on_event), options_(options), cursor_(options.since) {}

  std::optional<std::int64_t> cursor() const { return cursor_; }
  bool stopped_by_callback() const { return stopped_; }
  const Status& event_error() const { return event_error_; }
  // Whether the last stream delivered a bookmark or a change (it worked, for a while).
  bool received() const { return received_; }

  // Before each stream: a broken one may have left half an event behind.
  void Reset() {
    parser_ = {};
    event_error_ = Status::Ok();
    received_ = false;
  }

  // Feeds stream bytes; false to stop reading.
  bool OnData(std::string_view bytes) {
    return parser_.Feed(bytes, [this](const internal::SseMessage& m) { return OnMessage(m); });
  }

 private:
  bool OnMessage(const internal::SseMessage& m) {
    if (m.event == "ERROR") {
      auto body = ParseJson(m.data);
      std::string detail = m.data;
      if (body.ok() && body->is_object() && body->get_object().if_contains("detail")) {
        const auto& d = body->get_object().at("detail");
        if (d.is_string()) detail = std::string(d.get_string());
      }
      event_error_ = Unavailable("the watch stream reported an error: " + detail, "stream_error");
      return false;
    }
    received_ = true;
    if (m.event == "BOOKMARK") {
      const auto seq = ParseSeq(m.id);
      if (seq) cursor_ = *seq;
      if (!options_.bookmarks || !seq) return true;
      ChangeEvent bookmark;
      bookmark.seq = *seq;
      bookmark.type = "BOOKMARK";
      return Deliver(bookmark);
    }
    auto event = FromJsonText<ChangeEvent>(m.data, ReadMode::kLenient);
    if (!event.ok()) {
      event_error_ = Internal("a watch event could not be read: " + event.status().ToString(), "invalid_response");
      return false;
    }
    cursor_ = event->seq;
    return Deliver(*event);
  }

  bool Deliver(const ChangeEvent& e) {
    if (on_event_(e)) return true;
    stopped_ = true;
    return false;
  }

  const std::function<bool(const ChangeEvent&)>& on_event_;
  const WatchOptions& options_;
  internal::SseParser parser_;
  std::optional<std::int64_t> cursor_;
  bool stopped_ = false;
  bool received_ = false;
  Status event_error_;
};

}  // namespace

StatusOr<ChangesPage> Client::ListChanges(const TenantId& tenant, ChangesQuery query) const {
  internal::Query q = {{"since", query.since ? std::to_string(*query.since) : ""},
                       {"page_token", query.list.page_token}};
  if (query.list.page_size > 0) q.emplace_back("page_size", std::to_string(query.list.page_size));
  ASSIGN_OR_RETURN(internal::HttpResponse r, impl_->Do(Get(TenantPath(tenant, {"events"}), std::move(q))));
  ASSIGN_OR_RETURN(Page<ChangeEvent> page, Decode<Page<ChangeEvent>>(r));
  ChangesPage out{std::move(page.items), std::move(page.next_page_token), 0};
  if (auto head = r.Header("X-Gaon-Change-Head")) out.head = ParseSeq(*head).value_or(0);
  return out;
}

Status Client::WatchChanges(const TenantId& tenant, const std::function<bool(const ChangeEvent&)>& on_event,
                            WatchOptions options) const {
  const auto until = options.timeout.count() > 0 ? Clock::now() + options.timeout : Clock::time_point::max();
  const RetryPolicy& policy = impl_->options().retry;
  Watcher watcher(on_event, options);
  int failures = 0;
  for (;;) {
    if (options.stop.stop_requested() || Clock::now() >= until) return Status::Ok();
    internal::HttpRequest req{.method = "GET",
                              .target = impl_->Target(Get(TenantPath(tenant, {"events"}), {{"watch", "true"}})),
                              .headers = impl_->BaseHeaders()};
    req.headers.emplace_back("Accept", "text/event-stream");
    if (auto seq = watcher.cursor()) req.headers.emplace_back("Last-Event-ID", std::to_string(*seq));
    watcher.Reset();
    const auto head_deadline = std::min(until, Clock::now() + impl_->options().request_timeout);
    auto r = impl_->transport().Stream(req, head_deadline, kStreamIdleTimeout, options.stop, until,
                                       [&](std::string_view bytes) { return watcher.OnData(bytes); });
    if (watcher.stopped_by_callback() || options.stop.stop_requested() || Clock::now() >= until) return Status::Ok();
    internal::AttemptOutcome outcome;
    Status failure;
    if (!r.ok()) {
      failure = outcome.transport = r.status();
    } else if (r->status != 200) {
      failure = internal::StatusFromProblem(r->status, r->body, r->Header("X-Request-Id").value_or(""));
      outcome.http_status = r->status;
      outcome.problem_code = failure.reason();
      if (auto ra = r->Header("Retry-After")) outcome.retry_after = internal::ParseRetryAfter(*ra);
    } else if (!watcher.event_error().ok()) {
      failure = watcher.event_error();
      if (failure.code() != StatusCode::kUnavailable) return failure;
      outcome.transport = Unavailable(failure.message(), "connection_reset");  // the server's read failed: retry
    }
    if (!options.reconnect) return failure;
    if (watcher.received()) failures = 0;  // the stream worked for a while: start the backoff afresh
    if (failure.ok()) continue;            // the server ended the stream (its length limit): resume now
    ++failures;
    const auto delay = internal::NextRetryDelay(policy, failures, outcome, std::chrono::hours(24), internal::RandomUnit());
    if (!delay) return failure;
    if (!SleepUnless(*delay, options.stop, until)) return Status::Ok();
  }
}

}  // namespace gaon
