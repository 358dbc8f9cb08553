// gaond's configuration: one YAML file, every key overridable by an environment variable.
//
// Every key is declared once, in the table in config.cpp, with its type, default, bounds and
// description; the loader, the environment overrides, `gaond config` (which prints the table)
// and the README's key list all come from that table. Unknown keys and bad values are
// rejected with a message that names the key.
// Thread-safety: a Config is a plain value; share it read-only after loading.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gaon/status.h"

namespace gaon {

struct TlsConfig {
  std::string cert_file;  // PEM chain; TLS is on when both files are set
  std::string key_file;
  bool enabled() const { return !cert_file.empty() && !key_file.empty(); }
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  int io_threads = 0;                      // 0 = number of cores
  int workers = 0;                         // threads running handlers; 0 = database.pool_size
  int max_connections = 10000;
  std::int64_t max_header_bytes = 16 * 1024;
  std::int64_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds shutdown_timeout{15000};
  std::string ready_file;  // when set, the bound address is written here once listening
  std::string public_url;  // how clients reach this API ("https://api.gaon.example.kr"); empty: the Host they used
  int max_streams = 256;   // concurrent streamed responses (watches, exports)
  std::chrono::milliseconds max_stream_duration{30 * 60 * 1000};
  TlsConfig tls;
};

struct DatabaseConfig {
  std::string url;          // application role (non-owner; row-level security applies)
  std::string owner_url;    // schema owner, used by `gaond migrate`; defaults to url
  int pool_size = 8;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds checkout_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::milliseconds health_check_idle{10000};
  int max_tx_attempts = 8;
  // Group commit (storage::TxOptions::group): most transactions sharing one COMMIT (1: none
  // shared), and most such groups running at once (0: half of pool_size, at least one).
  int group_size = 8;
  int group_leaders = 0;
  // group_leaders with its default applied.
  int GroupLeaders() const { return group_leaders > 0 ? group_leaders : std::max(1, pool_size / 2); }
  bool migrate_on_start = false;
  std::string migrations_dir;  // empty = the migrations compiled into gaond
};

struct AuthConfig {
  std::chrono::milliseconds session_ttl{12 * 3600 * 1000};         // absolute session lifetime
  std::chrono::milliseconds session_idle_timeout{2 * 3600 * 1000};  // without requests
  int argon2_memory_kib = 19456;
  int argon2_iterations = 2;
  int login_free_failures = 5;  // failures before logins are slowed down
  std::chrono::milliseconds login_base_delay{1000};
  std::chrono::milliseconds login_max_delay{15 * 60 * 1000};
};

struct RateLimitConfig {
  bool enabled = true;
  int requests_per_second = 50;  // per principal, sustained
  int burst = 100;               // per principal, bucket size
};

struct QuotaDefaults {
  std::int64_t instances = 20;
  std::int64_t gpus = 16;
  std::int64_t vcpus = 512;
  std::int64_t memory_gib = 4096;
  std::int64_t endpoints = 5;
};

// A duration drawn uniformly from [min, max] ("2s", or "1s..5s").
struct DurationRange {
  std::chrono::milliseconds min{0};
  std::chrono::milliseconds max{0};
};

struct ControllerConfig {
  int workers = 8;                                      // reconciles running at once, per kind
  std::chrono::milliseconds resync_interval{30000};     // full pass that catches missed changes
  std::chrono::milliseconds lease_duration{10000};      // leader lease; renewed every third of it
  std::chrono::milliseconds retry_max_delay{60000};     // cap of the per-key error backoff
  std::chrono::milliseconds node_timeout{15000};        // heartbeat age that marks a node Down
  int schedule_batch = 500;                             // instances placed per scheduler transaction
  std::string driver = "sim";
  // Endpoints (docs/endpoints.md): how often a serving endpoint's load is sampled, the
  // windows the autoscaler averages it over, and how many replicas of a new revision may fail
  // to become ready before the rollout is rolled back.
  std::chrono::milliseconds autoscale_interval{2000};
  std::chrono::milliseconds autoscale_stable_window{60000};
  std::chrono::milliseconds autoscale_panic_window{6000};
  int rollout_failure_limit = 2;
  // How often the billing pass finalizes due invoices and raises budget alerts.
  std::chrono::milliseconds billing_interval{60000};
};

struct SimConfig {
  std::string fleet_file;                         // the simulated GPU hosts (deploy/fleet.yaml)
  DurationRange provision_time;                   // create → running
  DurationRange boot_time;                        // start / reboot → running
  int failure_percent = 0;                        // provisioning attempts that fail
  DurationRange replica_start_time{std::chrono::seconds(5), std::chrono::seconds(5)};  // runtime start, before the weights load
  std::chrono::milliseconds model_load_time_per_billion{1000};  // weight loading, per billion parameters
  std::chrono::milliseconds replica_crash_interval{0};          // mean time between crashes of a ready replica; 0: never
};

struct LogConfig {
  std::string level = "info";  // debug | info | warn | error
  bool access = true;          // one line per HTTP request
};

struct Config {
  ServerConfig server;
  DatabaseConfig database;
  AuthConfig auth;
  RateLimitConfig rate_limit;
  std::chrono::milliseconds idempotency_ttl{24 * 3600 * 1000};
  std::chrono::milliseconds change_retention{24 * 3600 * 1000};  // how far back a watch can resume
  std::string catalog_file;  // the region and its catalog, loaded at start
  // How long after a month ends usage events for it are still taken (docs/billing.md).
  std::chrono::milliseconds billing_grace_period{3 * 24 * 3600 * 1000};
  QuotaDefaults quota_defaults;
  ControllerConfig controller;
  SimConfig sim;
  LogConfig log;
};

// One configuration key, as documented.
struct ConfigKey {
  std::string key;          // "server.listen"
  std::string env;          // "GAON_SERVER_LISTEN"
  std::string type;         // "string", "int", "bool", "duration", "bytes", "one of: a, b"
  std::string default_value;
  std::string description;
};

// All keys, in documentation order.
const std::vector<ConfigKey>& ConfigKeys();

// Loads `path` (may be empty: defaults only), then applies GAON_* environment overrides from
// `env` (normally the process environment). InvalidArgument naming the key on unknown keys,
// malformed YAML or bad values.
StatusOr<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env);
// The process environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

// "30s", "250ms", "5m", "1h", "2d" → duration. InvalidArgument otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "16KiB", "1MiB", "512" (bytes) → byte count.
StatusOr<std::int64_t> ParseBytes(const std::string& text);

}  // namespace gaon
