// How gaonctl prints resources: human tables (columns that fit the terminal, ages like `5m`,
// colour on a TTY only), `-o wide` (more columns), `-o json` and `-o yaml` (exactly the API's
// JSON), and `-o name` (ids, one a line, for scripts).
//
// Every resource is printed from its JSON form (the model's ToJson), so the table columns are
// JSON paths and json/yaml need no per-type code.
// Thread-safety: single-threaded.
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "gaon/model/json_io.h"

namespace gaon::cli {

class Context;

enum class CellKind {
  kText,
  kAge,     // an RFC 3339 time shown as its age ("5m", "3h", "2d")
  kState,   // a phase or state, coloured by meaning
  kLabels,  // an object shown as k=v,k=v
  kCount,   // an array shown as its length
};

struct Column {
  std::string header;
  std::string path;  // dotted JSON path: "status.phase"
  CellKind kind = CellKind::kText;
  bool wide = false;  // only with -o wide
  // Computes the cell instead of `path` when set.
  std::function<std::string(const boost::json::value&)> compute;
};

// The text of `v` at dotted `path` ("" when absent or null); arrays of scalars are joined
// with ','.
std::string At(const boost::json::value& v, const std::string& path);
// "45s", "5m", "3h", "2d", "1y" — how long ago RFC 3339 `time` was; "" when not a time.
std::string Age(const std::string& time);

// A list, in the context's output format. `id_path` names the field -o name prints.
void PrintList(Context& ctx, const std::vector<boost::json::value>& items, const std::vector<Column>& columns,
               const std::string& id_path = "id");
// One resource: a one-row table (wide columns included), or the object itself.
void PrintOne(Context& ctx, const boost::json::value& item, const std::vector<Column>& columns,
              const std::string& id_path = "id");
// A value that has no table form (answers of actions, dry runs): YAML unless -o json.
void PrintValue(Context& ctx, const boost::json::value& v);
// `v` as YAML text (strings that would read back as another type are quoted).
std::string ToYaml(const boost::json::value& v);

// Renders rows as a table whose columns fit `width` (0: no limit): while it does not fit, the
// rightmost column not marked in `keep` is dropped (the id, the name and states stay), then the
// last column is cut with "…". `colors` are ANSI codes per cell (may be empty) applied around
// the padded text.
std::string RenderTable(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows,
                        std::size_t width, const std::vector<std::vector<std::string>>& colors = {},
                        const std::vector<bool>& keep = {});

template <typename T>
std::vector<boost::json::value> ToJsonAll(const std::vector<T>& items) {
  std::vector<boost::json::value> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back(ToJson(i));
  return out;
}

}  // namespace gaon::cli
