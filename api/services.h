// Services: the long-lived objects handlers use, assembled by server/ and handed to the
// route table. Plain pointers: server/ owns them and keeps them alive while the API runs.
#pragma once

#include <string_view>
#include <vector>

#include "core/config.h"

namespace gaon {
class MetricsRegistry;
namespace storage {
class ChangeFeed;
class Database;
struct Migration;
}  // namespace storage
}  // namespace gaon

namespace gaon::api {

class CatalogCache;

struct Services {
  const Config* config = nullptr;
  storage::Database* db = nullptr;
  MetricsRegistry* metrics = nullptr;
  const std::vector<storage::Migration>* migrations = nullptr;  // what /readyz expects applied
  storage::ChangeFeed* feed = nullptr;  // wakes watch streams; may be null (they then poll)
  CatalogCache* catalog = nullptr;      // the region's catalog in memory
  bool serve_api = true;                // false: only /healthz, /readyz, /metrics (a controllers-only gaond)
};

}  // namespace gaon::api
