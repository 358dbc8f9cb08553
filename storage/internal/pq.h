// Storage-internal: libpqxx behind Tx. Only files under storage/ include this header.
//
// SQL is written as named constants (`constexpr Sql kGetTenant{"tenants.get", "SELECT ..."}`);
// the name is the prepared statement's name and the label in logs. Exec() prepares a
// statement on a connection the first time that connection runs it.
#pragma once

#include <pqxx/pqxx>

struct pg_conn;  // libpq's PGconn

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "gaon/status.h"
#include "storage/database.h"

// libpqxx 6.4 maps std::optional to SQL NULL (internal/type_utils.hxx).

namespace gaon::storage {

struct Sql {
  std::string_view name;
  std::string_view text;
};

// Rows as text, for results read with libpq directly (the transaction prelude).
struct RowSet {
  std::vector<std::vector<std::optional<std::string>>> rows;
  bool empty() const { return rows.empty(); }
  const std::optional<std::string>& at(std::size_t r, std::size_t c) const { return rows.at(r).at(c); }
  static RowSet From(const pqxx::result& r);
};

// One pooled connection and what the pool knows about it.
class Connection {
 public:
  Connection(std::unique_ptr<pqxx::connection_base> c, pg_conn* r) : conn(std::move(c)), raw(r) {}
  std::unique_ptr<pqxx::connection_base> conn;
  pg_conn* raw;  // the same connection, for libpq's pipeline mode (transaction starts)
  std::unordered_set<std::string_view> prepared;      // by libpqxx; names point at static Sql constants
  std::unordered_set<std::string> raw_prepared;       // by libpq directly, named raw.<name>
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  bool broken = false;
  // A statement of the open transaction failed: PostgreSQL will roll it back at COMMIT.
  bool tx_failed = false;
  // The statement-running handle for the open transaction (BEGIN was sent by hand).
  std::optional<pqxx::nontransaction> work;
  // A read-only transaction left open on purpose (TxOptions::defer_commit): the next BEGIN on
  // this connection starts with COMMIT.
  bool pending_commit = false;
  // The result of TxOptions::prelude, for the current transaction.
  std::optional<RowSet> prelude;
};

struct TxAccess {
  static Connection& Conn(Tx& tx) { return tx.conn_; }
};

// The prelude's result, once: the first caller takes it.
inline std::optional<RowSet> TakePrelude(Tx& tx) {
  auto& p = TxAccess::Conn(tx).prelude;
  std::optional<RowSet> out = std::move(p);
  p.reset();
  return out;
}

// Runs `fn` (statements on the open transaction); remembers a failure so that Transact never
// reports a COMMIT that PostgreSQL turned into a ROLLBACK as a success.
template <typename Fn>
pqxx::result Tracked(Tx& tx, Fn&& fn) {
  Connection& c = TxAccess::Conn(tx);
  try {
    return fn(*c.work);
  } catch (...) {
    c.tx_failed = true;
    throw;
  }
}

// Runs a named statement with parameters, preparing it on this connection first if needed.
template <typename... Args>
pqxx::result Exec(Tx& tx, const Sql& sql, Args&&... args) {
  Connection& c = TxAccess::Conn(tx);
  const std::string name(sql.name);
  if (c.prepared.insert(sql.name).second) c.conn->prepare(name, std::string(sql.text));
  return Tracked(tx, [&](pqxx::transaction_base& w) { return w.exec_prepared(name, std::forward<Args>(args)...); });
}

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
  pqxx::result Run(Tx& tx);

 private:
  std::string name_, select_, where_, tail_;
  std::uint64_t mask_ = 0;
  int bit_ = 0;
  std::vector<std::optional<std::string>> params_;
};

// Runs SQL text without preparing it (DDL, one-off statements, multi-statement scripts).
inline pqxx::result ExecRaw(Tx& tx, const std::string& text) {
  return Tracked(tx, [&](pqxx::transaction_base& w) { return w.exec(text); });
}

// The Status for an SQLSTATE (see StatusFromException).
Status StatusFromSqlState(const std::string& state, const std::string& message);

// Translates a libpqxx exception into a Status: unique violation → AlreadyExists,
// serialization failure / deadlock → Aborted, lost connection → Unavailable, check and
// foreign-key violations → FailedPrecondition, everything else → Internal.
Status StatusFromException(const std::exception& e);

// SQLSTATE of a pqxx::sql_error, or "" for anything else.
std::string SqlState(const std::exception& e);

}  // namespace gaon::storage
