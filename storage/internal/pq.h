// Storage-internal: libpqxx behind Tx. Only files under storage/ include this header.
//
// SQL is written as named constants (`constexpr Sql kGetTenant{"tenants.get", "SELECT ..."}`);
// the name is the prepared statement's name and the label in logs. Exec() prepares a
// statement on a connection the first time that connection runs it.
#pragma once

#include <pqxx/pqxx>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "gaon/status.h"
#include "storage/database.h"

// libpqxx 6.4 maps std::optional to SQL NULL (internal/type_utils.hxx).

namespace gaon::storage {

struct Sql {
  std::string_view name;
  std::string_view text;
};

// One pooled connection and what the pool knows about it.
class Connection {
 public:
  explicit Connection(std::unique_ptr<pqxx::connection> c) : conn(std::move(c)) {}
  std::unique_ptr<pqxx::connection> conn;
  std::unordered_set<std::string_view> prepared;  // names point at static Sql constants
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  bool broken = false;
  // A statement of the open transaction failed: PostgreSQL will roll it back at COMMIT.
  bool tx_failed = false;
  // The statement-running handle for the open transaction (BEGIN was sent by hand).
  std::optional<pqxx::nontransaction> work;
};

struct TxAccess {
  static Connection& Conn(Tx& tx) { return tx.conn_; }
};

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

// Runs SQL text without preparing it (DDL, one-off statements, multi-statement scripts).
inline pqxx::result ExecRaw(Tx& tx, const std::string& text) {
  return Tracked(tx, [&](pqxx::transaction_base& w) { return w.exec(text); });
}

// Translates a libpqxx exception into a Status: unique violation → AlreadyExists,
// serialization failure / deadlock → Aborted, lost connection → Unavailable, check and
// foreign-key violations → FailedPrecondition, everything else → Internal.
Status StatusFromException(const std::exception& e);

// SQLSTATE of a pqxx::sql_error, or "" for anything else.
std::string SqlState(const std::exception& e);

}  // namespace gaon::storage
