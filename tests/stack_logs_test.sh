#!/usr/bin/env bash
# Logs filled the disk: scripts/stack's services wrote to RUN/logs/NAME.log without end. Now
# stack_logs_rotate moves a log past its cap aside (keeping STACK_LOG_KEEP old ones) and sends
# SIGHUP, on which the binary reopens its VBP_LOG_FILE. Run with a real gateway binary:
#   tests/stack_logs_test.sh build/gateway/gateway
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
(($# == 1)) || { echo "usage: $0 GATEWAY_BINARY" >&2; exit 2; }
gateway=$1

dir=$(mktemp -d)
trap 'stack_svc_stop_all "$dir"; rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: $*" >&2
  ls -l "$dir/logs" >&2 || true
  exit 1
}
log=$dir/logs/gateway.log

port=$(stack_free_port)
export VBP_GATEWAY_ADDR=127.0.0.1:$port VBP_ADMIN_KEY=logs-test VBP_INTERNAL_SECRET=logs-test
# Backends and Redis nowhere: /healthz needs neither.
export VBP_CATALOG_ADDR=127.0.0.1:1 VBP_CONTRACT_ADDR=127.0.0.1:1 VBP_PRICING_ADDR=127.0.0.1:1
export VBP_VOLUME_ADDR=127.0.0.1:1 VBP_REDIS_ADDR=127.0.0.1:1
stack_svc_start "$dir" gateway "$port" "$gateway"

# An answered request, then its access line in FILE (the gateway writes it once the answer is
# sent: wait for it a little).
request_logged_in() {
  local file=$1 id=$2 i
  curl -sf -H "X-Request-Id: $id" "http://127.0.0.1:$port/healthz" >/dev/null ||
    fail "/healthz did not answer"
  for ((i = 0; i < 50; i++)); do
    grep -q "\"request_id\":\"$id\"" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

request_logged_in "$log" before-rotation || fail "no access line in $log"
export STACK_LOG_MAX_MB=1 STACK_LOG_KEEP=2
stack_logs_rotate "$dir"
[[ ! -f "$log.1" ]] || fail "a log under its cap was rotated"

# Past the cap twice: two old files are kept, the newest in .1, and the gateway, told with
# SIGHUP, writes to a fresh gateway.log.
for round in 1 2 3; do
  head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' 'x' >>"$log"
  echo >>"$log"
  stack_logs_rotate "$dir"
  [[ -f "$log.1" ]] || fail "round $round: a log past its cap was not moved to .1"
  request_logged_in "$log" "after-rotation-$round" || fail "round $round: nothing in a new $log"
  ! grep -q "after-rotation-$round" "$log.1" || fail "round $round: still writing to the old file"
done
[[ -f "$log.2" && ! -e "$log.3" ]] || fail "not exactly two old files kept"
stack_svc_alive "$dir" gateway || fail "the gateway did not survive SIGHUP"
echo "ok: logs past the cap rotated, two kept, the gateway reopened its file on SIGHUP"
