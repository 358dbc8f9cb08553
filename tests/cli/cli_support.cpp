#include "tests/cli/cli_support.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/gaond_process.h"

namespace gaon::test {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> Environment(const CliRun& run) {
  std::vector<std::string> env;
  for (const char* keep : {"PATH", "HOME", "LANG"}) {
    if (const char* v = std::getenv(keep); v && run.env.count(keep) == 0) env.push_back(std::string(keep) + "=" + v);
  }
  for (const auto& [k, v] : run.env) env.push_back(k + "=" + v);
  return env;
}

[[noreturn]] void Exec(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<char*> argv{const_cast<char*>(GAON_GAONCTL_PATH)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(GAON_GAONCTL_PATH, argv.data(), envp.data());
  ::_exit(127);
}

int WaitExit(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    ::usleep(2000);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CliResult RunOnTty(const std::vector<std::string>& args, const CliRun& run) {
  const auto env = Environment(run);
  int master = -1;
  winsize ws{.ws_row = 40, .ws_col = 200, .ws_xpixel = 0, .ws_ypixel = 0};
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  if (pid == 0) Exec(args, env);
  if (!run.stdin_text.empty()) {
    // Typed ahead: the terminal keeps it until gaonctl reads.
    [[maybe_unused]] auto n = ::write(master, run.stdin_text.data(), run.stdin_text.size());
  }
  CliResult r;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 120'000) <= 0) break;
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(master);
  r.code = WaitExit(pid);
  return r;
}

}  // namespace

boost::json::value CliResult::Json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  INFO(Describe(*this));
  REQUIRE(!ec);
  return v;
}

std::string Describe(const CliResult& r) {
  return "exit " + std::to_string(r.code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

CliResult RunCli(const std::vector<std::string>& args, const CliRun& run) {
  if (run.tty) return RunOnTty(args, run);
  const std::string dir = MakeTempDir("gaonctl");
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  std::ofstream(in) << run.stdin_text;
  const auto env = Environment(run);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(::open(in.c_str(), O_RDONLY), 0);
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
    Exec(args, env);
  }
  CliResult r;
  r.code = WaitExit(pid);
  r.out = Slurp(out);
  r.err = Slurp(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  ::rmdir(dir.c_str());
  return r;
}

Gaonctl::Gaonctl(const std::string& address, const std::string& key, std::string config_home)
    : config_home_(config_home.empty() ? MakeTempDir("gaonctl-config") : std::move(config_home)) {
  env_ = {{"GAON_ENDPOINT", "http://" + address}, {"GAON_API_KEY", key}, {"XDG_CONFIG_HOME", config_home_},
          {"GAON_OPERATOR_REASON", "cli test"}};
}

CliResult Gaonctl::operator()(const std::vector<std::string>& args, std::map<std::string, std::string> env,
                              std::string stdin_text) const {
  CliRun run{.env = env_, .stdin_text = std::move(stdin_text)};
  for (auto& [k, v] : env) {
    if (v.empty()) {
      run.env.erase(k);  // an empty value unsets it
    } else {
      run.env[k] = v;
    }
  }
  return RunCli(args, run);
}

}  // namespace gaon::test
