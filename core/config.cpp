#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <set>
#include <utility>
#include <string_view>
#include <vector>

extern char** environ;

namespace gaon {
namespace {

using Setter = std::function<Status(Config&, const std::string&)>;

struct KeyDef {
  ConfigKey doc;
  Setter set;
};

std::string EnvName(const std::string& key) {
  std::string env = "GAON_";
  for (char c : key) env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

Status Bad(const std::string& what) { return InvalidArgument(what, "invalid_config"); }

template <typename T>
Setter IntSetter(T Config::*section, int T::*field, int min, int max) {
  return [=](Config& c, const std::string& v) -> Status {
    int n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) return Bad("must be an integer, got '" + v + "'");
    if (n < min || n > max) {
      return Bad("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + v);
    }
    (c.*section).*field = n;
    return Status::Ok();
  };
}

template <typename T>
Setter StringSetter(T Config::*section, std::string T::*field) {
  return [=](Config& c, const std::string& v) -> Status {
    (c.*section).*field = v;
    return Status::Ok();
  };
}

template <typename T>
Setter BoolSetter(T Config::*section, bool T::*field) {
  return [=](Config& c, const std::string& v) -> Status {
    if (v == "true" || v == "yes" || v == "on" || v == "1") {
      (c.*section).*field = true;
    } else if (v == "false" || v == "no" || v == "off" || v == "0") {
      (c.*section).*field = false;
    } else {
      return Bad("must be true or false, got '" + v + "'");
    }
    return Status::Ok();
  };
}

template <typename T>
Setter DurationSetter(T Config::*section, std::chrono::milliseconds T::*field,
                      std::chrono::milliseconds min) {
  return [=](Config& c, const std::string& v) -> Status {
    auto d = ParseDuration(v);
    if (!d.ok()) return d.status();
    if (*d < min) return Bad("must be at least " + std::to_string(min.count()) + "ms, got " + v);
    (c.*section).*field = *d;
    return Status::Ok();
  };
}

template <typename T>
Setter BytesSetter(T Config::*section, std::int64_t T::*field, std::int64_t min) {
  return [=](Config& c, const std::string& v) -> Status {
    auto b = ParseBytes(v);
    if (!b.ok()) return b.status();
    if (*b < min) return Bad("must be at least " + std::to_string(min) + " bytes, got " + v);
    (c.*section).*field = *b;
    return Status::Ok();
  };
}

template <typename T>
Setter EnumSetter(T Config::*section, std::string T::*field, std::vector<std::string> allowed) {
  return [=](Config& c, const std::string& v) -> Status {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Bad("must be one of " + list + ", got '" + v + "'");
    }
    (c.*section).*field = v;
    return Status::Ok();
  };
}

Setter RangeSetter(DurationRange SimConfig::*field) {
  return [=](Config& c, const std::string& v) -> Status {
    const auto dots = v.find("..");
    auto lo = ParseDuration(v.substr(0, dots));
    if (!lo.ok()) return lo.status();
    auto hi = dots == std::string::npos ? lo : ParseDuration(v.substr(dots + 2));
    if (!hi.ok()) return hi.status();
    if (*hi < *lo) return Bad("the range's end is before its start: '" + v + "'");
    c.sim.*field = {*lo, *hi};
    return Status::Ok();
  };
}

Setter QuotaSetter(std::int64_t QuotaDefaults::*field) {
  return [=](Config& c, const std::string& v) -> Status {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < 0) {
      return Bad("must be a non-negative integer, got '" + v + "'");
    }
    c.quota_defaults.*field = n;
    return Status::Ok();
  };
}

Setter ListenSetter() {
  return [](Config& c, const std::string& v) -> Status {
    const auto colon = v.rfind(':');
    if (colon == std::string::npos || colon == 0) return Bad("must be host:port, got '" + v + "'");
    int port = -1;
    const std::string p = v.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port < 0 || port > 65535) {
      return Bad("port must be 0..65535, got '" + p + "'");
    }
    c.server.listen = v;
    return Status::Ok();
  };
}

const std::vector<KeyDef>& Defs() {
  using std::chrono::milliseconds;
  static const std::vector<KeyDef> defs = [] {
    std::vector<KeyDef> d;
    auto add = [&](std::string key, std::string type, std::string def, std::string desc, Setter s) {
      d.push_back({{key, EnvName(key), std::move(type), std::move(def), std::move(desc)}, std::move(s)});
    };
    add("server.listen", "host:port", "127.0.0.1:8080",
        "Address the HTTP API listens on; port 0 picks a free port.", ListenSetter());
    add("server.io_threads", "int", "0", "HTTP I/O threads; 0 means one per core.",
        IntSetter(&Config::server, &ServerConfig::io_threads, 0, 256));
    add("server.workers", "int", "0",
        "Threads that run handlers touching the database; 0 means database.pool_size.",
        IntSetter(&Config::server, &ServerConfig::workers, 0, 1024));
    add("server.max_connections", "int", "10000",
        "Open connections beyond this are answered 503 and closed.",
        IntSetter(&Config::server, &ServerConfig::max_connections, 1, 1000000));
    add("server.max_header_bytes", "bytes", "16KiB", "Largest request head; larger gets 431.",
        BytesSetter(&Config::server, &ServerConfig::max_header_bytes, 1024));
    add("server.max_body_bytes", "bytes", "1MiB", "Largest request body; larger gets 413.",
        BytesSetter(&Config::server, &ServerConfig::max_body_bytes, 1024));
    add("server.read_timeout", "duration", "30s", "Time allowed to receive one whole request.",
        DurationSetter(&Config::server, &ServerConfig::read_timeout, milliseconds(10)));
    add("server.idle_timeout", "duration", "60s", "Keep-alive connections idle this long are closed.",
        DurationSetter(&Config::server, &ServerConfig::idle_timeout, milliseconds(10)));
    add("server.shutdown_timeout", "duration", "15s",
        "On SIGTERM/SIGINT, how long in-flight requests may take to finish; then their database work is "
        "cancelled (rolled back) and gaond exits.",
        DurationSetter(&Config::server, &ServerConfig::shutdown_timeout, milliseconds(0)));
    add("server.ready_file", "path", "",
        "When set, gaond writes its bound address (host:port) here once it accepts requests.",
        StringSetter(&Config::server, &ServerConfig::ready_file));
    add("server.public_url", "url", "",
        "How clients reach this API (e.g. https://api.gaon.example.kr), used in the URLs Gaon hands out such as "
        "an endpoint's; empty: the scheme and Host header of the request.",
        StringSetter(&Config::server, &ServerConfig::public_url));
    add("server.max_streams", "int", "256",
        "Most streamed responses (watches, exports) at once; more are answered 503.",
        IntSetter(&Config::server, &ServerConfig::max_streams, 1, 100000));
    add("server.max_stream_duration", "duration", "30m",
        "A watch ends after this long; clients reconnect with Last-Event-ID and are authenticated again.",
        DurationSetter(&Config::server, &ServerConfig::max_stream_duration, milliseconds(1000)));
    add("server.tls.cert_file", "path", "", "PEM certificate chain; TLS (1.2+) is on when both files are set.",
        [](Config& c, const std::string& v) { c.server.tls.cert_file = v; return Status::Ok(); });
    add("server.tls.key_file", "path", "", "PEM private key for server.tls.cert_file.",
        [](Config& c, const std::string& v) { c.server.tls.key_file = v; return Status::Ok(); });
    add("database.url", "string", "",
        "libpq connection string or URI for the application role (row-level security applies).",
        StringSetter(&Config::database, &DatabaseConfig::url));
    add("database.owner_url", "string", "",
        "Connection for the schema owner role, used by migrations; defaults to database.url.",
        StringSetter(&Config::database, &DatabaseConfig::owner_url));
    add("database.pool_size", "int", "8", "Most connections the pool opens.",
        IntSetter(&Config::database, &DatabaseConfig::pool_size, 1, 1000));
    add("database.connect_timeout", "duration", "5s", "Timeout for opening one connection.",
        DurationSetter(&Config::database, &DatabaseConfig::connect_timeout, milliseconds(100)));
    add("database.checkout_timeout", "duration", "5s",
        "How long a request waits for a free connection before answering 503.",
        DurationSetter(&Config::database, &DatabaseConfig::checkout_timeout, milliseconds(1)));
    add("database.statement_timeout", "duration", "30s", "PostgreSQL statement_timeout per connection.",
        DurationSetter(&Config::database, &DatabaseConfig::statement_timeout, milliseconds(1)));
    add("database.health_check_idle", "duration", "10s",
        "A connection idle this long is pinged before it is handed out.",
        DurationSetter(&Config::database, &DatabaseConfig::health_check_idle, milliseconds(0)));
    add("database.max_tx_attempts", "int", "8",
        "Attempts for a transaction that hits serialization failures, deadlocks or a lost connection.",
        IntSetter(&Config::database, &DatabaseConfig::max_tx_attempts, 1, 100));
    add("database.group_size", "int", "8",
        "Most instance creates that share one transaction and its COMMIT (group commit); 1 turns it off.",
        IntSetter(&Config::database, &DatabaseConfig::group_size, 1, 64));
    add("database.group_leaders", "int", "0",
        "Most such shared transactions running at once; 0 means half of database.pool_size (at least 1).",
        IntSetter(&Config::database, &DatabaseConfig::group_leaders, 0, 1000));
    add("database.migrate_on_start", "bool", "false",
        "Apply pending migrations when `gaond serve` starts instead of refusing to serve.",
        BoolSetter(&Config::database, &DatabaseConfig::migrate_on_start));
    add("database.migrations_dir", "path", "",
        "Read migrations from this directory instead of the set compiled into gaond.",
        StringSetter(&Config::database, &DatabaseConfig::migrations_dir));
    add("auth.session_ttl", "duration", "12h", "Console sessions end this long after login.",
        DurationSetter(&Config::auth, &AuthConfig::session_ttl, milliseconds(60'000)));
    add("auth.session_idle_timeout", "duration", "2h", "Console sessions end after this long without a request.",
        DurationSetter(&Config::auth, &AuthConfig::session_idle_timeout, milliseconds(60'000)));
    add("auth.argon2_memory_kib", "int", "19456", "argon2id memory cost for password hashes, in KiB.",
        IntSetter(&Config::auth, &AuthConfig::argon2_memory_kib, 8, 4 * 1024 * 1024));
    add("auth.argon2_iterations", "int", "2", "argon2id passes for password hashes.",
        IntSetter(&Config::auth, &AuthConfig::argon2_iterations, 1, 100));
    add("auth.login_free_failures", "int", "5",
        "Failed logins per account and per address before further attempts are slowed down.",
        IntSetter(&Config::auth, &AuthConfig::login_free_failures, 1, 1000));
    add("auth.login_base_delay", "duration", "1s",
        "First lock-out after too many failed logins; doubles with each further failure.",
        DurationSetter(&Config::auth, &AuthConfig::login_base_delay, milliseconds(1)));
    add("auth.login_max_delay", "duration", "15m", "Longest lock-out after failed logins.",
        DurationSetter(&Config::auth, &AuthConfig::login_max_delay, milliseconds(1)));
    add("rate_limit.enabled", "bool", "true", "Limit requests per principal (429 with Retry-After).",
        BoolSetter(&Config::rate_limit, &RateLimitConfig::enabled));
    add("rate_limit.requests_per_second", "int", "50", "Sustained requests per second per principal.",
        IntSetter(&Config::rate_limit, &RateLimitConfig::requests_per_second, 1, 1000000));
    add("rate_limit.burst", "int", "100", "Requests a principal may make at once before the rate applies.",
        IntSetter(&Config::rate_limit, &RateLimitConfig::burst, 1, 1000000));
    add("idempotency.ttl", "duration", "24h", "How long an Idempotency-Key and its answer are kept.",
        [](Config& c, const std::string& v) -> Status {
          auto ttl = ParseDuration(v);
          if (!ttl.ok()) return ttl.status();
          if (*ttl < std::chrono::hours(24)) return Bad("must be at least 24h, got " + v);
          c.idempotency_ttl = *ttl;
          return Status::Ok();
        });
    add("changes.retention", "duration", "24h",
        "How long resource changes are kept for watches to resume from (older: 410 Gone).",
        [](Config& c, const std::string& v) -> Status {
          auto keep = ParseDuration(v);
          if (!keep.ok()) return keep.status();
          if (*keep < std::chrono::minutes(5)) return Bad("must be at least 5m, got " + v);
          c.change_retention = *keep;
          return Status::Ok();
        });
    add("billing.grace_period", "duration", "72h",
        "How long after a month ends usage events dated in it are still accepted; older ones are refused.",
        [](Config& c, const std::string& v) -> Status {
          auto grace = ParseDuration(v);
          if (!grace.ok()) return grace.status();
          c.billing_grace_period = *grace;
          return Status::Ok();
        });
    add("catalog.file", "path", "",
        "YAML with the region this deployment serves and its GPU types, instance types and images "
        "(deploy/catalog.yaml); loaded into PostgreSQL at start.",
        [](Config& c, const std::string& v) { c.catalog_file = v; return Status::Ok(); });
    add("quotas.default_instances", "int", "20", "Instance quota of a new tenant.",
        QuotaSetter(&QuotaDefaults::instances));
    add("quotas.default_gpus", "int", "16", "GPU quota of a new tenant (instances and endpoint replicas).",
        QuotaSetter(&QuotaDefaults::gpus));
    add("quotas.default_vcpus", "int", "512", "vCPU quota of a new tenant.", QuotaSetter(&QuotaDefaults::vcpus));
    add("quotas.default_memory_gib", "int", "4096", "Memory quota (GiB) of a new tenant.",
        QuotaSetter(&QuotaDefaults::memory_gib));
    add("quotas.default_endpoints", "int", "5", "Inference endpoint quota of a new tenant.",
        QuotaSetter(&QuotaDefaults::endpoints));
    add("controller.workers", "int", "8", "Reconciles running at once, per resource kind.",
        IntSetter(&Config::controller, &ControllerConfig::workers, 1, 256));
    add("controller.resync_interval", "duration", "30s",
        "How often the controllers revisit every resource, catching changes whose notification was lost.",
        DurationSetter(&Config::controller, &ControllerConfig::resync_interval, std::chrono::milliseconds(100)));
    add("controller.lease_duration", "duration", "10s",
        "Leader lease of the controllers: another replica takes over this long after the leader stops renewing.",
        DurationSetter(&Config::controller, &ControllerConfig::lease_duration, std::chrono::milliseconds(300)));
    add("controller.retry_max_delay", "duration", "60s", "Cap of the per-resource backoff after reconcile errors.",
        DurationSetter(&Config::controller, &ControllerConfig::retry_max_delay, std::chrono::milliseconds(10)));
    add("controller.node_timeout", "duration", "15s",
        "A node whose heartbeat is older than this is marked Down and its instances Failed.",
        DurationSetter(&Config::controller, &ControllerConfig::node_timeout, std::chrono::milliseconds(100)));
    add("controller.schedule_batch", "int", "500", "Instances the scheduler places per transaction.",
        IntSetter(&Config::controller, &ControllerConfig::schedule_batch, 1, 10000));
    add("controller.driver", "one of: sim", "sim", "The driver that runs instances on GPU hosts.",
        EnumSetter(&Config::controller, &ControllerConfig::driver, {"sim"}));
    add("controller.billing_interval", "duration", "1m",
        "How often the billing pass finalizes invoices whose grace period is over and raises budget alerts.",
        DurationSetter(&Config::controller, &ControllerConfig::billing_interval, std::chrono::milliseconds(100)));
    add("controller.autoscale_interval", "duration", "2s", "How often a serving endpoint's load is sampled.",
        DurationSetter(&Config::controller, &ControllerConfig::autoscale_interval, std::chrono::milliseconds(50)));
    add("controller.autoscale_stable_window", "duration", "60s",
        "The autoscaler's stable window: load is averaged over it, and it scales down only to the most replicas "
        "any sample in it wanted.",
        DurationSetter(&Config::controller, &ControllerConfig::autoscale_stable_window, std::chrono::milliseconds(100)));
    add("controller.autoscale_panic_window", "duration", "6s",
        "The autoscaler's panic window: when load averaged over it wants twice the ready replicas, it scales up at once.",
        DurationSetter(&Config::controller, &ControllerConfig::autoscale_panic_window, std::chrono::milliseconds(50)));
    add("controller.rollout_failure_limit", "int", "2",
        "Replicas of a new endpoint revision that may fail to become ready before the rollout is rolled back.",
        IntSetter(&Config::controller, &ControllerConfig::rollout_failure_limit, 1, 100));
    add("sim.fleet_file", "path", "",
        "YAML describing the simulated GPU hosts (deploy/fleet.yaml; relative to the config file); registered as nodes at start.",
        StringSetter(&Config::sim, &SimConfig::fleet_file));
    add("sim.provision_time", "duration range", "0s",
        "How long a simulated machine takes from create to running: a duration or min..max (uniform).",
        RangeSetter(&SimConfig::provision_time));
    add("sim.boot_time", "duration range", "0s", "How long a simulated start or reboot takes.",
        RangeSetter(&SimConfig::boot_time));
    add("sim.failure_percent", "int", "0", "Percent of simulated provisioning attempts that fail.",
        IntSetter(&Config::sim, &SimConfig::failure_percent, 0, 100));
    add("sim.replica_start_time", "duration range", "5s",
        "How long a simulated inference runtime takes to start, before it loads the model's weights.",
        RangeSetter(&SimConfig::replica_start_time));
    add("sim.model_load_time_per_billion", "duration", "1s",
        "How long a simulated replica takes to load each billion parameters of its model.",
        DurationSetter(&Config::sim, &SimConfig::model_load_time_per_billion, std::chrono::milliseconds(0)));
    add("sim.replica_crash_interval", "duration", "0s",
        "Mean time between crashes of a simulated ready replica (exponentially distributed); 0s: never.",
        DurationSetter(&Config::sim, &SimConfig::replica_crash_interval, std::chrono::milliseconds(0)));
    add("log.level", "one of: debug, info, warn, error", "info", "Least severe level written.",
        EnumSetter(&Config::log, &LogConfig::level, {"debug", "info", "warn", "error"}));
    add("log.access", "bool", "true", "Write one log line per HTTP request.",
        BoolSetter(&Config::log, &LogConfig::access));
    return d;
  }();
  return defs;
}

const KeyDef* FindDef(const std::string& key) {
  for (const auto& d : Defs()) {
    if (d.doc.key == key) return &d;
  }
  return nullptr;
}

Status Apply(Config& c, const std::string& key, const std::string& value, const std::string& origin) {
  const KeyDef* def = FindDef(key);
  if (!def) return Bad(origin + ": unknown configuration key '" + key + "'");
  Status s = def->set(c, value);
  if (!s.ok()) return Bad(origin + ": " + key + " " + s.message());
  return Status::Ok();
}

Status Walk(const YAML::Node& node, const std::string& prefix, Config& c, const std::string& file) {
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    const YAML::Node& v = item.second;
    if (v.IsMap()) {
      RETURN_IF_ERROR(Walk(v, key, c, file));
    } else if (v.IsScalar()) {
      RETURN_IF_ERROR(Apply(c, key, v.Scalar(), file));
    } else if (v.IsNull()) {
      if (!FindDef(key)) return Bad(file + ": unknown configuration key '" + key + "'");
    } else {
      return Bad(file + ": " + key + " must be a single value, not a list");
    }
  }
  return Status::Ok();
}

// Edits (insertions, deletions, substitutions, swaps of neighbours) from `a` to `b`.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// A GAON_* variable that is no key but looks like one — it starts with a section's prefix
// (GAON_DATABASE_…) or is at most two edits from a key's variable — is a misspelled key,
// which would otherwise be ignored without a word. Other GAON_* variables belong to other
// tools (GAON_ROOT, GAON_API_KEY, GAON_TEST_…) and are left alone.
Status CheckEnvNames(const std::map<std::string, std::string>& env) {
  constexpr std::size_t kTypoEdits = 2;
  for (const auto& [name, value] : env) {
    const auto is_key = [&name = name](const KeyDef& d) { return d.doc.env == name; };
    if (name.rfind("GAON_", 0) != 0 || std::any_of(Defs().begin(), Defs().end(), is_key)) continue;
    // The closest key: one whose variable starts with the name or the name with it (a word
    // left out or added), else the fewest edits away.
    const KeyDef* closest = nullptr;
    std::pair<bool, std::size_t> closest_score{true, std::string::npos};
    bool in_section = false;
    for (const auto& d : Defs()) {
      const std::string section = EnvName(d.doc.key.substr(0, d.doc.key.find('.'))) + "_";
      in_section = in_section || name.rfind(section, 0) == 0;
      const bool prefix = d.doc.env.rfind(name, 0) == 0 || name.rfind(d.doc.env + "_", 0) == 0;
      const std::pair<bool, std::size_t> score{!prefix, EditDistance(name, d.doc.env)};
      if (score < closest_score) {
        closest = &d;
        closest_score = score;
      }
    }
    if (in_section || closest_score.second <= kTypoEdits) {
      return Bad("environment " + name + ": no configuration key has this variable; the closest is " +
                 closest->doc.env + " (" + closest->doc.key + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = [] {
    std::vector<ConfigKey> k;
    for (const auto& d : Defs()) k.push_back(d.doc);
    return k;
  }();
  return keys;
}

StatusOr<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env) {
  Config c;
  if (!path.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      return Bad(path + ": cannot read the configuration file");
    } catch (const YAML::Exception& e) {
      return Bad(path + ": malformed YAML: " + e.what());
    }
    if (!root.IsNull()) {
      if (!root.IsMap()) return Bad(path + ": the configuration must be a YAML mapping");
      try {
        RETURN_IF_ERROR(Walk(root, "", c, path));
      } catch (const YAML::Exception& e) {
        return Bad(path + ": " + e.what());
      }
    }
  }
  RETURN_IF_ERROR(CheckEnvNames(env));
  for (const auto& d : Defs()) {
    auto it = env.find(d.doc.env);
    if (it != env.end()) RETURN_IF_ERROR(Apply(c, d.doc.key, it->second, "environment " + d.doc.env));
  }
  if (c.database.owner_url.empty()) c.database.owner_url = c.database.url;
  // Relative paths in a file are relative to that file, so a config and its catalog can
  // travel together.
  const auto relative_to_file = [&](std::string& file, const char* env_name) {
    if (path.empty() || file.empty() || file.front() == '/' || env.count(env_name)) return;
    const auto slash = path.rfind('/');
    if (slash != std::string::npos) file = path.substr(0, slash + 1) + file;
  };
  relative_to_file(c.catalog_file, "GAON_CATALOG_FILE");
  relative_to_file(c.sim.fleet_file, "GAON_SIM_FLEET_FILE");
  return c;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

StatusOr<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string unit(p, text.data() + text.size());
  if (ec != std::errc() || n < 0 || p == text.data()) {
    return Bad("must be a duration such as 500ms, 30s, 5m or 1h, got '" + text + "'");
  }
  static const std::pair<const char*, std::int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return std::chrono::milliseconds(n * factor);
  }
  return Bad("must be a duration with a unit (ms, s, m, h, d), got '" + text + "'");
}

StatusOr<std::int64_t> ParseBytes(const std::string& text) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string unit(p, text.data() + text.size());
  if (ec != std::errc() || n < 0 || p == text.data()) {
    return Bad("must be a size such as 512, 16KiB or 1MiB, got '" + text + "'");
  }
  static const std::pair<const char*, std::int64_t> kUnits[] = {
      {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024LL * 1024 * 1024}};
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return n * factor;
  }
  return Bad("must be a size in bytes, KiB, MiB or GiB, got '" + text + "'");
}

}  // namespace gaon
