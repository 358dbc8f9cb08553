// gaonctl without a server: every command's --help has an example and shows the global flags,
// the completion scripts are valid and complete commands and flags, and the error prefix is
// coloured only where colour is allowed.
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "tests/cli/cli_support.h"
#include "tests/support/gaond_process.h"

namespace gaon::test {
namespace {

// Every command path of gaonctl ("instances create"), read from the generated bash script.
std::vector<std::string> CommandPaths() {
  auto script = RunCli({"completion", "bash"});
  REQUIRE(script.code == 0);
  std::vector<std::string> out;
  std::regex entry(R"re(\["_ ([^"]+)"\])re");
  for (std::sregex_iterator it(script.out.begin(), script.out.end(), entry), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// What bash completes after `line` (words so far, the last one being completed).
std::string BashComplete(const std::string& script_path, const std::string& line) {
  const std::string dir = MakeTempDir("cli-complete");
  const std::string cmd = "bash -c 'source " + script_path + "; COMP_WORDS=(" + line +
                          "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _gaonctl; echo \"${COMPREPLY[*]}\"' > " + dir +
                          "/out 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream f(dir + "/out");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return s;
}

// The completion table of a generated script: path → the words that may follow it. `entry`
// matches one line of the table, capturing the path and the words.
std::map<std::string, std::string> CompletionTable(const std::string& script, const std::regex& entry) {
  std::map<std::string, std::string> out;
  for (std::sregex_iterator it(script.begin(), script.end(), entry), end; it != end; ++it) out[(*it)[1]] = (*it)[2];
  return out;
}

// What the zsh function offers after `line` (the words so far, the last one being completed):
// the script sourced into a plain zsh, compadd replaced by a print of what it was given.
std::string ZshComplete(const std::string& script_path, const std::string& line) {
  const std::string dir = MakeTempDir("cli-zsh-complete");
  const std::string cmd = "zsh -f -c 'compdef() { :; }; compadd() { print -r -- ${@:#--}; }; source " + script_path +
                          "; words=(" + line + "); CURRENT=${#words}; _gaonctl' > " + dir + "/out 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream f(dir + "/out");
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::set<std::string> Words(const std::string& s) {
  const auto w = Split(s);
  return {w.begin(), w.end()};
}

}  // namespace

TEST_CASE("every gaonctl command has --help with an example", "[cli][help]") {
  const auto paths = CommandPaths();
  REQUIRE(paths.size() > 60);
  std::set<std::string> groups;
  for (const auto& p : paths) {
    auto args = Split(p);
    groups.insert(args.front());
    args.push_back("--help");
    auto r = RunCli(args);
    INFO(p << "\n" << Describe(r));
    CHECK(r.code == 0);
    const auto example = r.out.find("Example:");
    REQUIRE(example != std::string::npos);
    CHECK(r.out.find("gaonctl", example) != std::string::npos);
    // The global flags, which the command takes too, are shown with it.
    const auto global = r.out.find("Global options:");
    REQUIRE(global != std::string::npos);
    for (const char* flag : {"-o,--output", "-y,--yes", "-t,--tenant", "--profile", "--endpoint", "--timeout"}) {
      CHECK(r.out.find(flag, global) != std::string::npos);
    }
    CHECK(r.out.find("-h,--help", global) == std::string::npos);  // the command's own --help is enough
  }
  for (const char* g : {"tenants", "quotas", "quota-requests", "users", "members", "memberships", "api-keys", "ssh-keys",
                        "regions", "instance-types", "images", "instances", "audit-events", "nodes", "sim", "api",
                        "login", "config", "completion", "billing", "budgets"}) {
    CHECK(groups.count(g) == 1);
  }
  auto root = RunCli({"--help"});
  CHECK(root.out.find("Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict or quota, 5 unauthorised") !=
        std::string::npos);
  CHECK(RunCli({}).code == 2);
  CHECK(RunCli({"instances"}).code == 2);
  CHECK(RunCli({"instances", "create", "x", "--type"}).code == 2);
}

TEST_CASE("the bash and zsh completion scripts are valid and complete commands, verbs and flags", "[cli][completion]") {
  const std::string dir = MakeTempDir("cli-completion");
  auto bash = RunCli({"completion", "bash"});
  auto zsh = RunCli({"completion", "zsh"});
  REQUIRE(bash.code == 0);
  REQUIRE(zsh.code == 0);
  std::ofstream(dir + "/gaonctl.bash") << bash.out;
  std::ofstream(dir + "/_gaonctl") << zsh.out;
  CHECK(std::system(("bash -n " + dir + "/gaonctl.bash").c_str()) == 0);
  CHECK(zsh.out.rfind("#compdef gaonctl\n", 0) == 0);
  CHECK(RunCli({"completion", "fish"}).code == 2);

  // Both scripts hold the same table, from the same command tree: every command path with
  // the same verbs and flags.
  const auto bash_table = CompletionTable(bash.out, std::regex(R"re(\["([^"]+)"\]="([^"]*)")re"));
  const auto zsh_table = CompletionTable(zsh.out, std::regex(R"re(\n  '([^']+)' '([^']*)')re"));
  CHECK(bash_table.size() > 60);
  CHECK(zsh_table == bash_table);
  CHECK(Words(zsh_table.at("_ instances")).count("reboot") == 1);
  CHECK(Words(zsh_table.at("_ nodes drain")).count("--wait") == 1);

  // zsh itself: the script parses, and completes as the bash one does. ./gaon installs zsh; a
  // machine without it says so here rather than passing in silence.
  if (std::system("command -v zsh > /dev/null") != 0) {
    WARN("zsh is not installed: the zsh script was compared with the bash one but not run (./gaon installs zsh)");
  } else {
    const std::string zscript = dir + "/_gaonctl";
    CHECK(std::system(("zsh -n " + zscript).c_str()) == 0);
    const auto top = Words(ZshComplete(zscript, "gaonctl \"\""));
    CHECK(top.count("instances") == 1);
    CHECK(top.count("instance-types") == 1);
    CHECK(top.count("--output") == 0);  // flags only after a '-'
    const auto zverbs = Words(ZshComplete(zscript, "gaonctl instances \"\""));
    for (const char* v : {"create", "list", "get", "delete", "stop", "start", "reboot", "wait", "events"}) {
      CHECK(zverbs.count(v) == 1);
    }
    const auto flags = Words(ZshComplete(zscript, "gaonctl instances create --"));
    CHECK(flags.count("--wait") == 1);
    CHECK(flags.count("--output") == 1);  // global
    CHECK(Words(ZshComplete(zscript, "gaonctl nodes list -o \"\"")) ==
          std::set<std::string>{"table", "wide", "json", "yaml", "name"});
  }

  const std::string script = dir + "/gaonctl.bash";
  const auto top = Split(BashComplete(script, "gaonctl inst"));
  CHECK(std::set<std::string>(top.begin(), top.end()) == std::set<std::string>{"instances", "instance-types"});
  const auto verbs = BashComplete(script, "gaonctl instances \"\"");
  for (const char* v : {"create", "list", "get", "delete", "stop", "start", "reboot", "wait", "events"}) {
    CHECK(verbs.find(v) != std::string::npos);
  }
  CHECK(BashComplete(script, "gaonctl instances create --wa").find("--wait") != std::string::npos);
  CHECK(BashComplete(script, "gaonctl instances list --ou").find("--output") != std::string::npos);  // global
  CHECK(BashComplete(script, "gaonctl nodes list -o y") == "yaml\n");
}

}  // namespace gaon::test

namespace gaon::test {

TEST_CASE("the error prefix is red on a terminal unless NO_COLOR is set non-empty, TERM is dumb or --no-color",
          "[cli][output]") {
  // No endpoint anywhere: every command fails before sending anything, with "Error: …".
  CliRun run{.env = {{"TERM", "xterm"}, {"XDG_CONFIG_HOME", MakeTempDir("cli-error-color")}}, .tty = true};
  auto error_of = [&run](std::vector<std::string> args = {"whoami"}) {
    const CliResult r = RunCli(args, run);
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out.find("Error:") != std::string::npos);
    return r.out;
  };
  CHECK(error_of().find("\033[31mError:\033[0m ") != std::string::npos);
  run.env["NO_COLOR"] = "";  // set but empty: no-color.org says colour stays
  CHECK(error_of().find("\033[31mError:") != std::string::npos);
  run.env["NO_COLOR"] = "1";
  CHECK(error_of().find("\033[") == std::string::npos);
  run.env.erase("NO_COLOR");
  run.env["TERM"] = "dumb";
  CHECK(error_of().find("\033[") == std::string::npos);
  run.env["TERM"] = "xterm";
  CHECK(error_of({"whoami", "--no-color"}).find("\033[") == std::string::npos);
  run.tty = false;  // stderr to a file
  CHECK(RunCli({"whoami"}, run).err.rfind("Error: ", 0) == 0);
}

}  // namespace gaon::test
