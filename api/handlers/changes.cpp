// The change feed of a tenant's resources: a page of recent changes, or — with watch=true —
// a Server-Sent Events stream that resumes from Last-Event-ID.
#include <boost/json.hpp>

#include <charconv>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "core/log.h"
#include "storage/change_feed.h"
#include "storage/changes.h"

namespace gaon::api {
namespace {

constexpr int kBatch = 500;
constexpr auto kHeartbeat = std::chrono::seconds(15);
constexpr auto kPollSlice = std::chrono::seconds(1);

StatusOr<std::optional<std::int64_t>> Cursor(const RequestContext& ctx) {
  std::optional<std::string_view> raw = ctx.request.Header("Last-Event-ID");
  if (!raw) raw = ctx.request.Query("since");
  if (!raw || raw->empty()) return std::optional<std::int64_t>();
  std::int64_t seq = 0;
  auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), seq);
  if (ec != std::errc() || p != raw->data() + raw->size() || seq < 0) {
    return ValidationFailed({{"since", "invalid", "since (or Last-Event-ID) must be a change sequence number"}});
  }
  return std::optional<std::int64_t>(seq);
}

std::string SseEvent(const ChangeEvent& e) {
  return "id: " + std::to_string(e.seq) + "\nevent: " + e.type + "\ndata: " + ToJsonText(e) + "\n\n";
}

}  // namespace

Handler ListChanges(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    const TenantId tenant = *ctx.tenant;
    ASSIGN_OR_RETURN(auto cursor, Cursor(ctx));
    const bool watch = ctx.request.Query("watch") == "true";
    // A page: page_size changes (500 unless asked) after `since` or the page token.
    ASSIGN_OR_RETURN(auto list, ctx.ListParams());
    const int page_size = ctx.request.Query("page_size") ? list.page_size : kBatch;
    ASSIGN_OR_RETURN(auto token_seq, PageSeq(list));
    if (token_seq) cursor = token_seq;
    std::int64_t from = 0;
    std::vector<ChangeEvent> first;
    storage::ChangeWindow window;
    RETURN_IF_ERROR(s.db->Transact({.tenant = tenant, .read_only = true, .name = "changes.list"}, [&](storage::Tx& tx) -> Status {
      ASSIGN_OR_RETURN(window, storage::GetChangeWindow(tx, tenant));
      from = cursor ? std::min(*cursor, window.head) : (watch ? window.head : std::max<std::int64_t>(0, window.oldest - 1));
      // Changes between the cursor and the oldest one kept are gone: the client must list again.
      if (cursor && from < window.head && (window.oldest == 0 || from < window.oldest - 1)) {
        return FailedPrecondition("changes after " + std::to_string(from) +
                                      " are no longer kept; list the resources again and watch from the new head",
                                  "resource_expired")
            .WithHttpStatus(410);
      }
      if (!watch) {
        ASSIGN_OR_RETURN(first, storage::ListChanges(tx, tenant, from, page_size));
      }
      return Status::Ok();
    }));
    if (!watch) {
      Page<ChangeEvent> page;
      page.items = std::move(first);
      if (static_cast<int>(page.items.size()) == page_size) {
        page.next_page_token = EncodePageToken(std::to_string(page.items.back().seq));
      }
      http::HttpResponse res = Json(200, page);
      res.Set("X-Gaon-Change-Head", std::to_string(window.head));
      return res;
    }
    http::HttpResponse res;
    res.status = 200;
    res.content_type = "text/event-stream";
    res.Set("Cache-Control", "no-cache");
    res.Set("X-Accel-Buffering", "no");
    const auto deadline = std::chrono::steady_clock::now() + s.config->server.max_stream_duration;
    res.stream = [&s, tenant, from, deadline](http::ResponseStream& out) {
      std::int64_t seq = from;
      // A bookmark first: clients that resume from it miss nothing.
      if (!out.Write("retry: 2000\nid: " + std::to_string(seq) + "\nevent: BOOKMARK\ndata: {\"seq\":" +
                     std::to_string(seq) + "}\n\n") ||
          !out.Flush()) {
        return;
      }
      for (;;) {
        std::vector<ChangeEvent> batch;
        // Marked before the read: a change announced while reading still wakes the wait below.
        const storage::ChangeFeed::Mark mark = s.feed ? s.feed->MarkOf(tenant.str()) : storage::ChangeFeed::Mark{};
        const Status read = s.db->Transact({.tenant = tenant, .read_only = true, .name = "changes.watch"},
                                           [&](storage::Tx& tx) -> Status {
                                             ASSIGN_OR_RETURN(batch, storage::ListChanges(tx, tenant, seq, kBatch));
                                             return Status::Ok();
                                           });
        if (!read.ok()) {
          out.Write("event: ERROR\ndata: " + boost::json::serialize(boost::json::object{{"code", read.reason()},
                                                                                         {"detail", read.message()}}) +
                    "\n\n");
          out.Flush();
          return;
        }
        for (const auto& e : batch) {
          if (!out.Write(SseEvent(e))) return;
          seq = e.seq;
        }
        if (!out.Flush()) return;
        if (static_cast<int>(batch.size()) == kBatch) continue;
        auto idle = std::chrono::steady_clock::duration::zero();
        for (;;) {
          if (out.closing() || std::chrono::steady_clock::now() > deadline) return;
          if (s.feed ? s.feed->Wait(tenant.str(), mark, kPollSlice) : false) break;
          if (!s.feed) std::this_thread::sleep_for(kPollSlice);
          idle += kPollSlice;
          if (idle >= kHeartbeat) {
            if (!out.Write(": ping\n\n") || !out.Flush()) return;
            break;  // re-read now and then anyway: notifications are only hints
          }
        }
      }
    };
    return res;
  };
}

}  // namespace gaon::api
