// Storage-internal helpers to read model values out of result rows and to pass them in.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "gaon/model/json_io.h"
#include "gaon/model/tenancy.h"
#include "gaon/time.h"
#include "storage/internal/pq.h"
#include "storage/query.h"

namespace gaon::storage {

inline Timestamp Ts(const ResultField& f) {
  auto t = ParseTimestamp(f.c_str());
  assert(t && "PostgreSQL returned a timestamp we cannot parse");
  return *t;
}

inline std::optional<Timestamp> OptTs(const ResultField& f) {
  if (f.is_null()) return std::nullopt;
  return Ts(f);
}

inline std::optional<std::string> OptStr(const ResultField& f) {
  if (f.is_null()) return std::nullopt;
  return std::string(f.c_str());
}

inline std::string Str(const ResultField& f) { return f.is_null() ? std::string() : std::string(f.c_str()); }

inline Labels LabelsOf(const ResultField& f) {
  Labels out;
  if (f.is_null()) return out;
  const auto v = boost::json::parse(f.c_str());
  for (const auto& [k, val] : v.as_object()) out[std::string(k)] = std::string(val.as_string());
  return out;
}

// A jsonb array column of model values; elements that do not parse are skipped.
template <typename T>
std::vector<T> JsonList(const ResultField& f) {
  std::vector<T> out;
  if (f.is_null()) return out;
  const boost::json::value v = boost::json::parse(f.c_str());
  if (!v.is_array()) return out;
  for (const auto& e : v.get_array()) {
    auto x = FromJson<T>(e);
    if (x.ok()) out.push_back(std::move(*x));
  }
  return out;
}

inline std::string LabelsJson(const Labels& labels) { return boost::json::serialize(ToJson(labels)); }

inline std::optional<std::string> TsParam(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return FormatTimestamp(*t);
}

// A page from a result fetched with LIMIT page_size + 1: the extra row, if any, only says
// that more follow, and the page token is the key of the last row kept.
template <typename T, typename RowFn, typename KeyFn>
Page<T> ToPage(const Result& r, int page_size, RowFn&& row, KeyFn&& key) {
  Page<T> page;
  for (const auto& x : r) {
    if (static_cast<int>(page.items.size()) == page_size) {
      page.next_page_token = key(page.items.back());
      break;
    }
    page.items.push_back(row(x));
  }
  return page;
}

// Keeps a composed statement text for the life of the program (Sql holds views): for
// namespace-scope statements built from shared column lists.
const std::string& KeepText(std::string text);

// One text column out of a batch, for unnest($1::text[], …) statements.
template <typename T, typename F>
std::vector<std::string> Column(const std::vector<T>& xs, F get) {
  std::vector<std::string> out;
  out.reserve(xs.size());
  for (const auto& x : xs) out.push_back(get(x));
  return out;
}

// A PostgreSQL text[] literal with every element quoted and escaped.
std::string TextArray(const std::vector<std::string>& items);

// Adds the label selector's conditions (only the parts in use) to a filtered list.
void AddLabelFilters(FilteredSql& q, const LabelSelector& s);


}  // namespace gaon::storage
