#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "tests/support/gaond_process.h"

using namespace gaon;

namespace {

std::string WriteYaml(const std::string& text) {
  const std::string dir = test::MakeTempDir("config");
  const std::string path = dir + "/gaon.yaml";
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("config loads YAML values over the defaults", "[config]") {
  auto path = WriteYaml(R"(
server:
  listen: 0.0.0.0:9000
  max_body_bytes: 2MiB
  read_timeout: 250ms
  tls:
    cert_file: /tmp/cert.pem
database:
  url: postgresql://a@b/c
  pool_size: 3
log:
  level: debug
  access: false
)");
  auto c = LoadConfig(path, {});
  REQUIRE(c.ok());
  CHECK(c->server.listen == "0.0.0.0:9000");
  CHECK(c->server.max_body_bytes == 2 * 1024 * 1024);
  CHECK(c->server.read_timeout == std::chrono::milliseconds(250));
  CHECK(c->server.tls.cert_file == "/tmp/cert.pem");
  CHECK(c->database.pool_size == 3);
  CHECK(c->database.owner_url == "postgresql://a@b/c");  // defaults to url
  CHECK(c->log.level == "debug");
  CHECK_FALSE(c->log.access);
  CHECK(c->server.max_header_bytes == 16 * 1024);  // untouched default
}

TEST_CASE("environment variables override the file, key by key", "[config]") {
  auto path = WriteYaml("database:\n  pool_size: 3\n  url: file-url\n");
  auto c = LoadConfig(path, {{"GAON_DATABASE_POOL_SIZE", "12"},
                             {"GAON_SERVER_IDLE_TIMEOUT", "2m"},
                             {"GAON_DATABASE_MIGRATE_ON_START", "true"},
                             {"OTHER_THING", "ignored"}});
  REQUIRE(c.ok());
  CHECK(c->database.pool_size == 12);
  CHECK(c->database.url == "file-url");
  CHECK(c->server.idle_timeout == std::chrono::minutes(2));
  CHECK(c->database.migrate_on_start);
}

TEST_CASE("unknown keys are rejected with their name", "[config]") {
  auto path = WriteYaml("server:\n  listen: 127.0.0.1:1\n  liston: 127.0.0.1:2\n");
  auto c = LoadConfig(path, {});
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(c.status().message(), Catch::Contains("server.liston"));
  CHECK_THAT(c.status().message(), Catch::Contains("unknown"));

  auto top = LoadConfig(WriteYaml("databse:\n  url: x\n"), {});
  REQUIRE_FALSE(top.ok());
  CHECK_THAT(top.status().message(), Catch::Contains("databse.url"));
}

TEST_CASE("a misspelled GAON_ variable is rejected with the closest key", "[config]") {
  struct Case {
    std::string name, closest;
  };
  const std::vector<Case> cases = {
      {"GAON_DATABSE_URL", "GAON_DATABASE_URL (database.url)"},             // a typo, in no section
      {"GAON_DATABASE_UR", "GAON_DATABASE_URL (database.url)"},
      {"GAON_LOG_LEVLE", "GAON_LOG_LEVEL (log.level)"},
      {"GAON_SERVER_LISTEN_ADDRESS", "GAON_SERVER_LISTEN (server.listen)"},  // a section's, far from any key
      {"GAON_DATABASE_POOL", "GAON_DATABASE_POOL_SIZE (database.pool_size)"},
      {"GAON_SERVER_TLS_CERT", "GAON_SERVER_TLS_CERT_FILE (server.tls.cert_file)"},
      {"GAON_CONTROLLER_WORKER", "GAON_CONTROLLER_WORKERS (controller.workers)"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = LoadConfig("", {{c.name, "x"}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::StartsWith("environment " + c.name + ":"));
    CHECK_THAT(r.status().message(), Catch::EndsWith("the closest is " + c.closest));
  }
}

TEST_CASE("GAON_ variables of the scripts and tools are not taken for configuration", "[config]") {
  // Every GAON_* name the repository uses that is not a configuration key.
  std::map<std::string, std::string> env;
  for (const char* name :
       {"GAON_API_KEY", "GAON_BENCH_APP_URL", "GAON_BENCH_OWNER_URL", "GAON_BUILD_DIR", "GAON_BUILD_TYPE",
        "GAON_CA_FILE", "GAON_CMAKE_ARGS", "GAON_CONFIG", "GAON_ENDPOINT", "GAON_GAONCTL_PATH", "GAON_GAOND",
        "GAON_GAOND_PATH", "GAON_INSECURE", "GAON_KEY", "GAON_OPERATOR_REASON", "GAON_OUTPUT", "GAON_PEAK_RSS_KB",
        "GAON_PGBIN", "GAON_PG_OS_USER", "GAON_PID", "GAON_POOL", "GAON_PROFILE", "GAON_ROOT", "GAON_SDK_INSTALL_WORK",
        "GAON_TENANT", "GAON_TEST_ADMIN_URL", "GAON_TEST_APP_URL", "GAON_TEST_JOBS", "GAON_TEST_OWNER_URL", "GAON_URL",
        "GAON_WERROR"}) {
    env[name] = "x";
  }
  auto c = LoadConfig("", env);
  INFO(c.status().ToString());
  CHECK(c.ok());
}

TEST_CASE("bad values are rejected with the key and the reason", "[config]") {
  struct Case {
    std::string yaml, key, why;
  };
  const std::vector<Case> cases = {
      {"database:\n  pool_size: many\n", "database.pool_size", "integer"},
      {"database:\n  pool_size: 0\n", "database.pool_size", "between"},
      {"server:\n  read_timeout: 30\n", "server.read_timeout", "unit"},
      {"server:\n  listen: nowhere\n", "server.listen", "host:port"},
      {"server:\n  listen: 127.0.0.1:99999\n", "server.listen", "port"},
      {"server:\n  max_body_bytes: 1TB\n", "server.max_body_bytes", "size"},
      {"log:\n  level: loud\n", "log.level", "one of"},
      {"log:\n  access: maybe\n", "log.access", "true or false"},
      {"server:\n  listen: [a, b]\n", "server.listen", "single value"},
      // A replayed POST must never run twice: keys are kept at least the 24 h clients may retry for.
      {"idempotency:\n  ttl: 1h\n", "idempotency.ttl", "at least 24h"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    auto r = LoadConfig(WriteYaml(c.yaml), {});
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(c.key));
    CHECK_THAT(r.status().message(), Catch::Contains(c.why));
  }
  auto env = LoadConfig("", {{"GAON_SERVER_MAX_CONNECTIONS", "-4"}});
  REQUIRE_FALSE(env.ok());
  CHECK_THAT(env.status().message(), Catch::Contains("GAON_SERVER_MAX_CONNECTIONS"));
}

TEST_CASE("malformed YAML and missing files are clear errors", "[config]") {
  auto bad = LoadConfig(WriteYaml("server: [unclosed\n"), {});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(), Catch::Contains("malformed YAML"));
  auto missing = LoadConfig("/nonexistent/gaon.yaml", {});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("cannot read"));
}

TEST_CASE("every key is documented and overridable from a GAON_ variable", "[config]") {
  for (const auto& k : ConfigKeys()) {
    INFO(k.key);
    CHECK_FALSE(k.description.empty());
    CHECK(k.env.rfind("GAON_", 0) == 0);
  }
  CHECK(ParseDuration("1h").value() == std::chrono::hours(1));
  CHECK(ParseBytes("16KiB").value() == 16384);
}

TEST_CASE("the example configuration in deploy/ is valid", "[config]") {
  for (const char* f : {"/deploy/gaon.example.yaml", "/deploy/gaon.dev.yaml"}) {
    INFO(f);
    auto c = LoadConfig(std::string(GAON_SOURCE_DIR) + f, {});
    CHECK(c.ok());
  }
}

namespace {

struct ExampleValue {
  std::string value;    // as written, without quotes
  std::string comment;  // the comment on the same line, if any
};

// The keys of a YAML file as simple as deploy/gaon.example.yaml (nested mappings of
// scalars, two-space indents), each with its value and same-line comment: the comments are
// what yaml-cpp would drop.
std::map<std::string, ExampleValue> ReadExample(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, ExampleValue> out;
  std::vector<std::pair<std::size_t, std::string>> parents;  // indent, name
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    const std::size_t colon = line.find(':', indent);
    REQUIRE(colon != std::string::npos);
    while (!parents.empty() && parents.back().first >= indent) parents.pop_back();
    std::string key;
    for (const auto& p : parents) key += p.second + ".";
    key += line.substr(indent, colon - indent);
    std::string rest = line.substr(colon + 1);
    ExampleValue v;
    if (const auto hash = rest.find(" #"); hash != std::string::npos) {
      v.comment = rest.substr(hash + 2);
      rest = rest.substr(0, hash);
    }
    rest.erase(0, rest.find_first_not_of(' '));
    rest.erase(rest.find_last_not_of(' ') + 1);
    if (rest.empty()) {
      parents.emplace_back(indent, line.substr(indent, colon - indent));
      continue;
    }
    v.value = rest == "\"\"" ? "" : rest;
    out[key] = v;
  }
  return out;
}

}  // namespace

TEST_CASE("the example configuration lists every key with its default or marks the example", "[config][docs]") {
  const auto example = ReadExample(std::string(GAON_SOURCE_DIR) + "/deploy/gaon.example.yaml");
  for (const auto& k : ConfigKeys()) {
    INFO(k.key);
    const auto it = example.find(k.key);
    if (it == example.end()) {
      FAIL_CHECK("the example lacks " << k.key);
      continue;
    }
    if (it->second.value != k.default_value) {
      // A deliberate example says so on its line.
      CHECK_THAT(it->second.comment, Catch::StartsWith(" example value"));
    } else {
      CHECK_THAT(it->second.comment, !Catch::Contains("example value"));
    }
  }
  CHECK(example.size() == ConfigKeys().size());
}

TEST_CASE("README.md documents every configuration key", "[config][docs]") {
  std::ifstream in(std::string(GAON_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& k : ConfigKeys()) {
    INFO(k.key);
    CHECK(readme.find("`" + k.key + "`") != std::string::npos);
    CHECK(readme.find("`" + k.env + "`") != std::string::npos);
  }
}
