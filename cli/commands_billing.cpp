// Billing, first part: prices (operators list and add them), a tenant's contracted discounts
// (operators set them), usage so far, and the live draft invoice. Amounts are the server's
// decimal strings, printed as they came; the only arithmetic here is the exact decimal sum of
// the usage table's TOTAL row.
#include <iostream>
#include <regex>
#include <set>

#include "cli/commands.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------- parsing

// An RFC 3339 time, or a date (YYYY-MM-DD) meaning its midnight UTC.
Timestamp ParseTime(const std::string& flag, const std::string& text) {
  static const std::regex kDate(R"(^\d{4}-\d{2}-\d{2}$)");
  auto t = ParseTimestamp(std::regex_match(text, kDate) ? text + "T00:00:00Z" : text);
  if (!t) UsageError(flag + ": '" + text + "' is not a time like 2026-11-01T00:00:00Z or a date like 2026-11-01");
  return *t;
}

// A decimal the server will accept the shape of ("12.5", "3900"); the server checks ranges.
bool IsDecimal(const std::string& s) {
  static const std::regex kDecimal(R"(^\d+(\.\d+)?$)");
  return std::regex_match(s, kDecimal);
}

// "2026-11": a month.
bool IsPeriod(const std::string& s) {
  static const std::regex kPeriod(R"(^\d{4}-(0[1-9]|1[0-2])$)");
  return std::regex_match(s, kPeriod);
}

// gpu-hour.* and endpoint-replica-hour.* are priced per GPU-hour, tokens-* per million tokens.
std::string UnitOfSku(const std::string& sku) {
  for (const char* p : {"gpu-hour.", "endpoint-replica-hour."}) {
    if (sku.rfind(p, 0) == 0) return "gpu-hour";
  }
  for (const char* p : {"tokens-input.", "tokens-output."}) {
    if (sku.rfind(p, 0) == 0) return "million-tokens";
  }
  return "";
}

// ---------------------------------------------------------------- exact decimals

// a + b for non-negative decimal strings, exactly; nullopt when either is not one.
std::optional<std::string> AddDecimals(const std::string& a, const std::string& b) {
  if (!IsDecimal(a) || !IsDecimal(b)) return std::nullopt;
  auto split = [](const std::string& s) {
    const auto dot = s.find('.');
    return std::make_pair(s.substr(0, dot), dot == std::string::npos ? std::string() : s.substr(dot + 1));
  };
  auto [ai, af] = split(a);
  auto [bi, bf] = split(b);
  const std::size_t frac = std::max(af.size(), bf.size()), whole = std::max(ai.size(), bi.size());
  af.resize(frac, '0');
  bf.resize(frac, '0');
  ai.insert(0, whole - ai.size(), '0');
  bi.insert(0, whole - bi.size(), '0');
  const std::string x = ai + af, y = bi + bf;
  std::string sum(x.size(), '0');
  int carry = 0;
  for (std::size_t i = x.size(); i-- > 0;) {
    const int d = (x[i] - '0') + (y[i] - '0') + carry;
    sum[i] = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  if (carry) sum.insert(0, "1");
  std::string out = sum.substr(0, sum.size() - frac);
  out.erase(0, std::min(out.find_first_not_of('0'), out.size() - 1));
  if (frac > 0) out += "." + sum.substr(sum.size() - frac);
  return out;
}

// "29.0000013888000000" → "29.0000013888", "32.000" → "32": the same number, for people.
std::string Trim(std::string s) {
  if (!IsDecimal(s) || s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// ---------------------------------------------------------------- tables

// Renders a table whose `numeric` columns are right-aligned (decimal amounts line up).
void PrintAligned(const std::vector<std::string>& headers, std::vector<std::vector<std::string>> rows,
                  const std::set<std::size_t>& numeric) {
  for (std::size_t c : numeric) {
    std::size_t w = headers[c].size();
    for (const auto& r : rows) w = std::max(w, r[c].size());
    for (auto& r : rows) r[c].insert(0, w - r[c].size(), ' ');
  }
  std::cout << RenderTable(headers, rows, 0);
}

// An object in the -o json or -o yaml form; false for the table formats and -o name.
bool PrintStructured(Context& ctx, const json::value& v) {
  if (ctx.output() != OutputFormat::kJson && ctx.output() != OutputFormat::kYaml) return false;
  PrintValue(ctx, v);
  return true;
}

const std::vector<Column> kPriceColumns = {
    {"SKU", "sku"},
    {"CURRENCY", "currency"},
    {"UNIT PRICE", "unit_price"},
    {"UNIT", "unit"},
    {"EFFECTIVE FROM", "effective_from"},
    {"DESCRIPTION", "description", CellKind::kText, true},
    {"CREATED", "created_at", CellKind::kAge, true},
};

void PrintDiscounts(Context& ctx, const Discounts& d) {
  if (PrintStructured(ctx, ToJson(d))) return;
  if (ctx.output() == OutputFormat::kName) {
    for (const auto& [sku, percent] : d.percent) std::cout << sku << "\n";
    return;
  }
  if (d.percent.empty()) {
    ctx.Note("No discounts: list prices apply.");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [sku, percent] : d.percent) rows.push_back({sku, percent + "%"});
  PrintAligned({"SKU", "PERCENT"}, std::move(rows), {1});
  if (d.percent.size() > 1 && d.percent.count("*")) ctx.Note("A SKU's own discount wins over '*'.");
}

void PrintUsage(Context& ctx, const UsageReport& u) {
  if (PrintStructured(ctx, ToJson(u))) return;
  const bool by_resource = u.group_by == "resource";
  if (ctx.output() == OutputFormat::kName) {
    std::set<std::string> seen;
    for (const auto& r : u.items) {
      const std::string key = by_resource ? r.resource_id.value_or("") : r.date.value_or("");
      if (seen.insert(key).second) std::cout << key << "\n";
    }
    return;
  }
  ctx.Note("Usage from " + FormatTimestamp(u.period_start) + " to " + FormatTimestamp(u.period_end) + " as of " +
           FormatTimestamp(u.as_of) + ", after discounts, not rounded.");
  if (u.items.empty()) {
    ctx.Note("No usage.");
    return;
  }
  const bool wide = ctx.output() == OutputFormat::kWide;
  std::vector<std::string> headers =
      by_resource ? std::vector<std::string>{"RESOURCE", "KIND", "SKU"} : std::vector<std::string>{"DATE", "SKU"};
  const std::size_t quantity = headers.size();
  headers.insert(headers.end(), {"QUANTITY", "UNIT", "AMOUNT " + u.currency});
  std::vector<std::vector<std::string>> rows;
  std::optional<std::string> total = "0";
  for (const auto& r : u.items) {
    std::vector<std::string> row =
        by_resource ? std::vector<std::string>{r.resource_id.value_or(""), r.resource_kind.value_or(""), r.sku}
                    : std::vector<std::string>{r.date.value_or(""), r.sku};
    row.insert(row.end(), {wide ? r.quantity : Trim(r.quantity), r.unit, wide ? r.amount : Trim(r.amount)});
    rows.push_back(std::move(row));
    if (total) total = AddDecimals(*total, r.amount);
  }
  if (total) {
    std::vector<std::string> row(headers.size());
    row[0] = "TOTAL";
    row.back() = wide ? *total : Trim(*total);
    rows.push_back(std::move(row));
  }
  PrintAligned(headers, std::move(rows), {quantity, headers.size() - 1});
}

void PrintInvoice(Context& ctx, const Invoice& inv) {
  if (PrintStructured(ctx, ToJson(inv))) return;
  const std::string period = FormatTimestamp(inv.period_start).substr(0, 7);
  if (ctx.output() == OutputFormat::kName) {
    std::cout << (inv.number ? *inv.number : period) << "\n";
    return;
  }
  const bool wide = ctx.output() == OutputFormat::kWide;
  std::cout << (inv.state == "draft" ? "Draft invoice" : "Invoice " + inv.number.value_or("")) << " of "
            << inv.tenant_id.str() << " for " << period << " (" << FormatTimestamp(inv.period_start) << " to "
            << FormatTimestamp(inv.period_end) << "), " << inv.currency << ", as of " << FormatTimestamp(inv.as_of)
            << "\n\n";
  if (inv.lines.empty()) {
    std::cout << "No charges.\n\n";
  } else {
    std::vector<std::string> headers = {"SKU", "QUANTITY", "UNIT", "UNIT PRICE", "DISCOUNT", "AMOUNT"};
    if (wide) headers.insert(headers.end(), {"LIST AMOUNT", "UNROUNDED", "FROM", "TO", "CLASS"});
    std::vector<std::vector<std::string>> rows;
    for (const auto& l : inv.lines) {
      std::vector<std::string> row = {l.sku,
                                      wide ? l.quantity : Trim(l.quantity),
                                      l.unit,
                                      l.unit_price,
                                      Trim(l.discount_percent) == "0" ? "" : Trim(l.discount_percent) + "%",
                                      l.amount};
      if (wide) {
        row.insert(row.end(), {l.list_amount, l.amount_unrounded, FormatTimestamp(l.charge_period_start),
                               FormatTimestamp(l.charge_period_end), l.charge_class.value_or("")});
      }
      rows.push_back(std::move(row));
    }
    std::set<std::size_t> numeric = {1, 3, 4, 5};
    if (wide) numeric.insert({6, 7});
    PrintAligned(headers, std::move(rows), numeric);
    std::cout << "\n";
  }
  // The sums, right-aligned under each other.
  std::vector<std::pair<std::string, std::string>> sums = {
      {"SUBTOTAL", inv.subtotal}, {"TAX " + Trim(inv.tax_percent) + "%", inv.tax}, {"TOTAL", inv.total}};
  if (inv.credits_applied != "0" && !inv.credits_applied.empty()) {
    sums.push_back({"CREDITS", inv.credits_applied});
    sums.push_back({"AMOUNT DUE", inv.amount_due});
  }
  std::size_t label = 0, amount = 0;
  for (const auto& [l, a] : sums) {
    label = std::max(label, l.size());
    amount = std::max(amount, a.size());
  }
  for (const auto& [l, a] : sums) {
    std::cout << l << std::string(label - l.size() + 3 + amount - a.size(), ' ') << a << " " << inv.currency << "\n";
  }
}

// ---------------------------------------------------------------- prices

void AddPrices(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "prices", "Prices per SKU and currency (operators); a price never changes, a new one is added",
                  "gaonctl prices list --sku gpu-hour.h100-80gb-sxm");

  struct List {
    std::string sku, currency;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List every price row, by SKU, currency and effective_from",
                       "gaonctl prices list --sku gpu-hour.h100-80gb-sxm --currency KRW");
  list->add_option("--sku", l->sku, "Only this SKU (gpu-hour.<gpu type>, tokens-input.<model>, …)");
  list->add_option("--currency", l->currency, "Only this currency (ISO 4217)");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    PriceFilter f{.sku = l->sku, .currency = l->currency};
    PrintList(ctx, Collect(ctx.client().ListPrices(f, ToListOptions(l->list)), l->list), kPriceColumns, "sku");
  });

  struct Create {
    std::string sku, currency, unit, unit_price, effective_from, description;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Add a price of a SKU from a future time (the past is never repriced)",
                         "gaonctl prices create gpu-hour.h100-80gb-sxm --currency KRW --unit-price 3900 "
                         "--effective-from 2027-01-01");
  create
      ->add_option("sku", c->sku,
                   "gpu-hour.<gpu type>, endpoint-replica-hour.<gpu type>, tokens-input.<model> or "
                   "tokens-output.<model>")
      ->required();
  create->add_option("--currency", c->currency, "ISO 4217 currency: KRW, USD, …")->required();
  create->add_option("--unit-price", c->unit_price, "Price per unit, a decimal: 3900, 2.79")->required();
  create->add_option("--effective-from", c->effective_from, "From when: an RFC 3339 time, or a date (midnight UTC)")
      ->required();
  create->add_option("--unit", c->unit, "gpu-hour or million-tokens (default: the SKU's)");
  create->add_option("--description", c->description, "Shown next to the price");
  create->add_flag("--dry-run", c->dry_run, "Show the request without sending it");
  create->callback([&ctx, c] {
    if (!IsDecimal(c->unit_price))
      UsageError("--unit-price: '" + c->unit_price + "' is not a decimal like 3900 or 2.79");
    Price p{.sku = c->sku,
            .currency = c->currency,
            .unit = c->unit.empty() ? UnitOfSku(c->sku) : c->unit,
            .unit_price = c->unit_price,
            .effective_from = ParseTime("--effective-from", c->effective_from),
            .description = c->description};
    if (p.unit.empty()) UsageError("'" + c->sku + "' is not a SKU gaonctl knows the unit of: give --unit");
    if (ctx.DryRun(c->dry_run, "POST", "/v1/admin/prices", RequestJson(p))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreatePrice(p))), kPriceColumns, "sku");
  });
}

// ---------------------------------------------------------------- discounts

void AddDiscounts(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "discounts", "A tenant's contracted discounts: a percentage per SKU, or '*' for every SKU",
                  "gaonctl discounts get --tenant ten_01j9z3k6x2");
  Command(g, "get", "Show the tenant's discounts (tenant-admin, billing-viewer)",
          "gaonctl discounts get --tenant ten_01j9z3k6x2 -o json")
      ->callback([&ctx] { PrintDiscounts(ctx, Must(ctx.client().GetDiscounts(ctx.tenant()))); });

  struct Set {
    std::vector<std::string> discounts;
    bool clear = false, dry_run = false;
  };
  auto s = std::make_shared<Set>();
  auto* set = Command(g, "set", "Replace the tenant's discounts (operators); a SKU's own discount wins over '*'",
                      "gaonctl discounts set --discount '*=10' --discount gpu-hour.h100-80gb-sxm=25 --tenant "
                      "ten_01j9z3k6x2");
  set->add_option("--discount", s->discounts, "SKU=PERCENT, or *=PERCENT for every SKU (repeatable)");
  set->add_flag("--clear", s->clear, "Remove every discount");
  set->add_flag("--dry-run", s->dry_run, "Show the request without sending it");
  set->callback([&ctx, s] {
    if (s->clear == !s->discounts.empty()) UsageError("give --discount SKU=PERCENT (repeatable), or --clear alone");
    Discounts d;
    for (const auto& kv : s->discounts) {
      const auto eq = kv.rfind('=');
      std::string sku = eq == std::string::npos ? "" : kv.substr(0, eq);
      std::string percent = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if (!percent.empty() && percent.back() == '%') percent.pop_back();
      if (sku.empty() || !IsDecimal(percent)) UsageError("--discount: '" + kv + "' is not SKU=PERCENT (e.g. '*=10')");
      if (!d.percent.emplace(sku, percent).second) UsageError("--discount: " + sku + " is given twice");
    }
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(s->dry_run, "PUT", "/v1/admin/tenants/" + tid.str() + "/discounts", RequestJson(d))) return;
    PrintDiscounts(ctx, Must(ctx.client().SetDiscounts(tid, d)));
  });
}

// ---------------------------------------------------------------- usage, invoices

void AddUsage(CLI::App& app, Context& ctx) {
  struct Usage {
    std::string from, to, group_by = "day";
  };
  auto u = std::make_shared<Usage>();
  auto* usage =
      Command(&app, "usage", "Usage and charges so far, after discounts and unrounded (tenant-admin, billing-viewer)",
              "gaonctl usage --from 2026-11-01 --to 2026-11-15 --group-by resource");
  usage->add_option("--from", u->from, "Start, an RFC 3339 time or a date (default: the current UTC month's start)");
  usage->add_option("--to", u->to, "End, exclusive (default: the current UTC month's end); at most 366 days");
  usage->add_option("--group-by", u->group_by, "day (UTC day and SKU) or resource (resource and SKU)")
      ->check(CLI::IsMember({"day", "resource"}))
      ->capture_default_str();
  usage->callback([&ctx, u] {
    UsageQuery q{.group_by = u->group_by};
    if (!u->from.empty()) q.from = ParseTime("--from", u->from);
    if (!u->to.empty()) q.to = ParseTime("--to", u->to);
    if (q.from && q.to && *q.to <= *q.from) UsageError("--to must be after --from");
    PrintUsage(ctx, Must(ctx.client().GetUsage(ctx.tenant(), q)));
  });
}

void AddInvoices(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "invoices", "A tenant's invoices", "gaonctl invoices draft --period 2026-11");
  auto period = std::make_shared<std::string>();
  auto* draft = Command(g, "draft",
                        "The live draft invoice of a month, as if it closed now: lines, subtotal, tax and total "
                        "(tenant-admin, billing-viewer)",
                        "gaonctl invoices draft --period 2026-11 --tenant ten_01j9z3k6x2");
  draft->add_option("--period", *period, "The UTC calendar month, YYYY-MM (default: the current one)");
  draft->callback([&ctx, period] {
    if (!period->empty() && !IsPeriod(*period)) UsageError("--period: '" + *period + "' is not a month like 2026-11");
    std::optional<std::string> p;
    if (!period->empty()) p = *period;
    PrintInvoice(ctx, Must(ctx.client().GetDraftInvoice(ctx.tenant(), p)));
  });
}

}  // namespace

void AddBillingCommands(CLI::App& app, Context& ctx) {
  AddPrices(app, ctx);
  AddDiscounts(app, ctx);
  AddUsage(app, ctx);
  AddInvoices(app, ctx);
}

}  // namespace gaon::cli
