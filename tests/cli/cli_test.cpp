// End-to-end: the real gaonctl binary against a real gaond — every resource and verb, the
// output formats, profiles, exit codes and errors.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "tests/cli/cli_support.h"
#include "tests/support/gaond_process.h"
#include "tests/support/test_keys.h"

namespace gaon::test {
namespace {

namespace json = boost::json;

std::string S(const json::value& v) { return std::string(v.as_string()); }

// Runs `run` once; requires its exit code to be `expected`, printing its output when not.
#define EXPECT_EXIT(run, expected)              \
  do {                                          \
    const CliResult expect_exit_result_ = (run); \
    INFO(Describe(expect_exit_result_));        \
    REQUIRE(expect_exit_result_.code == (expected)); \
  } while (0)

// A cloud with a small fleet: 2 H100 hosts in kr-central-1a, 1 in kr-central-1b.
std::unique_ptr<TestCloud> SmallCloud() {
  return TestCloud::Start({.env = {{"GAON_SIM_FLEET_FILE",
                                    TestCloud::FleetFile("groups:\n" +
                                                         TestCloud::FleetGroup("kr-central-1a", "h100-80gb-sxm", 2) +
                                                         TestCloud::FleetGroup("kr-central-1b", "h100-80gb-sxm", 1))}}});
}

// Live instance rows of `tenant`, counted in the database.
int LiveInstancesOf(TestCloud& c, const std::string& tenant) {
  return std::stoi(c.db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM instances WHERE tenant_id = '" +
                                     tenant + "' AND deleted_at IS NULL"));
}

}  // namespace

TEST_CASE("gaonctl manages tenants and users, with exit codes for not found, conflicts and bad input",
          "[cli][e2e][tenants]") {
  auto c = TestCloud::Start();
  Gaonctl ctl(c->address(), c->operator_key());

  auto created = ctl({"tenants", "create", "acme", "--billing-email", "ap@acme.kr", "-l", "tier=gold", "-o", "json"});
  EXPECT_EXIT(created, 0);
  const std::string t = S(created.Json().at("id"));
  CHECK(S(created.Json().at("labels").at("tier")) == "gold");

  // A table by default, with the header and an age; names for scripts.
  auto table = ctl({"tenants", "list"});
  EXPECT_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find("acme") != std::string::npos);
  CHECK(table.out.find("\033[") == std::string::npos);  // not a TTY: no colour
  auto names = ctl({"tenants", "list", "-o", "name", "-l", "tier=gold"});
  EXPECT_EXIT(names, 0);
  CHECK(names.out == t + "\n");
  CHECK(ctl({"tenants", "list", "-o", "name", "-l", "tier=silver"}).out.empty());
  auto yaml = ctl({"tenants", "get", t, "-o", "yaml"});
  EXPECT_EXIT(yaml, 0);
  CHECK(yaml.out.find("name: acme") != std::string::npos);
  CHECK(yaml.out.find("billing_currency: KRW") != std::string::npos);
  auto wide = ctl({"tenants", "get", t, "-o", "wide"});
  CHECK(wide.out.find("BILLING EMAIL") != std::string::npos);
  CHECK(wide.out.find("tier=gold") != std::string::npos);

  auto updated = ctl({"tenants", "update", t, "--display-name", "ACME Corp", "-l", "tier-", "-l", "env=prod", "-o", "json"});
  EXPECT_EXIT(updated, 0);
  CHECK(S(updated.Json().at("display_name")) == "ACME Corp");
  CHECK(updated.Json().at("labels").as_object().size() == 1);
  CHECK(ctl({"tenants", "update", t, "--display-name", "x", "--if-match", "1"}).code == 4);  // stale version: 412

  // Errors: not found 3, conflict 4, bad input 1 with the field named, usage 2.
  auto missing = ctl({"tenants", "get", "ten_01aaaaaaaaaaaaaaaaaaaaaaaa"});
  EXPECT_EXIT(missing, 3);
  CHECK(missing.err.find("request id:") != std::string::npos);
  auto dup = ctl({"tenants", "create", "acme", "--billing-email", "ap@acme.kr"});
  EXPECT_EXIT(dup, 4);
  CHECK(dup.err.find("tenant_name_taken") != std::string::npos);
  auto bad = ctl({"tenants", "create", "Bad Name!", "--billing-email", "nope"});
  EXPECT_EXIT(bad, 1);
  CHECK(bad.err.find("validation_failed") != std::string::npos);
  CHECK(bad.err.find("name") != std::string::npos);
  EXPECT_EXIT(ctl({"tenants", "get", "not-an-id"}), 2);
  EXPECT_EXIT(ctl({"tenants", "create"}), 2);
  EXPECT_EXIT(ctl({"tenants", "frobnicate"}), 2);
  EXPECT_EXIT(ctl({"tenants", "list", "-o", "xml"}), 2);

  // Destructive verbs ask; without a terminal they need --yes.
  auto refused = ctl({"tenants", "suspend", t});
  EXPECT_EXIT(refused, 2);
  CHECK(refused.err.find("--yes") != std::string::npos);
  auto suspended = ctl({"tenants", "suspend", t, "--yes", "-o", "json"});
  EXPECT_EXIT(suspended, 0);
  CHECK(S(suspended.Json().at("status")) == "suspended");
  CHECK(S(ctl({"tenants", "resume", t, "-o", "json"}).Json().at("status")) == "active");

  // Users: create (password from stdin), list, get, disable, enable.
  auto user = ctl({"users", "create", "kim@acme.kr", "--name", "Kim", "--password-file", "-", "-o", "json"}, {},
                  "correct horse battery staple\n");
  EXPECT_EXIT(user, 0);
  const std::string u = S(user.Json().at("id"));
  CHECK(ctl({"users", "list", "-o", "name"}).out.find(u) != std::string::npos);
  CHECK(S(ctl({"users", "get", u, "-o", "json"}).Json().at("email")) == "kim@acme.kr");
  CHECK(S(ctl({"users", "disable", u, "-y", "-o", "json"}).Json().at("status")) == "disabled");
  CHECK(S(ctl({"users", "enable", u, "-o", "json"}).Json().at("status")) == "active");
  EXPECT_EXIT(ctl({"users", "get", "usr_01aaaaaaaaaaaaaaaaaaaaaaaa"}), 3);

  // --dry-run sends nothing.
  auto dry = ctl({"tenants", "delete", t, "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("DELETE /v1/admin/tenants/" + t) != std::string::npos);
  EXPECT_EXIT(ctl({"tenants", "get", t}), 0);
  EXPECT_EXIT(ctl({"tenants", "delete", t, "--yes"}), 0);
  EXPECT_EXIT(ctl({"tenants", "get", t}), 3);
}

TEST_CASE("gaonctl manages members, API keys and the audit log, a bad key exits 5", "[cli][e2e][members]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;

  auto added = op({"members", "add", "lee@acme.kr", "--role", "tenant-admin", "-o", "json"});
  EXPECT_EXIT(added, 0);
  const std::string u = S(added.Json().at("member").at("user_id"));
  CHECK(added.Json().at("initial_password").is_string());
  CHECK(op({"memberships", "list", "-o", "name"}).out.find(u) != std::string::npos);  // the alias
  CHECK(S(op({"members", "get", u, "-o", "json"}).Json().at("role")) == "tenant-admin");
  EXPECT_EXIT(op({"members", "add", "x@acme.kr", "--role", "wizard"}), 2);

  // A tenant admin's key, created through the CLI; its secret alone with -o name.
  auto key = op({"api-keys", "create", "ci", "--role", "tenant-admin", "-o", "name"});
  EXPECT_EXIT(key, 0);
  const std::string secret = key.out.substr(0, key.out.find('\n'));
  REQUIRE(secret.rfind("gaon_sk_", 0) == 0);
  Gaonctl admin(c->address(), secret);
  auto me = admin({"whoami", "-o", "json"});
  EXPECT_EXIT(me, 0);
  CHECK(S(me.Json().at("tenant_id")) == t);
  // The tenant comes from the key: no --tenant needed.
  auto keys = admin({"api-keys", "list", "-o", "json"});
  EXPECT_EXIT(keys, 0);
  REQUIRE(keys.Json().at("items").as_array().size() == 1);
  const std::string kid = S(keys.Json().at("items").at(0).at("id"));
  CHECK(S(admin({"api-keys", "get", kid, "-o", "json"}).Json().at("name")) == "ci");
  auto last = admin({"members", "update", u, "--role", "tenant-viewer"});
  EXPECT_EXIT(last, 4);  // the last tenant-admin
  CHECK(last.err.find("last_admin") != std::string::npos);
  EXPECT_EXIT(admin({"members", "add", "park@acme.kr", "--role", "tenant-admin"}), 0);
  CHECK(S(admin({"members", "update", u, "--role", "tenant-viewer", "-o", "json"}).Json().at("role")) == "tenant-viewer");
  EXPECT_EXIT(admin({"members", "remove", u, "--yes"}), 0);
  EXPECT_EXIT(admin({"members", "get", u}), 3);
  // A tenant admin may not act as an operator: 5.
  EXPECT_EXIT(admin({"tenants", "list"}), 5);
  EXPECT_EXIT(admin({"nodes", "list"}), 5);

  // Operator keys.
  auto opkey = op({"api-keys", "create", "night-shift", "--operator", "-o", "json"});
  EXPECT_EXIT(opkey, 0);
  const std::string opkid = S(opkey.Json().at("key").at("id"));
  CHECK(op({"api-keys", "list", "--operator", "-o", "name"}).out.find(opkid) != std::string::npos);
  CHECK(S(op({"api-keys", "revoke", opkid, "--operator", "--yes", "-o", "json"}).Json().at("status")) == "revoked");

  // The audit log saw all of it, and its chain is intact.
  auto audit = op({"audit-events", "list", "--action", "members.create", "-o", "json"});
  EXPECT_EXIT(audit, 0);
  REQUIRE(audit.Json().at("items").as_array().size() == 2);  // lee by the operator, park by the admin
  CHECK(S(audit.Json().at("items").at(1).at("operator_reason")) == "cli test");
  CHECK(op({"audit-events", "list", "--limit", "2", "-o", "name"}).out.find('\n') != std::string::npos);
  auto verify = op({"audit-events", "verify"});
  EXPECT_EXIT(verify, 0);
  CHECK(verify.out.find("intact") != std::string::npos);
  EXPECT_EXIT(op({"audit-events", "verify", "--platform"}), 0);
  CHECK(op({"audit-events", "list", "--platform", "-o", "json"}).Json().at("items").as_array().size() >= 2);
  EXPECT_EXIT(op({"audit-events", "list", "--since", "yesterday"}), 2);

  // Revoked: the key no longer works, exit 5.
  EXPECT_EXIT(admin({"api-keys", "revoke", kid, "--yes"}), 0);
  auto denied = admin({"whoami"});
  EXPECT_EXIT(denied, 5);
  CHECK(denied.err.find("request id:") != std::string::npos);
  // No endpoint at all is a usage error.
  EXPECT_EXIT(op({"whoami"}, {{"GAON_ENDPOINT", ""}}), 2);
}

TEST_CASE("gaonctl status, version, -v, paging from a token, ages, members list and api-keys delete",
          "[cli][e2e][tools]") {
  auto c = TestCloud::Start();
  Gaonctl op(c->address(), c->operator_key());

  auto status = op({"status"});
  EXPECT_EXIT(status, 0);
  CHECK(status.out.find("http://" + c->address() + ": ready (schema ") == 0);
  CHECK(S(op({"status", "-o", "json"}).Json().at("status")) == "ready");
  auto version = op({"version"});
  EXPECT_EXIT(version, 0);
  CHECK(version.out.rfind("gaonctl ", 0) == 0);

  // -v logs each HTTP attempt on stderr, stdout stays the result.
  std::vector<std::string> tenants;
  for (const char* name : {"alpha", "bravo", "charlie"}) tenants.push_back(c->CreateTenant(name));
  auto verbose = op({"-v", "tenants", "get", tenants[0], "-o", "name"});
  EXPECT_EXIT(verbose, 0);
  CHECK(verbose.out == tenants[0] + "\n");
  CHECK(verbose.err.find("> GET /v1/tenants/" + tenants[0] + " → 200 in ") != std::string::npos);
  CHECK(verbose.err.find("[request ") != std::string::npos);

  // --page-token starts where a previous page ended; --page-size only changes how many per request.
  auto first = op({"api", "GET", "/v1/admin/tenants?page_size=1"});
  EXPECT_EXIT(first, 0);
  const std::string skipped = S(first.Json().at("items").at(0).at("id"));
  const std::string token = S(first.Json().at("next_page_token"));
  auto all = op({"tenants", "list", "--page-size", "1", "-o", "name"});
  auto rest = op({"tenants", "list", "--page-size", "2", "--page-token", token, "-o", "name"});
  EXPECT_EXIT(rest, 0);
  CHECK(all.out == skipped + "\n" + rest.out);
  CHECK(std::count(all.out.begin(), all.out.end(), '\n') >= 3);
  EXPECT_EXIT(op({"tenants", "list", "--page-token", "not-a-token"}), 1);

  // Ages in tables: a tenant created five minutes ago shows "5m".
  c->db().OwnerQuery("SET gaon.platform = 'on'; UPDATE tenants SET created_at = now() - interval '5 minutes 10 seconds' WHERE tenant_id = '" + tenants[1] +
                     "'");
  auto table = op({"tenants", "list"});
  std::string row;
  for (std::size_t start = 0, end; (end = table.out.find('\n', start)) != std::string::npos; start = end + 1) {
    if (table.out.compare(start, tenants[1].size(), tenants[1]) == 0) row = table.out.substr(start, end - start);
  }
  INFO(table.out);
  CHECK(row.size() > 3);
  CHECK(row.substr(row.size() - 3) == " 5m");  // AGE is the last column

  // members list, and api-keys delete as the name for revoke.
  op.env()["GAON_TENANT"] = tenants[2];
  auto added = op({"members", "add", "yoon@charlie.kr", "--role", "tenant-viewer", "-o", "json"});
  EXPECT_EXIT(added, 0);
  auto members = op({"members", "list"});
  EXPECT_EXIT(members, 0);
  CHECK(members.out.find("yoon@charlie.kr") != std::string::npos);
  CHECK(members.out.find("tenant-viewer") != std::string::npos);
  auto key = op({"api-keys", "create", "deploy", "--role", "tenant-member", "-o", "json"});
  EXPECT_EXIT(key, 0);
  const std::string kid = S(key.Json().at("key").at("id"));
  EXPECT_EXIT(op({"api-keys", "delete", kid}), 2);  // destructive: asks, and there is no terminal
  auto deleted = op({"api-keys", "delete", kid, "--yes", "-o", "json"});
  EXPECT_EXIT(deleted, 0);
  CHECK(S(deleted.Json().at("status")) == "revoked");
  Gaonctl revoked(c->address(), S(key.Json().at("secret")));
  EXPECT_EXIT(revoked({"whoami"}), 5);
}

TEST_CASE("gaonctl drives the catalog, SSH keys, quotas and quota requests", "[cli][e2e][quotas]") {
  auto c = SmallCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl admin(c->address(), c->CreateKey(t, "tenant-admin"));

  auto regions = admin({"regions", "list", "-o", "json"});
  EXPECT_EXIT(regions, 0);
  CHECK(S(regions.Json().at("items").at(0).at("id")) == "kr-central-1");
  CHECK(admin({"gpu-types", "list"}).out.find("h100-80gb-sxm") != std::string::npos);
  CHECK(admin({"images", "list", "-o", "name"}).out.find("ubuntu-24.04-cuda-12.8") != std::string::npos);
  REQUIRE(WaitUntil([&] {
    return admin({"instance-types", "get", "gpu.h100.8x"}).out.find("kr-central-1a:2") != std::string::npos;
  }));
  auto types = admin({"instance-types", "list", "--gpu-type", "h100-80gb-sxm", "-o", "name"});
  CHECK(types.out.find("gpu.h100.1x") != std::string::npos);
  EXPECT_EXIT(admin({"instance-types", "get", "gpu.tpu.1x"}), 3);

  const std::string dir = MakeTempDir("cli-ssh");
  std::ofstream(dir + "/id.pub") << kTestEd25519 << "\n";
  auto key = admin({"ssh-keys", "create", "laptop", "--public-key-file", dir + "/id.pub", "-o", "json"});
  EXPECT_EXIT(key, 0);
  const std::string kid = S(key.Json().at("id"));
  CHECK(admin({"ssh-keys", "list"}).out.find("SHA256:") != std::string::npos);
  CHECK(S(admin({"ssh-keys", "get", kid, "-o", "json"}).Json().at("name")) == "laptop");
  EXPECT_EXIT(admin({"ssh-keys", "create", "again", "--public-key-file", dir + "/id.pub"}), 4);
  EXPECT_EXIT(admin({"ssh-keys", "create", "bad", "--public-key-file", "-"}, {}, "not a key"), 1);
  EXPECT_EXIT(admin({"ssh-keys", "delete", kid, "--yes"}), 0);
  EXPECT_EXIT(admin({"ssh-keys", "get", kid}), 3);

  // Quotas: operators set them; tenants read them and ask for more.
  auto set = op({"quotas", "set", "gpus=4", "gpus.h100-80gb-sxm=2", "-o", "json"});
  EXPECT_EXIT(set, 0);
  const json::value quotas = admin({"quotas", "list", "-o", "json"}).Json();
  bool saw = false;
  for (const auto& q : quotas.at("items").as_array()) {
    if (S(q.at("dimension")) == "gpus.h100-80gb-sxm") saw = q.at("limit").as_int64() == 2;
  }
  CHECK(saw);
  EXPECT_EXIT(admin({"quotas", "set", "gpus=64"}), 5);
  EXPECT_EXIT(op({"quotas", "set", "gpus=lots"}), 2);
  EXPECT_EXIT(op({"quotas", "set", "gpus=-1"}), 1);

  auto asked = admin({"quota-requests", "create", "gpus", "8", "--reason", "training", "-o", "json"});
  EXPECT_EXIT(asked, 0);
  const std::string r1 = S(asked.Json().at("id"));
  CHECK(admin({"quota-requests", "list", "--state", "pending", "-o", "name"}).out == r1 + "\n");
  CHECK(op({"quota-requests", "list", "--all", "-o", "name"}).out.find(r1) != std::string::npos);
  auto approved = op({"quota-requests", "approve", r1, "--limit", "6", "--note", "6 for now", "-o", "json"});
  EXPECT_EXIT(approved, 0);
  CHECK(approved.Json().at("approved_limit").as_int64() == 6);
  CHECK(S(admin({"quota-requests", "get", r1, "-o", "json"}).Json().at("state")) == "approved");
  EXPECT_EXIT(admin({"quota-requests", "cancel", r1}), 4);  // already decided

  const std::string r2 = S(admin({"quota-requests", "create", "instances", "50", "--reason", "x", "-o", "json"})
                               .Json()
                               .at("id"));
  CHECK(S(op({"quota-requests", "deny", r2, "--note", "no", "-o", "json"}).Json().at("state")) == "denied");
  const std::string r3 = S(admin({"quota-requests", "create", "vcpus", "1024", "--reason", "x", "-o", "json"})
                               .Json()
                               .at("id"));
  CHECK(S(admin({"quota-requests", "cancel", r3, "-o", "json"}).Json().at("state")) == "cancelled");
  EXPECT_EXIT(admin({"quota-requests", "create", "gpus", "1", "--reason", "less"}), 1);
  EXPECT_EXIT(admin({"quota-requests", "get", "qr_01aaaaaaaaaaaaaaaaaaaaaaaa"}), 3);
}

TEST_CASE("gaonctl launches, waits for, stops, starts, reboots and deletes instances, quota exceeded exits 4",
          "[cli][e2e][instances]") {
  auto c = SmallCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-admin"));
  EXPECT_EXIT(op({"quotas", "set", "gpus=2", "--tenant", t}), 0);

  // --dry-run checks the catalog and the quota, shows the request and creates nothing.
  auto dry = ctl({"instances", "create", "train-1", "--type", "gpu.h100.1x", "--image", "ubuntu-24.04-cuda-12.8",
                  "--dry-run", "-o", "json"});
  EXPECT_EXIT(dry, 0);
  CHECK(S(dry.Json().at("spec").at("instance_type")) == "gpu.h100.1x");
  CHECK(dry.err.find("quota gpus: 2 of 2 left") != std::string::npos);
  CHECK(ctl({"instances", "list", "-o", "name"}).out.empty());
  EXPECT_EXIT(ctl({"instances", "create", "x", "--type", "gpu.tpu.1x", "--image", "ubuntu-24.04-cuda-12.8", "--dry-run"}),
              3);

  auto created = ctl({"instances", "create", "train-1", "--type", "gpu.h100.1x", "--image", "ubuntu-24.04-cuda-12.8",
                      "-l", "team=ml", "--wait", "--wait-timeout", "60", "-o", "json"});
  EXPECT_EXIT(created, 0);
  const std::string id = S(created.Json().at("id"));
  CHECK(S(created.Json().at("status").at("phase")) == "Running");
  CHECK(created.err.find("waiting for") == std::string::npos);  // no terminal: no progress line
  CHECK(LiveInstancesOf(*c, t) == 1);

  auto table = ctl({"instances", "list"});
  CHECK(table.out.find("Running") != std::string::npos);
  CHECK(table.out.find("train-1") != std::string::npos);
  CHECK(ctl({"instances", "list", "--phase", "Stopped", "-o", "name"}).out.empty());
  CHECK(ctl({"instances", "list", "-l", "team=ml", "-o", "name"}).out == id + "\n");
  CHECK(S(ctl({"instances", "update", id, "--name", "train-one", "-o", "json"}).Json().at("name")) == "train-one");

  // Over quota: the second 1-GPU instance fits, a 2-GPU one does not.
  auto over = ctl({"instances", "create", "big", "--type", "gpu.h100.2x", "--image", "ubuntu-24.04-cuda-12.8"});
  EXPECT_EXIT(over, 4);
  CHECK(over.err.find("quota_exceeded") != std::string::npos);
  CHECK(over.err.find("dimension") != std::string::npos);
  auto invalid = ctl({"instances", "create", "bad", "--type", "gpu.h100.1x", "--image", "no-such-image"});
  EXPECT_EXIT(invalid, 1);
  CHECK(invalid.err.find("spec.image") != std::string::npos);
  EXPECT_EXIT(ctl({"instances", "create", "train-one", "--type", "gpu.h100.1x", "--image", "ubuntu-24.04-cuda-12.8"}), 4);

  auto stopped = ctl({"instances", "stop", id, "--yes", "--wait", "-o", "json"});
  EXPECT_EXIT(stopped, 0);
  CHECK(S(stopped.Json().at("status").at("phase")) == "Stopped");
  auto started = ctl({"instances", "start", id, "--wait", "-o", "json"});
  EXPECT_EXIT(started, 0);
  CHECK(S(started.Json().at("status").at("phase")) == "Running");
  auto rebooted = ctl({"instances", "reboot", id, "--wait", "-o", "json"});
  EXPECT_EXIT(rebooted, 0);
  CHECK(S(rebooted.Json().at("status").at("phase")) == "Running");
  CHECK(rebooted.Json().at("status").at("observed_generation").as_int64() == rebooted.Json().at("generation").as_int64());
  EXPECT_EXIT(ctl({"instances", "wait", id, "--for", "Running", "--timeout", "5"}), 0);
  auto events = ctl({"instances", "events", id, "-o", "json"});
  EXPECT_EXIT(events, 0);
  CHECK(events.Json().at("items").as_array().size() >= 4);
  auto feed = ctl({"events", "list", "-o", "json"});
  EXPECT_EXIT(feed, 0);
  CHECK(!feed.Json().at("items").as_array().empty());
  auto watched = ctl({"events", "watch", "--since", "0", "--count", "3", "--timeout", "10", "-o", "json"});
  EXPECT_EXIT(watched, 0);
  INFO(Describe(watched));
  CHECK(watched.out.find(id) != std::string::npos);

  auto deleted = ctl({"instances", "delete", id, "--yes", "--wait", "-o", "json"});
  EXPECT_EXIT(deleted, 0);
  CHECK(S(deleted.Json().at("status").at("phase")) == "Deleted");
  CHECK(LiveInstancesOf(*c, t) == 0);
  EXPECT_EXIT(ctl({"instances", "wait", id, "--for", "Running", "--timeout", "5"}), 4);  // deleted: never Running
  EXPECT_EXIT(ctl({"instances", "get", "inst_01aaaaaaaaaaaaaaaaaaaaaaaa"}), 3);
}

TEST_CASE("gaonctl launches alike instances with --count, all or none", "[cli][e2e][instances][bulk]") {
  auto c = SmallCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-member"));
  EXPECT_EXIT(op({"quotas", "set", "gpus=3", "--tenant", t}), 0);

  auto dry = ctl({"instances", "create", "node-##", "--count", "2", "--type", "gpu.h100.1x", "--image",
                  "ubuntu-24.04-cuda-12.8", "--dry-run", "-o", "json"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.Json().at("count").as_int64() == 2);
  CHECK(S(dry.Json().at("name_pattern")) == "node-##");
  CHECK(LiveInstancesOf(*c, t) == 0);

  auto made = ctl({"instances", "create", "node-##", "--count", "2", "--start-index", "7", "--type", "gpu.h100.1x",
                   "--image", "ubuntu-24.04-cuda-12.8", "--wait", "--wait-timeout", "60", "-o", "json"});
  EXPECT_EXIT(made, 0);
  INFO(Describe(made));
  const auto items = made.Json().at("items").as_array();
  REQUIRE(items.size() == 2);
  CHECK(S(items[0].at("name")) == "node-07");
  CHECK(S(items[1].at("name")) == "node-08");
  for (const auto& i : items) CHECK(S(i.at("status").at("phase")) == "Running");

  // Two more would need four GPUs of three: exit 4, and nothing made.
  auto over = ctl({"instances", "create", "more-#", "--count", "2", "--type", "gpu.h100.1x", "--image",
                   "ubuntu-24.04-cuda-12.8"});
  EXPECT_EXIT(over, 4);
  CHECK(over.err.find("quota_exceeded") != std::string::npos);
  auto bad = ctl({"instances", "create", "nohash", "--count", "2", "--type", "gpu.h100.1x", "--image",
                  "ubuntu-24.04-cuda-12.8"});
  EXPECT_EXIT(bad, 1);
  CHECK(bad.err.find("name_pattern") != std::string::npos);
  auto none = ctl({"instances", "create", "zero-#", "--count", "0", "--type", "gpu.h100.1x", "--image",
                   "ubuntu-24.04-cuda-12.8"});
  EXPECT_EXIT(none, 1);  // asked for a bulk of nothing: refused, not taken for a single create
  CHECK(none.err.find("count") != std::string::npos);
  CHECK(LiveInstancesOf(*c, t) == 2);
}

TEST_CASE("gaonctl lists, cordons, drains nodes and fails and recovers simulated hosts", "[cli][e2e][nodes]") {
  auto c = SmallCloud();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-admin"));

  REQUIRE(WaitUntil([&] { return op({"nodes", "list", "--state", "Ready", "-o", "name"}).out.size() > 40; }));
  auto nodes = op({"nodes", "list", "-o", "json"});
  REQUIRE(nodes.Json().at("items").as_array().size() == 3);
  auto zone_b = op({"nodes", "list", "--zone", "kr-central-1b", "-o", "name"});
  CHECK(zone_b.out == "kr-central-1b-h100-8g-01\n");
  CHECK(op({"nodes", "list"}).out.find("0/8") != std::string::npos);
  CHECK(S(op({"nodes", "get", "kr-central-1b-h100-8g-01", "-o", "json"}).Json().at("state")) == "Ready");
  EXPECT_EXIT(op({"nodes", "get", "no-such-node"}), 3);

  // Cordon zone b's only host: an instance pinned there waits.
  CHECK(S(op({"nodes", "cordon", "kr-central-1b-h100-8g-01", "-o", "json"}).Json().at("state")) == "Cordoned");
  CHECK(S(op({"nodes", "uncordon", "kr-central-1b-h100-8g-01", "-o", "json"}).Json().at("state")) == "Ready");

  auto inst = ctl({"instances", "create", "pinned", "--type", "gpu.h100.1x", "--image", "ubuntu-24.04-cuda-12.8", "--zone",
                   "kr-central-1b", "--wait", "-o", "json"});
  EXPECT_EXIT(inst, 0);
  const std::string id = S(inst.Json().at("id"));
  CHECK(S(inst.Json().at("status").at("node")) == "kr-central-1b-h100-8g-01");

  auto dry = op({"nodes", "drain", "kr-central-1b-h100-8g-01", "--policy", "stop", "--dry-run"});
  EXPECT_EXIT(dry, 0);
  CHECK(dry.err.find("1 instance(s)") != std::string::npos);
  EXPECT_EXIT(op({"nodes", "drain", "kr-central-1b-h100-8g-01", "--policy", "evict", "--yes"}), 2);
  // --wait returns once the node has no instance left: its GPUs are free.
  auto drained =
      op({"nodes", "drain", "kr-central-1b-h100-8g-01", "--policy", "stop", "--yes", "--wait", "--wait-timeout", "30",
          "-o", "json"});
  EXPECT_EXIT(drained, 0);
  CHECK(S(drained.Json().at("node").at("state")) == "Cordoned");
  CHECK(drained.Json().at("node").at("instances").as_int64() == 0);
  CHECK(drained.Json().at("node").at("allocated").at("gpus").as_int64() == 0);
  CHECK(S(drained.Json().at("instances").at(0)) == id);
  EXPECT_EXIT(ctl({"instances", "wait", id, "--for", "Stopped", "--timeout", "30"}), 0);
  EXPECT_EXIT(op({"nodes", "uncordon", "kr-central-1b-h100-8g-01"}), 0);

  // Simulated failure: the host goes Down, its instance Failed; recovered, it is Ready again.
  EXPECT_EXIT(ctl({"instances", "start", id, "--wait"}), 0);
  auto failed = op({"sim", "fail", "kr-central-1b-h100-8g-01", "--reason", "PSU", "--yes", "--wait", "-o", "json"});
  EXPECT_EXIT(failed, 0);
  CHECK(S(failed.Json().at("state")) == "Down");
  auto waited = ctl({"instances", "wait", id, "--for", "Running", "--timeout", "30"});
  EXPECT_EXIT(waited, 4);  // it failed instead
  CHECK(waited.err.find("instance_failed") != std::string::npos);
  auto recovered = op({"sim", "recover", "kr-central-1b-h100-8g-01", "--wait", "-o", "json"});
  EXPECT_EXIT(recovered, 0);
  CHECK(S(recovered.Json().at("state")) == "Ready");
  EXPECT_EXIT(op({"sim", "fail", "no-such-node", "--yes"}), 3);
  EXPECT_EXIT(ctl({"sim", "recover", "kr-central-1b-h100-8g-01"}), 5);
}

TEST_CASE("gaonctl api sends raw authenticated requests and the exit code follows the answer", "[cli][e2e][api]") {
  auto c = TestCloud::Start();
  Gaonctl op(c->address(), c->operator_key());
  auto me = op({"api", "GET", "/v1/me"});
  EXPECT_EXIT(me, 0);
  CHECK(me.Json().at("platform_admin").as_bool());
  auto created = op({"api", "post", "/v1/admin/tenants", "-d",
                     R"({"name":"raw","jurisdiction":"KR","billing_currency":"KRW","billing_email":"a@raw.kr"})"});
  EXPECT_EXIT(created, 0);
  const std::string t = S(created.Json().at("id"));
  auto body_file = MakeTempDir("cli-api") + "/patch.json";
  std::ofstream(body_file) << R"({"display_name":"Raw Ltd"})";
  auto patched = op({"api", "PATCH", "/v1/tenants/" + t, "-d", "@" + body_file, "-i"});
  EXPECT_EXIT(patched, 0);
  CHECK(patched.err.find("HTTP 200") != std::string::npos);
  CHECK(S(patched.Json().at("display_name")) == "Raw Ltd");
  auto missing = op({"api", "GET", "/v1/tenants/ten_01aaaaaaaaaaaaaaaaaaaaaaaa"});
  EXPECT_EXIT(missing, 3);
  CHECK(S(missing.Json().at("code")) == "not_found");  // the problem document itself
  EXPECT_EXIT(op({"api", "GET", "/v1/me"}, {{"GAON_API_KEY", "gaon_sk_nope"}}), 5);
  EXPECT_EXIT(op({"api", "G E T", "/v1/me"}), 2);
}

TEST_CASE("profiles: login saves a 0600 file, use-profile switches, flags beat GAON_* which beat the profile",
          "[cli][e2e][profiles]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("acme");
  const std::string key = c->CreateKey(t, "tenant-viewer");
  // Nothing in the environment: everything comes from the profile file.
  Gaonctl bare(c->address(), "");
  auto& env = bare.env();
  env.erase("GAON_ENDPOINT");
  env.erase("GAON_API_KEY");
  const std::string endpoint = "http://" + c->address();

  EXPECT_EXIT(bare({"whoami"}), 2);  // no profile, no endpoint
  auto bad = bare({"login", "--endpoint", endpoint, "--api-key-file", "-"}, {}, "gaon_sk_wrong\n");
  EXPECT_EXIT(bad, 5);
  auto login = bare({"login", "--profile", "viewer", "--endpoint", endpoint, "--api-key-file", "-"}, {}, key + "\n");
  EXPECT_EXIT(login, 0);
  const std::string file = bare.config_home() + "/gaon/config.yaml";
  struct stat st{};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("tenant: \"" + t + "\"") != std::string::npos);  // learnt from the key

  auto me = bare({"whoami", "-o", "json"});
  EXPECT_EXIT(me, 0);
  CHECK(S(me.Json().at("tenant_id")) == t);
  CHECK(bare({"quotas", "list", "-o", "name"}).out.find("gpus") != std::string::npos);

  EXPECT_EXIT(bare({"login", "--profile", "ops", "--endpoint", endpoint, "--api-key", c->operator_key()}), 0);
  CHECK(bare({"config", "current-profile"}).out == "ops\n");
  auto profiles = bare({"config", "list-profiles"});
  CHECK(profiles.out.find("viewer") != std::string::npos);
  CHECK(profiles.out.find(c->operator_key()) == std::string::npos);  // keys are never printed
  EXPECT_EXIT(bare({"config", "use-profile", "viewer"}), 0);
  CHECK(bare({"config", "current-profile"}).out == "viewer\n");
  EXPECT_EXIT(bare({"config", "use-profile", "nope"}), 3);

  // A flag beats GAON_PROFILE, which beats the current profile.
  CHECK(bare({"whoami", "-o", "json"}).Json().at("platform_admin").as_bool() == false);
  CHECK(bare({"whoami", "-o", "json"}, {{"GAON_PROFILE", "ops"}}).Json().at("platform_admin").as_bool());
  CHECK(bare({"whoami", "-o", "json", "--profile", "viewer"}, {{"GAON_PROFILE", "ops"}})
            .Json()
            .at("platform_admin")
            .as_bool() == false);
  CHECK(bare({"whoami", "-o", "json"}, {{"GAON_API_KEY", c->operator_key()}}).Json().at("platform_admin").as_bool());
  auto view = bare({"config", "view", "-o", "json", "--tenant", "ten_01aaaaaaaaaaaaaaaaaaaaaaaa"});
  EXPECT_EXIT(view, 0);
  CHECK(S(view.Json().at("tenant")) == "ten_01aaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(S(view.Json().at("profile")) == "viewer");
  CHECK(S(view.Json().at("api_key")).find(key) == std::string::npos);
  EXPECT_EXIT(bare({"whoami", "--profile", "nope"}), 2);

  EXPECT_EXIT(bare({"config", "delete-profile", "ops", "--yes"}), 0);
  CHECK(bare({"config", "list-profiles", "-o", "name"}).out == "viewer\n");
}

TEST_CASE("gaonctl --dry-run on actions, updates and deletes prints the request and changes nothing", "[cli][e2e][dry-run]") {
  auto c = TestCloud::Start();
  const std::string t = c->CreateTenant("acme");
  Gaonctl op(c->address(), c->operator_key());
  op.env()["GAON_TENANT"] = t;
  Gaonctl ctl(c->address(), c->CreateKey(t, "tenant-admin"));
  auto member = op({"members", "add", "lee@acme.kr", "--role", "tenant-member", "-o", "json"});
  EXPECT_EXIT(member, 0);
  const std::string u = S(member.Json().at("member").at("user_id"));
  auto created_key = ctl({"api-keys", "create", "ci", "--role", "tenant-member", "-o", "json"});
  EXPECT_EXIT(created_key, 0);
  const std::string key = S(created_key.Json().at("key").at("id"));
  auto qr = ctl({"quota-requests", "create", "gpus", "32", "--reason", "a July run", "-o", "json"});
  EXPECT_EXIT(qr, 0);
  const std::string q = S(qr.Json().at("id"));
  auto budget = ctl({"budgets", "create", "monthly", "--amount", "10000", "-o", "json"});
  EXPECT_EXIT(budget, 0);
  const std::string b = S(budget.Json().at("id"));

  // Each prints "dry run: would send METHOD PATH" (and the body) and exits 0 — without --yes,
  // since nothing is asked when nothing is sent.
  auto dry = [](const Gaonctl& who, std::vector<std::string> args, const std::string& request,
                const std::string& stdin_text = {}) {
    args.push_back("--dry-run");
    const CliResult r = who(args, {}, stdin_text);
    INFO(Describe(r));
    CHECK(r.code == 0);
    CHECK(r.err.find("dry run: would send " + request) != std::string::npos);
    return r.out;
  };
  dry(op, {"tenants", "suspend", t}, "POST /v1/admin/tenants/" + t + ":suspend");
  dry(op, {"tenants", "resume", t}, "POST /v1/admin/tenants/" + t + ":resume");
  dry(op, {"users", "disable", u}, "POST /v1/admin/users/" + u + ":disable");
  dry(op, {"users", "enable", u}, "POST /v1/admin/users/" + u + ":enable");
  const std::string user = dry(op, {"users", "create", "kim@acme.kr", "--password-file", "-"}, "POST /v1/admin/users",
                               "correct horse battery staple\n");
  CHECK(user.find("kim@acme.kr") != std::string::npos);
  CHECK(user.find("28 characters, not shown") != std::string::npos);
  CHECK(user.find("horse") == std::string::npos);  // the password never shows
  CHECK(dry(ctl, {"members", "update", u, "--role", "tenant-viewer"}, "PATCH /v1/tenants/" + t + "/members/" + u)
            .find("role: tenant-viewer") != std::string::npos);
  dry(ctl, {"memberships", "remove", u}, "DELETE /v1/tenants/" + t + "/members/" + u);
  dry(ctl, {"api-keys", "revoke", key}, "DELETE /v1/tenants/" + t + "/api-keys/" + key);
  dry(ctl, {"api-keys", "delete", key}, "DELETE /v1/tenants/" + t + "/api-keys/" + key);
  dry(op, {"api-keys", "revoke", key, "--operator"}, "DELETE /v1/admin/api-keys/" + key);
  dry(ctl, {"ssh-keys", "delete", "ssh_01aaaaaaaaaaaaaaaaaaaaaaaa"},
      "DELETE /v1/tenants/" + t + "/ssh-keys/ssh_01aaaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(dry(ctl, {"quota-requests", "cancel", q, "--note", "not now"},
            "POST /v1/tenants/" + t + "/quota-requests/" + q + ":cancel")
            .find("note: not now") != std::string::npos);
  CHECK(dry(op, {"quota-requests", "approve", q, "--limit", "24"},
            "POST /v1/admin/tenants/" + t + "/quota-requests/" + q + ":approve")
            .find("limit: 24") != std::string::npos);
  dry(op, {"quota-requests", "deny", q, "--note", "no H100 left"},
      "POST /v1/admin/tenants/" + t + "/quota-requests/" + q + ":deny");
  dry(op, {"invoices", "pay", "inv_01aaaaaaaaaaaaaaaaaaaaaaaa"},
      "POST /v1/admin/tenants/" + t + "/invoices/inv_01aaaaaaaaaaaaaaaaaaaaaaaa:pay");
  dry(ctl, {"budgets", "delete", b}, "DELETE /v1/tenants/" + t + "/budgets/" + b);

  // Nothing changed.
  CHECK(S(op({"tenants", "get", t, "-o", "json"}).Json().at("status")) == "active");
  CHECK(S(op({"users", "get", u, "-o", "json"}).Json().at("status")) == "active");
  CHECK(op({"users", "list", "-o", "json"}).out.find("kim@acme.kr") == std::string::npos);
  CHECK(S(ctl({"members", "get", u, "-o", "json"}).Json().at("role")) == "tenant-member");
  CHECK(S(ctl({"api-keys", "get", key, "-o", "json"}).Json().at("status")) == "active");
  CHECK(S(ctl({"quota-requests", "get", q, "-o", "json"}).Json().at("state")) == "pending");
  EXPECT_EXIT(ctl({"budgets", "get", b}), 0);
  // A malformed id is still a usage error: the dry run checks what it would send.
  EXPECT_EXIT(ctl({"budgets", "delete", "not-a-budget", "--dry-run"}), 2);
}

TEST_CASE("gaonctl colours tables only on a terminal and never with NO_COLOR", "[cli][e2e][output]") {
  auto c = TestCloud::Start();
  c->CreateTenant("acme");
  CliRun run{.env = {{"GAON_ENDPOINT", "http://" + c->address()},
                     {"GAON_API_KEY", c->operator_key()},
                     {"TERM", "xterm"},
                     {"XDG_CONFIG_HOME", MakeTempDir("cli-tty")}},
             .tty = true};
  auto tty = RunCli({"tenants", "list"}, run);
  INFO(tty.out);
  REQUIRE(tty.code == 0);
  CHECK(tty.out.find("\033[32mactive") != std::string::npos);
  run.env["NO_COLOR"] = "1";
  auto plain = RunCli({"tenants", "list"}, run);
  REQUIRE(plain.code == 0);
  CHECK(plain.out.find("active") != std::string::npos);
  CHECK(plain.out.find("\033[") == std::string::npos);
  run.env["NO_COLOR"] = "";  // set but empty: colour stays (no-color.org)
  CHECK(RunCli({"tenants", "list"}, run).out.find("\033[32mactive") != std::string::npos);
  run.env.erase("NO_COLOR");
  run.env["TERM"] = "dumb";
  CHECK(RunCli({"tenants", "list"}, run).out.find("\033[") == std::string::npos);
  run.env["TERM"] = "xterm";
  CHECK(RunCli({"tenants", "list", "--no-color"}, run).out.find("\033[") == std::string::npos);
  // A narrow terminal drops columns instead of wrapping.
  run.env["COLUMNS"] = "40";
  auto narrow = RunCli({"tenants", "list", "--no-color"}, run);
  CHECK(narrow.out.find("STATUS") != std::string::npos);  // states survive, less useful columns go
  for (std::size_t start = 0, end; (end = narrow.out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = narrow.out.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    CHECK(line.size() <= 44);  // 40 columns; "…" is 3 bytes
  }
  // Asked on a terminal, a "no" changes nothing.
  auto t = c->CreateTenant("victim");
  // --wait shows its progress on the terminal (stderr), then the instance.
  auto fleet = SmallCloud();
  const std::string t2 = fleet->CreateTenant("waiter");
  CliRun waiting{.env = run.env, .tty = true};
  waiting.env["GAON_ENDPOINT"] = "http://" + fleet->address();
  waiting.env["GAON_API_KEY"] = fleet->CreateKey(t2, "tenant-admin");
  auto launched = RunCli({"instances", "create", "waited", "--type", "gpu.h100.1x", "--image", "ubuntu-24.04-cuda-12.8",
                          "--wait", "--no-color"},
                         waiting);
  INFO(launched.out);
  CHECK(launched.code == 0);
  CHECK(launched.out.find("waiting for inst_") != std::string::npos);
  CHECK(launched.out.find("Running") != std::string::npos);

  run.stdin_text = "n\n";
  auto asked = RunCli({"tenants", "delete", t}, run);
  CHECK(asked.out.find("[y/N]") != std::string::npos);
  CHECK(asked.code == 1);
  CHECK(c->Op("GET", "/v1/tenants/" + t).status == 200);
}

}  // namespace gaon::test

namespace gaon::test {

TEST_CASE("gaonctl speaks HTTPS: a private CA through --ca-file, refused without it", "[cli][e2e][tls]") {
  const std::string dir = MakeTempDir("cli-tls");
  REQUIRE(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "
                       "/CN=gaon-test -addext subjectAltName=IP:127.0.0.1 -keyout " + dir + "/key.pem -out " + dir +
                       "/cert.pem > /dev/null 2>&1").c_str()) == 0);
  auto c = TestCloud::Start({.env = {{"GAON_SERVER_TLS_CERT_FILE", dir + "/cert.pem"},
                                     {"GAON_SERVER_TLS_KEY_FILE", dir + "/key.pem"}}});
  Gaonctl ctl(c->address(), c->operator_key());
  ctl.env()["GAON_ENDPOINT"] = "https://" + c->address();
  auto refused = ctl({"whoami"});
  EXPECT_EXIT(refused, 1);
  CHECK(refused.err.find("tls_failed") != std::string::npos);
  EXPECT_EXIT(ctl({"whoami", "--ca-file", dir + "/cert.pem"}), 0);
  EXPECT_EXIT(ctl({"whoami"}, {{"GAON_CA_FILE", dir + "/cert.pem"}}), 0);
  EXPECT_EXIT(ctl({"whoami", "--insecure"}), 0);
}

}  // namespace gaon::test
