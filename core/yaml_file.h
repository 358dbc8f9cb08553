// Reading the YAML files gaond loads at start (catalog, fleet): one place that turns a missing
// or malformed file into a clear error. Only for core's loaders (yaml-cpp is private to core).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "gaon/status.h"

namespace gaon {

// InvalidArgument "<what>: <path>: <problem>" with code "invalid_<what>" when `path` cannot be
// read or is not YAML.
inline StatusOr<YAML::Node> ReadYamlFile(const std::string& path, const std::string& what) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return InvalidArgument(what + ": " + path + ": cannot read the file", "invalid_" + what);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(what + ": " + path + ": malformed YAML: " + e.what(), "invalid_" + what);
  }
}

}  // namespace gaon
