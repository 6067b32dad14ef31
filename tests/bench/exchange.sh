#!/usr/bin/env bash
# The alliance exchange benchmark, run by hand (never by CI). In one run, against one private
# stack (tests/stack.sh: PostgreSQL, Redis, catalog-svc, pricing-svc, volume-svc, contract-svc,
# the gateway):
#   seed      directly in SQL (the bench measures the export, not the writes): province 350000
#             and city 350100, 2,000 hospitals, 5 manufacturers, 9 distributors, the provincial
#             bureau, an alliance office, 50 drugs in 10 groups; then for each size N of
#             BENCH_EXCHANGE_SIZES a batch BENCH-EXC-N of its own (created by the alliance
#             office, executed in 350000 from 2024-07-22, 4 years) whose 50 products all won,
#             N/50 hospitals x 50 products of year-1 allocations, and as many contracts, each
#             EFFECTIVE with its three signatures and four history entries (CREATE, three SIGNs)
#   export    (export_batch, a function the import half of this script will reuse) GET
#             /v1/exchange/batches/BENCH-EXC-N?regionCode=350000 through the gateway, the body
#             streamed to awk (nothing kept), timed: lines/s. Checked: every line is a record, the
#             last is `end` with the count of the others, and there are exactly as many
#             allocation, contract and progress lines as the size. During the export the peak RSS
#             of the gateway and of each service: VmHWM, reset just before (/proc/PID/clear_refs
#             5), and VmRSS sampled every 20 ms as a cross-check
# and prints, per size, lines/s and each process's peak RSS: the goal is an RSS that does not grow
# with the size (the export streams). A run whose answers are wrong exits non-zero and its numbers
# do not count. Stops everything it started, also on failure or Ctrl-C. About 2-3 minutes on the
# 2-core machine with the default sizes (plus a first build).
#   tests/bench/exchange.sh
#   BENCH_EXCHANGE_SIZES="100000 20000 100000" tests/bench/exchange.sh
# Environment (all optional): BENCH_EXCHANGE_SIZES ("20000 100000": contracts per batch, each a
# multiple of 50 and at most 100,000 x the hospitals / 2,000), BENCH_BUILD_DIR (build-bench).
# Needs curl.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

sizes=${BENCH_EXCHANGE_SIZES:-20000 100000}
build=${BENCH_BUILD_DIR:-$root/build-bench}
psql_bin=$STACK_PG_BIN/psql
hospitals=2000
products=50
processes=(gateway catalog-svc volume-svc contract-svc)

die() { bench_die "$@"; }

command -v curl >/dev/null || die "curl is not installed"
[[ -x "$psql_bin" ]] || die "no $psql_bin"
max_size=$((hospitals * products))
for n in $sizes; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && ((n % products == 0 && n <= max_size)) ||
    die "BENCH_EXCHANGE_SIZES: each size must be a multiple of $products up to $max_size, got '$n'"
done

bench_build "$root" "$build" catalog-svc pricing-svc volume-svc contract-svc gateway

bench_start_run

# No log line per request.
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$build/catalog-svc/catalog-svc" \
  "$build/pricing-svc/pricing-svc" "$build/volume-svc/volume-svc" \
  "$build/contract-svc/contract-svc" "$build/gateway/gateway" >/dev/null
stack_load_env "$run/env"
# curl reads the key from a file, so that it does not show in ps.
(umask 077 && printf 'Authorization: Bearer %s\n' "$VBP_ADMIN_KEY" >"$run/auth.header")

sql() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$VBP_PG_DSN" "$@"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
per_second() {
  awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'
}
pid_of() { stack_svc_pid "$run" "$1" || die "$1 is not running"; }
# A kB figure of /proc/PID/status (VmHWM, VmRSS) in MiB with one decimal.
status_mib() {
  awk -v key="$2:" '$1 == key { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

echo "bench: exchange export of sizes $sizes, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the province and its organizations -----------------------------------------------------
started=$EPOCHREALTIME
sql <<EOF
INSERT INTO catalog.regions (code, name, level, parent_code) VALUES
  ('350000', '福建省', 1, NULL), ('350100', '福州市', 2, '350000'), ('360000', '江西省', 1, NULL);
INSERT INTO catalog.organizations (id, name, kind, region_code, credit_code, institution_type)
SELECT 'bench-hosp-' || lpad(i::text, 5, '0'), '医院 ' || i, 4, '350100',
  '12350100' || lpad(i::text, 10, '0'), 1 FROM generate_series(1, $hospitals) i;
INSERT INTO catalog.organizations (id, name, kind, region_code, credit_code)
SELECT 'bench-mfr-' || i, '药业 ' || i, 5, '350000', '91350000' || lpad(i::text, 10, '0')
FROM generate_series(1, 5) i
UNION ALL
SELECT 'bench-dist-' || i, '配送 ' || i, 6, '350100', '91350100' || lpad(i::text, 10, '0')
FROM generate_series(1, 9) i
UNION ALL
SELECT 'bench-office', '联采办', 3, '360000', '11360000' || lpad('1', 10, '0')
UNION ALL
SELECT 'bench-bureau', '福建省医疗保障局', 1, '350000', '11350000' || lpad('1', 10, '0');
INSERT INTO catalog.products (id, kind, generic_name, dosage_form, specification, unit,
  manufacturer_id, quality_tier, in_insurance_catalog)
SELECT 'bench-p' || lpad(j::text, 2, '0'), 1, '通用名 ' || ((j - 1) / 5 + 1), '片剂', '10mg', '片',
  'bench-mfr-' || ((j - 1) % 5 + 1), 3, true
FROM generate_series(1, $products) j;
EOF

# seed_batch N: batch BENCH-EXC-N with N year-1 allocations and N EFFECTIVE contracts.
seed_batch() {
  local n=$1 code=BENCH-EXC-$1
  local units=$((n / products))
  sql <<EOF
INSERT INTO catalog.batches (code, name, kind, organizer_level, lead_region_code,
  member_region_codes, cycle_years, renewal_floor, created_by)
VALUES ('$code', '导出基准 $n', 1, 2, '360000', '{360000,350000}', 4, 1, 'bench-office');
INSERT INTO catalog.executions (batch_code, region_code, listing_date, start_date)
VALUES ('$code', '350000', '2024-07-18', '2024-07-22');
INSERT INTO catalog.groups (batch_code, id, generic_name, competitive)
SELECT '$code', 'G' || lpad(g::text, 2, '0'), '通用名 ' || g, true FROM generate_series(1, 10) g;
INSERT INTO catalog.results (batch_code, product_id, group_id, status, winning_price,
  share_percent)
SELECT '$code', 'bench-p' || lpad(j::text, 2, '0'), 'G' || lpad(((j - 1) / 5 + 1)::text, 2, '0'),
  1, 10000 * j, 20
FROM generate_series(1, $products) j;
INSERT INTO volume.allocations (batch_code, region_code, agreement_year, institution_id,
  institution_region, group_id, product_id, manufacturer_id, base_quantity, ratio_percent,
  agreed_quantity, winning_price)
SELECT '$code', '350000', 1, 'bench-hosp-' || lpad(i::text, 5, '0'), '350100',
  'G' || lpad(((j - 1) / 5 + 1)::text, 2, '0'), 'bench-p' || lpad(j::text, 2, '0'),
  'bench-mfr-' || ((j - 1) % 5 + 1), 1000, 80, 160, 10000 * j
FROM generate_series(1, $units) i, generate_series(1, $products) j;
CREATE TEMP TABLE seeded AS
SELECT 'ct-$n-' || lpad(((i - 1) * $products + j)::text, 7, '0') AS id,
  'bench-hosp-' || lpad(i::text, 5, '0') AS institution_id,
  'bench-mfr-' || ((j - 1) % 5 + 1) AS manufacturer_id,
  'bench-dist-' || ((i - 1) % 9 + 1) AS distributor_id,
  'bench-p' || lpad(j::text, 2, '0') AS product_id, 10000 * j AS price
FROM generate_series(1, $units) i, generate_series(1, $products) j;
INSERT INTO contract.contracts (id, batch_code, region_code, kind, institution_id,
  institution_region, area_code, manufacturer_id, distributor_id, product_id, price, quantity,
  agreement_year, period_start, period_end, state, signed_parties)
SELECT id, '$code', '350000', 1, institution_id, '350100', '350100', manufacturer_id,
  distributor_id, product_id, price, 160, 1, '2024-07-22', '2025-12-31', 4, 14
FROM seeded;
INSERT INTO contract.signatures (contract_id, party, signer_name, document_sha256, signed_by)
SELECT id, p.party, '张经理', md5(id) || md5(id),
  CASE p.party WHEN 1 THEN manufacturer_id WHEN 2 THEN distributor_id ELSE institution_id END
FROM seeded, (VALUES (1), (2), (3)) p (party);
INSERT INTO contract.contract_events (contract_id, seq, actor_id, actor_role, action, from_state,
  to_state, document_sha256, note)
SELECT id, e.seq, CASE e.seq WHEN 1 THEN 'bench-bureau' WHEN 2 THEN manufacturer_id
    WHEN 3 THEN distributor_id ELSE institution_id END,
  CASE e.seq WHEN 1 THEN 'BUREAU' WHEN 2 THEN 'MANUFACTURER' WHEN 3 THEN 'DISTRIBUTOR'
    ELSE 'MEDICAL_INSTITUTION' END,
  CASE e.seq WHEN 1 THEN 1 ELSE 2 END, e.seq - 1, e.seq,
  CASE e.seq WHEN 1 THEN '' ELSE md5(id) || md5(id) END,
  CASE e.seq WHEN 1 THEN 'GenerateContracts' ELSE '' END
FROM seeded, generate_series(1, 4) e (seq);
EOF
}

# A size named twice is seeded once and exported twice (to tell growth from warm-up).
for n in $(tr ' ' '\n' <<<"$sizes" | sort -nu); do seed_batch "$n"; done
sql -c "VACUUM ANALYZE" -c "CHECKPOINT"
echo "seed: $(sql -At -c "SELECT count(*) FROM contract.contracts") contracts," \
  "$(sql -At -c "SELECT count(*) FROM contract.signatures") signatures," \
  "$(sql -At -c "SELECT count(*) FROM volume.allocations") allocations in $(since "$started") s"

# ---- 2. the export -----------------------------------------------------------------------------

# sample_rss OUT PID...: the largest VmRSS (kB) of each PID every 20 ms, one "pid kB" line each
# into OUT when stopped (SIGTERM).
sample_rss() {
  local out=$1 pid kb
  shift
  declare -A peak=()
  for pid in "$@"; do peak[$pid]=0; done
  trap 'for pid in "${!peak[@]}"; do echo "$pid ${peak[$pid]}"; done >"$out"; exit 0' TERM
  while :; do
    for pid in "$@"; do
      kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      ((kb > peak[$pid])) && peak[$pid]=$kb
    done
    sleep 0.02
  done
}

# export_batch CODE EXPECTED: exports batch CODE of province 350000 through the gateway, checks the
# file (every line a record, `end` last with the count of the others, EXPECTED allocation,
# contract and progress lines each), and sets export_lines, export_seconds and, for each process,
# rss_hwm[NAME] and rss_sampled[NAME] (MiB) during the export.
declare -A rss_hwm rss_sampled
export_lines=0
export_seconds=0
export_batch() {
  local code=$1 expected=$2 name pid started summary sampler
  local -a pids=()
  for name in "${processes[@]}"; do
    pid=$(pid_of "$name")
    pids+=("$pid")
    # Resets VmHWM to the current RSS: what follows is this export's peak.
    echo 5 >"/proc/$pid/clear_refs" || die "cannot reset the peak RSS of $name"
  done
  sample_rss "$run/rss.$code" "${pids[@]}" &
  sampler=$!
  started=$EPOCHREALTIME
  # Nothing of the body is kept: awk counts the types and remembers the last line.
  summary=$(curl -sS --fail -H "@$run/auth.header" -H 'Accept-Encoding: identity' \
    "http://$VBP_GATEWAY_ADDR/v1/exchange/batches/$code?regionCode=350000" |
    awk '{ n++; last = $0; split($0, t, "\""); count[t[2]]++ }
         END { printf "%d %d %d %d %d %s\n", n, count["allocation"], count["contract"],
               count["progress"], count["error"], last }')
  export_seconds=$(since "$started")
  kill -TERM "$sampler"
  wait "$sampler" || true
  local lines allocations contracts progress errors last
  read -r lines allocations contracts progress errors last <<<"$summary"
  [[ "$errors" == 0 && "$last" == "{\"end\":{\"records\":\"$((lines - 1))\"}}" ]] ||
    die "$code: the download is not whole (last line: $last)"
  [[ "$allocations $contracts $progress" == "$expected $expected $expected" ]] ||
    die "$code: $allocations allocations, $contracts contracts, $progress progress lines:" \
      "not $expected each"
  export_lines=$lines
  local i=0
  for name in "${processes[@]}"; do
    rss_hwm[$name]=$(status_mib "${pids[$i]}" VmHWM)
    rss_sampled[$name]=$(awk -v p="${pids[$i]}" '$1 == p { printf "%.1f", $2 / 1024 }' \
      "$run/rss.$code")
    i=$((i + 1))
  done
}

declare -a report=()
for n in $sizes; do
  export_batch "BENCH-EXC-$n" "$n"
  line=$(printf '%7d contracts  %8d lines  %7.3f s  %7s lines/s' "$n" "$export_lines" \
    "$export_seconds" "$(per_second "$export_lines" "$export_seconds")")
  for name in "${processes[@]}"; do
    line+=$(printf '  %s %s (%s)' "$name" "${rss_hwm[$name]}" "${rss_sampled[$name]}")
  done
  echo "export: $line"
  report+=("$line")
done

# ---- 3. summary --------------------------------------------------------------------------------
echo "bench: summary (peak RSS in MiB during each export: VmHWM (largest VmRSS sampled))"
for line in "${report[@]}"; do echo "$line"; done
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
