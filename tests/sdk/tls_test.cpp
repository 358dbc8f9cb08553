// HTTPS against a real gaond serving TLS: the certificate chain and the host name are verified
// by default, a private CA is trusted through ca_file, and verification can only be switched
// off explicitly.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/sdk/sdk_support.h"
#include "tests/support/gaond_process.h"

using namespace gaon;
using namespace gaon::test;

namespace {

// A self-signed certificate (its own CA) for `san` ("IP:127.0.0.1"), in `dir`.
void MakeCert(const std::string& dir, const std::string& san) {
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
                          "/CN=gaon-test -addext subjectAltName=" + san + " -keyout " + dir + "/key.pem -out " + dir +
                          "/cert.pem > " + dir + "/openssl.log 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

std::unique_ptr<TestCloud> TlsCloud(const std::string& dir) {
  return TestCloud::Start({.env = {{"GAON_SERVER_TLS_CERT_FILE", dir + "/cert.pem"},
                                   {"GAON_SERVER_TLS_KEY_FILE", dir + "/key.pem"}}});
}

Client Https(TestCloud& c, const std::function<void(ClientOptions&)>& tweak = {}) {
  return SdkClient(c.address(), c.operator_key(), [&](ClientOptions& o) {
    o.endpoint = "https://" + c.address();
    if (tweak) tweak(o);
  });
}

}  // namespace

TEST_CASE("HTTPS verifies the server's certificate by default and trusts a private CA given as ca_file",
          "[sdk][e2e][tls]") {
  const std::string dir = MakeTempDir("sdk-tls");
  MakeCert(dir, "IP:127.0.0.1");
  auto c = TlsCloud(dir);

  const Status untrusted = Https(*c).GetMe().status();
  CHECK(untrusted.code() == StatusCode::kFailedPrecondition);
  CHECK(untrusted.reason() == "tls_failed");
  CHECK(untrusted.http_status() == 0);

  const Me me = Ok(Https(*c, [&](ClientOptions& o) { o.ca_file = dir + "/cert.pem"; }).GetMe());
  CHECK(me.platform_admin);
  CHECK(Ok(Https(*c, [](ClientOptions& o) { o.verify_tls = false; }).GetMe()).platform_admin);

  // Plain HTTP to a TLS port gets no answer it can read.
  CHECK_FALSE(SdkClient(c->address(), c->operator_key(), [](ClientOptions& o) { o.retry.max_attempts = 1; })
                  .GetMe()
                  .ok());
  CHECK(Client::Create(ClientOptions{.endpoint = "https://" + c->address(), .ca_file = dir + "/missing.pem"})
            .status()
            .reason() == "invalid_ca_file");
}

TEST_CASE("HTTPS refuses a certificate issued for another host, even from a trusted CA", "[sdk][e2e][tls]") {
  const std::string dir = MakeTempDir("sdk-tls-name");
  MakeCert(dir, "DNS:gaon.example.kr");
  auto c = TlsCloud(dir);
  const Status wrong_host = Https(*c, [&](ClientOptions& o) { o.ca_file = dir + "/cert.pem"; }).GetMe().status();
  CHECK(wrong_host.reason() == "tls_failed");
}
