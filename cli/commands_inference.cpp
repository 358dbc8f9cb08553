// Open models (the catalog, operators' edits, tenants' custom models), inference endpoints
// (create, update with a new revision, wait, revisions, replicas, chat) and the simulated
// traffic operators put on an endpoint (sim traffic).
#include <charconv>
#include <iostream>

#include "cli/commands.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------- parsing

// "7.8B", "32B", "560M" → millions of parameters. Exact (no floating point): at most three
// decimals with B, none with M.
std::int64_t ParseParameters(const std::string& text) {
  const auto bad = [&] { UsageError("--parameters: '" + text + "' is not a size like 7.8B, 32B or 560M"); };
  if (text.size() < 2) bad();
  const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (unit != 'B' && unit != 'M') bad();
  const std::string number = text.substr(0, text.size() - 1);
  const auto dot = number.find('.');
  const std::string whole = number.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
  if (whole.empty() || (dot != std::string::npos && fraction.empty())) bad();
  if (fraction.size() > (unit == 'B' ? 3u : 0u)) bad();
  for (char c : whole + fraction) {
    if (c < '0' || c > '9') bad();
  }
  if (whole.size() > 12) bad();
  std::int64_t millions = std::stoll(whole);
  if (unit == 'B') {
    fraction.resize(3, '0');
    millions = millions * 1000 + std::stoll(fraction);
  }
  if (millions <= 0) bad();
  return millions;
}

// "32000" millions → "32B"; "7800" → "7.8B"; "560" → "560M".
std::string FormatParameters(const json::value& m) {
  const std::string text = At(m, "parameters_millions");
  std::int64_t n = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), n).ec != std::errc() || n <= 0) return text;
  if (n < 1000) return std::to_string(n) + "M";
  std::string out = std::to_string(n / 1000);
  if (n % 1000 != 0) {
    std::string frac = std::to_string(1000 + n % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "B";
}

// "90", "90s", "5m", "2h" → seconds.
int ParseSeconds(const std::string& flag, const std::string& text) {
  int n = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, n);
  int scale = 1;
  if (ec == std::errc() && p != end && p + 1 == end) {
    scale = *p == 's' ? 1 : *p == 'm' ? 60 : *p == 'h' ? 3600 : 0;
  } else if (ec != std::errc() || p != end) {
    scale = 0;
  }
  if (scale == 0 || n < 0 || n > 7 * 24 * 3600 / scale) {
    UsageError(flag + ": '" + text + "' is not a duration like 90s, 5m or 1h");
  }
  return n * scale;
}

// A number, or "none" (cleared: JSON null).
std::optional<int> ParseOptionalInt(const std::string& flag, const std::string& text) {
  if (text == "none" || text == "null" || text == "off") return std::nullopt;
  int n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size()) UsageError(flag + ": '" + text + "' is not a number or 'none'");
  return n;
}

// ---------------------------------------------------------------- tables

// The newest condition that is not True, or why the endpoint failed: QuotaLimited,
// Unschedulable, a rollback, …
std::string EndpointReason(const json::value& e) {
  if (auto r = At(e, "status.failure_reason"); !r.empty()) return r;
  std::string why;
  if (const auto* cs = e.at("status").as_object().if_contains("conditions"); cs && cs->is_array()) {
    for (const auto& c : cs->get_array()) {
      // Conditions that are good news when True (Ready, Available) and bad news when True
      // (QuotaLimited, Unschedulable) both exist: show what is not as it should be.
      const std::string type = At(c, "type"), status = At(c, "status");
      const bool bad_when_true = type == "QuotaLimited" || type == "Unschedulable" || type == "RolledBack";
      if ((status == "True") == bad_when_true) why = At(c, "reason").empty() ? type : At(c, "reason");
    }
  }
  if (why == At(e, "status.phase")) why.clear();
  return why;
}

std::string Replicas(const json::value& e) { return At(e, "status.ready_replicas") + "/" + At(e, "status.desired_replicas"); }

std::string Revision(const json::value& e) {
  const std::string current = At(e, "status.current_revision"), latest = At(e, "status.latest_revision");
  return current == latest || current == "0" ? latest : current + "→" + latest;
}

std::string Gpus(const json::value& spec) { return At(spec, "gpus_per_replica") + "x " + At(spec, "gpu_type"); }

std::string Scale(const json::value& spec) {
  return At(spec, "min_replicas") + "-" + At(spec, "max_replicas") + " @" + At(spec, "autoscaling.target") + " " +
         At(spec, "autoscaling.metric");
}

std::string Traffic(const json::value& e) {
  std::string out;
  if (const auto* t = e.at("status").as_object().if_contains("traffic"); t && t->is_array()) {
    for (const auto& s : t->get_array()) out += (out.empty() ? "r" : " r") + At(s, "revision") + ":" + At(s, "percent") + "%";
  }
  return out;
}

const std::vector<Column> kModelColumns = {
    {"ID", "id"},
    {"NAME", "display_name"},
    {"PARAMS", "", CellKind::kText, false, FormatParameters},
    {"LANGUAGES", "languages"},
    {"MIN GPU GIB", "min_gpu_memory_gib"},
    {"RUNTIMES", "runtimes"},
    {"STATUS", "status", CellKind::kState},
    {"PUBLISHER", "publisher", CellKind::kText, true},
    {"FAMILY", "family", CellKind::kText, true},
    {"LICENSE", "license", CellKind::kText, true},
    {"CONTEXT", "context_length", CellKind::kText, true},
    {"ARTIFACT", "artifact_uri", CellKind::kText, true},
};

const std::vector<Column> kEndpointColumns = {
    {"ID", "id"},
    {"NAME", "name"},
    {"MODEL", "spec.model"},
    {"PHASE", "status.phase", CellKind::kState},
    {"REPLICAS", "", CellKind::kText, false, Replicas},
    {"REVISION", "", CellKind::kText, false, Revision},
    {"REASON", "", CellKind::kText, false, EndpointReason},
    {"AGE", "created_at", CellKind::kAge},
    {"GPUS", "", CellKind::kText, true, [](const json::value& e) { return Gpus(e.at("spec")); }},
    {"SCALE", "", CellKind::kText, true, [](const json::value& e) { return Scale(e.at("spec")); }},
    {"TRAFFIC", "", CellKind::kText, true, Traffic},
    {"URL", "status.url", CellKind::kText, true},
    {"LABELS", "labels", CellKind::kLabels, true},
};

const std::vector<Column> kRevisionColumns = {
    {"REVISION", "revision"},
    {"STATE", "state", CellKind::kState},
    {"MODEL", "spec.model"},
    {"RUNTIME", "", CellKind::kText, false,
     [](const json::value& r) { return At(r, "spec.runtime") + ":" + At(r, "spec.runtime_version"); }},
    {"GPUS", "", CellKind::kText, false, [](const json::value& r) { return Gpus(r.at("spec")); }},
    {"CANARY", "spec.canary_percent"},
    {"FAILURES", "failures"},
    {"AGE", "created_at", CellKind::kAge},
    {"MESSAGE", "message", CellKind::kText, true},
    {"SCALE", "", CellKind::kText, true, [](const json::value& r) { return Scale(r.at("spec")); }},
    {"GENERATION", "generation", CellKind::kText, true},
};

const std::vector<Column> kReplicaColumns = {
    {"ID", "id"},
    {"REVISION", "revision"},
    {"PHASE", "phase", CellKind::kState},
    {"NODE", "node"},
    {"ZONE", "zone"},
    {"GPUS", "gpus"},
    {"READY", "ready_at", CellKind::kAge},
    {"REASON", "", CellKind::kText, false,
     [](const json::value& r) { return At(r, "failure_reason").empty() ? At(r, "message") : At(r, "failure_reason"); }},
    {"AGE", "created_at", CellKind::kAge, true},
};

// ---------------------------------------------------------------- models

// The flags describing a model, shared by `models create` (operators) and `models register`
// (a tenant's own model).
struct ModelFlags {
  std::string display_name, publisher, family, license, parameters, status;
  std::vector<std::string> languages, runtimes, runtime_args;
  int context_length = 0, min_gpu_memory_gib = 0;
};

void AddModelFlags(CLI::App* cmd, ModelFlags& f, bool with_display_name) {
  if (with_display_name) cmd->add_option("--display-name", f.display_name, "Name shown to people")->required();
  cmd->add_option("--parameters", f.parameters, "Parameter count: 7.8B, 32B, 560M")->required();
  cmd->add_option("--min-gpu-memory-gib", f.min_gpu_memory_gib,
                  "GPU memory one replica needs, all its GPUs together (weights + KV cache)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--runtime", f.runtimes, "A runtime that serves it: vllm, tgi or triton (repeatable)")->required();
  cmd->add_option("--runtime-arg", f.runtime_args, "A default runtime argument (repeatable; --runtime-arg=--flag=v)");
  cmd->add_option("--language", f.languages, "A language it speaks, BCP 47: ko, th, en (repeatable)");
  cmd->add_option("--publisher", f.publisher, "Who published it");
  cmd->add_option("--family", f.family, "Model family: EXAONE, Qwen, …");
  cmd->add_option("--license", f.license, "SPDX id or the publisher's licence name");
  cmd->add_option("--context-length", f.context_length, "Context window, in tokens")->check(CLI::NonNegativeNumber);
}

Model ToModel(const ModelFlags& f) {
  Model m;
  m.display_name = f.display_name;
  m.publisher = f.publisher;
  m.family = f.family;
  m.parameters_millions = ParseParameters(f.parameters);
  m.license = f.license;
  m.languages = f.languages;
  m.context_length = f.context_length;
  m.min_gpu_memory_gib = f.min_gpu_memory_gib;
  m.runtimes = f.runtimes;
  m.default_runtime_args = f.runtime_args;
  if (!f.status.empty()) m.status = f.status;
  return m;
}

void AddModels(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "models", "Open models: the region's catalog, and a tenant's own models (mdl_…)",
                  "gaonctl models list --language ko");

  struct List {
    std::string runtime, language;
    bool custom = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List the catalog's models, or with --custom the tenant's own",
                       "gaonctl models list --runtime vllm --language th -o wide");
  list->add_option("--runtime", l->runtime, "Only models that run on vllm, tgi or triton");
  list->add_option("--language", l->language, "Only models that speak this language (BCP 47: ko, th, …)");
  list->add_flag("--custom", l->custom, "The tenant's own models instead of the catalog");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    if (l->custom) {
      if (!l->runtime.empty() || !l->language.empty()) UsageError("--runtime and --language filter the catalog only");
      PrintList(ctx, Collect(ctx.client().ListCustomModels(ctx.tenant(), ToListOptions(l->list)), l->list),
                kModelColumns);
      return;
    }
    ModelFilter f{.runtime = l->runtime, .language = l->language};
    PrintList(ctx, Collect(ctx.client().ListModels(f, ToListOptions(l->list)), l->list), kModelColumns);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a model: a catalog id, or a custom model's mdl_… id (of the tenant)",
                      "gaonctl models get exaone-3.5-7.8b-instruct -o yaml");
  get->add_option("model", *id, "Model id")->required();
  get->callback([&ctx, id] {
    auto custom = ModelId::Parse(*id);
    PrintOne(ctx, ToJson(Must(custom.ok() ? ctx.client().GetCustomModel(ctx.tenant(), *custom) : ctx.client().GetModel(*id))),
             kModelColumns);
  });

  struct Create {
    std::string id;
    ModelFlags model;
    bool dry_run = false;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Add a model to the region's catalog (operators)",
                         "gaonctl models create sea-lion-v3-9b --display-name 'SEA-LION v3 9B' --parameters 9B "
                         "--min-gpu-memory-gib 24 --runtime vllm --language th --language id --publisher 'AI Singapore'");
  create->add_option("id", c->id, "The model's id in the catalog (lowercase, digits, '.', '-')")->required();
  AddModelFlags(create, c->model, true);
  create->add_option("--status", c->model.status, "available or deprecated")
      ->check(CLI::IsMember({"available", "deprecated"}));
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    const ModelCreate r{.id = c->id, .model = ToModel(c->model)};
    if (ctx.DryRun(c->dry_run, "POST", "/v1/admin/models", RequestJson(r))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreateModel(r))), kModelColumns);
  });

  struct Update {
    std::string id;
    std::optional<std::string> display_name, license, status;
    std::optional<int> min_gpu_memory_gib;
    std::vector<std::string> languages, runtimes, runtime_args;
    bool dry_run = false;
  };
  auto u = std::make_shared<Update>();
  auto* update = Command(g, "update", "Edit a catalog model (operators); --status deprecated takes no new endpoints",
                         "gaonctl models update qwen2.5-7b-instruct --status deprecated");
  update->add_option("model", u->id, "Catalog model id")->required();
  update->add_option("--display-name", u->display_name, "Name shown to people");
  update->add_option("--license", u->license, "SPDX id or the publisher's licence name");
  update->add_option("--status", u->status, "available or deprecated")->check(CLI::IsMember({"available", "deprecated"}));
  update->add_option("--min-gpu-memory-gib", u->min_gpu_memory_gib, "GPU memory one replica needs")
      ->check(CLI::PositiveNumber);
  update->add_option("--language", u->languages, "The languages it speaks (repeatable; replaces the list)");
  update->add_option("--runtime", u->runtimes, "The runtimes that serve it (repeatable; replaces the list)");
  update->add_option("--runtime-arg", u->runtime_args, "Default runtime arguments (repeatable; replaces the list)");
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    ModelPatch p{.display_name = u->display_name, .license = u->license, .min_gpu_memory_gib = u->min_gpu_memory_gib,
                 .status = u->status};
    if (!u->languages.empty()) p.languages = u->languages;
    if (!u->runtimes.empty()) p.runtimes = u->runtimes;
    if (!u->runtime_args.empty()) p.default_runtime_args = u->runtime_args;
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/admin/models/" + u->id, RequestJson(p))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().UpdateModel(u->id, p))), kModelColumns);
  });

  struct Register {
    std::string name, artifact_uri;
    ModelFlags model;
    bool dry_run = false;
  };
  auto r = std::make_shared<Register>();
  auto* reg = Command(g, "register",
                      "Register the tenant's own model: weights in the region's object storage, in its jurisdiction",
                      "gaonctl models register acme-support-13b --artifact-uri s3://kr-central-1/acme/support-13b/ "
                      "--parameters 13B --min-gpu-memory-gib 40 --runtime vllm --language ko");
  reg->add_option("name", r->name, "A name for it (its display name)")->required();
  reg->add_option("--artifact-uri", r->artifact_uri, "Where the weights are, in the region's object storage")->required();
  AddModelFlags(reg, r->model, false);
  AddDryRunFlag(reg, r->dry_run);
  reg->callback([&ctx, r] {
    r->model.display_name = r->name;
    Model m = ToModel(r->model);
    m.artifact_uri = r->artifact_uri;
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(r->dry_run, "POST", "/v1/tenants/" + tid.str() + "/models", RequestJson(m))) return;
    PrintOne(ctx, ToJson(Must(ctx.client().CreateCustomModel(tid, m))), kModelColumns);
  });

  struct Delete {
    std::string id;
    bool dry_run = false;
  };
  auto d = std::make_shared<Delete>();
  auto* del = Command(g, "delete", "Delete one of the tenant's own models (not while an endpoint serves it)",
                      "gaonctl models delete mdl_01j9z3k6x2 --yes");
  del->add_option("model", d->id, "Custom model id (mdl_…); catalog models are deprecated instead")->required();
  AddDryRunFlag(del, d->dry_run);
  del->callback([&ctx, d] {
    const TenantId tid = ctx.tenant();
    const auto mid = ParseId<ModelId>(d->id, "custom model");
    if (ctx.DryRun(d->dry_run, "DELETE", "/v1/tenants/" + tid.str() + "/models/" + mid.str(), nullptr)) return;
    ctx.Confirm("Delete model " + mid.str() + "?");
    Must(ctx.client().DeleteCustomModel(tid, mid));
    ctx.Note("model " + mid.str() + " deleted");
  });
}

// ---------------------------------------------------------------- endpoints

// The spec flags of `endpoints create` and `endpoints update`: absent ones keep the defaults
// (create) or the current values (update).
struct SpecFlags {
  std::optional<std::string> model, runtime, runtime_version, gpu_type, metric, zone, canary;
  std::optional<int> gpus_per_replica, min_replicas, max_replicas, target;
  std::optional<std::string> scale_to_zero_after;
  std::vector<std::string> runtime_args;

  bool autoscaling_given() const { return metric || target || scale_to_zero_after; }
};

void AddSpecFlags(CLI::App* cmd, SpecFlags& f, bool create) {
  auto* model = cmd->add_option("--model", f.model, "A catalog model id or a custom model's mdl_… id");
  auto* gpu = cmd->add_option("--gpu-type", f.gpu_type, "GPU type of the replicas (gaonctl gpu-types list)");
  if (create) {
    model->required();
    gpu->required();
  }
  cmd->add_option("--gpus-per-replica", f.gpus_per_replica,
                  std::string("GPUs per replica (tensor parallel): 1, 2, 4 or 8") + (create ? " (default 1)" : ""));
  cmd->add_option("--min-replicas", f.min_replicas,
                  std::string("Fewest replicas; 0 scales to zero when idle") + (create ? " (default 1)" : ""));
  cmd->add_option("--max-replicas", f.max_replicas, std::string("Most replicas") + (create ? " (default 1)" : ""));
  cmd->add_option("--metric", f.metric,
                  std::string("Autoscaling metric: concurrency (in-flight requests per replica) or rps") +
                      (create ? " (default concurrency)" : ""))
      ->check(CLI::IsMember({"concurrency", "rps"}));
  cmd->add_option("--target", f.target, std::string("Autoscaling target per replica") + (create ? " (default 8)" : ""))
      ->check(CLI::PositiveNumber);
  cmd->add_option("--scale-to-zero-after", f.scale_to_zero_after,
                  std::string("Idle time before min 0 takes effect: 300s, 5m") + (create ? " (default 5m)" : ""));
  cmd->add_option("--runtime", f.runtime, std::string("vllm, tgi or triton") + (create ? " (default vllm)" : ""));
  cmd->add_option("--runtime-version", f.runtime_version, std::string("Runtime version") + (create ? " (default latest)" : ""));
  cmd->add_option("--runtime-arg", f.runtime_args,
                  std::string("A runtime argument (repeatable; --runtime-arg=--flag=v)") +
                      (create ? "; default: the model's" : "; replaces the list"));
  cmd->add_option("--zone", f.zone, std::string("Zone for the replicas") + (create ? " (default: any)" : "; 'any' clears it"));
  cmd->add_option("--canary-percent", f.canary,
                  create ? "Share of traffic a new revision gets while the previous one serves (0-100)"
                         : "Send this share of traffic to the new revision (a canary); 'none' rolls it out fully");
}

void ApplySpec(const SpecFlags& f, EndpointSpec& s) {
  if (f.model) s.model = *f.model;
  if (f.runtime) s.runtime = *f.runtime;
  if (f.runtime_version) s.runtime_version = *f.runtime_version;
  if (f.gpu_type) s.gpu_type = *f.gpu_type;
  if (f.gpus_per_replica) s.gpus_per_replica = *f.gpus_per_replica;
  if (f.min_replicas) s.min_replicas = *f.min_replicas;
  if (f.max_replicas) {
    s.max_replicas = *f.max_replicas;
  } else if (f.min_replicas && *f.min_replicas > s.max_replicas) {
    s.max_replicas = *f.min_replicas;  // --min-replicas 2 alone means 2..2, not an error
  }
  if (f.metric) s.autoscaling.metric = *f.metric;
  if (f.target) s.autoscaling.target = *f.target;
  if (f.scale_to_zero_after) s.autoscaling.scale_to_zero_after_seconds = ParseSeconds("--scale-to-zero-after", *f.scale_to_zero_after);
  if (!f.runtime_args.empty()) s.runtime_args = f.runtime_args;
  if (f.zone) s.zone = *f.zone == "any" ? std::nullopt : f.zone;
  if (f.canary) s.canary_percent = ParseOptionalInt("--canary-percent", *f.canary);
}

// The spec members of a merge patch: only what was given. Autoscaling is sent whole (the
// current values with the flags applied), so the patch means the same whether the server
// merges nested members or replaces them.
json::object SpecPatch(const SpecFlags& f, const std::optional<Endpoint>& current) {
  json::object p;
  if (f.model) p["model"] = *f.model;
  if (f.runtime) p["runtime"] = *f.runtime;
  if (f.runtime_version) p["runtime_version"] = *f.runtime_version;
  if (f.gpu_type) p["gpu_type"] = *f.gpu_type;
  if (f.gpus_per_replica) p["gpus_per_replica"] = *f.gpus_per_replica;
  if (f.min_replicas) p["min_replicas"] = *f.min_replicas;
  if (f.max_replicas) p["max_replicas"] = *f.max_replicas;
  if (!f.runtime_args.empty()) p["runtime_args"] = json::value_from(f.runtime_args);
  if (f.zone) p["zone"] = *f.zone == "any" ? json::value(nullptr) : json::value(*f.zone);
  if (f.canary) {
    const auto c = ParseOptionalInt("--canary-percent", *f.canary);
    p["canary_percent"] = c ? json::value(*c) : json::value(nullptr);
  }
  if (f.autoscaling_given()) {
    EndpointSpec s = current ? current->spec : EndpointSpec{};
    SpecFlags only_autoscaling{.metric = f.metric, .target = f.target, .scale_to_zero_after = f.scale_to_zero_after};
    ApplySpec(only_autoscaling, s);
    p["autoscaling"] = RequestJson(s.autoscaling);
  }
  return p;
}

// Waits for `phase` when --wait was given (after an update: for the controllers to have acted
// on the new spec too), then prints the endpoint.
void MaybeWait(Context& ctx, const TenantId& tid, Endpoint e, bool wait, double timeout, std::string_view phase,
               bool new_spec = false) {
  if (wait) {
    WaitOptions w = ctx.Waiting(e.id.str(), phase, timeout);
    w.require_observed_generation = new_spec;
    auto r = ctx.client().WaitForEndpoint(tid, e.id, phase, w);
    ctx.DoneWaiting();
    e = Must(std::move(r));
  }
  PrintOne(ctx, ToJson(e), kEndpointColumns);
}

void AddEndpoints(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "endpoints", "Inference endpoints: open models served on the region's GPUs",
                  "gaonctl endpoints create chat --model exaone-3.5-7.8b-instruct --gpu-type h100-80gb-sxm --wait");

  struct Create {
    std::string name;
    SpecFlags spec;
    std::vector<std::string> labels;
    bool wait = false, dry_run = false;
    double timeout = 900;
  };
  auto c = std::make_shared<Create>();
  auto* create = Command(g, "create", "Deploy a model as an endpoint; --wait returns once it is Ready",
                         "gaonctl endpoints create chat --model exaone-3.5-7.8b-instruct --gpu-type h100-80gb-sxm "
                         "--min-replicas 1 --max-replicas 4 --target 8 --wait");
  create->add_option("name", c->name, "A name, unique among the tenant's live endpoints")->required();
  AddSpecFlags(create, c->spec, true);
  create->add_option("-l,--label", c->labels, "A label k=v (repeatable)");
  create->add_flag("--wait", c->wait, "Wait until it is Ready");
  create->add_option("--wait-timeout", c->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(create, c->dry_run);
  create->callback([&ctx, c] {
    Endpoint e;
    e.name = c->name;
    e.labels = ParseLabels(c->labels);
    ApplySpec(c->spec, e.spec);
    const TenantId tid = ctx.tenant();
    if (ctx.DryRun(c->dry_run, "POST", "/v1/tenants/" + tid.str() + "/endpoints", RequestJson(e))) return;
    MaybeWait(ctx, tid, Must(ctx.client().CreateEndpoint(tid, e)), c->wait, c->timeout, endpoint_phases::kReady);
  });

  struct List {
    std::string selector, phase;
    bool deleted = false;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List endpoints", "gaonctl endpoints list --phase Ready -l team=nlp -o wide");
  list->add_option("-l,--selector", l->selector, "Label selector: env=prod,team!=ml,gpu,!spot");
  list->add_option("--phase", l->phase, "Only this phase (Pending, Deploying, Ready, Degraded, ScaledToZero, …)");
  list->add_flag("--include-deleted", l->deleted, "Deleted endpoints too");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    EndpointFilter f{.phase = l->phase, .label_selector = l->selector, .include_deleted = l->deleted};
    PrintList(ctx, Collect(ctx.client().ListEndpoints(ctx.tenant(), f, ToListOptions(l->list)), l->list),
              kEndpointColumns);
  });

  auto gid = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show an endpoint, its traffic split and conditions",
                      "gaonctl endpoints get ep_01j9z3k6x2 -o yaml");
  get->add_option("endpoint", *gid, "Endpoint id")->required();
  get->callback([&ctx, gid] {
    const Endpoint e = Must(ctx.client().GetEndpoint(ctx.tenant(), ParseId<EndpointId>(*gid, "endpoint")));
    const json::value v = ToJson(e);
    PrintOne(ctx, v, kEndpointColumns);
    if (ctx.output() != OutputFormat::kTable && ctx.output() != OutputFormat::kWide) return;
    // For people: where it answers, how traffic is split, and the controllers' words.
    if (e.status.url) std::cout << "  url: " << *e.status.url << "/v1/chat/completions\n";
    if (const std::string t = Traffic(v); !t.empty()) std::cout << "  traffic: " << t << "\n";
    for (const Condition& cond : e.status.conditions) {
      std::cout << "  " << cond.type << "=" << cond.status << (cond.reason.empty() ? "" : " " + cond.reason)
                << (cond.message.empty() ? "" : ": " + cond.message) << "\n";
    }
    if (e.status.failure_reason) std::cout << "  failed: " << *e.status.failure_reason << "\n";
  });

  struct Update {
    std::string id;
    std::optional<std::string> name;
    SpecFlags spec;
    std::vector<std::string> labels;
    std::int64_t if_match = 0;
    bool wait = false, dry_run = false;
    double timeout = 900;
  };
  auto u = std::make_shared<Update>();
  auto* update = Command(g, "update",
                         "Change an endpoint; a spec change is a new revision, rolled out replica by replica "
                         "(--canary-percent: to a share of the traffic first)",
                         "gaonctl endpoints update ep_01j9z3k6x2 --max-replicas 8 --runtime-version 0.8.5 "
                         "--canary-percent 10 --wait");
  update->add_option("endpoint", u->id, "Endpoint id")->required();
  update->add_option("--name", u->name, "A new name");
  AddSpecFlags(update, u->spec, false);
  update->add_option("-l,--label", u->labels, "k=v sets a label, k- removes it (repeatable)");
  update->add_option("--if-match", u->if_match, "Only if the endpoint is still at this resource_version");
  update->add_flag("--wait", u->wait, "Wait until the controllers acted on the change and it is Ready");
  update->add_option("--wait-timeout", u->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(update, u->dry_run);
  update->callback([&ctx, u] {
    const TenantId tid = ctx.tenant();
    const auto eid = ParseId<EndpointId>(u->id, "endpoint");
    std::optional<std::int64_t> version;
    if (u->if_match > 0) version = u->if_match;
    EndpointPatch p{.name = u->name};
    if (!u->labels.empty()) p.labels = LabelPatch(u->labels);
    std::optional<Endpoint> current;
    if (u->spec.autoscaling_given()) current = Must(ctx.client().GetEndpoint(tid, eid));
    if (json::object spec = SpecPatch(u->spec, current); !spec.empty()) p.spec = std::move(spec);
    if (!p.name && !p.labels && !p.spec) UsageError("nothing to change: give --name, a label or a spec flag");
    if (ctx.DryRun(u->dry_run, "PATCH", "/v1/tenants/" + tid.str() + "/endpoints/" + eid.str(), RequestJson(p))) return;
    MaybeWait(ctx, tid, Must(ctx.client().UpdateEndpoint(tid, eid, p, version)), u->wait, u->timeout,
              endpoint_phases::kReady, /*new_spec=*/true);
  });

  struct Delete {
    std::string id;
    bool wait = false, dry_run = false;
    double timeout = 600;
  };
  auto d = std::make_shared<Delete>();
  auto* del = Command(g, "delete", "Delete an endpoint (its replicas stop); --wait returns once it is Deleted",
                      "gaonctl endpoints delete ep_01j9z3k6x2 --yes --wait");
  del->add_option("endpoint", d->id, "Endpoint id")->required();
  del->add_flag("--wait", d->wait, "Wait until it is Deleted");
  del->add_option("--wait-timeout", d->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(del, d->dry_run);
  del->callback([&ctx, d] {
    const TenantId tid = ctx.tenant();
    const auto eid = ParseId<EndpointId>(d->id, "endpoint");
    if (ctx.DryRun(d->dry_run, "DELETE", "/v1/tenants/" + tid.str() + "/endpoints/" + eid.str(), nullptr)) return;
    ctx.Confirm("Delete endpoint " + eid.str() + "? It stops answering.");
    MaybeWait(ctx, tid, Must(ctx.client().DeleteEndpoint(tid, eid)), d->wait, d->timeout, endpoint_phases::kDeleted);
  });

  struct Wait {
    std::string id, phase = "Ready";
    double timeout = 900;
  };
  auto w = std::make_shared<Wait>();
  auto* wait = Command(g, "wait", "Wait until an endpoint reaches a phase; exit 4 on Failed or deletion, 1 on timeout",
                       "gaonctl endpoints wait ep_01j9z3k6x2 --for Ready --timeout 600");
  wait->add_option("endpoint", w->id, "Endpoint id")->required();
  wait->add_option("--for", w->phase, "The phase to wait for")->capture_default_str();
  wait->add_option("--timeout", w->timeout, "Seconds to wait at most")->capture_default_str();
  wait->callback([&ctx, w] {
    const TenantId tid = ctx.tenant();
    const auto eid = ParseId<EndpointId>(w->id, "endpoint");
    WaitOptions opts = ctx.Waiting(eid.str(), w->phase, w->timeout);
    auto r = ctx.client().WaitForEndpoint(tid, eid, w->phase, opts);
    ctx.DoneWaiting();
    PrintOne(ctx, ToJson(Must(std::move(r))), kEndpointColumns);
  });

  struct Sub {
    std::string id;
    bool terminated = false;
    ListFlags list;
  };
  auto rv = std::make_shared<Sub>();
  auto* revisions = Command(g, "revisions", "The revisions an endpoint's spec changes made, and their rollout state",
                            "gaonctl endpoints revisions ep_01j9z3k6x2 -o wide");
  revisions->add_option("endpoint", rv->id, "Endpoint id")->required();
  AddListFlags(revisions, rv->list);
  revisions->callback([&ctx, rv] {
    const auto eid = ParseId<EndpointId>(rv->id, "endpoint");
    PrintList(ctx, Collect(ctx.client().ListEndpointRevisions(ctx.tenant(), eid, ToListOptions(rv->list)), rv->list),
              kRevisionColumns, "revision");
  });
  auto rp = std::make_shared<Sub>();
  auto* replicas = Command(g, "replicas", "An endpoint's replicas: revision, phase, node",
                           "gaonctl endpoints replicas ep_01j9z3k6x2");
  replicas->add_option("endpoint", rp->id, "Endpoint id")->required();
  replicas->add_flag("--include-terminated", rp->terminated, "Replicas already gone too");
  AddListFlags(replicas, rp->list);
  replicas->callback([&ctx, rp] {
    const auto eid = ParseId<EndpointId>(rp->id, "endpoint");
    const ReplicaFilter f{.include_terminated = rp->terminated};
    PrintList(ctx, Collect(ctx.client().ListEndpointReplicas(ctx.tenant(), eid, f, ToListOptions(rp->list)), rp->list),
              kReplicaColumns);
  });

  struct Chat {
    std::string id, message, system;
    std::optional<int> max_tokens;
  };
  auto ch = std::make_shared<Chat>();
  auto* chat = Command(g, "chat",
                       "Send one user message to an endpoint (POST {url}/v1/chat/completions) and print the answer; "
                       "the tokens used go to stderr",
                       "gaonctl endpoints chat ep_01j9z3k6x2 '부산까지 KTX로 얼마나 걸려요?' --max-tokens 128");
  chat->add_option("endpoint", ch->id, "Endpoint id")->required();
  chat->add_option("message", ch->message, "The user message ('-': read it from stdin)")->required();
  chat->add_option("--system", ch->system, "A system message sent before it");
  chat->add_option("--max-tokens", ch->max_tokens, "Most tokens in the answer")->check(CLI::PositiveNumber);
  chat->callback([&ctx, ch] {
    const auto eid = ParseId<EndpointId>(ch->id, "endpoint");
    ChatCompletionRequest r;
    if (!ch->system.empty()) r.messages.push_back({.role = "system", .content = ch->system});
    std::string text = ch->message == "-" ? ReadFileArg("-") : ch->message;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    r.messages.push_back({.role = "user", .content = std::move(text)});
    r.max_tokens = ch->max_tokens;
    const ChatCompletion answer = Must(ctx.client().CreateChatCompletion(ctx.tenant(), eid, r));
    switch (ctx.output()) {
      case OutputFormat::kJson:
      case OutputFormat::kYaml: PrintValue(ctx, ToJson(answer)); return;
      case OutputFormat::kName: std::cout << answer.id << "\n"; return;
      default: break;
    }
    for (const ChatChoice& choice : answer.choices) std::cout << choice.message.content << "\n";
    ctx.Note("(" + std::to_string(answer.usage.prompt_tokens) + " prompt + " +
             std::to_string(answer.usage.completion_tokens) + " completion tokens, " + answer.system_fingerprint + ")");
  });
}

// ---------------------------------------------------------------- sim traffic

void AddSimTraffic(CLI::App& app, Context& ctx) {
  // `sim` is the simulated fleet's group (commands_fleet.cpp); traffic joins it.
  const auto sim = app.get_subcommands([](const CLI::App* a) { return a->get_name() == "sim"; });
  CLI::App* g = !sim.empty() ? sim.front() : Group(app, "sim", "The simulated fleet (sim driver only; operators)", "gaonctl sim traffic --help");
  struct Traffic {
    std::string id, duration;
    int concurrency = 0, rps = 0;
    std::vector<int> failing;
    bool clear = false, dry_run = false;
  };
  auto t = std::make_shared<Traffic>();
  auto* cmd = Command(g, "traffic",
                      "Put simulated load on an endpoint (its autoscaler sees it) and make revisions fail; "
                      "--clear ends it",
                      "gaonctl sim traffic ep_01j9z3k6x2 --concurrency 40 --duration 5m\n"
                      "  gaonctl sim traffic ep_01j9z3k6x2 --fail-revision 3 --yes\n"
                      "  gaonctl sim traffic ep_01j9z3k6x2 --clear");
  cmd->add_option("endpoint", t->id, "Endpoint id")->required();
  auto* conc = cmd->add_option("--concurrency", t->concurrency, "In-flight requests across the endpoint")
                   ->check(CLI::NonNegativeNumber);
  auto* rps = cmd->add_option("--rps", t->rps, "Requests per second across the endpoint")->check(CLI::NonNegativeNumber);
  auto* dur = cmd->add_option("--duration", t->duration, "The load ends after this long: 90s, 5m, 1h (default: until --clear)");
  auto* fail = cmd->add_option("--fail-revision", t->failing, "Replicas of this revision crash while loading (repeatable)");
  auto* clear = cmd->add_flag("--clear", t->clear, "End the simulated load and failures");
  clear->excludes(conc)->excludes(rps)->excludes(dur)->excludes(fail);
  AddDryRunFlag(cmd, t->dry_run);
  cmd->callback([&ctx, t] {
    const auto eid = ParseId<EndpointId>(t->id, "endpoint");
    const std::string path = "/v1/admin/sim/endpoints/" + eid.str();
    if (t->clear) {
      if (ctx.DryRun(t->dry_run, "DELETE", path, nullptr)) return;
      Must(ctx.client().ClearSimEndpointProfile(eid));
      ctx.Note("simulated traffic of " + eid.str() + " cleared");
      return;
    }
    SimEndpointProfile p{.concurrency = t->concurrency, .requests_per_second = t->rps, .failing_revisions = t->failing};
    if (!t->duration.empty()) p.duration_seconds = ParseSeconds("--duration", t->duration);
    if (ctx.DryRun(t->dry_run, "PUT", path, RequestJson(p))) return;
    if (!p.failing_revisions.empty()) ctx.Confirm("Make replicas of endpoint " + eid.str() + " fail?");
    const SimEndpointProfile set = Must(ctx.client().SetSimEndpointProfile(eid, p));
    if (ctx.output() == OutputFormat::kName) {
      std::cout << eid.str() << "\n";
      return;
    }
    const std::string id = eid.str();
    PrintOne(ctx, ToJson(set),
             {{"ENDPOINT", "", CellKind::kText, false, [id](const json::value&) { return id; }},
              {"CONCURRENCY", "concurrency"},
              {"RPS", "requests_per_second"},
              {"UNTIL", "until"},
              {"FAILING REVISIONS", "failing_revisions"}});
  });
}

}  // namespace

void AddInferenceCommands(CLI::App& app, Context& ctx) {
  AddModels(app, ctx);
  AddEndpoints(app, ctx);
  AddSimTraffic(app, ctx);
}

}  // namespace gaon::cli
