// The sim driver's Create against the driver contract: idempotent by id, a failed host refuses
// with a retryable host_down and makes nothing, an unknown host is a permanent error.
#include <catch2/catch.hpp>

#include "controller/sim_driver.h"
#include "storage/database.h"
#include "storage/sim.h"
#include "tests/support/test_db.h"

using namespace gaon;

TEST_CASE("the sim driver creates a machine once per id, with an address, and not on a failed host",
          "[pg][controllers][sim]") {
  auto tdb = test::TestDatabase::Create();
  auto db = storage::Database::Create(tdb->Config(), nullptr).value();
  controller::SimDriver driver(*db, {{"h-ok", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048},
                                     {"h-down", "kr-central-1a", "h100-80gb-sxm", 8, 192, 2048}},
                               SimConfig{});
  const auto spec = [](const std::string& node) {
    return controller::MachineSpec{InstanceId::Generate().str(), TenantId::Generate(), node, "gpu.h100.1x",
                                   "ubuntu-24.04-cuda-12.8", 1, 24, 256, ""};
  };
  const auto machines = [&] { return tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM sim_machines"); };

  // Zero provisioning time: running at once, on its host, with an address from the pool.
  const auto on_ok = spec("h-ok");
  const controller::Machine made = driver.Create(on_ok).value();
  CHECK(made.state == controller::MachineState::kRunning);
  CHECK(made.node == "h-ok");
  CHECK(made.ip_address.rfind("10.", 0) == 0);
  // Asked again (a reconcile retried after a crash): the same machine, no second one.
  const controller::Machine again = driver.Create(on_ok).value();
  CHECK(again.ip_address == made.ip_address);
  CHECK(machines() == "1");
  // Another machine gets another address.
  CHECK(driver.Create(spec("h-ok")).value().ip_address != made.ip_address);

  REQUIRE(db->Transact({.platform = true}, [](storage::Tx& tx) {
              return storage::SetSimNodeHealth(tx, "h-down", false);
            }).ok());
  const auto refused = driver.Create(spec("h-down"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().reason() == "host_down");
  CHECK(machines() == "2");

  const auto unknown = driver.Create(spec("h-nowhere"));
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().reason() == "unknown_host");
  CHECK(machines() == "2");
}
