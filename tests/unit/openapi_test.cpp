#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <set>

#include "api/app.h"
#include "api/router.h"

using namespace gaon;

namespace {

std::set<std::string> SpecOperations(const YAML::Node& spec) {
  std::set<std::string> ops;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      ops.insert(method + " " + path.first.as<std::string>());
    }
  }
  return ops;
}

}  // namespace

TEST_CASE("docs/openapi.yaml documents exactly the routes gaond serves", "[openapi]") {
  const YAML::Node spec = YAML::LoadFile(std::string(GAON_SOURCE_DIR) + "/docs/openapi.yaml");
  REQUIRE(spec["openapi"].as<std::string>().rfind("3.1", 0) == 0);
  api::Router router;
  api::Services services;
  api::RegisterRoutes(router, services);
  std::set<std::string> served;
  for (const auto& r : router.routes()) served.insert(r.method + " " + r.pattern);
  const std::set<std::string> documented = SpecOperations(spec);
  for (const auto& op : served) {
    INFO("served but not in docs/openapi.yaml: " << op);
    CHECK(documented.count(op) == 1);
  }
  for (const auto& op : documented) {
    INFO("in docs/openapi.yaml but not served: " << op);
    CHECK(served.count(op) == 1);
  }
}

TEST_CASE("every documented operation has an id, a summary and responses", "[openapi]") {
  const YAML::Node spec = YAML::LoadFile(std::string(GAON_SOURCE_DIR) + "/docs/openapi.yaml");
  std::set<std::string> ids;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (method == "parameters") continue;
      INFO(method << " " << path.first.as<std::string>());
      REQUIRE(op.second["operationId"]);
      CHECK(ids.insert(op.second["operationId"].as<std::string>()).second);
      CHECK(op.second["summary"]);
      CHECK(op.second["responses"]);
    }
  }
}
