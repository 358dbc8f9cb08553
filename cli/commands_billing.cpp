// Billing: prices (operators list and add them), a tenant's contracted discounts (operators
// set them), usage so far, invoices (the live draft; issued ones listed and shown; operators
// finalize, pay and void them), usage events sent by meters, credit grants and the balance, and
// a tenant's billing mode, exports (streamed to a file that appears only once complete) and
// budgets. Amounts are the server's decimal strings, printed as they came; the only arithmetic
// here is the exact decimal sum of the usage table's TOTAL row.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

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

// --period: empty for the server's default, else a month like 2026-11.
std::optional<std::string> PeriodArg(const std::string& period) {
  if (period.empty()) return std::nullopt;
  if (!IsPeriod(period)) UsageError("--period: '" + period + "' is not a month like 2026-11");
  return period;
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

// Issued invoices, newest first (a list has no lines).
const std::vector<Column> kInvoiceColumns = {
    {"ID", "id"},
    {"NUMBER", "number"},
    {"PERIOD", "period_start", CellKind::kText, false,
     [](const json::value& v) { return At(v, "period_start").substr(0, 7); }},
    {"STATE", "state", CellKind::kState},
    {"TOTAL", "total"},
    {"CREDITS", "credits_applied"},
    {"DUE", "amount_due"},
    {"CURRENCY", "currency"},
    {"SUBTOTAL", "subtotal", CellKind::kText, true},
    {"TAX", "tax", CellKind::kText, true},
    {"REPLACES", "replaces_invoice_id", CellKind::kText, true},
    {"VOID REASON", "void_reason", CellKind::kText, true},
    {"FINALIZED", "finalized_at", CellKind::kAge},
};

const std::vector<Column> kGrantColumns = {
    {"ID", "id"},
    {"KIND", "kind"},
    {"AMOUNT", "amount"},
    {"REMAINING", "remaining"},
    {"CURRENCY", "currency"},
    {"EXPIRES", "expires_at"},
    {"DESCRIPTION", "description", CellKind::kText, true},
    {"AGE", "created_at", CellKind::kAge},
};

const std::vector<Column> kIngestColumns = {{"ACCEPTED", "accepted"}, {"DUPLICATES", "duplicates"}};

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

// "finalized 2026-11-28T10:00:00Z", "paid …", "void … (billing address changed)".
std::string InvoiceState(const Invoice& inv) {
  auto at = [](const std::optional<Timestamp>& t) { return t ? " " + FormatTimestamp(*t) : std::string(); };
  if (inv.state == "void") return "void" + at(inv.voided_at) + " (" + inv.void_reason.value_or("") + ")";
  if (inv.state == "paid") return "paid" + at(inv.paid_at);
  return inv.state + at(inv.finalized_at);
}

// Labelled amounts in `currency`, right-aligned under each other: "TOTAL   204189 KRW".
void PrintSums(const std::vector<std::pair<std::string, std::string>>& sums, const std::string& currency) {
  std::size_t label = 0, amount = 0;
  for (const auto& [l, a] : sums) {
    label = std::max(label, l.size());
    amount = std::max(amount, a.size());
  }
  for (const auto& [l, a] : sums) {
    std::cout << l << std::string(label - l.size() + 3 + amount - a.size(), ' ') << a << " " << currency << "\n";
  }
}

void PrintInvoice(Context& ctx, const Invoice& inv) {
  if (PrintStructured(ctx, ToJson(inv))) return;
  const std::string period = FormatTimestamp(inv.period_start).substr(0, 7);
  if (ctx.output() == OutputFormat::kName) {
    std::cout << (inv.id ? inv.id->str() : period) << "\n";  // the id the other verbs take
    return;
  }
  const bool wide = ctx.output() == OutputFormat::kWide;
  std::cout << (inv.state == "draft" ? "Draft invoice" : "Invoice " + inv.number.value_or("")) << " of "
            << inv.tenant_id.str() << " for " << period << " (" << FormatTimestamp(inv.period_start) << " to "
            << FormatTimestamp(inv.period_end) << "), " << inv.currency << ", as of " << FormatTimestamp(inv.as_of)
            << "\n";
  if (inv.id) std::cout << "Id: " << inv.id->str() << "\nState: " << InvoiceState(inv) << "\n";
  if (inv.replaces_invoice_id) std::cout << "Replaces: " << inv.replaces_invoice_id->str() << "\n";
  std::cout << "\n";
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
  PrintSums(sums, inv.currency);
}

void PrintCredits(Context& ctx, const TenantId& tenant, const CreditSummary& c) {
  if (PrintStructured(ctx, ToJson(c))) return;
  if (ctx.output() == OutputFormat::kName) {
    for (const auto& g : c.grants) std::cout << (g.id ? g.id->str() : "") << "\n";
    return;
  }
  std::cout << "Credits of " << tenant.str() << ", billing mode " << c.billing_mode << "\n\n";
  if (c.grants.empty()) {
    std::cout << "No credit grants.\n\n";
  } else {
    PrintList(ctx, ToJsonAll(c.grants), kGrantColumns);
    std::cout << "\n";
  }
  PrintSums({{"BALANCE", c.balance}, {"MONTH TO DATE", c.month_to_date}}, c.currency);
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
  AddDryRunFlag(create, c->dry_run);
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
  AddDryRunFlag(set, s->dry_run);
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
  auto* g = Group(app, "invoices",
                  "A tenant's invoices: the live draft, issued ones, and (operators) finalize, pay and void",
                  "gaonctl invoices list --tenant ten_01j9z3k6x2");
  auto period = std::make_shared<std::string>();
  auto* draft = Command(g, "draft",
                        "The live draft invoice of a month, as if it closed now: lines, subtotal, tax and total "
                        "(tenant-admin, billing-viewer)",
                        "gaonctl invoices draft --period 2026-11 --tenant ten_01j9z3k6x2");
  draft->add_option("--period", *period, "The UTC calendar month, YYYY-MM (default: the current one)");
  draft->callback([&ctx, period] {
    PrintInvoice(ctx, Must(ctx.client().GetDraftInvoice(ctx.tenant(), PeriodArg(*period))));
  });

  auto l = std::make_shared<ListFlags>();
  auto* list = Command(g, "list", "List the tenant's issued invoices, newest first (tenant-admin, billing-viewer)",
                       "gaonctl invoices list --tenant ten_01j9z3k6x2 -o wide");
  AddListFlags(list, *l);
  list->callback([&ctx, l] {
    PrintList(ctx, Collect(ctx.client().ListInvoices(ctx.tenant(), ToListOptions(*l)), *l), kInvoiceColumns);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show an issued invoice: its lines, subtotal, tax, total, credits and amount due",
                      "gaonctl invoices get inv_01j9z3k6x2 --tenant ten_01j9z3k6x2");
  get->add_option("invoice", *id, "Invoice id (inv_…)")->required();
  get->callback([&ctx, id] {
    PrintInvoice(ctx, Must(ctx.client().GetInvoice(ctx.tenant(), ParseId<InvoiceId>(*id, "invoice"))));
  });

  struct Finalize {
    std::string period;
    bool dry_run = false;
  };
  auto f = std::make_shared<Finalize>();
  auto* finalize = Command(g, "finalize",
                           "Close an ended month into an immutable, numbered invoice (operators); a month already "
                           "invoiced gives its invoice",
                           "gaonctl invoices finalize --period 2026-10 --tenant ten_01j9z3k6x2");
  finalize->add_option("--period", f->period, "The UTC calendar month, YYYY-MM (default: the last one)");
  AddDryRunFlag(finalize, f->dry_run);
  finalize->callback([&ctx, f] {
    const auto p = PeriodArg(f->period);
    const TenantId tid = ctx.tenant();
    const FinalizeRequest req{.period = p.value_or("")};
    if (ctx.DryRun(f->dry_run, "POST", "/v1/admin/tenants/" + tid.str() + "/invoices:finalize", RequestJson(req))) {
      return;
    }
    PrintInvoice(ctx, Must(ctx.client().FinalizeInvoice(tid, p)));
  });

  auto pay_args = std::make_shared<IdArgs>();
  auto* pay = Command(g, "pay", "Record an invoice as paid (operators); a void invoice cannot be paid",
                      "gaonctl invoices pay inv_01j9z3k6x2 --tenant ten_01j9z3k6x2");
  pay->add_option("invoice", pay_args->id, "Invoice id (inv_…)")->required();
  AddDryRunFlag(pay, pay_args->dry_run);
  pay->callback([&ctx, pay_args] {
    const InvoiceId iid = ParseId<InvoiceId>(pay_args->id, "invoice");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(pay_args->dry_run, "POST", "/v1/admin/tenants/" + tid.str() + "/invoices/" + iid.str() + ":pay",
                   nullptr)) {
      return;
    }
    PrintOne(ctx, ToJson(Must(ctx.client().PayInvoice(tid, iid))), kInvoiceColumns);
  });

  struct Void {
    std::string id, reason;
    bool reissue = false, dry_run = false;
  };
  auto v = std::make_shared<Void>();
  auto* void_cmd = Command(g, "void",
                           "Void an invoice (operators): it stays as it was, its credit comes back; --reissue "
                           "finalizes the month again into a new invoice",
                           "gaonctl invoices void inv_01j9z3k6x2 --reason 'billing address changed' --reissue --yes");
  void_cmd->add_option("invoice", v->id, "Invoice id (inv_…)")->required();
  void_cmd->add_option("--reason", v->reason, "Why, 1–500 characters (kept on the invoice and in the audit log)")
      ->required();
  void_cmd->add_flag("--reissue", v->reissue, "Issue a new invoice of the same month that replaces this one");
  AddDryRunFlag(void_cmd, v->dry_run);
  void_cmd->callback([&ctx, v] {
    const InvoiceId iid = ParseId<InvoiceId>(v->id, "invoice");
    if (v->reason.empty()) UsageError("--reason must not be empty");
    const TenantId tid = ctx.tenant();
    const VoidRequest req{.reason = v->reason, .reissue = v->reissue};
    const std::string path = "/v1/admin/tenants/" + tid.str() + "/invoices/" + iid.str() + ":void";
    if (ctx.DryRun(v->dry_run, "POST", path, RequestJson(req))) return;
    ctx.Confirm("Void invoice " + iid.str() + " of " + tid.str() + (v->reissue ? " and re-issue it?" : "?"));
    const Invoice out = Must(ctx.client().VoidInvoice(tid, iid, req));
    if (v->reissue) ctx.Note(iid.str() + " is void; re-issued as " + out.number.value_or("") + ":");
    PrintOne(ctx, ToJson(out), kInvoiceColumns);
  });
}

// ---------------------------------------------------------------- usage events

constexpr std::size_t kEventsPerRequest = 1000;  // the server's limit per batch

// One event of a file; `where` names it in errors ("events.jsonl:3", "batch.json: events[2]").
// An event without tenant_id is the --tenant's.
UsageEventInput ReadEvent(json::value v, const std::string& where, const std::function<TenantId()>& tenant) {
  if (!v.is_object()) UsageError(where + ": an event is a JSON object");
  if (!v.as_object().contains("tenant_id")) v.as_object()["tenant_id"] = tenant().str();
  auto e = FromJson<UsageEventInput>(v, ReadMode::kStrict);
  if (!e.ok()) {
    std::string why;
    for (const auto& f : e.status().violations()) why += "; " + f.message;  // the message names the field
    UsageError(where + ": not a usage event" + why);
  }
  return std::move(e).value();
}

// A file of events: one JSON document — a batch {"source", "events": [...]}, an array of events
// or one event — or JSON Lines, one event a line. The batch's source, if it has one, and the
// events in order.
UsageEventBatch ReadEventFile(const std::string& path, const std::function<TenantId()>& tenant) {
  const std::string text = ReadFileArg(path);
  const std::string name = path == "-" ? "stdin" : path;
  UsageEventBatch out;
  if (auto whole = ParseJson(text); whole.ok()) {
    json::value doc = std::move(whole).value();  // held: Boost.JSON views must not outlive it
    json::array events;
    bool one = false;
    if (doc.is_object() && doc.as_object().contains("events")) {
      json::object& batch = doc.as_object();
      if (const auto* src = batch.if_contains("source"); src && src->is_string()) out.source = src->as_string();
      if (!batch["events"].is_array()) UsageError(name + ": \"events\" must be an array");
      events = std::move(batch["events"].as_array());
    } else if (doc.is_array()) {
      events = std::move(doc.as_array());
    } else {
      events.push_back(std::move(doc));
      one = true;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      const std::string where = one ? name : name + ": events[" + std::to_string(i) + "]";
      out.events.push_back(ReadEvent(std::move(events[i]), where, tenant));
    }
    return out;
  }
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto v = ParseJson(line);
    const std::string where = name + ":" + std::to_string(n);
    if (!v.ok()) UsageError(where + ": not JSON (give one JSON document, or JSON Lines: one event a line)");
    out.events.push_back(ReadEvent(std::move(v).value(), where, tenant));
  }
  return out;
}

// Sends `all` in requests of at most kEventsPerRequest events, in order, and adds up what the
// server says. A failure ends the command; the requests before it stay written, and sending
// the same events again is safe (they count as duplicates).
UsageEventResult SendEvents(Context& ctx, const UsageEventBatch& all) {
  UsageEventResult sum;
  for (std::size_t from = 0; from < all.events.size(); from += kEventsPerRequest) {
    UsageEventBatch part{.source = all.source};
    const auto first = all.events.begin() + static_cast<std::ptrdiff_t>(from);
    part.events.assign(first, first + static_cast<std::ptrdiff_t>(std::min(kEventsPerRequest, all.events.size() - from)));
    auto r = ctx.client().IngestUsageEvents(part);
    if (!r.ok()) {
      if (from > 0) {
        ctx.Note("the first " + std::to_string(from) +
                 " events were written; sending the same events again is safe (they count as duplicates)");
      }
      Fail(r.status());
    }
    sum.accepted += r->accepted;
    sum.duplicates += r->duplicates;
  }
  return sum;
}

void AddUsageEvents(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "usage-events", "Counted usage from meters (operators): tokens, requests, …",
                  "gaonctl usage-events send --source gateway-kr1a --file events.jsonl");
  struct Send {
    std::string file, source, event_id, meter, quantity, time, resource_kind, resource_id;
    std::vector<std::string> attributes;
    bool dry_run = false;
  };
  auto s = std::make_shared<Send>();
  auto* send = Command(g, "send",
                       "Record usage events, deduplicated by (tenant, source, event id): resending is safe; an id "
                       "reused with another payload fails its batch",
                       "gaonctl usage-events send --source gateway-kr1a --event-id chatcmpl-x1/input --meter "
                       "tokens-input --quantity 812 --attribute model=qwen2.5-7b-instruct --tenant ten_01j9z3k6x2");
  send->add_option("-f,--file", s->file,
                   "Events: a JSON batch {\"source\", \"events\"}, a JSON array, or JSON Lines (one event a line); "
                   "'-' reads stdin. An event without tenant_id is the --tenant's");
  send->add_option("--source", s->source, "The meter sending them (default: the file's \"source\")");
  send->add_option("--event-id", s->event_id, "One event from flags: its id, unique per source and tenant");
  send->add_option("--meter", s->meter, "Its meter: tokens-input, tokens-output, …");
  send->add_option("--quantity", s->quantity, "Its quantity, a decimal: 812, 0.5");
  send->add_option("--time", s->time, "When it happened, an RFC 3339 time (default: now)");
  send->add_option("--resource-kind", s->resource_kind, "What it is about: endpoint, instance, …");
  send->add_option("--resource-id", s->resource_id, "Its id");
  send->add_option("--attribute", s->attributes, "k=v, e.g. model=qwen2.5-7b-instruct (repeatable)");
  AddDryRunFlag(send, s->dry_run);
  send->callback([&ctx, s] {
    auto tenant = [&ctx] { return ctx.tenant(); };
    UsageEventBatch batch;
    if (!s->file.empty()) batch = ReadEventFile(s->file, tenant);
    if (!s->source.empty()) batch.source = s->source;
    if (!s->event_id.empty()) {
      if (s->meter.empty() || s->quantity.empty()) UsageError("--event-id needs --meter and --quantity");
      if (!IsDecimal(s->quantity)) UsageError("--quantity: '" + s->quantity + "' is not a decimal like 812 or 0.5");
      UsageEventInput e{.tenant_id = tenant(), .event_id = s->event_id, .meter = s->meter, .quantity = s->quantity,
                        .time = s->time.empty() ? Now() : ParseTime("--time", s->time)};
      if (!s->resource_kind.empty()) e.resource_kind = s->resource_kind;
      if (!s->resource_id.empty()) e.resource_id = s->resource_id;
      e.attributes = ParseLabels(s->attributes);
      batch.events.push_back(std::move(e));
    } else if (!s->meter.empty() || !s->quantity.empty() || !s->time.empty() || !s->attributes.empty() ||
               !s->resource_kind.empty() || !s->resource_id.empty()) {
      UsageError("--meter, --quantity, --time, --resource-kind, --resource-id and --attribute describe one event: "
                 "give --event-id too");
    }
    if (batch.events.empty()) UsageError("no events: give --file F, or --event-id, --meter and --quantity");
    if (batch.source.empty()) UsageError("--source is required (the file has no \"source\")");
    if (ctx.DryRun(s->dry_run, "POST", "/v1/usage-events", RequestJson(batch))) {
      const std::size_t requests = (batch.events.size() + kEventsPerRequest - 1) / kEventsPerRequest;
      if (requests > 1) ctx.Note("in " + std::to_string(requests) + " requests of at most 1000 events");
      return;
    }
    const UsageEventResult r = SendEvents(ctx, batch);
    if (ctx.output() == OutputFormat::kName) {
      for (const auto& e : batch.events) std::cout << e.event_id << "\n";
      return;
    }
    PrintOne(ctx, ToJson(r), kIngestColumns, "accepted");
  });
}

// ---------------------------------------------------------------- credits, billing mode

void AddCredits(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "credits", "A tenant's prepaid and promotional credit, burnt at invoicing",
                  "gaonctl credits get --tenant ten_01j9z3k6x2");
  Command(g, "get", "The tenant's billing mode, balance, month so far and grants (tenant-admin, billing-viewer)",
          "gaonctl credits get --tenant ten_01j9z3k6x2 -o yaml")
      ->callback([&ctx] {
        const TenantId tid = ctx.tenant();
        PrintCredits(ctx, tid, Must(ctx.client().GetCredits(tid)));
      });

  struct Grant {
    std::string kind, amount, expires_at, description;
    bool dry_run = false;
  };
  auto gr = std::make_shared<Grant>();
  auto* grant = Command(g, "grant", "Grant credit in the tenant's billing currency (operators)",
                        "gaonctl credits grant --kind promotional --amount 100000 --expires-at 2027-06-30 "
                        "--description 'launch offer' --tenant ten_01j9z3k6x2");
  grant->add_option("--kind", gr->kind, "prepaid (bought) or promotional (burnt first, never refunded)")
      ->required()
      ->check(CLI::IsMember({"prepaid", "promotional"}));
  grant->add_option("--amount", gr->amount, "A positive decimal, at most the currency's minor units: 100000, 250.50")
      ->required();
  grant->add_option("--expires-at", gr->expires_at, "When it expires: an RFC 3339 time, or a date (midnight UTC)");
  grant->add_option("--description", gr->description, "Shown with the grant");
  AddDryRunFlag(grant, gr->dry_run);
  grant->callback([&ctx, gr] {
    if (!IsDecimal(gr->amount)) UsageError("--amount: '" + gr->amount + "' is not a decimal like 100000 or 250.50");
    CreditGrant req{.kind = gr->kind, .amount = gr->amount, .description = gr->description};
    if (!gr->expires_at.empty()) req.expires_at = ParseTime("--expires-at", gr->expires_at);
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(gr->dry_run, "POST", "/v1/admin/tenants/" + tid.str() + "/credits", RequestJson(req))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().GrantCredit(tid, req))), kGrantColumns);
  });
}

// `tenants billing-mode`: joins the tenants group AddTenancyCommands made.
void AddBillingMode(CLI::App& app, Context& ctx) {
  struct Mode {
    std::string tenant, mode;
    bool dry_run = false;
  };
  auto m = std::make_shared<Mode>();
  auto* cmd = Command(app.get_subcommand("tenants"), "billing-mode",
                      "Make a tenant prepaid or postpaid (operators); a prepaid tenant whose credit does not cover "
                      "its month so far cannot launch anything new",
                      "gaonctl tenants billing-mode ten_01j9z3k6x2 prepaid");
  cmd->add_option("tenant", m->tenant, "Tenant id")->required();
  cmd->add_option("mode", m->mode, "prepaid or postpaid")->required()->check(CLI::IsMember({"prepaid", "postpaid"}));
  AddDryRunFlag(cmd, m->dry_run);
  cmd->callback([&ctx, m] {
    const TenantId tid = ParseId<TenantId>(m->tenant, "tenant");
    const BillingMode req{.mode = m->mode};
    if (ctx.DryRun(m->dry_run, "PUT", "/v1/admin/tenants/" + tid.str() + "/billing-mode", RequestJson(req))) return;
    // The answer is the mode alone; the table names the tenant too.
    const std::vector<Column> columns = {
        {"TENANT", "", CellKind::kText, false, [tid](const json::value&) { return tid.str(); }},
        {"BILLING MODE", "mode"}};
    PrintOne(ctx, ToJson(Must(ctx.client().SetBillingMode(tid, m->mode))), columns, "mode");
  });
}

// ---------------------------------------------------------------- exports

// The temporary file an export is being written to, removed if gaonctl is interrupted (a
// signal handler may only unlink a path it already holds).
char g_partial_export[4096];

void RemovePartialExport(int sig) {
  if (g_partial_export[0] != '\0') ::unlink(g_partial_export);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Writes an export to `path` + ".tmp" and renames it to `path` once the server has sent all of
// it, so `path` is either the whole file or not there; a failure removes the temporary file.
class ExportFile {
 public:
  explicit ExportFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
    if (tmp_.size() >= sizeof g_partial_export) UsageError("--file: the path is too long");
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) UsageError("cannot write " + tmp_ + ": " + std::strerror(errno));
    std::strcpy(g_partial_export, tmp_.c_str());
    std::signal(SIGINT, RemovePartialExport);
    std::signal(SIGTERM, RemovePartialExport);
  }
  ~ExportFile() { Discard(); }
  ExportFile(const ExportFile&) = delete;
  ExportFile& operator=(const ExportFile&) = delete;

  bool Write(std::string_view piece) {
    if (std::fwrite(piece.data(), 1, piece.size(), f_) == piece.size()) return true;
    error_ = std::strerror(errno);
    return false;
  }
  // Why the last Write failed ("" when none did).
  const std::string& error() const { return error_; }

  // Flushes the file to disk and renames it into place; the error when that fails.
  Status Commit() {
    const bool flushed = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!flushed || !closed || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const Status s = InvalidArgument("cannot write " + path_ + ": " + std::strerror(errno), "io_error");
      Discard();
      return s;
    }
    g_partial_export[0] = '\0';
    return Status::Ok();
  }

 private:
  void Discard() {
    if (f_) std::fclose(f_);
    f_ = nullptr;
    if (g_partial_export[0] != '\0') std::remove(tmp_.c_str());
    g_partial_export[0] = '\0';
  }
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  std::string error_;
};

// The file name gaonctl saves an export under when no --file is given: the one the server
// names it ("gaon-ten_…-2026-10-focus.csv"), known before the first byte is written.
std::string DefaultExportName(const ExportQuery& q, const std::string& who) {
  const std::string period = q.period.empty() ? FormatTimestamp(Now()).substr(0, 7) : q.period;
  return "gaon-" + who + "-" + period + "-" + q.format + (q.format == "jsonl" ? ".jsonl" : ".csv") +
         (q.gzip ? ".gz" : "");
}

void AddBillingExport(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "billing", "Billing exports for finance systems: CSV, JSON Lines and FOCUS 1.2",
                  "gaonctl billing export --period 2026-10 --format focus -f october.csv");
  struct Export {
    std::string period, format = "csv", file;
    bool gzip = false, all_tenants = false;
  };
  auto e = std::make_shared<Export>();
  auto* cmd = Command(g, "export",
                      "Download a month's charges, one row per charge (tenant-admin, billing-viewer; operators for "
                      "--all-tenants); the file appears only once complete, and a broken transfer fails",
                      "gaonctl billing export --period 2026-10 --format focus --gzip -f october-focus.csv.gz\n"
                      "  gaonctl billing export --period 2026-10 --format jsonl --all-tenants -f - | "
                      "gzip > all.jsonl.gz");
  cmd->add_option("--period", e->period, "The UTC calendar month, YYYY-MM (default: the current one)");
  cmd->add_option("--format", e->format, "csv (Gaon's columns), jsonl (JSON Lines) or focus (FOCUS 1.2 as CSV)")
      ->check(CLI::IsMember({"csv", "jsonl", "focus"}))
      ->capture_default_str();
  cmd->add_flag("--gzip", e->gzip, "Gzip-compressed by the server");
  cmd->add_flag("--all-tenants", e->all_tenants, "Every tenant's charges, ordered by tenant (operators)");
  cmd->add_option("-f,--file", e->file,
                  "Where to write it ('-' for stdout; default: the server's file name in the current directory)");
  cmd->callback([&ctx, e] {
    const ExportQuery q{.period = PeriodArg(e->period).value_or(""), .format = e->format, .gzip = e->gzip};
    auto run = [&ctx, &e, &q](const ExportSink& sink) {
      return e->all_tenants ? ctx.client().ExportBillingAllTenants(q, sink)
                            : ctx.client().ExportBilling(ctx.tenant(), q, sink);
    };
    if (e->file == "-") {
      const auto r = run([](std::string_view piece) {
        return static_cast<bool>(std::cout.write(piece.data(), static_cast<std::streamsize>(piece.size())));
      });
      std::cout.flush();
      Must(r.status());
      return;
    }
    const std::string path =
        e->file.empty() ? DefaultExportName(q, e->all_tenants ? "all" : ctx.tenant().str()) : e->file;
    ExportFile out(path);
    const auto r = run([&out](std::string_view piece) { return out.Write(piece); });
    if (!r.ok() && !out.error().empty()) Fail(InvalidArgument("cannot write " + path + ": " + out.error(), "io_error"));
    Must(r.status());
    Must(out.Commit());
    if (ctx.output() == OutputFormat::kName) std::cout << path << "\n";
    ctx.Note("Wrote " + path + " (" + std::to_string(r->bytes) + " bytes, " + r->content_type + ")");
  });
}

// ---------------------------------------------------------------- budgets

// "50,80,100" → {50, 80, 100}; the server checks the range and order.
std::vector<int> ParseThresholds(const std::string& text) {
  static const std::regex kList(R"(^\d{1,4}(,\d{1,4})*$)");
  if (!std::regex_match(text, kList)) {
    UsageError("--thresholds: '" + text + "' is not a list of percentages like 50,80,100");
  }
  std::vector<int> out;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) out.push_back(std::stoi(part));
  return out;
}

std::string Percents(const json::value& v, const char* path) {
  std::string out;
  if (const auto* a = v.as_object().if_contains(path); a && a->is_array()) {
    for (const auto& x : a->as_array()) {
      const auto& t = x.is_object() ? x.as_object().at("threshold") : x;
      out += (out.empty() ? "" : ",") + json::serialize(t) + "%";
    }
  }
  return out;
}

const std::vector<Column> kBudgetColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"AMOUNT", "amount"},
    {"SPEND", "spend"},
    {"USED", "percent_used", CellKind::kText, false,
     [](const json::value& v) { return At(v, "percent_used").empty() ? "" : At(v, "percent_used") + "%"; }},
    {"CURRENCY", "currency"},
    {"THRESHOLDS", "thresholds", CellKind::kText, false,
     [](const json::value& v) { return Percents(v, "thresholds"); }},
    {"ALERTS", "alerts", CellKind::kText, false, [](const json::value& v) { return Percents(v, "alerts"); }},
    {"UPDATED", "updated_at", CellKind::kAge, true},
    {"AGE", "created_at", CellKind::kAge},
};

// A budget, and in the table formats the alerts it fired this month below it.
void PrintBudget(Context& ctx, const Budget& b) {
  PrintOne(ctx, ToJson(b), kBudgetColumns);
  if (ctx.output() != OutputFormat::kTable && ctx.output() != OutputFormat::kWide) return;
  if (b.alerts.empty()) {
    ctx.Note("No alerts this month.");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : b.alerts) {
    rows.push_back({std::to_string(a.threshold) + "%", a.spend, a.amount, FormatTimestamp(a.fired_at)});
  }
  std::cout << "\nAlerts this month:\n";
  PrintAligned({"THRESHOLD", "SPEND", "AMOUNT", "FIRED"}, std::move(rows), {0, 1, 2});
}

void AddBudgets(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "budgets",
                  "Monthly budgets: alerts on the change feed and in the audit log as the month's cost crosses "
                  "each threshold",
                  "gaonctl budgets create monthly --amount 10000000 --thresholds 50,80,100");
  struct Spec {
    std::string id, name, amount, thresholds;
    bool dry_run = false;
  };
  auto c = std::make_shared<Spec>();
  auto* create = Command(g, "create", "Create a monthly budget in the tenant's billing currency (tenant-admin)",
                         "gaonctl budgets create monthly --amount 10000000 --thresholds 50,80,100 --tenant "
                         "ten_01j9z3k6x2");
  create->add_option("name", c->name, "Budget name, unique in the tenant")->required();
  create->add_option("--amount", c->amount, "Per month, a decimal in the billing currency: 10000000, 2500.50")
      ->required();
  create->add_option("--thresholds", c->thresholds, "Percentages that alert, ascending (default: 50,80,100)");
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    if (!IsDecimal(c->amount)) UsageError("--amount: '" + c->amount + "' is not a decimal like 10000000 or 2500.50");
    Budget req{.name = c->name, .amount = c->amount};
    if (!c->thresholds.empty()) req.thresholds = ParseThresholds(c->thresholds);
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(c->dry_run, "POST", "/v1/tenants/" + tid.str() + "/budgets", RequestJson(req))) return;
    PrintBudget(ctx, Must(ctx.client().CreateBudget(tid, req)));
  });

  auto l = std::make_shared<ListFlags>();
  auto* list = Command(g, "list", "List the tenant's budgets with the month's spend, percent used and alerts",
                       "gaonctl budgets list --tenant ten_01j9z3k6x2");
  AddListFlags(list, *l);
  list->callback([&ctx, l] {
    PrintList(ctx, Collect(ctx.client().ListBudgets(ctx.tenant(), ToListOptions(*l)), *l), kBudgetColumns);
  });

  auto get_id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a budget and the alerts it fired this month",
                      "gaonctl budgets get bud_01j9z3k6x2 --tenant ten_01j9z3k6x2");
  get->add_option("budget", *get_id, "Budget id (bud_…)")->required();
  get->callback([&ctx, get_id] {
    PrintBudget(ctx, Must(ctx.client().GetBudget(ctx.tenant(), ParseId<BudgetId>(*get_id, "budget"))));
  });

  auto u = std::make_shared<Spec>();
  auto* update = Command(g, "update", "Change a budget's name, amount or thresholds (tenant-admin)",
                         "gaonctl budgets update bud_01j9z3k6x2 --amount 12000000 --thresholds 80,100");
  update->add_option("budget", u->id, "Budget id (bud_…)")->required();
  update->add_option("--name", u->name, "New name");
  update->add_option("--amount", u->amount, "New amount per month, a decimal");
  update->add_option("--thresholds", u->thresholds, "New percentages, ascending: 50,80,100");
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    const BudgetId bid = ParseId<BudgetId>(u->id, "budget");
    BudgetPatch patch;
    if (!u->name.empty()) patch.name = u->name;
    if (!u->amount.empty()) {
      if (!IsDecimal(u->amount)) UsageError("--amount: '" + u->amount + "' is not a decimal like 10000000 or 2500.50");
      patch.amount = u->amount;
    }
    if (!u->thresholds.empty()) patch.thresholds = ParseThresholds(u->thresholds);
    if (!patch.name && !patch.amount && !patch.thresholds) {
      UsageError("nothing to change: give --name, --amount or --thresholds");
    }
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/tenants/" + tid.str() + "/budgets/" + bid.str(), RequestJson(patch))) {
      return;
    }
    PrintBudget(ctx, Must(ctx.client().UpdateBudget(tid, bid, patch)));
  });

  auto del_args = std::make_shared<IdArgs>();
  auto* del = Command(g, "delete", "Delete a budget and its alerts (tenant-admin); asks unless --yes",
                      "gaonctl budgets delete bud_01j9z3k6x2 --yes");
  del->add_option("budget", del_args->id, "Budget id (bud_…)")->required();
  AddDryRunFlag(del, del_args->dry_run);
  del->callback([&ctx, del_args] {
    const BudgetId bid = ParseId<BudgetId>(del_args->id, "budget");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(del_args->dry_run, "DELETE", "/v1/tenants/" + tid.str() + "/budgets/" + bid.str(), nullptr)) return;
    ctx.Confirm("Delete budget " + bid.str() + "?");
    Must(ctx.client().DeleteBudget(tid, bid));
    if (ctx.output() == OutputFormat::kName) std::cout << bid.str() << "\n";
    ctx.Note("Deleted budget " + bid.str() + ".");
  });
}

}  // namespace

void AddBillingCommands(CLI::App& app, Context& ctx) {
  AddPrices(app, ctx);
  AddDiscounts(app, ctx);
  AddUsage(app, ctx);
  AddInvoices(app, ctx);
  AddUsageEvents(app, ctx);
  AddCredits(app, ctx);
  AddBillingMode(app, ctx);
  AddBillingExport(app, ctx);
  AddBudgets(app, ctx);
}

}  // namespace gaon::cli
