// Billing exports: every charge row of a billing period — usage items, tax and credits, as
// gaon_export_rows() (migration 0011) gives them — read with PostgreSQL's COPY, written in the
// chosen format here (so PostgreSQL and gaond share the work) and streamed in constant
// memory, whatever the size. Which tenants a file covers is the
// transaction's row-level security: one tenant, or every tenant for the platform.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gaon/status.h"
#include "gaon/time.h"
#include "storage/database.h"

namespace gaon::storage {

enum class ExportFormat {
  kCsv,        // Gaon's columns, snake_case, one row per charge (docs/billing.md)
  kJsonLines,  // the same fields, one JSON object per line; amounts as decimal strings
  kFocus,      // FOCUS 1.2 columns, then x_ custom columns, as CSV
};
std::optional<ExportFormat> ParseExportFormat(std::string_view name);  // csv | jsonl | focus

// Writes the export of the billing period [start, end) to `sink` in pieces (the CSV header
// first). Rows of tenants whose period is invoiced are that invoice's; the others are their
// draft as of now. Returns the number of charge rows; stops early (returning what it wrote)
// when `sink` returns false.
StatusOr<std::int64_t> StreamExport(Tx& tx, ExportFormat format, Timestamp start, Timestamp end,
                                    const std::function<bool(std::string_view)>& sink);

// The tenants with charges in [start, end): an invoice of the period, usage records that
// overlap it, or metered events in it — the tenants an all-tenant export shows.
StatusOr<std::vector<std::string>> TenantsWithCharges(Tx& tx, Timestamp start, Timestamp end);

}  // namespace gaon::storage
