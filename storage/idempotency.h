// Idempotency keys: the first answer to a POST, replayed for a retry with the same key.
//
// Begin() inserts the key in the request's own transaction. A concurrent request with the
// same key blocks on that insert until the first transaction ends (PostgreSQL waits on the
// unique index), then sees the stored answer — so 50 parallel retries create one resource.
// Only committed successes are stored: a failed request rolls the key back with everything
// else and may be retried.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "storage/database.h"

namespace gaon::storage {

struct IdempotencyBegin {
  enum State { kNew, kReplay, kMismatch } state = kNew;
  int status = 0;        // for kReplay
  std::string body;      // for kReplay
};

// Needs gaon.principal set to `principal`.
StatusOr<IdempotencyBegin> BeginIdempotent(Tx& tx, const std::string& principal, const std::string& key,
                                           const std::string& request_hash, const std::string& method,
                                           const std::string& path, std::chrono::seconds ttl);
Status CompleteIdempotent(Tx& tx, const std::string& principal, const std::string& key, int status,
                          const std::string& body);
// Deletes expired keys (platform access). Returns how many.
StatusOr<std::int64_t> PurgeExpiredIdempotencyKeys(Tx& tx);

}  // namespace gaon::storage
