// Reads the simulated fleet file (deploy/fleet.yaml): groups of identical GPU hosts per zone.
// Thread-safety: free function.
#pragma once

#include <string>
#include <vector>

#include "gaon/status.h"

namespace gaon {

// A GPU host: as the fleet file describes it, as a driver reports it (with its health), and
// as the fleet monitor registers it as a node.
struct FleetHost {
  std::string id;
  std::string zone;
  std::string gpu_type;
  int gpus = 0;
  int vcpus = 0;
  int memory_gib = 0;
  bool healthy = true;
};

// InvalidArgument naming the group and field on a malformed file or a duplicate host id.
// (Whether the zones and GPU types exist is the catalog's business: gaond checks at start.)
StatusOr<std::vector<FleetHost>> LoadFleet(const std::string& path);

}  // namespace gaon
