// Leases: leader election for the controllers, with fencing.
//
// A lease is a row (name, holder, token, expires_at). Its holder renews it before it expires;
// anyone may take an expired one, and taking it increments the token. Every write a
// controller makes carries a Fence: the write's transaction first takes a key-share lock on
// the lease row and checks that the token is still current and unexpired, so a replica that
// lost the lease (paused, partitioned, slow) cannot change anything any more, and a takeover
// (which locks the whole row) waits for the writes already in flight. The holder's renewal
// changes no key and waits for none of them. See docs/controllers.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "storage/database.h"

namespace gaon::storage {

struct Fence {
  std::string lease;
  std::int64_t token = 0;
};

// Takes the lease `name` for `holder` when it is free or expired (a new token), or renews it
// when `holder` already holds it (the same token). Returns the token held, or nothing when
// another holder's lease is still valid. Runs in its own short transaction.
StatusOr<std::optional<std::int64_t>> AcquireOrRenewLease(Database& db, const std::string& name,
                                                          const std::string& holder, std::chrono::milliseconds ttl);
// Lets the lease go at once (a clean shutdown), so another replica need not wait it out.
Status ReleaseLease(Database& db, const std::string& name, const std::string& holder);

// Queues the fence check in front of the transaction's writes: the transaction fails with
// Aborted("lease_lost") unless `fence` is still the lease's current, unexpired token.
void CheckFence(Tx& tx, const Fence& fence);

}  // namespace gaon::storage
