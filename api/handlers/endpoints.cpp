// Inference endpoints: admission (validation against the model catalog, data residency, the
// endpoints quota), reads, spec changes as revisions, deletion; the simulated data plane's
// OpenAI-compatible chat completions; and the operator's simulated traffic. Handlers write
// desired state and a change record; the controllers roll it out.
#include <boost/json.hpp>

#include <algorithm>
#include <random>
#include <sstream>

#include "api/catalog_cache.h"
#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/problem.h"
#include "api/respond.h"
#include "api/services.h"
#include "api/validation.h"
#include "core/config.h"
#include "core/crypto.h"
#include "storage/billing.h"
#include "storage/changes.h"
#include "storage/endpoints.h"
#include "storage/models.h"
#include "storage/quotas.h"
#include "storage/sim.h"

namespace gaon::api {
namespace {

constexpr int kMaxReplicas = 64;
constexpr int kMaxCompletionTokens = 256;

// How clients reach this API: the configured public URL, else what the caller used.
std::string BaseUrl(const Services& services, const RequestContext& ctx) {
  if (!services.config->server.public_url.empty()) {
    std::string u = services.config->server.public_url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  }
  std::string host(ctx.request.Header("Host").value_or("localhost"));
  const bool sane = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
  if (!sane) host = "localhost";
  return std::string(ctx.request.tls ? "https://" : "http://") + host;
}

Endpoint WithUrl(Endpoint e, const Services& services, const RequestContext& ctx) {
  if (!e.deleted_at) e.status.url = BaseUrl(services, ctx) + "/v1/tenants/" + e.tenant_id.str() + "/endpoints/" + e.id.str();
  return e;
}

http::HttpResponse EndpointResponse(int status, const Endpoint& e) {
  http::HttpResponse res = Json(status, e);
  res.Set("Location", "/v1/tenants/" + e.tenant_id.str() + "/endpoints/" + e.id.str());
  return WithEtag(res, e.resource_version);
}

Status Record(storage::Tx& tx, const Endpoint& e, const char* type) {
  return storage::RecordChange(tx, e.tenant_id, "endpoint", e.id.str(), type, e.resource_version, ToJson(e));
}

// Every field of a spec, against the catalog and the model it names; collects all problems.
Status ValidateSpec(RequestContext& ctx, const CatalogSnapshot& catalog, const EndpointSpec& s) {
  Validator v;
  auto model = storage::ResolveModel(ctx.Tx(), *ctx.tenant, s.model);
  v.Require(model.ok(), "spec.model", "unknown",
            "'" + s.model + "' is neither a model of this region (GET /v1/models) nor a custom model of this tenant");
  if (model.ok()) {
    v.Require(model->status == "available", "spec.model", "deprecated", "'" + s.model + "' takes no new endpoints");
    const bool runtime_ok = std::find(model->runtimes.begin(), model->runtimes.end(), s.runtime) != model->runtimes.end();
    std::string runtimes;
    for (const auto& r : model->runtimes) runtimes += (runtimes.empty() ? "" : ", ") + r;
    v.Require(runtime_ok, "spec.runtime", "unsupported", "'" + s.model + "' runs on " + runtimes + ", not '" + s.runtime + "'");
  }
  v.Require(!s.runtime_version.empty() && s.runtime_version.size() <= 64, "spec.runtime_version", "invalid",
            "must be 1–64 characters");
  v.Require(s.runtime_args.size() <= 64, "spec.runtime_args", "too_many", "at most 64 arguments");
  for (std::size_t i = 0; i < s.runtime_args.size(); ++i) {
    v.Length("spec.runtime_args[" + std::to_string(i) + "]", s.runtime_args[i], 256);
  }
  const auto gpu = catalog.gpu_types.find(s.gpu_type);
  v.Require(gpu != catalog.gpu_types.end(), "spec.gpu_type", "unknown",
            "'" + s.gpu_type + "' is not a GPU type of this region (GET /v1/gpu-types)");
  const bool tp_ok = s.gpus_per_replica == 1 || s.gpus_per_replica == 2 || s.gpus_per_replica == 4 ||
                     s.gpus_per_replica == 8;
  v.Require(tp_ok, "spec.gpus_per_replica", "invalid", "tensor parallelism takes 1, 2, 4 or 8 GPUs per replica");
  if (gpu != catalog.gpu_types.end() && tp_ok) {
    const bool shape = std::any_of(catalog.instance_types.begin(), catalog.instance_types.end(), [&](const auto& t) {
      return t.second.gpu_type == s.gpu_type && t.second.gpu_count == s.gpus_per_replica;
    });
    v.Require(shape, "spec.gpus_per_replica", "unavailable",
              "the region has no " + std::to_string(s.gpus_per_replica) + "-GPU " + s.gpu_type + " shape");
    if (model.ok()) {
      const int memory = gpu->second.memory_gib * s.gpus_per_replica;
      v.Require(memory >= model->min_gpu_memory_gib, "spec.gpus_per_replica", "insufficient_memory",
                std::to_string(s.gpus_per_replica) + " x " + s.gpu_type + " has " + std::to_string(memory) +
                    " GiB; '" + s.model + "' needs " + std::to_string(model->min_gpu_memory_gib) +
                    " GiB per replica — use more GPUs per replica or a larger GPU");
    }
  }
  v.Require(s.min_replicas >= 0 && s.min_replicas <= kMaxReplicas, "spec.min_replicas", "out_of_range",
            "must be between 0 and " + std::to_string(kMaxReplicas));
  v.Require(s.max_replicas >= 1 && s.max_replicas <= kMaxReplicas, "spec.max_replicas", "out_of_range",
            "must be between 1 and " + std::to_string(kMaxReplicas));
  v.Require(s.min_replicas <= s.max_replicas, "spec.min_replicas", "above_max", "must not exceed max_replicas");
  v.Require(s.autoscaling.metric == "concurrency" || s.autoscaling.metric == "rps", "spec.autoscaling.metric",
            "invalid", "must be concurrency or rps");
  v.Require(s.autoscaling.target >= 1 && s.autoscaling.target <= 10000, "spec.autoscaling.target", "out_of_range",
            "must be between 1 and 10000 per replica");
  v.Require(s.autoscaling.scale_to_zero_after_seconds >= 1 && s.autoscaling.scale_to_zero_after_seconds <= 7 * 86400,
            "spec.autoscaling.scale_to_zero_after_seconds", "out_of_range", "must be between 1 s and 7 days");
  if (s.zone) {
    const Zone* zone = catalog.FindZone(*s.zone);
    v.Require(zone != nullptr, "spec.zone", "unknown", "'" + *s.zone + "' is not a zone of " + catalog.region.id);
  }
  if (s.canary_percent) {
    v.Require(*s.canary_percent >= 1 && *s.canary_percent <= 99, "spec.canary_percent", "out_of_range",
              "must be between 1 and 99 (omit it to replace the serving revision completely)");
  }
  return v.status();
}

Status CheckResidency(const RequestContext& ctx, const CatalogSnapshot& catalog) {
  const std::string& jurisdiction = ctx.principal.tenant.jurisdiction;
  if (catalog.region.jurisdiction == jurisdiction) return Status::Ok();
  return PermissionDenied("tenant " + ctx.tenant->str() + " must keep its workloads in " + jurisdiction + "; region " +
                              catalog.region.id + " is in " + catalog.region.jurisdiction,
                          "residency_violation");
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The simulated runtime's answer: placeholder text, clearly marked, of at most `max_tokens`
// words. Tokens are counted as whitespace-separated words (plus 4 per message of framing):
// a simulation, not a tokenizer.
ChatCompletion Simulate(const Endpoint& e, const ChatCompletionRequest& req, int revision) {
  ChatCompletion c;
  c.id = "chatcmpl-" + RandomToken(12);
  c.created = std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  c.model = e.spec.model;
  c.system_fingerprint = "gaon-sim-r" + std::to_string(revision);
  for (const auto& m : req.messages) c.usage.prompt_tokens += static_cast<std::int64_t>(Words(m.content).size()) + 4;
  const std::string last = req.messages.empty() ? std::string() : req.messages.back().content;
  std::string text = "[simulated response from Gaon's sim data plane: no model ran] Endpoint " + e.name + " (" +
                     e.spec.model + ", revision " + std::to_string(revision) + ") received " +
                     std::to_string(Words(last).size()) + " words.";
  const int limit = std::min(req.max_tokens.value_or(kMaxCompletionTokens), kMaxCompletionTokens);
  auto words = Words(text);
  const bool cut = static_cast<int>(words.size()) > limit;
  if (cut) words.resize(static_cast<std::size_t>(limit));
  text.clear();
  for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
  c.usage.completion_tokens = static_cast<std::int64_t>(words.size());
  c.usage.total_tokens = c.usage.prompt_tokens + c.usage.completion_tokens;
  c.choices.push_back({0, {"assistant", text}, cut ? "length" : "stop"});
  return c;
}

// Which revision answers: by the endpoint's traffic split.
int PickRevision(const EndpointStatus& s) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  int roll = std::uniform_int_distribution<int>(0, 99)(rng);
  for (const auto& t : s.traffic) {
    if (roll < t.percent) return t.revision;
    roll -= t.percent;
  }
  return s.traffic.empty() ? s.current_revision : s.traffic.back().revision;
}

http::HttpResponse Unavailable503(const RequestContext& ctx, const std::string& code, const std::string& message,
                                  int retry_after) {
  http::HttpResponse res = ProblemResponse(Unavailable(message, code), ctx.request.request_id);
  res.Set("Retry-After", std::to_string(retry_after));
  return res;
}

}  // namespace

Handler CreateEndpoint(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Endpoint req, ctx.Body<Endpoint>());
    storage::Tx& tx = ctx.Tx();
    ASSIGN_OR_RETURN(auto catalog, services.catalog->Get(tx));
    Validator names;
    names.Name("name", req.name);
    names.Labels("labels", req.labels);
    RETURN_IF_ERROR(names.status());
    RETURN_IF_ERROR(ValidateSpec(ctx, *catalog, req.spec));
    RETURN_IF_ERROR(CheckResidency(ctx, *catalog));
    // A prepaid tenant launches only while its credit covers the month so far. Exact
    // admission of the endpoint itself; its replicas are admitted against the gpus quota one
    // by one as the controller creates them (a refusal then shows as QuotaLimited). Both
    // statements travel in one round trip and are checked in this order.
    auto prepaid = storage::QueueCheckPrepaid(tx, *ctx.tenant);
    auto admission = storage::QueueAdmit(tx, *ctx.tenant, {{"endpoints", 1}});
    RETURN_IF_ERROR(prepaid.Get());
    RETURN_IF_ERROR(admission.Get());
    Endpoint e = req;
    e.id = EndpointId::Generate();
    e.tenant_id = *ctx.tenant;
    e.status = EndpointStatus{};
    e.status.desired_replicas = std::max(1, req.spec.min_replicas);
    e.status.conditions = {Condition{"Ready", "False", "Deploying", "waiting for the controllers", Now(), 1}};
    ASSIGN_OR_RETURN(Endpoint created, storage::InsertEndpoint(tx, e));
    RETURN_IF_ERROR(Record(tx, created, "ADDED"));
    ctx.audit = {"endpoint", created.id.str(),
                 boost::json::object{{"name", created.name}, {"spec", ToJson(created.spec)}}, std::nullopt};
    return EndpointResponse(202, WithUrl(created, services, ctx));
  };
}

Handler ListEndpoints(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams(RequestContext::Labels::kFilter));
    storage::EndpointFilter f;
    if (auto v = ctx.request.Query("phase")) f.phase = std::string(*v);
    if (auto v = ctx.request.Query("include_deleted")) f.include_deleted = *v == "true";
    ASSIGN_OR_RETURN(auto page, storage::ListEndpoints(ctx.Tx(), *ctx.tenant, f, q));
    for (auto& e : page.items) e = WithUrl(std::move(e), services, ctx);
    return PageResponse(std::move(page));
  };
}

Handler GetEndpoint(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    ASSIGN_OR_RETURN(Endpoint e, storage::GetEndpoint(ctx.Tx(), *ctx.tenant, id, /*include_deleted=*/true));
    http::HttpResponse res = Json(200, WithUrl(e, services, ctx));
    return WithEtag(res, e.resource_version);
  };
}

Handler PatchEndpoint(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    ASSIGN_OR_RETURN(EndpointPatch patch, ctx.Body<EndpointPatch>());
    ASSIGN_OR_RETURN(Endpoint before, storage::GetEndpoint(ctx.Tx(), *ctx.tenant, id));
    RETURN_IF_ERROR(ctx.CheckIfMatch("endpoint " + id.str(), before.resource_version));
    Endpoint after = before;
    Validator v;
    if (patch.name) {
      after.name = *patch.name;
      v.Name("name", after.name);
    }
    if (patch.labels) {
      v.MergeLabels(*patch.labels, after.labels);
      v.Labels("labels", after.labels);
    }
    RETURN_IF_ERROR(v.status());
    bool new_revision = false;
    if (patch.spec) {
      // JSON merge patch (RFC 7396) of the spec: members replace, null removes (the default).
      boost::json::object merged = ToJson(before.spec).as_object();
      for (const auto& [k, val] : *patch.spec) {
        if (val.is_null()) {
          merged.erase(k);
        } else if (val.is_object() && merged.contains(k) && merged[k].is_object()) {
          auto& inner = merged[k].as_object();
          for (const auto& [ik, iv] : val.as_object()) {
            if (iv.is_null()) {
              inner.erase(ik);
            } else {
              inner[ik] = iv;
            }
          }
        } else {
          merged[k] = val;
        }
      }
      auto spec = FromJson<EndpointSpec>(merged, ReadMode::kStrict);
      if (!spec.ok()) {
        std::vector<FieldViolation> prefixed;
        for (auto f : spec.status().violations()) {
          f.field = "spec." + f.field;
          prefixed.push_back(f);
        }
        return spec.status().WithViolations(prefixed);
      }
      ASSIGN_OR_RETURN(auto catalog, services.catalog->Get(ctx.Tx()));
      RETURN_IF_ERROR(ValidateSpec(ctx, *catalog, *spec));
      new_revision = ToJsonText(*spec) != ToJsonText(before.spec);
      after.spec = *spec;
    }
    ASSIGN_OR_RETURN(Endpoint updated, storage::UpdateEndpoint(ctx.Tx(), after, before.resource_version, new_revision));
    RETURN_IF_ERROR(Record(ctx.Tx(), updated, "MODIFIED"));
    boost::json::object changes;
    if (before.name != updated.name) changes["name"] = boost::json::object{{"from", before.name}, {"to", updated.name}};
    if (before.labels != updated.labels) {
      changes["labels"] = boost::json::object{{"from", ToJson(before.labels)}, {"to", ToJson(updated.labels)}};
    }
    if (new_revision) {
      changes["spec"] = boost::json::object{{"from", ToJson(before.spec)}, {"to", ToJson(updated.spec)}};
      changes["revision"] = updated.status.latest_revision;
    }
    ctx.audit = {"endpoint", id.str(), std::move(changes), std::nullopt};
    http::HttpResponse res = Json(200, WithUrl(updated, services, ctx));
    return WithEtag(res, updated.resource_version);
  };
}

Handler DeleteEndpoint(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    bool changed = false;
    ASSIGN_OR_RETURN(Endpoint e, storage::RequestEndpointDeletion(ctx.Tx(), *ctx.tenant, id, &changed));
    if (changed) RETURN_IF_ERROR(Record(ctx.Tx(), e, "MODIFIED"));
    ctx.audit = {"endpoint", id.str(), boost::json::object{{"changed", changed}}, std::nullopt};
    return EndpointResponse(202, WithUrl(e, services, ctx));
  };
}

Handler ListEndpointRevisions() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    RETURN_IF_ERROR(storage::GetEndpoint(ctx.Tx(), *ctx.tenant, id, true).status());
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    RETURN_IF_ERROR(PageSeq(q).status());
    ASSIGN_OR_RETURN(auto page, storage::ListRevisions(ctx.Tx(), *ctx.tenant, id, q));
    return PageResponse(std::move(page));
  };
}

Handler ListEndpointReplicas() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    RETURN_IF_ERROR(storage::GetEndpoint(ctx.Tx(), *ctx.tenant, id, true).status());
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    const bool gone = ctx.request.Query("include_terminated").value_or("false") == "true";
    ASSIGN_OR_RETURN(auto page, storage::ListReplicas(ctx.Tx(), *ctx.tenant, id, gone, q));
    return PageResponse(std::move(page));
  };
}

Handler ChatCompletions() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    ASSIGN_OR_RETURN(ChatCompletionRequest req, ctx.Body<ChatCompletionRequest>());
    Validator v;
    v.Require(!req.messages.empty() && req.messages.size() <= 256, "messages", "invalid", "must hold 1–256 messages");
    for (std::size_t i = 0; i < req.messages.size(); ++i) {
      const auto& r = req.messages[i].role;
      v.Require(r == "system" || r == "user" || r == "assistant", "messages[" + std::to_string(i) + "].role",
                "invalid", "must be system, user or assistant");
    }
    v.Require(!req.stream.value_or(false), "stream", "unsupported", "streaming is not supported by the simulated runtime");
    if (req.max_tokens) v.Require(*req.max_tokens >= 1, "max_tokens", "out_of_range", "must be at least 1");
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Endpoint e, storage::GetEndpoint(ctx.Tx(), *ctx.tenant, id));
    if (req.model && *req.model != e.spec.model && *req.model != e.name) {
      return ValidationFailed({{"model", "mismatch", "this endpoint serves " + e.spec.model}});
    }
    if (e.deletion_requested_at) return NotFound("endpoint " + id.str() + " is being deleted", "endpoint_deleting");
    // Come back within the idle period, or a woken endpoint could fall asleep again first.
    const int retry_after = std::clamp(e.spec.autoscaling.scale_to_zero_after_seconds, 1, 10);
    const bool asleep = e.status.phase == "ScaledToZero" || (e.status.ready_replicas == 0 && e.status.desired_replicas == 0);
    // Every request counts as activity (it delays scale-to-zero) and wakes a sleeping endpoint.
    ASSIGN_OR_RETURN(Endpoint touched, storage::TouchEndpoint(ctx.Tx(), *ctx.tenant, id, asleep));
    if (asleep) {
      RETURN_IF_ERROR(Record(ctx.Tx(), touched, "MODIFIED"));
      return Unavailable503(ctx, "endpoint_scaled_to_zero",
                            "endpoint " + id.str() + " was scaled to zero and is waking up; retry shortly", retry_after);
    }
    if (e.status.ready_replicas == 0 || e.status.traffic.empty()) {
      return Unavailable503(ctx, "endpoint_not_ready", "endpoint " + id.str() + " has no ready replica yet",
                            std::min(retry_after, 5));
    }
    const int revision = PickRevision(e.status);
    const ChatCompletion c = Simulate(e, req, revision);
    const boost::json::object attrs{{"model", e.spec.model}, {"revision", revision}};
    std::vector<storage::UsageEvent> events = {
        {*ctx.tenant, "endpoint", c.id + "/input", "tokens-input", c.usage.prompt_tokens, "endpoint", id.str(), attrs,
         Now()},
        {*ctx.tenant, "endpoint", c.id + "/output", "tokens-output", c.usage.completion_tokens, "endpoint", id.str(),
         attrs, Now()},
    };
    RETURN_IF_ERROR(storage::InsertUsageEvents(ctx.Tx(), events).status());
    http::HttpResponse res = Json(200, c);
    res.Set("X-Gaon-Simulated", "true");
    res.Set("X-Gaon-Revision", std::to_string(revision));
    return res;
  };
}

Handler SetSimEndpointTraffic() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    ASSIGN_OR_RETURN(SimEndpointProfile req, ctx.Body<SimEndpointProfile>());
    Validator v;
    v.Require(req.concurrency >= 0 && req.concurrency <= 1'000'000, "concurrency", "out_of_range", "must be 0–1000000");
    v.Require(req.requests_per_second >= 0 && req.requests_per_second <= 1'000'000, "requests_per_second",
              "out_of_range", "must be 0–1000000");
    if (req.duration_seconds) {
      v.Require(*req.duration_seconds >= 1 && *req.duration_seconds <= 7 * 86400, "duration_seconds", "out_of_range",
                "must be between 1 s and 7 days");
    }
    v.Require(req.failing_revisions.size() <= 64, "failing_revisions", "too_many", "at most 64");
    RETURN_IF_ERROR(v.status());
    RETURN_IF_ERROR(storage::EndpointTenant(ctx.Tx(), id).status());
    storage::SimTraffic t{req.concurrency, req.requests_per_second, std::nullopt, req.failing_revisions};
    if (req.duration_seconds) t.until = Now() + std::chrono::seconds(*req.duration_seconds);
    RETURN_IF_ERROR(storage::SetSimTraffic(ctx.Tx(), id.str(), t));
    req.until = t.until;
    ctx.audit = {"endpoint", id.str(), boost::json::object{{"sim_traffic", ToJson(req)}}, std::nullopt};
    return Json(200, req);
  };
}

Handler ClearSimEndpointTraffic() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(EndpointId id, ctx.PathId<EndpointId>("endpoint"));
    RETURN_IF_ERROR(storage::DeleteSimTraffic(ctx.Tx(), id.str()));
    ctx.audit = {"endpoint", id.str(), boost::json::object{{"sim_traffic", nullptr}}, std::nullopt};
    return NoContent();
  };
}

}  // namespace gaon::api
