// GaondProcess: a real `gaond` started for an end-to-end test, on a free loopback port, with
// its own test database, its log captured to a file. Stopped (SIGTERM, then SIGKILL) when
// destroyed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gaon::test {

class TestDatabase;

struct GaondOptions {
  std::vector<std::string> args = {"serve"};
  std::map<std::string, std::string> env;  // extra GAON_* settings
  bool wait_ready = true;                  // wait for the ready file (serve only)
};

class GaondProcess {
 public:
  // Starts gaond against `db` (may be null: no database settings are passed). Throws when the
  // process does not become ready within 30 s, with its log in the message.
  static std::unique_ptr<GaondProcess> Start(const TestDatabase* db, GaondOptions options = {});
  ~GaondProcess();

  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }

  void Signal(int sig);
  // Waits for the process to exit; returns its exit code, 128+signal, or -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool Running();
  std::string Log() const;

  // Path of the gaond binary under test.
  static std::string Binary();

 private:
  GaondProcess() = default;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string address_, dir_;
};

// Polls `cond` until it is true or `timeout` passes; returns the last result.
bool WaitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A fresh private directory under the build's temp area; removed by the caller if wanted.
std::string MakeTempDir(const std::string& prefix);

}  // namespace gaon::test
