// Leader election: one holder at a time, takeover after expiry with a new token, and the
// fence that refuses a stale leader's writes.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "storage/database.h"
#include "storage/internal/pq.h"
#include "storage/leases.h"
#include "tests/support/gaond_process.h"
#include "tests/support/test_db.h"

using namespace gaon;
using namespace std::chrono_literals;
using storage::Tx;

TEST_CASE("a lease has one holder, an expired one is taken with a new token and fences the old holder",
          "[pg][controllers][lease]") {
  auto tdb = test::TestDatabase::Create();
  auto db = storage::Database::Create(tdb->Config(), nullptr).value();
  const auto a = storage::AcquireOrRenewLease(*db, "controllers", "a", 400ms).value();
  REQUIRE(a.has_value());
  CHECK_FALSE(storage::AcquireOrRenewLease(*db, "controllers", "b", 400ms).value().has_value());
  CHECK(storage::AcquireOrRenewLease(*db, "controllers", "a", 400ms).value() == a);  // renewal keeps the token

  // A write fenced by a's token commits while a holds the lease.
  const auto fenced_write = [&](std::int64_t token, const std::string& holder) {
    return db->Transact({.platform = true}, [&](Tx& tx) {
      storage::CheckFence(tx, {"controllers", token});
      storage::ExecRaw(tx, "UPDATE leases SET holder = holder WHERE name = 'controllers'");
      storage::ExecRaw(tx, "INSERT INTO sim_nodes (node_id) VALUES ('written-by-" + holder + "')");
      return Status::Ok();
    });
  };
  REQUIRE(fenced_write(*a, "a").ok());

  std::this_thread::sleep_for(500ms);  // a stops renewing: the lease expires
  const Status expired = fenced_write(*a, "a-late");
  CHECK(expired.reason() == "lease_lost");  // even before anyone took over
  const auto b = storage::AcquireOrRenewLease(*db, "controllers", "b", 10s).value();
  REQUIRE(b.has_value());
  CHECK(*b == *a + 1);
  CHECK_FALSE(storage::AcquireOrRenewLease(*db, "controllers", "a", 400ms).value().has_value());
  CHECK(fenced_write(*a, "a-stale").reason() == "lease_lost");
  REQUIRE(fenced_write(*b, "b").ok());
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT string_agg(node_id, ',' ORDER BY node_id) FROM sim_nodes") ==
        "written-by-a,written-by-b");

  // The fence reads the token after its lock is granted; a REPEATABLE READ transaction would
  // read it in a snapshot from before the wait, so the fence refuses to run in one.
  const Status repeatable = db->Transact({.platform = true, .isolation = storage::Isolation::kRepeatableRead},
                                         [&](Tx& tx) {
                                           storage::CheckFence(tx, {"controllers", *b});
                                           storage::ExecRaw(tx, "INSERT INTO sim_nodes (node_id) VALUES ('rr')");
                                           return Status::Ok();
                                         });
  CHECK_FALSE(repeatable.ok());
  CHECK_THAT(repeatable.message(), Catch::Contains("READ COMMITTED"));
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM sim_nodes WHERE node_id = 'rr'") == "0");

  // A clean release hands over at once.
  REQUIRE(storage::ReleaseLease(*db, "controllers", "b").ok());
  CHECK(storage::AcquireOrRenewLease(*db, "controllers", "c", 10s).value() == *b + 1);
}

TEST_CASE("the holder renews past fenced writes in flight, and a takeover waits for them",
          "[pg][controllers][lease]") {
  auto tdb = test::TestDatabase::Create();
  auto db = storage::Database::Create(tdb->Config(), nullptr).value();
  const auto a = storage::AcquireOrRenewLease(*db, "controllers", "a", 10s).value();
  REQUIRE(a.has_value());

  // A fenced write of a's that holds its fence (a shared lock on the lease) for a while.
  // Its outcome is checked on this thread, after the join: Catch's assertions are not
  // thread-safe.
  std::atomic<bool> fenced{false}, finished{false};
  Status written;
  const auto slow_write = [&](std::chrono::milliseconds hold, const std::string& node) {
    return std::jthread([&, hold, node] {
      written = db->Transact({.platform = true}, [&](Tx& tx) {
        storage::CheckFence(tx, {"controllers", *a});
        storage::ExecRaw(tx, "INSERT INTO sim_nodes (node_id) VALUES ('" + node + "')");
        fenced = true;
        std::this_thread::sleep_for(hold);
        return Status::Ok();
      });
      finished = true;
    });
  };

  // The renewal goes through while the write is still in flight.
  std::jthread first = slow_write(2s, "first");
  REQUIRE(test::WaitUntil([&] { return fenced.load(); }));
  CHECK(storage::AcquireOrRenewLease(*db, "controllers", "a", 10s).value() == a);
  CHECK_FALSE(finished.load());
  first.join();
  CHECK(written.ok());

  // A takeover of the expired lease waits until the write that passed the fence has committed:
  // when b holds the new token, the old term's last write is already there.
  fenced = finished = false;
  CHECK(storage::AcquireOrRenewLease(*db, "controllers", "a", 300ms).value() == a);
  std::jthread last = slow_write(1s, "last");
  REQUIRE(test::WaitUntil([&] { return fenced.load(); }));
  std::this_thread::sleep_for(400ms);  // the lease has expired; the write is still in flight
  const auto b = storage::AcquireOrRenewLease(*db, "controllers", "b", 10s).value();
  REQUIRE(b.has_value());
  CHECK(*b == *a + 1);
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM sim_nodes WHERE node_id = 'last'") == "1");
  last.join();
  CHECK(written.ok());
}
