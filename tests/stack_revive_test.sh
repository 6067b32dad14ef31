#!/usr/bin/env bash
# A service killed with SIGKILL under scripts/up stopped the whole stack with it. Now
# stack_svc_revive (scripts/stack) starts it again, saying so, and waits longer after each death:
# this test runs a real server (redis-server stands in for a service binary) under it, kills it
# twice and checks it comes back each time, on its port, with the waits doubling.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"

dir=$(mktemp -d)
trap 'stack_svc_stop_all "$dir"; rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: $*" >&2
  sed 's/^/  said: /' "$dir/said" >&2 || true
  exit 1
}

port=$(stack_free_port)
stack_svc_start "$dir" fake-svc "$port" "$(command -v redis-server)" --port "$port" \
  --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$dir"

# Kills the service and revives it (as scripts/up's loop does, every 0.2 s here) until a new
# process listens; fails after 20 s.
kill_and_wait_for_revival() {
  local old new deadline=$((SECONDS + 20))
  read -r old _ <"$dir/pids/fake-svc.pid"
  kill -KILL "$old"
  while :; do
    stack_svc_revive "$dir" fake-svc 2>>"$dir/said"
    new=
    read -r new _ <"$dir/pids/fake-svc.pid" 2>/dev/null || true
    if [[ -n "$new" && "$new" != "$old" ]] && stack_svc_alive "$dir" fake-svc &&
      stack_port_open "$port"; then
      return 0
    fi
    ((SECONDS < deadline)) || fail "fake-svc did not come back within 20 s"
    sleep 0.2
  done
}

kill_and_wait_for_revival
grep -q 'fake-svc died of signal 9; restarting it in 1s' "$dir/said" ||
  fail "no word of the first death and its 1 s wait"
grep -q 'fake-svc restarted (pid [0-9]*)' "$dir/said" || fail "no word of the restart"

kill_and_wait_for_revival
grep -q 'fake-svc died of signal 9; restarting it in 2s' "$dir/said" ||
  fail "the second wait is not twice the first"
echo "ok: fake-svc came back twice after SIGKILL, waiting 1 s then 2 s"
