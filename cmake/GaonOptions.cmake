# Compiler warnings and sanitizer options shared by every Gaon target.
add_library(gaon_warnings INTERFACE)
target_compile_options(gaon_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
  -Wnon-virtual-dtor -Wno-missing-field-initializers)
# GCC 12 at -O2 reports well-known false positives from inlined std::string code
# (GCC bugs 105651, 106199, 105329); they would turn -Werror builds red for nothing.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(gaon_warnings INTERFACE -Wno-array-bounds -Wno-stringop-overflow
    -Wno-restrict -Wno-free-nonheap-object)
endif()
if(GAON_WERROR)
  target_compile_options(gaon_warnings INTERFACE -Werror)
endif()

if(GAON_ASAN AND GAON_TSAN)
  message(FATAL_ERROR "GAON_ASAN and GAON_TSAN cannot be combined")
endif()
if(GAON_ASAN)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(GAON_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

# gaon_module(NAME SOURCES... [DEPS ...] [PRIVATE_DEPS ...]): one static library per folder.
function(gaon_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gaon_${name} STATIC ${M_SOURCES})
  add_library(gaon::${name} ALIAS gaon_${name})
  target_include_directories(gaon_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(gaon_${name} PUBLIC ${M_DEPS} PRIVATE gaon_warnings ${M_PRIVATE_DEPS})
endfunction()

# gaon_embed_file(OUT_VAR INPUT SYMBOL): generates a source defining gaon::SYMBOL() that
# returns INPUT's bytes; appends the generated file to OUT_VAR.
function(gaon_embed_file out_var input symbol)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_embedded.cpp)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DSYMBOL=${symbol}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    COMMENT "Embedding ${input}")
  set(${out_var} ${${out_var}} ${output} PARENT_SCOPE)
endfunction()
