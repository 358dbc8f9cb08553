// Context: what every gaonctl command shares — the global flags, the client built from them
// (flags > GAON_* variables > the profile file), the default tenant, the output format, the
// confirmation prompt, --dry-run, --wait progress, and how a failure ends the command.
//
// A command body is written as its happy path: Must() and Fail() end the command by throwing
// CommandFailed, which main() catches, prints and turns into the documented exit code. That
// is the one place gaonctl uses an exception on purpose (CLI11 itself reports usage errors
// by throwing, so main() catches either way).
// Thread-safety: single-threaded, like the process.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gaon/client.h"
#include "gaon/profile.h"

namespace gaon::cli {

// The exit codes gaonctl documents (docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // any other failure: the server refused, a wait timed out, I/O
  kExitUsage = 2,         // the command line was wrong (found before anything was sent)
  kExitNotFound = 3,      // the resource does not exist (404)
  kExitConflict = 4,      // conflict, quota exceeded, a precondition or state not met (409/412/429)
  kExitUnauthorised = 5,  // no or bad credentials (401), or not allowed (403)
};

// The exit code for a failed call.
int ExitCodeFor(const Status& status);

// Thrown to end a command; `status` is printed (detail, code, request id, field errors) to
// stderr unless it is OK (then only the exit code counts).
struct CommandFailed : std::runtime_error {
  CommandFailed(Status s, int code) : std::runtime_error(s.ToString()), status(std::move(s)), exit_code(code) {}
  Status status;
  int exit_code;
};

// Ends the command with a usage error (exit 2).
[[noreturn]] void UsageError(const std::string& message);
// Ends the command with `status` and its exit code.
[[noreturn]] void Fail(const Status& status);

template <typename T>
T Must(StatusOr<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(r).value();
}
inline void Must(const Status& s) {
  if (!s.ok()) Fail(s);
}

enum class OutputFormat { kTable, kWide, kJson, kYaml, kName };

struct GlobalFlags {
  std::string profile;
  std::string endpoint;
  std::string api_key;
  std::string tenant;
  std::string ca_file;
  bool insecure = false;
  std::string output = "table";
  bool no_color = false;
  bool yes = false;
  bool verbose = false;
  std::string reason;  // operator reason for tenant routes
  double timeout_seconds = 60;
};

class Context {
 public:
  GlobalFlags flags;

  // The client, made on first use from the flags, the environment and the profile.
  const Client& client();
  // The tenant commands act on: --tenant, GAON_TENANT, the profile's, else the tenant of a
  // tenant API key (asked from the server). Usage error when none can be found.
  TenantId tenant();
  // The settings the client was built from (profile name, config path), resolving them.
  const ResolvedSettings& settings();

  OutputFormat output() const;
  // Colour on stdout (color) or stderr (stderr_color): the stream is a TTY, NO_COLOR is unset
  // or empty (no-color.org), TERM is not dumb, and --no-color was not given.
  bool color() const;
  bool stderr_color() const;
  bool stderr_is_tty() const;

  // Asks "<question> [y/N]" on a TTY unless --yes; fails with a usage error when stdin is not
  // a TTY and --yes was not given, and ends the command (exit 1) when the answer is no.
  void Confirm(const std::string& question);

  // With --dry-run set by the command: prints what would be sent and returns true (the
  // command then returns without sending). `body` may be null.
  bool DryRun(bool dry_run, const std::string& method, const std::string& path, const boost::json::value& body);

  // WaitOptions for --wait: `timeout`, with a one-line progress display on stderr when it is
  // a TTY ("waiting for inst_… to be Running: Provisioning (12s)").
  WaitOptions Waiting(const std::string& what, std::string_view target, double timeout_seconds);
  // Ends the progress line a Waiting() display left.
  void DoneWaiting();

  // Prints a message for humans on stderr (never mixed with data on stdout).
  void Note(const std::string& message) const;

 private:
  std::optional<ResolvedSettings> settings_;
  std::optional<Client> client_;
  std::optional<TenantId> tenant_;
  bool progress_line_ = false;
};

}  // namespace gaon::cli
