// tenants, users, members (memberships), api-keys, audit-events.
#include <iostream>

#include "cli/commands.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

const std::vector<Column> kTenantColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"STATUS", "status", CellKind::kState},
    {"JURISDICTION", "jurisdiction"},
    {"CURRENCY", "billing_currency"},
    {"AGE", "created_at", CellKind::kAge},
    {"DISPLAY NAME", "display_name", CellKind::kText, true},
    {"BILLING EMAIL", "billing_email", CellKind::kText, true},
    {"LABELS", "labels", CellKind::kLabels, true},
};

const std::vector<Column> kUserColumns = {
    {"ID", "id"},
    {"EMAIL", "email"},
    {"NAME", "display_name"},
    {"STATUS", "status", CellKind::kState},
    {"AGE", "created_at", CellKind::kAge},
};

const std::vector<Column> kMemberColumns = {
    {"USER", "user_id"},
    {"EMAIL", "email"},
    {"ROLE", "role"},
    {"NAME", "display_name", CellKind::kText, true},
    {"AGE", "created_at", CellKind::kAge},
};

const std::vector<Column> kKeyColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"ROLE", "role"},
    {"STATUS", "status", CellKind::kState},
    {"LAST USED", "last_used_at", CellKind::kAge},
    {"EXPIRES", "expires_at", CellKind::kText, true},
    {"CREATED BY", "created_by", CellKind::kText, true},
    {"AGE", "created_at", CellKind::kAge},
};

const std::vector<Column> kAuditColumns = {
    {"SEQ", "seq"},
    {"AGE", "time", CellKind::kAge},
    {"ACTION", "action"},
    {"RESOURCE", "resource_id"},
    {"PRINCIPAL", "principal.name"},
    {"OUTCOME", "outcome", CellKind::kState},
    {"STATUS", "status", CellKind::kText, true},
    {"REASON", "operator_reason", CellKind::kText, true},
    {"REQUEST", "request_id", CellKind::kText, true},
    {"ID", "id", CellKind::kText, true},
};

Role ParseRole(const std::string& s) {
  Role r{};
  if (!FromString(s, &r)) {
    UsageError("'" + s + "' is not a role (tenant-admin, tenant-member, tenant-viewer, billing-viewer, platform-admin)");
  }
  return r;
}

std::optional<Timestamp> ParseTime(const std::string& s, const char* flag) {
  if (s.empty()) return std::nullopt;
  auto t = ParseTimestamp(s);
  if (!t) UsageError(std::string(flag) + ": '" + s + "' is not an RFC 3339 time (2025-01-31T00:00:00Z)");
  return t;
}

void AddTenants(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "tenants", "Tenants: the companies, universities and agencies renting GPUs (operators)",
                  "gaonctl tenants list");

  struct Create {
    std::string name, display_name, jurisdiction = "KR", currency = "KRW", email;
    std::vector<std::string> labels;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Create a tenant",
                         "gaonctl tenants create acme --billing-email billing@acme.kr --jurisdiction KR --currency KRW");
  create->add_option("name", c->name, "Unique name: lowercase letters, digits and '-'")->required();
  create->add_option("--display-name", c->display_name, "Name shown to people");
  create->add_option("--jurisdiction", c->jurisdiction, "ISO 3166-1 alpha-2 country whose rules apply")
      ->capture_default_str();
  create->add_option("--currency", c->currency, "ISO 4217 billing currency")->capture_default_str();
  create->add_option("--billing-email", c->email, "Where invoices go")->required();
  create->add_option("-l,--label", c->labels, "A label k=v (repeatable)");
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    Tenant t{.name = c->name, .display_name = c->display_name, .jurisdiction = c->jurisdiction,
             .billing_currency = c->currency, .billing_email = c->email, .labels = ParseLabels(c->labels)};
    if (ctx.DryRun(c->dry_run, "POST", "/v1/admin/tenants", RequestJson(t))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreateTenant(t))), kTenantColumns);
  });

  struct List {
    std::string selector;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List tenants", "gaonctl tenants list -l env=prod -o wide");
  list->add_option("-l,--selector", l->selector, "Label selector: env=prod,team!=ml,gpu,!spot");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    PrintList(ctx, Collect(ctx.client().ListTenants({.label_selector = l->selector}, ToListOptions(l->list)), l->list),
              kTenantColumns);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a tenant", "gaonctl tenants get ten_01j9z3k6x2 -o yaml");
  get->add_option("tenant", *id, "Tenant id")->required();
  get->callback([&ctx, id] {
    PrintOne(ctx, ToJson(Must(ctx.client().GetTenant(ParseId<TenantId>(*id, "tenant")))), kTenantColumns);
  });

  struct Update {
    std::string id;
    std::optional<std::string> display_name, email, jurisdiction, currency;
    std::vector<std::string> labels;
    std::int64_t if_match = 0;
    bool dry_run = false;
  };
  auto u = std::make_shared<Update>();
  auto* update = Command(g, "update", "Change a tenant's settings or labels",
                         "gaonctl tenants update ten_01j9z3k6x2 --billing-email ap@acme.kr -l tier=gold -l trial-");
  update->add_option("tenant", u->id, "Tenant id")->required();
  update->add_option("--display-name", u->display_name, "Name shown to people");
  update->add_option("--billing-email", u->email, "Where invoices go");
  update->add_option("--jurisdiction", u->jurisdiction, "ISO 3166-1 alpha-2 country");
  update->add_option("--currency", u->currency, "ISO 4217 billing currency");
  update->add_option("-l,--label", u->labels, "k=v sets a label, k- removes it (repeatable)");
  update->add_option("--if-match", u->if_match, "Only if the tenant is still at this resource_version");
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    const TenantId tid = ParseId<TenantId>(u->id, "tenant");
    TenantPatch p{.display_name = u->display_name, .billing_email = u->email, .jurisdiction = u->jurisdiction,
                  .billing_currency = u->currency};
    if (!u->labels.empty()) p.labels = LabelPatch(u->labels);
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/tenants/" + tid.str(), RequestJson(p))) return;
    std::optional<std::int64_t> version;
    if (u->if_match > 0) version = u->if_match;
    PrintOne(ctx, ToJson(Must(ctx.client().UpdateTenant(tid, p, version))), kTenantColumns);
  });

  for (const char* verb : {"suspend", "resume"}) {
    const bool suspend = std::string(verb) == "suspend";
    auto v = std::make_shared<IdArgs>();
    auto* cmd = Command(g, verb,
                        suspend ? "Suspend a tenant: its keys stop working and nothing new can be launched"
                                : "Resume a suspended tenant",
                        std::string("gaonctl tenants ") + verb + " ten_01j9z3k6x2");
    cmd->add_option("tenant", v->id, "Tenant id")->required();
    AddDryRunFlag(cmd, v->dry_run);
    cmd->callback([&ctx, v, suspend, verb = std::string(verb)] {
      const TenantId tid = ParseId<TenantId>(v->id, "tenant");
      if (ctx.DryRun(v->dry_run, "POST", "/v1/admin/tenants/" + tid.str() + ":" + verb, nullptr)) return;
      if (suspend) ctx.Confirm("Suspend tenant " + tid.str() + "?");
      auto t = suspend ? ctx.client().SuspendTenant(tid) : ctx.client().ResumeTenant(tid);
      PrintOne(ctx, ToJson(Must(std::move(t))), kTenantColumns);
    });
  }

  auto d = std::make_shared<IdArgs>();
  auto* del = Command(g, "delete", "Delete a tenant that has no live resources left",
                      "gaonctl tenants delete ten_01j9z3k6x2 --yes");
  del->add_option("tenant", d->id, "Tenant id")->required();
  AddDryRunFlag(del, d->dry_run);
  del->callback([&ctx, d] {
    const TenantId tid = ParseId<TenantId>(d->id, "tenant");
    if (ctx.DryRun(d->dry_run, "DELETE", "/v1/admin/tenants/" + tid.str(), nullptr)) return;
    ctx.Confirm("Delete tenant " + tid.str() + "?");
    Must(ctx.client().DeleteTenant(tid));
    ctx.Note("tenant " + tid.str() + " deleted");
  });
}

void AddUsers(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "users", "Users who sign in to the console (operators)", "gaonctl users list");

  struct Create {
    std::string email, name, password_file;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Create a user; the password is read from a file or stdin",
                         "printf '%s' \"$PASSWORD\" | gaonctl users create kim@acme.kr --name 'Kim Minji' --password-file -");
  create->add_option("email", c->email, "Email address (the sign-in name)")->required();
  create->add_option("--name", c->name, "Display name");
  create->add_option("--password-file", c->password_file, "File holding the password ('-': stdin)")->required();
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    std::string password = ReadFileArg(c->password_file);
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    CreateUserRequest r{.email = c->email, .display_name = c->name, .password = password};
    if (c->dry_run) {
      json::value body = RequestJson(r);
      body.as_object()["password"] = "(" + std::to_string(password.size()) + " characters, not shown)";
      ctx.DryRun(true, "POST", "/v1/admin/users", body);
      return;
    }
    PrintOne(ctx, ToJson(Must(ctx.client().CreateUser(r))), kUserColumns);
  });

  auto l = std::make_shared<ListFlags>();
  auto* list = Command(g, "list", "List users", "gaonctl users list -o name");
  AddListFlags(list, *l);
  list->callback([&ctx, l] { PrintList(ctx, Collect(ctx.client().ListUsers(ToListOptions(*l)), *l), kUserColumns); });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a user", "gaonctl users get usr_01j9z3k6x2");
  get->add_option("user", *id, "User id")->required();
  get->callback([&ctx, id] {
    PrintOne(ctx, ToJson(Must(ctx.client().GetUser(ParseId<UserId>(*id, "user")))), kUserColumns);
  });

  for (const char* verb : {"disable", "enable"}) {
    const bool disable = std::string(verb) == "disable";
    auto v = std::make_shared<IdArgs>();
    auto* cmd = Command(g, verb, disable ? "Disable a user: their sessions end and they cannot sign in" : "Enable a user",
                        std::string("gaonctl users ") + verb + " usr_01j9z3k6x2");
    cmd->add_option("user", v->id, "User id")->required();
    AddDryRunFlag(cmd, v->dry_run);
    cmd->callback([&ctx, v, disable, verb = std::string(verb)] {
      const UserId uid = ParseId<UserId>(v->id, "user");
      if (ctx.DryRun(v->dry_run, "POST", "/v1/admin/users/" + uid.str() + ":" + verb, nullptr)) return;
      if (disable) ctx.Confirm("Disable user " + uid.str() + "?");
      auto u = disable ? ctx.client().DisableUser(uid) : ctx.client().EnableUser(uid);
      PrintOne(ctx, ToJson(Must(std::move(u))), kUserColumns);
    });
  }
}

void AddMembers(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "members", "A tenant's members and their roles",
                  "gaonctl members list --tenant ten_01j9z3k6x2");
  g->alias("memberships");

  auto l = std::make_shared<ListFlags>();
  auto* list = Command(g, "list", "List the tenant's members", "gaonctl members list");
  AddListFlags(list, *l);
  list->callback([&ctx, l] {
    PrintList(ctx, Collect(ctx.client().ListMembers(ctx.tenant(), ToListOptions(*l)), *l), kMemberColumns, "user_id");
  });

  struct Add {
    std::string email, role = "tenant-member", name;
    bool dry_run = false;
  };
  auto a = std::make_shared<Add>();
  auto* add = Command(g, "add", "Add a member by email (a new user is created and its first password shown once)",
                      "gaonctl members add lee@acme.kr --role tenant-admin");
  add->add_option("email", a->email, "Email address")->required();
  add->add_option("--role", a->role, "tenant-admin, tenant-member, tenant-viewer or billing-viewer")
      ->capture_default_str();
  add->add_option("--name", a->name, "Display name of a new user");
  AddDryRunFlag(add, a->dry_run);
  add->callback([&ctx, a] {
    AddMemberRequest r{.email = a->email, .role = ParseRole(a->role), .display_name = a->name};
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(a->dry_run, "POST", "/v1/tenants/" + tid.str() + "/members", RequestJson(r))) return;
    AddMemberResponse res = Must(ctx.client().AddMember(tid, r));
    if (ctx.output() == OutputFormat::kJson || ctx.output() == OutputFormat::kYaml) {
      PrintValue(ctx, ToJson(res));
      return;
    }
    PrintOne(ctx, ToJson(res.member), kMemberColumns, "user_id");
    if (res.initial_password) ctx.Note("initial password (shown once): " + *res.initial_password);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a member", "gaonctl members get usr_01j9z3k6x2");
  get->add_option("user", *id, "User id")->required();
  get->callback([&ctx, id] {
    PrintOne(ctx, ToJson(Must(ctx.client().GetMember(ctx.tenant(), ParseId<UserId>(*id, "user")))), kMemberColumns,
             "user_id");
  });

  struct Update {
    std::string id, role;
    bool dry_run = false;
  };
  auto u = std::make_shared<Update>();
  auto* update = Command(g, "update", "Change a member's role", "gaonctl members update usr_01j9z3k6x2 --role tenant-viewer");
  update->add_option("user", u->id, "User id")->required();
  update->add_option("--role", u->role, "The new role")->required();
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    MemberPatch p{.role = ParseRole(u->role)};
    const UserId uid = ParseId<UserId>(u->id, "user");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/tenants/" + tid.str() + "/members/" + uid.str(), RequestJson(p))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().UpdateMember(tid, uid, p))), kMemberColumns, "user_id");
  });

  auto r = std::make_shared<IdArgs>();
  auto* remove = Command(g, "remove", "Remove a member from the tenant", "gaonctl members remove usr_01j9z3k6x2 --yes");
  remove->add_option("user", r->id, "User id")->required();
  AddDryRunFlag(remove, r->dry_run);
  remove->callback([&ctx, r] {
    const UserId uid = ParseId<UserId>(r->id, "user");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(r->dry_run, "DELETE", "/v1/tenants/" + tid.str() + "/members/" + uid.str(), nullptr)) return;
    ctx.Confirm("Remove " + uid.str() + " from " + tid.str() + "?");
    Must(ctx.client().RemoveMember(tid, uid));
    ctx.Note("member " + uid.str() + " removed");
  });
}

void AddApiKeys(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "api-keys", "API keys of a tenant, or operator keys with --operator",
                  "gaonctl api-keys create ci --role tenant-member");

  struct Create {
    std::string name, role = "tenant-member", expires;
    bool op = false, dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Create a key; its secret is printed once, on stdout",
                         "KEY=$(gaonctl api-keys create ci --role tenant-member -o name)");
  create->add_option("name", c->name, "A name for the key")->required();
  create->add_option("--role", c->role, "The key's role")->capture_default_str();
  create->add_option("--expires", c->expires, "Expiry, RFC 3339 (2026-01-01T00:00:00Z)");
  create->add_flag("--operator", c->op, "An operator (platform-admin) key");
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    ApiKey k{.name = c->name, .role = c->op ? Role::kPlatformAdmin : ParseRole(c->role),
             .expires_at = ParseTime(c->expires, "--expires")};
    const std::string path = c->op ? "/v1/admin/api-keys" : "/v1/tenants/" + ctx.tenant().str() + "/api-keys";
    if (ctx.DryRun(c->dry_run, "POST", path, RequestJson(k))) return;
    CreatedApiKey created = Must(c->op ? ctx.client().CreateOperatorKey(k) : ctx.client().CreateApiKey(ctx.tenant(), k));
    switch (ctx.output()) {
      case OutputFormat::kJson:
      case OutputFormat::kYaml: PrintValue(ctx, ToJson(created)); return;
      case OutputFormat::kName: std::cout << created.secret << "\n"; return;  // for $(…)
      default:
        PrintOne(ctx, ToJson(created.key), kKeyColumns);
        std::cout << "secret (shown once, store it now): " << created.secret << "\n";
    }
  });

  struct List {
    bool op = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List keys (secrets are never shown again)", "gaonctl api-keys list --operator");
  list->add_flag("--operator", l->op, "Operator keys");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    auto opts = ToListOptions(l->list);
    PrintList(ctx,
              l->op ? Collect(ctx.client().ListOperatorKeys(opts), l->list)
                    : Collect(ctx.client().ListApiKeys(ctx.tenant(), opts), l->list),
              kKeyColumns);
  });

  struct One {
    std::string id;
    bool op = false;
  };
  auto o = std::make_shared<One>();
  auto* get = Command(g, "get", "Show a key", "gaonctl api-keys get key_01j9z3k6x2");
  get->add_option("key", o->id, "Key id")->required();
  get->add_flag("--operator", o->op, "An operator key");
  get->callback([&ctx, o] {
    const ApiKeyId kid = ParseId<ApiKeyId>(o->id, "API key");
    PrintOne(ctx, ToJson(Must(o->op ? ctx.client().GetOperatorKey(kid) : ctx.client().GetApiKey(ctx.tenant(), kid))),
             kKeyColumns);
  });

  struct Revoke {
    std::string id;
    bool op = false, dry_run = false;
  };
  auto r = std::make_shared<Revoke>();
  auto* revoke = Command(g, "revoke", "Revoke a key: it stops working at once (alias: delete)",
                         "gaonctl api-keys revoke key_01j9z3k6x2 --yes");
  revoke->alias("delete");
  revoke->add_option("key", r->id, "Key id")->required();
  revoke->add_flag("--operator", r->op, "An operator key");
  AddDryRunFlag(revoke, r->dry_run);
  revoke->callback([&ctx, r] {
    const ApiKeyId kid = ParseId<ApiKeyId>(r->id, "API key");
    const std::string path = r->op ? "/v1/admin/api-keys/" : "/v1/tenants/" + ctx.tenant().str() + "/api-keys/";
    if (ctx.DryRun(r->dry_run, "DELETE", path + kid.str(), nullptr)) return;
    ctx.Confirm("Revoke key " + kid.str() + "?");
    PrintOne(ctx,
             ToJson(Must(r->op ? ctx.client().RevokeOperatorKey(kid) : ctx.client().RevokeApiKey(ctx.tenant(), kid))),
             kKeyColumns);
  });
}

void AddAudit(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "audit-events", "The append-only, hash-chained audit log",
                  "gaonctl audit-events list --action instances.create --since 2025-06-01T00:00:00Z");

  struct List {
    std::string since, until, action, principal;
    bool platform = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List audit events, newest first", "gaonctl audit-events list --limit 20");
  list->add_option("--since", l->since, "Events at or after this RFC 3339 time");
  list->add_option("--until", l->until, "Events before this RFC 3339 time");
  list->add_option("--action", l->action, "Only this action (instances.create, …)");
  list->add_option("--principal", l->principal, "Only this user or key id");
  list->add_flag("--platform", l->platform, "The platform's own log (operators)");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    AuditFilter f{.since = ParseTime(l->since, "--since"), .until = ParseTime(l->until, "--until"),
                  .action = l->action, .principal = l->principal};
    auto opts = ToListOptions(l->list);
    PrintList(ctx,
              l->platform ? Collect(ctx.client().ListPlatformAuditEvents(f, opts), l->list)
                          : Collect(ctx.client().ListAuditEvents(ctx.tenant(), f, opts), l->list),
              kAuditColumns);
  });

  auto platform = std::make_shared<bool>(false);
  auto* verify = Command(g, "verify", "Check the hash chain of a tenant's log (operators); exit 1 when broken",
                         "gaonctl audit-events verify --tenant ten_01j9z3k6x2");
  verify->add_flag("--platform", *platform, "The platform's own log");
  verify->callback([&ctx, platform] {
    AuditVerification v =
        Must(*platform ? ctx.client().VerifyPlatformAuditChain() : ctx.client().VerifyAuditChain(ctx.tenant()));
    if (ctx.output() == OutputFormat::kJson || ctx.output() == OutputFormat::kYaml) {
      PrintValue(ctx, ToJson(v));
    } else if (v.intact) {
      std::cout << "intact: " << v.events_checked << " events checked\n";
    } else {
      std::cout << "BROKEN at seq " << (v.first_broken ? std::to_string(v.first_broken->seq) : "?") << " ("
                << (v.first_broken ? v.first_broken->reason : "") << "), " << v.events_checked << " events checked\n";
    }
    if (!v.intact) throw CommandFailed(Status(), kExitError);
  });
}

}  // namespace

void AddTenancyCommands(CLI::App& app, Context& ctx) {
  AddTenants(app, ctx);
  AddUsers(app, ctx);
  AddMembers(app, ctx);
  AddApiKeys(app, ctx);
  AddAudit(app, ctx);
}

}  // namespace gaon::cli
