// The command tree of gaonctl: `gaonctl <resource> <verb>`, one Add*Commands per group of
// resources, plus the helpers every command uses (an example on every --help, list paging
// flags, labels, ids).
// Thread-safety: single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cli/context.h"
#include "cli/output.h"
#include "gaon/client.h"
#include "gaon/request_json.h"

namespace gaon::cli {

// tenants, users, members, api-keys, audit-events
void AddTenancyCommands(CLI::App& app, Context& ctx);
// regions, gpu-types, instance-types, images, ssh-keys, quotas, quota-requests, instances,
// events (the change feed)
void AddComputeCommands(CLI::App& app, Context& ctx);
// nodes, sim
void AddFleetCommands(CLI::App& app, Context& ctx);
// models, endpoints, sim traffic (after AddFleetCommands: it joins the sim group)
void AddInferenceCommands(CLI::App& app, Context& ctx);
// prices, discounts, usage, invoices, usage-events, credits, tenants billing-mode (after
// AddTenancyCommands: it joins the tenants group)
void AddBillingCommands(CLI::App& app, Context& ctx);
// api, login, config, whoami, status, version, completion
void AddToolCommands(CLI::App& app, Context& ctx);

// Writes the completion script for `shell` ("bash" or "zsh") from the command tree of `app`.
std::string CompletionScript(const CLI::App& app, const std::string& shell);

// A command `name` under `parent`; `example` is shown at the end of its --help.
CLI::App* Command(CLI::App* parent, const std::string& name, const std::string& description,
                  const std::string& example);
// A resource group (`gaonctl instances`): requires one of its verbs.
CLI::App* Group(CLI::App& app, const std::string& name, const std::string& description, const std::string& example);

// --dry-run on a verb that changes something: its callback then hands the request to
// Context::DryRun, which prints it, and sends nothing.
void AddDryRunFlag(CLI::App* cmd, bool& dry_run, const std::string& description = "Show the request without sending it");

// What a verb on one resource takes: the resource's id and --dry-run.
struct IdArgs {
  std::string id;
  bool dry_run = false;
};

struct ListFlags {
  int limit = 0;      // stop after this many items (0: all)
  int page_size = 0;  // items per request (0: the server's default)
  std::string page_token;
};
void AddListFlags(CLI::App* cmd, ListFlags& flags);
ListOptions ToListOptions(const ListFlags& flags);

// Reads a lazy list up to --limit items (pages are fetched as they are needed); ends the
// command on the first error.
template <typename T>
std::vector<boost::json::value> Collect(ListRange<T> range, const ListFlags& flags) {
  std::vector<boost::json::value> out;
  for (const auto& item : range) {
    if (!item.ok()) Fail(item.status());
    out.push_back(ToJson(*item));
    if (flags.limit > 0 && static_cast<int>(out.size()) >= flags.limit) break;
  }
  return out;
}

// "k=v" pairs into labels; usage error for anything else.
Labels ParseLabels(const std::vector<std::string>& pairs);
// "k=v" sets, "k-" removes: a merge patch for labels.
boost::json::object LabelPatch(const std::vector<std::string>& changes);
// A typed id from the command line; usage error when malformed.
template <typename Id>
Id ParseId(const std::string& text, const char* what) {
  auto id = Id::Parse(text);
  if (!id.ok()) UsageError("'" + text + "' is not a valid " + what + " id");
  return *id;
}
// The contents of a file ("-" reads stdin); ends the command when it cannot be read.
std::string ReadFileArg(const std::string& path);

}  // namespace gaon::cli
