#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "core/crypto.h"
#include "core/metrics.h"
#include "gaon/ids.h"
#include "gaon/time.h"

using namespace gaon;

TEST_CASE("ids carry their prefix, parse back and sort by creation time", "[ids]") {
  InstanceId a = InstanceId::Generate();
  CHECK(a.str().rfind("inst_", 0) == 0);
  CHECK(a.str().size() == 5 + kIdBodyLength);
  CHECK(InstanceId::Parse(a.str()).ok());
  CHECK_FALSE(TenantId::Parse(a.str()).ok());  // wrong kind
  CHECK_FALSE(InstanceId::Parse("inst_short").ok());
  CHECK_FALSE(InstanceId::Parse("inst_" + std::string(26, 'u')).ok());  // 'u' is not Crockford base32
  CHECK(InstanceId::Parse("inst_x").status().reason() == "invalid_id");

  const auto t1 = std::chrono::system_clock::now();
  const std::string early = NewIdBody(t1);
  const std::string late = NewIdBody(t1 + std::chrono::milliseconds(1));
  CHECK(early < late);
  const auto decoded = IdTime("inst_" + early);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(decoded.time_since_epoch()).count() ==
        std::chrono::duration_cast<std::chrono::milliseconds>(t1.time_since_epoch()).count());

  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(NewIdBody(t1));
  CHECK(seen.size() == 10000);  // 80 random bits: no collisions within one millisecond
}

TEST_CASE("timestamps format as RFC 3339 UTC and parse from RFC 3339 and PostgreSQL text", "[time]") {
  using namespace std::chrono;
  const Timestamp t = time_point_cast<microseconds>(sys_days(2026y / 11 / 27) + 21h + 50min + 1s + 123456us);
  CHECK(FormatTimestamp(t) == "2026-11-27T21:50:01.123456Z");
  CHECK(FormatTimestamp(time_point_cast<microseconds>(sys_days(2026y / 1 / 2))) == "2026-01-02T00:00:00Z");
  CHECK(ParseTimestamp("2026-11-27T21:50:01.123456Z") == t);
  CHECK(ParseTimestamp("2026-11-27 21:50:01.123456+00") == t);
  CHECK(ParseTimestamp("2026-11-28T06:50:01.123456+09:00") == t);
  CHECK(ParseTimestamp("2026-11-27T21:50:01.5Z") == time_point_cast<microseconds>(sys_days(2026y / 11 / 27) + 21h + 50min + 1s + 500ms));
  CHECK_FALSE(ParseTimestamp("2026-11-27T21:50:01"));  // no zone
  CHECK_FALSE(ParseTimestamp("2026-13-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp("yesterday"));
}

TEST_CASE("metrics render in the Prometheus text format", "[metrics]") {
  MetricsRegistry reg;
  auto& c = reg.AddCounter("gaon_things_total", "Things.", {"kind"});
  c.With({"a\"b"})->Inc(3);
  auto& h = reg.AddHistogram("gaon_latency_seconds", "Latency.", {"route"}, {0.01, 0.1});
  h.With({"/x"})->ObserveMicros(5000);
  h.With({"/x"})->ObserveMicros(50000);
  h.With({"/x"})->ObserveMicros(500000);
  reg.AddCallbackGauge("gaon_pool_idle", "Idle.", [] { return 2.0; });
  const std::string text = reg.Render();
  CHECK_THAT(text, Catch::Contains("# TYPE gaon_things_total counter"));
  CHECK_THAT(text, Catch::Contains("gaon_things_total{kind=\"a\\\"b\"} 3"));
  CHECK_THAT(text, Catch::Contains("gaon_latency_seconds_bucket{route=\"/x\",le=\"0.01\"} 1"));
  CHECK_THAT(text, Catch::Contains("gaon_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2"));
  CHECK_THAT(text, Catch::Contains("gaon_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3"));
  CHECK_THAT(text, Catch::Contains("gaon_latency_seconds_count{route=\"/x\"} 3"));
  CHECK_THAT(text, Catch::Contains("gaon_latency_seconds_sum{route=\"/x\"} 0.555"));
  CHECK_THAT(text, Catch::Contains("gaon_pool_idle 2"));
}

TEST_CASE("crypto helpers: random tokens, hashes, constant-time compare, base64url", "[crypto]") {
  CHECK(RandomBytes(32).size() == 32);
  CHECK(RandomToken(32) != RandomToken(32));
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secrets"));
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe"}) {
    std::string back;
    REQUIRE(Base64UrlDecode(Base64UrlEncode(s), &back));
    CHECK(back == s);
  }
  CHECK(Base64UrlEncode("\xfb\xff") == "-_8");
  std::string out;
  CHECK_FALSE(Base64UrlDecode("a+b", &out));
}
