#!/usr/bin/env bash
# The contract generation and signing benchmark, run by hand (never by CI). In one run, against
# one private stack (tests/stack.sh: PostgreSQL, Redis, catalog-svc, pricing-svc, volume-svc,
# contract-svc, the gateway):
#   setup     `rpc_bench volume-setup` (as tests/bench/volume.sh: 2,000 hospitals x 50 WINNING
#             products of batch BENCH-VOL in 350000, demand, 100,000 allocations of year 1), then
#             `rpc_bench contract-setup`: one distributor per coordination area (the 9 cities)
#             named for each of the 50 products there (450 AuthorizeDistributor, so generation
#             assigns them, C8), and an API key minted by the admin for each party organization
#             (2,000 hospitals, 5 manufacturers, 9 distributors)
#   generate  GenerateContracts of year 1 (100,000 DRAFTs, one call), timed: contracts/s
#   sign      `rpc_bench contract-sign`: every contract signed by its manufacturer, its
#             distributor, then its hospital (300,000 SignContract calls over gRPC, 64 in flight
#             on one connection, each with the bearer key of the party that signs); the execution
#             has no signing windows. signatures/s over the whole run, p50/p99 latency. Checked:
#             every call OK with the state it leads to, and the tables then hold 100,000 EFFECTIVE
#             contracts, 300,000 signatures and 300,000 SIGN events
#   pgbench   reference: tests/bench/contract_sign.pgbench, the SQL statements SignContract's
#             transaction issues, one transaction a signature, on a copy of the same contracts
#             (schema bench_ref: the same tables, indexes and foreign keys, the contracts as
#             DRAFTs with their CREATE events), 64 clients, the same number of signatures
# and prints signatures/s, pgbench's transactions/s and the ratio of the two (goal >= 0.5). A run
# whose answers or tables are wrong exits non-zero and its numbers do not count. Stops everything
# it started, also on failure or Ctrl-C. About 10 minutes on the 2-core machine (plus a first
# build).
#   tests/bench/contract.sh
#   BENCH_CONTRACTS=20000 tests/bench/contract.sh     # sign (and pgbench) a fifth only
# Environment (all optional): BENCH_CONTRACTS (contracts signed, the first by id: 100000),
# BENCH_SIGN_IN_FLIGHT (64: SignContract calls at a time, and pgbench clients), BENCH_IN_FLIGHT
# (set-up calls at a time, 16), BENCH_BUILD_DIR (build-bench).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

contracts=${BENCH_CONTRACTS:-100000}
clients=${BENCH_SIGN_IN_FLIGHT:-64}
in_flight=${BENCH_IN_FLIGHT:-16}
build=${BENCH_BUILD_DIR:-$root/build-bench}
psql_bin=$STACK_PG_BIN/psql
pgbench_bin=$STACK_PG_BIN/pgbench
batch=BENCH-VOL
generated_expected=100000

die() { bench_die "$@"; }

[[ -x "$psql_bin" ]] || die "no $psql_bin"
[[ -x "$pgbench_bin" ]] || die "no $pgbench_bin"
[[ "$contracts" =~ ^[1-9][0-9]*$ ]] && ((contracts <= generated_expected)) ||
  die "BENCH_CONTRACTS must be a number from 1 to $generated_expected, got '$contracts'"
[[ "$clients" =~ ^[1-9][0-9]*$ ]] && ((clients <= 100)) ||
  die "BENCH_SIGN_IN_FLIGHT must be a number from 1 to 100, got '$clients'"

bench_build "$root" "$build" catalog-svc pricing-svc volume-svc contract-svc gateway rpc_bench
bench_bin=$build/tests/bench/rpc_bench

bench_start_run

# No log line per request, and a rate limit no run comes near.
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$build/catalog-svc/catalog-svc" \
  "$build/pricing-svc/pricing-svc" "$build/volume-svc/volume-svc" \
  "$build/contract-svc/contract-svc" "$build/gateway/gateway" >/dev/null
stack_load_env "$run/env"

sql() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$VBP_PG_DSN" "$@"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
fail_logs() {
  stack_tail_log "$run/logs/contract-svc.log"
  die "$@"
}

echo "bench: $contracts contracts signed by 3 parties, $clients in flight, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the province, its distributors and the parties' keys -----------------------------------
started=$EPOCHREALTIME
setup_line=$("$bench_bin" volume-setup -t "$VBP_CATALOG_ADDR" -p "$VBP_PRICING_ADDR" \
  -v "$VBP_VOLUME_ADDR" -n "$in_flight") || fail_logs "volume-setup failed"
echo "$setup_line total_s=$(since "$started")"
keys=$run/party.keys
(umask 077 && : >"$keys")
setup_line=$("$bench_bin" contract-setup -t "$VBP_CATALOG_ADDR" -c "$VBP_CONTRACT_ADDR" \
  -K "$keys" -n "$in_flight") || fail_logs "contract-setup failed"
echo "$setup_line"

# ---- 2. GenerateContracts of year 1 ------------------------------------------------------------
sql -c "CHECKPOINT"
generate_line=$("$bench_bin" contract-generate -c "$VBP_CONTRACT_ADDR") ||
  fail_logs "contract-generate failed"
echo "$generate_line"
generate_s=$(field "$generate_line" seconds)
year1="batch_code = '$batch' AND region_code = '350000' AND agreement_year = 1"
read -r made drafts named < <(sql -At -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE state = 1),
  count(*) FILTER (WHERE distributor_id <> '') FROM contract.contracts WHERE $year1")
[[ "$made $drafts $named" == "$generated_expected $generated_expected $generated_expected" ]] ||
  die "contract.contracts holds $made contracts of year 1, $drafts DRAFTs, $named with a" \
    "distributor: not $generated_expected each"

# ---- 3. signing over gRPC ----------------------------------------------------------------------
# The contracts and their parties, by id; rpc_bench signs the first $contracts.
# (\copy reads one line.)
sql -c "\\copy (SELECT id, institution_id, manufacturer_id, distributor_id FROM contract.contracts WHERE $year1 ORDER BY id) TO '$run/contracts.tsv'"
sql -c "VACUUM ANALYZE contract.contracts, contract.signatures, contract.contract_events" \
  -c "CHECKPOINT"
sign_line=$("$bench_bin" contract-sign -c "$VBP_CONTRACT_ADDR" -K "$keys" \
  -C "$run/contracts.tsv" -l "$contracts" -n "$clients") || {
  echo "$sign_line"
  fail_logs "contract-sign failed"
}
echo "$sign_line"
signatures=$(field "$sign_line" signatures)
signs_per_s=$(field "$sign_line" signatures/s)
read -r effective sigs events < <(sql -At -F ' ' -c "SELECT
  (SELECT count(*) FROM contract.contracts WHERE $year1 AND state = 4 AND signed_parties = 14),
  (SELECT count(*) FROM contract.signatures),
  (SELECT count(*) FROM contract.contract_events WHERE action = 2)")
echo "tables: $effective EFFECTIVE contracts, $sigs signatures, $events SIGN events"
[[ "$effective $sigs $events" == "$contracts $((3 * contracts)) $((3 * contracts))" ]] ||
  die "the tables do not hold what $((3 * contracts)) signatures make: the numbers do not count"

# ---- 4. the same statements with pgbench -------------------------------------------------------
# A copy of the contracts as DRAFTs, with their CREATE events, ids 1000000000000000000 + n in the
# order of the real ids (the script computes them), in tables like contract-svc's.
sql <<EOF
SET client_min_messages TO warning;
DROP SCHEMA IF EXISTS bench_ref CASCADE;
CREATE SCHEMA bench_ref;
CREATE TABLE bench_ref.contracts (LIKE contract.contracts INCLUDING ALL);
ALTER TABLE bench_ref.contracts ADD FOREIGN KEY (renews) REFERENCES bench_ref.contracts (id);
CREATE TABLE bench_ref.signatures (LIKE contract.signatures INCLUDING ALL,
  FOREIGN KEY (contract_id) REFERENCES bench_ref.contracts (id));
CREATE TABLE bench_ref.contract_events (LIKE contract.contract_events INCLUDING ALL,
  FOREIGN KEY (contract_id) REFERENCES bench_ref.contracts (id));
CREATE TABLE bench_ref.signing_keys (LIKE contract.signing_keys INCLUDING ALL);
CREATE TEMP TABLE ids AS SELECT id,
  (1000000000000000000 + row_number() OVER (ORDER BY id) - 1)::text AS ref
  FROM contract.contracts WHERE $year1;
INSERT INTO bench_ref.contracts (id, batch_code, region_code, kind, institution_id,
  institution_region, area_code, manufacturer_id, distributor_id, product_id, price, quantity,
  agreement_year, period_start, period_end, state, signed_parties, renews, created_at)
SELECT m.ref, c.batch_code, c.region_code, c.kind, c.institution_id, c.institution_region,
  c.area_code, c.manufacturer_id, c.distributor_id, c.product_id, c.price, c.quantity,
  c.agreement_year, c.period_start, c.period_end, 1, 0, NULL, c.created_at
FROM contract.contracts c JOIN ids m USING (id) ORDER BY m.ref;
INSERT INTO bench_ref.contract_events (contract_id, seq, at, actor_id, actor_role, action,
  from_state, to_state, document_sha256, note, key_id, signature)
SELECT m.ref, e.seq, e.at, e.actor_id, e.actor_role, e.action, e.from_state, e.to_state,
  e.document_sha256, e.note, e.key_id, e.signature
FROM contract.contract_events e JOIN ids m ON m.id = e.contract_id WHERE e.action = 1
ORDER BY m.ref;
VACUUM ANALYZE bench_ref.contracts, bench_ref.signatures, bench_ref.contract_events,
  bench_ref.signing_keys;
CHECKPOINT;
EOF
# Each client signs the same number; the few signatures that do not divide evenly are left out.
per_client=$((3 * contracts / clients))
PGOPTIONS='-c search_path=bench_ref -c datestyle=ISO' "$pgbench_bin" -n -M prepared \
  -c "$clients" -j 2 -t "$per_client" -D "clients=$clients" -D "contracts=$contracts" -D k=0 \
  -f "$root/tests/bench/contract_sign.pgbench" "$VBP_PG_DSN" >"$run/pgbench.out" 2>&1 || {
  cat "$run/pgbench.out" >&2
  die "pgbench failed"
}
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$run/pgbench.out")
pg_latency=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$run/pgbench.out")
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
  "$run/pgbench.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$run/pgbench.out")
read -r ref_sigs ref_events ref_effective < <(sql -At -F ' ' -c "SELECT
  (SELECT count(*) FROM bench_ref.signatures),
  (SELECT count(*) FROM bench_ref.contract_events WHERE action = 2),
  (SELECT count(*) FROM bench_ref.contracts WHERE state = 4 AND signed_parties = 14)")
echo "pgbench: $processed transactions ($((clients * per_client)) asked, ${failed:-0} failed)," \
  "tps $tps, latency average $pg_latency ms; tables: $ref_sigs signatures, $ref_events SIGN" \
  "events, $ref_effective EFFECTIVE"
[[ -n "$tps" && "$processed" == $((clients * per_client)) && "${failed:-0}" == 0 &&
  "$ref_sigs $ref_events" == "$processed $processed" ]] ||
  die "pgbench did not make every signature: its numbers do not count"
sql -c "SET client_min_messages TO warning" -c "DROP SCHEMA bench_ref CASCADE"

# ---- 5. summary --------------------------------------------------------------------------------
echo "bench: summary ($contracts contracts, $signatures signatures, $clients in flight," \
  "$(nproc) cores)"
printf 'generate  %9.3f s  %8s contracts/s  (GenerateContracts of year 1, one call)\n' \
  "$generate_s" "$(field "$generate_line" contracts/s)"
printf 'sign      %9.3f s  %8s signatures/s p50 %s ms  p99 %s ms  (gRPC, bearer keys)\n' \
  "$(field "$sign_line" seconds)" "$signs_per_s" "$(field "$sign_line" p50_ms)" \
  "$(field "$sign_line" p99_ms)"
printf 'pgbench   %9s    %8s tx/s         latency average %s ms  (the same SQL per signature)\n' \
  "" "$tps" "$pg_latency"
printf 'ratio signatures/s / pgbench tx/s (goal >= 0.5): %s\n' "$(ratio "$signs_per_s" "$tps")"
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
