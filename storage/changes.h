// The change feed: one record per write to a tenant's resources, in the same transaction, with
// a per-tenant sequence in commit order, announced after commit (ChangeNotifier).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"

namespace gaon::storage {

inline constexpr const char* kChangesChannel = "gaon_changes";
inline constexpr const char* kAuthChannel = "gaon_auth";

// Who made a change: the API (a tenant or operator asked for something: the controllers must
// act), the API with a resource that now only waits for the scheduler (a new instance: its
// next step is a placement, which the scheduler makes and hands on; no reconcile has anything
// to do before), or the controllers themselves (status they wrote: nothing more to act on).
enum class ChangeOrigin { kApi, kQueued, kController };

// Appends a change (taking the tenant's change-head row lock until commit) and, once the
// transaction has committed, has it announced as "<tenant> <kind> <resource id> <a|q|c>" on
// kChangesChannel. The statement travels with the transaction's COMMIT (ExecLater), so the
// head lock is held for that round trip only and sequence order within a tenant is commit
// order.
Status RecordChange(Tx& tx, const TenantId& tenant, std::string_view kind, std::string_view resource_id,
                    std::string_view type, std::int64_t resource_version, const boost::json::value& object,
                    ChangeOrigin origin = ChangeOrigin::kApi);

// One change among several recorded at once.
struct Change {
  TenantId tenant;
  std::string resource_id;
  std::int64_t resource_version = 0;
  boost::json::value object;
};
// RecordChange for many changes of one kind and type, in one statement whatever their number
// (a scheduler pass, a bulk create): each tenant's head moves once, and its changes are
// numbered in the order given.
Status RecordChanges(Tx& tx, std::string_view kind, std::string_view type, const std::vector<Change>& changes,
                     ChangeOrigin origin = ChangeOrigin::kApi);
// The changes that carry `instances` as they are now.
std::vector<Change> InstanceChanges(const std::vector<Instance>& instances);

// Changes after `after_seq`, oldest first, at most `limit`.
StatusOr<std::vector<ChangeEvent>> ListChanges(Tx& tx, const TenantId& tenant, std::int64_t after_seq, int limit);

struct ChangeWindow {
  std::int64_t oldest = 0;  // the oldest change still kept (0: none kept)
  std::int64_t head = 0;    // the newest change
};
StatusOr<ChangeWindow> GetChangeWindow(Tx& tx, const TenantId& tenant);

// Deletes changes older than `before` (platform access); returns how many.
StatusOr<std::int64_t> PurgeChanges(Tx& tx, Timestamp before);

// Inserts the change head of a new tenant.
Status InitChangeHead(Tx& tx, const TenantId& tenant);

}  // namespace gaon::storage
