#!/usr/bin/env bash
# The HTTP benchmark, run by hand (never by CI): GET /v1/organizations/bench-org through the
# gateway (a real GetOrganization call to catalog-svc behind each request) against nginx
# answering the very same body from memory, with the same load generator (wrk), in the same run.
#   tests/bench/gateway.sh
# Builds catalog-svc, gateway and rpc_bench (RelWithDebInfo, in build-bench), starts a private
# stack in a temporary directory (tests/stack.sh: PostgreSQL, Redis, catalog-svc, gateway),
# creates the organization and an API key for it (`rpc_bench setup`), fetches the answer once
# and checks it is a 200, starts nginx (tests/bench/nginx.conf.in) serving that body and checks
# it serves the same bytes, then runs wrk against the gateway and against nginx with the same
# header, connections and duration, prints requests/s, p50 and p99 of each and the ratio
# gateway/nginx (the goal: at least 0.15), and stops everything it started, also on failure or
# Ctrl-C. About 40 s (plus a first build).
#
# Environment (all optional):
#   VBP_GATEWAY_THREADS  the gateway's threads (default: its own, one per core)
#   BENCH_NGINX_WORKERS  nginx's worker_processes (default auto: one per core)
#   BENCH_CONNECTIONS    wrk's connections (default 64)
#   BENCH_WRK_THREADS    wrk's threads (default 2)
#   BENCH_SECONDS        measured seconds per target (default 10)
#   BENCH_WARMUP         warm-up seconds before each measurement (default 2)
#   BENCH_BUILD_DIR      build directory (default build-bench; another RelWithDebInfo or
#                        Release one such as build works too)
# Needs wrk and nginx (/usr/sbin/nginx, Debian's nginx-light will do); curl if there (else
# bash's /dev/tcp). Exit status: 0 when both targets ran without errors, goal met or not.
set -euo pipefail
# Bash 5.2 would read & in the replacement of ${var//pattern/replacement}: the body may hold one.
shopt -u patsub_replacement 2>/dev/null || true

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-2}
nginx_workers=${BENCH_NGINX_WORKERS:-auto}
build=${BENCH_BUILD_DIR:-$root/build-bench}
nginx_bin=/usr/sbin/nginx
org_id=bench-org
path=/v1/organizations/$org_id
goal=0.15

die() { bench_die "$@"; }

command -v wrk >/dev/null || die "wrk is not installed"
[[ -x "$nginx_bin" ]] || die "no $nginx_bin (Debian's nginx-light has one)"
for n in "$connections" "$wrk_threads" "$seconds" "$warmup"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a whole number: $n"
done

# --- build -------------------------------------------------------------------------------------

bench_build "$root" "$build" catalog-svc gateway rpc_bench
catalog_bin=$build/catalog-svc/catalog-svc
gateway_bin=$build/gateway/gateway
bench_bin=$build/tests/bench/rpc_bench

# --- stack -------------------------------------------------------------------------------------

# Globals for the EXIT trap: the run directory and the wrk running now (wrk_once). tests/stack.sh
# stop also stops nginx: it stops every service with a pid file in the directory, and
# stack_svc_start below writes one.
run=
wrk_pid=
cleanup() {
  local rc=$?
  [[ -z "$wrk_pid" ]] || stack_kill_pid "$wrk_pid" 5
  if [[ -n "$run" ]]; then
    "$root/tests/stack.sh" stop "$run" >/dev/null 2>&1 || true
    rm -rf "$run"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
run=$(mktemp -d "${TMPDIR:-/tmp}/vbp-bench.XXXXXX")

# Both services read these from the environment stack.sh starts them with. At info level they
# would write a line per request, and the bench would measure logging. The limiter stays on, so
# its cost is part of the measurement, with a rate no run comes near: it never refuses.
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$catalog_bin" "$gateway_bin" >/dev/null
stack_load_env "$run/env"

VBP_BENCH_KEY=$("$bench_bin" setup -t "$VBP_CATALOG_ADDR" -o "$org_id")
export VBP_BENCH_KEY

# fetch ADDR OUT: GETs $path from ADDR with the bench's key, writes the body to OUT and prints
# the status code.
fetch() {
  local addr=$1 out=$2 fd resp status
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

status=$(fetch "$VBP_GATEWAY_ADDR" "$run/gateway.body")
if [[ "$status" != 200 ]]; then
  cat "$run/gateway.body" >&2 || true
  stack_tail_log "$run/logs/gateway.log"
  die "GET $path through the gateway answered $status, not 200"
fi
[[ -s "$run/gateway.body" ]] || die "the gateway answered an empty body"
# Every byte, trailing newlines too ($(<file) would drop them).
body=$(
  cat "$run/gateway.body"
  printf x
)
body=${body%x}
[[ "$body" != *'$'* ]] || die "the body holds a \$, which nginx's return would read as a variable"

# --- nginx -------------------------------------------------------------------------------------

# In nginx's single-quoted string \\ and \' stand for \ and ' (and \n for a newline, which is
# why every backslash is doubled). The cmp below has the last word.
escaped=${body//\\/\\\\}
escaped=${escaped//\'/\\\'}

nginx_dir=$run/nginx
mkdir -p "$nginx_dir"
nginx_port=$(stack_free_port)
conf=$(<"$root/tests/bench/nginx.conf.in")
conf=${conf//@PREFIX@/$nginx_dir}
conf=${conf//@WORKERS@/$nginx_workers}
conf=${conf//@PORT@/$nginx_port}
conf=${conf//@PATH@/$path}
conf=${conf//@BODY@/$escaped}
printf '%s\n' "$conf" >"$nginx_dir/nginx.conf"
stack_svc_start "$run" nginx "$nginx_port" "$nginx_bin" -p "$nginx_dir" -c "$nginx_dir/nginx.conf"

status=$(fetch "127.0.0.1:$nginx_port" "$run/nginx.body")
[[ "$status" == 200 ]] || die "nginx answered $status, not 200"
if ! cmp -s "$run/gateway.body" "$run/nginx.body"; then
  die "nginx's body ($(stat -c %s "$run/nginx.body") bytes) differs from the gateway's" \
    "($(stat -c %s "$run/gateway.body") bytes)"
fi
echo "bench: both answer 200 with the same $(stat -c %s "$run/gateway.body")-byte body"

# --- measure -----------------------------------------------------------------------------------

# wrk SECONDS OUT URL [ARGS...]: one wrk run with the bench's load and key, its report in OUT.
# In the background and waited for: wrk catches SIGINT and exits 0, and bash carries on after a
# foreground child that did that, but a wait is cut short by a Ctrl-C and our trap runs at once
# (the cleanup then stops wrk_pid). timeout keeps even a stuck wrk bounded.
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
  printf -v "rps_$name" '%s' "$rps"
  printf '%-8s requests/s %10.1f  p50 %8s ms  p99 %8s ms\n' "$name" "$rps" "$(to_ms "$p50")" \
    "$(to_ms "$p99")"
}

# The machine may be shared: the load average says how far to trust the numbers.
echo "bench: wrk -t$wrk_threads -c$connections, ${warmup}s warm-up + ${seconds}s measured per" \
  "target; gateway threads ${VBP_GATEWAY_THREADS:-default ($(nproc))}, nginx workers" \
  "$nginx_workers, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
wrk_run gateway "http://$VBP_GATEWAY_ADDR$path" || rc=1
wrk_run nginx "http://127.0.0.1:$nginx_port$path" || rc=1
if ((rc != 0)); then
  stack_tail_log "$run/logs/gateway.log"
  stack_tail_log "$run/logs/catalog-svc.log"
  stack_tail_log "$nginx_dir/error.log"
  die "a run had errors: its numbers do not count"
fi
rps_gateway='' rps_nginx=''
summary gateway "$run/gateway.wrk"
summary nginx "$run/nginx.wrk"
awk -v g="$rps_gateway" -v n="$rps_nginx" -v goal="$goal" 'BEGIN {
  if (n <= 0) { print "ratio gateway/nginx: requests/s n/a"; exit }
  r = g / n
  printf "ratio gateway/nginx: requests/s %.3f (goal >= %s: %s)\n", r, goal, (r >= goal ? "met" : "NOT met")
}'
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
