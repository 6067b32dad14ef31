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

bench_start_run

# Both services read these from the environment stack.sh starts them with. At info level they
# would write a line per request, and the bench would measure logging. The limiter stays on, so
# its cost is part of the measurement, with a rate no run comes near: it never refuses.
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$catalog_bin" "$gateway_bin" >/dev/null
stack_load_env "$run/env"

VBP_BENCH_KEY=$("$bench_bin" setup -t "$VBP_CATALOG_ADDR" -o "$org_id")
export VBP_BENCH_KEY

status=$(fetch "$VBP_GATEWAY_ADDR" "$path" "$run/gateway.body")
if [[ "$status" != 200 ]]; then
  cat "$run/gateway.body" >&2 || true
  stack_tail_log "$run/logs/gateway.log"
  die "GET $path through the gateway answered $status, not 200"
fi
[[ -s "$run/gateway.body" ]] || die "the gateway answered an empty body"

# --- nginx -------------------------------------------------------------------------------------

bench_nginx_start "$run" "$path" "$run/gateway.body" "$nginx_workers"
echo "bench: both answer 200 with the same $(stat -c %s "$run/gateway.body")-byte body"

# --- measure -----------------------------------------------------------------------------------

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
