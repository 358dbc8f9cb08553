// Group commit runs several tenants' requests in one transaction, one savepoint each, and
// before each member sets every request setting again (kRequestSettings in
// storage/database.cpp) so that none carries over from the member before: a tenant, a
// principal, platform access. A setting the list does not name would carry over. This test
// reads the sources for every setting a request can set — set_config('gaon.…') in C++ and SQL,
// TxOptions::settings entries — and fails, naming it, when the list misses one.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("every setting a request can set is reset between the members of a grouped transaction",
          "[unit][group][rls]") {
  const std::filesystem::path root(GAON_SOURCE_DIR);
  const std::string database = Read(root / "storage" / "database.cpp");
  const auto list_at = database.find("kRequestSettings[] = {");
  REQUIRE(list_at != std::string::npos);
  const std::string list = database.substr(list_at, database.find("};", list_at) - list_at);
  std::set<std::string> reset;
  const std::regex quoted("\"(gaon\\.[a-z_]+)\"");
  for (std::sregex_iterator it(list.begin(), list.end(), quoted), end; it != end; ++it) reset.insert((*it)[1]);
  CHECK(reset.count("gaon.tenant_id") == 1);
  CHECK(reset.count("gaon.platform") == 1);

  // set_config('gaon.x', …) in C++ or SQL, and settings.emplace_back("gaon.x", …).
  const std::regex set("set_config\\(\\s*'(gaon\\.[a-z_]+)'|settings\\.emplace_back\\(\\s*\"(gaon\\.[a-z_]+)\"");
  int found = 0;
  for (const char* dir : {"api", "storage", "controller", "server", "core", "migrations"}) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(root / dir)) {
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".h" && ext != ".sql") continue;
      const std::string text = Read(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), set), end; it != end; ++it) {
        const std::string name = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
        INFO(e.path().string() << " sets " << name);
        CHECK(reset.count(name) == 1);
        ++found;
      }
    }
  }
  CHECK(found >= 5);  // the scan does find the settings it is about
}
