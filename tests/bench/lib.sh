# shellcheck shell=bash
# Shared by the hand-run benches (sourced, not run): refusing to measure a build that would
# mislead, and building what a bench needs.

bench_die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}

# The run's directory and the wrk running now (wrk_once), for the EXIT trap bench_start_run sets.
run=
wrk_pid=

bench_cleanup() {
  local rc=$?
  [[ -z "$wrk_pid" ]] || stack_kill_pid "$wrk_pid" 5
  if [[ -n "$run" ]]; then
    # Stops every service with a pid file in the directory: the stack's, and nginx or the echo
    # servers that stack_svc_start started there.
    "$root/tests/stack.sh" stop "$run" >/dev/null 2>&1 || true
    rm -rf "$run"
  fi
  exit "$rc"
}

# bench_start_run: a fresh temporary directory in the global run, and traps that stop and remove
# everything started in it when the bench ends, fails or is interrupted. Needs the global root.
bench_start_run() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  run=$(mktemp -d "${TMPDIR:-/tmp}/vbp-bench.XXXXXX")
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

# The value of KEY in a result line "MODE key=value ...".
field() {
  awk -v k="$2" '{
    for (i = 2; i <= NF; i++) {
      n = index($i, "=")
      if (substr($i, 1, n - 1) == k) print substr($i, n + 1)
    }
  }' <<<"$1"
}

# A / B with three decimals, or n/a when B is not positive.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "n/a" }'
}

# --- HTTP benches (gateway.sh, pricing.sh) ------------------------------------------------------
# These read the sourcing script's globals: run (its directory), root, wrk_threads, connections,
# seconds, warmup, VBP_BENCH_KEY (sent as the bearer key); wrk_pid is set while wrk runs (for
# the script's EXIT trap).

# fetch ADDR PATH OUT: GETs PATH from ADDR with the bench's key, writes the body to OUT and
# prints the status code.
fetch() {
  local addr=$1 path=$2 out=$3 fd resp status
  if command -v curl >/dev/null; then
    curl -sS --max-time 10 -o "$out" -w '%{http_code}' \
      -H "Authorization: Bearer $VBP_BENCH_KEY" "http://$addr$path"
    return
  fi
  # HTTP/1.0: the server closes the connection after the answer, and sends no chunks.
  exec {fd}<>"/dev/tcp/${addr%:*}/${addr##*:}"
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n' \
    "$path" "$addr" "$VBP_BENCH_KEY" >&"$fd"
  IFS= read -r -d '' -t 10 -u "$fd" resp || true
  exec {fd}<&-
  status=${resp%%$'\r\n'*}
  status=${status#* }
  printf '%s' "${resp#*$'\r\n\r\n'}" >"$out"
  printf '%s\n' "${status%% *}"
}

# bench_nginx_start RUN PATH BODY_FILE WORKERS: nginx (tests/bench/nginx.conf.in) answering PATH
# with the bytes of BODY_FILE from memory, on a free port it puts in the global nginx_port;
# checks that it serves those very bytes. Stopped by tests/stack.sh stop RUN with the rest.
bench_nginx_start() {
  local run=$1 path=$2 body_file=$3 workers=$4 body escaped nginx_dir conf status
  # Bash 5.2 would read & in the replacement of ${var//pattern/replacement}: the body may hold
  # one.
  shopt -u patsub_replacement 2>/dev/null || true
  # Every byte, trailing newlines too ($(<file) would drop them).
  body=$(
    cat "$body_file"
    printf x
  )
  body=${body%x}
  [[ "$body" != *'$'* ]] ||
    bench_die "the body holds a \$, which nginx's return would read as a variable"
  # In nginx's single-quoted string \\ and \' stand for \ and ' (and \n for a newline, which is
  # why every backslash is doubled). The cmp below has the last word.
  escaped=${body//\\/\\\\}
  escaped=${escaped//\'/\\\'}
  nginx_dir=$run/nginx
  mkdir -p "$nginx_dir"
  nginx_port=$(stack_free_port)
  conf=$(<"$root/tests/bench/nginx.conf.in")
  conf=${conf//@PREFIX@/$nginx_dir}
  conf=${conf//@WORKERS@/$workers}
  conf=${conf//@PORT@/$nginx_port}
  conf=${conf//@PATH@/${path%%\?*}}
  conf=${conf//@BODY@/$escaped}
  printf '%s\n' "$conf" >"$nginx_dir/nginx.conf"
  stack_svc_start "$run" nginx "$nginx_port" /usr/sbin/nginx -p "$nginx_dir" \
    -c "$nginx_dir/nginx.conf"
  status=$(fetch "127.0.0.1:$nginx_port" "$path" "$run/nginx.body")
  [[ "$status" == 200 ]] || bench_die "nginx answered $status, not 200"
  if ! cmp -s "$body_file" "$run/nginx.body"; then
    bench_die "nginx's body ($(stat -c %s "$run/nginx.body") bytes) differs from" \
      "$body_file ($(stat -c %s "$body_file") bytes)"
  fi
}

# wrk_once SECONDS OUT URL [ARGS...]: one wrk run with the bench's load and key, its report in
# OUT. In the background and waited for: wrk catches SIGINT and exits 0, and bash carries on
# after a foreground child that did that, but a wait is cut short by a Ctrl-C and the trap runs
# at once (the cleanup then stops wrk_pid). timeout keeps even a stuck wrk bounded.
wrk_once() {
  local secs=$1 out=$2 url=$3 rc=0
  shift 3
  timeout -k 5 $((secs + 30)) wrk -t "$wrk_threads" -c "$connections" \
    -H "Authorization: Bearer $VBP_BENCH_KEY" -d "${secs}s" "$@" "$url" >"$out" </dev/null &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=
  return "$rc"
}

# wrk_run NAME URL: a warm-up, then the measured run, its report in $run/NAME.wrk. A run with
# socket errors or non-2xx answers fails, printing the report to stderr.
wrk_run() {
  local name=$1 url=$2 out=$run/$1.wrk
  if ((warmup > 0)); then
    wrk_once "$warmup" /dev/null "$url" || return 1
  fi
  wrk_once "$seconds" "$out" "$url" --latency || return 1
  if grep -qE 'Socket errors|Non-2xx' "$out" || ! grep -q '^Requests/sec:' "$out"; then
    printf 'bench: %s: wrk reported errors:\n' "$name" >&2
    cat "$out" >&2
    return 1
  fi
}

# Milliseconds, from wrk's 651.00us, 1.04ms or 1.20s.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000
    else if (v ~ /ms$/) n += 0
    else if (v ~ /s$/) n *= 1000
    printf "%.3f", n
  }'
}

# summary NAME FILE: one line from wrk's report in FILE; sets rps_NAME.
summary() {
  local name=$1 file=$2 rps p50 p99
  rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$file")
  p50=$(awk '$1 == "50%" { print $2 }' "$file")
  p99=$(awk '$1 == "99%" { print $2 }' "$file")
  printf -v "rps_${name//-/_}" '%s' "$rps"
  printf '%-12s requests/s %10.1f  p50 %8s ms  p99 %8s ms\n' "$name" "$rps" "$(to_ms "$p50")" \
    "$(to_ms "$p99")"
}
