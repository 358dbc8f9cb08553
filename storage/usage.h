// Usage records: the metering hooks the controllers call as resources start and stop
// consuming. A record opens when a resource enters a consuming phase and closes when it leaves
// it, in the same transaction as that status change. Both calls are queued to travel with the
// transaction's COMMIT and are harmless to replay: a record is keyed by the resource and its
// run number, and closing closes only the open one. The billing issue rates them.
#pragma once

#include <optional>
#include <string>

#include "gaon/ids.h"
#include "gaon/time.h"
#include "storage/database.h"

namespace gaon::storage {

struct UsageOpen {
  TenantId tenant;
  std::string resource_kind;  // "instance", "replica"
  std::string resource_id;
  int run = 0;                // the resource's count of entries into a consuming phase
  std::string sku;            // the instance type
  std::string gpu_type;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  std::optional<std::string> zone;
  std::optional<std::string> node;
  Timestamp started_at{};
  std::optional<std::string> parent;  // what it serves: a replica's endpoint
};

void OpenUsage(Tx& tx, const UsageOpen& u);
// Closes the resource's open record, if any, at `ended_at` with a reason ("stopped",
// "deleted", "node_failure", …).
void CloseUsage(Tx& tx, const TenantId& tenant, const std::string& resource_kind, const std::string& resource_id,
                Timestamp ended_at, const std::string& reason);

}  // namespace gaon::storage
