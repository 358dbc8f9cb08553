#include <catch2/catch.hpp>

#include "api/context.h"
#include "api/router.h"

using gaon::api::Permission;
using gaon::api::Route;
using gaon::api::Router;

namespace {

gaon::api::Handler Named(std::string name) {
  return [name](gaon::api::RequestContext&) -> gaon::StatusOr<gaon::http::HttpResponse> {
    gaon::http::HttpResponse r;
    r.body = name;
    return r;
  };
}

Router MakeRouter() {
  Router r;
  r.Add({"GET", "/v1/tenants/{tenant}/instances", Permission::kTenantRead, "l", Named("list")});
  r.Add({"POST", "/v1/tenants/{tenant}/instances", Permission::kTenantWrite, "c", Named("create")});
  r.Add({"GET", "/v1/tenants/{tenant}/instances/{instance}", Permission::kTenantRead, "g", Named("get")});
  r.Add({"DELETE", "/v1/tenants/{tenant}/instances/{instance}", Permission::kTenantWrite, "d", Named("delete")});
  r.Add({"POST", "/v1/tenants/{tenant}/instances/{instance}:stop", Permission::kTenantWrite, "s", Named("stop")});
  r.Add({"GET", "/v1/tenants/{tenant}/instances/summary", Permission::kTenantRead, "m", Named("summary")});
  r.Add({"GET", "/healthz", Permission::kPublic, "h", Named("healthz")});
  return r;
}

std::string Param(const Router::Match& m, const std::string& name) {
  for (const auto& [k, v] : m.params) {
    if (k == name) return v;
  }
  return "<none>";
}

}  // namespace

TEST_CASE("router matches literal paths and extracts path parameters", "[router]") {
  Router r = MakeRouter();
  auto m = r.Find("GET", "/v1/tenants/ten_a/instances/inst_b");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->pattern == "/v1/tenants/{tenant}/instances/{instance}");
  CHECK(Param(m, "tenant") == "ten_a");
  CHECK(Param(m, "instance") == "inst_b");
  CHECK(r.Find("GET", "/healthz").route->pattern == "/healthz");
}

TEST_CASE("router prefers literal segments over parameters", "[router]") {
  Router r = MakeRouter();
  auto m = r.Find("GET", "/v1/tenants/ten_a/instances/summary");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->pattern == "/v1/tenants/{tenant}/instances/summary");
}

TEST_CASE("router matches custom actions and never lets a plain parameter swallow one", "[router]") {
  Router r = MakeRouter();
  auto stop = r.Find("POST", "/v1/tenants/ten_a/instances/inst_b:stop");
  REQUIRE(stop.route != nullptr);
  CHECK(stop.route->pattern == "/v1/tenants/{tenant}/instances/{instance}:stop");
  CHECK(Param(stop, "instance") == "inst_b");
  // An unknown action is not an instance id.
  auto unknown = r.Find("GET", "/v1/tenants/ten_a/instances/inst_b:frobnicate");
  CHECK(unknown.route == nullptr);
  CHECK(unknown.allowed.empty());
}

TEST_CASE("router percent-decodes parameters", "[router]") {
  Router r = MakeRouter();
  auto m = r.Find("GET", "/v1/tenants/ten%5Fa/instances");
  REQUIRE(m.route != nullptr);
  CHECK(Param(m, "tenant") == "ten_a");
  CHECK(r.Find("GET", "/v1/tenants/ten%zz/instances").route == nullptr);
}

TEST_CASE("router reports 404 for unknown paths and 405 with the allowed methods", "[router]") {
  Router r = MakeRouter();
  auto missing = r.Find("GET", "/v1/nothing/here");
  CHECK(missing.route == nullptr);
  CHECK(missing.allowed.empty());

  auto wrong = r.Find("PUT", "/v1/tenants/ten_a/instances/inst_b");
  CHECK(wrong.route == nullptr);
  CHECK_THAT(wrong.allowed, Catch::Matchers::UnorderedEquals(std::vector<std::string>{"GET", "DELETE"}));

  // Trailing slashes and empty segments do not match.
  CHECK(r.Find("GET", "/healthz/").route == nullptr);
  CHECK(r.Find("GET", "/v1//instances").route == nullptr);
  CHECK(r.Find("GET", "").route == nullptr);
}

TEST_CASE("a route must name a permission that can be checked against its path", "[router][permissions]") {
  using gaon::api::RoutePermissionProblem;
  // A route built without naming its permission gets kUnset, never kPublic.
  Route unnamed{.method = "GET", .pattern = "/v1/things", .action = "things.list"};
  CHECK(unnamed.permission == Permission::kUnset);
  CHECK(RoutePermissionProblem(unnamed.pattern, unnamed.permission) == "names no permission");
  // A tenant permission needs a {tenant}; a {tenant} needs a tenant permission or operators.
  CHECK_FALSE(RoutePermissionProblem("/v1/things", Permission::kTenantRead).empty());
  CHECK_FALSE(RoutePermissionProblem("/v1/tenants/{tenant}/things", Permission::kAuthenticated).empty());
  CHECK_FALSE(RoutePermissionProblem("/v1/tenants/{tenant}/things", Permission::kPublic).empty());
  CHECK(RoutePermissionProblem("/v1/tenants/{tenant}/things", Permission::kTenantRead).empty());
  CHECK(RoutePermissionProblem("/v1/admin/tenants/{tenant}", Permission::kPlatformAdmin).empty());
  CHECK(RoutePermissionProblem("/v1/me", Permission::kAuthenticated).empty());
}
