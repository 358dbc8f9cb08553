#include "storage/exports.h"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "storage/internal/pq.h"

namespace gaon::storage {

namespace {

// Every format is written here from the same rows: PostgreSQL sends gaon_export_rows'
// columns as COPY text and gaond writes the file, so reading rows (PostgreSQL's backend) and
// writing text (gaond) run on two cores — formatted in SQL, the 45 FOCUS columns took longer
// than reading the rows (docs/performance.md). Timestamps come out UTC, ISO 8601 with a Z;
// numbers as plain decimals without trailing zeros, never through floating point.

// The raw columns, in this order (the Raw indexes below).
constexpr std::string_view kRaw =
    "SELECT tenant_id, tenant_name, currency, invoice_number, category, charge_class, charge_period_start, "
    "charge_period_end, sku, unit, quantity, unit_price, discount_percent, list_cost, contracted_cost, billed_cost, "
    "resource_kind, resource_id, gpu_count, resource_name, zone, labels, model, description, region_id, region_name, "
    "issuer, CASE WHEN discount_percent = 0 THEN unit_price ELSE unit_price * (100 - discount_percent) * 0.01 END, "
    "CASE unit WHEN 'million-tokens' THEN quantity * 1000000 ELSE quantity END FROM gaon_export_rows(%START%, %END%, "
    "now())";
enum Raw {
  kTenantId, kTenantName, kCurrency, kInvoiceNumber, kCategory, kChargeClass, kChargeStart, kChargeEnd, kSku, kUnit,
  kQuantity, kUnitPrice, kDiscount, kListCost, kContractedCost, kBilledCost, kResourceKind, kResourceId, kGpuCount,
  kResourceName, kZone, kLabels, kModel, kDescription, kRegionId, kRegionName, kIssuer, kContractedUnitPrice, kConsumedQuantity, kRawCount
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

// What every format derives from a row: the SKU's meter and suffix (GPU type or model), the
// GPU type, and the description ("GPU hours, h100-80gb-sxm"; "Correction for 2026-09: …").
struct Charge {
  std::string_view meter, suffix, gpu_type;
  std::string description;
  bool usage = false, gpu = false;
};

Charge Describe(const RawRow& r) {
  Charge c;
  const std::string_view sku = r[kSku];
  const auto dot = sku.find('.');
  c.meter = sku.substr(0, dot);
  c.suffix = dot == std::string_view::npos ? "" : sku.substr(dot + 1);
  c.usage = r[kCategory] == "Usage";
  c.gpu = c.meter == "gpu-hour";
  if (c.gpu || c.meter == "endpoint-replica-hour") c.gpu_type = c.suffix;
  if (!c.usage) {
    c.description = r[kDescription];
    return c;
  }
  if (r[kChargeClass] == "Correction") c.description = "Correction for " + std::string(r[kChargeStart].substr(0, 7)) + ": ";
  c.description += c.gpu                                ? "GPU hours, "
                   : c.meter == "endpoint-replica-hour" ? "Endpoint replica GPU hours, "
                   : c.meter == "tokens-input"          ? "Input tokens, "
                                                        : "Output tokens, ";
  c.description += c.suffix;
  return c;
}

std::string Iso(std::string_view t) {
  std::string out;
  Time(out, t);
  return out;
}

// CSV: Gaon's columns (kCsvHeader), one row per charge.
constexpr std::string_view kCsvHeader =
    "tenant_id,tenant_name,invoice_number,billing_period_start,billing_period_end,category,charge_class,"
    "charge_period_start,charge_period_end,sku,description,quantity,unit,unit_price,discount_percent,list_cost,"
    "cost_unrounded,billed_cost,currency,resource_type,resource_id,resource_name,zone,gpu_type,gpu_count,model\n";

// The CSV's fields, in order; JSON Lines uses the same names.
std::vector<std::pair<std::string_view, std::optional<std::string>>> GaonFields(const RawRow& r, const Charge& c,
                                                                               std::string_view period_start,
                                                                               std::string_view period_end) {
  auto opt = [&r](int i) -> std::optional<std::string> {
    if (r.null(i)) return std::nullopt;
    return std::string(r[i]);
  };
  auto num = [&r](int i) -> std::optional<std::string> {
    if (r.null(i)) return std::nullopt;
    return std::string(Trim(r[i]));
  };
  return {{"tenant_id", opt(kTenantId)},
          {"tenant_name", opt(kTenantName)},
          {"invoice_number", opt(kInvoiceNumber)},
          {"billing_period_start", std::string(period_start)},
          {"billing_period_end", std::string(period_end)},
          {"category", opt(kCategory)},
          {"charge_class", opt(kChargeClass)},
          {"charge_period_start", Iso(r[kChargeStart])},
          {"charge_period_end", Iso(r[kChargeEnd])},
          {"sku", opt(kSku)},
          {"description", c.description},
          {"quantity", num(kQuantity)},
          {"unit", opt(kUnit)},
          {"unit_price", num(kUnitPrice)},
          {"discount_percent", num(kDiscount)},
          {"list_cost", num(kListCost)},
          {"cost_unrounded", num(kContractedCost)},
          {"billed_cost", num(kBilledCost)},
          {"currency", opt(kCurrency)},
          {"resource_type", opt(kResourceKind)},
          {"resource_id", opt(kResourceId)},
          {"resource_name", opt(kResourceName)},
          {"zone", opt(kZone)},
          {"gpu_type", c.gpu_type.empty() ? std::nullopt : std::optional<std::string>(c.gpu_type)},
          {"gpu_count", opt(kGpuCount)},
          {"model", opt(kModel)}};
}

void CsvRow(std::string& out, const RawRow& r, std::string_view period_start, std::string_view period_end) {
  const auto fields = GaonFields(r, Describe(r), period_start, period_end);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    if (fields[i].second) Field(out, *fields[i].second);
  }
  out += '\n';
}

// JSON Lines: the CSV's fields as one object per line; amounts are decimal strings (exact),
// the GPU count a number.
void JsonRow(std::string& out, const RawRow& r, std::string_view period_start, std::string_view period_end) {
  boost::json::object o;
  for (auto& [name, value] : GaonFields(r, Describe(r), period_start, period_end)) {
    if (!value) o[name] = nullptr;
    else if (name == "gpu_count") o[name] = std::stoll(*value);
    else o[name] = *value;
  }
  out += boost::json::serialize(o);
  out += '\n';
}

// One FOCUS row for a raw row. `period_start`/`period_end` are already formatted.
void FocusRow(std::string& out, const RawRow& r, std::string_view period_start, std::string_view period_end) {
  const Charge c = Describe(r);
  const std::string_view sku = r[kSku], category = r[kCategory], unit = r[kUnit], kind = r[kResourceKind];
  const std::string_view meter = c.meter;
  const bool usage = c.usage, gpu = c.gpu;
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
  next(c.description);
  next(category == "Credit" ? "One-Time" : "Usage-Based");
  Time(out, r[kChargeEnd]);
  out += ',';
  Time(out, r[kChargeStart]);
  out += ',';
  next(Trim(r[kConsumedQuantity]));
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
  next(c.gpu_type);
  next(r[kModel]);
  Field(out, r[kTenantId]);
  out += '\n';
}


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

StatusOr<std::vector<std::string>> TenantsWithCharges(Tx& tx, Timestamp start, Timestamp end) {
  static constexpr Sql kTenants{
      "exports.tenants",
      "SELECT t.tenant_id FROM tenants t WHERE "
      "EXISTS (SELECT 1 FROM invoices i WHERE i.tenant_id = t.tenant_id AND i.period_start = $1 AND i.state <> 'void') "
      "OR EXISTS (SELECT 1 FROM usage_records u WHERE u.tenant_id = t.tenant_id AND u.started_at < $2 AND "
      "(u.ended_at IS NULL OR u.ended_at > $1)) "
      "OR EXISTS (SELECT 1 FROM usage_events e WHERE e.tenant_id = t.tenant_id AND e.occurred_at >= $1 AND "
      "e.occurred_at < $2) ORDER BY 1"};
  std::vector<std::string> out;
  for (const auto& row : Exec(tx, kTenants, FormatTimestamp(start), FormatTimestamp(end))) out.emplace_back(row[0].c_str());
  return out;
}

StatusOr<std::int64_t> StreamExport(Tx& tx, ExportFormat format, Timestamp start, Timestamp end,
                                    const std::function<bool(std::string_view)>& sink) {
  // Whole seconds, as every other timestamp of the file.
  const std::string start_text = FormatTimestamp(std::chrono::floor<std::chrono::seconds>(start));
  const std::string end_text = FormatTimestamp(std::chrono::floor<std::chrono::seconds>(end));
  const std::string copy =
      "COPY (" +
      Fill(Fill(std::string(kRaw), "%START%", QuoteLiteral(tx, FormatTimestamp(start)) + "::timestamptz"), "%END%",
           QuoteLiteral(tx, FormatTimestamp(end)) + "::timestamptz") +
      ") TO STDOUT WITH (FORMAT text, ENCODING 'UTF8')";
  const auto write_row = format == ExportFormat::kCsv ? CsvRow : format == ExportFormat::kFocus ? FocusRow : JsonRow;
  // However long the file: the statement ends with the reader (a reader that stops reading
  // times out in the HTTP layer, and then the statement is cancelled).
  ExecRaw(tx, "SET LOCAL statement_timeout = 0");
  std::int64_t rows = 0;
  std::string out(format == ExportFormat::kCsv ? kCsvHeader : format == ExportFormat::kFocus ? kFocusHeader : "");
  RawRow raw;
  const bool complete = CopyOut(tx, copy, [&](std::string_view row) {  // handed on in pieces of ~64 KiB
    ++rows;
    if (!raw.Parse(row)) throw std::logic_error("an export row does not have the expected columns");
    write_row(out, raw, start_text, end_text);
    if (out.size() < 64 * 1024) return true;
    const bool more = sink(out);
    out.clear();
    return more;
  });
  if (complete && !out.empty()) sink(out);
  return rows;
}

}  // namespace gaon::storage
