#!/usr/bin/env bash
# The SDK as a user gets it: sdk/ configured and built on its own (no server code), installed
# with `cmake --install` into a temporary prefix, then sdk/examples built against that prefix
# twice — as a CMake project (find_package(Gaon) → gaon::sdk) and with pkg-config (gaon.pc).
# The [install] case of sdk_tests then runs the built examples against a real gaond.
#
#   install_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)

echo "== sdk/ on its own"
cmake -S "$src/sdk" -B "$work/sdk-build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$work/prefix" > "$work/sdk-configure.log"
cmake --build "$work/sdk-build" -j 2
cmake --install "$work/sdk-build" > "$work/install.log"

echo "== what was installed"
prefix=$work/prefix
test -f "$prefix/include/gaon/client.h"
test -f "$prefix/include/gaon/version.h"
test -f "$prefix/include/gaon/model/compute.h"
if find "$prefix/include" -path '*internal*' | grep -q .; then
  echo "internal headers were installed" >&2
  exit 1
fi
config=$(find "$prefix" -name GaonConfig.cmake)
pc=$(find "$prefix" -name gaon.pc)
test -n "$config" && test -n "$pc"
find "$prefix" -name 'libgaon_sdk.a' | grep -q .
find "$prefix" -name 'GaonConfigVersion.cmake' | grep -q .

# Every program in sdk/examples/ is an example: each must build both ways.
examples=()
for cpp in "$src"/sdk/examples/*.cpp; do examples+=("$(basename "$cpp" .cpp)"); done

echo "== examples with CMake (find_package(Gaon))"
cmake -S "$src/sdk/examples" -B "$work/examples-cmake" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/examples-configure.log"
cmake --build "$work/examples-cmake" -j 2
for example in "${examples[@]}"; do
  test -x "$work/examples-cmake/$example" || { echo "sdk/examples/CMakeLists.txt does not build $example" >&2; exit 1; }
done

echo "== examples with pkg-config (gaon.pc)"
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --exists gaon
mkdir -p "$work/examples-pkgconfig"
for example in "${examples[@]}"; do
  # shellcheck disable=SC2046 # word splitting of pkg-config's flags is intended
  c++ -O1 "$src/sdk/examples/$example.cpp" -o "$work/examples-pkgconfig/$example" $(pkg-config --cflags --libs gaon)
done
echo "built: ${examples[*]}"
echo "sdk install test: ok"
