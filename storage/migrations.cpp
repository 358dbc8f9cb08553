#include "storage/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/crypto.h"
#include "core/log.h"
#include "storage/database.h"
#include <pqxx/pqxx>

#include "storage/internal/pq.h"

namespace gaon::storage {
namespace {

// Any constant works as long as every gaond uses the same one.
constexpr long long kMigrationLockKey = 0x6761'6f6e'6d69'67LL;  // "gaonmig"

constexpr const char* kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

struct Applied {
  std::string name, checksum;
};

// Compares what the database has applied with what this binary knows.
Status Compare(const std::map<int, Applied>& applied, const std::vector<Migration>& migrations,
               std::vector<const Migration*>* pending) {
  std::map<int, const Migration*> known;
  for (const auto& m : migrations) known[m.version] = &m;
  for (const auto& [version, a] : applied) {
    auto it = known.find(version);
    if (it == known.end()) {
      return FailedPrecondition("the database has migration " + std::to_string(version) + " (" + a.name +
                                    ") that this gaond does not know; run a newer gaond",
                                "schema_newer");
    }
    if (it->second->checksum != a.checksum) {
      return FailedPrecondition("migration " + it->second->name +
                                    " was edited after it was applied (checksum mismatch); "
                                    "add a new migration instead of changing an applied one",
                                "migration_modified");
    }
  }
  for (const auto& m : migrations) {
    if (!applied.count(m.version)) pending->push_back(&m);
  }
  return Status::Ok();
}

constexpr const char* kReadApplied = "SELECT version, name, checksum FROM schema_migrations";

// From kReadApplied's rows: libpqxx's (migrate) or the pool's (the schema check).
template <typename Rows>
std::map<int, Applied> ReadApplied(const Rows& rows) {
  std::map<int, Applied> applied;
  for (const auto& row : rows) {
    applied[row[0].template as<int>()] = {row[1].template as<std::string>(), row[2].template as<std::string>()};
  }
  return applied;
}

}  // namespace

StatusOr<Migration> MakeMigration(const std::string& file_name, std::string sql) {
  auto is_name_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; };
  const bool ok = file_name.size() > 9 && file_name.ends_with(".sql") && file_name[4] == '_' &&
                  std::all_of(file_name.begin(), file_name.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
                  std::all_of(file_name.begin() + 5, file_name.end() - 4, is_name_char);
  if (!ok) {
    return InvalidArgument("migration file '" + file_name + "' is not named NNNN_name.sql", "invalid_migration");
  }
  Migration mig;
  mig.version = std::stoi(file_name.substr(0, 4));
  mig.name = file_name.substr(0, file_name.size() - 4);
  mig.checksum = Sha256Hex(sql);
  mig.sql = std::move(sql);
  return mig;
}

StatusOr<std::vector<Migration>> LoadMigrationsFromDir(const std::string& dir) {
  std::vector<Migration> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    ASSIGN_OR_RETURN(Migration m, MakeMigration(entry.path().filename().string(), text.str()));
    out.push_back(std::move(m));
  }
  if (ec) return InvalidArgument("cannot read migrations directory " + dir + ": " + ec.message(), "invalid_migration");
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      return InvalidArgument("two migrations have version " + std::to_string(out[i].version), "invalid_migration");
    }
  }
  return out;
}

StatusOr<MigrateResult> Migrate(const std::string& owner_url, const std::vector<Migration>& migrations) {
  MigrateResult result;
  try {
    pqxx::connection conn(owner_url);
    auto run = [&conn](const std::string& sql) {
      pqxx::nontransaction t(conn);
      pqxx::result r = t.exec(sql);
      t.commit();
      return r;
    };
    run("SET client_min_messages = warning");
    run("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
    Status status;
    try {
      run(kCreateTable);
      std::map<int, Applied> applied;
      {
        pqxx::nontransaction t(conn);
        applied = ReadApplied(t.exec(kReadApplied));
      }
      std::vector<const Migration*> pending;
      status = Compare(applied, migrations, &pending);
      for (const Migration* m : status.ok() ? pending : std::vector<const Migration*>{}) {
        pqxx::work w(conn, m->name);
        // Migrations act for the platform: seeding rows of row-level-secured tables must work.
        w.exec("SELECT set_config('gaon.platform', 'on', true)");
        w.exec(m->sql);
        w.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                      m->version, m->name, m->checksum);
        w.commit();
        result.applied.push_back(m->version);
        LogInfo("migration applied", {{"version", m->version}, {"name", m->name}});
      }
    } catch (...) {
      try {
        run("SELECT pg_advisory_unlock_all()");
      } catch (const std::exception&) {
        // The lock dies with the connection anyway.
      }
      throw;
    }
    run("SELECT pg_advisory_unlock_all()");
    RETURN_IF_ERROR(status);
    result.current = run("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
  } catch (const pqxx::sql_error& e) {
    return FailedPrecondition(std::string("migration failed: ") + e.what(), "migration_failed");
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  return result;
}

Status CheckSchema(Database& db, const std::vector<Migration>& migrations) {
  return db.Transact({.read_only = true, .name = "schema.check"}, [&](Tx& tx) -> Status {
    std::map<int, Applied> applied;
    try {
      applied = ReadApplied(ExecRaw(tx, kReadApplied));
    } catch (const SqlError& e) {
      if (e.state() != "42P01") throw;  // undefined_table
      return FailedPrecondition("the database has no schema yet; run `gaond migrate`", "schema_outdated");
    }
    std::vector<const Migration*> pending;
    RETURN_IF_ERROR(Compare(applied, migrations, &pending));
    if (!pending.empty()) {
      return FailedPrecondition(std::to_string(pending.size()) + " migration(s) pending, first " +
                                    pending.front()->name + "; run `gaond migrate`",
                                "schema_outdated");
    }
    return Status::Ok();
  });
}

}  // namespace gaon::storage
