# Writes OUTPUT: a C++ file defining gaon::storage::EmbeddedMigrations() from every
# NNNN_*.sql file in DIR. Run at build time (cmake -P) whenever a migration changes.
file(GLOB files RELATIVE "${DIR}" "${DIR}/*.sql")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  file(READ "${DIR}/${f}" sql)
  string(APPEND body "    {\"${f}\", R\"gaon_sql(${sql})gaon_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from migrations/*.sql by cmake/EmbedMigrations.cmake. Do not edit.
#include <cstdlib>
#include <cstdio>
#include <utility>

#include \"storage/migrations.h\"

namespace gaon::storage {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> migrations = [] {
    static const std::pair<const char*, const char*> kFiles[] = {
${body}    };
    std::vector<Migration> out;
    for (const auto& [name, sql] : kFiles) {
      auto m = MakeMigration(name, sql);
      if (!m.ok()) {
        std::fprintf(stderr, \"fatal: %s\\n\", m.status().ToString().c_str());
        std::abort();
      }
      out.push_back(std::move(m).value());
    }
    return out;
  }();
  return migrations;
}

}  // namespace gaon::storage
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
