#!/usr/bin/env bash
# The price look-up benchmark, run by hand (never by CI). In one run, against one private stack
# (tests/stack.sh: PostgreSQL, Redis, catalog-svc, pricing-svc, the gateway) loaded by
# `rpc_bench price-setup` (100 products in ten groups, listed, executed in 350000):
#   echo        a bare gRPC core echo (tests/bench/echo_server.c)          reference
#   price       GetPrice over gRPC, cached (rpc_bench price)
#   gateway     GET /v1/prices/350000/BP000?date=2024-08-01, cached (wrk)
#   nginx       the same bytes from nginx's memory (wrk)                   reference
#   miss        GetPrice of a product and date never asked before (rpc_bench price-miss)
#   single/batch  one GetPrice and one BatchGetPrices of 100, one call at a time (latency)
#   redis-benchmark -t get -n 200000 -c 50 on the stack's Redis           reference
#   redis-down  GetPrice (answered from pricing-svc's memory) and price-miss (computed from the
#               database, nothing to cache it in) with Redis stopped
# and prints the ratios the issue sets goals for: gateway/nginx >= 0.10, price/echo >= 0.5,
# batch of 100 / single < 3. Stops everything it started, also on failure or Ctrl-C. About
# 2 minutes (plus a first build).
#   tests/bench/pricing.sh
# Environment (all optional): BENCH_IN_FLIGHT (gRPC, default 64), BENCH_CONNECTIONS (wrk,
# default 64), BENCH_WRK_THREADS (2), BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_NGINX_WORKERS
# (auto), BENCH_BUILD_DIR (build-bench). Needs wrk, nginx, redis-benchmark (Debian's
# redis-tools).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

in_flight=${BENCH_IN_FLIGHT:-64}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_WRK_THREADS:-2}
seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-2}
nginx_workers=${BENCH_NGINX_WORKERS:-auto}
build=${BENCH_BUILD_DIR:-$root/build-bench}
path='/v1/prices/350000/BP000?date=2024-08-01'

die() { bench_die "$@"; }

for tool in wrk redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x /usr/sbin/nginx ]] || die "no /usr/sbin/nginx (Debian's nginx-light has one)"

bench_build "$root" "$build" catalog-svc pricing-svc gateway echo_server rpc_bench
bench_bin=$build/tests/bench/rpc_bench

bench_start_run

# No log line per request, and a rate limit no run comes near (its cost stays measured).
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$build/catalog-svc/catalog-svc" \
  "$build/pricing-svc/pricing-svc" "$build/gateway/gateway" >/dev/null
stack_load_env "$run/env"
echo_port=$(stack_free_port)
stack_svc_start "$run" echo_server "$echo_port" "$build/tests/bench/echo_server" "$echo_port" \
  "$(nproc)"

VBP_BENCH_KEY=$("$bench_bin" price-setup -t "$VBP_CATALOG_ADDR" -p "$VBP_PRICING_ADDR")
export VBP_BENCH_KEY

status=$(fetch "$VBP_GATEWAY_ADDR" "$path" "$run/gateway.body")
if [[ "$status" != 200 ]]; then
  cat "$run/gateway.body" >&2 || true
  stack_tail_log "$run/logs/pricing-svc.log"
  die "GET $path through the gateway answered $status, not 200"
fi
echo "bench: the look-up answers $(<"$run/gateway.body")"
bench_nginx_start "$run" "$path" "$run/gateway.body" "$nginx_workers"

load=(-n "$in_flight" -d "$seconds" -w "$warmup")
echo "bench: $in_flight gRPC calls in flight / wrk -t$wrk_threads -c$connections," \
  "${warmup}s warm-up + ${seconds}s measured each, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
echo_line=$("$bench_bin" echo -t "127.0.0.1:$echo_port" "${load[@]}") || rc=1
echo "$echo_line"
price_line=$("$bench_bin" price -t "$VBP_PRICING_ADDR" "${load[@]}") || rc=1
echo "$price_line"
wrk_run gateway "http://$VBP_GATEWAY_ADDR$path" || rc=1
wrk_run nginx "http://127.0.0.1:$nginx_port$path" || rc=1
miss_line=$("$bench_bin" price-miss -t "$VBP_PRICING_ADDR" "${load[@]}") || rc=1
echo "$miss_line"
single_line=$("$bench_bin" price -t "$VBP_PRICING_ADDR" -n 1 -d "$seconds" -w 1) || rc=1
echo "single: $single_line"
batch_line=$("$bench_bin" batch -t "$VBP_PRICING_ADDR" -n 1 -d "$seconds" -w 1) || rc=1
echo "batch:  $batch_line"
redis_port=${VBP_REDIS_ADDR##*:}
redis_line=$(redis-benchmark -p "$redis_port" -t get -n 200000 -c 50 -q | tr '\r' '\n' |
  awk '/requests per second/ { line = $0 } END { print line }') || rc=1
echo "redis-benchmark $redis_line"
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
down_line=$("$bench_bin" price -t "$VBP_PRICING_ADDR" "${load[@]}") || rc=1
echo "redis-down $down_line"
down_miss_line=$("$bench_bin" price-miss -t "$VBP_PRICING_ADDR" "${load[@]}") || rc=1
echo "redis-down $down_miss_line"
if ((rc != 0)); then
  stack_tail_log "$run/logs/pricing-svc.log"
  stack_tail_log "$run/logs/gateway.log"
  die "a run had errors: its numbers do not count"
fi
rps_gateway='' rps_nginx=''
summary gateway "$run/gateway.wrk"
summary nginx "$run/nginx.wrk"
printf 'ratio gateway/nginx (cached, goal >= 0.10): %s\n' "$(ratio "$rps_gateway" "$rps_nginx")"
printf 'ratio price/echo (cached gRPC, goal >= 0.5): %s\n' \
  "$(ratio "$(field "$price_line" calls/s)" "$(field "$echo_line" calls/s)")"
printf 'ratio miss/price: %s   redis-down price/price: %s   redis-down miss/miss: %s\n' \
  "$(ratio "$(field "$miss_line" calls/s)" "$(field "$price_line" calls/s)")" \
  "$(ratio "$(field "$down_line" calls/s)" "$(field "$price_line" calls/s)")" \
  "$(ratio "$(field "$down_miss_line" calls/s)" "$(field "$miss_line" calls/s)")"
printf 'ratio batch of 100 / single, p50 latency (goal < 3): %s\n' \
  "$(ratio "$(field "$batch_line" p50_ms)" "$(field "$single_line" p50_ms)")"
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
