// Database: Gaon's bounded PostgreSQL connection pool and its transaction helper.
//
// Every read and write goes through Transact(), which checks a connection out of the pool
// (waiting at most database.checkout_timeout), opens a transaction, sets the tenant for
// row-level security (set_config(…, true): transaction-local), runs the caller's function and
// commits. BEGIN and the settings travel with the first statement (storage/internal/pq.h). It retries the
// whole function, with exponential backoff and jitter, on serialization failures (40001),
// deadlocks (40P01) and connections lost before COMMIT; a connection lost during COMMIT is
// reported as Unavailable("commit_in_doubt") and never retried, because it may have committed.
// Connections found broken are discarded and replaced, so the pool survives a PostgreSQL
// restart without intervention.
//
// libpq stays behind this header: code outside storage/ sees only Tx, an opaque handle it
// passes to repository functions.
// Thread-safety: Database is safe to use from any number of threads. A Tx belongs to the
// thread running the Transact() callback and must not escape it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "gaon/ids.h"
#include "gaon/status.h"

namespace gaon {
class MetricsRegistry;
}

namespace gaon::storage {

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TxOptions {
  // Tenant whose rows the transaction may see (SET LOCAL gaon.tenant_id). Without one, and
  // without `platform`, row-level security hides every tenant-owned row.
  std::optional<TenantId> tenant;
  // Operator-wide access across tenants (SET LOCAL gaon.platform = 'on'). Callers must audit.
  bool platform = false;
  Isolation isolation = Isolation::kReadCommitted;
  bool read_only = false;
  // More row-level-security inputs (name → value), e.g. {"gaon.auth_credential", "key_…"}.
  // Names must start with "gaon.".
  std::vector<std::pair<std::string, std::string>> settings;
  // For read-only transactions: COMMIT is not awaited but sent together with the next BEGIN on
  // the same connection (or by the pool's flusher within milliseconds). Saves a round trip per
  // read; must not be set for a transaction that writes, whose COMMIT is what a 2xx promises.
  bool defer_commit = false;
  // For a read-only READ COMMITTED transaction that probably needs one round trip (a read whose
  // caller is already authenticated): try it without BEGIN and COMMIT. PostgreSQL runs the
  // statements of one round trip in one implicit transaction, ended by the round trip's Sync;
  // `transaction_read_only` set with the settings keeps it read-only. Should it need a second
  // round trip, nothing of it is used: it runs again with BEGIN, as would every later
  // transaction of the same `name`. Saves PostgreSQL two statements per read. Ignored for
  // anything but a read-only READ COMMITTED transaction.
  bool one_trip = false;
  // False: COMMIT returns before its WAL reaches the disk (SET LOCAL synchronous_commit = off).
  // A PostgreSQL crash may then lose the transaction, never half of it and never one committed
  // after it. Only for a controller's record of what it observed, which it observes again after
  // a restart — never for what answers a client or precedes an action outside PostgreSQL
  // (docs/controllers.md, "Durability").
  bool durable = true;
  // May share one COMMIT with other grouped transactions, of any tenant, waiting at the same
  // time (group commit): each runs inside a savepoint of its own, under its own row-level-security
  // settings, so it succeeds or fails as it would alone, and the group's one COMMIT makes all
  // its successes durable at once. Transact() answers only after that COMMIT. Honoured for a
  // durable read-committed write on one tenant (`tenant` set, not `platform`) whose
  // statements set no setting but those listed in database.cpp (kRequestSettings); otherwise
  // ignored. See docs/performance.md, "Group commit".
  bool group = false;
  // Label for logs and metrics ("instances.create").
  std::string_view name = "tx";
};

class Connection;  // defined in storage/internal

// The answer to a statement already queued on a transaction. Get() sends the queue when the
// statement has not gone yet, so statements whose answers do not depend on each other, queued
// one after the other, cost one round trip together. Use it within the transaction that queued it.
template <typename T>
class Pending {
 public:
  explicit Pending(std::function<T()> get) : get_(std::move(get)) {}
  T Get() { return get_(); }

 private:
  std::function<T()> get_;
};

// An open transaction. Only storage/ code can run statements on it.
class Tx {
 public:
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  const TxOptions& options() const { return options_; }
  // Number of the attempt running (1 on the first try); lets tests force a retry.
  int attempt() const { return attempt_; }

 private:
  friend class Database;
  friend struct TxAccess;
  Tx(Connection& conn, const TxOptions& options, int attempt)
      : conn_(conn), options_(options), attempt_(attempt) {}
  Connection& conn_;
  const TxOptions& options_;
  int attempt_;
  std::vector<std::string> notices_;  // change notices to announce once committed
};

struct PoolStats {
  int open = 0;       // connections open (idle + in use)
  int in_use = 0;
  int idle = 0;
  int waiting = 0;    // callers waiting for a connection right now
  std::uint64_t waits = 0;      // checkouts that had to wait
  std::uint64_t timeouts = 0;   // checkouts that gave up
  std::uint64_t reconnects = 0; // broken connections replaced
  std::uint64_t retries = 0;    // transaction attempts retried
  int pending_commits = 0;      // idle connections whose read-only transaction is not committed yet
  std::uint64_t groups = 0;     // grouped transactions committed or rolled back (TxOptions::group)
  std::uint64_t grouped = 0;    // callers' transactions run inside them
  int group_waiting = 0;        // grouped transactions waiting for a group to take them now
  std::uint64_t one_trip_reruns = 0;  // one_trip transactions that needed BEGIN after all
};

class Database {
 public:
  // Opens nothing yet: connections are made on demand. `metrics` may be null.
  static StatusOr<std::unique_ptr<Database>> Create(const DatabaseConfig& config, MetricsRegistry* metrics);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `fn` inside one transaction and commits when it returns OK (rolls back otherwise).
  // Returns fn's status, or Unavailable when no connection could be had in time, or Aborted
  // ("serialization_failure"/"deadlock_detected") once the attempts are used up.
  Status Transact(const TxOptions& options, const std::function<Status(Tx&)>& fn);

  // One round trip on a pooled connection: OK when PostgreSQL answers.
  Status Ping();

  PoolStats Stats() const;

  // Closes idle connections and refuses new checkouts; connections in use close when
  // returned. Safe to call more than once.
  void Close();

  // For a shutdown whose deadline has passed: refuses new checkouts, cancels the statements
  // running on connections in use (PQcancel) until they are all returned or `wait` has
  // passed, then Close()s. From the call on no statement is sent, so every transaction in
  // progress rolls back — none commits halfway — and its Transact() returns
  // Unavailable("shutting_down") without retrying. Returns how many connections were in use
  // when called. Any thread, but not concurrently with Close(); idempotent.
  int Interrupt(std::chrono::milliseconds wait);

 private:
  struct Impl;
  explicit Database(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gaon::storage
