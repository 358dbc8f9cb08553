// gaond: Gaon's one binary. Reads the configuration, wires the modules, runs the roles.
#include <CLI/CLI.hpp>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "api/app.h"
#include "api/catalog_cache.h"
#include "api/auth.h"
#include "api/http/server.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "controller/manager.h"
#include "controller/sim_driver.h"
#include "core/catalog_loader.h"
#include "core/fleet_loader.h"
#include "storage/audit.h"
#include "storage/catalog.h"
#include "storage/change_feed.h"
#include "storage/changes.h"
#include "storage/idempotency.h"
#include "storage/credentials.h"
#include "storage/database.h"
#include "storage/migrations.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

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

// A thread running `body` that can be told to stop: the body sleeps in WaitForStop(), which
// returns true once the owner is being destroyed. The destructor stops and joins it.
class StoppableThread {
 public:
  explicit StoppableThread(std::function<void(StoppableThread&)> body)
      : thread_([this, body = std::move(body)] { body(*this); }) {}
  ~StoppableThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Sleeps up to `d`; true when the thread must stop.
  bool WaitForStop(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [this] { return stop_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

// Housekeeping that keeps tables from growing without bound: expired idempotency keys, stale
// login-failure counters and old change records. Runs every `interval` until destroyed.
class Maintenance {
 public:
  Maintenance(storage::Database& db, std::chrono::milliseconds interval, std::chrono::milliseconds change_retention)
      : db_(db), interval_(interval), change_retention_(change_retention), thread_([this](StoppableThread& t) {
          while (!t.WaitForStop(interval_)) RunOnce();
        }) {}

 private:
  void RunOnce() {
    std::int64_t keys = 0, failures = 0, changes = 0;
    const Status s = db_.Transact({.platform = true, .name = "maintenance"}, [&](storage::Tx& tx) -> Status {
      ASSIGN_OR_RETURN(keys, storage::PurgeExpiredIdempotencyKeys(tx));
      ASSIGN_OR_RETURN(failures, storage::PurgeLoginFailures(tx));
      ASSIGN_OR_RETURN(changes, storage::PurgeChanges(tx, Now() - std::chrono::duration_cast<std::chrono::microseconds>(
                                                                         change_retention_)));
      return Status::Ok();
    });
    if (!s.ok()) {
      LogWarn("maintenance failed", {{"error", s.ToString()}});
    } else if (keys + failures + changes > 0) {
      LogInfo("maintenance", {{"idempotency_keys_purged", keys}, {"login_failures_purged", failures},
                              {"changes_purged", changes}});
    }
  }
  storage::Database& db_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds change_retention_;
  StoppableThread thread_;
};

// Bounds a shutdown that server.shutdown_timeout alone cannot: a handler blocked in the
// database would otherwise keep gaond alive for statement_timeout × max_tx_attempts. At
// `deadline` after construction it interrupts the database pool — running statements are
// cancelled, their transactions roll back, every later one fails at once with 503
// shutting_down — and logs what it abandoned. If gaond has still not stopped `grace` after
// that, it logs and exits at once (status 1). Destroying it disarms it.
class ShutdownDeadline {
 public:
  ShutdownDeadline(std::chrono::milliseconds deadline, std::chrono::milliseconds grace, storage::Database& db,
                   std::function<int()> in_flight)
      : deadline_(deadline), grace_(grace), db_(db), in_flight_(std::move(in_flight)),
        thread_([this](StoppableThread& t) { Run(t); }) {}

 private:
  void Run(StoppableThread& t) {
    if (t.WaitForStop(deadline_)) return;
    const int requests = in_flight_();
    const int transactions = db_.Interrupt(grace_ / 2);
    LogWarn("shutdown deadline passed: abandoning the work still running",
            {{"requests_in_flight", requests},
             {"database_transactions_cancelled", transactions},
             {"deadline_ms", static_cast<std::int64_t>(deadline_.count())}});
    if (t.WaitForStop(grace_)) return;
    LogError("gaond did not stop after its shutdown deadline; exiting with work still running",
             {{"requests_in_flight", in_flight_()}, {"database_connections_in_use", db_.Stats().in_use}});
    FlushLogs();
    std::_Exit(1);
  }
  std::chrono::milliseconds deadline_, grace_;
  storage::Database& db_;
  std::function<int()> in_flight_;
  StoppableThread thread_;
};

// How long gaond may take, after its shutdown deadline, to unwind the work it cancelled.
constexpr std::chrono::milliseconds kShutdownGrace{2000};

// The simulated fleet, checked against the catalog: every host's zone and GPU type must exist.
StatusOr<std::vector<FleetHost>> LoadCheckedFleet(const Config& config, const std::optional<Catalog>& catalog) {
  if (config.sim.fleet_file.empty()) {
    LogWarn("no sim.fleet_file configured: the simulated fleet has no hosts");
    return std::vector<FleetHost>();
  }
  ASSIGN_OR_RETURN(auto fleet, LoadFleet(config.sim.fleet_file));
  if (catalog) {
    for (const auto& h : fleet) {
      const bool zone = std::any_of(catalog->region.zones.begin(), catalog->region.zones.end(),
                                    [&](const Zone& z) { return z.id == h.zone; });
      const bool gpu = std::any_of(catalog->gpu_types.begin(), catalog->gpu_types.end(),
                                   [&](const GpuType& g) { return g.id == h.gpu_type; });
      if (!zone || !gpu) {
        return InvalidArgument("fleet: host " + h.id + ": " + (zone ? "GPU type " + h.gpu_type : "zone " + h.zone) +
                                   " is not in the catalog",
                               "invalid_fleet");
      }
    }
  }
  return fleet;
}

int RunServe(const std::string& config_path, const std::string& roles) {
  const bool api_role = roles == "all" || roles == "api" || roles == "api,controllers" || roles == "controllers,api";
  const bool controller_role =
      roles == "all" || roles == "controllers" || roles == "api,controllers" || roles == "controllers,api";
  if (!api_role && !controller_role) {
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

  std::optional<Catalog> loaded_catalog;
  if (!config->catalog_file.empty()) {
    auto catalog = LoadCatalog(config->catalog_file);
    if (!catalog.ok()) return Fail(catalog.status());
    loaded_catalog = *catalog;
    const Status loaded = (*db)->Transact({.platform = true, .name = "catalog.load"}, [&](storage::Tx& tx) {
      return storage::UpsertCatalog(tx, *catalog);
    });
    if (!loaded.ok()) return Fail(loaded);
    LogInfo("catalog loaded", {{"file", config->catalog_file},
                               {"region", catalog->region.id},
                               {"instance_types", static_cast<std::int64_t>(catalog->instance_types.size())}});
  } else {
    LogWarn("no catalog.file configured: the region offers nothing until one is loaded");
  }
  storage::ChangeFeed feed(config->database);
  api::CatalogCache catalog;
  api::Services services{&*config, db->get(), &metrics, &*migrations, &feed, &catalog, api_role};
  std::unique_ptr<controller::Driver> driver;
  std::unique_ptr<controller::Manager> controllers;
  if (controller_role) {
    auto fleet = LoadCheckedFleet(*config, loaded_catalog);
    if (!fleet.ok()) return Fail(fleet.status());
    driver = std::make_unique<controller::SimDriver>(**db, std::move(*fleet), config->sim);
    controllers = std::make_unique<controller::Manager>(**db, feed, *driver, config->controller,
                                                        config->billing_grace_period, metrics);
  }
  const int workers = config->server.workers > 0 ? config->server.workers : config->database.pool_size;
  api::App app(services, workers);
  auto server = http::HttpServer::Create(config->server, &app);
  if (!server.ok()) return Fail(server.status());
  metrics.AddCallbackGauge("gaon_http_in_flight_requests", "Requests read and not yet answered.",
                           [s = server->get()] { return static_cast<double>(s->in_flight()); });
  metrics.AddCallbackGauge("gaon_http_open_connections", "Open client connections.",
                           [s = server->get()] { return static_cast<double>(s->open_connections()); });
  (*server)->Start();
  if (controllers) controllers->Start();
  std::optional<Maintenance> maintenance;
  maintenance.emplace(**db, std::chrono::minutes(10), config->change_retention);
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
  {
    ShutdownDeadline deadline(config->server.shutdown_timeout, kShutdownGrace, **db,
                              [s = server->get()] { return s->in_flight(); });
    (*server)->Shutdown(config->server.shutdown_timeout, kShutdownGrace / 2);
    if (controllers) controllers->Stop();
    feed.Stop();
    app.Stop();
    maintenance.reset();
  }
  server->reset();
  (*db)->Close();
  LogInfo("gaond stopped");
  return 0;
}

// Creates an operator API key: the first credential of a new deployment. Prints the secret
// once and, with --output, writes it to a file only its owner can read.
int RunBootstrap(const std::string& config_path, const std::string& name, const std::string& output) {
  auto config = Load(config_path);
  if (!config.ok()) return Fail(config.status());
  auto db = storage::Database::Create(config->database, nullptr);
  if (!db.ok()) return Fail(db.status());
  const api::NewKeySecret secret = api::MakeApiKeySecret();
  ApiKey key;
  key.id = secret.id;
  key.name = name;
  key.role = Role::kPlatformAdmin;
  key.created_by = "gaond bootstrap";
  const Status s = (*db)->Transact({.platform = true, .name = "bootstrap"}, [&](storage::Tx& tx) -> Status {
    RETURN_IF_ERROR(storage::InsertApiKey(tx, key, secret.secret_hash).status());
    AuditEvent e;
    e.id = AuditEventId::Generate();
    e.tenant_id = storage::kPlatformChain;
    e.time = Now();
    e.principal = {"system", "gaond-bootstrap", "gaond bootstrap"};
    e.action = "operator_keys.create";
    e.resource_type = "api_key";
    e.resource_id = key.id.str();
    e.outcome = "success";
    e.status = 201;
    e.changes = boost::json::object{{"name", name}, {"role", "platform-admin"}};
    return storage::AppendAuditEvent(tx, e);
  });
  if (!s.ok()) return Fail(s);
  if (!output.empty()) {
    const std::string tmp = output + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return Fail(InvalidArgument("cannot write " + output));
    const std::string line = secret.token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::fchmod(fd, 0600);
    ::close(fd);
    if (!written || std::rename(tmp.c_str(), output.c_str()) != 0) return Fail(InvalidArgument("cannot write " + output));
  }
  std::printf("%s\n", secret.token.c_str());
  LogInfo("operator key created", {{"key_id", key.id.str()}, {"name", name}});
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
               "environment variable GAON_<KEY> (e.g. GAON_DATABASE_URL); `gaond config` lists them.\n"
               "Needs PostgreSQL with the schema applied (`gaond migrate`)."};
  cli.require_subcommand(1);
  std::string config_path;
  std::string roles = "all";

  auto* serve = cli.add_subcommand(
      "serve",
      "Serve the REST API and run the controllers (fleet monitor, scheduler,\n"
      "instance and endpoint controllers, billing pass; one replica leads when\n"
      "several run) on the simulated GPU fleet, until SIGTERM or SIGINT.\n"
      "Refuses an outdated schema unless database.migrate_on_start is set.\n"
      "Example: gaond serve --config deploy/gaon.example.yaml");
  serve->add_option("-c,--config", config_path, "YAML configuration file")->envname("GAON_CONFIG");
  serve->add_option("--roles", roles,
                    "all (the API and the controllers), api (the API only), or\n"
                    "controllers (the controllers and only /healthz, /readyz, /metrics)")
      ->capture_default_str();

  auto* migrate = cli.add_subcommand("migrate", "Apply pending schema migrations as the schema owner and exit.\n"
                                                "Example: GAON_DATABASE_OWNER_URL=postgresql://... gaond migrate");
  migrate->add_option("-c,--config", config_path, "YAML configuration file")->envname("GAON_CONFIG");

  auto* bootstrap = cli.add_subcommand("bootstrap",
                                       "Create an operator (platform-admin) API key, the first credential\n"
                                       "of a new deployment; audit it and print it once.\n"
                                       "Example: gaond bootstrap --output operator.key");
  std::string key_name = "bootstrap";
  std::string key_output;
  bootstrap->add_option("-c,--config", config_path, "YAML configuration file")->envname("GAON_CONFIG");
  bootstrap->add_option("--name", key_name, "Name of the key")->capture_default_str();
  bootstrap->add_option("--output", key_output, "Also write the key to this file, mode 0600");

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
  if (*bootstrap) return RunBootstrap(config_path, key_name, key_output);
  return RunServe(config_path, roles);
}
