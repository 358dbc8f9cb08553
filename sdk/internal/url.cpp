#include "internal/url.h"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

namespace gaon::internal {
namespace {

Status BadEndpoint(std::string_view url, const std::string& why) {
  return InvalidArgument("endpoint '" + std::string(url.substr(0, 200)) + "' " + why, "invalid_endpoint");
}

}  // namespace

std::string Endpoint::HostHeader() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? h : h + ":" + port;
}

StatusOr<Endpoint> ParseEndpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return BadEndpoint(url, "is not an absolute URL (http://host:port or https://host)");
  const boost::urls::url_view& u = *parsed;
  Endpoint e;
  if (u.scheme_id() == boost::urls::scheme::https) {
    e.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return BadEndpoint(url, "must start with http:// or https://");
  }
  if (u.has_userinfo()) return BadEndpoint(url, "must not carry user info; pass the API key as api_key");
  if (u.has_query() || u.has_fragment()) return BadEndpoint(url, "must not have a query or fragment");
  e.host = u.host_address();
  if (e.host.empty()) return BadEndpoint(url, "has no host");
  e.host_is_ip = u.host_type() == boost::urls::host_type::ipv4 || u.host_type() == boost::urls::host_type::ipv6;
  e.port = u.has_port() ? std::string(u.port()) : (e.tls ? "443" : "80");
  if (u.has_port() && u.port_number() == 0) return BadEndpoint(url, "has an invalid port");
  e.base_path = std::string(u.encoded_path());
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

std::string BuildTarget(const std::string& base_path, const std::vector<std::string>& segments, const Query& query) {
  std::string out = base_path;
  for (const auto& s : segments) out += "/" + boost::urls::encode(s, boost::urls::pchars);
  char sep = '?';
  for (const auto& [k, v] : query) {
    if (v.empty()) continue;
    out += sep;
    out += boost::urls::encode(k, boost::urls::unreserved_chars);
    out += '=';
    out += boost::urls::encode(v, boost::urls::unreserved_chars);
    sep = '&';
  }
  return out;
}

StatusOr<std::string> PrefixTarget(const std::string& base_path, std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return InvalidArgument("the request target must start with '/', e.g. /v1/me", "invalid_target");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 32 || c == 127) {
      return InvalidArgument("the request target must not contain spaces or control characters; percent-encode them",
                             "invalid_target");
    }
  }
  return base_path + std::string(target);
}

}  // namespace gaon::internal
