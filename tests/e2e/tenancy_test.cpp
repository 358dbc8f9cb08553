// End-to-end: tenants, API keys, sessions, idempotency, ETags and rate limits against a real
// gaond and PostgreSQL.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <sys/stat.h>

#include <boost/json.hpp>

#include "core/crypto.h"
#include "gaon/ids.h"
#include "gaon/time.h"
#include "tests/support/cloud.h"

using namespace gaon::test;

namespace {

std::string CountTenants(TestCloud& c) {
  return c.db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM tenants");
}

std::string Field(const HttpResult& r, const char* name) {
  const boost::json::value v = r.Json().at(name);
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

}  // namespace

TEST_CASE("operators create, read, list, update, suspend, resume and delete tenants", "[e2e][tenants]") {
  auto c = TestCloud::Start();
  auto created = c->Op("POST", "/v1/admin/tenants",
                       R"({"name":"kisti","display_name":"KISTI","jurisdiction":"KR","billing_currency":"KRW",
                           "billing_email":"finance@kisti.example","labels":{"sector":"research"}})");
  REQUIRE(created.status == 201);
  const std::string id = Field(created, "id");
  CHECK(id.rfind("ten_", 0) == 0);
  CHECK(created.Header("Location") == "/v1/tenants/" + id);
  CHECK(created.Header("ETag") == "\"1\"");
  CHECK(Field(created, "status") == "active");
  CHECK(created.Json().at("labels").at("sector").as_string() == "research");

  auto got = c->Op("GET", "/v1/tenants/" + id);
  CHECK(got.status == 200);
  CHECK(Field(got, "display_name") == "KISTI");

  c->CreateTenant("aaa-first");
  c->CreateTenant("zzz-last");
  auto page1 = c->Op("GET", "/v1/admin/tenants?page_size=2");
  REQUIRE(page1.status == 200);
  CHECK(page1.Json().at("items").as_array().size() == 2);
  const std::string token(page1.Json().at("next_page_token").as_string());
  auto page2 = c->Op("GET", "/v1/admin/tenants?page_size=2&page_token=" + token);
  REQUIRE(page2.status == 200);
  CHECK(page2.Json().at("items").as_array().size() == 1);
  CHECK_FALSE(page2.Json().as_object().contains("next_page_token"));
  auto filtered = c->Op("GET", "/v1/admin/tenants?label_selector=sector%3Dresearch");
  REQUIRE(filtered.status == 200);
  REQUIRE(filtered.Json().at("items").as_array().size() == 1);
  CHECK(filtered.Json().at("items").at(0).at("id").as_string() == id);

  auto patched = c->Op("PATCH", "/v1/tenants/" + id, R"({"display_name":"KISTI HPC","labels":{"sector":null,"tier":"gold"}})",
                       {{"If-Match", "\"1\""}});
  REQUIRE(patched.status == 200);
  CHECK(Field(patched, "display_name") == "KISTI HPC");
  CHECK(patched.Json().at("labels") == boost::json::parse(R"({"tier":"gold"})"));
  CHECK(patched.Header("ETag") == "\"2\"");

  auto suspended = c->Op("POST", "/v1/admin/tenants/" + id + ":suspend");
  REQUIRE(suspended.status == 200);
  CHECK(Field(suspended, "status") == "suspended");
  CHECK(c->Op("POST", "/v1/admin/tenants/" + id + ":resume").status == 200);

  CHECK(c->Op("DELETE", "/v1/admin/tenants/" + id).status == 204);
  CHECK(c->Op("GET", "/v1/tenants/" + id).status == 404);
  // The name is free again once the tenant is deleted.
  CHECK(c->Op("POST", "/v1/admin/tenants",
              R"({"name":"kisti","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@b.kr"})")
            .status == 201);
}

TEST_CASE("tenant names are unique among live tenants", "[e2e][tenants]") {
  auto c = TestCloud::Start();
  c->CreateTenant("samsung-ai");
  auto dup = c->Op("POST", "/v1/admin/tenants",
                   R"({"name":"samsung-ai","jurisdiction":"KR","billing_currency":"KRW","billing_email":"x@y.kr"})");
  CHECK(dup.status == 409);
  CHECK(Field(dup, "code") == "tenant_name_taken");
}

TEST_CASE("invalid tenant fields are refused with field details and change nothing", "[e2e][tenants]") {
  auto c = TestCloud::Start();
  const std::string before = CountTenants(*c);
  auto bad = c->Op("POST", "/v1/admin/tenants",
                   R"({"name":"Bad Name","jurisdiction":"XX","billing_currency":"WON","billing_email":"nope",
                       "labels":{"Bad Key!":"v"},"status":"active","color":"blue"})");
  CHECK(bad.status == 400);
  CHECK(Field(bad, "code") == "validation_failed");
  std::set<std::string> fields;
  const auto bad_json = bad.Json();
  for (const auto& e : bad_json.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
  // Structural problems (unknown and read-only fields) are reported first; fix those, and the
  // value problems come next.
  CHECK(fields.count("status") == 1);
  CHECK(fields.count("color") == 1);
  auto values = c->Op("POST", "/v1/admin/tenants",
                      R"({"name":"Bad Name","jurisdiction":"XX","billing_currency":"WON","billing_email":"nope",
                          "labels":{"Bad Key!":"v"}})");
  CHECK(values.status == 400);
  fields.clear();
  const auto values_json = values.Json();
  for (const auto& e : values_json.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
  CHECK(fields == std::set<std::string>{"name", "jurisdiction", "billing_currency", "billing_email", "labels.Bad Key!"});
  auto missing = c->Op("POST", "/v1/admin/tenants", R"({"name":"ok-name"})");
  CHECK(missing.status == 400);
  auto not_json = c->Op("POST", "/v1/admin/tenants", "{nope");
  CHECK(not_json.status == 400);
  CHECK(Field(not_json, "code") == "malformed_body");
  auto wrong_type = c->Op("POST", "/v1/admin/tenants", "name=x", {{"Content-Type", "text/plain"}});
  CHECK(wrong_type.status == 415);
  CHECK(CountTenants(*c) == before);
}

TEST_CASE("a suspended tenant can read but not create", "[e2e][tenants]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("paused");
  const std::string admin = c->CreateKey(t, "tenant-admin");
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":suspend").status == 200);
  CHECK(c->Call("GET", "/v1/tenants/" + t, admin).status == 200);
  CHECK(c->Call("GET", "/v1/tenants/" + t + "/api-keys", admin).status == 200);
  auto create = c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"k","role":"tenant-viewer"})");
  CHECK(create.status == 403);
  CHECK(Field(create, "code") == "tenant_suspended");
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":resume").status == 200);
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"k","role":"tenant-viewer"})").status == 201);
}

TEST_CASE("operator-only tenant fields cannot be changed by tenant admins", "[e2e][tenants]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("moving");
  const std::string admin = c->CreateKey(t, "tenant-admin");
  auto r = c->Call("PATCH", "/v1/tenants/" + t, admin, R"({"jurisdiction":"JP"})");
  CHECK(r.status == 400);
  CHECK(r.Json().at("errors").at(0).at("code").as_string() == "operator_only");
  CHECK(c->Op("PATCH", "/v1/tenants/" + t, R"({"jurisdiction":"JP"})").status == 200);
}

TEST_CASE("updates with a stale If-Match get 412 and change nothing", "[e2e][etag]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("etag-co");
  REQUIRE(c->Op("PATCH", "/v1/tenants/" + t, R"({"display_name":"one"})", {{"If-Match", "\"1\""}}).status == 200);
  auto stale = c->Op("PATCH", "/v1/tenants/" + t, R"({"display_name":"two"})", {{"If-Match", "\"1\""}});
  CHECK(stale.status == 412);
  CHECK(Field(stale, "code") == "precondition_failed");
  CHECK(Field(c->Op("GET", "/v1/tenants/" + t), "display_name") == "one");
  CHECK(c->Op("PATCH", "/v1/tenants/" + t, R"({"display_name":"two"})", {{"If-Match", "garbage"}}).status == 400);
  CHECK(c->Op("PATCH", "/v1/tenants/" + t, R"({"display_name":"two"})", {{"If-Match", "\"2\""}}).status == 200);
}

TEST_CASE("an API key's secret is shown once and only its hash is stored", "[e2e][keys]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("keyed");
  auto r = c->Op("POST", "/v1/tenants/" + t + "/api-keys", R"({"name":"ci","role":"tenant-member"})");
  REQUIRE(r.status == 201);
  const std::string secret(r.Json().at("secret").as_string());
  const std::string id(r.Json().at("key").at("id").as_string());
  CHECK(secret.rfind("gaon_sk_", 0) == 0);
  CHECK(secret.size() >= 8 + 26 + 43);  // ≥ 32 random bytes after the public id
  CHECK(r.Header("Cache-Control") == "no-store");

  auto got = c->Op("GET", "/v1/tenants/" + t + "/api-keys/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.body.find(secret.substr(34)) == std::string::npos);
  CHECK_FALSE(got.Json().as_object().contains("secret"));
  auto list = c->Op("GET", "/v1/tenants/" + t + "/api-keys");
  CHECK(list.body.find(secret.substr(34)) == std::string::npos);

  // The database has the SHA-256 of the secret part and nothing that contains the secret.
  const std::string row = c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT row_to_json(k)::text FROM api_keys k WHERE key_id = '" + id + "'");
  CHECK(row.find(secret.substr(34)) == std::string::npos);
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT secret_hash FROM api_keys WHERE key_id = '" + id + "'") ==
        gaon::Sha256Hex(secret.substr(34)));
  // And the key works.
  auto me = c->Call("GET", "/v1/me", secret);
  CHECK(me.status == 200);
  CHECK(Field(me, "principal_id") == id);
  CHECK(Field(me, "role") == "tenant-member");
}

TEST_CASE("revoked and expired keys stop working at once", "[e2e][keys]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("revoker");
  auto r = c->Op("POST", "/v1/tenants/" + t + "/api-keys", R"({"name":"temp","role":"tenant-viewer"})");
  const std::string key(r.Json().at("secret").as_string());
  const std::string id(r.Json().at("key").at("id").as_string());
  REQUIRE(c->Call("GET", "/v1/tenants/" + t, key).status == 200);
  auto revoked = c->Op("DELETE", "/v1/tenants/" + t + "/api-keys/" + id);
  REQUIRE(revoked.status == 200);
  CHECK(Field(revoked, "status") == "revoked");
  auto denied = c->Call("GET", "/v1/tenants/" + t, key);
  CHECK(denied.status == 401);
  CHECK(Field(denied, "code") == "credentials_revoked");
  CHECK(denied.Header("WWW-Authenticate"));

  // A key used just before it expires (so its authentication is cached) stops at expiry.
  const gaon::Timestamp expiry = gaon::Now() + std::chrono::milliseconds(1500);
  auto made = c->Op("POST", "/v1/tenants/" + t + "/api-keys",
                    R"({"name":"short-lived","role":"tenant-viewer","expires_at":")" + gaon::FormatTimestamp(expiry) + R"("})");
  REQUIRE(made.status == 201);
  const std::string soon(made.Json().at("secret").as_string());
  REQUIRE(c->Call("GET", "/v1/tenants/" + t, soon).status == 200);
  std::this_thread::sleep_until(expiry + std::chrono::milliseconds(50));
  auto expired = c->Call("GET", "/v1/tenants/" + t, soon);
  CHECK(expired.status == 401);
  CHECK(Field(expired, "code") == "credentials_expired");

  auto past = c->Op("POST", "/v1/tenants/" + t + "/api-keys",
                    R"({"name":"old","role":"tenant-viewer","expires_at":"2020-01-01T00:00:00Z"})");
  CHECK(past.status == 400);
  // A wrong secret for a real key id is the same answer as an unknown key.
  std::string forged = soon;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  CHECK(Field(c->Call("GET", "/v1/tenants/" + t, forged), "code") == "invalid_credentials");
  CHECK(Field(c->Call("GET", "/v1/tenants/" + t, "gaon_sk_nonsense"), "code") == "invalid_credentials");
  CHECK(c->Call("GET", "/v1/tenants/" + t, "").status == 401);
}

TEST_CASE("a revocation reaches every gaond sharing the database", "[e2e][keys]") {
  auto c = TestCloud::Start();
  auto second = GaondProcess::Start(&c->db(), {.env = {{"GAON_CATALOG_FILE", std::string(GAON_SOURCE_DIR) + "/deploy/catalog.yaml"}}});
  const std::string t = c->CreateTenant("fleet");
  auto call_second = [&](const std::string& key) {
    return HttpClient(second->address()).Request("GET", "/v1/tenants/" + t, "", {{"Authorization", "Bearer " + key}});
  };
  // Through the API of the other gaond: the key is cached on `second` before it is revoked.
  auto r = c->Op("POST", "/v1/tenants/" + t + "/api-keys", R"({"name":"roaming","role":"tenant-viewer"})");
  const std::string key(r.Json().at("secret").as_string());
  const std::string id(r.Json().at("key").at("id").as_string());
  REQUIRE(call_second(key).status == 200);
  REQUIRE(c->Op("DELETE", "/v1/tenants/" + t + "/api-keys/" + id).status == 200);
  CHECK(WaitUntil([&] { return call_second(key).status == 401; }, std::chrono::seconds(2)));
  CHECK(Field(call_second(key), "code") == "credentials_revoked");

  // Straight in the database, as an operator might in an emergency.
  const std::string other = c->CreateKey(t, "tenant-viewer", "direct");
  REQUIRE(call_second(other).status == 200);
  c->db().OwnerQuery("SET gaon.platform = 'on'; UPDATE api_keys SET revoked_at = now() WHERE name = 'direct'");
  CHECK(WaitUntil([&] { return call_second(other).status == 401; }, std::chrono::seconds(2)));

  // A suspended tenant is refused on every gaond.
  const std::string live = c->CreateKey(t, "tenant-member", "live");
  REQUIRE(call_second(live).status == 200);
  REQUIRE(c->Op("POST", "/v1/admin/tenants/" + t + ":suspend").status == 200);
  CHECK(WaitUntil([&] {
    auto write = HttpClient(second->address())
                     .Request("POST", "/v1/tenants/" + t + "/ssh-keys", R"({"name":"k","public_key":"x"})",
                              {{"Authorization", "Bearer " + live}});
    return write.status == 403 && Field(write, "code") == "tenant_suspended";
  }, std::chrono::seconds(2)));
}

TEST_CASE("last use of a key is recorded", "[e2e][keys]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("usage");
  auto r = c->Op("POST", "/v1/tenants/" + t + "/api-keys", R"({"name":"u","role":"tenant-viewer"})");
  const std::string key(r.Json().at("secret").as_string());
  const std::string id(r.Json().at("key").at("id").as_string());
  CHECK_FALSE(c->Op("GET", "/v1/tenants/" + t + "/api-keys/" + id).Json().as_object().contains("last_used_at"));
  REQUIRE(c->Call("GET", "/v1/tenants/" + t, key).status == 200);
  // Recorded in memory and written within a second or so, not inside the (read-only) request.
  CHECK(WaitUntil([&] { return c->Op("GET", "/v1/tenants/" + t + "/api-keys/" + id).Json().as_object().contains("last_used_at"); }));
}

namespace {

struct Session {
  std::string cookie;  // "gaon_session=…"
  std::string csrf;
  std::string set_cookie;
};

Session Login(TestCloud& c, const std::string& email, const std::string& password, int expect = 201) {
  auto r = c.Call("POST", "/v1/sessions", "", R"({"email":")" + email + R"(","password":")" + password + R"("})");
  REQUIRE(r.status == expect);
  Session s;
  if (expect != 201) return s;
  s.set_cookie = *r.Header("Set-Cookie");
  s.cookie = s.set_cookie.substr(0, s.set_cookie.find(';'));
  s.csrf = std::string(r.Json().at("csrf_token").as_string());
  return s;
}

}  // namespace

TEST_CASE("console sessions: cookie flags, CSRF on changes, logout and expiry", "[e2e][sessions]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("consoled");
  auto [user, password] = c->AddMember(t, "admin@consoled.example", "tenant-admin");
  REQUIRE_FALSE(password.empty());
  Session s = Login(*c, "Admin@Consoled.example", password);  // emails are case-insensitive
  CHECK_THAT(s.set_cookie, Catch::Contains("HttpOnly"));
  CHECK_THAT(s.set_cookie, Catch::Contains("SameSite=Strict"));
  CHECK_THAT(s.set_cookie, Catch::Contains("Path=/"));
  CHECK_THAT(s.set_cookie, Catch::Contains("Max-Age=43200"));
  CHECK_THAT(s.set_cookie, !Catch::Contains("Secure"));  // plain HTTP here; see the TLS case

  auto me = c->Call("GET", "/v1/me", "", "", {{"Cookie", s.cookie}});
  REQUIRE(me.status == 200);
  CHECK(Field(me, "principal_id") == user);
  CHECK(me.Json().at("memberships").at(0).at("role").as_string() == "tenant-admin");
  CHECK(Field(me, "csrf_token") == s.csrf);

  const std::string body = R"({"name":"from-console","role":"tenant-viewer"})";
  auto no_csrf = c->Call("POST", "/v1/tenants/" + t + "/api-keys", "", body, {{"Cookie", s.cookie}});
  CHECK(no_csrf.status == 403);
  CHECK(Field(no_csrf, "code") == "csrf_failed");
  auto bad_csrf = c->Call("POST", "/v1/tenants/" + t + "/api-keys", "", body, {{"Cookie", s.cookie}, {"X-CSRF-Token", "x"}});
  CHECK(bad_csrf.status == 403);
  auto ok = c->Call("POST", "/v1/tenants/" + t + "/api-keys", "", body, {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  CHECK(ok.status == 201);

  auto out = c->Call("DELETE", "/v1/sessions/current", "", "", {{"Cookie", s.cookie}, {"X-CSRF-Token", s.csrf}});
  CHECK(out.status == 204);
  CHECK_THAT(*out.Header("Set-Cookie"), Catch::Contains("Max-Age=0"));
  CHECK(Field(c->Call("GET", "/v1/me", "", "", {{"Cookie", s.cookie}}), "code") == "session_expired");

  Session s2 = Login(*c, "admin@consoled.example", password);
  c->db().OwnerQuery("SET gaon.platform = 'on'; UPDATE sessions SET expires_at = now() - interval '1 second'");
  CHECK(Field(c->Call("GET", "/v1/me", "", "", {{"Cookie", s2.cookie}}), "code") == "session_expired");
  Session s3 = Login(*c, "admin@consoled.example", password);
  c->db().OwnerQuery("SET gaon.platform = 'on'; UPDATE sessions SET last_seen_at = now() - interval '3 hours'");
  CHECK(Field(c->Call("GET", "/v1/me", "", "", {{"Cookie", s3.cookie}}), "code") == "session_expired");
  // The database never holds the cookie's secret.
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM sessions WHERE secret_hash = '" +
                           gaon::Sha256Hex(s3.cookie.substr(s3.cookie.find('.') + 1)) + "'") == "1");
}

TEST_CASE("changing the password ends every session of the user", "[e2e][sessions]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("pwchange");
  auto [user, password] = c->AddMember(t, "dev@pwchange.example", "tenant-member");
  // Passwords are stored as argon2id hashes, never as given.
  auto stored = [&] {
    return c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT password_hash FROM users WHERE user_id = '" + user + "'");
  };
  const std::string first_hash = stored();
  CHECK(first_hash.rfind("$argon2id$", 0) == 0);
  CHECK(first_hash.find(password) == std::string::npos);
  Session a = Login(*c, "dev@pwchange.example", password);
  Session b = Login(*c, "dev@pwchange.example", password);
  auto weak = c->Call("POST", "/v1/me/password", "", R"({"current_password":")" + password + R"(","new_password":"short"})",
                      {{"Cookie", a.cookie}, {"X-CSRF-Token", a.csrf}});
  CHECK(weak.status == 400);
  auto changed = c->Call("POST", "/v1/me/password", "",
                         R"({"current_password":")" + password + R"(","new_password":"correct horse battery staple"})",
                         {{"Cookie", a.cookie}, {"X-CSRF-Token", a.csrf}});
  REQUIRE(changed.status == 204);
  CHECK(c->Call("GET", "/v1/me", "", "", {{"Cookie", a.cookie}}).status == 401);
  CHECK(c->Call("GET", "/v1/me", "", "", {{"Cookie", b.cookie}}).status == 401);
  Login(*c, "dev@pwchange.example", password, 401);
  Login(*c, "dev@pwchange.example", "correct horse battery staple");
  CHECK(stored().rfind("$argon2id$", 0) == 0);
  CHECK(stored() != first_hash);
}

TEST_CASE("gaond bootstrap prints an operator key once and writes it only for its owner", "[e2e][keys]") {
  auto c = TestCloud::Start();
  const std::string file = c->gaond().dir() + "/operator.key";
  auto p = GaondProcess::Start(&c->db(), {.args = {"bootstrap", "--name", "second-operator", "--output", file},
                                          .wait_ready = false});
  REQUIRE(p->Wait() == 0);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(file);
  std::string key;
  std::getline(in, key);
  CHECK(key.rfind("gaon_sk_", 0) == 0);
  CHECK(p->Log().find(key) != std::string::npos);  // the same key was printed
  CHECK(c->Call("GET", "/v1/admin/tenants", key, "", {{"X-Gaon-Operator-Reason", "check"}}).status == 200);
  // Only a hash of it is stored.
  CHECK(c->db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM platform_api_keys WHERE secret_hash LIKE '%" +
                           key.substr(8) + "%'") == "0");
}

TEST_CASE("repeated failed logins are slowed down per account and per address", "[e2e][sessions]") {
  auto c = TestCloud::Start({.env = {{"GAON_AUTH_LOGIN_FREE_FAILURES", "3"}, {"GAON_AUTH_LOGIN_BASE_DELAY", "30s"}}});
  const std::string t = c->CreateTenant("guarded");
  auto [user, password] = c->AddMember(t, "target@guarded.example", "tenant-viewer");
  for (int i = 0; i < 2; ++i) Login(*c, "target@guarded.example", "wrong-password-" + std::to_string(i), 401);
  auto third = c->Call("POST", "/v1/sessions", "", R"({"email":"target@guarded.example","password":"still wrong"})");
  CHECK(third.status == 401);
  // Blocked now, even with the right password.
  auto blocked = c->Call("POST", "/v1/sessions", "", R"({"email":"target@guarded.example","password":")" + password + R"("})");
  CHECK(blocked.status == 429);
  CHECK(Field(blocked, "code") == "login_throttled");
  REQUIRE(blocked.Header("Retry-After"));
  CHECK(std::stoi(*blocked.Header("Retry-After")) > 0);
  // Unknown accounts count too, and the address is blocked after enough failures overall.
  for (int i = 0; i < 12; ++i) {
    c->Call("POST", "/v1/sessions", "", R"({"email":"nobody)" + std::to_string(i) + R"(@x.example","password":"guess"})");
  }
  auto addr = c->Call("POST", "/v1/sessions", "", R"({"email":"fresh@x.example","password":"guess"})");
  CHECK(addr.status == 429);
}

TEST_CASE("session cookies are Secure over TLS", "[e2e][sessions][tls]") {
  const std::string dir = MakeTempDir("tls");
  REQUIRE(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout " + dir +
                       "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1").c_str()) == 0);
  auto db = TestDatabase::Create();
  const std::string op = BootstrapOperatorKey(*db);
  auto gaond = GaondProcess::Start(db.get(), {.env = {{"GAON_SERVER_TLS_CERT_FILE", dir + "/cert.pem"},
                                                      {"GAON_SERVER_TLS_KEY_FILE", dir + "/key.pem"},
                                                      {"GAON_AUTH_ARGON2_MEMORY_KIB", "64"}}});
  const std::string base = "curl -sk -o " + dir + "/body -D " + dir + "/head https://" + gaond->address();
  const std::string auth = " -H 'Authorization: Bearer " + op + "' -H 'X-Gaon-Operator-Reason: test' -H 'Content-Type: application/json'";
  REQUIRE(std::system((base + "/v1/admin/tenants" + auth +
                       " -d '{\"name\":\"tls-co\",\"jurisdiction\":\"KR\",\"billing_currency\":\"KRW\",\"billing_email\":\"a@b.kr\"}'").c_str()) == 0);
  std::ifstream tb(dir + "/body");
  const std::string tenant(boost::json::parse(std::string(std::istreambuf_iterator<char>(tb), {})).at("id").as_string());
  REQUIRE(std::system((base + "/v1/tenants/" + tenant + "/members" + auth +
                       " -d '{\"email\":\"u@tls.example\",\"role\":\"tenant-viewer\"}'").c_str()) == 0);
  std::ifstream mb(dir + "/body");
  const std::string pw(boost::json::parse(std::string(std::istreambuf_iterator<char>(mb), {})).at("initial_password").as_string());
  REQUIRE(std::system((base + "/v1/sessions -H 'Content-Type: application/json' -d '{\"email\":\"u@tls.example\",\"password\":\"" + pw + "\"}'").c_str()) == 0);
  std::ifstream head(dir + "/head");
  const std::string headers(std::istreambuf_iterator<char>(head), {});
  CHECK_THAT(headers, Catch::Contains("HttpOnly"));
  CHECK_THAT(headers, Catch::Contains("Secure"));
}

TEST_CASE("an Idempotency-Key replays the first answer and refuses a different request", "[e2e][idempotency]") {
  auto c = TestCloud::Start();
  const std::string body = R"({"name":"idem-co","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@b.kr"})";
  auto first = c->Op("POST", "/v1/admin/tenants", body, {{"Idempotency-Key", "create-idem-co"}});
  REQUIRE(first.status == 201);
  auto again = c->Op("POST", "/v1/admin/tenants", body, {{"Idempotency-Key", "create-idem-co"}});
  CHECK(again.status == 201);
  CHECK(again.body == first.body);
  CHECK(again.Header("Idempotent-Replayed") == "true");
  auto other = c->Op("POST", "/v1/admin/tenants", R"({"name":"other-co","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@b.kr"})",
                     {{"Idempotency-Key", "create-idem-co"}});
  CHECK(other.status == 422);
  CHECK(Field(other, "code") == "idempotency_key_reused");
  CHECK(CountTenants(*c) == "1");
  // Keys are per principal: another principal's identical key is a different request.
  const std::string t(first.Json().at("id").as_string());
  const std::string admin = c->CreateKey(t, "tenant-admin");
  auto k1 = c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"k","role":"tenant-viewer"})",
                    {{"Idempotency-Key", "create-idem-co"}});
  CHECK(k1.status == 201);
  CHECK_FALSE(k1.Header("Idempotent-Replayed"));
  // A replayed key creation does not show the secret again: it is stored nowhere.
  auto k2 = c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, R"({"name":"k","role":"tenant-viewer"})",
                    {{"Idempotency-Key", "create-idem-co"}});
  CHECK(k2.Header("Idempotent-Replayed") == "true");
  CHECK(k2.Json().at("key").at("id") == k1.Json().at("key").at("id"));
  CHECK_FALSE(k2.Json().as_object().contains("secret"));
  CHECK(c->Call("POST", "/v1/tenants/" + t + "/api-keys", admin, "{}", {{"Idempotency-Key", std::string(300, 'x')}}).status == 400);
}

TEST_CASE("fifty parallel requests with one Idempotency-Key create exactly one resource", "[e2e][idempotency]") {
  auto c = TestCloud::Start({.env = {{"GAON_DATABASE_POOL_SIZE", "8"}, {"GAON_DATABASE_CHECKOUT_TIMEOUT", "60s"}}});
  const std::string body = R"({"name":"race-co","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@b.kr"})";
  std::vector<std::thread> threads;
  std::vector<HttpResult> results(50);
  std::atomic<bool> go{false};
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      results[static_cast<std::size_t>(i)] = c->Op("POST", "/v1/admin/tenants", body, {{"Idempotency-Key", "the-one"}});
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (const auto& r : results) {
    INFO(r.status << " " << r.body);
    CHECK((r.status == 201 || r.status == 409));  // 409: still in progress, retry later
    if (r.status == 201) ids.insert(std::string(r.Json().at("id").as_string()));
  }
  CHECK(ids.size() == 1);
  CHECK(CountTenants(*c) == "1");
}

TEST_CASE("each principal is rate limited with 429 and Retry-After", "[e2e][ratelimit]") {
  auto c = TestCloud::Start({.env = {{"GAON_RATE_LIMIT_REQUESTS_PER_SECOND", "1"}, {"GAON_RATE_LIMIT_BURST", "3"}}});
  const std::string t = c->CreateTenant("busy");
  const std::string a = c->CreateKey(t, "tenant-viewer", "a");
  const std::string b = c->CreateKey(t, "tenant-viewer", "b");
  int limited = 0;
  HttpResult last;
  for (int i = 0; i < 6; ++i) {
    last = c->Call("GET", "/v1/tenants/" + t, a);
    if (last.status == 429) ++limited;
  }
  CHECK(limited >= 2);
  REQUIRE(last.status == 429);
  CHECK(Field(last, "code") == "rate_limited");
  CHECK(std::stoi(*last.Header("Retry-After")) >= 1);
  // Another principal has its own bucket.
  CHECK(c->Call("GET", "/v1/tenants/" + t, b).status == 200);
}
