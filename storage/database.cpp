#include "storage/database.h"

#include <libpq-fe.h>

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

// libpqxx 6 offers no pipeline mode and keeps its PGconn private. This connection policy is
// libpqxx's documented extension point for making connections; it connects exactly as
// connect_direct does and also hands the PGconn to the pool.
thread_local PGconn** t_capture = nullptr;

class CapturingPolicy final : public pqxx::connectionpolicy {
 public:
  explicit CapturingPolicy(const std::string& opts) : pqxx::connectionpolicy(opts) {}
  handle do_startconnect(handle orig) override {
    if (orig) return orig;
    orig = normalconnect(PQconnectdb(options().c_str()));
    if (PQstatus(orig) != CONNECTION_OK) {
      const std::string msg = PQerrorMessage(orig);
      do_disconnect(orig);
      throw pqxx::broken_connection(msg);
    }
    if (t_capture) *t_capture = orig;
    return orig;
  }
};
using CapturingConnection = pqxx::basic_connection_base<CapturingPolicy>;

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

constexpr std::string_view kSettingsName = "gaon.tx.settings";
constexpr std::string_view kSettingsText =
    "SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) AS s(n, v)";

// What starting a transaction found wrong, if anything.
struct StartError {
  bool broken = false;   // the connection is gone
  bool in_tx = false;    // BEGIN succeeded: the transaction must be rolled back
  std::string state, message;
};

// Statements prepared through libpq are named "raw.<name>": libpqxx prepares the same
// statements under their plain names, and the two must not collide.
std::string RawName(std::string_view name) { return "raw." + std::string(name); }

bool Prepare(PGconn* raw, std::unordered_set<std::string>& done, std::string_view name, std::string_view text) {
  const std::string raw_name = RawName(name);
  if (done.count(raw_name)) return true;
  PGresult* r = PQprepare(raw, raw_name.c_str(), std::string(text).c_str(), 0, nullptr);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (ok) done.insert(raw_name);
  return ok;
}

// One round trip: the deferred COMMIT (if any), BEGIN, the row-level-security settings and the
// prelude, sent in libpq's pipeline mode as prepared statements (no planning per request).
std::optional<StartError> StartTransaction(Connection& c, const TxOptions& o) {
  PGconn* raw = c.raw;
  StartError err;
  if (!Prepare(raw, c.raw_prepared, kSettingsName, kSettingsText) ||
      (o.prelude && !Prepare(raw, c.raw_prepared, o.prelude->name, o.prelude->text))) {
    err.broken = PQstatus(raw) != CONNECTION_OK;
    err.state = "XX000";
    err.message = PQerrorMessage(raw);
    return err;
  }
  std::vector<std::string> names = {"gaon.tenant_id", "gaon.platform"};
  std::vector<std::string> values = {o.tenant ? o.tenant->str() : std::string(), o.platform ? "on" : "off"};
  for (const auto& [n, v] : o.settings) {
    assert(n.rfind("gaon.", 0) == 0);
    names.push_back(n);
    values.push_back(v);
  }
  const std::string names_array = Array(names), values_array = Array(values);
  const char* settings_params[] = {names_array.c_str(), values_array.c_str()};
  std::vector<const char*> prelude_params;
  if (o.prelude) {
    for (const auto& p : o.prelude->params) prelude_params.push_back(p.c_str());
  }
  if (!PQenterPipelineMode(raw)) {
    err.broken = true;
    return err;
  }
  int sent = 0, begin_index = 0, prelude_index = -1;
  bool ok = true;
  if (c.pending_commit) {
    ok = ok && PQsendQueryParams(raw, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0);
    ++sent;
  }
  begin_index = sent++;
  ok = ok && PQsendQueryParams(raw, BeginText(o), 0, nullptr, nullptr, nullptr, nullptr, 0);
  ++sent;
  ok = ok && PQsendQueryPrepared(raw, RawName(kSettingsName).c_str(), 2, settings_params, nullptr, nullptr, 0);
  if (o.prelude) {
    prelude_index = sent++;
    ok = ok && PQsendQueryPrepared(raw, RawName(o.prelude->name).c_str(), static_cast<int>(prelude_params.size()),
                                   prelude_params.data(), nullptr, nullptr, 0);
  }
  ok = ok && PQpipelineSync(raw);
  c.pending_commit = false;
  bool failed = !ok;
  for (int i = 0; i < sent && ok; ++i) {
    PGresult* r = PQgetResult(raw);
    if (!r) {
      failed = true;
      break;
    }
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR && err.state.empty()) {
      failed = true;
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      err.state = state ? state : "XX000";
      err.message = PQresultErrorMessage(r);
    } else if (st == PGRES_PIPELINE_ABORTED) {
      failed = true;
    } else if (i == begin_index && st == PGRES_COMMAND_OK) {
      err.in_tx = true;
    } else if (i == prelude_index && st == PGRES_TUPLES_OK) {
      RowSet rows;
      for (int row = 0; row < PQntuples(r); ++row) {
        std::vector<std::optional<std::string>> cells;
        for (int col = 0; col < PQnfields(r); ++col) {
          if (PQgetisnull(r, row, col)) cells.emplace_back();
          else cells.emplace_back(std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))));
        }
        rows.rows.push_back(std::move(cells));
      }
      c.prelude = std::move(rows);
    }
    PQclear(r);
    PQclear(PQgetResult(raw));  // the NULL that ends this query's results
  }
  // The sync point.
  if (ok) {
    for (PGresult* r = PQgetResult(raw); r; r = PQgetResult(raw)) {
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync) break;
    }
  }
  PQexitPipelineMode(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    err.broken = true;
    return err;
  }
  if (!failed) return std::nullopt;
  if (err.state.empty()) err.state = "XX000";
  return err;
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
  return StatusFromSqlState(SqlState(e), e.what());
}

Status StatusFromSqlState(const std::string& state, const std::string& message) {
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
  if (state == "42501") return Internal("database permission denied: " + message, "database_permission");
  return Internal("database error: " + message, "database_error");
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
  std::thread flusher;
  std::condition_variable flusher_cv;

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
          pqxx::nontransaction w(*c->conn);
          w.exec("COMMIT");
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
    try {
      PGconn* raw = nullptr;
      t_capture = &raw;
      std::unique_ptr<pqxx::connection_base> conn;
      try {
        conn = std::make_unique<CapturingConnection>(url);
      } catch (...) {
        t_capture = nullptr;
        throw;
      }
      t_capture = nullptr;
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
      return std::make_unique<Connection>(std::move(conn), raw);
    } catch (const std::exception& e) {
      LogWarn("database connect failed", {{"error", e.what()}});
      return Unavailable(std::string("cannot connect to the database: ") + e.what(), "database_unavailable");
    }
  }

  bool Ping(Connection& c) {
    try {
      pqxx::nontransaction w(*c.conn);
      w.exec(c.pending_commit ? "COMMIT" : "SELECT 1");
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

  void Return(std::unique_ptr<Connection> c, bool touch = true) {
    std::lock_guard lock(mu);
    if (c->broken || closed) {
      --open;
      if (c->broken) ++reconnects;
    } else {
      if (touch) c->last_used = Clock::now();
      idle.push_back(std::move(c));
    }
    cv.notify_one();
  }

  // One attempt. Sets *broken when the connection must be discarded.
  Status Attempt(Connection& c, const TxOptions& options, int attempt, const std::function<Status(Tx&)>& fn) {
    bool committing = false;
    try {
      c.tx_failed = false;
      if (auto err = StartTransaction(c, options)) {
        if (err->broken) {
          c.broken = true;
          return Unavailable("the database connection was lost", "connection_lost");
        }
        if (err->in_tx) {
          pqxx::nontransaction(*c.conn).exec("ROLLBACK");
        }
        return StatusFromSqlState(err->state, err->message);
      }
      c.work.emplace(*c.conn, std::string(options.name));
      Tx tx(c, options, attempt);
      Status s = fn(tx);
      c.prelude.reset();
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
      if (options.defer_commit) {
        assert(options.read_only && "only read-only transactions may defer their COMMIT");
        c.pending_commit = true;
        c.work.reset();
        return Status::Ok();
      }
      committing = true;
      c.work->exec("COMMIT");
      c.work.reset();
      return Status::Ok();
    } catch (const pqxx::broken_connection&) {
      c.broken = true;
      c.work.reset();
      c.prelude.reset();
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
      c.prelude.reset();
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
  for (const auto& c : impl_->idle) s.pending_commits += c->pending_commit ? 1 : 0;
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
    impl_->flusher_cv.notify_all();
  }
  if (impl_->flusher.joinable()) impl_->flusher.join();
}

}  // namespace gaon::storage
