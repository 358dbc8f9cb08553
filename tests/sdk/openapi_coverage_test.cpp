// Every operation of the API contract (docs/openapi.yaml) has a gaon::Client method, but for an
// explicit list of console-only routes that docs/sdk.md names and explains. A route added to the
// contract without its SDK method fails here.
#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::set<std::string> Matches(const std::string& text, const std::regex& re) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[1]);
  return out;
}

// Operations whose method is not operationId with its first letter raised.
const std::map<std::string, std::string> kRenamed = {
    {"verifyTenantAuditChain", "VerifyAuditChain"},
    {"exportBillingAll", "ExportBillingAllTenants"},
};

// Console-only operations, each with the route docs/sdk.md must name: they act on the browser
// session (a cookie and CSRF token), which an SDK caller, holding an API key, does not have.
const std::map<std::string, std::string> kConsoleOnly = {
    {"createSession", "POST /v1/sessions"},
    {"deleteCurrentSession", "DELETE /v1/sessions/current"},
    {"changePassword", "POST /v1/me/password"},
};

}  // namespace

TEST_CASE("every operation in docs/openapi.yaml has an SDK method but the documented console-only ones",
          "[sdk][unit][openapi]") {
  const std::string source = GAON_SOURCE_DIR;
  const auto operations = Matches(Slurp(source + "/docs/openapi.yaml"), std::regex(R"(operationId:\s*(\w+))"));
  REQUIRE(operations.size() > 100);
  const std::string header = Slurp(source + "/sdk/include/gaon/client.h");
  const auto class_start = header.find("class Client {");
  REQUIRE(class_start != std::string::npos);
  const auto methods = Matches(header.substr(class_start), std::regex(R"(\b([A-Z]\w*)\()"));
  const std::string sdk_doc = Slurp(source + "/docs/sdk.md");

  for (const std::string& op : operations) {
    INFO("operationId " << op);
    if (const auto console = kConsoleOnly.find(op); console != kConsoleOnly.end()) {
      CHECK(sdk_doc.find("`" + console->second + "`") != std::string::npos);  // said, with why
      continue;
    }
    const auto renamed = kRenamed.find(op);
    const std::string method =
        renamed != kRenamed.end() ? renamed->second : static_cast<char>(std::toupper(op[0])) + op.substr(1);
    CHECK(methods.count(method) == 1);
  }
  // The lists hold only operations the contract still has.
  for (const auto& [op, method] : kRenamed) CHECK(operations.count(op) == 1);
  for (const auto& [op, route] : kConsoleOnly) CHECK(operations.count(op) == 1);
}
