#include "storage/idempotency.h"

#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

constexpr Sql kDeleteExpired{"idempotency.delete_expired_one",
                             "DELETE FROM idempotency_keys WHERE principal_id = $1 AND idempotency_key = $2 "
                             "AND expires_at <= now()"};
constexpr Sql kInsert{"idempotency.insert",
                      "INSERT INTO idempotency_keys (principal_id, idempotency_key, request_hash, method, path, "
                      "expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) "
                      "ON CONFLICT DO NOTHING RETURNING 1"};
constexpr Sql kGet{"idempotency.get",
                   "SELECT request_hash, status, response_body FROM idempotency_keys WHERE principal_id = $1 "
                   "AND idempotency_key = $2"};
constexpr Sql kComplete{"idempotency.complete",
                        "UPDATE idempotency_keys SET status = $3, response_body = $4 WHERE principal_id = $1 "
                        "AND idempotency_key = $2"};
constexpr Sql kPurge{"idempotency.purge", "DELETE FROM idempotency_keys WHERE expires_at <= now()"};

}  // namespace

StatusOr<IdempotencyBegin> BeginIdempotent(Tx& tx, const std::string& principal, const std::string& key,
                                           const std::string& request_hash, const std::string& method,
                                           const std::string& path, std::chrono::seconds ttl) {
  ExecLater(tx, kDeleteExpired, principal, key);
  if (!Exec(tx, kInsert, principal, key, request_hash, method, path, static_cast<std::int64_t>(ttl.count())).empty()) {
    return IdempotencyBegin{};
  }
  const auto r = Exec(tx, kGet, principal, key);
  if (r.empty()) {
    // Deleted between our insert attempt and this read (expired and purged): let the client retry.
    return Aborted("the idempotency key changed concurrently; retry", "idempotency_conflict");
  }
  IdempotencyBegin b;
  if (std::string_view(r[0][0].c_str()) != request_hash) {
    b.state = IdempotencyBegin::kMismatch;
    return b;
  }
  if (r[0][1].is_null()) {
    return Aborted("a request with this idempotency key is still in progress", "idempotency_in_progress");
  }
  b.state = IdempotencyBegin::kReplay;
  b.status = r[0][1].as<int>();
  b.body = Str(r[0][2]);
  return b;
}

Status CompleteIdempotent(Tx& tx, const std::string& principal, const std::string& key, int status,
                          const std::string& body) {
  ExecLater(tx, kComplete, principal, key, status, body);
  return Status::Ok();
}

StatusOr<std::int64_t> PurgeExpiredIdempotencyKeys(Tx& tx) {
  return static_cast<std::int64_t>(Exec(tx, kPurge).affected_rows());
}

}  // namespace gaon::storage
