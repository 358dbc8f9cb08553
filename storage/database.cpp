#include "storage/database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "storage/change_notifier.h"
#include "storage/internal/pq.h"

namespace gaon::storage {
namespace {

using Clock = std::chrono::steady_clock;

// Adds connect_timeout to a libpq keyword string or URI.
std::string WithConnectTimeout(const std::string& url, std::chrono::milliseconds timeout) {
  const long secs = std::max<long>(1, static_cast<long>((timeout.count() + 999) / 1000));
  if (url.find("connect_timeout") != std::string::npos) return url;
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + std::to_string(secs);
  }
  return url + " connect_timeout=" + std::to_string(secs);
}

// The BEGIN for `o`, a named statement prepared once per connection like any other: a
// transaction costs PostgreSQL no parsing of its BEGIN (nor of its COMMIT, storage/pq.cpp).
Sql BeginSql(const TxOptions& o) {
  switch (o.isolation) {
    case Isolation::kReadCommitted:
      return o.read_only ? Sql{"tx.begin.rc.ro", "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"}
                         : Sql{"tx.begin.rc", "BEGIN ISOLATION LEVEL READ COMMITTED"};
    case Isolation::kRepeatableRead:
      return o.read_only ? Sql{"tx.begin.rr.ro", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"}
                         : Sql{"tx.begin.rr", "BEGIN ISOLATION LEVEL REPEATABLE READ"};
    case Isolation::kSerializable:
      return o.read_only ? Sql{"tx.begin.ser.ro", "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"}
                         : Sql{"tx.begin.ser", "BEGIN ISOLATION LEVEL SERIALIZABLE"};
  }
  return {"tx.begin", "BEGIN"};
}

std::string Array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\"" : "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

// Attempt's answer when a transaction tried as one round trip (TxOptions::one_trip) needed a
// second; Transact runs it again with BEGIN, so no caller sees it.
constexpr std::string_view kNeedsTransactionBlock = "needs_transaction_block";

constexpr Sql kSettings{"gaon.tx.settings", "SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)"};

// Every setting a request's statements may set: TxOptions::settings and the set_config calls
// of storage/credentials.cpp and storage/audit.cpp. A grouped transaction (TxOptions::group)
// sets each of them again for every member, to the member's value or back to empty, so that
// no member runs with an earlier member's tenant, principal or platform access.
constexpr std::string_view kRequestSettings[] = {"gaon.tenant_id",  "gaon.platform",   "gaon.principal",
                                                 "gaon.auth_credential", "gaon.auth_email", "gaon.platform_saved"};

// The statement that sets `o`'s row-level-security settings; with `reset`, every other
// request setting is set back to empty too; with `read_only`, transaction_read_only (what
// BEGIN … READ ONLY sets, for a transaction without BEGIN).
Statement SettingsStatement(const TxOptions& o, bool reset, bool read_only = false) {
  std::vector<std::string> names = {"gaon.tenant_id", "gaon.platform"};
  std::vector<std::string> values = {o.tenant ? o.tenant->str() : std::string(), o.platform ? "on" : "off"};
  for (const auto& [n, v] : o.settings) {
    assert(n.rfind("gaon.", 0) == 0);
    names.push_back(n);
    values.push_back(v);
  }
  if (reset) {
    for (std::string_view n : kRequestSettings) {
      if (std::find(names.begin(), names.end(), n) != names.end()) continue;
      names.emplace_back(n);
      values.emplace_back();
    }
  }
  if (!o.durable) {
    names.push_back("synchronous_commit");
    values.push_back("off");
  }
  if (read_only) {
    names.push_back("transaction_read_only");
    values.push_back("on");
  }
  Statement settings = Prepared(kSettings, Array(names), Array(values));
  settings.preamble = true;
  return settings;
}

// Queues BEGIN; it goes out with the first statement. A transaction run as one round trip
// (TxOptions::one_trip) has none.
void QueueBegin(Connection& c, const TxOptions& o, bool one_trip = false) {
  c.tx_failed = false;
  c.begun = false;
  c.one_trip = one_trip;
  c.one_trip_sent = false;
  c.queue.clear();
  if (one_trip) return;
  const Sql begin = BeginSql(o);
  c.queue.push_back(Statement{.name = begin.name, .text = begin.text, .begins = true, .preamble = true});
}

// Queues BEGIN and the row-level-security settings; they go out with the first statement.
// `one_trip` (TxOptions::one_trip): no BEGIN, and the settings make the transaction read-only.
void StartTransaction(Connection& c, const TxOptions& o, bool one_trip) {
  QueueBegin(c, o, one_trip);
  c.queue.push_back(SettingsStatement(o, /*reset=*/false, /*read_only=*/one_trip));
}

// The answers a transaction alone and a grouped one give alike.
Status SwallowedFailure() {
  return Internal("a statement failed inside a transaction that was then committed", "transaction_failed");
}
Status CommitInDoubt() {
  return Unavailable("the database connection was lost during COMMIT; the outcome is unknown", "commit_in_doubt");
}
Status CancelledAtShutdown() {
  return Unavailable("gaond is shutting down: the transaction was cancelled and rolled back", "shutting_down");
}

bool IsRetryable(const Status& s) {
  return (s.code() == StatusCode::kAborted &&
          (s.reason() == "serialization_failure" || s.reason() == "deadlock_detected")) ||
         (s.code() == StatusCode::kUnavailable && s.reason() == "connection_lost");
}

std::chrono::microseconds Backoff(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const long base_us = 2000L << std::min(attempt - 1, 8);  // 2 ms, 4 ms, … 512 ms
  std::uniform_int_distribution<long> jitter(base_us / 2, base_us);
  return std::chrono::microseconds(jitter(rng));
}

}  // namespace

struct Database::Impl {
  DatabaseConfig config;
  std::string url;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Connection>> idle;
  int open = 0;
  int waiting = 0;
  bool closed = false;
  std::uint64_t waits = 0, timeouts = 0, reconnects = 0, retries = 0;
  std::thread flusher;
  std::condition_variable flusher_cv;
  // Set by Interrupt(): connections refuse to send statements from then on.
  std::atomic<bool> interrupted{false};
  // Connections checked out by Transact() (guarded by mu), so Interrupt() can cancel them.
  std::unordered_set<Connection*> in_use;
  // Announces the changes of committed transactions (see change_notifier.h for why not in them).
  std::unique_ptr<ChangeNotifier> notifier;

  // Group commit (TxOptions::group). A caller queues its transaction as a Member and waits;
  // whichever waiting caller may lead — fewer than `group_leaders` groups are running and no
  // running group holds its tenant — takes itself and the waiting members of tenants no running
  // group holds, runs them one after the other in one transaction and wakes them all. Tenants
  // are disjoint between running groups, and each group takes its members' locks in tenant
  // order, so groups do not wait on each other's tenant rows; members of one tenant run in
  // arrival order and each sees what the earlier ones wrote, as it would after their commits.
  struct Member {
    const TxOptions* options;
    const std::function<Status(Tx&)>* fn;
    enum State { kWaiting, kTaken, kDone, kAlone };
    State state = kWaiting;    // guarded by group_mu: what the caller waits on
    State outcome = kTaken;    // set by the leader while it runs the group; published as state
    Status result;             // kDone: the caller's answer. kAlone: nothing committed; run it alone
  };
  std::mutex group_mu;
  std::condition_variable group_cv;
  std::deque<Member*> group_waiting;
  std::unordered_set<std::string> group_tenants;  // tenants of the groups running now
  int group_leaders_running = 0;
  std::uint64_t groups = 0, grouped = 0;  // guarded by mu, like the pool's counters

  // TxOptions::one_trip: the names of transactions that needed a second round trip after all;
  // they run with BEGIN from then on.
  std::mutex multi_trip_mu;
  std::set<std::string, std::less<>> multi_trip;
  std::uint64_t one_trip_reruns = 0;  // guarded by multi_trip_mu

  bool MayRunAsOneTrip(const TxOptions& o) {
    if (!o.one_trip || !o.read_only || o.isolation != Isolation::kReadCommitted) return false;
    std::lock_guard lock(multi_trip_mu);
    return multi_trip.find(o.name) == multi_trip.end();
  }
  void RememberMultiTrip(const TxOptions& o) {
    std::lock_guard lock(multi_trip_mu);
    multi_trip.emplace(o.name);
    ++one_trip_reruns;
  }

  // Commits read-only transactions left open on idle connections (defer_commit), so no
  // transaction — and no lock it holds — outlives its request by more than a few milliseconds.
  void Flush() {
    constexpr auto kAfter = std::chrono::milliseconds(20);
    std::unique_lock lock(mu);
    while (!closed) {
      flusher_cv.wait_for(lock, kAfter);
      const auto now = Clock::now();
      std::vector<std::unique_ptr<Connection>> due;
      for (auto it = idle.begin(); it != idle.end();) {
        if ((*it)->pending_commit && now - (*it)->last_used >= kAfter) {
          due.push_back(std::move(*it));
          it = idle.erase(it);
        } else {
          ++it;
        }
      }
      if (due.empty()) continue;
      lock.unlock();
      for (auto& c : due) {
        try {
          c->RunPlain("COMMIT");
          c->pending_commit = false;
        } catch (const std::exception&) {
          c->broken = true;
        }
        Return(std::move(c), /*touch=*/false);
      }
      lock.lock();
    }
  }

  StatusOr<std::unique_ptr<Connection>> Connect() {
    auto c = std::make_unique<Connection>(PQconnectdb(url.c_str()), &interrupted);
    if (PQstatus(c->raw) != CONNECTION_OK) {
      std::string error = PQerrorMessage(c->raw);
      while (!error.empty() && error.back() == '\n') error.pop_back();
      LogWarn("database connect failed", {{"error", error}});
      return Unavailable("cannot connect to the database: " + error, "database_unavailable");
    }
    // Notices (e.g. "there is no transaction in progress") are not errors; keep them off stderr.
    PQsetNoticeProcessor(c->raw, [](void*, const char*) {}, nullptr);
    try {
      // Transactions without BEGIN (TxOptions::one_trip) take the default isolation.
      c->RunPlain(("SET TIME ZONE 'UTC'; SET default_transaction_isolation = 'read committed'; "
                   "SET statement_timeout = " + std::to_string(config.statement_timeout.count()) +
                   "; SET application_name = 'gaond'")
                      .c_str());
    } catch (const std::exception& e) {
      LogWarn("database connect failed", {{"error", e.what()}});
      return Unavailable(std::string("cannot set up the database connection: ") + e.what(), "database_unavailable");
    }
    return c;
  }

  bool Ping(Connection& c) {
    try {
      c.RunPlain(c.pending_commit ? "COMMIT" : "SELECT 1");
      c.pending_commit = false;
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  StatusOr<std::unique_ptr<Connection>> Checkout() {
    const auto deadline = Clock::now() + config.checkout_timeout;
    std::unique_lock lock(mu);
    bool counted_wait = false;
    while (!closed && idle.empty() && open >= config.pool_size) {
      if (!counted_wait) {
        ++waits;
        counted_wait = true;
      }
      ++waiting;
      const bool woke = cv.wait_until(lock, deadline) == std::cv_status::no_timeout;
      --waiting;
      if (!woke && idle.empty() && open >= config.pool_size) {
        ++timeouts;
        return Unavailable("no database connection became free in time", "database_busy");
      }
    }
    if (closed) return Unavailable("the database pool is closed", "shutting_down");
    if (!idle.empty()) {
      auto c = std::move(idle.back());  // LIFO keeps a warm core of connections
      idle.pop_back();
      lock.unlock();
      if (Clock::now() - c->last_used > config.health_check_idle && !Ping(*c)) {
        lock.lock();
        --open;
        ++reconnects;
        lock.unlock();
        c.reset();
        return Reopen();
      }
      return c;
    }
    ++open;
    lock.unlock();
    auto c = Connect();
    if (!c.ok()) {
      std::lock_guard relock(mu);
      --open;
      cv.notify_one();
    }
    return c;
  }

  StatusOr<std::unique_ptr<Connection>> Reopen() {
    {
      std::lock_guard lock(mu);
      if (closed) return Unavailable("the database pool is closed", "shutting_down");
      ++open;
    }
    auto c = Connect();
    if (!c.ok()) {
      std::lock_guard lock(mu);
      --open;
      cv.notify_one();
    }
    return c;
  }

  void MarkInUse(Connection* c) {
    std::lock_guard lock(mu);
    in_use.insert(c);
  }

  void Return(std::unique_ptr<Connection> c, bool touch = true) {
    std::lock_guard lock(mu);
    in_use.erase(c.get());
    if (c->broken || closed) {
      --open;
      if (c->broken) ++reconnects;
    } else {
      if (touch) c->last_used = Clock::now();
      idle.push_back(std::move(c));
    }
    cv.notify_one();
  }

  // One attempt. Marks the connection broken when it must be discarded.
  Status Attempt(Connection& c, const TxOptions& options, int attempt, bool one_trip,
                 const std::function<Status(Tx&)>& fn) {
    bool committing = false;
    try {
      StartTransaction(c, options, one_trip);
      Tx tx(c, options, attempt);
      Status s = fn(tx);
      if (!s.ok()) {
        c.Rollback();
        return s;
      }
      if (c.tx_failed) {
        // A statement failed and the callback swallowed it: PostgreSQL would answer COMMIT
        // with ROLLBACK, so this must not be reported as committed.
        c.Rollback();
        return SwallowedFailure();
      }
      assert((!options.defer_commit || options.read_only) && "only read-only transactions may defer their COMMIT");
      committing = true;
      c.Commit(options.defer_commit);
      notifier->Post(std::move(tx.notices_));
      return Status::Ok();
    } catch (const NeedsTransactionBlock&) {
      c.Rollback();  // nothing of this attempt is open any more; nothing was sent for it
      return Internal("a transaction run as one round trip needed a second", std::string(kNeedsTransactionBlock));
    } catch (const ConnectionLost&) {
      c.broken = true;
      if (committing) {
        return CommitInDoubt();
      }
      return Unavailable("the database connection was lost", "connection_lost");
    } catch (const std::exception& e) {
      Status s = StatusFromException(e);
      if (const auto* sql = dynamic_cast<const SqlError*>(&e); sql && sql->state() == kQueryCanceled && interrupted) {
        s = CancelledAtShutdown();
      }
      try {
        if (!c.broken) c.Rollback();
      } catch (const std::exception&) {
        c.broken = true;
      }
      if (s.reason() == "connection_lost") c.broken = true;
      return s;
    }
  }

  // Runs `m` in a group, leading one when it may; false when it must run alone after all.
  bool RunGrouped(Member& m) {
    const std::string tenant = m.options->tenant->str();
    std::unique_lock lock(group_mu);
    group_waiting.push_back(&m);
    for (;;) {
      if (m.state == Member::kDone) return true;
      if (m.state == Member::kAlone) return false;
      if (m.state == Member::kWaiting && group_leaders_running < config.group_leaders &&
          !group_tenants.count(tenant)) {
        std::vector<Member*> group = TakeGroup(m);
        ++group_leaders_running;
        lock.unlock();
        RunGroup(group);
        lock.lock();
        --group_leaders_running;
        for (Member* g : group) {
          group_tenants.erase(g->options->tenant->str());
          g->state = g->outcome;
        }
        group_cv.notify_all();
        continue;
      }
      group_cv.wait(lock);
    }
  }

  // Under group_mu: `leader` and the oldest waiting members whose tenants no running group
  // holds, at most group_size, in tenant order (a tenant's members keep their order).
  std::vector<Member*> TakeGroup(Member& leader) {
    std::vector<Member*> group;
    int room = config.group_size - 1;  // besides the leader
    for (Member* w : group_waiting) {
      if (w == &leader || (room > 0 && !group_tenants.count(w->options->tenant->str()))) {
        if (w != &leader) --room;
        group.push_back(w);
      }
    }
    for (Member* g : group) {
      g->state = Member::kTaken;
      group_tenants.insert(g->options->tenant->str());
    }
    group_waiting.erase(std::remove_if(group_waiting.begin(), group_waiting.end(),
                                       [](Member* w) { return w->state == Member::kTaken; }),
                        group_waiting.end());
    std::stable_sort(group.begin(), group.end(),
                     [](Member* a, Member* b) { return *a->options->tenant < *b->options->tenant; });
    return group;
  }

  // One transaction for the whole group; each member's outcome is set (kDone or kAlone).
  void RunGroup(std::vector<Member*>& group) {
    auto conn = Checkout();
    if (!conn.ok()) {
      // As alone: a database that is restarting is waited for (Transact's retries), anything
      // else is the answer.
      for (Member* g : group) {
        g->result = conn.status();
        g->outcome = conn.status().reason() == "database_unavailable" ? Member::kAlone : Member::kDone;
      }
      return;
    }
    MarkInUse(conn->get());
    AttemptGroup(**conn, group);
    Return(std::move(*conn));
    std::lock_guard lock(mu);
    ++groups;
    grouped += group.size();
  }

  void AttemptGroup(Connection& c, std::vector<Member*>& group) {
    static constexpr std::string_view kSavepoint = "SAVEPOINT grouped";
    std::vector<Member*> committing;  // members whose work the COMMIT is to make durable
    std::vector<std::string> notices;
    bool commit_sent = false;
    try {
      QueueBegin(c, *group.front()->options);
      for (Member* m : group) {
        // The savepoint and the member's settings go out with its first statement.
        const std::size_t mark = c.queue.size();
        const std::uint64_t trips = c.round_trips;
        c.queue.push_back(Statement{.text = kSavepoint, .preamble = true});
        c.queue.push_back(SettingsStatement(*m->options, /*reset=*/true));
        Tx tx(c, *m->options, 1);
        Status s;
        try {
          s = (*m->fn)(tx);
        } catch (const ConnectionLost&) {
          throw;
        } catch (const std::exception& e) {
          if (interrupted) throw;
          s = StatusFromException(e);
        }
        if (s.ok() && c.tx_failed) {
          s = SwallowedFailure();
        }
        if (s.ok()) {
          c.queue.push_back(Statement{.text = "RELEASE SAVEPOINT grouped", .preamble = true});
          for (auto& n : tx.notices_) notices.push_back(std::move(n));
          committing.push_back(m);
          continue;
        }
        // Undo this member's work only: drop it if none of it was sent, else roll back to its
        // savepoint (with the next statement sent, before anything else).
        if (c.round_trips == trips) {
          c.queue.resize(mark);
        } else {
          c.queue.clear();
          c.queue.push_back(Statement{.text = "ROLLBACK TO SAVEPOINT grouped", .preamble = true});
          c.queue.push_back(Statement{.text = "RELEASE SAVEPOINT grouped", .preamble = true});
          c.tx_failed = false;
        }
        if (IsRetryable(s)) {
          m->outcome = Member::kAlone;  // e.g. a deadlock: it runs again on its own
        } else {
          m->result = s;
          m->outcome = Member::kDone;
        }
      }
      if (committing.empty()) {
        c.Rollback();
        return;
      }
      commit_sent = true;
      c.Commit(false);
      for (Member* m : committing) {
        m->result = Status::Ok();
        m->outcome = Member::kDone;
      }
      notifier->Post(std::move(notices));
    } catch (const std::exception& e) {
      if (StatusFromException(e).reason() == "connection_lost") c.broken = true;
      if (!c.broken) {
        try {
          c.Rollback();
        } catch (const std::exception&) {
          c.broken = true;
        }
      }
      // Members already answered (their own refusals) or sent to run alone keep that.
      for (Member* m : group) {
        if (m->outcome != Member::kTaken) continue;
        if (commit_sent && c.broken) {  // as alone: checked before the interrupt, it may have committed
          m->result = CommitInDoubt();
          m->outcome = Member::kDone;
        } else if (interrupted) {
          m->result = CancelledAtShutdown();
          m->outcome = Member::kDone;
        } else {
          m->outcome = Member::kAlone;  // nothing of it committed: it runs again on its own
        }
      }
    }
  }
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() { Close(); }

StatusOr<std::unique_ptr<Database>> Database::Create(const DatabaseConfig& config, MetricsRegistry* metrics) {
  if (config.url.empty()) return InvalidArgument("database.url is not set", "invalid_config");
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->config.group_leaders = config.GroupLeaders();
  impl->url = WithConnectTimeout(config.url, config.connect_timeout);
  impl->notifier = std::make_unique<ChangeNotifier>(impl->url);
  std::unique_ptr<Database> db(new Database(std::move(impl)));
  db->impl_->flusher = std::thread([d = db->impl_.get()] { d->Flush(); });
  if (metrics) {
    Database* self = db.get();
    metrics->AddCallbackGauge("gaon_db_pool_connections_in_use", "Database connections checked out.",
                              [self] { return static_cast<double>(self->Stats().in_use); });
    metrics->AddCallbackGauge("gaon_db_pool_connections_idle", "Database connections open and idle.",
                              [self] { return static_cast<double>(self->Stats().idle); });
    metrics->AddCallbackGauge("gaon_db_pool_waiting", "Callers waiting for a database connection now.",
                              [self] { return static_cast<double>(self->Stats().waiting); });
    metrics->AddCallbackCounter("gaon_db_pool_waits_total", "Checkouts that had to wait for a connection.",
                              [self] { return static_cast<double>(self->Stats().waits); });
    metrics->AddCallbackCounter("gaon_db_pool_timeouts_total", "Checkouts that gave up waiting.",
                              [self] { return static_cast<double>(self->Stats().timeouts); });
    metrics->AddCallbackCounter("gaon_db_reconnects_total", "Broken connections discarded and replaced.",
                              [self] { return static_cast<double>(self->Stats().reconnects); });
    metrics->AddCallbackCounter("gaon_db_tx_retries_total", "Transaction attempts retried.",
                              [self] { return static_cast<double>(self->Stats().retries); });
    metrics->AddCallbackCounter("gaon_db_groups_total",
                                "Transactions that grouped several callers' transactions under one COMMIT.",
                                [self] { return static_cast<double>(self->Stats().groups); });
    metrics->AddCallbackCounter("gaon_db_grouped_transactions_total",
                                "Callers' transactions run inside such groups (divided by the groups: their mean size).",
                                [self] { return static_cast<double>(self->Stats().grouped); });
    metrics->AddCallbackCounter("gaon_db_one_trip_reruns_total",
                                "Reads tried as one round trip without BEGIN that needed a second and ran again with "
                                "BEGIN (once per kind of transaction).",
                                [self] { return static_cast<double>(self->Stats().one_trip_reruns); });
    ChangeNotifier* notifier = self->impl_->notifier.get();
    metrics->AddCallbackCounter("gaon_change_notices_dropped_total",
                                "Change notices not announced (the database unreachable); the next resync finds them.",
                                [notifier] { return static_cast<double>(notifier->dropped()); });
  }
  return db;
}

Status Database::Transact(const TxOptions& options, const std::function<Status(Tx&)>& fn) {
  Impl& d = *impl_;
  int first_attempt = 1;
  if (options.group && d.config.group_size > 1 && options.tenant && !options.platform && !options.read_only &&
      options.durable && options.isolation == Isolation::kReadCommitted) {
    Impl::Member member{&options, &fn};
    if (d.RunGrouped(member)) return member.result;
    first_attempt = std::min(2, d.config.max_tx_attempts);  // the group was its first
  }
  Status last;
  bool one_trip = d.MayRunAsOneTrip(options);
  int attempts = d.config.max_tx_attempts;
  for (int attempt = first_attempt; attempt <= attempts; ++attempt) {
    auto conn = d.Checkout();
    if (!conn.ok()) {
      // A database that is restarting refuses connections for a moment: keep trying.
      last = conn.status();
      if (last.reason() != "database_unavailable" || attempt == attempts) return last;
    } else {
      d.MarkInUse(conn->get());
      last = d.Attempt(**conn, options, attempt, one_trip, fn);
      d.Return(std::move(*conn));
      if (one_trip && last.reason() == kNeedsTransactionBlock) {
        // Again with BEGIN, as the next attempt (the rate limit is charged on the first only)
        // but not as a retry: no backoff, and it does not use up one.
        d.RememberMultiTrip(options);
        one_trip = false;
        ++attempts;
        continue;
      }
      if (!IsRetryable(last) || attempt == attempts) return last;
    }
    {
      std::lock_guard lock(d.mu);
      ++d.retries;
    }
    LogDebug("retrying transaction", {{"tx", options.name}, {"attempt", attempt}, {"reason", last.reason()}});
    std::this_thread::sleep_for(Backoff(attempt));
  }
  return last;
}

Status Database::Ping() {
  return Transact({.read_only = true, .name = "ping"}, [](Tx& tx) {
    ExecRaw(tx, "SELECT 1");
    return Status::Ok();
  });
}

PoolStats Database::Stats() const {
  std::lock_guard lock(impl_->mu);
  PoolStats s;
  s.open = impl_->open;
  s.idle = static_cast<int>(impl_->idle.size());
  s.in_use = s.open - s.idle;
  s.waiting = impl_->waiting;
  s.waits = impl_->waits;
  s.timeouts = impl_->timeouts;
  s.reconnects = impl_->reconnects;
  s.retries = impl_->retries;
  s.groups = impl_->groups;
  s.grouped = impl_->grouped;
  {
    std::lock_guard trip_lock(impl_->multi_trip_mu);
    s.one_trip_reruns = impl_->one_trip_reruns;
  }
  {
    std::lock_guard group_lock(impl_->group_mu);
    s.group_waiting = static_cast<int>(impl_->group_waiting.size());
  }
  for (const auto& c : impl_->idle) s.pending_commits += c->pending_commit ? 1 : 0;
  return s;
}

int Database::Interrupt(std::chrono::milliseconds wait) {
  Impl& d = *impl_;
  d.interrupted = true;
  {
    // Refuse new checkouts at once; Close() below, which may wait for the flusher and the
    // notifier, comes after the cancels.
    std::lock_guard lock(d.mu);
    d.closed = true;
    d.cv.notify_all();
  }
  const auto deadline = Clock::now() + wait;
  int cancelled = -1;
  for (;;) {
    std::vector<std::shared_ptr<pg_cancel>> running;
    {
      std::unique_lock lock(d.mu);
      if (cancelled < 0) cancelled = static_cast<int>(d.in_use.size());
      if (d.in_use.empty() || Clock::now() >= deadline) break;
      for (Connection* c : d.in_use) {
        if (c->cancel) running.push_back(c->cancel);
      }
    }
    // Outside the lock: each cancel is a round trip to the server. A statement whose cancel
    // arrived just before it did is cancelled on the next pass.
    for (const auto& cancel : running) {
      char err[256];
      PQcancel(cancel.get(), err, sizeof err);
    }
    std::unique_lock lock(d.mu);
    d.cv.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(50)),
                    [&d] { return d.in_use.empty(); });
  }
  Close();
  return cancelled;
}

void Database::Close() {
  std::deque<std::unique_ptr<Connection>> drop;
  {
    std::lock_guard lock(impl_->mu);
    impl_->closed = true;
    impl_->open -= static_cast<int>(impl_->idle.size());
    drop.swap(impl_->idle);
    impl_->cv.notify_all();
    impl_->flusher_cv.notify_all();
  }
  if (impl_->flusher.joinable()) impl_->flusher.join();
  impl_->notifier->Stop();  // sends what committed transactions left to announce
}

}  // namespace gaon::storage
