// End-to-end: a real gaond process against a real PostgreSQL database.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/cloud.h"
#include "tests/support/gaond_process.h"
#include "tests/support/http_client.h"
#include "tests/support/test_db.h"

using namespace gaon::test;

namespace {

// Forwards loopback TCP connections to 127.0.0.1:`target_port` until Stop(), which cuts every
// connection and closes the port: to gaond behind it, a database server that went away.
class TcpForwarder {
 public:
  explicit TcpForwarder(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      throw std::runtime_error("TcpForwarder: cannot listen");
    }
    port_ = ntohs(sa.sin_port);
    accept_ = std::thread([this] { Accept(); });
  }
  ~TcpForwarder() { Stop(); }
  int port() const { return port_; }

  void Stop() {
    if (stopped_.exchange(true)) return;
    accept_.join();  // from here on, this thread alone touches fds_ and pipes_
    ::close(listen_fd_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : pipes_) t.join();
    for (int fd : fds_) ::close(fd);
  }

 private:
  void Accept() {
    while (!stopped_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(target_port_));
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(server, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      fds_.push_back(client);
      fds_.push_back(server);
      pipes_.emplace_back([this, client, server] { Pipe(client, server); });
    }
  }
  // Copies both ways until either side closes or Stop() shuts the sockets down.
  void Pipe(int a, int b) {
    char buf[16384];
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    while (!stopped_ && ::poll(p, 2, 50) >= 0) {
      bool open = true;
      for (int i = 0; i < 2 && open; ++i) {
        if (!p[i].revents) continue;
        const ssize_t n = ::recv(p[i].fd, buf, sizeof buf, 0);
        open = n > 0 && ::send(p[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) == n;
      }
      if (!open) break;
    }
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }
  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread accept_;
  std::vector<int> fds_;              // both ends of every connection; Accept() adds to them
  std::vector<std::thread> pipes_;    // one per connection
};

// The port of a postgresql://user:password@host:PORT/db URL, and the URL with another port.
int UrlPort(const std::string& url) {
  std::smatch m;
  if (!std::regex_search(url, m, std::regex("@[^/:]+:([0-9]+)/"))) throw std::runtime_error("no port in " + url);
  return std::stoi(m[1]);
}
std::string WithPort(const std::string& url, int port) {
  std::smatch m;
  if (!std::regex_search(url, m, std::regex("@[^/:]+:([0-9]+)/"))) throw std::runtime_error("no port in " + url);
  return url.substr(0, m.position(1)) + std::to_string(port) + url.substr(m.position(1) + m.length(1));
}

}  // namespace

TEST_CASE("gaond answers health, readiness, metrics and its API contract", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());

  auto health = http.Get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.Json().at("status").as_string() == "ok");

  auto ready = http.Get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.Json().at("status").as_string() == "ready");

  auto spec = http.Get("/v1/openapi.yaml");
  CHECK(spec.status == 200);
  CHECK(spec.Header("Content-Type") == "application/yaml");
  std::ifstream file(std::string(GAON_SOURCE_DIR) + "/docs/openapi.yaml");
  const std::string on_disk((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  CHECK(spec.body == on_disk);

  auto metrics = http.Get("/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("gaon_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"));
  CHECK_THAT(metrics.body, Catch::Contains("gaon_http_request_duration_seconds_bucket{route=\"/readyz\""));
  CHECK_THAT(metrics.body, Catch::Contains("gaon_db_pool_connections_idle"));
  CHECK_THAT(metrics.body, Catch::Contains("gaon_db_pool_waits_total"));
  CHECK(http.reused() >= 3);  // all of it over one kept-alive connection
}

TEST_CASE("unknown routes are 404 and wrong methods 405 with Allow, as problem documents", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  auto missing = http.Get("/v1/nothing");
  CHECK(missing.status == 404);
  CHECK(missing.Header("Content-Type") == "application/problem+json");
  auto p = missing.Json().as_object();
  CHECK(p.at("code").as_string() == "route_not_found");
  CHECK(p.at("status").as_int64() == 404);
  CHECK(p.at("request_id").as_string() == *missing.Header("X-Request-Id"));

  auto wrong = http.Request("DELETE", "/healthz");
  CHECK(wrong.status == 405);
  CHECK(wrong.Header("Allow") == "GET");
  CHECK(wrong.Json().at("code").as_string() == "method_not_allowed");
}

TEST_CASE("request ids are taken from the client when well-formed and generated otherwise", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  auto given = http.Request("GET", "/healthz", "", {{"X-Request-Id", "client-trace.42:abc"}});
  CHECK(given.Header("X-Request-Id") == "client-trace.42:abc");
  auto bad = http.Request("GET", "/healthz", "", {{"X-Request-Id", "has spaces and <script>"}});
  REQUIRE(bad.Header("X-Request-Id"));
  CHECK(bad.Header("X-Request-Id")->rfind("req_", 0) == 0);
  auto none = http.Get("/v1/missing");
  CHECK(none.Header("X-Request-Id")->rfind("req_", 0) == 0);
  CHECK(none.Json().at("request_id").as_string() == *none.Header("X-Request-Id"));
  // The id is in the access log line of that request.
  gaond->Signal(SIGTERM);
  gaond->Wait();
  CHECK_THAT(gaond->Log(), Catch::Contains("\"request_id\":\"client-trace.42:abc\""));
}

TEST_CASE("every log line is one JSON object with time and level and msg and the request id", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  REQUIRE(http.Request("GET", "/v1/missing", "", {{"X-Request-Id", "log-line-check-1"}}).status == 404);
  gaond->Signal(SIGTERM);
  REQUIRE(gaond->Wait() == 0);
  std::istringstream log(gaond->Log());
  std::string line;
  int lines = 0, access = 0;
  while (std::getline(log, line)) {
    INFO(line);
    ++lines;
    boost::json::object o;
    REQUIRE_NOTHROW(o = boost::json::parse(line).as_object());
    CHECK(std::regex_match(std::string(o.at("time").as_string()),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    const std::string level(o.at("level").as_string());
    CHECK((level == "debug" || level == "info" || level == "warn" || level == "error"));
    CHECK_FALSE(o.at("msg").as_string().empty());
    if (o.contains("request_id") && o.at("request_id") == "log-line-check-1") {
      ++access;
      CHECK(o.at("status").as_int64() == 404);
    }
  }
  CHECK(lines >= 3);  // serving, one access line, shutting down, stopped
  CHECK(access == 1);
}

TEST_CASE("the pool gauges show a connection in use while a request holds it", "[e2e]") {
  auto db = TestDatabase::Create();
  // Without the controllers, whose connections would come and go in the same gauge.
  auto gaond = GaondProcess::Start(db.get(), {.args = {"serve", "--roles", "api"}});
  HttpClient http(gaond->address());
  REQUIRE(http.Get("/readyz").status == 200);
  CHECK_THAT(http.Get("/metrics").body, Catch::Contains("\ngaon_db_pool_connections_in_use 0\n"));

  // /readyz reads schema_migrations: while the test locks it, the request holds its connection.
  pqxx::connection lock_conn(db->owner_url());
  pqxx::work lock(lock_conn);
  lock.exec("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
  auto blocked = std::async(std::launch::async, [&] { return HttpClient(gaond->address()).Get("/readyz"); });
  CHECK(WaitUntil([&] {
    return http.Get("/metrics").body.find("\ngaon_db_pool_connections_in_use 1\n") != std::string::npos;
  }));
  lock.abort();
  CHECK(blocked.get().status == 200);
  CHECK(WaitUntil([&] {
    return http.Get("/metrics").body.find("\ngaon_db_pool_connections_in_use 0\n") != std::string::npos;
  }));
}

TEST_CASE("oversized bodies get 413 and oversized heads 431, as problems", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_MAX_BODY_BYTES", "4KiB"},
                                                      {"GAON_SERVER_MAX_HEADER_BYTES", "2KiB"}}});
  HttpClient http(gaond->address());

  // Declared too large: refused from the head, before any body is read.
  auto declared = http.Raw("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  CHECK(declared.status == 413);
  CHECK(declared.Header("Content-Type") == "application/problem+json");
  CHECK(declared.Json().at("code").as_string() == "payload_too_large");

  // Chunked bodies have no declared length: refused once they pass the limit.
  std::string chunked = "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) chunked += "400\r\n" + std::string(1024, 'a') + "\r\n";
  auto streamed = http.Raw(chunked);
  CHECK(streamed.status == 413);

  auto head = http.Raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3000, 'h') + "\r\n\r\n");
  CHECK(head.status == 431);
  CHECK(head.Json().at("code").as_string() == "header_too_large");
  REQUIRE(head.Header("X-Request-Id"));

  // Within the limits everything still works.
  CHECK(http.Request("POST", "/healthz", std::string(4000, 'b')).status == 405);
  CHECK(http.Get("/healthz").status == 200);
}

TEST_CASE("malformed requests get 400 and do not hurt the server", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  CHECK(http.Raw("GARBAGE\r\n\r\n").status == 400);
  CHECK(http.Raw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n").status == 400);
  CHECK(http.Raw("GET /he%zzlthz?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n").status != 0);
  CHECK(http.Get("/healthz").status == 200);
  CHECK(gaond->Running());
}

TEST_CASE("connections beyond the cap are answered 503 and closed", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_MAX_CONNECTIONS", "2"}}});
  HttpClient a(gaond->address()), b(gaond->address()), c(gaond->address());
  REQUIRE(a.Get("/healthz").status == 200);
  REQUIRE(b.Get("/healthz").status == 200);
  auto refused = c.Get("/healthz");
  CHECK(refused.status == 503);
  CHECK(refused.Json().at("code").as_string() == "too_many_connections");
  CHECK(a.Get("/healthz").status == 200);  // the admitted ones keep working
}

TEST_CASE("idle keep-alive connections are closed after the idle timeout", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_IDLE_TIMEOUT", "300ms"}}});
  HttpClient http(gaond->address());
  const int fd = http.OpenSocket();
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  CHECK(http.ReadResponse(fd).status == 200);
  char byte;
  // The server closes the idle connection: recv sees EOF well before our own 5 s limit.
  const auto start = std::chrono::steady_clock::now();
  CHECK(::recv(fd, &byte, 1, 0) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  ::close(fd);
}

TEST_CASE("a request head that stalls half-way is cut off after the read timeout", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_READ_TIMEOUT", "300ms"},
                                                      {"GAON_SERVER_IDLE_TIMEOUT", "60s"}}});
  HttpClient http(gaond->address());
  // Sends half a head on `fd` and returns how long the server took to close the connection.
  const auto cut_off_after = [](int fd) {
    const std::string half = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    REQUIRE(::send(fd, half.data(), half.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(half.size()));
    const auto start = std::chrono::steady_clock::now();
    char byte;
    timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    CHECK(::recv(fd, &byte, 1, 0) == 0);  // closed, not answered and not our own time limit
    ::close(fd);
    return std::chrono::steady_clock::now() - start;
  };
  // The first request on a connection.
  const auto first = cut_off_after(http.OpenSocket());
  CHECK(first >= std::chrono::milliseconds(250));
  CHECK(first < std::chrono::seconds(3));
  // A later one on a kept-alive connection: the idle timeout (60 s) covers the wait for it,
  // the read timeout the request once it has begun.
  const int fd = http.OpenSocket();
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  REQUIRE(http.ReadResponse(fd).status == 200);
  const auto later = cut_off_after(fd);
  CHECK(later >= std::chrono::milliseconds(250));
  CHECK(later < std::chrono::seconds(3));
}

TEST_CASE("readyz is 503 with the reason when the schema is not the expected one", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  REQUIRE(http.Get("/readyz").status == 200);
  db->OwnerQuery("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_future', 'x')");
  auto r = http.Get("/readyz");
  CHECK(r.status == 503);
  CHECK(r.Json().at("code").as_string() == "not_ready");
  CHECK_THAT(std::string(r.Json().at("detail").as_string()), Catch::Contains("9999"));
  CHECK(http.Get("/healthz").status == 200);  // alive, just not ready
}

TEST_CASE("readyz is 503 with the reason when migrations are pending", "[e2e]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient http(gaond->address());
  REQUIRE(http.Get("/readyz").status == 200);
  const std::string last = db->OwnerQuery("SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1");
  db->OwnerQuery("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)");
  auto r = http.Get("/readyz");
  CHECK(r.status == 503);
  CHECK(r.Header("Content-Type") == "application/problem+json");
  CHECK(r.Json().at("code").as_string() == "not_ready");
  const std::string detail(r.Json().at("detail").as_string());
  CHECK_THAT(detail, Catch::Contains("1 migration(s) pending") && Catch::Contains(last) &&
                         Catch::Contains("gaond migrate"));
}

TEST_CASE("readyz is 503 with the reason when the database is unreachable", "[e2e]") {
  auto db = TestDatabase::Create();
  // gaond reaches PostgreSQL through a forwarder the test can take away.
  TcpForwarder forwarder(UrlPort(db->app_url()));
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_DATABASE_URL", WithPort(db->app_url(), forwarder.port())},
                                                      {"GAON_DATABASE_MAX_TX_ATTEMPTS", "2"}}});
  HttpClient http(gaond->address());
  REQUIRE(http.Get("/readyz").status == 200);
  forwarder.Stop();
  auto r = http.Get("/readyz");
  CHECK(r.status == 503);
  CHECK(r.Json().at("code").as_string() == "not_ready");
  const std::string detail(r.Json().at("detail").as_string());
  CHECK_THAT(detail, Catch::StartsWith("not ready: ") && Catch::Contains("database"));
  CHECK(http.Get("/healthz").status == 200);  // alive, just not ready
  CHECK(gaond->Running());
}

TEST_CASE("gaond refuses to serve an outdated schema unless told to migrate on start", "[e2e]") {
  auto db = TestDatabase::Create(false);
  auto refused = GaondProcess::Start(db.get(), {.wait_ready = false});
  CHECK(refused->Wait() == 1);
  CHECK_THAT(refused->Log(), Catch::Contains("gaond migrate"));

  auto migrating = GaondProcess::Start(db.get(), {.env = {{"GAON_DATABASE_MIGRATE_ON_START", "true"}}});
  HttpClient http(migrating->address());
  CHECK(http.Get("/readyz").status == 200);
}

TEST_CASE("gaond help describes the commands as they are", "[e2e]") {
  auto help = GaondProcess::Start(nullptr, {.args = {"--help"}, .wait_ready = false});
  REQUIRE(help->Wait() == 0);
  for (const char* command : {"serve", "migrate", "bootstrap", "version", "config"}) {
    CHECK_THAT(help->Log(), Catch::Contains(std::string("\n  ") + command + " "));
  }
  auto serve = GaondProcess::Start(nullptr, {.args = {"serve", "--help"}, .wait_ready = false});
  REQUIRE(serve->Wait() == 0);
  CHECK_THAT(serve->Log(), Catch::Contains("run the controllers") && Catch::Contains("--roles") &&
                               Catch::Contains("api (the API only)"));
  // Nothing promised for later: the help says what this binary does.
  for (const auto* p : {help.get(), serve.get()}) {
    CHECK_THAT(p->Log(), !Catch::Contains("issue") && !Catch::Contains("will "));
  }
}

TEST_CASE("gaond migrate applies the schema and gaond version names it", "[e2e]") {
  auto db = TestDatabase::Create(false);
  auto migrate = GaondProcess::Start(db.get(), {.args = {"migrate"}, .wait_ready = false});
  REQUIRE(migrate->Wait() == 0);
  CHECK(db->OwnerQuery("SELECT count(*) > 0 FROM schema_migrations") == "t");
  auto version = GaondProcess::Start(nullptr, {.args = {"version"}, .wait_ready = false});
  REQUIRE(version->Wait() == 0);
  CHECK_THAT(version->Log(), Catch::Matches("gaond \\d+\\.\\d+\\.\\d+ \\(schema \\d+\\)\\s*"));
}

TEST_CASE("bad configuration stops gaond at start with a message naming the key", "[e2e]") {
  const std::string dir = MakeTempDir("cfg");
  std::ofstream(dir + "/bad.yaml") << "server:\n  listen: 127.0.0.1:0\n  max_conections: 5\n";
  auto bad_file = GaondProcess::Start(nullptr, {.args = {"serve", "--config", dir + "/bad.yaml"}, .wait_ready = false});
  CHECK(bad_file->Wait() == 1);
  CHECK_THAT(bad_file->Log(), Catch::Contains("server.max_conections"));

  auto bad_env = GaondProcess::Start(nullptr, {.env = {{"GAON_DATABASE_POOL_SIZE", "lots"}}, .wait_ready = false});
  CHECK(bad_env->Wait() == 1);
  CHECK_THAT(bad_env->Log(), Catch::Contains("GAON_DATABASE_POOL_SIZE"));

  auto misspelled = GaondProcess::Start(nullptr, {.args = {"config", "--check"},
                                                  .env = {{"GAON_DATABSE_URL", "postgresql://x/y"}},
                                                  .wait_ready = false});
  CHECK(misspelled->Wait() == 1);
  CHECK_THAT(misspelled->Log(), Catch::Contains("GAON_DATABSE_URL") && Catch::Contains("GAON_DATABASE_URL"));
}

TEST_CASE("graceful shutdown finishes the request in flight and then exits", "[e2e][shutdown]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get());
  HttpClient warm(gaond->address());
  REQUIRE(warm.Get("/readyz").status == 200);

  // Hold a lock that /readyz needs, so its request stays in flight while we signal.
  pqxx::connection lock_conn(db->owner_url());
  pqxx::work lock(lock_conn);
  lock.exec("LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");

  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient http(gaond->address());
    return http.Get("/readyz");
  });
  REQUIRE(WaitUntil([&] {
    HttpClient probe(gaond->address());
    auto m = probe.Get("/metrics");
    return m.body.find("gaon_http_in_flight_requests 2") != std::string::npos;  // readyz + this probe
  }));
  gaond->Signal(SIGTERM);
  // Shutdown has begun: new connections are no longer accepted...
  CHECK(WaitUntil([&] {
    try {
      HttpClient probe(gaond->address(), std::chrono::milliseconds(500));
      return probe.Get("/healthz").status == 0;
    } catch (const std::exception&) {
      return true;  // connection refused
    }
  }));
  CHECK(gaond->Running());  // ...but the process waits for the request in flight
  lock.abort();
  auto answer = in_flight.get();
  CHECK(answer.status == 200);
  CHECK(answer.Header("Connection") == "close");
  CHECK(gaond->Wait() == 0);
  CHECK_THAT(gaond->Log(), Catch::Contains("gaond stopped"));
}

TEST_CASE("at the shutdown deadline database work is cancelled and rolled back and gaond exits", "[e2e][shutdown]") {
  // A short deadline against the default 30 s statement timeout: without cancellation gaond
  // would wait for the blocked statement (8 attempts of it) before exiting. API only: the
  // controllers' lease renewal (every 667 ms in tests) could otherwise be the one other
  // transaction in flight at the deadline, and be counted too.
  auto c = TestCloud::Start({.args = {"serve", "--roles", "api"}, .env = {{"GAON_SERVER_SHUTDOWN_TIMEOUT", "500ms"}}});
  const std::string t = c->CreateTenant("lockedco");
  const std::string before = c->db().AdminQuery("SELECT display_name FROM tenants WHERE tenant_id = '" + t + "'");

  // Hold the tenant's row lock, so the PATCH below blocks inside its UPDATE.
  pqxx::connection lock_conn(c->db().admin_url());
  pqxx::work lock(lock_conn);
  lock.exec("SELECT 1 FROM tenants WHERE tenant_id = " + lock.quote(t) + " FOR UPDATE");
  auto patch = std::async(std::launch::async, [&] {
    return c->Op("PATCH", "/v1/tenants/" + t, R"({"display_name":"changed during shutdown"})");
  });
  REQUIRE(WaitUntil([&] {
    return c->db().AdminQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND application_name = 'gaond' AND wait_event_type = 'Lock'") == "1";
  }));

  const auto signalled = std::chrono::steady_clock::now();
  c->gaond().Signal(SIGTERM);
  const int code = c->gaond().Wait(std::chrono::seconds(20));
  const auto took = std::chrono::steady_clock::now() - signalled;
  CHECK(code == 0);
  CHECK(took < std::chrono::milliseconds(500 + 1500));
  const auto answer = patch.get();
  CHECK(answer.status == 503);
  CHECK_THAT(answer.body, Catch::Contains("shutting_down"));
  const std::string log = c->gaond().Log();
  CHECK_THAT(log, Catch::Contains("shutdown deadline passed: abandoning the work still running"));
  CHECK_THAT(log, Catch::Contains("\"database_transactions_cancelled\":1"));
  CHECK_THAT(log, Catch::Contains("gaond stopped"));

  // Nothing of the cancelled PATCH committed: neither the change nor its audit record.
  lock.abort();
  CHECK(c->db().AdminQuery("SELECT display_name FROM tenants WHERE tenant_id = '" + t + "'") == before);
  CHECK(c->db().AdminQuery("SELECT count(*) FROM audit_events WHERE action = 'tenants.update'") == "0");
  CHECK(c->db().AdminQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name = 'gaond'") == "0");
}

TEST_CASE("TLS serves with TLS 1.2 or newer and refuses older protocols", "[e2e][tls]") {
  const std::string dir = MakeTempDir("tls");
  const std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + dir +
                          "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
  REQUIRE(std::system(gen.c_str()) == 0);
  // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level on both sides, which would
  // hide whether gaond itself refuses them. With this configuration, for gaond and the client
  // alike, OpenSSL allows every protocol and cipher: only gaond's own minimum is left to refuse.
  const std::string permissive = dir + "/openssl.cnf";
  std::ofstream(permissive) << "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n"
                               "[tls]\nMinProtocol = None\nCipherString = DEFAULT:@SECLEVEL=0\n";
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_TLS_CERT_FILE", dir + "/cert.pem"},
                                                      {"GAON_SERVER_TLS_KEY_FILE", dir + "/key.pem"},
                                                      {"OPENSSL_CONF", permissive}}});
  // What `openssl s_client` says of a handshake offering only `version`.
  const auto handshake = [&](const std::string& version) {
    const std::string out = dir + "/handshake-" + version;
    const std::string cmd = "OPENSSL_CONF=" + permissive + " openssl s_client -brief -connect " + gaond->address() +
                            " -" + version + " -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >" + out + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(out);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()) +
           (status == 0 ? "" : "\nfailed");
  };
  // The client really offered the old protocol, and the server answered with a protocol
  // version alert.
  for (const std::string old : {"tls1", "tls1_1"}) {
    INFO(old);
    const std::string r = handshake(old);
    CHECK_THAT(r, Catch::Contains("alert protocol version") && Catch::Contains("failed"));
    CHECK_THAT(r, !Catch::Contains("CONNECTION ESTABLISHED"));
  }
  CHECK_THAT(handshake("tls1_2"), Catch::Contains("Protocol version: TLSv1.2") && !Catch::Contains("failed"));
  CHECK_THAT(handshake("tls1_3"), Catch::Contains("Protocol version: TLSv1.3") && !Catch::Contains("failed"));

  const std::string url = "https://" + gaond->address() + "/healthz";
  const std::string ok = "curl -sf --cacert " + dir + "/cert.pem --tlsv1.2 " + url + " > " + dir + "/out.txt";
  CHECK(std::system(ok.c_str()) == 0);
  std::ifstream out(dir + "/out.txt");
  std::string body((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  CHECK(body == R"({"status":"ok"})");
  const std::string plain = "curl -sf http://" + gaond->address() + "/healthz >/dev/null 2>&1";
  CHECK(std::system(plain.c_str()) != 0);
}

TEST_CASE("a client still sending an oversized body receives the 413", "[e2e][limits]") {
  auto db = TestDatabase::Create();
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_MAX_BODY_BYTES", "4KiB"}}});
  HttpClient http(gaond->address());
  // The whole 1 MiB body goes out before we read: the server must not reset the connection
  // under it.
  std::string req = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + std::string(1048576, 'z');
  auto r = http.Raw(req);
  CHECK(r.status == 413);
}

namespace {

// Runs `script` with bash after sourcing the ./gaon script (which then defines its functions
// and runs no verb); returns bash's exit status.
int SourceGaon(const std::string& dir, const std::string& script) {
  std::ofstream(dir + "/script.sh") << "source " << GAON_SOURCE_DIR << "/gaon\nset +e\n" << script;
  const int status = std::system(("bash " + dir + "/script.sh").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("./gaon run exits with gaond's failure status, and 0 when stopped by a signal", "[e2e][gaon-script]") {
  const std::string dir = MakeTempDir("gaon-run");
  // A stand-in for gaond: fails with $FAKE_FAIL, or serves until SIGTERM and then exits 0.
  std::filesystem::create_directories(dir + "/build/server");
  std::ofstream(dir + "/build/server/gaond") << R"(#!/bin/sh
[ "$1" = serve ] || exit 1
[ -n "$FAKE_FAIL" ] && exit "$FAKE_FAIL"
trap 'exit 0' TERM
echo 127.0.0.1:1 >"$GAON_SERVER_READY_FILE"
while :; do sleep 0.05; done
)";
  std::filesystem::permissions(dir + "/build/server/gaond", std::filesystem::perms::owner_all);
  const std::string serve = "BUILD=" + dir + "/build STATE=" + dir + "/state; mkdir -p $STATE\n" +
                            "export GAON_SERVER_LISTEN=127.0.0.1:1\n" +
                            "rc=0; serve_foreground 2>/dev/null || rc=$?; echo $rc >" + dir + "/rc\nexit $rc\n";

  CHECK(SourceGaon(dir, "export FAKE_FAIL=3\n" + serve) == 3);
  std::filesystem::remove(dir + "/rc");

  // Stopped the way Ctrl-C or a service manager stops it: the script's SIGTERM reaches gaond,
  // which exits 0, and so does the script.
  const std::string runner = dir + "/runner.sh";
  std::ofstream(runner) << "echo $$ >" << dir << "/pid\nsource " << GAON_SOURCE_DIR << "/gaon\nset +e\n" << serve;
  REQUIRE(std::system(("bash " + runner + " >/dev/null 2>&1 &").c_str()) == 0);
  REQUIRE(WaitUntil([&] { return std::filesystem::exists(dir + "/state/gaond.addr"); }));
  const pid_t script = std::stoi(ReadFile(dir + "/pid"));
  REQUIRE(::kill(script, SIGTERM) == 0);
  REQUIRE(WaitUntil([&] { return !ReadFile(dir + "/rc").empty(); }));
  CHECK(ReadFile(dir + "/rc") == "0\n");
}

TEST_CASE("./gaon configures the build afresh when its build settings change", "[e2e][gaon-script]") {
  const std::string dir = MakeTempDir("gaon-build");
  std::filesystem::create_directories(dir + "/build");
  std::ofstream(dir + "/build/build.ninja") << "";
  // cmake is replaced by a function that records how it was called.
  const auto build = [&](const std::string& settings) {
    std::filesystem::remove(dir + "/calls");
    REQUIRE(SourceGaon(dir, "unset GAON_BUILD_TYPE GAON_WERROR GAON_CMAKE_ARGS\n" + settings +
                                "\nBUILD=" + dir + "/build\ncmake() { echo \"$*\" >>" + dir +
                                "/calls; }\nbuild 2>/dev/null\n") == 0);
    return ReadFile(dir + "/calls");
  };
  const std::string first = build("");  // no record of the settings used: configure
  CHECK_THAT(first, Catch::Contains("--fresh") && Catch::Contains("-DCMAKE_BUILD_TYPE=RelWithDebInfo") &&
                        Catch::Contains("-DGAON_WERROR=ON"));
  CHECK_THAT(build(""), !Catch::Contains("--fresh"));  // same settings: build only
  CHECK_THAT(build("export GAON_BUILD_TYPE=Debug"),
             Catch::Contains("--fresh") && Catch::Contains("-DCMAKE_BUILD_TYPE=Debug"));
  CHECK_THAT(build("export GAON_BUILD_TYPE=Debug GAON_CMAKE_ARGS=-DGAON_ASAN=ON"),
             Catch::Contains("--fresh") && Catch::Contains("-DGAON_ASAN=ON"));
  // Dropping an option configures afresh too, so the cached option does not linger.
  const std::string dropped = build("export GAON_BUILD_TYPE=Debug");
  CHECK_THAT(dropped, Catch::Contains("--fresh") && !Catch::Contains("GAON_ASAN"));
  CHECK_THAT(build("export GAON_BUILD_TYPE=Debug GAON_WERROR=OFF"),
             Catch::Contains("--fresh") && Catch::Contains("-DGAON_WERROR=OFF"));
  CHECK_THAT(ReadFile(dir + "/build/gaon-build-settings"), Catch::Contains("GAON_WERROR=OFF"));
  std::filesystem::remove(dir + "/build/build.ninja");  // never configured: configure
  CHECK_THAT(build("export GAON_BUILD_TYPE=Debug GAON_WERROR=OFF"), Catch::Contains("-S ") && !Catch::Contains("--fresh"));
}

TEST_CASE("the bench stops the private PostgreSQL at the end only if it started it", "[e2e][gaon-script]") {
  const std::string dir = MakeTempDir("bench-pg");
  // bench/lib.sh with the ./gaon script and the servers replaced: records the pg verbs used.
  const auto run = [&](const std::string& status) {
    std::filesystem::remove(dir + "/calls");
    std::ofstream(dir + "/bench.sh") << "set -euo pipefail\nsource " << GAON_SOURCE_DIR << "/bench/lib.sh\n"
                                     << "gaon_cmd() { echo \"$*\" >>" << dir << "/calls; [ \"$2\" != status ] || echo '"
                                     << status << "'; }\nstop_servers() { :; }\nbench_pg_start\n";
    REQUIRE(std::system(("bash " + dir + "/bench.sh 2>/dev/null").c_str()) == 0);
    return ReadFile(dir + "/calls");
  };
  CHECK(run("stopped") == "pg status\npg start\npg stop\n");
  CHECK(run("running on 127.0.0.1:5432") == "pg status\npg start\n");
}
