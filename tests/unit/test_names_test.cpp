// The suite's own hygiene: ctest runs each test case by name (catch_discover_tests), and CMake
// splits a name at ';' — such a case would be registered as two names that match nothing and
// "pass" without running. Every TEST_CASE name must therefore be free of ';', and must not
// start with '-': ctest hands the name to the test binary, whose command line reads it as an
// option ("Unrecognised token: --dry-run") and fails without running the case.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

TEST_CASE("no test case name holds a semicolon or starts with a dash, which would keep ctest from running it", "[unit][suite]") {
  int cases = 0;
  const std::string marker = "TEST_CASE(\"", tag = "\"[";
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::filesystem::path(GAON_SOURCE_DIR) / "tests")) {
    if (e.path().extension() != ".cpp") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    for (auto at = s.find(marker); at != std::string::npos; at = s.find(marker, at + 1)) {
      const auto tags = s.find(tag, at);
      REQUIRE(tags != std::string::npos);
      const std::string name = s.substr(at, tags - at);
      INFO(e.path().string() << ": " << name);
      CHECK(name.find(';') == std::string::npos);
      CHECK(name.compare(0, marker.size() + 1, marker + "-") != 0);
      ++cases;
    }
  }
  CHECK(cases > 100);
}
