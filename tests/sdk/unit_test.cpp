// The SDK's pure logic: backoff and the retry rule, Retry-After, problem documents to Status,
// the SSE parser, endpoint URLs, request bodies, ListRange, and the profile file.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client/client_impl.h"
#include "gaon/profile.h"
#include "internal/problem.h"
#include "internal/retry.h"
#include "internal/sse.h"
#include "internal/url.h"
#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon;
using namespace gaon::internal;
using gaon::test::Ok;
using std::chrono::milliseconds;

namespace {

// Sets an environment variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

int Mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

}  // namespace

TEST_CASE("backoff grows exponentially to its cap, with full jitter below the bound", "[sdk][unit][retry]") {
  RetryPolicy p{.max_attempts = 10, .initial_backoff = milliseconds(100), .max_backoff = milliseconds(1000),
                .multiplier = 2.0, .jitter = false};
  CHECK(BackoffBound(p, 1) == milliseconds(100));
  CHECK(BackoffBound(p, 2) == milliseconds(200));
  CHECK(BackoffBound(p, 4) == milliseconds(800));
  CHECK(BackoffBound(p, 5) == milliseconds(1000));
  CHECK(BackoffBound(p, 60) == milliseconds(1000));
  CHECK(BackoffDelay(p, 3, 0.0) == milliseconds(400));  // no jitter: the bound itself
  p.jitter = true;
  CHECK(BackoffDelay(p, 3, 0.0) == milliseconds(0));
  CHECK(BackoffDelay(p, 3, 0.5) == milliseconds(200));
  CHECK(BackoffDelay(p, 3, 0.999) == milliseconds(399));
  // Retry-After is a floor.
  CHECK(BackoffDelay(p, 1, 0.5, milliseconds(3000)) == milliseconds(3000));
}

TEST_CASE("only transient failures are retried, within the attempts and the deadline", "[sdk][unit][retry]") {
  const RetryPolicy p{.max_attempts = 3, .initial_backoff = milliseconds(100), .max_backoff = milliseconds(1000)};
  auto http = [](int status, std::string_view code = {}) {
    return AttemptOutcome{.http_status = status, .problem_code = code};
  };
  auto transport = [](Status s) { return AttemptOutcome{.transport = std::move(s)}; };
  for (int s : {429, 502, 503, 504}) CHECK(IsTransient(http(s)));
  for (int s : {400, 401, 403, 404, 412, 422, 500, 501}) CHECK_FALSE(IsTransient(http(s)));
  CHECK(IsTransient(http(409, "idempotency_in_progress")));
  CHECK_FALSE(IsTransient(http(409, "quota_exceeded")));
  CHECK(IsTransient(transport(Unavailable("refused", "connection_failed"))));
  CHECK(IsTransient(transport(Unavailable("reset", "connection_reset"))));
  CHECK_FALSE(IsTransient(transport(FailedPrecondition("bad cert", "tls_failed"))));
  CHECK_FALSE(IsTransient(transport(DeadlineExceeded("late", "deadline_exceeded"))));

  const auto big = milliseconds(60'000);
  CHECK(NextRetryDelay(p, 1, http(503), big, 0.5) == milliseconds(50));
  CHECK(NextRetryDelay(p, 2, http(503), big, 0.5) == milliseconds(100));
  CHECK_FALSE(NextRetryDelay(p, 3, http(503), big, 0.5));  // attempts spent
  CHECK_FALSE(NextRetryDelay(p, 1, http(404), big, 0.5));
  // A wait that would end past the deadline is not started.
  CHECK_FALSE(NextRetryDelay(p, 1, http(503), milliseconds(40), 0.5));
  AttemptOutcome limited = http(429);
  limited.retry_after = milliseconds(2000);
  CHECK(NextRetryDelay(p, 1, limited, big, 0.1) == milliseconds(2000));
  CHECK_FALSE(NextRetryDelay(p, 1, limited, milliseconds(1500), 0.1));
}

TEST_CASE("Retry-After is read as delay-seconds or as an HTTP-date in each of its three forms", "[sdk][unit][retry]") {
  CHECK(ParseRetryAfter("1") == milliseconds(1000));
  CHECK(ParseRetryAfter(" 30 ") == milliseconds(30'000));
  CHECK(ParseRetryAfter("999999999") == std::chrono::hours(24));  // capped
  CHECK_FALSE(ParseRetryAfter("-1"));
  CHECK_FALSE(ParseRetryAfter("1.5"));
  CHECK_FALSE(ParseRetryAfter(""));

  // RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must
  // still accept — all the same instant, 90.5 s after `now`.
  const auto now = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + std::chrono::hours(8) +
                   std::chrono::minutes(48) + std::chrono::seconds(6) + milliseconds(500);
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now) == milliseconds(90'500));
  CHECK(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now) == milliseconds(90'500));
  CHECK(ParseRetryAfter("Sun Nov  6 08:49:37 1994", now) == milliseconds(90'500));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:48:00 GMT", now) == milliseconds(0));  // already past: no floor
  CHECK(ParseRetryAfter("Mon, 07 Nov 1994 08:49:37 GMT", now) == std::chrono::hours(24));  // capped
  // An RFC 850 year more than 50 years ahead is in the past century.
  const auto in_2030 = std::chrono::sys_days(std::chrono::year(2030) / 1 / 1);
  CHECK(ParseRetryAfter("Thursday, 01-Jan-81 00:00:00 GMT", in_2030) == milliseconds(0));  // 1981
  CHECK(ParseRetryAfter("Tuesday, 01-Jan-30 00:00:10 GMT", in_2030) == milliseconds(10'000));  // 2030

  for (const char* bad : {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "06 Nov 1994 08:49:37 GMT",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "soon"}) {
    INFO(bad);
    CHECK_FALSE(ParseRetryAfter(bad, now));
  }
  // A date is a floor on the backoff, like delay-seconds.
  const RetryPolicy p{.max_attempts = 3, .initial_backoff = milliseconds(100), .jitter = false};
  AttemptOutcome limited{.http_status = 503, .retry_after = ParseRetryAfter("Sun, 06 Nov 1994 08:48:08 GMT", now)};
  CHECK(NextRetryDelay(p, 1, limited, milliseconds(60'000), 0.5) == milliseconds(1500));
}

TEST_CASE("409 answers are retried only for the codes gaond's idempotency store sends to mean retry",
          "[sdk][unit][retry]") {
  auto conflict = [](std::string_view code) { return AttemptOutcome{.http_status = 409, .problem_code = code}; };
  // storage/idempotency.cpp: a key on record without its answer yet, and a key whose record
  // expired and was purged between gaond's insert and its read.
  CHECK(IsTransient(conflict("idempotency_in_progress")));
  CHECK(IsTransient(conflict("idempotency_conflict")));
  // What a retry cannot change: the same key with another request (422, not 409), and the
  // conflicts of the resource itself.
  CHECK_FALSE(IsTransient(AttemptOutcome{.http_status = 422, .problem_code = "idempotency_key_reused"}));
  for (const char* code : {"name_taken", "quota_exceeded", "conflict", "serialization_failure", ""}) {
    INFO(code);
    CHECK_FALSE(IsTransient(conflict(code)));
  }
}

TEST_CASE("a problem document becomes the Status the server failed with", "[sdk][unit][errors]") {
  const std::string quota = R"({"type":"urn:gaon:problem:quota_exceeded","title":"Quota exceeded","status":409,
    "detail":"gpus quota of 10 is used up","code":"quota_exceeded","request_id":"req_1",
    "dimension":"gpus","limit":10,"used":10,"requested":1})";
  Status s = StatusFromProblem(409, quota, "req_header");
  CHECK(s.code() == StatusCode::kFailedPrecondition);
  CHECK(s.reason() == "quota_exceeded");
  CHECK(s.message() == "gpus quota of 10 is used up");
  CHECK(s.http_status() == 409);
  CHECK(s.request_id() == "req_1");
  CHECK(s.extra("dimension") == "\"gpus\"");
  CHECK(s.extra("limit") == "10");
  CHECK(s.extra("used") == "10");
  CHECK(s.extra("requested") == "1");
  CHECK_FALSE(s.extra("title"));
  CHECK_THAT(s.ToString(), Catch::Contains("[request req_1]"));

  const std::string invalid = R"({"status":400,"detail":"the request has invalid fields","code":"validation_failed",
    "errors":[{"field":"spec.zone","code":"unknown","message":"spec.zone 'x' is not a zone"},
              {"field":"name","code":"required","message":"name is required"}]})";
  s = StatusFromProblem(400, invalid, "req_2");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.request_id() == "req_2");  // from the header when the body has none
  REQUIRE(s.violations().size() == 2);
  CHECK(s.violations()[0] == FieldViolation{"spec.zone", "unknown", "spec.zone 'x' is not a zone"});
  CHECK(s.violations()[1].field == "name");

  CHECK(StatusFromProblem(409, R"({"code":"name_taken"})", "").code() == StatusCode::kAlreadyExists);
  CHECK(StatusFromProblem(409, R"({"code":"idempotency_in_progress"})", "").code() == StatusCode::kAborted);
  CHECK(StatusFromProblem(412, R"({"code":"precondition_failed"})", "").code() == StatusCode::kFailedPrecondition);
  CHECK(StatusFromProblem(401, R"({"code":"invalid_credentials"})", "").code() == StatusCode::kUnauthenticated);
  CHECK(StatusFromProblem(403, R"({"code":"permission_denied"})", "").code() == StatusCode::kPermissionDenied);
  CHECK(StatusFromProblem(404, R"({"code":"not_found"})", "").code() == StatusCode::kNotFound);
  CHECK(StatusFromProblem(410, R"({"code":"resource_expired"})", "").code() == StatusCode::kFailedPrecondition);
  CHECK(StatusFromProblem(429, R"({"code":"rate_limited"})", "").code() == StatusCode::kResourceExhausted);
  CHECK(StatusFromProblem(503, R"({"code":"database_busy"})", "").code() == StatusCode::kUnavailable);
  CHECK(StatusFromProblem(500, R"({"code":"internal"})", "").code() == StatusCode::kInternal);

  // Not a problem document: a proxy's page.
  s = StatusFromProblem(502, "<html>Bad Gateway</html>", "");
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.reason() == "http_502");
  CHECK(s.message() == "<html>Bad Gateway</html>");
  s = StatusFromProblem(301, "", "");
  CHECK(s.code() == StatusCode::kFailedPrecondition);
  CHECK(s.reason() == "http_301");
}

TEST_CASE("Status keeps its request id through copies and details", "[sdk][unit][errors]") {
  const Status s = NotFound("gone").WithRequestId("req_9").WithExtra("resource", "\"x\"");
  CHECK(s.request_id() == "req_9");
  const Status copy = s.WithHttpStatus(404);
  CHECK(copy.request_id() == "req_9");
  CHECK(copy.extra("resource") == "\"x\"");
  CHECK(Status().request_id().empty());
  CHECK(NotFound("x").ToString() == "NOT_FOUND (not_found): x");
}

TEST_CASE("the SSE parser splits events however the bytes arrive", "[sdk][unit][watch]") {
  const std::string stream =
      "retry: 2000\nid: 7\nevent: BOOKMARK\ndata: {\"seq\":7}\n\n: ping\n\n"
      "id: 8\r\nevent: ADDED\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n"
      "id: 9\revent: DELETED\rdata:x\r\r";
  for (std::size_t split : {std::size_t(1), std::size_t(3), stream.size()}) {
    SseParser parser;
    std::vector<SseMessage> got;
    for (std::size_t i = 0; i < stream.size(); i += split) {
      REQUIRE(parser.Feed(std::string_view(stream).substr(i, split), [&](const SseMessage& m) {
        got.push_back(m);
        return true;
      }));
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0].id == "7");
    CHECK(got[0].event == "BOOKMARK");
    CHECK(got[1].event == "ADDED");
    CHECK(got[1].data == "{\"a\":\n1}");
    CHECK(got[2].id == "9");
    CHECK(got[2].data == "x");
  }
  SseParser parser;
  int seen = 0;
  CHECK_FALSE(parser.Feed("data: a\n\ndata: b\n\n", [&](const SseMessage&) { return ++seen < 1; }));
  CHECK(seen == 1);
}

TEST_CASE("endpoints are http(s) URLs, targets are escaped", "[sdk][unit][url]") {
  auto e = ParseEndpoint("https://gaon.example.kr");
  REQUIRE(e.ok());
  CHECK(e->tls);
  CHECK(e->port == "443");
  CHECK(e->HostHeader() == "gaon.example.kr");
  CHECK_FALSE(e->host_is_ip);
  e = ParseEndpoint("http://127.0.0.1:8080/gaon/");
  REQUIRE(e.ok());
  CHECK_FALSE(e->tls);
  CHECK(e->host_is_ip);
  CHECK(e->HostHeader() == "127.0.0.1:8080");
  CHECK(e->base_path == "/gaon");
  e = ParseEndpoint("http://[::1]:9000");
  REQUIRE(e.ok());
  CHECK(e->host == "::1");
  CHECK(e->HostHeader() == "[::1]:9000");
  for (const char* bad : {"gaon.example.kr", "ftp://x", "https://user:pw@x", "https://x/?a=1", "https://x/#f", ""}) {
    INFO(bad);
    CHECK(ParseEndpoint(bad).status().reason() == "invalid_endpoint");
  }
  CHECK(BuildTarget("", {"v1", "tenants", "ten_1", "instances", "inst_2:stop"}) ==
        "/v1/tenants/ten_1/instances/inst_2:stop");
  CHECK(BuildTarget("/p", {"v1", "a b/c"}, {{"label_selector", "env=prod,!spot"}, {"phase", ""}}) ==
        "/p/v1/a%20b%2Fc?label_selector=env%3Dprod%2C%21spot");
  CHECK(PrefixTarget("/p", "/v1/me?x=1").value() == "/p/v1/me?x=1");
  CHECK(PrefixTarget("", "v1/me").status().reason() == "invalid_target");
  CHECK(PrefixTarget("", "/v1/me\r\nX: y").status().reason() == "invalid_target");
}

TEST_CASE("request bodies carry input fields only, user data included", "[sdk][unit][json]") {
  Instance i;
  i.id = InstanceId::Generate();
  i.name = "train-1";
  i.labels = {{"team", "ml"}};
  i.spec.instance_type = "gpu.h100.8x";
  i.spec.image = "ubuntu-24.04-cuda-12.8";
  i.spec.user_data = "#cloud-config\n";
  i.status.phase = "Running";
  const auto body = boost::json::parse(client_internal::RequestBody(i)).as_object();
  CHECK(body.size() == 3);  // name, labels, spec
  CHECK(body.at("spec").as_object().at("user_data").as_string() == "#cloud-config\n");
  CHECK_FALSE(body.at("spec").as_object().contains("desired_state"));
  CHECK_FALSE(body.at("spec").as_object().contains("zone"));
  // The server's strict reader accepts it as it is.
  CHECK(FromJsonText<Instance>(client_internal::RequestBody(i), ReadMode::kStrict).ok());
  ApiKey key;
  key.name = "ci";
  key.role = Role::kTenantMember;
  CHECK(FromJsonText<ApiKey>(client_internal::RequestBody(key), ReadMode::kStrict).ok());
}

TEST_CASE("a ListRange fetches pages on demand and ends at the first error", "[sdk][unit][lists]") {
  std::vector<std::string> fetched;
  auto fetch = [&](const std::string& token) -> StatusOr<Page<int>> {
    fetched.push_back(token);
    if (token.empty()) return Page<int>{{1, 2}, "p2"};
    if (token == "p2") return Page<int>{{}, "p3"};  // an empty page in the middle
    if (token == "p3") return Page<int>{{3}, "p4"};
    return Unavailable("down", "connection_failed");
  };
  ListRange<int> range(fetch, "");
  CHECK(fetched.empty());  // nothing before begin()
  std::vector<int> items;
  Status end;
  for (const auto& i : range) {
    if (!i.ok()) {
      end = i.status();
      break;
    }
    items.push_back(*i);
    if (items.size() == 1) CHECK(fetched.size() == 1);  // the second page is not fetched yet
  }
  CHECK(items == std::vector<int>{1, 2, 3});
  CHECK(end.reason() == "connection_failed");
  CHECK(fetched == std::vector<std::string>{"", "p2", "p3", "p4"});

  ListRange<int> pages(fetch, "p3");
  auto page = pages.NextPage();
  REQUIRE(page.ok());
  CHECK(page->items == std::vector<int>{3});
  CHECK(page->next_page_token == "p4");
  CHECK_FALSE(pages.NextPage().ok());
  CHECK(pages.exhausted());
  CHECK(CollectAll(ListRange<int>(fetch, "")).status().reason() == "connection_failed");
}

TEST_CASE("client options are checked when the client is made", "[sdk][unit][options]") {
  ClientOptions o;
  o.endpoint = "http://127.0.0.1:1";
  CHECK(Client::Create(o).ok());
  o.api_key = "gaon_sk_x\r\nInjected: 1";
  CHECK(Client::Create(o).status().reason() == "invalid_options");
  o.api_key.clear();
  o.retry.max_attempts = 0;
  CHECK(Client::Create(o).status().reason() == "invalid_options");
  o.retry.max_attempts = 3;
  o.endpoint = "https://127.0.0.1:1";
  o.ca_file = "/nonexistent/ca.pem";
  CHECK(Client::Create(o).status().reason() == "invalid_ca_file");
}

TEST_CASE("the profile file round-trips, is written 0600 in a 0700 directory, and keeps unknown keys",
          "[sdk][unit][profiles]") {
  const std::string dir = gaon::test::MakeTempDir("profiles");
  const std::string path = dir + "/nested/gaon/config.yaml";
  CHECK(LoadProfiles(path)->profiles.empty());  // missing: empty, not an error
  ProfileFile f;
  f.current_profile = "prod";
  f.Upsert({.name = "prod", .endpoint = "https://gaon.example.kr", .api_key = "gaon_sk_secret",
            .tenant = "ten_06bq0z2k5d8h3m4n7p9r1s2t3v", .ca_file = "/etc/ca.pem", .insecure = false,
            .extra = {{"output", "wide"}}});
  f.Upsert({.name = "dev", .endpoint = "http://127.0.0.1:8080", .api_key = "gaon_sk_dev: with # odd 'chars\"",
            .insecure = true});
  Ok(SaveProfiles(f, path));
  CHECK(Mode(path) == 0600);
  CHECK(Mode(dir + "/nested/gaon") == 0700);
  CHECK(Mode(dir + "/nested") == 0700);
  auto back = LoadProfiles(path);
  REQUIRE(back.ok());
  CHECK(*back == f);

  // Rewriting keeps the mode even when someone loosened it.
  ::chmod(path.c_str(), 0644);
  f.Upsert({.name = "dev", .endpoint = "http://127.0.0.1:9090"});
  Ok(SaveProfiles(f, path));
  CHECK(Mode(path) == 0600);
  CHECK(LoadProfiles(path)->Find("dev")->endpoint == "http://127.0.0.1:9090");
  CHECK(f.Remove("prod"));
  CHECK(f.current_profile.empty());
  CHECK_FALSE(f.Remove("prod"));

  std::ofstream(dir + "/bad.yaml") << "profiles: [1, 2]\n";
  CHECK(LoadProfiles(dir + "/bad.yaml").status().reason() == "invalid_profile_file");
  std::ofstream(dir + "/worse.yaml") << "profiles: {a: [\n";
  CHECK(LoadProfiles(dir + "/worse.yaml").status().reason() == "invalid_profile_file");
  std::filesystem::remove_all(dir);
}

TEST_CASE("settings come from GAON_* variables first, then the named or current profile", "[sdk][unit][profiles]") {
  const std::string dir = gaon::test::MakeTempDir("settings");
  const std::string path = dir + "/config.yaml";
  ProfileFile f;
  f.current_profile = "prod";
  f.Upsert({.name = "prod", .endpoint = "https://gaon.example.kr", .api_key = "gaon_sk_prod",
            .tenant = "ten_06bq0z2k5d8h3m4n7p9r1s2t3v"});
  f.Upsert({.name = "lab", .endpoint = "https://lab.example.kr", .api_key = "gaon_sk_lab", .insecure = true});
  Ok(SaveProfiles(f, path));
  ScopedEnv config("GAON_CONFIG", path.c_str());
  ScopedEnv no_profile("GAON_PROFILE", nullptr), no_endpoint("GAON_ENDPOINT", nullptr),
      no_key("GAON_API_KEY", nullptr), no_tenant("GAON_TENANT", nullptr), no_insecure("GAON_INSECURE", nullptr),
      no_ca("GAON_CA_FILE", nullptr), no_reason("GAON_OPERATOR_REASON", nullptr);

  auto s = ResolveSettings();
  REQUIRE(s.ok());
  CHECK(s->profile == "prod");
  CHECK(s->config_path == path);
  CHECK(s->options.endpoint == "https://gaon.example.kr");
  CHECK(s->options.api_key == "gaon_sk_prod");
  CHECK(s->options.verify_tls);
  CHECK(s->tenant->str() == "ten_06bq0z2k5d8h3m4n7p9r1s2t3v");

  s = ResolveSettings("lab");
  REQUIRE(s.ok());
  CHECK(s->options.api_key == "gaon_sk_lab");
  CHECK_FALSE(s->options.verify_tls);
  CHECK_FALSE(s->tenant);
  CHECK(ResolveSettings("nope").status().reason() == "profile_not_found");
  {
    ScopedEnv profile("GAON_PROFILE", "lab");
    CHECK(OptionsFromEnvironment()->api_key == "gaon_sk_lab");
  }
  {
    ScopedEnv key("GAON_API_KEY", "gaon_sk_env");
    ScopedEnv endpoint("GAON_ENDPOINT", "http://127.0.0.1:8080");
    ScopedEnv reason("GAON_OPERATOR_REASON", "ticket 42");
    auto o = OptionsFromEnvironment();
    REQUIRE(o.ok());
    CHECK(o->api_key == "gaon_sk_env");
    CHECK(o->endpoint == "http://127.0.0.1:8080");
    CHECK(o->operator_reason == "ticket 42");
  }
  {
    ScopedEnv tenant("GAON_TENANT", "not-a-tenant");
    CHECK(ResolveSettings().status().reason() == "invalid_tenant");
  }
  {
    ScopedEnv elsewhere("GAON_CONFIG", (dir + "/none.yaml").c_str());
    CHECK(ResolveSettings().status().reason() == "no_endpoint");
    ScopedEnv endpoint("GAON_ENDPOINT", "http://127.0.0.1:8080");
    CHECK(ResolveSettings().ok());
  }
  {
    ScopedEnv no_config("GAON_CONFIG", nullptr);
    ScopedEnv xdg("XDG_CONFIG_HOME", dir.c_str());
    CHECK(DefaultProfilePath().value() == dir + "/gaon/config.yaml");
  }
  std::filesystem::remove_all(dir);
}
