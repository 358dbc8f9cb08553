#include "storage/database.h"

#include <libpq-fe.h>

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
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

const char* BeginText(const TxOptions& o) {
  switch (o.isolation) {
    case Isolation::kReadCommitted: return o.read_only ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED";
    case Isolation::kRepeatableRead: return o.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable: return o.read_only ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY" : "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
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

constexpr Sql kSettings{"gaon.tx.settings", "SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)"};

// Queues BEGIN and the row-level-security settings; they go out with the first statement.
void StartTransaction(Connection& c, const TxOptions& o) {
  std::vector<std::string> names = {"gaon.tenant_id", "gaon.platform"};
  std::vector<std::string> values = {o.tenant ? o.tenant->str() : std::string(), o.platform ? "on" : "off"};
  for (const auto& [n, v] : o.settings) {
    assert(n.rfind("gaon.", 0) == 0);
    names.push_back(n);
    values.push_back(v);
  }
  if (!o.durable) {
    names.push_back("synchronous_commit");
    values.push_back("off");
  }
  c.tx_failed = false;
  c.begun = false;
  c.queue.clear();
  c.queue.push_back(Statement{.text = BeginText(o), .begins = true, .preamble = true});
  Statement settings = Prepared(kSettings, Array(names), Array(values));
  settings.preamble = true;
  c.queue.push_back(std::move(settings));
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
      c->RunPlain(("SET TIME ZONE 'UTC'; SET statement_timeout = " + std::to_string(config.statement_timeout.count()) +
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
  Status Attempt(Connection& c, const TxOptions& options, int attempt, const std::function<Status(Tx&)>& fn) {
    bool committing = false;
    try {
      StartTransaction(c, options);
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
        return Internal("a statement failed inside a transaction that was then committed", "transaction_failed");
      }
      assert((!options.defer_commit || options.read_only) && "only read-only transactions may defer their COMMIT");
      committing = true;
      c.Commit(options.defer_commit);
      notifier->Post(std::move(tx.notices_));
      return Status::Ok();
    } catch (const ConnectionLost&) {
      c.broken = true;
      if (committing) {
        return Unavailable("the database connection was lost during COMMIT; the outcome is unknown",
                           "commit_in_doubt");
      }
      return Unavailable("the database connection was lost", "connection_lost");
    } catch (const std::exception& e) {
      Status s = StatusFromException(e);
      if (const auto* sql = dynamic_cast<const SqlError*>(&e); sql && sql->state() == kQueryCanceled && interrupted) {
        s = Unavailable("gaond is shutting down: the transaction was cancelled and rolled back", "shutting_down");
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
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() { Close(); }

StatusOr<std::unique_ptr<Database>> Database::Create(const DatabaseConfig& config, MetricsRegistry* metrics) {
  if (config.url.empty()) return InvalidArgument("database.url is not set", "invalid_config");
  auto impl = std::make_unique<Impl>();
  impl->config = config;
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
    ChangeNotifier* notifier = self->impl_->notifier.get();
    metrics->AddCallbackCounter("gaon_change_notices_dropped_total",
                                "Change notices not announced (the database unreachable); the next resync finds them.",
                                [notifier] { return static_cast<double>(notifier->dropped()); });
  }
  return db;
}

Status Database::Transact(const TxOptions& options, const std::function<Status(Tx&)>& fn) {
  Impl& d = *impl_;
  Status last;
  for (int attempt = 1; attempt <= d.config.max_tx_attempts; ++attempt) {
    auto conn = d.Checkout();
    if (!conn.ok()) {
      // A database that is restarting refuses connections for a moment: keep trying.
      last = conn.status();
      if (last.reason() != "database_unavailable" || attempt == d.config.max_tx_attempts) return last;
    } else {
      d.MarkInUse(conn->get());
      last = d.Attempt(**conn, options, attempt, fn);
      d.Return(std::move(*conn));
      if (!IsRetryable(last) || attempt == d.config.max_tx_attempts) return last;
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
