// Audit log repository: appends events to a tenant's hash chain (or the 'platform' chain),
// lists them, and verifies a chain.
#pragma once

#include <optional>
#include <string>

#include "gaon/model/tenancy.h"
#include "storage/database.h"

namespace gaon::storage {

inline constexpr const char* kPlatformChain = "platform";

// Appends `e` to chain e.tenant_id in the caller's transaction: takes the chain head's row
// lock, assigns the next seq, computes prev_hash and hash in SQL (seq/prev_hash/hash of `e`
// are ignored). The statement travels with the transaction's COMMIT (ExecLater); a chain
// without a head fails it, and with it the transaction.
Status AppendAuditEvent(Tx& tx, const AuditEvent& e);

struct AuditQuery {
  std::optional<Timestamp> since, until;  // [since, until)
  std::optional<std::string> action;
  std::optional<std::string> principal_id;
  int page_size = 50;
  std::optional<std::int64_t> before_seq;  // page token: newest first
};
// Newest first.
StatusOr<Page<AuditEvent>> ListAuditEvents(Tx& tx, const std::string& chain, const AuditQuery& q);

// Recomputes every hash of the chain and reports the first broken link, if any.
StatusOr<AuditVerification> VerifyAuditChain(Tx& tx, const std::string& chain);

}  // namespace gaon::storage
