# Warnings for a standalone SDK build (inside the whole tree, cmake/GaonOptions.cmake defines
# gaon_warnings for every target). -Werror only when asked: a newer compiler's new warning
# must not break a user's build.
option(GAON_WERROR "Treat warnings as errors" OFF)
add_library(gaon_warnings INTERFACE)
target_compile_options(gaon_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
  -Wno-missing-field-initializers $<$<BOOL:${GAON_WERROR}>:-Werror>)
