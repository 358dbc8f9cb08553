#include "api/auth_cache.h"

namespace gaon::api {

void AuthCache::SetEnabled(bool enabled) {
  std::lock_guard lock(mu_);
  ++generation_;
  if (enabled_ != enabled) entries_.clear();
  enabled_ = enabled;
}

std::optional<AuthCache::Entry> AuthCache::Find(const std::string& credential, const std::string& tenant) {
  std::lock_guard lock(mu_);
  if (!enabled_) return std::nullopt;
  auto it = entries_.find({credential, tenant});
  if (it == entries_.end()) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.at > ttl_) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.entry;
}

std::uint64_t AuthCache::Generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

void AuthCache::Store(const std::string& credential, const std::string& tenant, Entry entry,
                      std::uint64_t generation) {
  std::lock_guard lock(mu_);
  if (!enabled_ || generation != generation_) return;
  if (entries_.size() > 100000) entries_.clear();  // a bound, not a policy: entries refill on use
  entry.principal.session_secret.clear();
  entries_[{credential, tenant}] = {std::move(entry), std::chrono::steady_clock::now()};
}

void AuthCache::Invalidate(std::string_view subject) {
  std::lock_guard lock(mu_);
  ++generation_;
  if (subject == "*") {
    entries_.clear();
    return;
  }
  const auto colon = subject.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view kind = subject.substr(0, colon), id = subject.substr(colon + 1);
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Principal& p = it->second.entry.principal;
    bool hit = false;
    if (kind == "key" || kind == "session") hit = it->first.first == id;
    else if (kind == "user") hit = p.user && p.user->id.str() == id;
    else if (kind == "tenant") hit = it->first.second == id || (p.key_tenant && p.key_tenant->str() == id);
    it = hit ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace gaon::api
