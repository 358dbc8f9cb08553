// The examples built by install_test.sh against the *installed* SDK (CMake and pkg-config
// builds) run against a real gaond. ctest runs it after the sdk_install fixture only.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
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
