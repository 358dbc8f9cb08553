// Lists the region's instance types with their GPUs and the free capacity in each zone.
//
//   list_instance_types [GPU_TYPE]
//
// Settings come from GAON_ENDPOINT and GAON_API_KEY (or a gaonctl profile).
#include <gaon/client.h>
#include <gaon/profile.h>

#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
  auto options = gaon::OptionsFromEnvironment();
  if (!options.ok()) {
    std::cerr << options.status().ToString() << "\n";
    return 1;
  }
  auto client = gaon::Client::Create(*options);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  auto types = client->ListInstanceTypes(argc > 1 ? argv[1] : "");
  if (!types.ok()) {
    std::cerr << types.status().ToString() << "\n";
    return 1;
  }
  std::printf("%-16s %-18s %4s %6s %8s  %s\n", "TYPE", "GPU", "GPUS", "VCPUS", "MEM GIB", "FREE BY ZONE");
  for (const gaon::InstanceType& t : *types) {
    std::string free;
    for (const auto& z : t.availability) free += z.zone + ":" + std::to_string(z.available) + " ";
    std::printf("%-16s %-18s %4d %6d %8d  %s\n", t.id.c_str(), t.gpu_type.c_str(), t.gpu_count, t.vcpus,
                t.memory_gib, free.c_str());
  }
  return 0;
}
