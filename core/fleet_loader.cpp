#include "core/fleet_loader.h"

#include "core/yaml_file.h"

#include <cstdio>
#include <set>

namespace gaon {
namespace {

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument("fleet: " + where + ": " + what, "invalid_fleet");
}

}  // namespace

StatusOr<std::vector<FleetHost>> LoadFleet(const std::string& path) {
  ASSIGN_OR_RETURN(const YAML::Node root, ReadYamlFile(path, "fleet"));
  if (!root["groups"] || !root["groups"].IsSequence()) return Bad(path, "a list `groups` is required");
  std::vector<FleetHost> hosts;
  std::set<std::string> ids;
  int index = 0;
  for (const auto& g : root["groups"]) {
    const std::string where = "group " + std::to_string(++index);
    FleetHost proto;
    int count = 0;
    std::string prefix;
    try {
      proto.zone = g["zone"].as<std::string>();
      proto.gpu_type = g["gpu_type"].as<std::string>();
      count = g["nodes"].as<int>();
      proto.gpus = g["gpus"].as<int>();
      proto.vcpus = g["vcpus"].as<int>();
      proto.memory_gib = g["memory_gib"].as<int>();
      prefix = g["prefix"] ? g["prefix"].as<std::string>()
                           : proto.zone + "-" + proto.gpu_type.substr(0, proto.gpu_type.find('-'));
    } catch (const YAML::Exception&) {
      return Bad(where, "needs zone, gpu_type (text) and nodes, gpus, vcpus, memory_gib (integers)");
    }
    if (count < 1 || count > 999 || proto.gpus < 1 || proto.vcpus < 1 || proto.memory_gib < 1) {
      return Bad(where, "nodes must be 1–999 and gpus, vcpus, memory_gib positive");
    }
    for (int n = 1; n <= count; ++n) {
      char suffix[8];
      std::snprintf(suffix, sizeof suffix, "-%02d", n);
      FleetHost h = proto;
      h.id = prefix + suffix;
      if (!ids.insert(h.id).second) return Bad(where, "host " + h.id + " is defined twice");
      hosts.push_back(std::move(h));
    }
  }
  return hosts;
}

}  // namespace gaon
