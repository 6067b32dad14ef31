#!/usr/bin/env bash
# A throw-away stack for a test run, on free ports, with its state under DIR:
#   tests/stack.sh start DIR [BINARY...]   fresh PostgreSQL (fsync off) and Redis (no persistence),
#                                          then each BINARY (catalog-svc -> VBP_CATALOG_ADDR, ...);
#                                          writes DIR/env
#   tests/stack.sh stop DIR                stops all of it and removes the cluster
# DIR/env holds one KEY=VALUE a line, the value unquoted up to the end of the line (VBP_PG_DSN
# has spaces: read it line by line, e.g. with scripts/stack's stack_load_env, do not `source` it).
# A failed start stops whatever it had started. Safe beside scripts/up: other ports, other dirs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"

usage() {
  echo "usage: $0 start DIR [BINARY...] | stop DIR" >&2
  exit 2
}


# catalog-svc -> VBP_CATALOG_ADDR, gateway -> VBP_GATEWAY_ADDR.
addr_var() {
  local name=${1%-svc}
  name=${name//-/_}
  printf 'VBP_%s_ADDR\n' "${name^^}"
}

stop_all() {
  local dir=$1
  stack_svc_stop_all "$dir"
  stack_redis_stop "$dir"
  stack_pg_destroy "$dir"
}

# Global, not local: the EXIT trap may run after start() has returned.
dir=
envfile=

start() {
  local bin name var port
  dir=$1
  shift
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  envfile=$dir/env
  # Leftovers of an earlier run that was never stopped go first: this stack starts fresh.
  stop_all "$dir"
  rm -f "$envfile" "$envfile.new"
  # From here on, a failure anywhere stops what is already running.
  trap 'stop_all "$dir"; rm -f "$envfile.new"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local pg_port redis_port
  pg_port=$(stack_free_port)
  redis_port=$(stack_free_port)
  while [[ "$redis_port" == "$pg_port" ]]; do redis_port=$(stack_free_port); done

  VBP_PG_DSN=$(stack_pg_start "$dir" "$pg_port" fast)
  stack_redis_start "$dir" "$redis_port" ephemeral
  export VBP_PG_DSN VBP_PG_PORT=$pg_port VBP_REDIS_ADDR=127.0.0.1:$redis_port
  export VBP_REDIS_PORT=$redis_port VBP_REDIS_PIDFILE=$dir/redis/redis.pid
  export VBP_REDIS_CONF=$dir/redis/redis.conf
  export VBP_ADMIN_KEY VBP_INTERNAL_SECRET
  VBP_ADMIN_KEY=$(stack_random_hex 32)
  VBP_INTERNAL_SECRET=$(stack_random_hex 32)
  local -a vars=(VBP_PG_DSN VBP_PG_PORT VBP_REDIS_ADDR VBP_REDIS_PORT VBP_REDIS_PIDFILE
    VBP_REDIS_CONF VBP_ADMIN_KEY VBP_INTERNAL_SECRET)

  # Every address first: a service may need its peers' at start.
  local -a used=("$pg_port" "$redis_port")
  for bin in "$@"; do
    [[ -x "$bin" ]] || stack_die "not an executable: $bin"
    var=$(addr_var "$(basename "$bin")")
    port=$(stack_free_port)
    while [[ " ${used[*]} " == *" $port "* ]]; do port=$(stack_free_port); done
    used+=("$port")
    export "$var=127.0.0.1:$port"
    vars+=("$var")
    # Its Prometheus endpoint too, so it never takes the one a running scripts/up uses.
    var=${var%_ADDR}_METRICS_ADDR
    port=$(stack_free_port)
    while [[ " ${used[*]} " == *" $port "* ]]; do port=$(stack_free_port); done
    used+=("$port")
    export "$var=127.0.0.1:$port"
    vars+=("$var")
  done
  for bin in "$@"; do
    name=$(basename "$bin")
    var=$(addr_var "$name")
    stack_svc_start "$dir" "$name" "${!var##*:}" "$bin"
  done

  (
    umask 077
    for var in "${vars[@]}"; do
      printf '%s=%s\n' "$var" "${!var}"
    done >"$envfile.new"
  )
  mv "$envfile.new" "$envfile"
  trap - EXIT INT TERM
  echo "stack: up in $dir (env in $envfile)"
}

(($# >= 2)) || usage
case $1 in
start)
  shift
  start "$@"
  ;;
stop)
  (($# == 2)) || usage
  [[ -d "$2" ]] || exit 0
  stop_all "$(cd "$2" && pwd -P)"
  rm -f "$2/env"
  echo "stack: stopped $2"
  ;;
*) usage ;;
esac
