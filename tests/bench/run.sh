#!/usr/bin/env bash
# The gRPC benchmark, run by hand (never by CI): catalog-svc's GetOrganization against a bare
# gRPC core echo server answering the same bytes, with the same load generator, in the same run.
#   tests/bench/run.sh
# Builds catalog-svc, echo_server and rpc_bench (RelWithDebInfo, in build-bench), starts a
# private stack in a temporary directory (tests/stack.sh: PostgreSQL, Redis, catalog-svc) plus
# echo_server, creates one region, organization and API key, runs `rpc_bench echo` and then
# `rpc_bench catalog` with the same load, prints both and the ratio catalog/echo, and stops
# everything it started, also on failure or Ctrl-C. About 45 s (plus a first build).
#
# Environment (all optional):
#   VBP_WORKERS       worker threads of catalog-svc and the echo servers (default: one per core,
#                     catalog-svc's own)
#   BENCH_IN_FLIGHT   calls kept in flight (default 64)
#   BENCH_SECONDS     measured seconds per mode (default 10)
#   BENCH_WARMUP      warm-up seconds before each measurement (default 2)
#   BENCH_BUILD_DIR   build directory (default build-bench; another RelWithDebInfo or Release
#                     one such as build works too)
# Exit status: 0 when both modes ran without errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

workers=${VBP_WORKERS:-$(nproc)} # catalog-svc's own default
in_flight=${BENCH_IN_FLIGHT:-64}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-2}
build=${BENCH_BUILD_DIR:-$root/build-bench}
org_id=bench-org

die() { bench_die "$@"; }

# --- build -------------------------------------------------------------------------------------

bench_build "$root" "$build" catalog-svc echo_server vbp_echo_server rpc_bench
catalog_bin=$build/catalog-svc/catalog-svc
echo_bin=$build/tests/bench/echo_server
vbp_echo_bin=$build/tests/bench/vbp_echo_server
bench_bin=$build/tests/bench/rpc_bench

# --- stack -------------------------------------------------------------------------------------

bench_start_run

# catalog-svc reads these from the environment stack.sh starts it with. At info level it would
# write a line per call, and the bench would measure logging. The metrics port: a stack from
# scripts/up may hold the default 9151; a tests/stack.sh that picks one itself overrides ours.
export VBP_WORKERS=$workers VBP_LOG_LEVEL=warn
VBP_CATALOG_METRICS_ADDR=127.0.0.1:$(stack_free_port)
export VBP_CATALOG_METRICS_ADDR
"$root/tests/stack.sh" start "$run" "$catalog_bin" >/dev/null
stack_load_env "$run/env"

echo_port=$(stack_free_port)
stack_svc_start "$run" echo_server "$echo_port" "$echo_bin" "$echo_port" "$workers"
vbp_echo_port=$(stack_free_port)
stack_svc_start "$run" vbp_echo_server "$vbp_echo_port" "$vbp_echo_bin" "$vbp_echo_port" "$workers"

VBP_BENCH_KEY=$("$bench_bin" setup -t "$VBP_CATALOG_ADDR" -o "$org_id")
export VBP_BENCH_KEY

# --- measure -----------------------------------------------------------------------------------

load=(-o "$org_id" -n "$in_flight" -d "$seconds" -w "$warmup")
# The machine may be shared: the load average says how far to trust the numbers.
echo "bench: $in_flight calls in flight on one connection, ${warmup}s warm-up + ${seconds}s" \
  "measured per mode, $workers server workers, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
echo_line=$("$bench_bin" echo -t "127.0.0.1:$echo_port" -k "$VBP_ADMIN_KEY" "${load[@]}") || rc=1
echo "$echo_line"
vbp_echo_line=$("$bench_bin" echo -t "127.0.0.1:$vbp_echo_port" -k "$VBP_ADMIN_KEY" "${load[@]}") ||
  rc=1
echo "vbp_$vbp_echo_line"
catalog_line=$("$bench_bin" catalog -t "$VBP_CATALOG_ADDR" "${load[@]}") || rc=1
echo "$catalog_line"
printf 'ratio vbp_echo/echo (the runtime): calls/s %s  p50 %s  p99 %s\n' \
  "$(ratio "$(field "$vbp_echo_line" calls/s)" "$(field "$echo_line" calls/s)")" \
  "$(ratio "$(field "$vbp_echo_line" p50_ms)" "$(field "$echo_line" p50_ms)")" \
  "$(ratio "$(field "$vbp_echo_line" p99_ms)" "$(field "$echo_line" p99_ms)")"
printf 'ratio catalog/echo: calls/s %s  p50 %s  p99 %s\n' \
  "$(ratio "$(field "$catalog_line" calls/s)" "$(field "$echo_line" calls/s)")" \
  "$(ratio "$(field "$catalog_line" p50_ms)" "$(field "$echo_line" p50_ms)")" \
  "$(ratio "$(field "$catalog_line" p99_ms)" "$(field "$echo_line" p99_ms)")"
if ((rc != 0)); then
  stack_tail_log "$run/logs/catalog-svc.log"
  stack_tail_log "$run/logs/echo_server.log"
  die "a run had errors: its numbers do not count"
fi
