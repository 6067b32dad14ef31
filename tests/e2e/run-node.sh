#!/usr/bin/env bash
# ctest's runner for the Node tests: exports ENVFILE (written by tests/stack.sh start) and runs
# node's test runner here. Usage: tests/e2e/run-node.sh ENVFILE [TEST_FILE...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$here/../../scripts/stack"

(($# >= 1)) || { echo "usage: $0 ENVFILE [TEST_FILE...]" >&2; exit 2; }
envfile=$1
shift
[[ -f "$envfile" ]] || { echo "run-node: no $envfile: did the stack start?" >&2; exit 1; }
stack_load_env "$envfile"

cd "$here/node"
if [[ ! -d node_modules/@grpc/grpc-js || ! -d node_modules/puppeteer-core ||
      ! -d node_modules/grpc-js-reflection-client ]]; then
  echo "run-node: tests/e2e/node/node_modules is missing: run 'npm install' there (scripts/test does)" >&2
  exit 1
fi
(($# > 0)) || set -- catalog.test.mjs
exec node --test "$@"
