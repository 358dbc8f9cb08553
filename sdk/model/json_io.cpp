#include "gaon/model/json_io.h"

namespace gaon {

StatusOr<boost::json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  boost::json::value v = boost::json::parse(text, ec, {}, opts);
  if (ec) return InvalidArgument("the body is not valid JSON: " + ec.message(), "malformed_body");
  return v;
}

}  // namespace gaon
