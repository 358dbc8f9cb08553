#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "storage/audit.h"
#include "storage/changes.h"
#include "storage/database.h"
#include "storage/idempotency.h"
#include "storage/internal/pq.h"
#include "tests/support/gaond_process.h"
#include "tests/support/test_db.h"

using namespace gaon;
using storage::Database;
using storage::Tx;
using storage::TxOptions;

TEST_CASE("a transaction commits when its function succeeds and rolls back when it fails", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE notes (id int PRIMARY KEY, body text); GRANT SELECT, INSERT ON notes TO gaon_app");
  auto db = Database::Create(tdb->Config(), nullptr).value();
  REQUIRE(db->Transact({}, [](Tx& tx) {
              storage::ExecRaw(tx, "INSERT INTO notes VALUES (1, 'kept')");
              return Status::Ok();
            }).ok());
  Status s = db->Transact({}, [](Tx& tx) {
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (2, 'dropped')");
    return InvalidArgument("changed my mind");
  });
  CHECK(s.reason() == "invalid_argument");
  CHECK(tdb->OwnerQuery("SELECT string_agg(body, ',') FROM notes") == "kept");
}

TEST_CASE("database errors become statuses and a swallowed error never commits", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE notes (id int PRIMARY KEY); GRANT SELECT, INSERT ON notes TO gaon_app");
  auto db = Database::Create(tdb->Config(), nullptr).value();
  Status dup = db->Transact({}, [](Tx& tx) {
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (1)");
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (1)");
    return Status::Ok();
  });
  CHECK(dup.code() == StatusCode::kAlreadyExists);
  Status swallowed = db->Transact({}, [](Tx& tx) {
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (2)");
    try {
      storage::ExecRaw(tx, "SELECT no_such_column FROM notes");
    } catch (const std::exception&) {
    }
    return Status::Ok();
  });
  CHECK(swallowed.reason() == "transaction_failed");
  CHECK(tdb->OwnerQuery("SELECT count(*) FROM notes") == "0");
}

TEST_CASE("statements queued for the commit are committed with it, or fail it", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE notes (id int PRIMARY KEY, body text); GRANT SELECT, INSERT ON notes TO gaon_app");
  auto db = Database::Create(tdb->Config(), nullptr).value();
  constexpr storage::Sql kInsert{"test.insert_note", "INSERT INTO notes VALUES ($1, $2)"};
  // Queued alone: BEGIN, the statement and COMMIT go out together. The same statement queued
  // twice on a connection that never ran it is prepared once (a scheduler pass records many
  // changes in one batch).
  REQUIRE(db->Transact({}, [&](Tx& tx) {
    storage::ExecLater(tx, kInsert, 1, "queued");
    storage::ExecLater(tx, kInsert, 10, "queued too");
    return Status::Ok();
  }).ok());
  CHECK(tdb->OwnerQuery("SELECT body FROM notes WHERE id = 1") == "queued");
  CHECK(tdb->OwnerQuery("DELETE FROM notes WHERE id = 10 RETURNING body") == "queued too");
  // A queued statement that fails at COMMIT fails the transaction and keeps nothing of it.
  Status s = db->Transact({}, [&](Tx& tx) {
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (2, 'first')");
    storage::ExecLater(tx, kInsert, 1, "duplicate");
    return Status::Ok();
  });
  CHECK(s.code() == StatusCode::kAlreadyExists);
  CHECK(tdb->OwnerQuery("SELECT count(*) FROM notes") == "1");
  // A queued statement goes out with the next statement, whose caller sees its failure.
  s = db->Transact({}, [&](Tx& tx) {
    storage::ExecLater(tx, kInsert, 1, "duplicate");
    storage::ExecRaw(tx, "INSERT INTO notes VALUES (3, 'after')");
    return Status::Ok();
  });
  CHECK(s.code() == StatusCode::kAlreadyExists);
  CHECK(tdb->OwnerQuery("SELECT count(*) FROM notes") == "1");
  // The connection is still good afterwards.
  CHECK(db->Ping().ok());
}

TEST_CASE("deferred reads travel together and answer in order, and one's failure is never another's",
          "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE notes (id int PRIMARY KEY, body text); GRANT SELECT, INSERT ON notes TO gaon_app;"
                  "INSERT INTO notes VALUES (1, 'one'), (2, 'two')");
  auto db = Database::Create(tdb->Config(), nullptr).value();
  constexpr storage::Sql kGet{"test.get_note", "SELECT body FROM notes WHERE id = $1"};
  constexpr storage::Sql kInsert{"test.insert_note", "INSERT INTO notes VALUES ($1, $2)"};
  REQUIRE(db->Transact({}, [&](Tx& tx) {
    auto one = storage::ExecDeferred(tx, kGet, 1);
    auto two = storage::ExecDeferred(tx, kGet, 2);
    auto none = storage::ExecDeferred(tx, kGet, 3);
    CHECK(std::string(two.Rows()[0][0].c_str()) == "two");  // asking for one sends them all
    CHECK(std::string(one.Rows()[0][0].c_str()) == "one");
    CHECK(none.Rows().empty());
    auto later = storage::ExecDeferred(tx, kGet, 1);  // queued after the others went
    CHECK(storage::ExecRaw(tx, "SELECT 7")[0][0].as<int>() == 7);
    CHECK(std::string(later.Rows()[0][0].c_str()) == "one");
    return Status::Ok();
  }).ok());
  // A deferred insert that hits a key fails the statement it travelled with as a plain
  // SqlError: its caller, catching UniqueViolation for its own statement, must not take it.
  bool unique = false, other = false;
  Status s = db->Transact({}, [&](Tx& tx) {
    auto dup = storage::ExecDeferred(tx, kInsert, 1, "duplicate");
    try {
      storage::ExecRaw(tx, "INSERT INTO notes VALUES (5, 'five')");
    } catch (const storage::UniqueViolation&) {
      unique = true;
    } catch (const storage::SqlError&) {
      other = true;
    }
    return Status::Ok();
  });
  CHECK_FALSE(unique);
  CHECK(other);
  CHECK_FALSE(s.ok());  // and the transaction does not commit
  CHECK(tdb->OwnerQuery("SELECT count(*) FROM notes") == "2");
}

TEST_CASE("a change or audit record without its head fails the transaction", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  auto db = Database::Create(tdb->Config(), nullptr).value();
  const TenantId nobody = TenantId::Generate();
  Status s = db->Transact({.platform = true}, [&](Tx& tx) {
    return storage::RecordChange(tx, nobody, "instance", "inst_x", "ADDED", 1, boost::json::object{});
  });
  CHECK(s.code() == StatusCode::kInternal);
  CHECK(s.message().find("has no change feed") != std::string::npos);
  AuditEvent e;
  e.tenant_id = nobody.str();
  e.id = AuditEventId::Generate();
  e.time = Now();
  e.principal = {"system", "test", "test"};
  e.action = "test.action";
  e.outcome = "success";
  e.status = 200;
  s = db->Transact({.platform = true}, [&](Tx& tx) { return storage::AppendAuditEvent(tx, e); });
  CHECK(s.code() == StatusCode::kInternal);
  CHECK(s.message().find("no audit chain") != std::string::npos);
}

TEST_CASE("changes recorded together are numbered per tenant in the order given", "[pg][database][changes]") {
  auto tdb = test::TestDatabase::Create();
  auto db = Database::Create(tdb->Config(), nullptr).value();
  const TenantId a = TenantId::Generate(), b = TenantId::Generate();
  REQUIRE(db->Transact({.platform = true}, [&](Tx& tx) {
              RETURN_IF_ERROR(storage::InitChangeHead(tx, a));
              RETURN_IF_ERROR(storage::InitChangeHead(tx, b));
              return storage::RecordChange(tx, a, "instance", "inst_first", "ADDED", 1, boost::json::object{{"id", "inst_first"}});
            }).ok());
  const auto change = [](const TenantId& t, const char* id) {
    return storage::Change{t, id, 2, boost::json::object{{"id", id}}};
  };
  REQUIRE(db->Transact({.platform = true}, [&](Tx& tx) {
              return storage::RecordChanges(tx, "instance", "MODIFIED",
                                            {change(a, "inst_a1"), change(b, "inst_b1"), change(a, "inst_a2"),
                                             change(b, "inst_b2"), change(a, "inst_a3")});
            }).ok());
  const auto listed = [&](const TenantId& t) {
    std::vector<std::string> out;
    REQUIRE(db->Transact({.tenant = t}, [&](Tx& tx) -> Status {
                ASSIGN_OR_RETURN(auto events, storage::ListChanges(tx, t, 0, 100));
                for (const auto& e : events) {
                  out.push_back(std::to_string(e.seq) + " " + e.resource_id + " " + e.type + " " +
                                std::string(e.object.at("id").as_string()));
                }
                return Status::Ok();
              }).ok());
    return out;
  };
  CHECK(listed(a) == std::vector<std::string>{"1 inst_first ADDED inst_first", "2 inst_a1 MODIFIED inst_a1", "3 inst_a2 MODIFIED inst_a2",
                                              "4 inst_a3 MODIFIED inst_a3"});
  CHECK(listed(b) == std::vector<std::string>{"1 inst_b1 MODIFIED inst_b1", "2 inst_b2 MODIFIED inst_b2"});
  // Each head moved by its tenant's count: the next single change follows on.
  REQUIRE(db->Transact({.platform = true}, [&](Tx& tx) {
              return storage::RecordChange(tx, b, "instance", "inst_b3", "DELETED", 3, boost::json::object{{"id", "inst_b3"}});
            }).ok());
  CHECK(listed(b).back() == "3 inst_b3 DELETED inst_b3");
  // A tenant without a change feed among them fails the whole transaction; nothing is written.
  const Status s = db->Transact({.platform = true}, [&](Tx& tx) {
    return storage::RecordChanges(tx, "instance", "MODIFIED", {change(a, "inst_a4"), change(TenantId::Generate(), "inst_x")});
  });
  CHECK(s.code() == StatusCode::kInternal);
  CHECK(s.message().find("has no change feed") != std::string::npos);
  CHECK(listed(a).size() == 4);
}

TEST_CASE("tenants and catalog entries are never deleted, not even by the schema owner", "[pg][database]") {
  // Instances and usage records refer to them without foreign keys (migration 0018): this
  // rule is what keeps those references whole.
  auto tdb = test::TestDatabase::Create();
  for (const std::string table : {"tenants", "instance_types", "images", "zones"}) {
    INFO(table);
    CHECK_THROWS_WITH(tdb->OwnerQuery("DELETE FROM " + table), Catch::Contains("never deleted"));
    CHECK_THROWS_WITH(tdb->OwnerQuery("TRUNCATE " + table + " CASCADE"), Catch::Contains("never deleted"));
  }
  // Retiring by status stays possible.
  CHECK_NOTHROW(tdb->OwnerQuery("UPDATE zones SET status = status"));
}

TEST_CASE("serialization failures are retried until the transaction commits", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0); GRANT SELECT, UPDATE ON counter TO gaon_app");
  auto db = Database::Create(tdb->Config(), nullptr).value();
  std::atomic<int> attempts{0};
  Status s = db->Transact({.isolation = storage::Isolation::kSerializable}, [&](Tx& tx) {
    ++attempts;
    storage::ExecRaw(tx, "UPDATE counter SET n = n + 1");
    if (tx.attempt() < 3) {
      // Exactly what PostgreSQL raises when serializable transactions conflict.
      storage::ExecRaw(tx, "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    }
    return Status::Ok();
  });
  CHECK(s.ok());
  CHECK(attempts == 3);
  CHECK(tdb->OwnerQuery("SELECT n FROM counter") == "1");  // the failed attempts left nothing
  CHECK(db->Stats().retries == 2);
}

TEST_CASE("real serializable conflicts between concurrent transactions all commit after retries",
          "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0); GRANT SELECT, UPDATE ON counter TO gaon_app");
  auto cfg = tdb->Config(8);
  cfg.max_tx_attempts = 50;
  auto db = Database::Create(cfg, nullptr).value();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        Status s = db->Transact({.isolation = storage::Isolation::kSerializable}, [](Tx& tx) {
          const int n = storage::ExecRaw(tx, "SELECT n FROM counter")[0][0].as<int>();
          storage::ExecRaw(tx, "UPDATE counter SET n = " + std::to_string(n + 1));
          return Status::Ok();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(tdb->OwnerQuery("SELECT n FROM counter") == "80");  // no lost update
  CHECK(db->Stats().retries > 0);
}

// A tenant-owned table under the standard policy: ten_a owns w1 and w2, ten_b owns w3.
std::unique_ptr<test::TestDatabase> WidgetsOfTwoTenants() {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery(
      "CREATE TABLE widgets (tenant_id text NOT NULL, id text NOT NULL, PRIMARY KEY (tenant_id, id));"
      "SELECT gaon_protect_tenant_table('widgets');"
      "GRANT SELECT, INSERT ON widgets TO gaon_app;"
      "SET gaon.platform = 'on';"
      "INSERT INTO widgets VALUES ('ten_a', 'w1'), ('ten_a', 'w2'), ('ten_b', 'w3');");
  return tdb;
}

TEST_CASE("the tenant set for a transaction is visible to row-level security and nothing else leaks",
          "[pg][database][rls]") {
  auto tdb = WidgetsOfTwoTenants();
  auto db = Database::Create(tdb->Config(), nullptr).value();
  auto count = [&](TxOptions o) {
    int n = -1;
    REQUIRE(db->Transact(o, [&](Tx& tx) {
                n = storage::ExecRaw(tx, "SELECT count(*) FROM widgets")[0][0].as<int>();
                return Status::Ok();
              }).ok());
    return n;
  };
  CHECK(count({}) == 0);
  CHECK(count({.tenant = TenantId::FromTrusted("ten_a")}) == 2);
  CHECK(count({.tenant = TenantId::FromTrusted("ten_b")}) == 1);
  CHECK(count({.platform = true}) == 3);
  // The setting is local to its transaction: the next one on the same connection sees nothing.
  CHECK(count({}) == 0);
  // Writing a row for another tenant is refused by the policy's WITH CHECK.
  Status cross = db->Transact({.tenant = TenantId::FromTrusted("ten_a")}, [](Tx& tx) {
    storage::ExecRaw(tx, "INSERT INTO widgets VALUES ('ten_b', 'sneaky')");
    return Status::Ok();
  });
  CHECK_FALSE(cross.ok());
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM widgets WHERE id = 'sneaky'") == "0");
}

TEST_CASE("a read tried as one round trip sees only its tenant, cannot write, and needing more runs again with BEGIN",
          "[pg][database][rls]") {
  auto tdb = WidgetsOfTwoTenants();
  auto config = tdb->Config();
  config.pool_size = 1;  // every transaction below on the same connection
  auto db = Database::Create(config, nullptr).value();
  const TenantId a = TenantId::FromTrusted("ten_a");
  const TxOptions read{.tenant = a, .read_only = true, .defer_commit = true, .one_trip = true, .name = "widgets.read"};
  auto one = [&](const TxOptions& o, const std::string& sql) {
    std::string out;
    Status s = db->Transact(o, [&](Tx& tx) {
      const auto r = storage::ExecRaw(tx, sql);
      out = r.size() > 0 ? r[0][0].c_str() : "";
      return Status::Ok();
    });
    return s.ok() ? out : "error: " + s.reason();
  };

  // Behind a read whose COMMIT waits for the connection's next use, as reads leave it.
  CHECK(one({.tenant = a, .read_only = true, .defer_commit = true}, "SELECT count(*) FROM widgets") == "2");
  // One statement, without BEGIN (a savepoint needs a transaction block), under the settings.
  CHECK(one(read, "SELECT count(*) FROM widgets") == "2");
  CHECK(one({.tenant = TenantId::FromTrusted("ten_b"), .read_only = true, .one_trip = true, .name = "widgets.read"},
            "SELECT count(*) FROM widgets") == "1");
  CHECK(one(read, "SAVEPOINT probe").find("error") == 0);
  CHECK(one({.tenant = a, .read_only = true}, "SAVEPOINT probe") == "");
  // Still read-only without BEGIN … READ ONLY.
  CHECK(one(read, "INSERT INTO widgets VALUES ('ten_a', 'w9') RETURNING id").find("error") == 0);
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT count(*) FROM widgets WHERE id = 'w9'") == "0");
  CHECK(db->Stats().one_trip_reruns == 0);

  // Two round trips, the second depending on a setting the first made (as an authentication
  // lookup does): the one-trip attempt stops before its second round trip and the whole
  // transaction runs again with BEGIN, so the second sees what the first set.
  const TxOptions two{.tenant = a, .read_only = true, .defer_commit = true, .one_trip = true, .name = "widgets.two"};
  std::vector<int> attempts;
  std::string seen;
  auto switch_then_count = [&](Tx& tx) {
    attempts.push_back(tx.attempt());
    storage::ExecRaw(tx, "SELECT set_config('gaon.tenant_id', 'ten_b', true)");
    seen = storage::ExecRaw(tx, "SELECT string_agg(id, ',') FROM widgets")[0][0].c_str();
    return Status::Ok();
  };
  REQUIRE(db->Transact(two, switch_then_count).ok());
  CHECK(seen == "w3");
  CHECK(attempts == std::vector<int>{1, 2});  // the rerun is not a first attempt (rate limits)
  CHECK(db->Stats().one_trip_reruns == 1);
  // Transactions of that name run with BEGIN from then on: no second attempt.
  attempts.clear();
  REQUIRE(db->Transact(two, switch_then_count).ok());
  CHECK(seen == "w3");
  CHECK(attempts == std::vector<int>{1});
  CHECK(db->Stats().one_trip_reruns == 1);
  // Others still go as one round trip.
  CHECK(one(read, "SAVEPOINT probe").find("error") == 0);
  // COPY is an exchange of its own after the first round trip: it runs with BEGIN, and sees
  // the tenant's rows.
  std::string copied;
  REQUIRE(db->Transact({.tenant = a, .read_only = true, .one_trip = true, .name = "widgets.copy"}, [&](Tx& tx) {
            copied.clear();
            storage::CopyOut(tx, "COPY (SELECT id FROM widgets ORDER BY id) TO STDOUT", [&](std::string_view row) {
              copied += row;
              return true;
            });
            return Status::Ok();
          }).ok());
  CHECK(copied == "w1\nw2\n");
  CHECK(db->Stats().one_trip_reruns == 2);
}

TEST_CASE("grouped transactions share one commit, yet each sees only its tenant and fails alone",
          "[pg][database][rls][group]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery(
      "CREATE TABLE widgets (tenant_id text NOT NULL, id text NOT NULL, PRIMARY KEY (tenant_id, id));"
      "SELECT gaon_protect_tenant_table('widgets');"
      "GRANT SELECT, INSERT ON widgets TO gaon_app;");
  auto cfg = tdb->Config(1);
  cfg.group_leaders = 1;
  auto db = Database::Create(cfg, nullptr).value();
  auto grouped = [](const char* tenant, const char* principal = "") {
    TxOptions o{.tenant = TenantId::FromTrusted(tenant), .group = true};
    if (*principal) o.settings.emplace_back("gaon.principal", principal);
    return o;
  };
  auto insert = [](Tx& tx, const std::string& tenant, const std::string& id) {
    storage::ExecRaw(tx, "INSERT INTO widgets VALUES ('" + tenant + "', '" + id + "')");
  };
  auto txid = [](Tx& tx) { return storage::ExecRaw(tx, "SELECT txid_current()::text")[0][0].as<std::string>(); };

  // The first caller leads a group of its own and holds it until everyone else waits; the
  // next group then takes them all.
  std::atomic<bool> release{false};
  std::thread first([&] {
    CHECK(db->Transact(grouped("ten_z"), [&](Tx& tx) {
            insert(tx, "ten_z", "z1");
            while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return Status::Ok();
          }).ok());
  });
  while (db->Stats().in_use == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  std::string id_a1, id_a2, id_d, id_e, seen_by_d;
  int count_d = -1;
  Status a1, a2, b, c, d, e;
  std::vector<std::thread> callers;
  callers.emplace_back([&] {
    a1 = db->Transact(grouped("ten_a", "usr_alice"), [&](Tx& tx) {
      insert(tx, "ten_a", "a1");
      id_a1 = txid(tx);
      return Status::Ok();
    });
  });
  callers.emplace_back([&] {
    a2 = db->Transact(grouped("ten_a", "usr_alice"), [&](Tx& tx) {
      insert(tx, "ten_a", "a2");
      id_a2 = txid(tx);
      return Status::Ok();
    });
  });
  callers.emplace_back([&] {  // refuses after writing: its row must not commit
    b = db->Transact(grouped("ten_b"), [&](Tx& tx) {
      insert(tx, "ten_b", "b1");
      return FailedPrecondition("changed my mind", "refused");
    });
  });
  callers.emplace_back([&] {  // a failing statement: its error, and nothing of it, stays behind
    c = db->Transact(grouped("ten_c"), [&](Tx& tx) {
      insert(tx, "ten_c", "c1");
      insert(tx, "ten_c", "c1");
      return Status::Ok();
    });
  });
  callers.emplace_back([&] {  // runs after ten_a's member in the same transaction
    d = db->Transact(grouped("ten_d"), [&](Tx& tx) {
      count_d = storage::ExecRaw(tx, "SELECT count(*) FROM widgets")[0][0].as<int>();
      seen_by_d = storage::ExecRaw(tx, "SELECT coalesce(current_setting('gaon.principal', true), '') || '/' || "
                                       "current_setting('gaon.tenant_id', true)")[0][0].c_str();
      id_d = txid(tx);
      insert(tx, "ten_d", "d1");
      return Status::Ok();
    });
  });
  callers.emplace_back([&] {  // a retryable failure: run again on its own, then committed
    e = db->Transact(grouped("ten_e"), [&](Tx& tx) {
      insert(tx, "ten_e", "e" + std::to_string(tx.attempt()));
      id_e = txid(tx);
      if (tx.attempt() == 1) return Aborted("conflict", "serialization_failure");
      return Status::Ok();
    });
  });
  while (db->Stats().group_waiting < 6) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  release = true;
  first.join();
  for (auto& t : callers) t.join();

  CHECK(a1.ok());
  CHECK(a2.ok());
  CHECK(b.reason() == "refused");
  CHECK(c.code() == StatusCode::kAlreadyExists);
  CHECK(d.ok());
  CHECK(e.ok());
  // One transaction: ten_a's two callers, one after the other, then ten_d's.
  CHECK(id_a1 == id_d);
  CHECK(id_a2 == id_d);
  CHECK(id_e != id_d);  // its retry ran alone
  // Inside the shared transaction ten_d saw none of ten_a's rows and none of its settings.
  CHECK(count_d == 0);
  CHECK(seen_by_d == "/ten_d");
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT string_agg(id, ',' ORDER BY id) FROM widgets") ==
        "a1,a2,d1,e2,z1");
  const auto stats = db->Stats();
  CHECK(stats.groups == 2);  // ten_z alone, then all the others
  CHECK(stats.grouped == 7);
  CHECK(stats.group_waiting == 0);
}

TEST_CASE("a tenant in a running group joins no other group until that one ends", "[pg][database][group]") {
  auto tdb = test::TestDatabase::Create();
  auto cfg = tdb->Config(2);
  cfg.group_leaders = 2;
  auto db = Database::Create(cfg, nullptr).value();
  auto grouped = [](const char* tenant) { return TxOptions{.tenant = TenantId::FromTrusted(tenant), .group = true}; };
  auto txid = [](Tx& tx) { return storage::ExecRaw(tx, "SELECT txid_current()::text")[0][0].as<std::string>(); };
  std::atomic<bool> release{false};
  std::string id_z1, id_z2, id_y;
  std::thread z1([&] {
    CHECK(db->Transact(grouped("ten_z"), [&](Tx& tx) {
            id_z1 = txid(tx);
            while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return Status::Ok();
          }).ok());
  });
  while (db->Stats().in_use == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // ten_z's second caller waits although a second group could start: its tenant is taken.
  std::thread z2([&] {
    CHECK(db->Transact(grouped("ten_z"), [&](Tx& tx) {
            id_z2 = txid(tx);
            return Status::Ok();
          }).ok());
  });
  while (db->Stats().group_waiting == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // ten_y leads that second group meanwhile, without ten_z's waiting caller.
  CHECK(db->Transact(grouped("ten_y"), [&](Tx& tx) {
          id_y = txid(tx);
          return Status::Ok();
        }).ok());
  CHECK(db->Stats().group_waiting == 1);
  release = true;
  z1.join();
  z2.join();
  CHECK(id_z2 != id_y);
  CHECK(id_z2 != id_z1);
  CHECK(db->Stats().groups == 3);
}

TEST_CASE("only a transaction marked not durable commits without waiting for the disk", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  auto db = Database::Create(tdb->Config(), nullptr).value();
  auto setting = [&](TxOptions o) {
    std::string v;
    REQUIRE(db->Transact(o, [&](Tx& tx) {
                v = storage::ExecRaw(tx, "SELECT current_setting('synchronous_commit')")[0][0].c_str();
                return Status::Ok();
              }).ok());
    return v;
  };
  CHECK(setting({}) == "on");
  CHECK(setting({.durable = false}) == "off");
  for (int i = 0; i < 4; ++i) CHECK(setting({}) == "on");  // local to that transaction, whatever the connection
}

TEST_CASE("a checkout waits for a free connection and gives up at the timeout", "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  auto cfg = tdb->Config(1);
  cfg.checkout_timeout = std::chrono::milliseconds(200);
  MetricsRegistry metrics;
  auto db = Database::Create(cfg, &metrics).value();
  std::atomic<bool> holding{false};
  std::thread holder([&] {
    (void)db->Transact({}, [&](Tx& tx) {
      holding = true;
      storage::ExecRaw(tx, "SELECT pg_sleep(0.6)");
      return Status::Ok();
    });
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Status s = db->Ping();
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.reason() == "database_busy");
  holder.join();
  CHECK(db->Ping().ok());
  CHECK(db->Stats().timeouts == 1);
  CHECK_THAT(metrics.Render(), Catch::Contains("gaon_db_pool_timeouts_total 1"));
}

TEST_CASE("interrupting the pool cancels running statements, rolls them back and refuses new work",
          "[pg][database]") {
  auto tdb = test::TestDatabase::Create();
  tdb->OwnerQuery("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'before');"
                  "GRANT SELECT, INSERT, UPDATE ON notes TO gaon_app");
  auto cfg = tdb->Config(2);
  cfg.statement_timeout = std::chrono::seconds(60);
  auto db = Database::Create(cfg, nullptr).value();
  std::atomic<bool> wrote{false};
  Status blocked;
  std::thread writer([&] {
    blocked = db->Transact({}, [&](Tx& tx) {
      storage::ExecRaw(tx, "INSERT INTO notes VALUES (2, 'half')");
      wrote = true;
      storage::ExecRaw(tx, "SELECT pg_sleep(60)");
      storage::ExecRaw(tx, "UPDATE notes SET body = 'after' WHERE id = 1");
      return Status::Ok();
    });
  });
  REQUIRE(test::WaitUntil([&] { return wrote.load(); }));
  const auto start = std::chrono::steady_clock::now();
  CHECK(db->Interrupt(std::chrono::seconds(5)) == 1);
  writer.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(blocked.code() == StatusCode::kUnavailable);
  CHECK(blocked.reason() == "shutting_down");
  CHECK(db->Stats().retries == 0);
  CHECK(tdb->OwnerQuery("SELECT string_agg(body, ',' ORDER BY id) FROM notes") == "before");
  CHECK(db->Ping().reason() == "shutting_down");
  CHECK(db->Interrupt(std::chrono::seconds(1)) == 0);  // idempotent
}

TEST_CASE("the pool reconnects transparently after PostgreSQL restarts", "[pg][database][serial]") {
  auto tdb = test::TestDatabase::Create();
  auto db = Database::Create(tdb->Config(2), nullptr).value();
  REQUIRE(db->Ping().ok());
  REQUIRE(db->Ping().ok());
  const std::string restart = test::RequiredEnv("GAON_ROOT") + "/gaon pg restart";
  REQUIRE(std::system(restart.c_str()) == 0);
  // Every pooled connection is now dead; the next transactions must not notice.
  for (int i = 0; i < 5; ++i) {
    Status s = db->Transact({}, [](Tx& tx) {
      storage::ExecRaw(tx, "SELECT 1");
      return Status::Ok();
    });
    INFO(s.ToString());
    CHECK(s.ok());
  }
  CHECK(db->Stats().reconnects >= 1);
}

TEST_CASE("expired idempotency keys are purged and live ones kept", "[pg][idempotency]") {
  auto tdb = test::TestDatabase::Create();
  auto db = Database::Create(tdb->Config(), nullptr).value();
  REQUIRE(db->Transact({.settings = {{"gaon.principal", "key_p"}}}, [](Tx& tx) -> Status {
              RETURN_IF_ERROR(storage::BeginIdempotent(tx, "key_p", "old", "h", "POST", "/x", std::chrono::seconds(1)).status());
              RETURN_IF_ERROR(storage::CompleteIdempotent(tx, "key_p", "old", 201, "{}"));
              RETURN_IF_ERROR(storage::BeginIdempotent(tx, "key_p", "new", "h", "POST", "/x", std::chrono::hours(24)).status());
              return storage::CompleteIdempotent(tx, "key_p", "new", 201, "{}");
            }).ok());
  tdb->OwnerQuery("SET gaon.platform = 'on'; UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = 'old'");
  std::int64_t purged = -1;
  REQUIRE(db->Transact({.platform = true}, [&](Tx& tx) -> Status {
              ASSIGN_OR_RETURN(purged, storage::PurgeExpiredIdempotencyKeys(tx));
              return Status::Ok();
            }).ok());
  CHECK(purged == 1);
  CHECK(tdb->OwnerQuery("SET gaon.platform = 'on'; SELECT string_agg(idempotency_key, ',') FROM idempotency_keys") == "new");
  // An expired key is free again: the next request with it starts fresh.
  tdb->OwnerQuery("SET gaon.platform = 'on'; UPDATE idempotency_keys SET expires_at = now() - interval '1 second'");
  REQUIRE(db->Transact({.settings = {{"gaon.principal", "key_p"}}}, [](Tx& tx) -> Status {
              ASSIGN_OR_RETURN(auto b, storage::BeginIdempotent(tx, "key_p", "new", "other", "POST", "/x", std::chrono::hours(24)));
              return b.state == storage::IdempotencyBegin::kNew ? Status::Ok() : Internal("not fresh");
            }).ok());
}
