#include "storage/internal/rows.h"

namespace gaon::storage {
namespace {

std::string TextArray(const std::vector<std::string>& items) {
  // A PostgreSQL array literal with every element double-quoted and escaped.
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

}  // namespace

LabelParams ToParams(const LabelSelector& s) {
  return {LabelsJson(s.equals), LabelsJson(s.not_equals), TextArray(s.exists), TextArray(s.not_exists)};
}

std::string LabelCondition(int n) {
  const auto p = [n](int i) { return "$" + std::to_string(n + i); };
  return "labels @> " + p(0) + "::jsonb" +
         " AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(" + p(1) + "::jsonb) ne WHERE labels->>ne.key = ne.value)" +
         " AND labels ?& " + p(2) + "::text[]" + " AND NOT labels ?| " + p(3) + "::text[]";
}

}  // namespace gaon::storage
