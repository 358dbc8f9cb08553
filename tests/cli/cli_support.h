// Helpers for gaonctl's end-to-end tests: run the real gaonctl binary (GAON_GAONCTL_PATH) as a
// child process against a TestCloud's gaond, with its own environment and config directory,
// and capture its exit code, stdout and stderr.
#pragma once

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "tests/support/cloud.h"

namespace gaon::test {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  boost::json::value Json() const;  // stdout parsed as JSON; fails the test when it is not
};

// How gaonctl is started: environment (replacing the inherited one, except PATH and HOME),
// stdin contents, and whether stdout/stderr are a pseudo-terminal (then `out` holds both).
struct CliRun {
  std::map<std::string, std::string> env;
  std::string stdin_text;
  bool tty = false;
};

// Runs `gaonctl args...`; gives up (code -1) after 120 s.
CliResult RunCli(const std::vector<std::string>& args, const CliRun& run = {});

// A gaonctl pointed at one gaond with one key, and a private XDG_CONFIG_HOME.
class Gaonctl {
 public:
  Gaonctl(const std::string& address, const std::string& key, std::string config_home = {});
  CliResult operator()(const std::vector<std::string>& args, std::map<std::string, std::string> env = {},
                       std::string stdin_text = {}) const;
  std::map<std::string, std::string>& env() { return env_; }
  const std::string& config_home() const { return config_home_; }

 private:
  std::map<std::string, std::string> env_;
  std::string config_home_;
};

// Why a CliResult failed, for INFO().
std::string Describe(const CliResult& r);

}  // namespace gaon::test
