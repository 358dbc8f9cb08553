#include "storage/internal/rows.h"

#include <deque>
#include <map>
#include <mutex>

namespace gaon::storage {
namespace {

// Replaces each "$?" with the next parameter number ("?" alone is a jsonb operator).
std::string Number(std::string_view text, std::size_t* n) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '?') {
      out += "$" + std::to_string(++*n);
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Statement texts live here for the life of the process: prepared-statement names and texts
// are referenced by string_view from every connection.
const Sql& Register(const std::string& name, const std::string& text) {
  static std::mutex mu;
  static std::map<std::string, std::pair<std::string, std::string>> registry;
  static std::map<std::string, Sql> sqls;
  std::lock_guard lock(mu);
  auto it = sqls.find(name);
  if (it != sqls.end()) return it->second;
  auto& stored = registry[name] = {name, text};
  return sqls.emplace(name, Sql{stored.first, stored.second}).first->second;
}

}  // namespace

const std::string& KeepText(std::string text) {
  static std::mutex mu;
  static std::deque<std::string> kept;  // a deque never moves what it holds
  std::lock_guard lock(mu);
  return kept.emplace_back(std::move(text));
}

FilteredSql& FilteredSql::Add(std::string_view cond, std::optional<std::string> value) {
  ++bit_;
  if (!value) return *this;
  mask_ |= 1ULL << bit_;
  std::size_t n = params_.size();
  where_ += " AND " + Number(cond, &n);
  params_.push_back(std::move(value));
  return *this;
}

FilteredSql& FilteredSql::AddIf(bool on, std::string_view cond) {
  ++bit_;
  if (!on) return *this;
  mask_ |= 1ULL << bit_;
  where_ += " AND " + std::string(cond);
  return *this;
}

FilteredSql& FilteredSql::Tail(std::string_view tail, std::optional<std::string> value) {
  std::size_t n = params_.size();
  tail_ += " " + Number(tail, &n);
  if (value) params_.push_back(std::move(value));
  return *this;
}

Result FilteredSql::Run(Tx& tx) {
  const Sql& sql = Register(name_ + "." + std::to_string(mask_), select_ + where_ + tail_);
  return TxAccess::Conn(tx).Run(Statement{.name = sql.name, .text = sql.text, .params = params_});
}

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


void AddLabelFilters(FilteredSql& q, const LabelSelector& s) {
  q.Add("labels @> $?::jsonb", s.equals.empty() ? std::nullopt : std::optional<std::string>(LabelsJson(s.equals)));
  q.Add("NOT EXISTS (SELECT 1 FROM jsonb_each_text($?::jsonb) ne WHERE labels->>ne.key = ne.value)",
        s.not_equals.empty() ? std::nullopt : std::optional<std::string>(LabelsJson(s.not_equals)));
  q.Add("labels ?& $?::text[]", s.exists.empty() ? std::nullopt : std::optional<std::string>(TextArray(s.exists)));
  q.Add("NOT labels ?| $?::text[]", s.not_exists.empty() ? std::nullopt : std::optional<std::string>(TextArray(s.not_exists)));
}


}  // namespace gaon::storage
