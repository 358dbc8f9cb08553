#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "api/problem.h"

using namespace gaon;

TEST_CASE("problem+json carries type, title, status, detail, code and request id", "[problem]") {
  auto res = api::ProblemResponse(NotFound("instance inst_x not found"), "req_123");
  CHECK(res.status == 404);
  CHECK(res.content_type == "application/problem+json");
  auto o = boost::json::parse(res.body).as_object();
  CHECK(o.at("type").as_string() == "urn:gaon:problem:not_found");
  CHECK(o.at("title").as_string() == "Not found");
  CHECK(o.at("status").as_int64() == 404);
  CHECK(o.at("detail").as_string() == "instance inst_x not found");
  CHECK(o.at("code").as_string() == "not_found");
  CHECK(o.at("request_id").as_string() == "req_123");
  CHECK_FALSE(o.contains("errors"));
}

TEST_CASE("validation problems list every field error", "[problem]") {
  Status s = ValidationFailed({{"name", "required", "name is required"}, {"zone", "unknown", "no such zone"}});
  auto res = api::ProblemResponse(s, "req_1");
  CHECK(res.status == 400);
  auto o = boost::json::parse(res.body).as_object();
  CHECK(o.at("code").as_string() == "validation_failed");
  auto errors = o.at("errors").as_array();
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].at("field").as_string() == "name");
  CHECK(errors[0].at("code").as_string() == "required");
  CHECK(errors[1].at("field").as_string() == "zone");
}

TEST_CASE("problem extras become members and reasons pick the HTTP status", "[problem]") {
  Status quota = FailedPrecondition("over quota", "quota_exceeded").WithExtra("limit", "10").WithExtra("dimension", "\"gpus\"");
  auto res = api::ProblemResponse(quota, "r");
  CHECK(res.status == 409);
  auto o = boost::json::parse(res.body).as_object();
  CHECK(o.at("limit").as_int64() == 10);
  CHECK(o.at("dimension").as_string() == "gpus");

  CHECK(api::HttpStatusFor(FailedPrecondition("etag", "precondition_failed")) == 412);
  CHECK(api::HttpStatusFor(InvalidArgument("reuse", "idempotency_key_reused")) == 422);
  CHECK(api::HttpStatusFor(Unauthenticated("who")) == 401);
  CHECK(api::HttpStatusFor(PermissionDenied("no")) == 403);
  CHECK(api::HttpStatusFor(ResourceExhausted("slow down", "rate_limited")) == 429);
  CHECK(api::HttpStatusFor(Unavailable("db")) == 503);
  CHECK(api::HttpStatusFor(Internal("bug")) == 500);
  CHECK(api::HttpStatusFor(Internal("x").WithHttpStatus(418)) == 418);
}
