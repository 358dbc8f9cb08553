// Schema migrations: `migrations/NNNN_name.sql`, applied in version order, each in its own
// transaction, recorded in `schema_migrations` with the SHA-256 of the file.
//
// An applied file that was edited afterwards (checksum mismatch) or a database that has
// versions this binary does not know makes Migrate() and CheckSchema() refuse with a
// FailedPrecondition. Concurrent Migrate() calls (two gaond starting at once) serialise on a
// PostgreSQL advisory lock; the second finds nothing left to do.
// Thread-safety: free functions; each call uses its own connection.
#pragma once

#include <string>
#include <vector>

#include "gaon/status.h"

namespace gaon::storage {

class Database;

struct Migration {
  int version = 0;
  std::string name;      // "0001_roles_and_rls"
  std::string sql;
  std::string checksum;  // sha256 hex of `sql`
};

// The migrations compiled into this binary from migrations/*.sql.
const std::vector<Migration>& EmbeddedMigrations();

// Reads `dir`/NNNN_*.sql. InvalidArgument on a malformed file name or a duplicate version.
StatusOr<std::vector<Migration>> LoadMigrationsFromDir(const std::string& dir);

// Builds a Migration from a file name and its text (computes the checksum).
StatusOr<Migration> MakeMigration(const std::string& file_name, std::string sql);

struct MigrateResult {
  std::vector<int> applied;  // versions applied by this call
  int current = 0;           // newest version now in the database
};

// Applies pending migrations as the schema owner (`owner_url`).
StatusOr<MigrateResult> Migrate(const std::string& owner_url, const std::vector<Migration>& migrations);

// OK when every migration is applied unchanged; FailedPrecondition with reason
// "schema_outdated" (pending versions), "migration_modified" (checksum mismatch) or
// "schema_newer" (unknown applied versions); Unavailable when the database is unreachable.
Status CheckSchema(Database& db, const std::vector<Migration>& migrations);

}  // namespace gaon::storage
