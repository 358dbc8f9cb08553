#include "storage/exports.h"

#include <string>

#include "storage/internal/pq.h"

namespace gaon::storage {

namespace {

// Each export is one SELECT over gaon_export_rows(), whose rows are already ordered and
// exact; this file only names and formats columns. Timestamps are UTC, ISO 8601 with a Z;
// numbers are plain decimals with no trailing zeros (trim_scale), never floating point.
// Timestamps as text without to_char (several times faster per row): charge periods are cut
// at UTC midnights and period edges, so they have no fraction of a second, and sessions print
// timestamps ISO-style. The billing period is the same on every row: %START_TEXT% and
// %END_TEXT% are filled in once, as literals.
#define GAON_TS(x) "replace((" x " AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"
#define GAON_NUM(x) "trim_scale(" x ")::text"

// What every format derives from a row: the meter and the SKU's suffix (GPU type or model),
// and a description. Nothing here joins or reorders: the rows come in the function's order.
constexpr std::string_view kFrom =
    " FROM gaon_export_rows(%START%, %END%, now()) r"
    " CROSS JOIN LATERAL (SELECT split_part(r.sku, '.', 1) AS meter, substr(r.sku, strpos(r.sku, '.') + 1) AS suffix) k"
    " CROSS JOIN LATERAL (SELECT"
    "   CASE WHEN k.meter IN ('gpu-hour', 'endpoint-replica-hour') THEN k.suffix END AS gpu_type,"
    "   CASE r.category WHEN 'Usage' THEN"
    "     CASE WHEN r.charge_class = 'Correction' THEN 'Correction for ' || to_char(r.charge_period_start AT TIME ZONE "
    "'UTC', 'YYYY-MM') || ': ' ELSE '' END ||"
    "     CASE k.meter WHEN 'gpu-hour' THEN 'GPU hours, ' WHEN 'endpoint-replica-hour' THEN 'Endpoint replica GPU "
    "hours, ' WHEN 'tokens-input' THEN 'Input tokens, ' ELSE 'Output tokens, ' END || k.suffix"
    "   ELSE r.description END AS description,"
    "   r.billed_cost::text AS billed, " GAON_NUM("r.unit_price") " AS price, " GAON_NUM("r.quantity") " AS quantity,"
    "   " GAON_TS("r.charge_period_start") " AS cps, " GAON_TS("r.charge_period_end") " AS cpe) d";

constexpr std::string_view kCsv =
    "SELECT r.tenant_id, r.tenant_name, r.invoice_number, %START_TEXT% AS billing_period_start, %END_TEXT% AS "
    "billing_period_end, r.category, r.charge_class, d.cps AS charge_period_start, d.cpe AS charge_period_end, r.sku, "
    "d.description, d.quantity, r.unit, d.price AS unit_price, " GAON_NUM("r.discount_percent") " AS discount_percent, "
    "" GAON_NUM("r.list_cost") " AS list_cost, " GAON_NUM("r.contracted_cost") " AS cost_unrounded, d.billed AS "
    "billed_cost, r.currency, "
    "r.resource_kind AS resource_type, r.resource_id, r.resource_name, r.zone, d.gpu_type, r.gpu_count, r.model";

// FOCUS 1.2: the columns Gaon has data for — every Mandatory one, and the Recommended and
// Conditional ones it supports — alphabetical, then the x_ custom columns, alphabetical
// (docs/billing.md lists what each holds and what is left out).
constexpr std::string_view kFocus =
    "SELECT r.zone AS \"AvailabilityZone\", d.billed AS \"BilledCost\", "
    "r.tenant_id AS \"BillingAccountId\", r.tenant_name AS \"BillingAccountName\", "
    "'Tenant' AS \"BillingAccountType\", r.currency AS \"BillingCurrency\", %END_TEXT% AS \"BillingPeriodEnd\", "
    "%START_TEXT% AS \"BillingPeriodStart\", "
    "r.category AS \"ChargeCategory\", r.charge_class AS \"ChargeClass\", d.description AS \"ChargeDescription\", "
    "CASE r.category WHEN 'Credit' THEN 'One-Time' ELSE 'Usage-Based' END AS \"ChargeFrequency\", d.cpe AS "
    "\"ChargePeriodEnd\", d.cps AS \"ChargePeriodStart\", "
    "CASE r.unit WHEN 'million-tokens' THEN " GAON_NUM("r.quantity * 1000000") " ELSE d.quantity END AS "
    "\"ConsumedQuantity\", "
    "CASE WHEN r.category = 'Usage' THEN CASE r.unit WHEN 'million-tokens' THEN 'Tokens' ELSE 'GPU-Hours' END END AS "
    "\"ConsumedUnit\", " GAON_NUM("r.contracted_cost") " AS \"ContractedCost\", "
    "CASE WHEN r.discount_percent = 0 THEN d.price ELSE " GAON_NUM(
        "r.unit_price * (100 - r.discount_percent) * 0.01") " END AS \"ContractedUnitPrice\", d.billed AS "
    "\"EffectiveCost\", r.invoice_number AS \"InvoiceId\", "
    "r.issuer AS \"InvoiceIssuerName\", " GAON_NUM("r.list_cost") " AS \"ListCost\", "
    "d.price AS \"ListUnitPrice\", "
    "CASE WHEN r.category = 'Usage' THEN 'Standard' END AS \"PricingCategory\", "
    "d.quantity AS \"PricingQuantity\", "
    "CASE r.unit WHEN 'gpu-hour' THEN 'GPU-Hours' WHEN 'million-tokens' THEN '1M Tokens' END AS \"PricingUnit\", "
    "r.issuer AS \"ProviderName\", r.issuer AS \"PublisherName\", r.region_id AS \"RegionId\", "
    "r.region_name AS \"RegionName\", "
    "CASE WHEN r.resource_kind IN ('instance', 'endpoint') THEN r.resource_id END AS \"ResourceId\", "
    "r.resource_name AS \"ResourceName\", CASE r.resource_kind WHEN 'instance' THEN 'GPU Instance' WHEN 'endpoint' "
    "THEN 'Inference Endpoint' END AS \"ResourceType\", "
    "CASE WHEN k.meter = 'gpu-hour' THEN 'Compute' WHEN r.category = 'Usage' THEN 'AI and Machine Learning' ELSE "
    "'Other' END AS \"ServiceCategory\", "
    "CASE WHEN k.meter = 'gpu-hour' THEN 'GPU Instances' WHEN r.category = 'Usage' THEN 'Inference Endpoints' WHEN "
    "r.category = 'Tax' THEN 'Tax' ELSE 'Credits' END AS \"ServiceName\", "
    "CASE WHEN k.meter = 'gpu-hour' THEN 'Virtual Machines' WHEN r.category = 'Usage' THEN 'Generative AI' ELSE "
    "'Other (Other)' END AS \"ServiceSubcategory\", r.sku AS \"SkuId\", "
    "CASE k.meter WHEN 'gpu-hour' THEN 'GPU time' WHEN 'endpoint-replica-hour' THEN 'Replica GPU time' WHEN "
    "'tokens-input' THEN 'Input tokens' WHEN 'tokens-output' THEN 'Output tokens' END AS \"SkuMeter\", "
    "r.sku || ':' || r.currency || ':' || d.price AS \"SkuPriceId\", "
    "CASE WHEN r.labels IS NOT NULL AND r.labels <> '{}' THEN r.labels::text END AS \"Tags\", " GAON_NUM(
        "r.discount_percent") " AS \"x_DiscountPercent\", r.gpu_count AS \"x_GpuCount\", d.gpu_type AS \"x_GpuType\", "
    "r.model AS \"x_Model\", r.tenant_id AS \"x_TenantId\"";

// JSON Lines: the CSV's fields as one object per row; amounts stay decimal strings.
constexpr std::string_view kJson =
    "SELECT json_build_object('tenant_id', r.tenant_id, 'tenant_name', r.tenant_name, 'invoice_number', "
    "r.invoice_number, 'billing_period_start', %START_TEXT%, 'billing_period_end', %END_TEXT%, 'category', "
    "r.category, 'charge_class', r.charge_class, 'charge_period_start', d.cps, 'charge_period_end', d.cpe, 'sku', "
    "r.sku, 'description', d.description, 'quantity', d.quantity, 'unit', r.unit, 'unit_price', d.price, "
    "'discount_percent', " GAON_NUM("r.discount_percent") ", 'list_cost', " GAON_NUM("r.list_cost") ", "
    "'cost_unrounded', " GAON_NUM("r.contracted_cost") ", 'billed_cost', d.billed, 'currency', r.currency, 'resource_type', r.resource_kind, 'resource_id', r.resource_id, "
    "'resource_name', r.resource_name, 'zone', r.zone, 'gpu_type', d.gpu_type, 'gpu_count', r.gpu_count, 'model', "
    "r.model)::text";

#undef GAON_TS
#undef GAON_NUM

std::string Fill(std::string text, std::string_view key, const std::string& value) {
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "jsonl") return ExportFormat::kJsonLines;
  if (name == "focus") return ExportFormat::kFocus;
  return std::nullopt;
}

StatusOr<std::int64_t> StreamExport(Tx& tx, ExportFormat format, Timestamp start, Timestamp end,
                                    const std::function<bool(std::string_view)>& sink) {
  const bool csv = format != ExportFormat::kJsonLines;
  std::string select(format == ExportFormat::kCsv ? kCsv : format == ExportFormat::kFocus ? kFocus : kJson);
  select += kFrom;
  // Whole seconds, as every other timestamp of the file.
  auto text = [&](Timestamp t) { return QuoteLiteral(tx, FormatTimestamp(std::chrono::floor<std::chrono::seconds>(t))); };
  select = Fill(Fill(std::move(select), "%START_TEXT%", text(start)), "%END_TEXT%", text(end));
  select = Fill(Fill(std::move(select), "%START%", QuoteLiteral(tx, FormatTimestamp(start)) + "::timestamptz"),
                "%END%", QuoteLiteral(tx, FormatTimestamp(end)) + "::timestamptz");
  const std::string copy =
      "COPY (" + select + ") TO STDOUT WITH (FORMAT " + (csv ? "csv, HEADER true" : "text") + ", ENCODING 'UTF8')";
  // However long the file: the statement ends with the reader (a reader that stops reading
  // times out in the HTTP layer, and then the statement is cancelled).
  ExecRaw(tx, "SET LOCAL statement_timeout = 0");
  std::int64_t rows = csv ? -1 : 0;  // CSV: the first row is the header
  std::string line;
  CopyOut(tx, copy, [&](std::string_view row) {
    ++rows;
    if (csv) return sink(row);
    // COPY's text format doubles backslashes; JSON text holds no other character it escapes
    // (control characters are already \u-escaped), so undoing that gives the JSON back.
    line.clear();
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '\\') ++i;
    }
    return sink(line);
  });
  return rows < 0 ? 0 : rows;
}

}  // namespace gaon::storage
