#include "api/router.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace gaon::api {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "fatal: route table: %s\n", msg.c_str());
  std::abort();
}

}  // namespace

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kUnset: return "unset";
    case Permission::kPublic: return "public";
    case Permission::kAuthenticated: return "authenticated";
    case Permission::kPlatformAdmin: return "platform-admin";
    case Permission::kTenantAny: return "tenant-any";
    case Permission::kTenantRead: return "tenant-read";
    case Permission::kTenantWrite: return "tenant-write";
    case Permission::kTenantAdmin: return "tenant-admin";
    case Permission::kBillingRead: return "billing-read";
  }
  return "unknown";
}

bool IsTenantScoped(Permission p) {
  return p == Permission::kTenantAny || p == Permission::kTenantRead || p == Permission::kTenantWrite ||
         p == Permission::kTenantAdmin || p == Permission::kBillingRead;
}

std::string RoutePermissionProblem(std::string_view pattern, Permission permission) {
  if (permission == Permission::kUnset) return "names no permission";
  const bool names_tenant = pattern.find("{tenant}") != std::string_view::npos;
  if (IsTenantScoped(permission) && !names_tenant) {
    return "requires " + std::string(PermissionName(permission)) + " but has no {tenant} to check it against";
  }
  if (names_tenant && !IsTenantScoped(permission) && permission != Permission::kPlatformAdmin) {
    return "names a {tenant} but requires only " + std::string(PermissionName(permission)) +
           ": it must check the caller's role in that tenant";
  }
  return {};
}

bool Route::HasParam(std::string_view name) const {
  return pattern.find("{" + std::string(name) + "}") != std::string::npos;
}

bool PercentDecode(std::string_view s, std::string* out) {
  out->clear();
  out->reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

void Router::Add(Route route) {
  if (route.method.empty() || route.pattern.empty() || route.pattern[0] != '/') Die("bad route " + route.pattern);
  if (!route.handler) Die("route " + route.pattern + " has no handler");
  if (route.action.empty()) Die("route " + route.pattern + " has no action name");
  if (auto problem = RoutePermissionProblem(route.pattern, route.permission); !problem.empty()) {
    Die("route " + route.method + " " + route.pattern + " " + problem);
  }
  Compiled c;
  for (auto part : Split(route.pattern)) {
    if (part.empty()) Die("empty segment in " + route.pattern);
    if (part.front() == '{') {
      const auto close = part.find('}');
      if (close == std::string_view::npos || close < 2) Die("bad parameter in " + route.pattern);
      Segment s{Segment::kParam, std::string(part.substr(1, close - 1)), std::string(part.substr(close + 1))};
      if (!s.suffix.empty() && s.suffix[0] != ':') Die("parameter suffix must be :action in " + route.pattern);
      c.segments.push_back(std::move(s));
    } else {
      if (part.find('{') != std::string_view::npos) Die("parameter inside a literal in " + route.pattern);
      c.segments.push_back({Segment::kLiteral, std::string(part), {}});
      ++c.literal_count;
    }
  }
  for (const auto& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) Die("duplicate route " + route.method + " " + route.pattern);
  }
  route.index = routes_.size();
  if (c.literal_count == static_cast<int>(c.segments.size())) literal_[route.pattern].push_back(route.index);
  routes_.push_back(std::move(route));
  compiled_.push_back(std::move(c));
}

bool Router::MatchSegments(const Compiled& c, const std::vector<std::string>& parts, PathParams* params) const {
  if (c.segments.size() != parts.size()) return false;
  params->clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& s = c.segments[i];
    const std::string& p = parts[i];
    if (s.kind == Segment::kLiteral) {
      if (p != s.text) return false;
      continue;
    }
    if (p.size() <= s.suffix.size()) return false;
    if (!s.suffix.empty() && p.compare(p.size() - s.suffix.size(), s.suffix.size(), s.suffix) != 0) return false;
    std::string value = p.substr(0, p.size() - s.suffix.size());
    // A plain parameter never swallows an action ("inst_x:stop" is not an instance id).
    if (s.suffix.empty() && value.find(':') != std::string::npos) return false;
    params->emplace_back(s.text, std::move(value));
  }
  return true;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  // Fast path: a fully literal route needs no splitting or decoding, and always wins.
  if (auto it = literal_.find(std::string(path)); it != literal_.end()) {
    for (std::size_t i : it->second) {
      if (routes_[i].method == method) {
        m.route = &routes_[i];
        return m;
      }
    }
  }
  std::vector<std::string> parts;
  for (auto raw : Split(path)) {
    std::string decoded;
    if (!PercentDecode(raw, &decoded)) return m;
    parts.push_back(std::move(decoded));
  }
  if (parts.empty()) return m;
  int best = -1;
  PathParams params;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!MatchSegments(compiled_[i], parts, &params)) continue;
    if (routes_[i].method != method) {
      bool seen = false;
      for (const auto& a : m.allowed) seen = seen || a == routes_[i].method;
      if (!seen) m.allowed.push_back(routes_[i].method);
      continue;
    }
    if (best < 0 || compiled_[i].literal_count > compiled_[static_cast<std::size_t>(best)].literal_count) {
      best = static_cast<int>(i);
      m.params = params;
    }
  }
  if (best >= 0) {
    m.route = &routes_[static_cast<std::size_t>(best)];
    m.allowed.clear();
  }
  return m;
}

}  // namespace gaon::api
