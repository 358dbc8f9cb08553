#include "storage/exports.h"

#include <algorithm>
#include <stdexcept>
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

// ---------------------------------------------------------------- FOCUS
// FOCUS is formatted here, not in SQL: PostgreSQL sends gaon_export_rows' columns as COPY
// text and gaond writes the 45 FOCUS columns, so reading rows (PostgreSQL's backend) and
// writing text (gaond) run on two cores. In SQL the formatting took longer than the reading
// (docs/performance.md).

// The raw columns, in this order (kRaw's indexes below).
constexpr std::string_view kRaw =
    "SELECT tenant_id, tenant_name, currency, invoice_number, category, charge_class, charge_period_start, "
    "charge_period_end, sku, unit, quantity, unit_price, discount_percent, list_cost, contracted_cost, billed_cost, "
    "resource_kind, resource_id, gpu_count, resource_name, zone, labels, model, description, region_id, region_name, "
    "issuer, CASE WHEN discount_percent = 0 THEN unit_price ELSE unit_price * (100 - discount_percent) * 0.01 END "
    "FROM gaon_export_rows(%START%, %END%, now())";
enum Raw {
  kTenantId, kTenantName, kCurrency, kInvoiceNumber, kCategory, kChargeClass, kChargeStart, kChargeEnd, kSku, kUnit,
  kQuantity, kUnitPrice, kDiscount, kListCost, kContractedCost, kBilledCost, kResourceKind, kResourceId, kGpuCount,
  kResourceName, kZone, kLabels, kModel, kDescription, kRegionId, kRegionName, kIssuer, kContractedUnitPrice, kRawCount
};

// FOCUS 1.2: the columns Gaon has data for — every Mandatory one, and the Recommended and
// Conditional ones it supports — alphabetical, then the x_ custom columns, alphabetical
// (docs/billing.md lists what each holds and what is left out).
constexpr std::string_view kFocusHeader =
    "AvailabilityZone,BilledCost,BillingAccountId,BillingAccountName,BillingAccountType,BillingCurrency,"
    "BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,"
    "ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,ContractedCost,ContractedUnitPrice,"
    "EffectiveCost,InvoiceId,InvoiceIssuerName,ListCost,ListUnitPrice,PricingCategory,PricingQuantity,PricingUnit,"
    "ProviderName,PublisherName,RegionId,RegionName,ResourceId,ResourceName,ResourceType,ServiceCategory,"
    "ServiceName,ServiceSubcategory,SkuId,SkuMeter,SkuPriceId,Tags,x_DiscountPercent,x_GpuCount,x_GpuType,x_Model,"
    "x_TenantId\n";

// One COPY text row split into its fields, unescaped; NULL (\N) is nullopt.
class RawRow {
 public:
  bool Parse(std::string_view row) {
    if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
    int n = 0;
    std::size_t start = 0;
    for (;;) {
      const auto tab = row.find('\t', start);
      const auto f = row.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
      if (n >= kRawCount) return false;
      Set(n++, f);
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    return n == kRawCount;
  }
  bool null(int i) const { return !present_[i]; }
  std::string_view operator[](int i) const { return present_[i] ? std::string_view(value_[i]) : std::string_view(); }

 private:
  void Set(int i, std::string_view f) {
    present_[i] = f != "\\N";
    std::string& v = value_[i];
    v.clear();
    if (!present_[i]) return;
    for (std::size_t k = 0; k < f.size(); ++k) {
      if (f[k] != '\\' || k + 1 == f.size()) {
        v += f[k];
        continue;
      }
      switch (f[++k]) {
        case 'n': v += '\n'; break;
        case 'r': v += '\r'; break;
        case 't': v += '\t'; break;
        case 'b': v += '\b'; break;
        case 'f': v += '\f'; break;
        case 'v': v += '\v'; break;
        default: v += f[k];
      }
    }
  }
  std::string value_[kRawCount];
  bool present_[kRawCount] = {};
};

// A decimal without trailing zeros after the point ("12.50" → "12.5", "3.000" → "3").
std::string_view Trim(std::string_view d) {
  if (d.find('.') == std::string_view::npos) return d;
  while (d.back() == '0') d.remove_suffix(1);
  if (d.back() == '.') d.remove_suffix(1);
  return d;
}

// A decimal × 10^6, exactly ("0.0123" → "12300"), trimmed.
std::string Mega(std::string_view d) {
  std::string s(Trim(d));
  const bool neg = !s.empty() && s[0] == '-';
  if (neg) s.erase(0, 1);
  auto dot = s.find('.');
  std::string whole = dot == std::string::npos ? s : s.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  frac.resize(std::max<std::size_t>(frac.size(), 6), '0');
  whole += frac.substr(0, 6);
  frac.erase(0, 6);
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size() - 1));
  std::string out = (neg ? "-" : "") + whole + (frac.empty() ? "" : "." + frac);
  return std::string(Trim(out));
}

// "2026-10-03 00:00:00+00" (a UTC session's timestamptz) → "2026-10-03T00:00:00Z".
void Time(std::string& out, std::string_view t) {
  if (t.size() < 19) return;
  out.append(t.substr(0, 10));
  out += 'T';
  out.append(t.substr(11, 8));
  out += 'Z';
}

void Field(std::string& out, std::string_view v) {  // RFC 4180
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// One FOCUS row for a raw row. `period_start`/`period_end` are already formatted.
void FocusRow(std::string& out, const RawRow& r, std::string_view period_start, std::string_view period_end) {
  const std::string_view sku = r[kSku], category = r[kCategory], unit = r[kUnit], kind = r[kResourceKind];
  const auto dot = sku.find('.');
  const std::string_view meter = sku.substr(0, dot), suffix = dot == std::string_view::npos ? "" : sku.substr(dot + 1);
  const bool usage = category == "Usage", gpu = meter == "gpu-hour";
  const bool gpu_time = gpu || meter == "endpoint-replica-hour";
  const std::string_view billed = Trim(r[kBilledCost]), price = Trim(r[kUnitPrice]), quantity = Trim(r[kQuantity]);
  auto next = [&out](std::string_view v) {
    Field(out, v);
    out += ',';
  };
  next(r[kZone]);
  next(billed);
  next(r[kTenantId]);
  next(r[kTenantName]);
  next("Tenant");
  next(r[kCurrency]);
  next(period_end);
  next(period_start);
  next(category);
  next(r[kChargeClass]);
  if (usage) {
    std::string d;
    if (r[kChargeClass] == "Correction") d = "Correction for " + std::string(r[kChargeStart].substr(0, 7)) + ": ";
    d += gpu ? "GPU hours, " : gpu_time ? "Endpoint replica GPU hours, " : meter == "tokens-input" ? "Input tokens, "
                                                                                                : "Output tokens, ";
    d += suffix;
    next(d);
  } else {
    next(r[kDescription]);
  }
  next(category == "Credit" ? "One-Time" : "Usage-Based");
  Time(out, r[kChargeEnd]);
  out += ',';
  Time(out, r[kChargeStart]);
  out += ',';
  next(r.null(kQuantity) ? std::string() : unit == "million-tokens" ? Mega(quantity) : std::string(quantity));
  next(usage ? (unit == "million-tokens" ? "Tokens" : "GPU-Hours") : "");
  next(Trim(r[kContractedCost]));
  next(Trim(r[kContractedUnitPrice]));
  next(billed);
  next(r[kInvoiceNumber]);
  next(r[kIssuer]);
  next(Trim(r[kListCost]));
  next(price);
  next(usage ? "Standard" : "");
  next(quantity);
  next(unit == "gpu-hour" ? "GPU-Hours" : unit == "million-tokens" ? "1M Tokens" : "");
  next(r[kIssuer]);
  next(r[kIssuer]);
  next(r[kRegionId]);
  next(r[kRegionName]);
  next(kind == "instance" || kind == "endpoint" ? r[kResourceId] : "");
  next(r[kResourceName]);
  next(kind == "instance" ? "GPU Instance" : kind == "endpoint" ? "Inference Endpoint" : "");
  next(gpu ? "Compute" : usage ? "AI and Machine Learning" : "Other");
  next(gpu ? "GPU Instances" : usage ? "Inference Endpoints" : category == "Tax" ? "Tax" : "Credits");
  next(gpu ? "Virtual Machines" : usage ? "Generative AI" : "Other (Other)");
  next(sku);
  next(gpu ? "GPU time"
           : meter == "endpoint-replica-hour" ? "Replica GPU time"
           : meter == "tokens-input"          ? "Input tokens"
           : meter == "tokens-output"         ? "Output tokens"
                                              : "");
  next(r.null(kSku) ? std::string() : std::string(sku) + ":" + std::string(r[kCurrency]) + ":" + std::string(price));
  next(r[kLabels] == "{}" ? "" : r[kLabels]);
  next(Trim(r[kDiscount]));
  next(r[kGpuCount]);
  next(gpu_time ? suffix : "");
  next(r[kModel]);
  Field(out, r[kTenantId]);
  out += '\n';
}

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
  // Whole seconds, as every other timestamp of the file.
  const std::string start_text = FormatTimestamp(std::chrono::floor<std::chrono::seconds>(start));
  const std::string end_text = FormatTimestamp(std::chrono::floor<std::chrono::seconds>(end));
  std::string select(format == ExportFormat::kCsv ? kCsv : format == ExportFormat::kFocus ? kRaw : kJson);
  if (format != ExportFormat::kFocus) select += kFrom;
  select = Fill(Fill(std::move(select), "%START_TEXT%", QuoteLiteral(tx, start_text)), "%END_TEXT%",
                QuoteLiteral(tx, end_text));
  select = Fill(Fill(std::move(select), "%START%", QuoteLiteral(tx, FormatTimestamp(start)) + "::timestamptz"),
                "%END%", QuoteLiteral(tx, FormatTimestamp(end)) + "::timestamptz");
  const bool csv = format == ExportFormat::kCsv;
  const std::string copy =
      "COPY (" + select + ") TO STDOUT WITH (FORMAT " + (csv ? "csv, HEADER true" : "text") + ", ENCODING 'UTF8')";
  // However long the file: the statement ends with the reader (a reader that stops reading
  // times out in the HTTP layer, and then the statement is cancelled).
  ExecRaw(tx, "SET LOCAL statement_timeout = 0");
  std::int64_t rows = csv ? -1 : 0;  // CSV: the first row is the header
  std::string out;  // FOCUS rows, handed on in pieces of about 64 KiB
  RawRow raw;
  if (format == ExportFormat::kFocus) out = kFocusHeader;
  const bool complete = CopyOut(tx, copy, [&](std::string_view row) {
    ++rows;
    if (csv) return sink(row);
    if (format == ExportFormat::kFocus) {
      if (!raw.Parse(row)) throw std::logic_error("an export row does not have the expected columns");
      FocusRow(out, raw, start_text, end_text);
      if (out.size() < 64 * 1024) return true;
      const bool more = sink(out);
      out.clear();
      return more;
    }
    // COPY's text format doubles backslashes; JSON text holds no other character it escapes
    // (control characters are already \u-escaped), so undoing that gives the JSON back.
    out.clear();
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '\\') ++i;
    }
    return sink(out);
  });
  if (complete && format == ExportFormat::kFocus && !out.empty()) sink(out);
  return rows < 0 ? 0 : rows;
}

}  // namespace gaon::storage
