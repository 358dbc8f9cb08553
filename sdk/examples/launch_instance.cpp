// Launches a GPU instance and waits until it is Running, then prints its id, node and address.
//
//   launch_instance NAME [INSTANCE_TYPE] [IMAGE] [--delete]
//
// With --delete the instance is deleted again once it ran (and the program waits for that):
// a smoke test of a region. Settings come from GAON_ENDPOINT, GAON_API_KEY and GAON_TENANT
// (or a gaonctl profile). Exit status: 0 when it ran, 1 otherwise.
#include <gaon/client.h>
#include <gaon/profile.h>

#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: launch_instance NAME [INSTANCE_TYPE] [IMAGE] [--delete]\n";
    return 2;
  }
  auto settings = gaon::ResolveSettings();
  if (!settings.ok()) {
    std::cerr << settings.status().ToString() << "\n";
    return 1;
  }
  if (!settings->tenant) {
    std::cerr << "set GAON_TENANT (or the profile's tenant) to the tenant to launch in\n";
    return 1;
  }
  auto client = gaon::Client::Create(settings->options);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  const gaon::TenantId tenant = *settings->tenant;

  gaon::Instance request;
  request.name = argv[1];
  request.spec.instance_type = argc > 2 && argv[2][0] != '-' ? argv[2] : "gpu.h100.1x";
  request.spec.image = argc > 3 && argv[3][0] != '-' ? argv[3] : "ubuntu-24.04-cuda-12.8";
  const bool delete_after = std::strcmp(argv[argc - 1], "--delete") == 0;

  // The SDK retries transient failures; the Idempotency-Key it adds makes the retried create
  // safe: the instance is launched once.
  auto created = client->CreateInstance(tenant, request);
  if (!created.ok()) {
    // Quota, residency and validation errors carry details: field violations, limits.
    std::cerr << "create failed: " << created.status().ToString() << "\n";
    return 1;
  }
  std::cout << "created " << created->id.str() << " (" << created->status.phase << ")\n";

  auto running = client->WaitForInstance(tenant, created->id, gaon::phases::kRunning, std::chrono::minutes(10));
  if (!running.ok()) {
    std::cerr << "it did not start: " << running.status().ToString() << "\n";
    return 1;
  }
  std::cout << running->id.str() << " is " << running->status.phase << " on " << running->status.node.value_or("?")
            << " at " << running->status.ip_address.value_or("?") << "\n";

  if (delete_after) {
    if (auto d = client->DeleteInstance(tenant, running->id); !d.ok()) {
      std::cerr << "delete failed: " << d.status().ToString() << "\n";
      return 1;
    }
    auto gone = client->WaitForInstance(tenant, running->id, gaon::phases::kDeleted, std::chrono::minutes(5));
    if (!gone.ok()) {
      std::cerr << "delete did not finish: " << gone.status().ToString() << "\n";
      return 1;
    }
    std::cout << running->id.str() << " deleted\n";
  }
  return 0;
}
