// The fleet (operators): nodes (list, get, cordon, uncordon, drain) and the simulated hosts'
// fault switches (sim fail, sim recover).
#include <iostream>

#include "cli/commands.h"

namespace gaon::cli {
namespace {

namespace json = boost::json;

std::string Gpus(const json::value& n) { return At(n, "allocated.gpus") + "/" + At(n, "capacity.gpus"); }

const std::vector<Column> kNodeColumns = {
    {"NODE", "id"},
    {"ZONE", "zone"},
    {"GPU", "gpu_type"},
    {"STATE", "state", CellKind::kState},
    {"GPUS USED", "", CellKind::kText, false, Gpus},
    {"INSTANCES", "instances"},
    {"HEARTBEAT", "heartbeat_at", CellKind::kAge},
    {"DOWN REASON", "down_reason", CellKind::kText, true},
    {"VCPUS USED", "", CellKind::kText, true,
     [](const json::value& n) { return At(n, "allocated.vcpus") + "/" + At(n, "capacity.vcpus"); }},
    {"LABELS", "labels", CellKind::kLabels, true},
};

// Waits for `state` when --wait was given, then prints the node.
void MaybeWait(Context& ctx, Node n, bool wait, double timeout, std::string_view state) {
  if (wait) {
    WaitOptions w = ctx.Waiting(n.id, state, timeout);
    auto r = ctx.client().WaitForNode(n.id, state, w);
    ctx.DoneWaiting();
    n = Must(std::move(r));
  }
  PrintOne(ctx, ToJson(n), kNodeColumns);
}

void AddNodes(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "nodes", "The region's GPU hosts (operators)", "gaonctl nodes list --state Ready");

  struct List {
    std::string zone, gpu_type, state;
    ListFlags list;
  };
  auto l = std::make_shared<List>();
  auto* list = Command(g, "list", "List nodes with their use", "gaonctl nodes list --zone kr-central-1a -o wide");
  list->add_option("--zone", l->zone, "Only this zone");
  list->add_option("--gpu-type", l->gpu_type, "Only this GPU type");
  list->add_option("--state", l->state, "Ready, Cordoned or Down");
  AddListFlags(list, l->list);
  list->callback([&ctx, l] {
    NodeFilter f{.zone = l->zone, .gpu_type = l->gpu_type, .state = l->state};
    PrintList(ctx, Collect(ctx.client().ListNodes(f, ToListOptions(l->list)), l->list), kNodeColumns);
  });

  auto id = std::make_shared<std::string>();
  auto* get = Command(g, "get", "Show a node", "gaonctl nodes get kr-central-1a-h100-03 -o yaml");
  get->add_option("node", *id, "Node name")->required();
  get->callback([&ctx, id] { PrintOne(ctx, ToJson(Must(ctx.client().GetNode(*id))), kNodeColumns); });

  for (const char* verb : {"cordon", "uncordon"}) {
    const bool cordon = std::string(verb) == "cordon";
    struct Args {
      std::string id;
      bool dry_run = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = Command(g, verb,
                        cordon ? "Stop placing new work on a node; what runs there stays"
                               : "Let a cordoned node take new work again",
                        std::string("gaonctl nodes ") + verb + " kr-central-1a-h100-03");
    cmd->add_option("node", a->id, "Node name")->required();
    AddDryRunFlag(cmd, a->dry_run);
    cmd->callback([&ctx, a, cordon] {
      if (ctx.DryRun(a->dry_run, "POST", "/v1/admin/nodes/" + a->id + (cordon ? ":cordon" : ":uncordon"), nullptr)) {
        return;
      }
      auto n = cordon ? ctx.client().CordonNode(a->id) : ctx.client().UncordonNode(a->id);
      PrintOne(ctx, ToJson(Must(std::move(n))), kNodeColumns);
    });
  }

  struct Drain {
    std::string id, policy = "reschedule";
    bool wait = false, dry_run = false;
    double timeout = 600;
  };
  auto d = std::make_shared<Drain>();
  auto* drain = Command(g, "drain",
                        "Cordon a node and move (reschedule) or stop what runs there; --wait returns once no "
                        "instance is left on it",
                        "gaonctl nodes drain kr-central-1a-h100-03 --policy reschedule --yes --wait");
  drain->add_option("node", d->id, "Node name")->required();
  drain->add_option("--policy", d->policy, "reschedule: place each instance again elsewhere; stop: stop them")
      ->check(CLI::IsMember({"reschedule", "stop"}))
      ->capture_default_str();
  drain->add_flag("--wait", d->wait, "Wait until no instance is placed on the node any more");
  drain->add_option("--wait-timeout", d->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(drain, d->dry_run, "Show what runs there and the request, without sending it");
  drain->callback([&ctx, d] {
    const DrainRequest r{.policy = d->policy};
    if (d->dry_run) {
      Node n = Must(ctx.client().GetNode(d->id));
      ctx.Note("node " + n.id + " is " + n.state + " with " + std::to_string(n.instances) + " instance(s)");
      ctx.DryRun(true, "POST", "/v1/admin/nodes/" + d->id + ":drain", RequestJson(r));
      return;
    }
    ctx.Confirm("Drain node " + d->id + " (" + d->policy + " what runs there)?");
    DrainResult res = Must(ctx.client().DrainNode(d->id, r));
    if (d->wait) {
      WaitOptions w = ctx.Waiting(d->id, "drained", d->timeout);
      auto drained = ctx.client().WaitForNodeDrained(d->id, w);
      ctx.DoneWaiting();
      res.node = Must(std::move(drained));
    }
    if (ctx.output() == OutputFormat::kJson || ctx.output() == OutputFormat::kYaml) {
      PrintValue(ctx, ToJson(res));
      return;
    }
    PrintOne(ctx, ToJson(res.node), kNodeColumns);
    if (ctx.output() != OutputFormat::kName) {
      ctx.Note(std::to_string(res.instances.size()) + " instance(s) to " + d->policy +
               (res.instances.empty() ? "" : ":"));
      for (const auto& i : res.instances) ctx.Note("  " + i);
    }
  });
}

void AddSim(CLI::App& app, Context& ctx) {
  auto* g = Group(app, "sim", "Fault switches and traffic of the simulated fleet (sim driver only; operators)",
                  "gaonctl sim fail kr-central-1a-h100-03 --reason 'PSU fault' --wait");
  struct Fail {
    std::string id, reason = "simulated hardware failure";
    bool wait = false, dry_run = false;
    double timeout = 120;
  };
  auto f = std::make_shared<Fail>();
  auto* fail = Command(g, "fail", "Make a simulated host stop answering; --wait returns once it is Down",
                       "gaonctl sim fail kr-central-1a-h100-03 --reason 'PSU fault' --yes --wait");
  fail->add_option("node", f->id, "Node name")->required();
  fail->add_option("--reason", f->reason, "Recorded in the audit log")->capture_default_str();
  fail->add_flag("--wait", f->wait, "Wait until the controllers mark it Down");
  fail->add_option("--wait-timeout", f->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(fail, f->dry_run);
  fail->callback([&ctx, f] {
    const SimFailRequest r{.reason = f->reason};
    if (ctx.DryRun(f->dry_run, "POST", "/v1/admin/sim/nodes/" + f->id + ":fail", RequestJson(r))) return;
    ctx.Confirm("Fail simulated node " + f->id + "? Its instances will fail.");
    MaybeWait(ctx, Must(ctx.client().SimFailNode(f->id, r)), f->wait, f->timeout, node_states::kDown);
  });

  struct Recover {
    std::string id;
    bool wait = false, dry_run = false;
    double timeout = 120;
  };
  auto rc = std::make_shared<Recover>();
  auto* recover = Command(g, "recover", "Make a failed simulated host answer again; --wait returns once it is Ready",
                          "gaonctl sim recover kr-central-1a-h100-03 --wait");
  recover->add_option("node", rc->id, "Node name")->required();
  recover->add_flag("--wait", rc->wait, "Wait until it is Ready");
  recover->add_option("--wait-timeout", rc->timeout, "Seconds --wait waits at most")->capture_default_str();
  AddDryRunFlag(recover, rc->dry_run);
  recover->callback([&ctx, rc] {
    if (ctx.DryRun(rc->dry_run, "POST", "/v1/admin/sim/nodes/" + rc->id + ":recover", nullptr)) return;
    MaybeWait(ctx, Must(ctx.client().SimRecoverNode(rc->id)), rc->wait, rc->timeout, node_states::kReady);
  });
}

}  // namespace

void AddFleetCommands(CLI::App& app, Context& ctx) {
  AddNodes(app, ctx);
  AddSim(app, ctx);
}

}  // namespace gaon::cli
