// Open models: the region's catalog (read by everyone, edited by operators) and tenants'
// custom models, whose weights must sit in the region's object storage within the tenant's
// jurisdiction.
#include <boost/json.hpp>

#include "api/catalog_cache.h"
#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/respond.h"
#include "api/validation.h"
#include "core/catalog_loader.h"
#include "gaon/model/inference.h"
#include "storage/models.h"

namespace gaon::api {
namespace {

constexpr int kMaxListItems = 64;

// The fields every model must get right, wherever it comes from; `at` prefixes field names
// ("model." in an operator's create).
void ValidateModel(Validator& v, const Model& m, const std::string& at = "") {
  v.Require(!m.display_name.empty() && m.display_name.size() <= 128, at + "display_name", "invalid",
            "must be 1–128 characters");
  v.Length(at + "publisher", m.publisher, 128);
  v.Length(at + "family", m.family, 64);
  v.Length(at + "license", m.license, 128);
  v.Require(m.parameters_millions > 0 && m.parameters_millions <= 10'000'000, at + "parameters_millions", "out_of_range",
            "must be between 1 and 10000000 (millions of parameters)");
  v.Require(m.min_gpu_memory_gib > 0 && m.min_gpu_memory_gib <= 8 * 1024, at + "min_gpu_memory_gib", "out_of_range",
            "must be between 1 and 8192 GiB");
  v.Require(m.context_length >= 0 && m.context_length <= 10'000'000, at + "context_length", "out_of_range",
            "must be between 0 and 10000000 tokens");
  v.Require(!m.runtimes.empty(), at + "runtimes", "required", "must name at least one of vllm, tgi, triton");
  for (std::size_t i = 0; i < m.runtimes.size(); ++i) {
    v.Require(IsModelRuntime(m.runtimes[i]), at + "runtimes[" + std::to_string(i) + "]", "unknown",
              "'" + m.runtimes[i] + "' is not one of vllm, tgi, triton");
  }
  v.Require(m.languages.size() <= kMaxListItems, at + "languages", "too_many", "at most 64");
  for (std::size_t i = 0; i < m.languages.size(); ++i) {
    const std::string& l = m.languages[i];
    const bool ok = l.size() >= 2 && l.size() <= 35 &&
                    std::all_of(l.begin(), l.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
    v.Require(ok, at + "languages[" + std::to_string(i) + "]", "invalid", "must be a BCP 47 language tag such as ko or th");
  }
  v.Require(m.default_runtime_args.size() <= kMaxListItems, at + "default_runtime_args", "too_many", "at most 64");
  for (std::size_t i = 0; i < m.default_runtime_args.size(); ++i) {
    v.Length(at + "default_runtime_args[" + std::to_string(i) + "]", m.default_runtime_args[i], 256);
  }
  v.Require(m.status == "available" || m.status == "deprecated", at + "status", "invalid", "must be available or deprecated");
}

bool IsCatalogId(const std::string& id) {
  return !id.empty() && id.size() <= 63 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace

Handler ListModels() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    storage::ModelFilter f;
    if (auto v = ctx.request.Query("runtime")) f.runtime = std::string(*v);
    if (auto v = ctx.request.Query("language")) f.language = std::string(*v);
    ASSIGN_OR_RETURN(auto page, storage::ListModels(ctx.Tx(), f, q));
    return PageResponse(std::move(page));
  };
}

Handler GetModel() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Model m, storage::GetModel(ctx.Tx(), std::string(ctx.Param("model"))));
    return Json(200, m);
  };
}

Handler CreateModel() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ModelCreate req, ctx.Body<ModelCreate>());
    Validator v;
    v.Require(IsCatalogId(req.id), "id", "invalid", "must be 1–63 of a-z, 0-9, '-' and '.'");
    v.Require(!req.model.artifact_uri, "model.artifact_uri", "not_allowed",
              "catalog models have no artifact URI (tenants register their own under /v1/tenants/{tenant}/models)");
    ValidateModel(v, req.model, "model.");
    RETURN_IF_ERROR(v.status());
    Model m = req.model;
    m.id = req.id;
    ASSIGN_OR_RETURN(Model created, storage::InsertModel(ctx.Tx(), m));
    ctx.audit = {"model", created.id, boost::json::object{{"model", ToJson(created)}}, std::nullopt};
    return Json(201, created);
  };
}

Handler PatchModel() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ModelPatch patch, ctx.Body<ModelPatch>());
    ASSIGN_OR_RETURN(Model before, storage::GetModel(ctx.Tx(), std::string(ctx.Param("model"))));
    Model after = before;
    if (patch.display_name) after.display_name = *patch.display_name;
    if (patch.license) after.license = *patch.license;
    if (patch.languages) after.languages = *patch.languages;
    if (patch.min_gpu_memory_gib) after.min_gpu_memory_gib = *patch.min_gpu_memory_gib;
    if (patch.runtimes) after.runtimes = *patch.runtimes;
    if (patch.default_runtime_args) after.default_runtime_args = *patch.default_runtime_args;
    if (patch.status) after.status = *patch.status;
    Validator v;
    ValidateModel(v, after);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(Model updated, storage::UpdateModel(ctx.Tx(), after));
    ctx.audit = {"model", updated.id, boost::json::object{{"from", ToJson(before)}, {"to", ToJson(updated)}},
                 std::nullopt};
    return Json(200, updated);
  };
}

Handler CreateCustomModel(const Services& services) {
  return [&services](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Model req, ctx.Body<Model>());
    Validator v;
    ValidateModel(v, req);
    v.Require(req.artifact_uri.has_value() && !req.artifact_uri->empty(), "artifact_uri", "required",
              "a custom model needs the URI of its weights in the region's object storage");
    if (req.artifact_uri) v.Length("artifact_uri", *req.artifact_uri, 1024);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(auto catalog, services.catalog->Get(ctx.Tx()));
    const std::string& uri = *req.artifact_uri;
    const ObjectStorageLocation* where = nullptr;
    for (const auto& loc : catalog->region.object_storage) {
      if (uri.size() > loc.uri_prefix.size() && uri.compare(0, loc.uri_prefix.size(), loc.uri_prefix) == 0) where = &loc;
    }
    if (!where) {
      std::string known;
      for (const auto& loc : catalog->region.object_storage) known += (known.empty() ? "" : ", ") + loc.uri_prefix;
      return InvalidArgument("artifact_uri " + uri + " is not in this region's object storage (" +
                                 (known.empty() ? "none is configured" : known) + ")",
                             "artifact_not_in_object_storage")
          .WithViolations({{"artifact_uri", "not_in_object_storage", "must start with one of: " + known}});
    }
    const std::string& jurisdiction = ctx.principal.tenant.jurisdiction;
    if (where->jurisdiction != jurisdiction) {
      return InvalidArgument("artifact_uri " + uri + " is stored in " + where->jurisdiction + " (" + where->id +
                                 "); tenant " + ctx.tenant->str() + " must keep its data in " + jurisdiction,
                             "artifact_outside_jurisdiction")
          .WithViolations({{"artifact_uri", "outside_jurisdiction",
                            "is stored in " + where->jurisdiction + ", outside the tenant's jurisdiction " +
                                jurisdiction}});
    }
    Model m = req;
    m.id = ModelId::Generate().str();
    m.status = "available";
    ASSIGN_OR_RETURN(Model created, storage::InsertCustomModel(ctx.Tx(), *ctx.tenant, m));
    ctx.audit = {"model", created.id,
                 boost::json::object{{"display_name", created.display_name}, {"artifact_uri", uri}}, std::nullopt};
    http::HttpResponse res = Json(201, created);
    res.Set("Location", "/v1/tenants/" + ctx.tenant->str() + "/models/" + created.id);
    return res;
  };
}

Handler ListCustomModels() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListCustomModels(ctx.Tx(), *ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetCustomModel() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ModelId id, ctx.PathId<ModelId>("model"));
    ASSIGN_OR_RETURN(Model m, storage::GetCustomModel(ctx.Tx(), *ctx.tenant, id));
    return Json(200, m);
  };
}

Handler DeleteCustomModel() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(ModelId id, ctx.PathId<ModelId>("model"));
    RETURN_IF_ERROR(storage::DeleteCustomModel(ctx.Tx(), *ctx.tenant, id));
    ctx.audit = {"model", id.str(), boost::json::object{}, std::nullopt};
    return NoContent();
  };
}

}  // namespace gaon::api
