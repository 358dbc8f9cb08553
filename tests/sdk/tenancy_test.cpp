// End-to-end through the SDK: the system calls, identity, tenants, users, members, API keys,
// the audit log, raw calls, and the errors each comes back with.
#include <catch2/catch.hpp>

#include <set>

#include "tests/sdk/sdk_support.h"
#include "tests/support/test_keys.h"

using namespace gaon;
using namespace gaon::test;

namespace {

Tenant NewTenant(const std::string& name) {
  Tenant t;
  t.name = name;
  t.jurisdiction = "KR";
  t.billing_currency = "KRW";
  t.billing_email = "billing@" + name + ".example";
  return t;
}

}  // namespace

TEST_CASE("the SDK reads health, readiness, metrics, the contract and who the caller is", "[sdk][e2e]") {
  auto c = TestCloud::Start();
  const Client anonymous = SdkClient(c->address(), "");
  CHECK(Ok(anonymous.GetHealth()).status == "ok");
  const Readiness ready = Ok(anonymous.GetReadiness());
  CHECK(ready.status == "ready");
  CHECK(ready.schema_version > 0);
  CHECK_THAT(Ok(anonymous.GetMetrics()), Catch::Contains("gaon_http_requests_total"));
  CHECK_THAT(Ok(anonymous.GetOpenApi()), Catch::Contains("openapi: 3.1.0"));

  const Status no_key = anonymous.GetMe().status();
  CHECK(no_key.code() == StatusCode::kUnauthenticated);
  CHECK(no_key.http_status() == 401);
  CHECK_FALSE(no_key.request_id().empty());
  const Status bad_key = SdkClient(c->address(), "gaon_sk_nope").GetMe().status();
  CHECK(bad_key.code() == StatusCode::kUnauthenticated);

  const Me op = Ok(OperatorClient(*c).GetMe());
  CHECK(op.platform_admin);
  CHECK(op.principal_type == "api_key");
  CHECK(op.role == Role::kPlatformAdmin);
  const std::string t = c->CreateTenant("whoami");
  const Me member = Ok(SdkClient(c->address(), c->CreateKey(t, "tenant-member")).GetMe());
  CHECK_FALSE(member.platform_admin);
  CHECK(member.tenant_id->str() == t);
  CHECK(member.role == Role::kTenantMember);
}

TEST_CASE("operators create, list, page, update, suspend, resume and delete tenants through the SDK",
          "[sdk][e2e][tenants]") {
  auto c = TestCloud::Start();
  const Client op = OperatorClient(*c);
  Tenant first = NewTenant("acme");
  first.labels = {{"tier", "gold"}};
  const Tenant acme = Ok(op.CreateTenant(first));
  CHECK(acme.id.str().rfind("ten_", 0) == 0);
  CHECK(acme.status == TenantStatus::kActive);
  CHECK(acme.display_name == "acme");
  Ok(op.CreateTenant(NewTenant("beta")));
  Ok(op.CreateTenant(NewTenant("gamma")));

  // Errors carry the server's code, field details and the request id.
  const Status taken = op.CreateTenant(NewTenant("acme")).status();
  CHECK(taken.code() == StatusCode::kAlreadyExists);
  CHECK(taken.reason() == "tenant_name_taken");
  CHECK(taken.http_status() == 409);
  Tenant bad = NewTenant("bad");
  bad.jurisdiction = "Korea";
  bad.billing_email = "nope";
  const Status invalid = op.CreateTenant(bad).status();
  CHECK(invalid.code() == StatusCode::kInvalidArgument);
  CHECK(invalid.reason() == "validation_failed");
  std::set<std::string> fields;
  for (const auto& v : invalid.violations()) fields.insert(v.field);
  CHECK(fields == std::set<std::string>{"jurisdiction", "billing_email"});

  // Paging one at a time still yields every tenant, lazily.
  std::vector<std::string> names;
  for (const auto& t : op.ListTenants({}, {.page_size = 1})) names.push_back(Ok(t).name);
  CHECK(names.size() == 3);
  auto gold = Ok(CollectAll(op.ListTenants({.label_selector = "tier=gold"})));
  REQUIRE(gold.size() == 1);
  CHECK(gold[0].id == acme.id);
  auto pages = op.ListTenants({}, {.page_size = 2});
  auto page = Ok(pages.NextPage());
  CHECK(page.items.size() == 2);
  REQUIRE(page.next_page_token);
  CHECK(Ok(op.ListTenants({}, {.page_size = 2, .page_token = *page.next_page_token}).NextPage()).items.size() == 1);
  CHECK(op.ListTenants({.label_selector = "=bad"}).begin()->status().reason() == "validation_failed");

  // Updates, with and without a version to match.
  TenantPatch patch;
  patch.display_name = "ACME Corp.";
  const Tenant renamed = Ok(op.UpdateTenant(acme.id, patch, acme.resource_version));
  CHECK(renamed.display_name == "ACME Corp.");
  CHECK(renamed.resource_version > acme.resource_version);
  const Status stale = op.UpdateTenant(acme.id, patch, acme.resource_version).status();
  CHECK(stale.reason() == "precondition_failed");
  CHECK(stale.http_status() == 412);
  CHECK(stale.code() == StatusCode::kFailedPrecondition);
  CHECK(Ok(op.GetTenant(acme.id)).display_name == "ACME Corp.");

  CHECK(Ok(op.SuspendTenant(acme.id)).status == TenantStatus::kSuspended);
  CHECK(Ok(op.ResumeTenant(acme.id)).status == TenantStatus::kActive);
  const Tenant delta = Ok(op.CreateTenant(NewTenant("delta")));
  Ok(op.DeleteTenant(delta.id));
  CHECK(op.GetTenant(delta.id).status().code() == StatusCode::kNotFound);  // deleted tenants are gone
  CHECK(op.GetTenant(TenantId::Generate()).status().code() == StatusCode::kNotFound);

  // Tenant admins see and change their own tenant only.
  const Client admin = SdkClient(c->address(), c->CreateKey(acme.id.str(), "tenant-admin"));
  CHECK(Ok(admin.GetTenant(acme.id)).name == "acme");
  CHECK(admin.GetTenant(Tid(c->CreateTenant("other"))).status().code() == StatusCode::kNotFound);
  CHECK(admin.CreateTenant(NewTenant("sneaky")).status().code() == StatusCode::kPermissionDenied);
  TenantPatch move;
  move.jurisdiction = "US";
  const Status operator_only = admin.UpdateTenant(acme.id, move).status();
  REQUIRE(operator_only.violations().size() == 1);
  CHECK(operator_only.violations()[0].code == "operator_only");
}

TEST_CASE("operators manage users, tenant admins manage members, through the SDK", "[sdk][e2e][members]") {
  auto c = TestCloud::Start();
  const Client op = OperatorClient(*c);
  const TenantId t = Tid(c->CreateTenant("crew"));
  const User ada = Ok(op.CreateUser({.email = "ada@crew.example", .display_name = "Ada", .password = "correct horse battery"}));
  CHECK(ada.status == UserStatus::kActive);
  CHECK(Ok(op.GetUser(ada.id)).email == "ada@crew.example");
  CHECK(Ok(CollectAll(op.ListUsers())).size() == 1);
  CHECK(Ok(op.DisableUser(ada.id)).status == UserStatus::kDisabled);
  CHECK(Ok(op.EnableUser(ada.id)).status == UserStatus::kActive);
  CHECK(op.CreateUser({.email = "ADA@crew.example", .password = "another long one"}).status().reason() ==
        "email_taken");
  CHECK(op.GetUser(UserId::Generate()).status().code() == StatusCode::kNotFound);

  const Client admin = SdkClient(c->address(), c->CreateKey(t.str(), "tenant-admin"));
  // An existing user joins without a password; a new one gets an initial password, once.
  const AddMemberResponse existing = Ok(admin.AddMember(t, {.email = "ada@crew.example", .role = Role::kTenantAdmin}));
  CHECK_FALSE(existing.initial_password);
  CHECK(existing.member.user_id == ada.id);
  const AddMemberResponse fresh =
      Ok(admin.AddMember(t, {.email = "bob@crew.example", .role = Role::kTenantViewer, .display_name = "Bob"}));
  REQUIRE(fresh.initial_password);
  CHECK(fresh.initial_password->size() >= 12);
  CHECK(admin.AddMember(t, {.email = "bob@crew.example", .role = Role::kTenantViewer}).status().code() ==
        StatusCode::kAlreadyExists);

  CHECK(Ok(CollectAll(admin.ListMembers(t))).size() == 2);
  const Member bob = Ok(admin.GetMember(t, fresh.member.user_id));
  CHECK(bob.role == Role::kTenantViewer);
  const Member promoted = Ok(admin.UpdateMember(t, bob.user_id, {.role = Role::kTenantMember}, bob.resource_version));
  CHECK(promoted.role == Role::kTenantMember);
  CHECK(admin.UpdateMember(t, bob.user_id, {.role = Role::kTenantAdmin}, bob.resource_version).status().http_status() ==
        412);
  Ok(admin.RemoveMember(t, bob.user_id));
  CHECK(admin.GetMember(t, bob.user_id).status().code() == StatusCode::kNotFound);
  // Ada is the last tenant-admin member: a tenant key may not remove her.
  CHECK(admin.RemoveMember(t, ada.id).reason() == "last_admin");

  const Client viewer = SdkClient(c->address(), c->CreateKey(t.str(), "tenant-viewer"));
  const Status denied = viewer.AddMember(t, {.email = "eve@crew.example", .role = Role::kTenantAdmin}).status();
  CHECK(denied.code() == StatusCode::kPermissionDenied);
  CHECK(denied.http_status() == 403);
}

TEST_CASE("tenant and operator API keys are created, shown once, listed, read and revoked through the SDK",
          "[sdk][e2e][keys]") {
  auto c = TestCloud::Start();
  const Client op = OperatorClient(*c);
  const TenantId t = Tid(c->CreateTenant("keyed"));
  const Client admin = SdkClient(c->address(), c->CreateKey(t.str(), "tenant-admin"));

  ApiKey req;
  req.name = "ci";
  req.role = Role::kTenantMember;
  req.expires_at = Now() + std::chrono::hours(24);
  const CreatedApiKey ci = Ok(admin.CreateApiKey(t, req));
  CHECK(ci.secret.rfind("gaon_sk_", 0) == 0);
  CHECK(ci.key.tenant_id == t);
  CHECK(ci.key.status == "active");
  const Client ci_client = SdkClient(c->address(), ci.secret);
  CHECK(Ok(ci_client.GetMe()).principal_id == ci.key.id.str());

  CHECK(Ok(CollectAll(admin.ListApiKeys(t))).size() == 2);
  CHECK(Ok(admin.GetApiKey(t, ci.key.id)).name == "ci");
  CHECK(Ok(admin.RevokeApiKey(t, ci.key.id)).status == "revoked");
  const Status revoked = ci_client.GetMe().status();
  CHECK(revoked.code() == StatusCode::kUnauthenticated);
  CHECK(revoked.reason() == "credentials_revoked");

  req.role = Role::kPlatformAdmin;
  const Status wrong_role = admin.CreateApiKey(t, req).status();
  REQUIRE(wrong_role.violations().size() == 1);
  CHECK(wrong_role.violations()[0].field == "role");

  const CreatedApiKey second = Ok(op.CreateOperatorKey(req));
  CHECK_FALSE(second.key.tenant_id);
  CHECK(Ok(SdkClient(c->address(), second.secret).GetMe()).platform_admin);
  CHECK(Ok(CollectAll(op.ListOperatorKeys())).size() == 2);
  CHECK(Ok(op.GetOperatorKey(second.key.id)).role == Role::kPlatformAdmin);
  CHECK(Ok(op.RevokeOperatorKey(second.key.id)).status == "revoked");
  CHECK(admin.ListOperatorKeys().begin()->status().code() == StatusCode::kPermissionDenied);
}

TEST_CASE("the audit log is listed, filtered and verified through the SDK, operators must give a reason",
          "[sdk][e2e][audit]") {
  auto c = TestCloud::Start();
  const Client op = OperatorClient(*c);
  const TenantId t = Tid(c->CreateTenant("audited"));
  const Client admin = SdkClient(c->address(), c->CreateKey(t.str(), "tenant-admin"));
  TenantPatch patch;
  patch.display_name = "Audited Inc.";
  Ok(admin.UpdateTenant(t, patch));

  const auto updates = Ok(CollectAll(admin.ListAuditEvents(t, {.action = "tenants.update"})));
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].outcome == "success");
  CHECK(updates[0].status == 200);
  const auto all = Ok(CollectAll(admin.ListAuditEvents(t, {}, {.page_size = 1})));
  CHECK(all.size() >= 3);  // creation, the operator's key, the update
  CHECK(Ok(CollectAll(admin.ListAuditEvents(t, {.since = Now() + std::chrono::hours(1)}))).empty());
  const auto platform = Ok(CollectAll(op.ListPlatformAuditEvents()));
  CHECK_FALSE(platform.empty());
  CHECK(Ok(CollectAll(op.ListPlatformAuditEvents({.action = platform[0].action}))).size() >= 1);

  const AuditVerification chain = Ok(op.VerifyAuditChain(t));
  CHECK(chain.intact);
  CHECK(chain.events_checked >= 3);
  CHECK(Ok(op.VerifyPlatformAuditChain()).intact);

  // The reason an operator gives is recorded in the tenant's log; without one, refused.
  const Status no_reason = OperatorClient(*c).WithOperatorReason("").GetTenant(t).status();
  CHECK(no_reason.reason() == "operator_reason_required");
  Ok(op.WithOperatorReason("ticket 7\r\nevil: 1").GetTenant(t));
  bool found = false;
  for (const auto& e : Ok(CollectAll(admin.ListAuditEvents(t, {.action = "tenants.get"})))) {
    found = found || e.operator_reason == "ticket 7  evil: 1";
  }
  CHECK(found);
}

TEST_CASE("Raw sends any authenticated request and returns error answers as they are", "[sdk][e2e][raw]") {
  auto c = TestCloud::Start();
  const TenantId t = Tid(c->CreateTenant("rawhide"));
  const Client admin = SdkClient(c->address(), c->CreateKey(t.str(), "tenant-admin"));
  const RawResponse me = Ok(admin.Raw({.target = "/v1/me"}));
  CHECK(me.status == 200);
  CHECK_THAT(me.body, Catch::Contains("\"tenant_id\":\"" + t.str() + "\""));
  CHECK(me.Header("content-type") == "application/json");
  CHECK(me.ToStatus().ok());

  const RawResponse created = Ok(admin.Raw({.method = "POST",
                                            .target = "/v1/tenants/" + t.str() + "/ssh-keys",
                                            .body = std::string(R"({"name":"laptop","public_key":")") +
                                                    kTestEd25519 + "\"}"}));
  CHECK(created.status == 201);
  // Same body, same caller, our own Idempotency-Key twice: the second is a replay.
  RawRequest keyed{.method = "POST", .target = "/v1/tenants/" + t.str() + "/ssh-keys",
                   .body = std::string(R"({"name":"desk","public_key":")") + kTestRsa3072 + "\"}",
                   .headers = {{"Idempotency-Key", "my-key-1"}}};
  CHECK(Ok(admin.Raw(keyed)).status == 201);
  const RawResponse replay = Ok(admin.Raw(keyed));
  CHECK(replay.status == 201);
  CHECK(replay.Header("Idempotent-Replayed") == "true");

  const RawResponse missing = Ok(admin.Raw({.target = "/v1/tenants/" + t.str() + "/instances/inst_nope"}));
  CHECK(missing.status == 404);
  CHECK(missing.ToStatus().code() == StatusCode::kNotFound);
  CHECK_FALSE(missing.ToStatus().request_id().empty());
  CHECK(admin.Raw({.target = "no-slash"}).status().reason() == "invalid_target");
  CHECK(admin.Raw({.method = "get", .target = "/v1/me"}).status().reason() == "invalid_method");
}
