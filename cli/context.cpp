#include "cli/context.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "cli/output.h"
#include "gaon/version.h"

namespace gaon::cli {

int ExitCodeFor(const Status& s) {
  // No usable answer came (bad certificate, not HTTP): an error, not the server's "conflict".
  if (s.http_status() == 0 && (s.reason() == "tls_failed" || s.reason() == "protocol_error")) return kExitError;
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted: return kExitConflict;
    // 429 is a rate limit the client already waited out; 413 a size limit. Both are "the
    // server's limits said no", like a quota.
    case StatusCode::kResourceExhausted: return kExitConflict;
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied: return kExitUnauthorised;
    default: return kExitError;
  }
}

void UsageError(const std::string& message) { throw CommandFailed(InvalidArgument(message, "usage"), kExitUsage); }

void Fail(const Status& status) { throw CommandFailed(status, ExitCodeFor(status)); }

namespace {

void SetEnvFromFlag(const char* name, const std::string& value) {
  if (!value.empty()) ::setenv(name, value.c_str(), 1);
}

// The one colour rule of gaonctl, for stdout and stderr alike. NO_COLOR disables colour only
// when it is set to something: an empty NO_COLOR is as good as unset (no-color.org).
bool ColorOn(bool no_color_flag, int fd) {
  if (no_color_flag) return false;
  if (const char* v = std::getenv("NO_COLOR"); v != nullptr && *v != '\0') return false;
  if (const char* term = std::getenv("TERM"); term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

}  // namespace

const ResolvedSettings& Context::settings() {
  if (settings_) return *settings_;
  // Flags beat GAON_* variables, which beat the profile: the flags are put in the environment
  // ResolveSettings reads first.
  SetEnvFromFlag("GAON_ENDPOINT", flags.endpoint);
  SetEnvFromFlag("GAON_API_KEY", flags.api_key);
  SetEnvFromFlag("GAON_TENANT", flags.tenant);
  SetEnvFromFlag("GAON_CA_FILE", flags.ca_file);
  SetEnvFromFlag("GAON_OPERATOR_REASON", flags.reason);
  if (flags.insecure) ::setenv("GAON_INSECURE", "true", 1);
  auto s = ResolveSettings(flags.profile);
  if (!s.ok()) {
    const auto& r = s.status().reason();
    if (r == "no_endpoint" || r == "invalid_tenant" || r == "profile_not_found") {
      throw CommandFailed(s.status(), kExitUsage);
    }
    Fail(s.status());
  }
  settings_ = std::move(s).value();
  return *settings_;
}

const Client& Context::client() {
  if (client_) return *client_;
  ClientOptions o = settings().options;
  o.user_agent_suffix = "gaonctl/" + std::string(kSdkVersion);
  o.request_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(flags.timeout_seconds * 1000));
  if (o.operator_reason.empty()) o.operator_reason = "gaonctl";
  if (flags.verbose) {
    o.on_attempt = [](const AttemptInfo& a) {
      std::cerr << "> " << a.method << " " << a.target << " → " << (a.http_status ? std::to_string(a.http_status) : "no answer")
                << " in " << a.duration.count() / 1000 << " ms [request " << a.request_id << "]"
                << (a.replayed ? " (replayed)" : "")
                << (a.will_retry ? " retrying in " + std::to_string(a.backoff.count()) + " ms" : "") << "\n";
    };
  }
  auto c = Client::Create(std::move(o));
  if (!c.ok()) throw CommandFailed(c.status(), kExitUsage);
  client_ = std::move(c).value();
  return *client_;
}

TenantId Context::tenant() {
  if (tenant_) return *tenant_;
  if (settings().tenant) {
    tenant_ = settings().tenant;
    return *tenant_;
  }
  // A tenant key knows its tenant; operators must name one.
  Me me = Must(client().GetMe());
  if (!me.tenant_id) {
    UsageError("no tenant: give --tenant, set GAON_TENANT, or save one in the profile (gaonctl login --tenant)");
  }
  tenant_ = me.tenant_id;
  return *tenant_;
}

OutputFormat Context::output() const {
  const std::string& o = flags.output;
  if (o == "json") return OutputFormat::kJson;
  if (o == "yaml") return OutputFormat::kYaml;
  if (o == "wide") return OutputFormat::kWide;
  if (o == "name") return OutputFormat::kName;
  return OutputFormat::kTable;
}

bool Context::color() const { return ColorOn(flags.no_color, STDOUT_FILENO); }

bool Context::stderr_color() const { return ColorOn(flags.no_color, STDERR_FILENO); }

bool Context::stderr_is_tty() const { return ::isatty(STDERR_FILENO) == 1; }

void Context::Confirm(const std::string& question) {
  if (flags.yes) return;
  if (::isatty(STDIN_FILENO) != 1) {
    UsageError(question + " — refusing without --yes (stdin is not a terminal)");
  }
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes") {
    throw CommandFailed(Status(StatusCode::kCancelled, "not_confirmed", "not confirmed: nothing was changed"), kExitError);
  }
}

bool Context::DryRun(bool dry_run, const std::string& method, const std::string& path, const boost::json::value& body) {
  if (!dry_run) return false;
  Note("dry run: would send " + method + " " + path + (body.is_null() ? "" : " with this body:"));
  if (!body.is_null()) PrintValue(*this, body);
  return true;
}

WaitOptions Context::Waiting(const std::string& what, std::string_view target, double timeout_seconds) {
  WaitOptions w;
  w.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));
  if (!stderr_is_tty()) return w;
  const auto started = std::chrono::steady_clock::now();
  progress_line_ = true;
  w.on_poll = [what, target = std::string(target), started](std::string_view seen) {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    std::cerr << "\r\033[Kwaiting for " << what << " to be " << target << ": " << seen << " (" << secs << "s)"
              << std::flush;
  };
  return w;
}

void Context::DoneWaiting() {
  if (progress_line_) std::cerr << "\r\033[K" << std::flush;
  progress_line_ = false;
}

void Context::Note(const std::string& message) const { std::cerr << message << "\n"; }

}  // namespace gaon::cli
