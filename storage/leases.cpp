#include "storage/leases.h"

#include "storage/internal/pq.h"

namespace gaon::storage {
namespace {

// Renewing keeps the token and touches only expires_at and renewed_at; the fences of writes in
// flight (a shared advisory lock on the lease, migration 0018) do not hold it up.
constexpr Sql kRenew{"leases.renew",
                     "UPDATE leases SET renewed_at = clock_timestamp(), "
                     "expires_at = clock_timestamp() + $3 * interval '1 millisecond' "
                     "WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp() RETURNING token"};
// Anything else first takes the lease's advisory lock exclusively, waiting for every fenced
// write in flight: a takeover must not begin a new term while the old holder's last writes may
// still commit. Two would-be holders also serialise on it.
constexpr Sql kLockForTakeover{"leases.lock", "SELECT pg_advisory_xact_lock(gaon_lease_key($1))"};
// Taking a lease someone else held (or our own, once expired, since someone may have held it
// in between) moves the token on.
constexpr Sql kAcquire{
    "leases.acquire",
    "INSERT INTO leases AS l (name, holder, token, expires_at) "
    "VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond') "
    "ON CONFLICT (name) DO UPDATE SET "
    "token = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp() THEN l.token ELSE l.token + 1 END, "
    "acquired_at = CASE WHEN l.holder = excluded.holder AND l.expires_at > clock_timestamp() THEN l.acquired_at "
    "ELSE clock_timestamp() END, "
    "holder = excluded.holder, renewed_at = clock_timestamp(), expires_at = excluded.expires_at "
    "WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp() "
    "RETURNING token"};
constexpr Sql kRelease{"leases.release",
                       "UPDATE leases SET expires_at = clock_timestamp() WHERE name = $1 AND holder = $2"};
constexpr Sql kFence{"leases.fence", "SELECT gaon_fence($1, $2)"};

}  // namespace

StatusOr<std::optional<std::int64_t>> AcquireOrRenewLease(Database& db, const std::string& name,
                                                          const std::string& holder, std::chrono::milliseconds ttl) {
  std::optional<std::int64_t> token;
  RETURN_IF_ERROR(db.Transact({.platform = true, .name = "leases.acquire"}, [&](Tx& tx) {
    const auto ms = static_cast<std::int64_t>(ttl.count());
    token.reset();
    Result r = Exec(tx, kRenew, name, holder, ms);
    if (r.empty()) {
      Exec(tx, kLockForTakeover, name);
      r = Exec(tx, kAcquire, name, holder, ms);
    }
    if (!r.empty()) token = r[0][0].as<std::int64_t>();
    return Status::Ok();
  }));
  return token;
}

Status ReleaseLease(Database& db, const std::string& name, const std::string& holder) {
  return db.Transact({.platform = true, .name = "leases.release"}, [&](Tx& tx) {
    ExecLater(tx, kRelease, name, holder);
    return Status::Ok();
  });
}

void CheckFence(Tx& tx, const Fence& fence) { ExecLater(tx, kFence, fence.lease, fence.token); }

}  // namespace gaon::storage
