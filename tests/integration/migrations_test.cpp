#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/database.h"
#include "storage/migrations.h"
#include "tests/support/gaond_process.h"
#include "tests/support/test_db.h"

using namespace gaon;
using gaon::storage::Migration;

namespace {

std::vector<Migration> Sample() {
  return {
      storage::MakeMigration("0001_first.sql", "CREATE TABLE t1 (id int);").value(),
      storage::MakeMigration("0002_second.sql", "ALTER TABLE t1 ADD COLUMN name text;").value(),
      storage::MakeMigration("0003_third.sql", "INSERT INTO t1 VALUES (1, 'one');").value(),
  };
}

}  // namespace

TEST_CASE("migrations apply in version order, each recorded with its checksum", "[pg][migrations]") {
  auto db = test::TestDatabase::Create(false);
  auto m = Sample();
  auto r = storage::Migrate(db->owner_url(), {m[0], m[1], m[2]});
  REQUIRE(r.ok());
  CHECK(r->applied == std::vector<int>{1, 2, 3});
  CHECK(r->current == 3);
  CHECK(db->OwnerQuery("SELECT name FROM t1 WHERE id = 1") == "one");
  CHECK(db->OwnerQuery("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations") == "1,2,3");
  CHECK(db->OwnerQuery("SELECT checksum FROM schema_migrations WHERE version = 2") == m[1].checksum);
  // Running again applies nothing.
  auto again = storage::Migrate(db->owner_url(), m);
  REQUIRE(again.ok());
  CHECK(again->applied.empty());
}

TEST_CASE("a failing migration is rolled back and stops the run", "[pg][migrations]") {
  auto db = test::TestDatabase::Create(false);
  auto bad = storage::MakeMigration("0002_bad.sql", "ALTER TABLE t1 ADD COLUMN x int; SELECT nope;").value();
  auto r = storage::Migrate(db->owner_url(), {Sample()[0], bad, Sample()[2]});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().reason() == "migration_failed");
  CHECK(db->OwnerQuery("SELECT max(version) FROM schema_migrations") == "1");
  CHECK(db->OwnerQuery("SELECT count(*) FROM information_schema.columns WHERE table_name = 't1' AND column_name = 'x'") == "0");
}

TEST_CASE("an applied migration that was edited afterwards is refused", "[pg][migrations]") {
  auto db = test::TestDatabase::Create(false);
  REQUIRE(storage::Migrate(db->owner_url(), Sample()).ok());
  auto edited = Sample();
  edited[1] = storage::MakeMigration("0002_second.sql", "ALTER TABLE t1 ADD COLUMN name varchar(10);").value();
  auto r = storage::Migrate(db->owner_url(), edited);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK(r.status().reason() == "migration_modified");
  CHECK_THAT(r.status().message(), Catch::Contains("0002_second"));

  db->OwnerQuery("GRANT SELECT ON schema_migrations TO gaon_app");
  auto pool = storage::Database::Create(db->Config(), nullptr).value();
  CHECK(storage::CheckSchema(*pool, edited).reason() == "migration_modified");
}

TEST_CASE("schema checks report pending and unknown migrations", "[pg][migrations]") {
  auto db = test::TestDatabase::Create(false);
  auto m = Sample();
  REQUIRE(storage::Migrate(db->owner_url(), {m[0], m[1]}).ok());
  auto pool = storage::Database::Create(db->Config(), nullptr).value();
  // The application role needs to read schema_migrations to check it.
  db->OwnerQuery("GRANT SELECT ON schema_migrations TO gaon_app");
  CHECK(storage::CheckSchema(*pool, {m[0], m[1]}).ok());
  Status pending = storage::CheckSchema(*pool, m);
  CHECK(pending.reason() == "schema_outdated");
  CHECK_THAT(pending.message(), Catch::Contains("0003_third"));
  CHECK(storage::CheckSchema(*pool, {m[0]}).reason() == "schema_newer");
}

TEST_CASE("concurrent migrators apply each migration exactly once", "[pg][migrations]") {
  auto db = test::TestDatabase::Create(false);
  std::vector<Migration> m = Sample();
  // A slow migration widens the race window.
  m[0] = storage::MakeMigration("0001_first.sql", "SELECT pg_sleep(0.3); CREATE TABLE t1 (id int);").value();
  std::vector<StatusOr<storage::MigrateResult>> results(4, Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[static_cast<std::size_t>(i)] = storage::Migrate(db->owner_url(), m); });
  }
  for (auto& t : threads) t.join();
  std::size_t applied = 0;
  for (const auto& r : results) {
    REQUIRE(r.ok());
    applied += r->applied.size();
  }
  CHECK(applied == 3);
  CHECK(db->OwnerQuery("SELECT count(*) FROM schema_migrations") == "3");
  CHECK(db->OwnerQuery("SELECT count(*) FROM t1") == "1");
}

TEST_CASE("migration files are read from a directory and misnamed files are refused", "[migrations]") {
  const std::string dir = test::MakeTempDir("migs");
  std::ofstream(dir + "/0002_b.sql") << "SELECT 2;";
  std::ofstream(dir + "/0001_a.sql") << "SELECT 1;";
  std::ofstream(dir + "/README.md") << "not a migration";
  auto loaded = storage::LoadMigrationsFromDir(dir);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->size() == 2);
  CHECK((*loaded)[0].name == "0001_a");
  CHECK((*loaded)[1].version == 2);
  std::ofstream(dir + "/3_bad name.sql") << "SELECT 3;";
  CHECK(storage::LoadMigrationsFromDir(dir).status().reason() == "invalid_migration");
  std::filesystem::remove_all(dir);
}

TEST_CASE("the compiled-in migrations are well formed and strictly increasing", "[migrations]") {
  const auto& m = storage::EmbeddedMigrations();
  REQUIRE_FALSE(m.empty());
  CHECK(m.front().version == 1);
  for (std::size_t i = 1; i < m.size(); ++i) CHECK(m[i].version > m[i - 1].version);
}
