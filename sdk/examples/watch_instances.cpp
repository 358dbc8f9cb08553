// Follows a tenant's change feed and prints every instance phase change as it happens — the
// building block of a dashboard or an autoscaler. Reconnects by itself (resuming from the
// last change seen, so nothing is missed or repeated).
//
//   watch_instances [SECONDS]     (default: until interrupted)
//
// Settings come from GAON_ENDPOINT, GAON_API_KEY and GAON_TENANT (or a gaonctl profile).
#include <gaon/client.h>
#include <gaon/profile.h>

#include <iostream>
#include <map>
#include <string>

int main(int argc, char** argv) {
  auto settings = gaon::ResolveSettings();
  if (!settings.ok() || !settings->tenant) {
    std::cerr << (settings.ok() ? "set GAON_TENANT" : settings.status().ToString()) << "\n";
    return 1;
  }
  auto client = gaon::Client::Create(settings->options);
  if (!client.ok()) {
    std::cerr << client.status().ToString() << "\n";
    return 1;
  }
  gaon::WatchOptions options;
  if (argc > 1) options.timeout = std::chrono::seconds(std::stoi(argv[1]));
  options.since = 0;  // replay what the feed still holds, then follow it live

  std::map<std::string, std::string> phase_of;  // instance id → last phase printed
  const gaon::Status ended = client->WatchChanges(
      *settings->tenant,
      [&](const gaon::ChangeEvent& e) {
        if (e.kind != "instance" || !e.object.is_object()) return true;
        const auto* status = e.object.as_object().if_contains("status");
        const auto* phase = status && status->is_object() ? status->as_object().if_contains("phase") : nullptr;
        if (!phase || !phase->is_string()) return true;
        std::string now(phase->get_string());
        std::string& before = phase_of[e.resource_id];
        if (now != before) {
          std::cout << gaon::FormatTimestamp(e.time) << "  " << e.resource_id << "  "
                    << (before.empty() ? "-" : before) << " -> " << now << std::endl;
          before = now;
        }
        return true;
      },
      options);
  if (!ended.ok()) {
    std::cerr << "watch ended: " << ended.ToString() << "\n";
    return 1;
  }
  return 0;
}
