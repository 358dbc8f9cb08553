// AuthCache: recently authenticated credentials, so a request need not look its credential up
// in PostgreSQL every time.
//
// An entry holds what the lookup returned for (credential, path tenant): the secret's hash
// (the presented secret is still compared in constant time on every request), expiry and the
// caller's role and tenant state. It is dropped when anything it depends on changes:
//   key:<id>      a key was revoked          session:<id>  a session ended
//   user:<id>     password, status or a membership of the user changed
//   tenant:<id>   the tenant was suspended, resumed, deleted or moved jurisdiction
// The process that made the change drops entries before it answers; every other gaond drops
// them when PostgreSQL's NOTIFY on gaon_auth arrives (milliseconds after commit). While that
// listener is not connected the cache is not used at all, and entries live at most `ttl`.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth.h"

namespace gaon::api {

class AuthCache {
 public:
  struct Entry {
    Principal principal;  // as Authenticate built it (session_secret not kept)
    CacheableAuth auth;
  };

  explicit AuthCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  // Off: Find returns nothing and Store keeps nothing (the listener is down).
  void SetEnabled(bool enabled);
  std::optional<Entry> Find(const std::string& credential, const std::string& tenant);
  // Counts invalidations. Take it before looking a credential up in PostgreSQL and pass it to
  // Store: an entry looked up before an invalidation that Store has not seen is not kept,
  // so a lookup racing a revocation cannot bring the revoked credential back.
  std::uint64_t Generation();
  void Store(const std::string& credential, const std::string& tenant, Entry entry,
             std::uint64_t generation);
  // Drops every entry depending on `subject` ("key:…", "session:…", "user:…", "tenant:…",
  // or "*" for all).
  void Invalidate(std::string_view subject);

 private:
  struct Stored {
    Entry entry;
    std::chrono::steady_clock::time_point at;
  };
  const std::chrono::milliseconds ttl_;
  std::mutex mu_;
  bool enabled_ = false;
  std::uint64_t generation_ = 0;
  std::map<std::pair<std::string, std::string>, Stored> entries_;
};

}  // namespace gaon::api
