#include "storage/database.h"

#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
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

std::string BeginSql(pqxx::connection& conn, const TxOptions& o) {
  std::string sql = "BEGIN ISOLATION LEVEL ";
  switch (o.isolation) {
    case Isolation::kReadCommitted: sql += "READ COMMITTED"; break;
    case Isolation::kRepeatableRead: sql += "REPEATABLE READ"; break;
    case Isolation::kSerializable: sql += "SERIALIZABLE"; break;
  }
  if (o.read_only) sql += " READ ONLY";
  // One round trip: BEGIN and the row-level-security settings travel together.
  sql += "; SELECT set_config('gaon.tenant_id', " + conn.quote(o.tenant ? o.tenant->str() : std::string()) +
         ", true), set_config('gaon.platform', " + (o.platform ? "'on'" : "'off'") + ", true)";
  for (const auto& [name, value] : o.settings) {
    assert(name.rfind("gaon.", 0) == 0);
    sql += ", set_config(" + conn.quote(name) + ", " + conn.quote(value) + ", true)";
  }
  return sql;
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

std::string SqlState(const std::exception& e) {
  if (const auto* s = dynamic_cast<const pqxx::sql_error*>(&e)) return s->sqlstate();
  // libpqxx 6 derives these from pqxx::failure, not sql_error, and drops the SQLSTATE.
  if (dynamic_cast<const pqxx::serialization_failure*>(&e)) return "40001";
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) return "40P01";
  return {};
}

Status StatusFromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return Unavailable("the database connection was lost during COMMIT; the outcome is unknown",
                       "commit_in_doubt");
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) {
    return Unavailable("the database connection was lost", "connection_lost");
  }
  const std::string state = SqlState(e);
  if (state == "40001") return Aborted("concurrent transactions conflicted; retry", "serialization_failure");
  if (state == "40P01") return Aborted("a deadlock was detected; retry", "deadlock_detected");
  if (state == "23505") return AlreadyExists("the resource already exists", "already_exists");
  if (state == "23503") return FailedPrecondition("a referenced resource does not exist", "reference_missing");
  if (state == "23514" || state == "23502") return InvalidArgument("a value violates a constraint", "constraint_violation");
  if (state == "57014") return DeadlineExceeded("the database statement timed out", "statement_timeout");
  if (state == "55P03") return Aborted("the row is locked by another transaction", "lock_not_available");
  if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03") {
    return Unavailable("the database is unavailable", "connection_lost");
  }
  if (state == "42501") return Internal("database permission denied: " + std::string(e.what()), "database_permission");
  return Internal(std::string("database error: ") + e.what(), "database_error");
}

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

  StatusOr<std::unique_ptr<Connection>> Connect() {
    try {
      auto conn = std::make_unique<pqxx::connection>(url);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      // Never reconnect behind our back: a silent reconnect in the middle of a hand-made
      // BEGIN…COMMIT would run the rest of the statements outside the transaction.
      conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
      pqxx::nontransaction setup(*conn);
      setup.exec("SET TIME ZONE 'UTC'; SET statement_timeout = " +
                 std::to_string(config.statement_timeout.count()) + "; SET application_name = 'gaond'");
      setup.commit();
      return std::make_unique<Connection>(std::move(conn));
    } catch (const std::exception& e) {
      LogWarn("database connect failed", {{"error", e.what()}});
      return Unavailable(std::string("cannot connect to the database: ") + e.what(), "database_unavailable");
    }
  }

  bool Ping(Connection& c) {
    try {
      pqxx::nontransaction w(*c.conn);
      w.exec("SELECT 1");
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

  void Return(std::unique_ptr<Connection> c) {
    std::lock_guard lock(mu);
    if (c->broken || closed) {
      --open;
      if (c->broken) ++reconnects;
    } else {
      c->last_used = Clock::now();
      idle.push_back(std::move(c));
    }
    cv.notify_one();
  }

  // One attempt. Sets *broken when the connection must be discarded.
  Status Attempt(Connection& c, const TxOptions& options, int attempt, const std::function<Status(Tx&)>& fn) {
    bool committing = false;
    try {
      c.tx_failed = false;
      c.work.emplace(*c.conn, std::string(options.name));
      c.work->exec(BeginSql(*c.conn, options));
      Tx tx(c, options, attempt);
      Status s = fn(tx);
      if (!s.ok()) {
        c.work->exec("ROLLBACK");
        c.work.reset();
        return s;
      }
      if (c.tx_failed) {
        // A statement failed and the callback swallowed it: PostgreSQL would answer COMMIT
        // with ROLLBACK, so this must not be reported as committed.
        c.work->exec("ROLLBACK");
        c.work.reset();
        return Internal("a statement failed inside a transaction that was then committed", "transaction_failed");
      }
      committing = true;
      c.work->exec("COMMIT");
      c.work.reset();
      return Status::Ok();
    } catch (const pqxx::broken_connection&) {
      c.broken = true;
      c.work.reset();
      if (committing) {
        return Unavailable("the database connection was lost during COMMIT; the outcome is unknown",
                           "commit_in_doubt");
      }
      return Unavailable("the database connection was lost", "connection_lost");
    } catch (const std::exception& e) {
      Status s = StatusFromException(e);
      try {
        if (c.work && !c.broken) c.work->exec("ROLLBACK");
      } catch (const std::exception&) {
        c.broken = true;
      }
      c.work.reset();
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
  std::unique_ptr<Database> db(new Database(std::move(impl)));
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
  return s;
}

void Database::Close() {
  std::deque<std::unique_ptr<Connection>> drop;
  {
    std::lock_guard lock(impl_->mu);
    impl_->closed = true;
    impl_->open -= static_cast<int>(impl_->idle.size());
    drop.swap(impl_->idle);
    impl_->cv.notify_all();
  }
}

}  // namespace gaon::storage
