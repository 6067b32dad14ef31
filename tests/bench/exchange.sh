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
#   import    (BENCH_IMPORT_SIZE contracts, 331,700 by default: a file of about 1,000,000 lines)
#             batch BENCH-EXC-N seeded as above (with as many hospitals as it needs), exported as
#             above into a file, then taken whole by a second, fresh stack (same binaries, its own
#             PostgreSQL) with ImportBatch over gRPC directly (tests/bench/exchange_import: the
#             file is past the gateway's 64 MiB; that stack runs with VBP_RPC_MAX_MESSAGE_BYTES at
#             2 GiB - 1 and an abort bound of BENCH_IMPORT_ABORT_AFTER_S), timed: lines/s, and
#             the peak RSS of catalog-svc, volume-svc and contract-svc during it. Checked: every
#             record imported, none skipped, no errors, and the tables hold N allocations,
#             progress rows and contracts, 3N signatures and 4N history rows
#   copy      (reference) the very rows the import wrote (allocations, imported progress,
#             contracts, signatures, history), copied out with psql's \copy and loaded with \copy
#             into empty tables of schema bench_ref of the same database, LIKE the originals
#             INCLUDING ALL plus the same foreign keys; timed the same way (wall time of the load)
# and prints, per size, lines/s and each process's peak RSS: the goal is an RSS that does not grow
# with the size (the export streams); then the import's lines/s, the COPY's, their ratio (goal:
# within 3x) and the peak RSS of each service during the import (it holds the parsed file). A run
# whose answers are wrong exits non-zero and its numbers do not count. Stops everything it
# started, also on failure or Ctrl-C. About 5-6 minutes on the 2-core machine (plus a first
# build), 2-3 without the import half (BENCH_IMPORT_SIZE=0); the run directory needs about 2 GB.
#   tests/bench/exchange.sh
#   BENCH_EXCHANGE_SIZES="100000 20000 100000" tests/bench/exchange.sh
# Environment (all optional): BENCH_EXCHANGE_SIZES ("20000 100000": contracts per exported batch,
# each a multiple of 50), BENCH_IMPORT_SIZE (331700: contracts of the imported batch, a multiple of
# 50; 0 leaves the import half out), BENCH_IMPORT_ABORT_AFTER_S (3600: the importing catalog-svc's
# VBP_IMPORT_ABORT_AFTER_S, whose half is each part's deadline and the call's, so a slow part is
# not aborted), BENCH_BUILD_DIR (build-bench). The hospitals are 2,000, or as many as the largest
# batch needs (50 contracts each).
# Needs curl.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

sizes=${BENCH_EXCHANGE_SIZES:-20000 100000}
import_size=${BENCH_IMPORT_SIZE:-331700}
abort_after_s=${BENCH_IMPORT_ABORT_AFTER_S:-3600}
build=${BENCH_BUILD_DIR:-$root/build-bench}
psql_bin=$STACK_PG_BIN/psql
products=50
processes=(gateway catalog-svc volume-svc contract-svc)

die() { bench_die "$@"; }

command -v curl >/dev/null || die "curl is not installed"
[[ -x "$psql_bin" ]] || die "no $psql_bin"
for n in $sizes; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && ((n % products == 0)) ||
    die "BENCH_EXCHANGE_SIZES: each size must be a multiple of $products, got '$n'"
done
[[ "$import_size" =~ ^[0-9]+$ ]] && ((import_size % products == 0)) ||
  die "BENCH_IMPORT_SIZE must be a multiple of $products (0: no import), got '$import_size'"
[[ "$abort_after_s" =~ ^[1-9][0-9]*$ ]] && ((abort_after_s <= 86400)) ||
  die "BENCH_IMPORT_ABORT_AFTER_S must be 1 to 86400, got '$abort_after_s'"
# One hospital per 50 contracts of the largest batch, at least the 2,000 the export half had.
hospitals=2000
for n in $sizes $import_size; do ((n / products > hospitals)) && hospitals=$((n / products)); done

bench_build "$root" "$build" catalog-svc pricing-svc volume-svc contract-svc gateway \
  exchange_import

bench_start_run
# The importing stack lives in $run/import: stopped before bench_cleanup stops the first.
exchange_cleanup() {
  local rc=$?
  [[ -z "$run" || ! -d "$run/import" ]] ||
    "$root/tests/stack.sh" stop "$run/import" >/dev/null 2>&1 || true
  (exit "$rc")
  bench_cleanup
}
trap exchange_cleanup EXIT

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

echo "bench: exchange export of sizes $sizes, import of $import_size, $hospitals hospitals," \
  "$(nproc) cores, $(free -m | awk '$1 == "Mem:" { print $2 }') MiB," \
  "uptime:$(uptime)"

# ---- 1. the province and its organizations -----------------------------------------------------
started=$EPOCHREALTIME
sql <<EOF
-- A valid GB 32100 credit code: the 17 characters given and their check character, as an
-- import checks them (common/credit_code.c).
CREATE FUNCTION pg_temp.credit_code(first17 text) RETURNS text LANGUAGE sql AS \$\$
  SELECT first17 || substr(a, (31 - sum((position(substr(first17, i::int, 1) IN a) - 1) * w)::int
    % 31) % 31 + 1, 1)
  FROM (SELECT '0123456789ABCDEFGHJKLMNPQRTUWXY' AS a) alphabet,
    unnest('{1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28}'::int[]) WITH ORDINALITY AS x (w, i)
  GROUP BY a
\$\$;
INSERT INTO catalog.regions (code, name, level, parent_code) VALUES
  ('350000', '福建省', 1, NULL), ('350100', '福州市', 2, '350000'), ('360000', '江西省', 1, NULL);
INSERT INTO catalog.organizations (id, name, kind, region_code, credit_code, institution_type)
SELECT 'bench-hosp-' || lpad(i::text, 5, '0'), '医院 ' || i, 4, '350100',
  pg_temp.credit_code('12350100' || lpad(i::text, 9, '0')), 1 FROM generate_series(1, $hospitals) i;
INSERT INTO catalog.organizations (id, name, kind, region_code, credit_code)
SELECT 'bench-mfr-' || i, '药业 ' || i, 5, '350000',
  pg_temp.credit_code('91350000' || lpad(i::text, 9, '0'))
FROM generate_series(1, 5) i
UNION ALL
SELECT 'bench-dist-' || i, '配送 ' || i, 6, '350100',
  pg_temp.credit_code('91350100' || lpad(i::text, 9, '0'))
FROM generate_series(1, 9) i
UNION ALL
SELECT 'bench-office', '联采办', 3, '360000',
  pg_temp.credit_code('11360000' || lpad('1', 9, '0'))
UNION ALL
SELECT 'bench-bureau', '福建省医疗保障局', 1, '350000',
  pg_temp.credit_code('11350000' || lpad('1', 9, '0'));
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
for n in $( (tr ' ' '\n' <<<"$sizes"; ((import_size == 0)) || echo "$import_size") | sort -nu); do
  seed_batch "$n"
done
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

# export_batch CODE EXPECTED [FILE]: exports batch CODE of province 350000 through the gateway (the
# body also written to FILE when given), checks the file (every line a record, `end` last with the
# count of the others, EXPECTED allocation, contract and progress lines each), and sets
# export_lines, export_seconds and, for each process, rss_hwm[NAME] and rss_sampled[NAME] (MiB)
# during the export.
declare -A rss_hwm rss_sampled
export_lines=0
export_seconds=0
export_batch() {
  local code=$1 expected=$2 file=${3:-/dev/null} name pid started summary sampler
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
    "http://$VBP_GATEWAY_ADDR/v1/exchange/batches/$code?regionCode=350000" | tee "$file" |
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

# ---- 3. the import of a large export into a fresh stack ----------------------------------------
# The five tables the import writes nearly all of its rows to, schema.table.
big_tables=(volume.allocations volume.imported_progress contract.contracts contract.signatures
  contract.contract_events)
import_report=()
if ((import_size > 0)); then
  file=$run/exchange.ndjson
  export_batch "BENCH-EXC-$import_size" "$import_size" "$file"
  line=$(printf '%7d contracts  %8d lines  %7.3f s  %7s lines/s' "$import_size" "$export_lines" \
    "$export_seconds" "$(per_second "$export_lines" "$export_seconds")")
  for name in "${processes[@]}"; do
    line+=$(printf '  %s %s (%s)' "$name" "${rss_hwm[$name]}" "${rss_sampled[$name]}")
  done
  echo "export: $line"
  report+=("$line")
  file_lines=$export_lines
  file_bytes=$(stat -c %s "$file")
  # gRPC's limit is an int: the whole file is one ImportBatch message.
  ((file_bytes < 2147483647 - 1048576)) ||
    die "the file is $file_bytes bytes: past what one gRPC message can carry (2 GiB - 1)"
  echo "file: $file_lines lines, $file_bytes bytes ($((file_bytes / file_lines)) a line)"

  # A second stack: same binaries, its own PostgreSQL, nothing of the batch in it. Its messages
  # may be as large as gRPC allows (the file in one ImportBatch, the parts in PrepareImport).
  started=$EPOCHREALTIME
  (
    export VBP_RPC_MAX_MESSAGE_BYTES=2147483647 VBP_IMPORT_ABORT_AFTER_S=$abort_after_s
    "$root/tests/stack.sh" start "$run/import" "$build/catalog-svc/catalog-svc" \
      "$build/pricing-svc/pricing-svc" "$build/volume-svc/volume-svc" \
      "$build/contract-svc/contract-svc" >/dev/null
  )
  imp_env() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' \
    "$run/import/env"; }
  imp_dsn=$(imp_env VBP_PG_DSN)
  imp_sql() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$imp_dsn" "$@"; }
  echo "import stack: up in $(since "$started") s"

  imp_names=(catalog-svc volume-svc contract-svc)
  imp_pids=()
  for name in "${imp_names[@]}"; do
    pid=$(stack_svc_pid "$run/import" "$name") || die "$name of the import stack is not running"
    imp_pids+=("$pid")
  done
  imp_sql -c "CHECKPOINT"
  for pid in "${imp_pids[@]}"; do echo 5 >"/proc/$pid/clear_refs"; done
  sample_rss "$run/rss.import" "${imp_pids[@]}" &
  sampler=$!
  answer=$(VBP_BENCH_KEY=$(imp_env VBP_ADMIN_KEY) VBP_RPC_MAX_MESSAGE_BYTES=2147483647 \
    "$build/tests/bench/exchange_import" "$(imp_env VBP_CATALOG_ADDR)" "$file" \
    "$abort_after_s") || {
    kill -TERM "$sampler"
    for name in "${imp_names[@]}"; do stack_tail_log "$run/import/logs/$name.log"; done
    die "the import failed: ${answer:-no answer}"
  }
  kill -TERM "$sampler"
  wait "$sampler" || true
  echo "import: $answer"
  read -r imported skipped errors import_s < <(sed -E \
    's/imported=([0-9]+) skipped=([0-9]+) errors=([0-9]+) seconds=([0-9.]+)/\1 \2 \3 \4/' \
    <<<"$answer")
  ((imported == file_lines - 1 && skipped == 0 && errors == 0)) ||
    die "the import took $imported records and skipped $skipped of $((file_lines - 1))"
  counts=$(for t in "${big_tables[@]}"; do imp_sql -At -c "SELECT count(*) FROM $t"; done |
    paste -sd' ')
  expected_counts="$import_size $import_size $import_size $((3 * import_size)) $((4 * import_size))"
  [[ "$counts" == "$expected_counts" ]] ||
    die "the import stored $counts rows in ${big_tables[*]}, not $expected_counts"
  imp_rss=()
  i=0
  for name in "${imp_names[@]}"; do
    imp_rss+=("$name $(status_mib "${imp_pids[$i]}" VmHWM) ($(awk -v p="${imp_pids[$i]}" \
      '$1 == p { printf "%.1f", $2 / 1024 }' "$run/rss.import"))")
    i=$((i + 1))
  done

  # The reference: the very rows the import wrote, COPY'd into empty tables with the same
  # columns, checks, indexes and foreign keys.
  rows=0
  for t in "${big_tables[@]}"; do
    imp_sql -c "\\copy $t TO '$run/${t#*.}.copy'"
    rows=$((rows + $(wc -l <"$run/${t#*.}.copy")))
    [[ "$t" == "${big_tables[0]}" ]] && imp_sql -c "CREATE SCHEMA bench_ref"
    imp_sql -c "CREATE TABLE bench_ref.${t#*.} (LIKE $t INCLUDING ALL)"
  done
  # LIKE leaves the foreign keys out: the same ones, to the copies when they point among them.
  imp_sql <<'EOF'
DO $$
DECLARE r record; target text;
BEGIN
  FOR r IN SELECT c.conname, cl.relname, pg_get_constraintdef(c.oid) AS def, fn.nspname AS fns,
      fc.relname AS frel
    FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = cl.relnamespace JOIN pg_class fc ON fc.oid = c.confrelid
    JOIN pg_namespace fn ON fn.oid = fc.relnamespace
    WHERE c.contype = 'f' AND n.nspname || '.' || cl.relname IN ('volume.allocations',
      'volume.imported_progress', 'contract.contracts', 'contract.signatures',
      'contract.contract_events')
  LOOP
    target := CASE WHEN EXISTS (SELECT FROM pg_tables WHERE schemaname = 'bench_ref'
        AND tablename = r.frel) THEN 'bench_ref' ELSE r.fns END;
    EXECUTE format('ALTER TABLE bench_ref.%I ADD CONSTRAINT %I %s', r.relname, r.conname,
      regexp_replace(r.def, 'REFERENCES [^(]+\(',
        'REFERENCES ' || quote_ident(target) || '.' || quote_ident(r.frel) || '('));
  END LOOP;
END $$;
EOF
  fks=$(imp_sql -At -c "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON
    n.oid = c.connamespace WHERE n.nspname = 'bench_ref' AND c.contype = 'f'")
  copy_script=""
  # Parents first, as the import writes them.
  for t in "${big_tables[@]}"; do
    copy_script+="\\copy bench_ref.${t#*.} FROM '$run/${t#*.}.copy'"$'\n'
  done
  imp_sql -c "CHECKPOINT"
  started=$EPOCHREALTIME
  imp_sql <<<"$copy_script"
  copy_s=$(since "$started")
  for t in "${big_tables[@]}"; do
    [[ "$(imp_sql -At -c "SELECT count(*) FROM bench_ref.${t#*.}")" == \
      "$(imp_sql -At -c "SELECT count(*) FROM $t")" ]] || die "bench_ref.${t#*.} lacks rows"
  done
  echo "copy: $rows rows into ${#big_tables[@]} tables ($fks foreign keys) in $copy_s s"
  ratio=$(awk -v a="$import_s" -v b="$copy_s" 'BEGIN { printf "%.2f", a / b }')
  import_report=(
    "$(printf 'import %8d lines  %8.3f s  %7s lines/s  (%d rows)' "$file_lines" "$import_s" \
      "$(per_second "$file_lines" "$import_s")" "$rows")"
    "$(printf 'copy   %8d lines  %8.3f s  %7s lines/s  (the same rows)' "$file_lines" "$copy_s" \
      "$(per_second "$file_lines" "$copy_s")")"
    "import/copy $ratio (goal: within 3)"
    "peak RSS during the import, MiB, VmHWM (largest VmRSS sampled): ${imp_rss[*]}"
  )
fi

# ---- 4. summary --------------------------------------------------------------------------------
echo "bench: summary (peak RSS in MiB during each export: VmHWM (largest VmRSS sampled))"
for line in "${report[@]}"; do echo "$line"; done
for line in "${import_report[@]}"; do echo "$line"; done
echo "bench: after, uptime:$(uptime)"
