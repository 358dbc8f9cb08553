// api (raw calls), login, config (profiles), whoami, status, version, completion; and the
// helpers every command uses.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "gaon/version.h"

namespace gaon::cli {

namespace json = boost::json;

// ---------------------------------------------------------------- helpers

namespace {

// The root's options — the global flags, which every command takes too (gaonctl falls through
// to them) — as a section of a command's --help, in CLI11's own layout.
std::string GlobalOptionsHelp(const CLI::App& root) {
  const auto options = root.get_options([&root](const CLI::Option* o) { return o != root.get_help_ptr(); });
  return CLI::Formatter().make_group("Global options", false, options);
}

}  // namespace

CLI::App* Command(CLI::App* parent, const std::string& name, const std::string& description,
                  const std::string& example) {
  CLI::App* c = parent->add_subcommand(name, description);
  const CLI::App* root = parent;
  while (root->get_parent() != nullptr) root = root->get_parent();
  // Built when the help is shown, so it lists every global flag however late it was added.
  c->footer([root] { return GlobalOptionsHelp(*root); });
  c->footer("\nExample:\n  " + example);
  return c;
}

CLI::App* Group(CLI::App& app, const std::string& name, const std::string& description, const std::string& example) {
  CLI::App* g = Command(&app, name, description, example);
  g->require_subcommand(1);
  return g;
}

void AddDryRunFlag(CLI::App* cmd, bool& dry_run, const std::string& description) {
  cmd->add_flag("--dry-run", dry_run, description);
}

void AddListFlags(CLI::App* cmd, ListFlags& flags) {
  cmd->add_option("--limit", flags.limit, "Show at most this many (default: all, fetched page by page)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--page-size", flags.page_size, "Items per request (1-1000)")->check(CLI::Range(1, 1000));
  cmd->add_option("--page-token", flags.page_token, "Start at this page (a next_page_token)");
}

ListOptions ToListOptions(const ListFlags& flags) {
  return ListOptions{.page_size = flags.page_size, .page_token = flags.page_token};
}

Labels ParseLabels(const std::vector<std::string>& pairs) {
  Labels out;
  for (const auto& p : pairs) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) UsageError("label '" + p + "' is not k=v");
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

json::object LabelPatch(const std::vector<std::string>& changes) {
  json::object out;
  for (const auto& c : changes) {
    if (c.size() > 1 && c.back() == '-' && c.find('=') == std::string::npos) {
      out[c.substr(0, c.size() - 1)] = nullptr;
      continue;
    }
    for (const auto& [k, v] : ParseLabels({c})) out[k] = v;
  }
  return out;
}

std::string ReadFileArg(const std::string& path) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
    return s.str();
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) UsageError("cannot read " + path);
  s << f.rdbuf();
  return s.str();
}

namespace {

// ---------------------------------------------------------------- api

void AddApi(CLI::App& app, Context& ctx) {
  struct Args {
    std::string method, path, data;
    std::vector<std::string> headers;
    bool include = false;
  };
  auto a = std::make_shared<Args>();
  auto* api = Command(&app, "api", "Send any authenticated request; prints the answer's body, exit code by its status",
                      "gaonctl api GET /v1/me\n  gaonctl api POST /v1/tenants/ten_01j9z3k6x2/ssh-keys -d @key.json");
  api->add_option("method", a->method, "GET, POST, PUT, PATCH or DELETE")->required();
  api->add_option("path", a->path, "Path and query: /v1/instance-types?gpu_type=h100-80gb-sxm")->required();
  api->add_option("-d,--data", a->data, "JSON body, or @file ('@-': stdin)");
  api->add_option("-H,--header", a->headers, "An extra header 'Name: value' (repeatable)");
  api->add_flag("-i,--include", a->include, "Print the status line and headers too (on stderr)");
  api->callback([&ctx, a] {
    RawRequest r{.method = a->method, .target = a->path};
    for (auto& c : r.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r.body = !a->data.empty() && a->data[0] == '@' ? ReadFileArg(a->data.substr(1)) : a->data;
    for (const auto& h : a->headers) {
      const auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0) UsageError("header '" + h + "' is not 'Name: value'");
      std::string v = h.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      r.headers.emplace_back(h.substr(0, colon), v);
    }
    auto res = ctx.client().Raw(r);
    if (!res.ok() && res.status().reason() == "invalid_method") throw CommandFailed(res.status(), kExitUsage);
    RawResponse answer = Must(std::move(res));
    if (a->include) {
      std::cerr << "HTTP " << answer.status << "\n";
      for (const auto& [k, v] : answer.headers) std::cerr << k << ": " << v << "\n";
      std::cerr << "\n";
    }
    std::cout << answer.body;
    if (!answer.body.empty() && answer.body.back() != '\n') std::cout << "\n";
    std::cout.flush();
    // The body already carries the problem: end with its exit code, printing nothing more.
    if (Status s = answer.ToStatus(); !s.ok()) throw CommandFailed(Status(), ExitCodeFor(s));
  });
}

// ---------------------------------------------------------------- login and config

std::string ConfigPath() {
  auto p = DefaultProfilePath();
  if (!p.ok()) throw CommandFailed(p.status(), kExitUsage);
  return *p;
}

std::string Redact(const std::string& key) {
  if (key.size() <= 12) return key.empty() ? "" : "****";
  return key.substr(0, 12) + "…" + key.substr(key.size() - 4);
}

void AddLogin(CLI::App& app, Context& ctx) {
  // The connection settings are the global flags (--profile, --endpoint, --tenant, --ca-file,
  // --insecure); login only adds where the key comes from.
  struct Args {
    std::string api_key_file;
    bool no_verify = false;
  };
  auto a = std::make_shared<Args>();
  auto* login = Command(&app, "login",
                        "Check an API key against --endpoint and save both as a profile (0600), then make it current",
                        "gaonctl login --endpoint http://127.0.0.1:8080 --api-key-file .gaon/operator.key\n"
                        "  printf '%s' \"$KEY\" | gaonctl login --profile acme --endpoint https://gaon.example.kr "
                        "--api-key-file - --tenant ten_01j9z3k6x2");
  login->add_option("--api-key-file", a->api_key_file, "File holding the key ('-': stdin; default: $GAON_API_KEY)");
  login->add_flag("--no-verify", a->no_verify, "Save without checking the key against the server");
  login->callback([&ctx, a] {
    const GlobalFlags& f = ctx.flags;
    const std::string profile = f.profile.empty() ? "default" : f.profile;
    if (f.endpoint.empty()) UsageError("login needs --endpoint (the API address gaon run printed)");
    std::string key;
    if (!a->api_key_file.empty()) {
      key = ReadFileArg(a->api_key_file);
    } else if (!f.api_key.empty()) {
      key = f.api_key;
    } else if (const char* env = std::getenv("GAON_API_KEY")) {
      key = env;
    } else {
      UsageError("no key: give --api-key-file FILE (or '-' for stdin) or set GAON_API_KEY");
    }
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
    if (!f.tenant.empty()) ParseId<TenantId>(f.tenant, "tenant");
    Me me;
    if (!a->no_verify) {
      ClientOptions o{.endpoint = f.endpoint, .api_key = key, .verify_tls = !f.insecure, .ca_file = f.ca_file};
      o.request_timeout = std::chrono::seconds(30);
      auto c = Client::Create(o);
      if (!c.ok()) throw CommandFailed(c.status(), kExitUsage);
      me = Must(c->GetMe());
    }
    const std::string path = ConfigPath();
    ProfileFile file = Must(LoadProfiles(path));
    Profile p;
    if (const Profile* old = file.Find(profile)) p = *old;  // keeps keys newer tools wrote
    p.name = profile;
    p.endpoint = f.endpoint;
    p.api_key = key;
    p.tenant = !f.tenant.empty() ? f.tenant : (me.tenant_id ? me.tenant_id->str() : p.tenant);
    p.ca_file = f.ca_file;
    p.insecure = f.insecure;
    file.Upsert(p);
    file.current_profile = profile;
    Must(SaveProfiles(file, path));
    const std::string who = a->no_verify ? "" : " as " + me.name + (me.platform_admin ? " (operator)" : "");
    ctx.Note("logged in to " + f.endpoint + who + "; profile '" + profile + "' saved in " + path);
  });
}

void AddConfig(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "config", "Profiles in $XDG_CONFIG_HOME/gaon/config.yaml", "gaonctl config use-profile prod");

  auto name = std::make_shared<std::string>();
  auto* use = Command(g, "use-profile", "Make a profile the current one", "gaonctl config use-profile prod");
  use->add_option("profile", *name, "Profile name")->required();
  use->callback([&ctx, name] {
    const std::string path = ConfigPath();
    ProfileFile file = Must(LoadProfiles(path));
    if (!file.Find(*name)) Fail(NotFound("no profile '" + *name + "' in " + path, "profile_not_found"));
    file.current_profile = *name;
    Must(SaveProfiles(file, path));
    ctx.Note("current profile: " + *name);
  });

  Command(g, "list-profiles", "List profiles; * marks the current one", "gaonctl config list-profiles")
      ->callback([&ctx] {
        const ProfileFile file = Must(LoadProfiles(ConfigPath()));
        std::vector<json::value> items;
        for (const auto& p : file.profiles) {
          items.push_back(json::object{{"current", p.name == file.current_profile ? "*" : ""},
                                       {"name", p.name},
                                       {"endpoint", p.endpoint},
                                       {"tenant", p.tenant},
                                       {"api_key", Redact(p.api_key)}});
        }
        PrintList(ctx, items,
                  {{"CURRENT", "current"}, {"NAME", "name"}, {"ENDPOINT", "endpoint"}, {"TENANT", "tenant"},
                   {"API KEY", "api_key", CellKind::kText, true}},
                  "name");
      });

  Command(g, "current-profile", "Print the current profile's name", "gaonctl config current-profile")->callback([&ctx] {
    const ProfileFile file = Must(LoadProfiles(ConfigPath()));
    if (file.current_profile.empty()) Fail(NotFound("no current profile (gaonctl login)", "profile_not_found"));
    std::cout << file.current_profile << "\n";
  });

  auto del = std::make_shared<std::string>();
  auto* remove = Command(g, "delete-profile", "Remove a profile and its key", "gaonctl config delete-profile old --yes");
  remove->add_option("profile", *del, "Profile name")->required();
  remove->callback([&ctx, del] {
    const std::string path = ConfigPath();
    ProfileFile file = Must(LoadProfiles(path));
    if (!file.Find(*del)) Fail(NotFound("no profile '" + *del + "' in " + path, "profile_not_found"));
    ctx.Confirm("Delete profile '" + *del + "' and its key?");
    file.Remove(*del);
    Must(SaveProfiles(file, path));
    ctx.Note("profile '" + *del + "' deleted");
  });

  Command(g, "view", "Show the settings in effect (flags > GAON_* > profile), the key redacted", "gaonctl config view")
      ->callback([&ctx] {
        const ResolvedSettings& s = ctx.settings();
        json::object v{{"config_path", s.config_path},
                       {"profile", s.profile},
                       {"endpoint", s.options.endpoint},
                       {"api_key", Redact(s.options.api_key)},
                       {"tenant", s.tenant ? s.tenant->str() : ""},
                       {"verify_tls", s.options.verify_tls},
                       {"ca_file", s.options.ca_file}};
        PrintValue(ctx, v);
      });
}

// ---------------------------------------------------------------- whoami, status, version

void AddSmall(CLI::App& app, Context& ctx) {
  Command(&app, "whoami", "Who the API key is: its name, role and tenant", "gaonctl whoami -o json")->callback([&ctx] {
    Me me = Must(ctx.client().GetMe());
    if (ctx.output() == OutputFormat::kJson || ctx.output() == OutputFormat::kYaml) {
      PrintValue(ctx, ToJson(me));
      return;
    }
    std::cout << me.name << " (" << me.principal_type << " " << me.principal_id << ")";
    if (me.role) std::cout << ", " << ToString(*me.role);
    if (me.tenant_id) std::cout << " in " << me.tenant_id->str();
    std::cout << "\n";
  });

  Command(&app, "status", "Is the API up and its database ready?", "gaonctl status")->callback([&ctx] {
    Readiness r = Must(ctx.client().GetReadiness());
    if (ctx.output() == OutputFormat::kJson || ctx.output() == OutputFormat::kYaml) {
      PrintValue(ctx, ToJson(r));
      return;
    }
    std::cout << ctx.settings().options.endpoint << ": " << r.status << " (schema " << r.schema_version << ")\n";
  });

  Command(&app, "version", "Print gaonctl's version", "gaonctl version")->callback([] {
    std::cout << "gaonctl " << kSdkVersion << "\n";
  });
}

void AddCompletion(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* c = Command(&app, "completion", "Print the shell completion script",
                    "source <(gaonctl completion bash)\n  gaonctl completion zsh > \"${fpath[1]}/_gaonctl\"");
  c->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  c->callback([&app, shell] { std::cout << CompletionScript(app, *shell); });
}

}  // namespace

void AddToolCommands(CLI::App& app, Context& ctx) {
  AddApi(app, ctx);
  AddLogin(app, ctx);
  AddConfig(app, ctx);
  AddSmall(app, ctx);
  AddCompletion(app);
}

}  // namespace gaon::cli
