#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>

#include "cli/context.h"
#include "gaon/time.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

std::string Scalar(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "";
    case json::kind::string: return std::string(v.get_string());
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::array: {
      std::string out;
      for (const auto& e : v.get_array()) {
        if (!out.empty()) out += ",";
        out += e.is_structured() ? json::serialize(e) : Scalar(e);
      }
      return out;
    }
    case json::kind::object: return json::serialize(v);
    default: return json::serialize(v);
  }
}

const json::value* Find(const json::value& v, const std::string& path) {
  const json::value* cur = &v;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->get_object().find(key);
    if (it == cur->get_object().end()) return nullptr;
    cur = &it->value();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

std::string Cell(const json::value& item, const Column& c) {
  if (c.compute) return c.compute(item);
  const json::value* v = Find(item, c.path);
  if (!v) return "";
  switch (c.kind) {
    case CellKind::kAge: return v->is_string() ? Age(std::string(v->get_string())) : "";
    case CellKind::kLabels: {
      if (!v->is_object()) return "";
      std::string out;
      for (const auto& kv : v->get_object()) {
        if (!out.empty()) out += ",";
        out += std::string(kv.key()) + "=" + Scalar(kv.value());
      }
      return out;
    }
    case CellKind::kCount: return v->is_array() ? std::to_string(v->get_array().size()) : "";
    default: return Scalar(*v);
  }
}

std::string StateColor(const std::string& s) {
  static const char* kGreen = "\033[32m";
  static const char* kYellow = "\033[33m";
  static const char* kRed = "\033[31m";
  static const char* kDim = "\033[2m";
  if (s == "Running" || s == "Ready" || s == "active" || s == "approved" || s == "available" || s == "true" ||
      s == "paid") {
    return kGreen;
  }
  if (s == "Failed" || s == "Down" || s == "revoked" || s == "denied" || s == "suspended" || s == "disabled" ||
      s == "false") {
    return kRed;
  }
  if (s == "Stopped" || s == "Deleted" || s == "expired" || s == "cancelled" || s == "void") return kDim;
  if (s.empty()) return "";
  return kYellow;  // on its way somewhere: Pending, Provisioning, Cordoned, pending, …
}

std::size_t TerminalWidth() {
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  winsize ws{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  return 0;  // not a terminal: no limit, scripts get whole lines
}

// Display width of UTF-8 text: code points, not bytes ("…" and Hangul count as one; close
// enough for ids, names and states).
std::size_t Width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Cut(const std::string& s, std::size_t width) {
  if (Width(s) <= width) return s;
  if (width == 0) return "";
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > width - 1) break;
    out += s[i];
  }
  return out + "…";
}

bool NeedsQuotes(const std::string& s) {
  static const std::regex kPlain(R"(^[A-Za-z_/][A-Za-z0-9_.\-/@+ ]*$)");
  static const std::regex kSpecial(R"(^(true|false|yes|no|on|off|null|y|n|~)$)", std::regex::icase);
  if (s.empty() || !std::regex_match(s, kPlain) || std::regex_match(s, kSpecial)) return true;
  return s.back() == ' ';
}

void EmitYaml(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      if (v.get_object().empty()) {
        out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key << std::string(kv.key()) << YAML::Value;
        EmitYaml(out, kv.value());
      }
      out << YAML::EndMap;
      break;
    case json::kind::array:
      if (v.get_array().empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        break;
      }
      out << YAML::BeginSeq;
      for (const auto& e : v.get_array()) EmitYaml(out, e);
      out << YAML::EndSeq;
      break;
    case json::kind::string: {
      const std::string s(v.get_string());
      if (s.find('\n') != std::string::npos) {
        out << YAML::Literal << s;
      } else if (NeedsQuotes(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case json::kind::null: out << YAML::Null; break;
    default: out << json::serialize(v); break;  // numbers and booleans read back as themselves
  }
}

void PrintTable(Context& ctx, const std::vector<json::value>& items, const std::vector<Column>& columns, bool wide) {
  std::vector<std::string> headers;
  std::vector<const Column*> shown;
  std::vector<bool> keep;  // the first column (the id or name) and states survive a narrow terminal
  for (const auto& c : columns) {
    if (c.wide && !wide) continue;
    keep.push_back(shown.empty() || c.kind == CellKind::kState);
    headers.push_back(c.header);
    shown.push_back(&c);
  }
  std::vector<std::vector<std::string>> rows, colors;
  const bool color = ctx.color();
  for (const auto& item : items) {
    std::vector<std::string> row, rc;
    for (const Column* c : shown) {
      row.push_back(Cell(item, *c));
      rc.push_back(color && c->kind == CellKind::kState ? StateColor(row.back()) : "");
    }
    rows.push_back(std::move(row));
    colors.push_back(std::move(rc));
  }
  if (rows.empty()) {
    ctx.Note("No resources found.");
    return;
  }
  // -o wide asks for everything: the lines may be longer than the terminal.
  std::cout << RenderTable(headers, rows, wide ? 0 : TerminalWidth(), colors, keep) << std::flush;
}

}  // namespace

std::string At(const json::value& v, const std::string& path) {
  const json::value* f = Find(v, path);
  return f ? Scalar(*f) : "";
}

std::string Age(const std::string& time) {
  auto t = ParseTimestamp(time);
  if (!t) return "";
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(Now() - *t).count();
  if (secs < 0) return "0s";
  if (secs < 120) return std::to_string(secs) + "s";
  if (secs < 2 * 3600) return std::to_string(secs / 60) + "m";
  if (secs < 48 * 3600) return std::to_string(secs / 3600) + "h";
  if (secs < 2 * 365 * 86400) return std::to_string(secs / 86400) + "d";
  return std::to_string(secs / (365 * 86400)) + "y";
}

std::string RenderTable(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                        std::size_t width, const std::vector<std::vector<std::string>>& colors,
                        const std::vector<bool>& keep) {
  std::vector<std::size_t> cols(headers.size());  // the columns shown, in order
  std::vector<std::size_t> w(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    cols[i] = i;
    w[i] = Width(headers[i]);
    for (const auto& r : rows) w[i] = std::max(w[i], Width(r[i]));
  }
  auto total = [&] {
    std::size_t t = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) t += w[cols[k]] + (k + 1 < cols.size() ? 3 : 0);
    return t;
  };
  if (width > 0) {
    while (total() > width && cols.size() > 1) {
      auto drop = std::find_if(cols.rbegin(), cols.rend(), [&](std::size_t i) { return i >= keep.size() || !keep[i]; });
      if (drop == cols.rend()) break;
      cols.erase(std::next(drop).base());
    }
    if (total() > width) {
      const std::size_t last = cols.back();
      const std::size_t before = total() - w[last];
      w[last] = width > before ? std::max<std::size_t>(width - before, 3) : 3;
    }
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells, const std::vector<std::string>* cc) {
    std::string text;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const std::size_t i = cols[k];
      const std::string cell = Cut(cells[i], w[i]);
      const std::string pad = k + 1 == cols.size() ? "" : std::string(w[i] - Width(cell) + 3, ' ');
      const std::string& code = cc && i < cc->size() ? (*cc)[i] : std::string();
      text += code.empty() ? cell : code + cell + "\033[0m";
      text += pad;
    }
    out << text << "\n";
  };
  line(headers, nullptr);
  for (std::size_t r = 0; r < rows.size(); ++r) line(rows[r], r < colors.size() ? &colors[r] : nullptr);
  return out.str();
}

std::string ToYaml(const json::value& v) {
  YAML::Emitter out;
  EmitYaml(out, v);
  return std::string(out.c_str()) + "\n";
}

void PrintValue(Context& ctx, const json::value& v) {
  if (ctx.output() == OutputFormat::kJson) {
    std::cout << json::serialize(v) << "\n";
  } else {
    std::cout << ToYaml(v);
  }
}

void PrintList(Context& ctx, const std::vector<json::value>& items, const std::vector<Column>& columns,
               const std::string& id_path) {
  switch (ctx.output()) {
    case OutputFormat::kJson: {
      json::array a(items.begin(), items.end());
      std::cout << json::serialize(json::object{{"items", std::move(a)}}) << "\n";
      return;
    }
    case OutputFormat::kYaml: {
      json::array a(items.begin(), items.end());
      std::cout << ToYaml(json::object{{"items", std::move(a)}});
      return;
    }
    case OutputFormat::kName:
      for (const auto& i : items) std::cout << At(i, id_path) << "\n";
      return;
    case OutputFormat::kWide: PrintTable(ctx, items, columns, true); return;
    case OutputFormat::kTable: PrintTable(ctx, items, columns, false); return;
  }
}

void PrintOne(Context& ctx, const json::value& item, const std::vector<Column>& columns, const std::string& id_path) {
  switch (ctx.output()) {
    case OutputFormat::kJson: std::cout << json::serialize(item) << "\n"; return;
    case OutputFormat::kYaml: std::cout << ToYaml(item); return;
    case OutputFormat::kName: std::cout << At(item, id_path) << "\n"; return;
    default: PrintTable(ctx, {item}, columns, ctx.output() == OutputFormat::kWide); return;
  }
}

}  // namespace gaon::cli
