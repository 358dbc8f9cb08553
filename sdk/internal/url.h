// Endpoint URLs and request targets (Boost.URL stays in url.cpp).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gaon/status.h"

namespace gaon::internal {

using Query = std::vector<std::pair<std::string, std::string>>;

// Where the API is: scheme, host, port and an optional path prefix ("" or "/gaon").
struct Endpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  std::string port;  // always set: the URL's, else 80 or 443
  std::string base_path;
  bool host_is_ip = false;
  // The Host header: host, with ":port" unless it is the scheme's default.
  std::string HostHeader() const;
};

// Parses "http(s)://host[:port][/prefix]". InvalidArgument("invalid_endpoint") saying what
// is wrong otherwise (another scheme, no host, user info, a query or a fragment).
StatusOr<Endpoint> ParseEndpoint(std::string_view url);

// base_path + "/" + each segment percent-encoded + "?" + the encoded query (pairs with an
// empty value are left out). A segment may carry an action suffix ("inst_…:stop").
std::string BuildTarget(const std::string& base_path, const std::vector<std::string>& segments,
                        const Query& query = {});

// A target given by a caller (Raw): base_path + target, which must start with '/'.
StatusOr<std::string> PrefixTarget(const std::string& base_path, std::string_view target);

}  // namespace gaon::internal
