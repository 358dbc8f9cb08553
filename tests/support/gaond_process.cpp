#include "tests/support/gaond_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/test_db.h"

extern char** environ;

namespace gaon::test {

std::string GaondProcess::Binary() {
  if (const char* p = std::getenv("GAON_GAOND"); p && *p) return p;
  return GAON_GAOND_PATH;
}

bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::unique_ptr<GaondProcess> GaondProcess::Start(const TestDatabase* db, GaondOptions options) {
  std::unique_ptr<GaondProcess> p(new GaondProcess());
  p->dir_ = MakeTempDir("gaond-test");
  const std::string ready = p->dir_ + "/ready";
  const std::string log = p->dir_ + "/gaond.log";

  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    // Start from a clean slate: none of the developer's GAON_* settings leak in.
    if (eq != std::string::npos && kv.rfind("GAON_", 0) != 0) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env["GAON_SERVER_LISTEN"] = "127.0.0.1:0";
  env["GAON_SERVER_READY_FILE"] = ready;
  env["GAON_SERVER_SHUTDOWN_TIMEOUT"] = "10s";
  env["GAON_DATABASE_POOL_SIZE"] = "4";
  if (db) {
    env["GAON_DATABASE_URL"] = db->app_url();
    env["GAON_DATABASE_OWNER_URL"] = db->owner_url();
  }
  for (const auto& [k, v] : options.env) env[k] = v;

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = {Binary()};
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  p->pid_ = ::fork();
  if (p->pid_ == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    // gaond gets stdout and stderr only. A socket the test holds (a proxy's client side, say)
    // must not live on in gaond: closing it in the test would no longer end the connection.
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fd);
  if (!options.wait_ready) return p;
  const bool ok = WaitUntil(
      [&] {
        std::ifstream in(ready);
        std::string addr;
        if (in >> addr) {
          p->address_ = addr;
          return true;
        }
        return !p->Running();
      },
      std::chrono::seconds(30));
  if (!ok || p->address_.empty()) {
    throw std::runtime_error("gaond did not become ready; its log:\n" + p->Log());
  }
  return p;
}

GaondProcess::~GaondProcess() {
  if (Running()) {
    Signal(SIGTERM);
    if (Wait(std::chrono::seconds(15)) < 0) {
      Signal(SIGKILL);
      Wait(std::chrono::seconds(5));
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void GaondProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool GaondProcess::Running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int GaondProcess::Wait(std::chrono::milliseconds timeout) {
  WaitUntil([this] { return !Running(); }, timeout);
  return Running() ? -1 : exit_code_;
}

std::string GaondProcess::Log() const {
  std::ifstream in(dir_ + "/gaond.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace gaon::test
