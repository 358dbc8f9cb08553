// Helpers for the SDK's tests: a gaon::Client pointed at a TestCloud's gaond.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "gaon/client.h"
#include "tests/support/cloud.h"

namespace gaon::test {

// A client for `address` with `key`, fast retries (so failing tests fail fast), and `tweak`
// applied last.
inline Client SdkClient(const std::string& address, const std::string& key,
                        const std::function<void(ClientOptions&)>& tweak = {}) {
  ClientOptions o;
  o.endpoint = "http://" + address;
  o.api_key = key;
  o.request_timeout = std::chrono::seconds(30);
  o.retry.initial_backoff = std::chrono::milliseconds(20);
  o.retry.max_backoff = std::chrono::milliseconds(200);
  if (tweak) tweak(o);
  auto c = Client::Create(o);
  if (!c.ok()) FAIL("Client::Create: " << c.status().ToString());
  return *c;
}

// The operator's client; operator requests on tenant routes state a reason.
inline Client OperatorClient(TestCloud& cloud) {
  return SdkClient(cloud.address(), cloud.operator_key(), [](ClientOptions& o) { o.operator_reason = "sdk test"; });
}

inline TenantId Tid(const std::string& id) { return TenantId::Parse(id).value(); }

// Asserts `r` is OK, printing the status when not; returns the value.
template <typename T>
T Ok(StatusOr<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline void Ok(const Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// An instance request for the default catalog.
inline Instance InstanceRequest(const std::string& name, const std::string& type = "gpu.h100.1x") {
  Instance i;
  i.name = name;
  i.spec.instance_type = type;
  i.spec.image = "ubuntu-24.04-cuda-12.8";
  return i;
}

// Live instance rows of `tenant`, counted in the database.
inline int LiveInstances(TestCloud& c, const std::string& tenant) {
  return std::stoi(c.db().OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM instances WHERE tenant_id = '" +
                                     tenant + "' AND deleted_at IS NULL"));
}

// A finished usage record of `gpus` H100s for instance `id` in [start, end) (RFC 3339), written
// straight into the database, as if the instance had run then.
inline void InsertUsageRecord(TestCloud& c, const std::string& tenant, const std::string& id, int gpus,
                              const std::string& start, const std::string& end) {
  c.db().OwnerQuery(
      "SET gaon.platform = 'on'; INSERT INTO usage_records (tenant_id, resource_kind, resource_id, run, sku, "
      "gpu_type_id, gpu_count, started_at, ended_at) VALUES ('" + tenant + "', 'instance', '" + id +
      "', 1, 'gpu.x', 'h100-80gb-sxm', " + std::to_string(gpus) + ", '" + start + "', '" + end + "')");
}

}  // namespace gaon::test
