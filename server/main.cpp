// gaond: Gaon's one binary. Reads the configuration, wires the modules, runs the roles.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "api/app.h"
#include "api/http/server.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "storage/database.h"
#include "storage/migrations.h"

namespace gaon {
namespace {

constexpr const char* kVersion = "0.1.0";

int Fail(const Status& s) {
  LogError("gaond failed", {{"error", s.ToString()}});
  std::fprintf(stderr, "gaond: %s\n", s.message().c_str());
  return 1;
}

StatusOr<Config> Load(const std::string& path) {
  auto config = LoadConfig(path, ProcessEnvironment());
  if (!config.ok()) return config.status();
  LogLevel level;
  if (ParseLogLevel(config->log.level, &level)) SetLogLevel(level);
  return config;
}

StatusOr<std::vector<storage::Migration>> Migrations(const Config& c) {
  if (c.database.migrations_dir.empty()) return storage::EmbeddedMigrations();
  return storage::LoadMigrationsFromDir(c.database.migrations_dir);
}

int RunMigrate(const std::string& config_path) {
  auto config = Load(config_path);
  if (!config.ok()) return Fail(config.status());
  if (config->database.owner_url.empty()) return Fail(InvalidArgument("database.url (or database.owner_url) is not set"));
  auto migrations = Migrations(*config);
  if (!migrations.ok()) return Fail(migrations.status());
  auto result = storage::Migrate(config->database.owner_url, *migrations);
  if (!result.ok()) return Fail(result.status());
  LogInfo("schema is current", {{"version", result->current},
                                {"applied", static_cast<std::int64_t>(result->applied.size())}});
  return 0;
}

// Waits for the database to answer, then checks that its schema is the one we expect.
Status WaitForSchema(storage::Database& db, const std::vector<storage::Migration>& migrations) {
  Status s;
  for (int attempt = 0; attempt < 30; ++attempt) {
    s = storage::CheckSchema(db, migrations);
    if (s.code() != StatusCode::kUnavailable) return s;
    LogWarn("waiting for the database", {{"error", s.message()}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return s;
}

int RunServe(const std::string& config_path, const std::string& roles) {
  if (roles != "all" && roles != "api" && roles != "controllers" && roles != "api,controllers" &&
      roles != "controllers,api") {
    return Fail(InvalidArgument("--roles must be all, api, controllers or api,controllers"));
  }
  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = Load(config_path);
  if (!config.ok()) return Fail(config.status());
  auto migrations = Migrations(*config);
  if (!migrations.ok()) return Fail(migrations.status());
  if (config->database.migrate_on_start) {
    auto result = storage::Migrate(config->database.owner_url, *migrations);
    if (!result.ok()) return Fail(result.status());
  }

  MetricsRegistry metrics;
  auto db = storage::Database::Create(config->database, &metrics);
  if (!db.ok()) return Fail(db.status());
  Status schema = WaitForSchema(**db, *migrations);
  if (!schema.ok()) return Fail(schema);

  api::Services services{&*config, db->get(), &metrics, &*migrations};
  const int workers = config->server.workers > 0 ? config->server.workers : config->database.pool_size;
  api::App app(services, workers);
  auto server = http::HttpServer::Create(config->server, &app);
  if (!server.ok()) return Fail(server.status());
  metrics.AddCallbackGauge("gaon_http_in_flight_requests", "Requests read and not yet answered.",
                           [s = server->get()] { return static_cast<double>(s->in_flight()); });
  metrics.AddCallbackGauge("gaon_http_open_connections", "Open client connections.",
                           [s = server->get()] { return static_cast<double>(s->open_connections()); });
  (*server)->Start();
  const std::string scheme = (*server)->tls() ? "https" : "http";
  LogInfo("gaond serving", {{"address", (*server)->address()},
                            {"url", scheme + "://" + (*server)->address()},
                            {"roles", roles},
                            {"version", kVersion},
                            {"workers", workers}});
  if (!config->server.ready_file.empty()) {
    const std::string tmp = config->server.ready_file + ".tmp";
    std::ofstream(tmp) << (*server)->address() << "\n";
    std::rename(tmp.c_str(), config->server.ready_file.c_str());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  LogInfo("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"},
                            {"in_flight", (*server)->in_flight()},
                            {"deadline_ms", static_cast<std::int64_t>(config->server.shutdown_timeout.count())}});
  (*server)->Shutdown(config->server.shutdown_timeout);
  app.Stop();
  server->reset();
  (*db)->Close();
  LogInfo("gaond stopped");
  return 0;
}

void PrintConfigKeys() {
  std::printf("| key | environment | type | default | description |\n|---|---|---|---|---|\n");
  for (const auto& k : ConfigKeys()) {
    std::printf("| `%s` | `%s` | %s | %s | %s |\n", k.key.c_str(), k.env.c_str(), k.type.c_str(),
                k.default_value.empty() ? "" : ("`" + k.default_value + "`").c_str(), k.description.c_str());
  }
}

}  // namespace
}  // namespace gaon

int main(int argc, char** argv) {
  using namespace gaon;
  CLI::App cli{"gaond — the Gaon control plane: REST API and controllers for a sovereign GPU cloud.\n"
               "Configuration: a YAML file (--config) whose every key can be overridden by an\n"
               "environment variable GAON_<KEY> (e.g. GAON_DATABASE_URL); see `gaond config`."};
  cli.require_subcommand(1);
  std::string config_path;
  std::string roles = "all";

  auto* serve = cli.add_subcommand("serve", "Run the HTTP API (and, from the controllers issue on, the controllers).\n"
                                            "Example: gaond serve --config deploy/gaon.example.yaml");
  serve->add_option("-c,--config", config_path, "YAML configuration file")->envname("GAON_CONFIG");
  serve->add_option("--roles", roles, "Which roles to run: all, api or controllers")->capture_default_str();

  auto* migrate = cli.add_subcommand("migrate", "Apply pending schema migrations as the schema owner and exit.\n"
                                                "Example: GAON_DATABASE_OWNER_URL=postgresql://... gaond migrate");
  migrate->add_option("-c,--config", config_path, "YAML configuration file")->envname("GAON_CONFIG");

  auto* version = cli.add_subcommand("version", "Print the version and the schema version this binary expects.");

  auto* config = cli.add_subcommand("config", "Print every configuration key, or check a configuration file.\n"
                                              "Example: gaond config --check --config gaon.yaml");
  bool check = false;
  config->add_option("-c,--config", config_path, "YAML configuration file to check")->envname("GAON_CONFIG");
  config->add_flag("--check", check, "Validate --config and the GAON_* environment, then exit");

  CLI11_PARSE(cli, argc, argv);

  if (*version) {
    const auto& m = storage::EmbeddedMigrations();
    std::printf("gaond %s (schema %d)\n", kVersion, m.empty() ? 0 : m.back().version);
    return 0;
  }
  if (*config) {
    if (!check) {
      PrintConfigKeys();
      return 0;
    }
    auto loaded = LoadConfig(config_path, ProcessEnvironment());
    if (!loaded.ok()) {
      std::fprintf(stderr, "gaond: %s\n", loaded.status().message().c_str());
      return 1;
    }
    std::printf("configuration is valid\n");
    return 0;
  }
  if (*migrate) return RunMigrate(config_path);
  return RunServe(config_path, roles);
}
