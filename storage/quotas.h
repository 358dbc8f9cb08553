// Quotas repository: limits, usage, exact admission, and quota requests.
//
// Admission is exact under any concurrency: Admit() adds the request to the tenant's usage
// rows (locking them until the caller's transaction ends) and compares the new usage with
// every limit — in the caller's transaction, which also inserts the resource, and rolls the
// additions back when a limit is exceeded. Release() gives usage back when a resource becomes
// a tombstone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gaon/model/compute.h"
#include "storage/database.h"
#include "storage/query.h"

namespace gaon::storage {

// What one resource counts for, by dimension, in the order they are checked ("instances": 1,
// "gpus": 8, "gpus.h100-80gb-sxm": 8, …).
using Footprint = std::vector<std::pair<std::string, std::int64_t>>;

// FailedPrecondition("quota_exceeded") naming the first dimension that would go over, with its
// limit, use and the amount requested as extras. OK after adding the footprint to the usage.
Status Admit(Tx& tx, const TenantId& tenant, const Footprint& footprint);
// The same, queued to travel with the transaction's next statement (see Pending).
Pending<Status> QueueAdmit(Tx& tx, const TenantId& tenant, const Footprint& footprint);
// Subtracts the footprint (a resource was deleted).
Status Release(Tx& tx, const TenantId& tenant, const Footprint& footprint);

// Limits with usage and what remains, by dimension.
StatusOr<std::vector<Quota>> ListQuotas(Tx& tx, const TenantId& tenant);
// Sets (or, with nullopt, removes) limits. Base dimensions cannot be removed.
Status SetQuotaLimits(Tx& tx, const TenantId& tenant, const std::map<std::string, std::optional<std::int64_t>>& limits);
StatusOr<std::optional<std::int64_t>> QuotaLimit(Tx& tx, const TenantId& tenant, const std::string& dimension);

StatusOr<QuotaRequest> InsertQuotaRequest(Tx& tx, const QuotaRequest& r);
StatusOr<QuotaRequest> GetQuotaRequest(Tx& tx, const TenantId& tenant, const QuotaRequestId& id);
StatusOr<Page<QuotaRequest>> ListQuotaRequests(Tx& tx, const std::optional<TenantId>& tenant,
                                               const std::optional<QuotaRequestState>& state, const ListQuery& q);
// Moves a pending request to `state`. FailedPrecondition("quota_request_decided") when it is
// no longer pending.
StatusOr<QuotaRequest> DecideQuotaRequest(Tx& tx, const QuotaRequest& decided);

// True for a dimension name Gaon knows (gpus.<type> for a GPU type in the catalog).
bool IsBaseDimension(const std::string& dimension);

}  // namespace gaon::storage
