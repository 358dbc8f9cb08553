// gaonctl: the admin CLI of Gaon. `gaonctl <resource> <verb>`; see docs/cli.md.
#include <iostream>

#include "cli/commands.h"

namespace {

constexpr const char* kFooter = R"(
Settings: flags beat GAON_* variables (GAON_ENDPOINT, GAON_API_KEY, GAON_TENANT, GAON_PROFILE,
GAON_CA_FILE, GAON_INSECURE, GAON_OUTPUT), which beat the profile in
$XDG_CONFIG_HOME/gaon/config.yaml (gaonctl login).

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict or quota, 5 unauthorised.

Example:
  gaonctl login --endpoint http://127.0.0.1:8080 --api-key-file .gaon/operator.key
  gaonctl instances list --tenant ten_01j9z3k6x2 -o wide)";

// `color`: Context::stderr_color(), the rule that colours tables too.
void PrintFailure(const gaon::cli::CommandFailed& f, bool color) {
  const gaon::Status& s = f.status;
  if (s.ok()) return;
  std::cerr << (color ? "\033[31mError:\033[0m " : "Error: ") << s.message() << "\n";
  if (f.exit_code == gaon::cli::kExitUsage && s.http_status() == 0 && s.request_id().empty()) {
    if (s.reason() != "usage") std::cerr << "  code: " << s.reason() << "\n";
    return;
  }
  std::cerr << "  code: " << s.reason();
  if (s.http_status() != 0) std::cerr << " (HTTP " << s.http_status() << ")";
  std::cerr << "\n";
  for (const auto& v : s.violations()) std::cerr << "  " << v.field << ": " << v.message << " (" << v.code << ")\n";
  for (const auto& [k, v] : s.extras()) std::cerr << "  " << k << ": " << v << "\n";
  if (!s.request_id().empty()) std::cerr << "  request id: " << s.request_id() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gaon::cli;
  Context ctx;
  CLI::App app{"gaonctl: run a Gaon GPU cloud region from a terminal", "gaonctl"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may come after the verb too
  GlobalFlags& f = ctx.flags;
  app.add_option("--profile", f.profile, "Profile of the config file to use")->envname("GAON_PROFILE");
  app.add_option("--endpoint", f.endpoint, "API address (default: the profile's)");
  app.add_option("--api-key", f.api_key, "API key (prefer GAON_API_KEY or a profile: flags show in ps)");
  app.add_option("-t,--tenant", f.tenant, "Tenant to act on (default: the profile's or the key's)");
  app.add_option("--ca-file", f.ca_file, "PEM CA bundle for a private CA");
  app.add_flag("--insecure", f.insecure, "Skip TLS verification (tests only)");
  app.add_option("-o,--output", f.output, "table, wide, json, yaml or name")
      ->check(CLI::IsMember({"table", "wide", "json", "yaml", "name"}))
      ->envname("GAON_OUTPUT")
      ->capture_default_str();
  app.add_flag("--no-color", f.no_color, "No colour (also NO_COLOR set to anything, or TERM=dumb)");
  app.add_flag("-y,--yes", f.yes, "Do not ask before destructive changes");
  app.add_flag("-v,--verbose", f.verbose, "Log every HTTP attempt (method, path, status, request id) on stderr");
  app.add_option("--reason", f.reason, "Operators: why you act on a tenant (recorded in its audit log)");
  app.add_option("--timeout", f.timeout_seconds, "Seconds one call may take, retries included")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  AddTenancyCommands(app, ctx);
  AddComputeCommands(app, ctx);
  AddFleetCommands(app, ctx);
  AddInferenceCommands(app, ctx);
  AddBillingCommands(app, ctx);
  AddToolCommands(app, ctx);

  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the usage error
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const CommandFailed& failed) {
    PrintFailure(failed, ctx.stderr_color());
    return failed.exit_code;
  }
}
