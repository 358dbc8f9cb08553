// Storage-internal: statements on a Tx, over libpq. Only files under storage/ include this
// header.
//
// SQL is written as named constants (`constexpr Sql kGetTenant{"tenants.get", "SELECT ..."}`);
// the name is the prepared statement's name and the label in logs. A statement is prepared on
// a connection the first time that connection runs it.
//
// Round trips. Statements go to PostgreSQL in libpq's pipeline mode, and a transaction's
// BEGIN and row-level-security settings are not sent on their own: they travel with the
// transaction's first statement, together with the COMMIT a read-only transaction deferred
// on the same connection (TxOptions::defer_commit) and any statements queued with ExecLater.
// A request that reads one row therefore costs one round trip. (libpqxx 6.4, used for the
// migrations and LISTEN, has no pipeline mode; that is why this layer speaks libpq.)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "gaon/status.h"
#include "storage/database.h"

struct pg_conn;    // libpq's PGconn
struct pg_result;  // libpq's PGresult
struct pg_cancel;  // libpq's PGcancel

namespace gaon::storage {

struct Sql {
  std::string_view name;
  std::string_view text;
};

// A statement failed. state() is its SQLSTATE.
class SqlError : public std::runtime_error {
 public:
  SqlError(std::string state, const std::string& message) : std::runtime_error(message), state_(std::move(state)) {}
  const std::string& state() const { return state_; }

 private:
  std::string state_;
};
// 23505: the statement would have duplicated a unique key.
class UniqueViolation : public SqlError {
 public:
  using SqlError::SqlError;
};
// The connection broke; whether the statement ran is unknown.
class ConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A transaction run as one round trip (TxOptions::one_trip) needed a second. Nothing was sent
// for it; Database::Transact runs the transaction again with BEGIN.
class NeedsTransactionBlock : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Result;

// One value of a result row, as PostgreSQL's text.
class ResultField {
 public:
  ResultField(const pg_result* r, int row, int col) : r_(r), row_(row), col_(col) {}
  bool is_null() const;
  const char* c_str() const;  // "" for NULL
  std::size_t size() const;
  // int, std::int64_t, bool or std::string; throws std::logic_error on NULL or bad text.
  template <typename T>
  T as() const;

 private:
  const pg_result* r_;
  int row_, col_;
};

class ResultRow {
 public:
  ResultRow(const pg_result* r, int row) : r_(r), row_(row) {}
  ResultField operator[](int col) const { return ResultField(r_, row_, col); }
  ResultField operator[](const char* column) const;
  int size() const;

 private:
  const pg_result* r_;
  int row_;
};

// The rows of one statement (shared, immutable).
class Result {
 public:
  Result() = default;
  explicit Result(pg_result* r);  // takes ownership
  int size() const;
  bool empty() const { return size() == 0; }
  ResultRow operator[](int row) const { return ResultRow(r_.get(), row); }
  // Rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected_rows() const;

  class iterator {
   public:
    iterator(const pg_result* r, int row) : r_(r), row_(row) {}
    ResultRow operator*() const { return ResultRow(r_, row_); }
    iterator& operator++() {
      ++row_;
      return *this;
    }
    bool operator!=(const iterator& o) const { return row_ != o.row_; }

   private:
    const pg_result* r_;
    int row_;
  };
  iterator begin() const { return iterator(r_.get(), 0); }
  iterator end() const { return iterator(r_.get(), size()); }

 private:
  std::shared_ptr<pg_result> r_;
};

using Params = std::vector<std::optional<std::string>>;

// A statement waiting to be sent: prepared (name + text) or plain text (no name).
struct Statement {
  std::string_view name;   // empty: run the text unprepared
  std::string_view text;   // static storage; or empty and the text is in `owned_text`
  Params params;
  std::string owned_text;
  bool begins = false;     // the transaction's BEGIN
  bool preamble = false;   // BEGIN or the settings: nothing to send on their own
  std::shared_ptr<std::optional<Result>> into;  // where a deferred statement's rows go (Deferred)
  std::string_view Text() const { return owned_text.empty() ? text : std::string_view(owned_text); }
};

// SQLSTATE query_canceled: a statement cancelled by statement_timeout or by Interrupt().
inline constexpr std::string_view kQueryCanceled = "57014";

// One pooled connection and what the pool knows about it.
class Connection {
 public:
  // Takes ownership of `raw`. `interrupted`, when given, must outlive the connection: once it
  // is true, Run() refuses to send anything (see Database::Interrupt()).
  explicit Connection(pg_conn* raw, const std::atomic<bool>* interrupted = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends the queued statements and `last` in one pipeline round trip and returns last's
  // rows. Throws SqlError or ConnectionLost; SqlError with kQueryCanceled, without sending
  // anything, once the pool was interrupted. A queued statement's failure is always a plain
  // SqlError: a caller catching UniqueViolation of `last` must not take it for its own.
  Result Run(Statement last);
  // Sends what is queued, if anything (a Deferred statement's rows are wanted now).
  void Flush();
  // Something other than BEGIN and the settings is queued.
  bool WorkQueued() const;
  // Ends the open transaction: COMMIT (with anything queued), ROLLBACK, or — for a read-only
  // transaction — leaves it to be committed in front of the next statement. A transaction
  // that never sent a statement sends nothing.
  void Commit(bool defer);
  void Rollback();
  // Runs plain SQL on an idle connection (health checks, the flusher's COMMIT).
  void RunPlain(const char* text);

  pg_conn* raw;
  const std::atomic<bool>* interrupted;
  std::shared_ptr<pg_cancel> cancel;  // for PQcancel from another thread; null if libpq made none
  std::unordered_set<std::string_view> prepared;  // names point at static storage
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  bool broken = false;
  // A statement of the open transaction failed: PostgreSQL will roll it back at COMMIT.
  bool tx_failed = false;
  // BEGIN of the open transaction has reached PostgreSQL (else it is still queued, or there
  // is no transaction).
  bool begun = false;
  // A read-only transaction left open on purpose (TxOptions::defer_commit): it is committed
  // in front of the next statement sent on this connection.
  bool pending_commit = false;
  // The open transaction has no BEGIN (TxOptions::one_trip): PostgreSQL runs the statements of
  // a round trip in one implicit transaction, which the round trip's Sync ends. So the
  // transaction is its first round trip; Run() throws NeedsTransactionBlock on a second.
  bool one_trip = false;
  bool one_trip_sent = false;
  // Run() calls so far: tells whether anything queued since a given point has been sent.
  std::uint64_t round_trips = 0;
  // Statements for the next round trip: BEGIN and settings of a transaction not begun yet,
  // then anything queued with ExecLater.
  std::vector<Statement> queue;
};

struct TxAccess {
  static Connection& Conn(Tx& tx) { return tx.conn_; }
  static std::vector<std::string>& Notices(Tx& tx) { return tx.notices_; }
};

// Parameters as text; std::nullopt is NULL.
inline std::optional<std::string> ToParam(const std::string& v) { return v; }
inline std::optional<std::string> ToParam(std::string_view v) { return std::string(v); }
inline std::optional<std::string> ToParam(const char* v) { return std::string(v); }
inline std::optional<std::string> ToParam(bool v) { return v ? "true" : "false"; }
// No floating point: amounts are exact (integers or numeric text), durations whole units.
std::optional<std::string> ToParam(float) = delete;
std::optional<std::string> ToParam(double) = delete;
template <typename T, typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
std::optional<std::string> ToParam(T v) {
  return std::to_string(v);
}
template <typename T>
std::optional<std::string> ToParam(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return ToParam(*v);
}

template <typename... Args>
Statement Prepared(const Sql& sql, Args&&... args) {
  return Statement{sql.name, sql.text, Params{ToParam(std::forward<Args>(args))...}, {}};
}

// Runs a named statement with parameters and returns its rows.
template <typename... Args>
Result Exec(Tx& tx, const Sql& sql, Args&&... args) {
  return TxAccess::Conn(tx).Run(Prepared(sql, std::forward<Args>(args)...));
}

// Queues a statement whose rows nobody needs; it is sent with the transaction's next
// statement or its COMMIT, in the same round trip. Its failure fails that statement (or the
// COMMIT), so the transaction never commits without it. Queue only statements whose failure
// fails the whole request (an audit record, a change record): a caller catching an error of
// its next statement could otherwise mistake a queued statement's error for its own.
template <typename... Args>
void ExecLater(Tx& tx, const Sql& sql, Args&&... args) {
  TxAccess::Conn(tx).queue.push_back(Prepared(sql, std::forward<Args>(args)...));
}

// A statement queued now whose rows are read later: it travels with the next statement sent,
// so statements whose answers do not depend on each other share one round trip:
//
//   auto standing = ExecDeferred(tx, kStanding, …);   // queued
//   auto usage = ExecDeferred(tx, kAdmit, …);         // queued
//   const Result& r = standing.Rows();               // both sent, both answered
//
// Its failure fails whatever statement it travelled with (a plain SqlError), so defer only
// statements whose failure fails the request, like ExecLater's.
class Deferred {
 public:
  Deferred(Connection& conn, std::shared_ptr<std::optional<Result>> rows) : conn_(&conn), rows_(std::move(rows)) {}
  // The statement's rows; sends the queue first when it has not gone yet.
  const Result& Rows() {
    if (!rows_->has_value()) conn_->Flush();
    if (!rows_->has_value()) throw SqlError("XX000", "a deferred statement was not answered");
    return **rows_;
  }

 private:
  Connection* conn_;
  std::shared_ptr<std::optional<Result>> rows_;
};

template <typename... Args>
Deferred ExecDeferred(Tx& tx, const Sql& sql, Args&&... args) {
  Connection& conn = TxAccess::Conn(tx);
  Statement s = Prepared(sql, std::forward<Args>(args)...);
  s.into = std::make_shared<std::optional<Result>>();
  Deferred d(conn, s.into);
  conn.queue.push_back(std::move(s));
  return d;
}

// Runs one SQL statement as text, unprepared (tests, one-off statements).
Result ExecRaw(Tx& tx, const std::string& text);

// Runs `COPY (…) TO STDOUT …` in the transaction and hands `sink` each row as PostgreSQL sends
// it, so a result of any size passes through in constant memory. COPY takes no parameters:
// quote values into `copy` with QuoteLiteral. When `sink` returns false the statement is
// cancelled (the transaction then fails) and CopyOut returns false; SqlError or
// ConnectionLost when the statement fails.
bool CopyOut(Tx& tx, const std::string& copy, const std::function<bool(std::string_view)>& sink);
// `value` as an SQL string literal, quoted for the connection's encoding.
std::string QuoteLiteral(Tx& tx, std::string_view value);

// Lists with optional filters: each combination of filters in use is its own prepared
// statement, so PostgreSQL's cached (generic) plan never has to cover "maybe this column,
// maybe not" — such plans scan and sort the whole tenant instead of walking an index.
class FilteredSql {
 public:
  // `select` ends with a WHERE clause ("SELECT … FROM t WHERE true"); conditions are ANDed on.
  FilteredSql(std::string name, std::string select) : name_(std::move(name)), select_(std::move(select)) {}
  // Appends " AND <cond>" (when `value` is set) with "$?" in `cond` replaced by its $n.
  FilteredSql& Add(std::string_view cond, std::optional<std::string> value);
  // Appends a condition without a parameter, when `on`.
  FilteredSql& AddIf(bool on, std::string_view cond);
  // ORDER BY / LIMIT etc.; "$?" takes the next parameter.
  FilteredSql& Tail(std::string_view tail, std::optional<std::string> value = std::nullopt);
  Result Run(Tx& tx);

 private:
  std::string name_, select_, where_, tail_;
  std::uint64_t mask_ = 0;
  int bit_ = 0;
  Params params_;
};

// The Status for an SQLSTATE: unique violation → AlreadyExists, serialization failure /
// deadlock → Aborted, lost connection → Unavailable, check and foreign-key violations →
// FailedPrecondition / InvalidArgument, everything else → Internal.
Status StatusFromSqlState(const std::string& state, const std::string& message);

// The Status for an exception thrown by this layer or by libpqxx.
Status StatusFromException(const std::exception& e);

}  // namespace gaon::storage
