# shellcheck shell=bash
# Shared by the hand-run benches (sourced, not run): refusing to measure a build that would
# mislead, and building what a bench needs.

bench_die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}

# bench_build ROOT BUILD_DIR TARGET...: configures BUILD_DIR (RelWithDebInfo) if it is new,
# refuses a debug or sanitizer tree, and builds TARGETs, showing the log only when it fails.
bench_build() {
  local root=$1 build=$2 generator=() build_type build_log
  shift 2
  grep -qx 'add_subdirectory(bench)' "$root/tests/CMakeLists.txt" ||
    bench_die "tests/CMakeLists.txt lacks the line add_subdirectory(bench)"
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  # Numbers from a debug or sanitizer build would mislead: refuse them.
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
  [[ "$build_type" == RelWithDebInfo || "$build_type" == Release ]] ||
    bench_die "$build is a '$build_type' build: use RelWithDebInfo or Release"
  ! grep -q '^VBP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" ||
    bench_die "$build has VBP_SANITIZE=ON"
  echo "bench: building in $build"
  build_log=$(mktemp)
  if ! cmake --build "$build" --target "$@" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    rm -f "$build_log"
    bench_die "build failed"
  fi
  rm -f "$build_log"
}
