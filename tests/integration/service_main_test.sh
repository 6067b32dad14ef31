#!/usr/bin/env bash
# The shared service main (common/service.h) as a process: configuration errors stop start-up
# naming the variable (exit 2); a clock pinned by VBP_TODAY is said in a warning and in the
# vbp_clock_pinned metric; SIGTERM drains and exits 0.
#   service_main_test.sh SERVICE_BINARY   (VBP_TEST_STACK names the integration stack's env file)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
binary=$1
stack_load_env "$VBP_TEST_STACK"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# refused NAME VALUE...: the service started with these settings exits 2 naming NAME.
refused() {
  local name=$1 rc=0
  shift
  env "$@" "$binary" >"$work/out" 2>&1 </dev/null || rc=$?
  ((rc == 2)) || fail "$name: exit $rc, wanted 2"
  grep -q "configuration: $name" "$work/out" || fail "$name: not named in: $(cat "$work/out")"
}

export VBP_ADMIN_KEY=admin-of-the-test VBP_INTERNAL_SECRET=secret-of-the-test
refused VBP_TODAY VBP_TODAY=2024-02-30
refused VBP_TODAY VBP_TODAY=tomorrow
refused VBP_WORKERS VBP_WORKERS=abc
refused VBP_PG_POOL_SIZE VBP_PG_POOL_SIZE=0
refused VBP_ADMIN_KEY VBP_ADMIN_KEY=
refused VBP_INTERNAL_SECRET VBP_INTERNAL_SECRET=

# http_get PORT PATH: the answer of 127.0.0.1:PORT to GET PATH (no curl on a fresh machine).
http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
  cat <&3
  exec 3<&-
}

# served TODAY WANT: starts the service (VBP_TODAY=TODAY, "" for none), waits for its metrics,
# checks vbp_clock_pinned is WANT and the warning is there exactly when pinned, then SIGTERM.
served() {
  local today=$1 want=$2 port metrics pid rc=0 text=""
  port=$(stack_free_port)
  metrics=$(stack_free_port)
  # Each service listens on its own variable; the peers it dials (the same port) are never asked.
  env VBP_TODAY="$today" VBP_CATALOG_ADDR="127.0.0.1:$port" \
    VBP_CATALOG_METRICS_ADDR="127.0.0.1:$metrics" VBP_CONTRACT_ADDR="127.0.0.1:$port" \
    VBP_CONTRACT_METRICS_ADDR="127.0.0.1:$metrics" VBP_PRICING_ADDR="127.0.0.1:$port" \
    VBP_PRICING_METRICS_ADDR="127.0.0.1:$metrics" VBP_VOLUME_ADDR="127.0.0.1:$port" \
    VBP_VOLUME_METRICS_ADDR="127.0.0.1:$metrics" "$binary" >"$work/log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 100); do
    text=$(http_get "$metrics" /metrics 2>/dev/null) && [[ "$text" == *vbp_clock_pinned* ]] && break
    sleep 0.1
  done
  grep -Eq "^vbp_clock_pinned\{service=\"[a-z-]+\"\} $want"$'\r'"?\$" <<<"$text" ||
    fail "VBP_TODAY=$today: no vbp_clock_pinned $want in the metrics"
  if [[ -n "$today" ]]; then
    grep -q "\"level\":\"warn\".*today is pinned to $today" "$work/log" ||
      fail "VBP_TODAY=$today: no warning in: $(cat "$work/log")"
  elif grep -q "today is pinned" "$work/log"; then
    fail "an unpinned clock was said to be pinned"
  fi
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "VBP_TODAY=$today: exit $rc after SIGTERM, wanted 0"
  grep -q '"stopped"' "$work/log" || fail "VBP_TODAY=$today: no \"stopped\" in the log"
}

served 2024-08-01 1
served "" 0

if ((failures > 0)); then
  echo "$failures failed" >&2
  exit 1
fi
echo "service main: every case passed"
