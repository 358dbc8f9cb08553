#include "api/context.h"

#include <charconv>

#include "api/validation.h"
#include "core/crypto.h"
#include "storage/changes.h"

namespace gaon::api {
namespace {

Status BadParam(const std::string& name, const std::string& message) {
  return ValidationFailed({{name, "invalid", name + " " + message}});
}

}  // namespace

Status RequestContext::CheckJsonBody() const {
  if (request.body.empty()) return Status::Ok();
  const auto type = request.Header("Content-Type");
  const std::string_view media = type ? type->substr(0, type->find(';')) : std::string_view();
  if (media != "application/json" && media != "application/merge-patch+json") {
    return InvalidArgument("the body must be JSON (Content-Type: application/json, or "
                           "application/merge-patch+json for PATCH)",
                           "unsupported_media_type");
  }
  return Status::Ok();
}

StatusOr<std::optional<std::int64_t>> RequestContext::IfMatch() const {
  auto header = request.Header("If-Match");
  if (!header || *header == "*") return std::optional<std::int64_t>();
  std::string_view v = *header;
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) {
    return InvalidArgument("If-Match must be an ETag returned by this API", "invalid_if_match");
  }
  return std::optional<std::int64_t>(n);
}

Status RequestContext::CheckIfMatch(const std::string& what, std::int64_t version) const {
  ASSIGN_OR_RETURN(auto if_match, IfMatch());
  if (!if_match || *if_match == version) return Status::Ok();
  return FailedPrecondition(what + " is at version " + std::to_string(version) + ", not " + std::to_string(*if_match),
                            "precondition_failed");
}

StatusOr<storage::ListQuery> RequestContext::ListParams(Labels labels) const {
  storage::ListQuery q;
  if (auto size = request.Query("page_size")) {
    int n = 0;
    auto [p, ec] = std::from_chars(size->data(), size->data() + size->size(), n);
    if (ec != std::errc() || p != size->data() + size->size() || n < 1 || n > 1000) {
      return BadParam("page_size", "must be an integer from 1 to 1000");
    }
    q.page_size = n;
  }
  if (auto token = request.Query("page_token"); token && !token->empty()) {
    auto after = DecodePageToken(*token);
    if (!after.ok()) return after.status();
    q.after = *after;
  }
  if (auto sel = request.Query("label_selector"); sel && !sel->empty()) {
    if (labels == Labels::kNone) return BadParam("label_selector", "is not supported: this list has no labels");
    ASSIGN_OR_RETURN(q.labels, ParseLabelSelector(*sel));
  }
  return q;
}

std::string EncodePageToken(const std::string& last) { return Base64UrlEncode("v1:" + last); }

StatusOr<std::optional<std::int64_t>> PageSeq(const storage::ListQuery& q) {
  if (!q.after) return std::optional<std::int64_t>();
  std::int64_t seq = 0;
  const std::string& a = *q.after;
  auto [p, ec] = std::from_chars(a.data(), a.data() + a.size(), seq);
  if (ec != std::errc() || p != a.data() + a.size() || seq < 0) {
    return BadParam("page_token", "is not a token returned by this API");
  }
  return std::optional<std::int64_t>(seq);
}

StatusOr<std::string> DecodePageToken(std::string_view token) {
  std::string raw;
  if (!Base64UrlDecode(token, &raw) || raw.rfind("v1:", 0) != 0) {
    return BadParam("page_token", "is not a token returned by this API");
  }
  return raw.substr(3);
}

StatusOr<storage::LabelSelector> ParseLabelSelector(std::string_view text) {
  storage::LabelSelector s;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view term = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    const std::string t(term);
    auto bad = [&](const std::string& why) { return BadParam("label_selector", "term '" + t + "' " + why); };
    if (term.empty()) return bad("is empty");
    if (const auto ne = term.find("!="); ne != std::string_view::npos) {
      const std::string k(term.substr(0, ne)), v(term.substr(ne + 2));
      if (!IsLabelKey(k) || !IsLabelValue(v)) return bad("is not key!=value with a valid key and value");
      s.not_equals[k] = v;
    } else if (const auto eq = term.find('='); eq != std::string_view::npos) {
      const std::string k(term.substr(0, eq));
      std::string v(term.substr(eq + 1));
      if (!v.empty() && v.front() == '=') v.erase(0, 1);  // "k==v" means "k=v"
      if (!IsLabelKey(k) || !IsLabelValue(v)) return bad("is not key=value with a valid key and value");
      s.equals[k] = v;
    } else if (term.front() == '!') {
      const std::string k(term.substr(1));
      if (!IsLabelKey(k)) return bad("is not !key with a valid key");
      s.not_exists.push_back(k);
    } else {
      if (!IsLabelKey(t)) return bad("is not a valid label key");
      s.exists.push_back(t);
    }
  }
  return s;
}

}  // namespace gaon::api
