// The catalog (regions, gpu-types, instance-types, images), ssh-keys, quotas, quota-requests,
// instances and the change feed (events).
#include <iostream>

#include "cli/commands.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

std::string Zones(const json::value& region) {
  std::string out;
  if (const auto* z = region.as_object().if_contains("zones"); z && z->is_array()) {
    for (const auto& e : z->get_array()) out += (out.empty() ? "" : ",") + At(e, "id");
  }
  return out;
}

std::string Availability(const json::value& type) {
  std::string out;
  if (const auto* a = type.as_object().if_contains("availability"); a && a->is_array()) {
    for (const auto& e : a->get_array()) out += (out.empty() ? "" : " ") + At(e, "zone") + ":" + At(e, "available");
  }
  return out;
}

// The reason an instance is where it is: why it Failed, its queue position while it waits, or
// the newest condition that is not True.
std::string InstanceReason(const json::value& i) {
  if (auto r = At(i, "status.failure_reason"); !r.empty()) return r;
  std::string why;
  if (const auto* cs = i.at("status").as_object().if_contains("conditions"); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      if (At(c, "status") != "True") why = At(c, "reason");
    }
  }
  if (why == At(i, "status.phase")) why.clear();  // "Provisioning" in PHASE says it already
  if (auto q = At(i, "status.queue_position"); !q.empty()) why += (why.empty() ? "" : " ") + std::string("#") + q;
  return why;
}

const std::vector<Column> kRegionColumns = {
    {"ID", "id"}, {"NAME", "display_name"}, {"JURISDICTION", "jurisdiction"}, {"TIME ZONE", "time_zone"},
    {"ZONES", "", CellKind::kText, false, Zones},
};

const std::vector<Column> kGpuTypeColumns = {
    {"ID", "id"},           {"NAME", "display_name"},       {"VENDOR", "vendor"},
    {"MEMORY GIB", "memory_gib"}, {"INTERCONNECT", "interconnect"}, {"ARCH", "architecture", CellKind::kText, true},
    {"MIG", "mig_profiles", CellKind::kText, true},
};

const std::vector<Column> kTypeColumns = {
    {"ID", "id"},
    {"GPU", "gpu_type"},
    {"GPUS", "gpu_count"},
    {"VCPUS", "vcpus"},
    {"MEMORY GIB", "memory_gib"},
    {"FREE BY ZONE", "", CellKind::kText, false, Availability},
    {"NVME GIB", "local_nvme_gib", CellKind::kText, true},
    {"NETWORK GBPS", "network_gbps", CellKind::kText, true},
    {"OFFERED", "available", CellKind::kState, true},
};

const std::vector<Column> kImageColumns = {
    {"ID", "id"},          {"OS", "os"},        {"VERSION", "os_version"},
    {"CUDA", "cuda_version"}, {"STATUS", "status", CellKind::kState}, {"DRIVER", "driver_version", CellKind::kText, true},
    {"GPU TYPES", "gpu_types", CellKind::kText, true},
};

const std::vector<Column> kSshKeyColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"TYPE", "key_type"},
    {"FINGERPRINT", "fingerprint"},
    {"AGE", "created_at", CellKind::kAge},
    {"COMMENT", "comment", CellKind::kText, true},
};

const std::vector<Column> kQuotaColumns = {
    {"DIMENSION", "dimension"}, {"LIMIT", "limit"}, {"USED", "used"}, {"REMAINING", "remaining"}};

const std::vector<Column> kQuotaRequestColumns = {
    {"ID", "id"},
    {"DIMENSION", "dimension"},
    {"REQUESTED", "requested_limit"},
    {"STATE", "state", CellKind::kState},
    {"AGE", "created_at", CellKind::kAge},
    {"TENANT", "tenant_id", CellKind::kText, true},
    {"PREVIOUS", "previous_limit", CellKind::kText, true},
    {"APPROVED", "approved_limit", CellKind::kText, true},
    {"REASON", "reason", CellKind::kText, true},
    {"NOTE", "decision_note", CellKind::kText, true},
};

const std::vector<Column> kInstanceColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"TYPE", "spec.instance_type"},
    {"PHASE", "status.phase", CellKind::kState},
    {"REASON", "", CellKind::kText, false, InstanceReason},
    {"ZONE", "status.zone"},
    {"IP", "status.ip_address"},
    {"AGE", "created_at", CellKind::kAge},
    {"NODE", "status.node", CellKind::kText, true},
    {"IMAGE", "spec.image", CellKind::kText, true},
    {"DESIRED", "spec.desired_state", CellKind::kText, true},
    {"LABELS", "labels", CellKind::kLabels, true},
};

const std::vector<Column> kInstanceEventColumns = {
    {"SEQ", "seq"},         {"AGE", "time", CellKind::kAge}, {"TYPE", "type"},        {"REASON", "reason"},
    {"FROM", "from_phase"}, {"TO", "to_phase", CellKind::kState}, {"MESSAGE", "message"},
};

const std::vector<Column> kChangeColumns = {
    {"SEQ", "seq"},          {"AGE", "time", CellKind::kAge},    {"TYPE", "type"},
    {"KIND", "kind"},        {"RESOURCE", "resource_id"},       {"VERSION", "resource_version", CellKind::kText, true},
    {"PHASE", "object.status.phase", CellKind::kState, true},
};

void AddCatalog(CLI::App& app, Context& ctx) {
  auto* regions = Group(app, "regions", "The region and its zones", "gaonctl regions list");
  Command(regions, "list", "List regions and their zones", "gaonctl regions list")->callback([&ctx] {
    PrintList(ctx, ToJsonAll(Must(ctx.client().ListRegions())), kRegionColumns);
  });

  auto* gpus = Group(app, "gpu-types", "The GPU models on offer", "gaonctl gpu-types list");
  Command(gpus, "list", "List GPU types", "gaonctl gpu-types list -o wide")->callback([&ctx] {
    PrintList(ctx, ToJsonAll(Must(ctx.client().ListGpuTypes())), kGpuTypeColumns);
  });

  auto* types = Group(app, "instance-types", "Machine shapes and their free capacity per zone",
                      "gaonctl instance-types list --gpu-type h100-80gb-sxm");
  auto gpu = std::make_shared<std::string>();
  auto* list = Command(types, "list", "List instance types with free capacity per zone", "gaonctl instance-types list");
  list->add_option("--gpu-type", *gpu, "Only types with this GPU");
  list->callback([&ctx, gpu] { PrintList(ctx, ToJsonAll(Must(ctx.client().ListInstanceTypes(*gpu))), kTypeColumns); });
  auto id = std::make_shared<std::string>();
  auto* get = Command(types, "get", "Show an instance type", "gaonctl instance-types get gpu.h100.1x -o yaml");
  get->add_option("instance-type", *id, "Instance type id")->required();
  get->callback([&ctx, id] { PrintOne(ctx, ToJson(Must(ctx.client().GetInstanceType(*id))), kTypeColumns); });

  auto* images = Group(app, "images", "Boot images", "gaonctl images list");
  Command(images, "list", "List images", "gaonctl images list -o wide")->callback([&ctx] {
    PrintList(ctx, ToJsonAll(Must(ctx.client().ListImages())), kImageColumns);
  });
}

void AddSshKeys(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "ssh-keys", "Public keys put on new instances",
                  "gaonctl ssh-keys create laptop --public-key-file ~/.ssh/id_ed25519.pub");
  struct Create {
    std::string name, file;
    std::vector<std::string> labels;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Upload a public key (OpenSSH format)",
                         "gaonctl ssh-keys create laptop --public-key-file ~/.ssh/id_ed25519.pub");
  create->add_option("name", c->name, "A name for the key")->required();
  create->add_option("--public-key-file", c->file, "The .pub file ('-': stdin)")->required();
  create->add_option("-l,--label", c->labels, "A label k=v (repeatable)");
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    SshKey k{.name = c->name, .public_key = ReadFileArg(c->file), .labels = ParseLabels(c->labels)};
    while (!k.public_key.empty() && (k.public_key.back() == '\n' || k.public_key.back() == '\r')) k.public_key.pop_back();
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(c->dry_run, "POST", "/v1/tenants/" + tid.str() + "/ssh-keys", RequestJson(k))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreateSshKey(tid, k))), kSshKeyColumns);
  });
  auto l = std::make_shared<ListFlags>();
  auto* list = Command(g, "list", "List SSH keys", "gaonctl ssh-keys list");
  AddListFlags(list, *l);
  list->callback([&ctx, l] {
    PrintList(ctx, Collect(ctx.client().ListSshKeys(ctx.tenant(), ToListOptions(*l)), *l), kSshKeyColumns);
  });
  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show an SSH key", "gaonctl ssh-keys get ssh_01j9z3k6x2 -o yaml");
  get->add_option("ssh-key", *id, "SSH key id")->required();
  get->callback([&ctx, id] {
    PrintOne(ctx, ToJson(Must(ctx.client().GetSshKey(ctx.tenant(), ParseId<SshKeyId>(*id, "SSH key")))),
             kSshKeyColumns);
  });
  auto d = std::make_shared<IdArgs>();
  auto* del = Command(g, "delete", "Delete an SSH key (running instances keep it)", "gaonctl ssh-keys delete ssh_01j9z3k6x2 --yes");
  del->add_option("ssh-key", d->id, "SSH key id")->required();
  AddDryRunFlag(del, d->dry_run);
  del->callback([&ctx, d] {
    const SshKeyId kid = ParseId<SshKeyId>(d->id, "SSH key");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(d->dry_run, "DELETE", "/v1/tenants/" + tid.str() + "/ssh-keys/" + kid.str(), nullptr)) return;
    ctx.Confirm("Delete SSH key " + kid.str() + "?");
    Must(ctx.client().DeleteSshKey(tid, kid));
    ctx.Note("ssh key " + kid.str() + " deleted");
  });
}

void AddQuotas(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "quotas", "A tenant's limits and what it uses of them", "gaonctl quotas list");
  Command(g, "list", "Show limits, use and headroom", "gaonctl quotas list --tenant ten_01j9z3k6x2")->callback([&ctx] {
    PrintList(ctx, ToJsonAll(Must(ctx.client().ListQuotas(ctx.tenant()))), kQuotaColumns, "dimension");
  });
  struct Set {
    std::vector<std::string> limits;
    bool dry_run = false;
  };
  auto s = std::make_shared<Set>();
  auto* set = Command(g, "set", "Set limits (operators); DIMENSION=none removes a per-GPU-type cap",
                      "gaonctl quotas set gpus=32 instances=40 gpus.h100-80gb-sxm=16 --tenant ten_01j9z3k6x2");
  set->add_option("limits", s->limits, "DIMENSION=N pairs")->required();
  AddDryRunFlag(set, s->dry_run);
  set->callback([&ctx, s] {
    SetQuotasRequest r;
    for (const auto& kv : s->limits) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) UsageError("'" + kv + "' is not DIMENSION=N");
      const std::string dim = kv.substr(0, eq), value = kv.substr(eq + 1);
      if (value == "none" || value == "null") {
        r.limits[dim] = std::nullopt;
        continue;
      }
      try {
        std::size_t used = 0;
        const long long n = std::stoll(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
        r.limits[dim] = n;
      } catch (const std::exception&) {
        UsageError("'" + kv + "': the limit must be a whole number or 'none'");
      }
    }
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(s->dry_run, "PUT", "/v1/admin/tenants/" + tid.str() + "/quotas", RequestJson(r))) return;
    PrintList(ctx, ToJsonAll(Must(ctx.client().SetQuotas(tid, r))), kQuotaColumns, "dimension");
  });
}

void AddQuotaRequests(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "quota-requests", "Asking for higher limits, and deciding on it",
                  "gaonctl quota-requests create gpus 32 --reason 'fine-tuning run in July'");
  struct Create {
    std::string dimension, reason;
    std::int64_t limit = 0;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Ask for a higher limit",
                         "gaonctl quota-requests create gpus 32 --reason 'fine-tuning run in July'");
  create->add_option("dimension", c->dimension, "instances, gpus, gpus.<gpu type>, vcpus, memory_gib")->required();
  create->add_option("limit", c->limit, "The limit asked for")->required();
  create->add_option("--reason", c->reason, "Why (operators read it)")->required();
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    QuotaRequest r{.dimension = c->dimension, .requested_limit = c->limit, .reason = c->reason};
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(c->dry_run, "POST", "/v1/tenants/" + tid.str() + "/quota-requests", RequestJson(r))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreateQuotaRequest(tid, r))), kQuotaRequestColumns);
  });

  struct List {
    std::string state;
    bool all = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List a tenant's requests, or every tenant's with --all (operators)",
                       "gaonctl quota-requests list --all --state pending");
  list->add_option("--state", l->state, "pending, approved, denied or cancelled");
  list->add_flag("--all", l->all, "Every tenant's requests (operators)");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    QuotaRequestFilter f;
    if (!l->state.empty()) {
      QuotaRequestState s{};
      if (!FromString(l->state, &s)) UsageError("--state: '" + l->state + "' is not pending, approved, denied or cancelled");
      f.state = s;
    }
    auto opts = ToListOptions(l->list);
    PrintList(ctx,
              l->all ? Collect(ctx.client().ListAllQuotaRequests(f, opts), l->list)
                     : Collect(ctx.client().ListQuotaRequests(ctx.tenant(), f, opts), l->list),
              kQuotaRequestColumns);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a request", "gaonctl quota-requests get qr_01j9z3k6x2");
  get->add_option("request", *id, "Quota request id")->required();
  get->callback([&ctx, id] {
    PrintOne(ctx,
             ToJson(Must(ctx.client().GetQuotaRequest(ctx.tenant(), ParseId<QuotaRequestId>(*id, "quota request")))),
             kQuotaRequestColumns);
  });

  struct Decide {
    std::string id, note;
    std::int64_t limit = 0;
    bool dry_run = false;
  };
  // The path of a decision on a request: the tenant's own (cancel) or the operators' (approve,
  // deny); --dry-run prints it with the decision.
  auto decision_path = [](bool admin, const TenantId& tid, const QuotaRequestId& rid, const char* verb) {
    return std::string(admin ? "/v1/admin" : "/v1") + "/tenants/" + tid.str() + "/quota-requests/" + rid.str() + ":" +
           verb;
  };
  auto cancel = std::make_shared<Decide>();
  auto* cancel_cmd = Command(g, "cancel", "Withdraw a pending request", "gaonctl quota-requests cancel qr_01j9z3k6x2");
  cancel_cmd->add_option("request", cancel->id, "Quota request id")->required();
  cancel_cmd->add_option("--note", cancel->note, "Why");
  AddDryRunFlag(cancel_cmd, cancel->dry_run);
  cancel_cmd->callback([&ctx, cancel, decision_path] {
    const auto rid = ParseId<QuotaRequestId>(cancel->id, "quota request");
    const TenantId tid = ctx.tenant();
    const QuotaDecision d{.note = cancel->note};
    if (ctx.DryRun(cancel->dry_run, "POST", decision_path(false, tid, rid, "cancel"), RequestJson(d))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CancelQuotaRequest(tid, rid, cancel->note))), kQuotaRequestColumns);
  });

  auto approve = std::make_shared<Decide>();
  auto* approve_cmd = Command(g, "approve", "Approve a request, optionally with another limit (operators)",
                              "gaonctl quota-requests approve qr_01j9z3k6x2 --tenant ten_01j9z3k6x2 --limit 24");
  approve_cmd->add_option("request", approve->id, "Quota request id")->required();
  approve_cmd->add_option("--limit", approve->limit, "Grant this limit instead of the one asked for");
  approve_cmd->add_option("--note", approve->note, "A note for the tenant");
  AddDryRunFlag(approve_cmd, approve->dry_run);
  approve_cmd->callback([&ctx, approve, decision_path] {
    QuotaDecision d{.note = approve->note};
    if (approve->limit > 0) d.limit = approve->limit;
    const auto rid = ParseId<QuotaRequestId>(approve->id, "quota request");
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(approve->dry_run, "POST", decision_path(true, tid, rid, "approve"), RequestJson(d))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().ApproveQuotaRequest(tid, rid, d))), kQuotaRequestColumns);
  });

  auto deny = std::make_shared<Decide>();
  auto* deny_cmd = Command(g, "deny", "Deny a request (operators)",
                           "gaonctl quota-requests deny qr_01j9z3k6x2 --tenant ten_01j9z3k6x2 --note 'no H100 left this quarter'");
  deny_cmd->add_option("request", deny->id, "Quota request id")->required();
  deny_cmd->add_option("--note", deny->note, "Why (the tenant reads it)")->required();
  AddDryRunFlag(deny_cmd, deny->dry_run);
  deny_cmd->callback([&ctx, deny, decision_path] {
    const auto rid = ParseId<QuotaRequestId>(deny->id, "quota request");
    const TenantId tid = ctx.tenant();
    const QuotaDecision d{.note = deny->note};
    if (ctx.DryRun(deny->dry_run, "POST", decision_path(true, tid, rid, "deny"), RequestJson(d))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().DenyQuotaRequest(tid, rid, deny->note))), kQuotaRequestColumns);
  });
}

// Waits for `phase` when --wait was given, then prints the instance.
void MaybeWait(Context& ctx, const TenantId& tid, Instance i, bool wait, double timeout, std::string_view phase) {
  if (wait) {
    WaitOptions w = ctx.Waiting(i.id.str(), phase, timeout);
    auto r = ctx.client().WaitForInstance(tid, i.id, phase, w);
    ctx.DoneWaiting();
    i = Must(std::move(r));
  }
  PrintOne(ctx, ToJson(i), kInstanceColumns);
}

void AddInstances(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "instances", "GPU instances",
                  "gaonctl instances create train-1 --type gpu.h100.1x --image ubuntu-24.04-cuda-12.8 --wait");

  struct Create {
    std::string name, type, image, zone, user_data_file;
    std::vector<std::string> ssh_keys, labels;
    bool wait = false, dry_run = false;
    double timeout = 600;
    int count = 0;
    std::int64_t start_index = 1;
    bool bulk = false;  // --count given
  };
  auto c = std::make_shared<Create>();
  // The bulk request for --count: the instance built from the flags, its name as the pattern.
  static const auto Bulk = [](const Create& flags, const Instance& i) {
    return BulkInstanceRequest{.count = flags.count, .name_pattern = i.name, .start_index = flags.start_index,
                               .labels = i.labels, .spec = i.spec};
  };
  auto* create = Command(g, "create", "Launch an instance; --wait returns once it is Running",
                         "gaonctl instances create train-1 --type gpu.h100.1x --image ubuntu-24.04-cuda-12.8 "
                         "--ssh-key ssh_01j9z3k6x2 --wait");
  create->add_option("name", c->name,
                     "A name, unique among the tenant's live instances; with --count, a pattern whose run of '#' "
                     "becomes each index (worker-###)")
      ->required();
  CLI::Option* count = create->add_option("--count", c->count,
                                          "Launch this many alike instances (1-1000), all admitted or none");
  create->add_option("--start-index", c->start_index, "With --count: the first index")->capture_default_str()->needs(count);
  create->add_option("--type", c->type, "Instance type (gaonctl instance-types list)")->required();
  create->add_option("--image", c->image, "Image (gaonctl images list)")->required();
  create->add_option("--zone", c->zone, "A zone of the region (default: any with capacity)");
  create->add_option("--ssh-key", c->ssh_keys, "An SSH key id (repeatable)");
  create->add_option("--user-data-file", c->user_data_file, "cloud-init user data ('-': stdin)");
  create->add_option("-l,--label", c->labels, "A label k=v (repeatable)");
  create->add_flag("--wait", c->wait, "Wait until it is Running");
  create->add_option("--wait-timeout", c->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(create, c->dry_run, "Check the type and image against the catalog, show the request, send nothing");
  create->callback([&ctx, c, count] {
    c->bulk = count->count() > 0;
    Instance i;
    i.name = c->name;
    i.labels = ParseLabels(c->labels);
    i.spec.instance_type = c->type;
    i.spec.image = c->image;
    if (!c->zone.empty()) i.spec.zone = c->zone;
    i.spec.ssh_key_ids = c->ssh_keys;
    if (!c->user_data_file.empty()) i.spec.user_data = ReadFileArg(c->user_data_file);
    const TenantId tid = ctx.tenant();
    if (c->dry_run) {
      // A client-side dry run that still asks the server what it can: the type and image must
      // exist, and the quota headroom is shown.
      InstanceType t = Must(ctx.client().GetInstanceType(c->type));
      bool image_ok = false;
      for (const auto& im : Must(ctx.client().ListImages())) image_ok = image_ok || im.id == c->image;
      if (!image_ok) Fail(NotFound("image '" + c->image + "' is not in the catalog", "image_not_found"));
      for (const auto& q : Must(ctx.client().ListQuotas(tid))) {
        if (q.dimension == "gpus" || q.dimension == "instances" || q.dimension == "gpus." + t.gpu_type) {
          ctx.Note("quota " + q.dimension + ": " + std::to_string(q.remaining) + " of " + std::to_string(q.limit) +
                   " left");
        }
      }
      json::value body = c->bulk ? RequestJson(Bulk(*c, i)) : RequestJson(i);
      if (!i.spec.user_data.empty()) body.as_object()["spec"].as_object()["user_data"] = "(" +
          std::to_string(i.spec.user_data.size()) + " bytes)";
      ctx.DryRun(true, "POST", "/v1/tenants/" + tid.str() + (c->bulk ? "/instances:bulkCreate" : "/instances"),
                 body);
      return;
    }
    if (!c->bulk) {
      MaybeWait(ctx, tid, Must(ctx.client().CreateInstance(tid, i)), c->wait, c->timeout, phases::kRunning);
      return;
    }
    std::vector<Instance> made = Must(ctx.client().BulkCreateInstances(tid, Bulk(*c, i)));
    if (c->wait) {
      for (auto& m : made) {
        WaitOptions w = ctx.Waiting(m.id.str(), phases::kRunning, c->timeout);
        auto r = ctx.client().WaitForInstance(tid, m.id, phases::kRunning, w);
        ctx.DoneWaiting();
        m = Must(std::move(r));
      }
    }
    std::vector<json::value> rows;
    for (const auto& m : made) rows.push_back(ToJson(m));
    PrintList(ctx, std::move(rows), kInstanceColumns);
  });

  struct List {
    std::string selector, phase, zone, type;
    bool deleted = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List instances", "gaonctl instances list --phase Running -l team=ml -o wide");
  list->add_option("-l,--selector", l->selector, "Label selector: env=prod,team!=ml,gpu,!spot");
  list->add_option("--phase", l->phase, "Only this phase (Pending, Running, Stopped, …)");
  list->add_option("--zone", l->zone, "Only this zone");
  list->add_option("--type", l->type, "Only this instance type");
  list->add_flag("--include-deleted", l->deleted, "Deleted instances too");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    InstanceFilter f{.label_selector = l->selector, .phase = l->phase, .zone = l->zone, .instance_type = l->type,
                     .include_deleted = l->deleted};
    PrintList(ctx, Collect(ctx.client().ListInstances(ctx.tenant(), f, ToListOptions(l->list)), l->list),
              kInstanceColumns);
  });

  auto gid = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show an instance (its conditions with -o yaml)", "gaonctl instances get inst_01j9z3k6x2 -o yaml");
  get->add_option("instance", *gid, "Instance id")->required();
  get->callback([&ctx, gid] {
    const Instance i = Must(ctx.client().GetInstance(ctx.tenant(), ParseId<InstanceId>(*gid, "instance")));
    PrintOne(ctx, ToJson(i), kInstanceColumns);
    if (ctx.output() != OutputFormat::kTable && ctx.output() != OutputFormat::kWide) return;
    // For people: why it is where it is, in the controllers' words.
    for (const Condition& cond : i.status.conditions) {
      std::cout << "  " << cond.type << "=" << cond.status << (cond.reason.empty() ? "" : " " + cond.reason)
                << (cond.message.empty() ? "" : ": " + cond.message) << "\n";
    }
    if (i.status.failure_reason) std::cout << "  failed: " << *i.status.failure_reason << "\n";
  });

  struct Update {
    std::string id;
    std::optional<std::string> name;
    std::vector<std::string> labels;
    std::int64_t if_match = 0;
    bool dry_run = false;
  };
  auto u = std::make_shared<Update>();
  auto* update = Command(g, "update", "Rename an instance or change its labels",
                         "gaonctl instances update inst_01j9z3k6x2 --name train-2 -l team=ml -l temp-");
  update->add_option("instance", u->id, "Instance id")->required();
  update->add_option("--name", u->name, "A new name");
  update->add_option("-l,--label", u->labels, "k=v sets a label, k- removes it (repeatable)");
  update->add_option("--if-match", u->if_match, "Only if the instance is still at this resource_version");
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    const TenantId tid = ctx.tenant();
    const auto iid = ParseId<InstanceId>(u->id, "instance");
    InstancePatch p{.name = u->name};
    if (!u->labels.empty()) p.labels = LabelPatch(u->labels);
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/tenants/" + tid.str() + "/instances/" + iid.str(), RequestJson(p))) return;
    std::optional<std::int64_t> version;
    if (u->if_match > 0) version = u->if_match;
    PrintOne(ctx, ToJson(Must(ctx.client().UpdateInstance(tid, iid, p, version))), kInstanceColumns);
  });

  // delete, stop, start, reboot: the same shape — an id, --wait for the phase it leads to.
  struct ActionSpec {
    const char* verb;
    const char* description;
    std::string_view wait_phase;
    bool confirm;
  };
  for (const ActionSpec& spec :
       {ActionSpec{"delete", "Delete an instance; --wait returns once it is Deleted", phases::kDeleted, true},
        ActionSpec{"stop", "Stop an instance (its GPUs are released); --wait for Stopped", phases::kStopped, true},
        ActionSpec{"start", "Start a stopped instance; --wait for Running", phases::kRunning, false},
        ActionSpec{"reboot", "Reboot an instance; --wait for Running again", phases::kRunning, false}}) {
    struct Args {
      std::string id;
      bool wait = false, dry_run = false;
      double timeout = 600;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = Command(g, spec.verb, spec.description,
                        std::string("gaonctl instances ") + spec.verb + " inst_01j9z3k6x2" +
                            (spec.confirm ? " --yes" : "") + " --wait");
    cmd->add_option("instance", a->id, "Instance id")->required();
    cmd->add_flag("--wait", a->wait, std::string("Wait until it is ") + std::string(spec.wait_phase));
    cmd->add_option("--wait-timeout", a->timeout, "Seconds --wait waits at most")->capture_default_str();
    AddDryRunFlag(cmd, a->dry_run);
    const std::string verb = spec.verb;
    cmd->callback([&ctx, a, verb, spec] {
      const TenantId tid = ctx.tenant();
      const auto iid = ParseId<InstanceId>(a->id, "instance");
      const std::string path = "/v1/tenants/" + tid.str() + "/instances/" + iid.str();
      if (ctx.DryRun(a->dry_run, verb == "delete" ? "DELETE" : "POST", verb == "delete" ? path : path + ":" + verb,
                     nullptr)) {
        return;
      }
      if (spec.confirm) ctx.Confirm((verb == "delete" ? "Delete" : "Stop") + std::string(" instance ") + iid.str() + "?");
      const Client& cl = ctx.client();
      StatusOr<Instance> r = verb == "delete" ? cl.DeleteInstance(tid, iid)
                             : verb == "stop" ? cl.StopInstance(tid, iid)
                             : verb == "start" ? cl.StartInstance(tid, iid)
                                               : cl.RebootInstance(tid, iid);
      Instance i = Must(std::move(r));
      if (a->wait && verb == "reboot") {
        // A reboot passes through Rebooting: wait until the controllers have acted on it.
        WaitOptions w = ctx.Waiting(iid.str(), phases::kRunning, a->timeout);
        w.require_observed_generation = true;
        auto done = cl.WaitForInstance(tid, iid, phases::kRunning, w);
        ctx.DoneWaiting();
        PrintOne(ctx, ToJson(Must(std::move(done))), kInstanceColumns);
        return;
      }
      MaybeWait(ctx, tid, std::move(i), a->wait, a->timeout, spec.wait_phase);
    });
  }

  struct Wait {
    std::string id, phase = "Running";
    double timeout = 600;
  };
  auto w = std::make_shared<Wait>();
  auto* wait = Command(g, "wait", "Wait until an instance reaches a phase; exit 1 on Failed or timeout",
                       "gaonctl instances wait inst_01j9z3k6x2 --for Running --timeout 300");
  wait->add_option("instance", w->id, "Instance id")->required();
  wait->add_option("--for", w->phase, "The phase to wait for")->capture_default_str();
  wait->add_option("--timeout", w->timeout, "Seconds to wait at most")->capture_default_str();
  wait->callback([&ctx, w] {
    const TenantId tid = ctx.tenant();
    const auto iid = ParseId<InstanceId>(w->id, "instance");
    WaitOptions opts = ctx.Waiting(iid.str(), w->phase, w->timeout);
    auto r = ctx.client().WaitForInstance(tid, iid, w->phase, opts);
    ctx.DoneWaiting();
    PrintOne(ctx, ToJson(Must(std::move(r))), kInstanceColumns);
  });

  struct Events {
    std::string id;
    ListFlags list;
  };
  auto e = std::make_shared<Events>();
  auto* events = Command(g, "events", "What happened to an instance, oldest first", "gaonctl instances events inst_01j9z3k6x2");
  events->add_option("instance", e->id, "Instance id")->required();
  AddListFlags(events, e->list);
  events->callback([&ctx, e] {
    const auto iid = ParseId<InstanceId>(e->id, "instance");
    PrintList(ctx, Collect(ctx.client().ListInstanceEvents(ctx.tenant(), iid, ToListOptions(e->list)), e->list),
              kInstanceEventColumns, "seq");
  });
}

void AddChanges(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "events", "The tenant's change feed: every change to its resources, in order",
                  "gaonctl events watch");
  struct List {
    std::int64_t since = -1;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "One page of changes after --since", "gaonctl events list --since 120");
  list->add_option("--since", l->since, "Changes after this sequence number (default: the oldest kept)");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    ChangesQuery q{.list = ToListOptions(l->list)};
    if (l->since >= 0) q.since = l->since;
    ChangesPage page = Must(ctx.client().ListChanges(ctx.tenant(), q));
    PrintList(ctx, ToJsonAll(page.items), kChangeColumns, "seq");
    if (page.next_page_token && ctx.output() != OutputFormat::kJson && ctx.output() != OutputFormat::kYaml) {
      ctx.Note("more: gaonctl events list --since " + (page.items.empty() ? "0" : std::to_string(page.items.back().seq)));
    }
  });
  struct Watch {
    std::int64_t since = -1;
    double timeout = 0;
    int count = 0;
  };
  auto w = std::make_shared<Watch>();
  auto* watch = Command(g, "watch", "Stream changes as they happen (Ctrl-C stops); one JSON object a line with -o json",
                        "gaonctl events watch -o json | jq .resource_id");
  watch->add_option("--since", w->since, "Replay changes after this sequence number first");
  watch->add_option("--timeout", w->timeout, "Stop after this many seconds (0: never)");
  watch->add_option("--count", w->count, "Stop after this many changes (0: never)");
  watch->callback([&ctx, w] {
    WatchOptions o{.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(w->timeout * 1000))};
    if (w->since >= 0) o.since = w->since;
    int seen = 0;
    const bool as_json = ctx.output() == OutputFormat::kJson;
    Must(ctx.client().WatchChanges(
        ctx.tenant(),
        [&](const ChangeEvent& e) {
          json::value v = ToJson(e);
          if (as_json) {
            std::cout << json::serialize(v) << std::endl;
          } else {
            std::cout << e.seq << "  " << FormatTimestamp(e.time) << "  " << e.type << "  " << e.kind << "  "
                      << e.resource_id << "  " << At(v, "object.status.phase") << std::endl;
          }
          return w->count <= 0 || ++seen < w->count;
        },
        o));
  });
}

}  // namespace

void AddComputeCommands(CLI::App& app, Context& ctx) {
  AddCatalog(app, ctx);
  AddSshKeys(app, ctx);
  AddQuotas(app, ctx);
  AddQuotaRequests(app, ctx);
  AddInstances(app, ctx);
  AddChanges(app, ctx);
}

}  // namespace gaon::cli
