# Writes OUTPUT: a C++ file defining `std::string_view ${SYMBOL}()` (in namespace gaon) with the
# bytes of INPUT. Run at build time (cmake -P) whenever INPUT changes.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/EmbedFile.cmake. Do not edit.
#include <string_view>

namespace gaon {

std::string_view ${SYMBOL}() {
  static constexpr std::string_view kText = R\"gaon_embed(${content})gaon_embed\";
  return kText;
}

}  // namespace gaon
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
