// The examples built by install_test.sh against the *installed* SDK (CMake and pkg-config
// builds) run against a real gaond — every one of them. ctest runs these [install] cases after
// the sdk_install fixture only.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon::test;

namespace {

struct Run {
  int code;
  std::string out;
};

Run Example(const std::string& path, const std::string& args, const std::string& env) {
  const std::string out = MakeTempDir("sdk-example") + "/out";
  const int status = std::system(("env " + env + " " + path + " " + args + " > " + out + " 2>&1").c_str());
  std::ifstream f(out);
  std::stringstream s;
  s << f.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, s.str()};
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::set<std::string> FilesIn(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Last month in UTC, as a period ("2026-10") and as the RFC 3339 time of its 2nd day at `hh`.
struct LastMonth {
  std::string period;
  std::string At(int hh) const {
    char t[32];
    std::snprintf(t, sizeof t, "%s-02T%02d:00:00Z", period.c_str(), hh);
    return t;
  }
};

LastMonth PreviousMonth() {
  using namespace std::chrono;
  const year_month_day today{floor<days>(system_clock::now())};
  const year_month last = year_month{today.year(), today.month()} - months(1);
  char p[16];
  std::snprintf(p, sizeof p, "%04d-%02u", static_cast<int>(last.year()), static_cast<unsigned>(last.month()));
  return {p};
}

}  // namespace

TEST_CASE("an example built against the installed SDK runs against gaond", "[install]") {
  const std::string work = GAON_SDK_INSTALL_WORK;
  auto c = TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE",
                                      TestCloud::FleetFile("groups:\n" +
                                                           TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 1))}}});
  const std::string t = c->CreateTenant("acme");
  const std::string env = "GAON_ENDPOINT=http://" + c->address() + " GAON_API_KEY=" + c->CreateKey(t, "tenant-admin") +
                          " GAON_TENANT=" + t + " XDG_CONFIG_HOME=" + MakeTempDir("sdk-example-config");

  const Run types = Example(work + "/examples-cmake/list_instance_types", "h100-80gb-sxm", env);
  INFO(types.out);
  CHECK(types.code == 0);
  CHECK(types.out.find("gpu.h100.1x") != std::string::npos);

  const Run launched = Example(work + "/examples-pkgconfig/launch_instance", "smoke --delete", env);
  INFO(launched.out);
  CHECK(launched.code == 0);
  CHECK(launched.out.find("is Running on") != std::string::npos);
  CHECK(launched.out.find("deleted") != std::string::npos);

  const Run watched = Example(work + "/examples-cmake/watch_instances", "2", env);
  INFO(watched.out);
  CHECK(watched.code == 0);
  CHECK(watched.out.find("Pending") != std::string::npos);
  CHECK(watched.out.find("-> Running") != std::string::npos);

  const Run refused = Example(work + "/examples-cmake/launch_instance", "bad --delete",
                              env + " GAON_API_KEY=gaon_sk_nope");
  CHECK(refused.code == 1);
  CHECK(refused.out.find("UNAUTHENTICATED") != std::string::npos);
}

TEST_CASE("the endpoint and cost-export examples built against the installed SDK run against gaond", "[install]") {
  const std::string work = GAON_SDK_INSTALL_WORK;
  auto c = TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE",
                                      TestCloud::FleetFile("groups:\n" + TestCloud::FleetGroup("kr-central-1a",
                                                                                               "h100-80gb-sxm", 1))},
                                     {"GAON_SIM_REPLICA_START_TIME", "0s"},
                                     {"GAON_SIM_MODEL_LOAD_TIME_PER_BILLION", "0s"}}});
  const std::string t = c->CreateTenant("acme");
  const std::string base = "GAON_ENDPOINT=http://" + c->address() + " GAON_TENANT=" + t +
                           " XDG_CONFIG_HOME=" + MakeTempDir("sdk-example-config");
  const std::string env = base + " GAON_API_KEY=" + c->CreateKey(t, "tenant-admin");

  // deploy_endpoint: deploy, Ready, one chat answer, delete.
  const Run deployed = Example(work + "/examples-cmake/deploy_endpoint", "chat exaone-3.5-2.4b-instruct --delete", env);
  INFO(deployed.out);
  CHECK(deployed.code == 0);
  CHECK(deployed.out.find("is Ready with") != std::string::npos);
  CHECK(deployed.out.find("tokens: ") != std::string::npos);
  CHECK(deployed.out.find("deleted") != std::string::npos);

  // export_costs: last month's costs into the directory, under the server's name, complete.
  const LastMonth last = PreviousMonth();
  InsertUsageRecord(*c, t, "inst_lastmonth", 2, last.At(8), last.At(20));
  const std::string dir = MakeTempDir("sdk-export-costs");
  const std::string name = "gaon-" + t + "-" + last.period + "-focus.csv";
  const Run exported = Example(work + "/examples-pkgconfig/export_costs", "focus " + dir, env);
  INFO(exported.out);
  CHECK(exported.code == 0);
  CHECK(exported.out.find("wrote " + dir + "/" + name) != std::string::npos);
  CHECK(FilesIn(dir) == std::set<std::string>{name});  // and no temporary file left
  const std::string focus = Slurp(dir + "/" + name);
  CHECK(focus.rfind("AvailabilityZone,BilledCost,", 0) == 0);
  CHECK(focus.find("inst_lastmonth") != std::string::npos);

  // A key that may not read billing: an error, and nothing is left in the directory.
  const std::string refused_dir = MakeTempDir("sdk-export-refused");
  const Run refused =
      Example(work + "/examples-cmake/export_costs", "csv " + refused_dir, base + " GAON_API_KEY=" + c->CreateKey(t, "tenant-member"));
  CHECK(refused.code == 1);
  CHECK(refused.out.find("PERMISSION_DENIED") != std::string::npos);
  CHECK(FilesIn(refused_dir).empty());
}
