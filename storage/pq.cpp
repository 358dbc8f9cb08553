#include <libpq-fe.h>
#include <pqxx/except>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>

#include "storage/internal/pq.h"

namespace gaon::storage {

// ---------------------------------------------------------------- results

bool ResultField::is_null() const { return PQgetisnull(r_, row_, col_) != 0; }

const char* ResultField::c_str() const { return PQgetvalue(r_, row_, col_); }

std::size_t ResultField::size() const { return static_cast<std::size_t>(PQgetlength(r_, row_, col_)); }

namespace {

template <typename T>
T Integer(const ResultField& f) {
  if (f.is_null()) throw std::logic_error("a NULL where a number was expected");
  T v{};
  const char* s = f.c_str();
  const char* end = s + f.size();
  auto [p, ec] = std::from_chars(s, end, v);
  if (ec != std::errc() || p != end) throw std::logic_error(std::string("not a number: ") + s);
  return v;
}

}  // namespace

template <>
int ResultField::as<int>() const {
  return Integer<int>(*this);
}
template <>
std::int64_t ResultField::as<std::int64_t>() const {
  return Integer<std::int64_t>(*this);
}
template <>
bool ResultField::as<bool>() const {
  if (is_null()) throw std::logic_error("a NULL where a boolean was expected");
  return c_str()[0] == 't';
}
template <>
std::string ResultField::as<std::string>() const {
  if (is_null()) throw std::logic_error("a NULL where text was expected");
  return std::string(c_str(), size());
}

ResultField ResultRow::operator[](const char* column) const {
  const int col = PQfnumber(r_, column);
  if (col < 0) throw std::logic_error(std::string("no column ") + column);
  return ResultField(r_, row_, col);
}

int ResultRow::size() const { return PQnfields(r_); }

Result::Result(pg_result* r) : r_(r, PQclear) {}

int Result::size() const { return r_ ? PQntuples(r_.get()) : 0; }

std::int64_t Result::affected_rows() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_.get());
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

// ---------------------------------------------------------------- connections

Connection::Connection(pg_conn* raw, const std::atomic<bool>* interrupted)
    : raw(raw), interrupted(interrupted), cancel(PQgetCancel(raw), PQfreeCancel) {}

Connection::~Connection() { PQfinish(raw); }

namespace {

[[noreturn]] void ThrowSqlError(const std::string& state, const std::string& message) {
  if (state == "23505") throw UniqueViolation(state, message);
  throw SqlError(state, message);
}

// COMMIT as a named statement, prepared once per connection like BEGIN (database.cpp):
// PostgreSQL then parses neither on every transaction. A prepared COMMIT is accepted in a
// failed transaction too (it ends it), as a plain one is.
Statement CommitStatement() { return Statement{.name = "tx.commit", .text = "COMMIT"}; }

}  // namespace

Result Connection::Run(Statement last) {
  if (interrupted && interrupted->load()) {
    // Sending now could start a statement after the interrupt's cancel went out; fail
    // the transaction the way a cancelled statement would.
    queue.clear();
    if (begun) tx_failed = true;
    ThrowSqlError(std::string(kQueryCanceled), "canceling statement: the database pool was interrupted");
  }
  if (one_trip) {
    if (one_trip_sent) {
      queue.clear();
      throw NeedsTransactionBlock("a transaction run as one round trip needed a second");
    }
    one_trip_sent = true;
  }
  ++round_trips;
  std::vector<Statement> batch;
  batch.reserve(queue.size() + 2);
  if (pending_commit) batch.push_back(CommitStatement());
  for (auto& q : queue) batch.push_back(std::move(q));
  queue.clear();
  batch.push_back(std::move(last));
  pending_commit = false;

  // What each result read back belongs to.
  struct Expect {
    const Statement* stmt;
    bool prepare;  // the PQsendPrepare of stmt, not its execution
  };
  std::vector<Expect> expects;
  if (!PQenterPipelineMode(raw)) {
    broken = true;
    throw ConnectionLost(PQerrorMessage(raw));
  }
  bool sent = true;
  std::vector<const char*> values;
  std::set<std::string_view> preparing;  // a statement queued twice in this batch is prepared once
  for (const Statement& s : batch) {
    values.clear();
    for (const auto& p : s.params) values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    if (s.name.empty()) {
      sent = sent && PQsendQueryParams(raw, std::string(s.Text()).c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    } else {
      const std::string name(s.name);
      if (!prepared.count(s.name) && preparing.insert(s.name).second) {
        sent = sent && PQsendPrepare(raw, name.c_str(), std::string(s.Text()).c_str(), 0, nullptr);
        expects.push_back({&s, true});
      }
      sent = sent && PQsendQueryPrepared(raw, name.c_str(), n, values.data(), nullptr, nullptr, 0);
    }
    expects.push_back({&s, false});
  }
  sent = sent && PQpipelineSync(raw);
  if (!sent) {
    broken = true;
    throw ConnectionLost(PQerrorMessage(raw));
  }

  Result out;
  std::string error_state, error_message;
  bool error_is_last = false;
  for (const Expect& e : expects) {
    PGresult* r = PQgetResult(raw);
    if (!r) break;  // the connection failed
    const ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR) {
      if (error_state.empty()) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        error_state = state ? state : "XX000";
        error_message = PQresultErrorMessage(r);
        error_is_last = !e.prepare && e.stmt == &batch.back();
      }
    } else if (st != PGRES_PIPELINE_ABORTED) {
      if (e.prepare) prepared.insert(e.stmt->name);
      else if (e.stmt->begins) begun = true;
    }
    const bool ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
    if (!e.prepare && ok && (e.stmt == &batch.back() || e.stmt->into)) {
      Result rows(r);
      if (e.stmt->into) *e.stmt->into = rows;
      if (e.stmt == &batch.back()) out = rows;
    } else {
      PQclear(r);
    }
    PQclear(PQgetResult(raw));  // the NULL that ends this statement's results
  }
  for (PGresult* r = PQgetResult(raw); r; r = PQgetResult(raw)) {  // up to the sync point
    const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    if (sync) break;
  }
  PQexitPipelineMode(raw);
  if (PQstatus(raw) != CONNECTION_OK) {
    broken = true;
    throw ConnectionLost("the database connection was lost");
  }
  if (!error_state.empty()) {
    if (begun || one_trip) tx_failed = true;
    if (!error_is_last) throw SqlError(error_state, error_message);
    ThrowSqlError(error_state, error_message);
  }
  return out;
}

bool Connection::WorkQueued() const {
  return std::any_of(queue.begin(), queue.end(), [](const Statement& s) { return !s.preamble; });
}

void Connection::Flush() {
  if (!WorkQueued()) return;
  Statement last = std::move(queue.back());
  queue.pop_back();
  Run(std::move(last));
}

void Connection::Commit(bool defer) {
  if (one_trip) {
    // The round trip's Sync ended the transaction. Statements still queued (ExecLater) are
    // that round trip when none went yet, else a second one (NeedsTransactionBlock).
    if (WorkQueued()) Flush();
    queue.clear();
    one_trip = one_trip_sent = false;
    return;
  }
  const bool work_queued = WorkQueued();
  if (!begun && !work_queued) {
    queue.clear();  // nothing was sent: there is nothing to commit
    return;
  }
  if (defer && !work_queued) {
    pending_commit = true;
  } else {
    Run(CommitStatement());
  }
  begun = false;
}

void Connection::Rollback() {
  queue.clear();
  one_trip = one_trip_sent = false;  // PostgreSQL ended it at the round trip's Sync
  if (begun) {
    begun = false;
    RunPlain("ROLLBACK");
  }
}

void Connection::RunPlain(const char* text) {
  PGresult* r = PQexec(raw, text);
  const ExecStatusType st = PQresultStatus(r);
  std::string state, message;
  if (st == PGRES_FATAL_ERROR) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    state = s ? s : "XX000";
    message = PQresultErrorMessage(r);
  }
  PQclear(r);
  if (PQstatus(raw) != CONNECTION_OK) {
    broken = true;
    throw ConnectionLost("the database connection was lost");
  }
  if (!state.empty()) ThrowSqlError(state, message);
}

Result ExecRaw(Tx& tx, const std::string& text) {
  Statement s;
  s.owned_text = text;
  return TxAccess::Conn(tx).Run(std::move(s));
}

bool CopyOut(Tx& tx, const std::string& copy, const std::function<bool(std::string_view)>& sink) {
  Connection& c = TxAccess::Conn(tx);
  // COPY follows in an exchange of its own, which needs the transaction block.
  if (c.one_trip) throw NeedsTransactionBlock("COPY needs a transaction block");
  c.Run(Statement{.text = "SELECT 1"});  // BEGIN, the settings and anything queued go first
  pg_conn* raw = c.raw;
  auto lost = [&c]() {
    c.broken = true;
    return ConnectionLost("the database connection was lost");
  };
  if (!PQsendQuery(raw, copy.c_str())) throw lost();
  PGresult* head = PQgetResult(raw);
  const ExecStatusType head_status = PQresultStatus(head);
  std::string state, message;
  if (head_status != PGRES_COPY_OUT) {
    const char* s = PQresultErrorField(head, PG_DIAG_SQLSTATE);
    state = s ? s : "XX000";
    message = head ? PQresultErrorMessage(head) : "COPY did not start";
  }
  PQclear(head);
  bool complete = true;
  if (state.empty()) {
    for (;;) {
      char* row = nullptr;
      const int n = PQgetCopyData(raw, &row, 0);
      if (n == -1) break;
      if (n == -2) throw lost();
      const bool more = sink(std::string_view(row, static_cast<std::size_t>(n)));
      PQfreemem(row);
      if (!more) {  // the reader left: stop the statement, then drain what is on its way
        complete = false;
        if (PGcancel* cancel = PQgetCancel(raw)) {
          char err[256];
          PQcancel(cancel, err, sizeof err);
          PQfreeCancel(cancel);
        }
        for (int m = 0; m != -1;) {
          m = PQgetCopyData(raw, &row, 0);
          if (m > 0) PQfreemem(row);
          if (m == -2) throw lost();
        }
        break;
      }
    }
  }
  for (PGresult* r = PQgetResult(raw); r; r = PQgetResult(raw)) {
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && state.empty()) {
      const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      state = s ? s : "XX000";
      message = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  if (PQstatus(raw) != CONNECTION_OK) throw lost();
  if (!state.empty()) {
    c.tx_failed = true;
    if (complete) ThrowSqlError(state, message);
  }
  return complete;
}

std::string QuoteLiteral(Tx& tx, std::string_view value) {
  char* q = PQescapeLiteral(TxAccess::Conn(tx).raw, value.data(), value.size());
  if (!q) throw std::invalid_argument("a value cannot be quoted for SQL");
  std::string out(q);
  PQfreemem(q);
  return out;
}

// ---------------------------------------------------------------- errors

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
  if (state == "GA001") return Aborted("this replica no longer holds the controllers' lease", "lease_lost");
  return Internal("database error: " + message, "database_error");
}

Status StatusFromException(const std::exception& e) {
  if (const auto* s = dynamic_cast<const SqlError*>(&e)) return StatusFromSqlState(s->state(), s->what());
  if (dynamic_cast<const ConnectionLost*>(&e) || dynamic_cast<const pqxx::broken_connection*>(&e)) {
    return Unavailable("the database connection was lost", "connection_lost");
  }
  // libpqxx (migrations, LISTEN).
  if (const auto* s = dynamic_cast<const pqxx::sql_error*>(&e)) return StatusFromSqlState(s->sqlstate(), e.what());
  if (dynamic_cast<const pqxx::serialization_failure*>(&e)) return StatusFromSqlState("40001", e.what());
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) return StatusFromSqlState("40P01", e.what());
  return Internal(std::string("database error: ") + e.what(), "database_error");
}

}  // namespace gaon::storage
