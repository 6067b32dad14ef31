#!/usr/bin/env bash
# The purchase import and volume read benchmark, run by hand (never by CI). In one run, against one
# private stack (tests/stack.sh: PostgreSQL, Redis, catalog-svc, pricing-svc, volume-svc, the
# gateway):
#   setup     `rpc_bench volume-setup`: province 350000 with its cities and counties, batch
#             BENCH-VOL (drugs, 4 years) executed there from 2024-07-22, 50 WINNING products in
#             10 groups, 2,000 county hospitals, each hospital's demand for each group (20,000
#             reports, 3 reviews each, with the admin key), ComputeAllocations at 80% (100,000)
#   import    BENCH_VOLUME_LINES purchases (`rpc_bench volume-lines`: 2,000 hospitals x 50
#             products x 10 lines by default, accepted in agreement year 1 before 2025-06-01, in
#             date order) as NDJSON files of at most 64 MiB, POST /v1/purchases:import through the
#             gateway one after the other; checked: all recorded, none skipped, no line errors
#   copy      the same rows (written from the same data) with psql's \copy into a fresh table
#             LIKE volume.purchases INCLUDING ALL                                  reference
#   progress  GetProgress of the province (asOf 2025-06-01, year 1, pageSize 500), every page
#             through the gateway, against the same sums as one SQL aggregate in psql (allocations
#             LEFT JOIN the purchases summed per unit x product)                 reference
#   assess    Assess of the province (year 1, pageSize 500), every page, against one SQL aggregate
#             per unit x variety (the group: one generic name each)               reference
# and prints lines/s and the ratios the issue sets goals for: import/copy, progress/SQL and
# assess/SQL each within 3x. Both tables must end up with the same rows (a checksum of every
# column but the id), and the reads must agree with their SQL. Each read is timed twice and the
# faster counts, on either side; the SQL also without parallel workers, for information (the
# API's pages run one at a time). Stops everything it started, also on failure or Ctrl-C. About
# 2-3 minutes on the 2-core machine (plus a first build); the run directory needs ~0.5 GB.
#   tests/bench/volume.sh
#   BENCH_VOLUME_LINES=100000 tests/bench/volume.sh
# Environment (all optional): BENCH_VOLUME_LINES (1000000), BENCH_VOLUME_FILE_BYTES (67108864,
# the route's limit), BENCH_IN_FLIGHT (set-up calls at a time, 16), BENCH_BUILD_DIR (build-bench).
# Needs curl and jq.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../../scripts/stack source-path=SCRIPTDIR
source "$root/scripts/stack"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$root/tests/bench/lib.sh"

lines=${BENCH_VOLUME_LINES:-1000000}
file_bytes=${BENCH_VOLUME_FILE_BYTES:-67108864}
in_flight=${BENCH_IN_FLIGHT:-16}
build=${BENCH_BUILD_DIR:-$root/build-bench}
psql_bin=$STACK_PG_BIN/psql
batch=BENCH-VOL
as_of=2025-06-01

die() { bench_die "$@"; }

for tool in curl jq; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x "$psql_bin" ]] || die "no $psql_bin"
[[ "$lines" =~ ^[1-9][0-9]*$ ]] || die "BENCH_VOLUME_LINES must be a positive number, got '$lines'"

bench_build "$root" "$build" catalog-svc pricing-svc volume-svc gateway rpc_bench
bench_bin=$build/tests/bench/rpc_bench

bench_start_run

# No log line per request, and a rate limit no run comes near.
export VBP_LOG_LEVEL=warn VBP_RATE_LIMIT_RPS=100000000
"$root/tests/stack.sh" start "$run" "$build/catalog-svc/catalog-svc" \
  "$build/pricing-svc/pricing-svc" "$build/volume-svc/volume-svc" \
  "$build/gateway/gateway" >/dev/null
stack_load_env "$run/env"
# curl reads the key from a file, so that it does not show in ps.
(umask 077 && printf 'Authorization: Bearer %s\n' "$VBP_ADMIN_KEY" >"$run/auth.header")

sql() { "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$VBP_PG_DSN" "$@"; }
# The milliseconds of psql's \timing line in its output ($1).
timing_ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$1" | tail -n 1; }
# Seconds since $1 (an $EPOCHREALTIME).
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }'; }
per_second() {
  awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'
}
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
fail_logs() {
  stack_tail_log "$run/logs/volume-svc.log"
  stack_tail_log "$run/logs/gateway.log"
  die "$@"
}

echo "bench: $lines purchase lines, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the province's data --------------------------------------------------------------------
started=$EPOCHREALTIME
setup_line=$("$bench_bin" volume-setup -t "$VBP_CATALOG_ADDR" -p "$VBP_PRICING_ADDR" \
  -v "$VBP_VOLUME_ADDR" -n "$in_flight") || fail_logs "volume-setup failed"
echo "$setup_line total_s=$(since "$started")"

# ---- 2. the import through the gateway ---------------------------------------------------------
mkdir "$run/lines"
lines_line=$("$bench_bin" volume-lines -D "$run/lines" -l "$lines" -b "$file_bytes")
echo "$lines_line"
files=("$run"/lines/purchases-*.ndjson)
# Each timed write starts with no dirty buffers left by what came before it.
sql -c "CHECKPOINT"
started=$EPOCHREALTIME
for file in "${files[@]}"; do
  # grpc-timeout: the gateway's longest deadline (60 s) instead of its 5 s default.
  status=$(curl -sS --max-time 120 -o "$file.answer" -w '%{http_code}' \
    -H "@$run/auth.header" -H 'Content-Type: application/x-ndjson' \
    -H 'grpc-timeout: 60S' --data-binary "@$file" \
    "http://$VBP_GATEWAY_ADDR/v1/purchases:import") || status=000
  if [[ "$status" != 200 ]]; then
    head -c 2000 "$file.answer" >&2 || true
    fail_logs "POST /v1/purchases:import of $(basename "$file") answered $status, not 200"
  fi
done
import_s=$(since "$started")
read -r recorded skipped line_errors < <(jq -rs \
  '[(map(.recorded // 0) | add), (map(.skipped // 0) | add), (map(.errors // [] | length) | add)]
   | @tsv' "$run"/lines/purchases-*.ndjson.answer)
stored=$(sql -At -c "SELECT count(*) FROM volume.purchases")
echo "import  ${#files[@]} files in ${import_s}s: recorded=$recorded skipped=$skipped" \
  "line_errors=$line_errors stored=$stored"
if ((recorded != lines || skipped != 0 || line_errors != 0 || stored != lines)); then
  jq -c '.errors // [] | .[:5][]' "$run"/lines/purchases-*.ndjson.answer >&2 || true
  die "the import recorded $recorded of $lines lines ($skipped skipped, $line_errors errors," \
    "$stored rows stored): its numbers do not count"
fi

# ---- 3. COPY of the same rows ------------------------------------------------------------------
columns=$(<"$run/lines/purchases.columns")
sql -c "CREATE SCHEMA bench_ref" \
  -c "CREATE TABLE bench_ref.purchases (LIKE volume.purchases INCLUDING ALL)" -c "CHECKPOINT"
copy_out=$(sql <<EOF
\timing on
\copy bench_ref.purchases ($columns) FROM '$run/lines/purchases.copy'
EOF
)
copy_s=$(seconds "$(timing_ms "$copy_out")")
# Every column but the id, so both tables must hold the very same rows.
checksum="SELECT count(*) || ' ' || sum(hashtextextended(concat_ws('|', $columns), 0)::numeric)"
imported_sum=$(sql -At -c "$checksum FROM volume.purchases")
copied_sum=$(sql -At -c "$checksum FROM bench_ref.purchases")
echo "copy    $lines rows in ${copy_s}s; checksum of the rows: import $imported_sum," \
  "copy $copied_sum"
[[ "$imported_sum" == "$copied_sum" ]] ||
  die "volume.purchases and the COPY reference hold different rows"
sql -c "SET client_min_messages TO warning" -c "DROP SCHEMA bench_ref CASCADE" \
  -c "VACUUM ANALYZE volume.purchases"

# ---- 4. the reads, against SQL -----------------------------------------------------------------
# pages NAME PATH: every page of the GET PATH (a query string) through the gateway, following
# nextPageToken; the answers in $run/NAME-N.json. Sets pages_s (the sum of curl's time_total: the
# time spent waiting on answers, without starting curl or reading the token) and pages_n.
pages() {
  local name=$1 path=$2 token='' url status t out
  pages_s=0
  pages_n=0
  rm -f "$run/$name"-*.json
  while :; do
    pages_n=$((pages_n + 1))
    out=$run/$name-$pages_n.json
    url="http://$VBP_GATEWAY_ADDR$path"
    [[ -z "$token" ]] || url+="&pageToken=$token"
    read -r status t < <(curl -sS --max-time 60 -o "$out" -w '%{http_code} %{time_total}\n' \
      -H "@$run/auth.header" "$url" || echo 000 0)
    if [[ "$status" != 200 ]]; then
      head -c 2000 "$out" >&2 || true
      fail_logs "GET $path (page $pages_n) answered $status, not 200"
    fi
    pages_s=$(awk -v a="$pages_s" -v b="$t" 'BEGIN { printf "%.6f", a + b }')
    token=$(sed -n 's/.*"nextPageToken":"\([^"]*\)".*/\1/p' "$out")
    [[ -n "$token" ]] || break
  done
}

# timed_sql SQL [SETTING]: psql's \timing of SQL (after SET SETTING, if given), its rows sent to
# /dev/null, in seconds.
timed_sql() {
  local out
  out=$(sql <<EOF
SET search_path TO volume;
${2:+SET $2;}
\timing on
\o /dev/null
$1;
EOF
  )
  seconds "$(timing_ms "$out")"
}

where="batch_code = '$batch' AND region_code = '350000' AND agreement_year = 1"
progress_sql="SELECT a.institution_id, a.product_id, a.agreed_quantity,
  coalesce(s.purchased, 0) AS purchased
FROM allocations a LEFT JOIN (SELECT unit_id, product_id, sum(quantity) AS purchased
  FROM purchases WHERE $where AND accepted_on <= '$as_of' GROUP BY unit_id, product_id) s
  ON s.unit_id = a.institution_id AND s.product_id = a.product_id
WHERE a.$where ORDER BY a.institution_id, a.product_id"
# Every product of this batch is WINNING and its group has one generic name (the variety), so a
# unit passes a variety when it bought each product's agreed quantity (V6).
assess_sql="SELECT a.institution_id, a.group_id,
  bool_and(coalesce(s.purchased, 0) >= a.agreed_quantity) AS passed,
  sum(a.agreed_quantity) AS agreed, sum(coalesce(s.purchased, 0)) AS purchased
FROM allocations a LEFT JOIN (SELECT unit_id, product_id, sum(quantity) AS purchased
  FROM purchases WHERE $where GROUP BY unit_id, product_id) s
  ON s.unit_id = a.institution_id AND s.product_id = a.product_id
WHERE a.$where GROUP BY a.institution_id, a.group_id ORDER BY a.institution_id, a.group_id"

progress_path="/v1/progress?batchCode=$batch&regionCode=350000&agreementYear=1&asOf=$as_of"
progress_path+="&pageSize=500"
assess_path="/v1/assessments?batchCode=$batch&regionCode=350000&agreementYear=1&pageSize=500"

progress_api='' progress_ref='' assess_api='' assess_ref='' progress_serial='' assess_serial=''
# For information: PostgreSQL runs the reference aggregates with parallel workers (both cores);
# also timed in one process each, as a page of the API is.
serial=max_parallel_workers_per_gather=0
for round in 1 2; do
  started=$EPOCHREALTIME
  pages progress "$progress_path"
  wall=$(since "$started")
  progress_pages=$pages_n
  progress_api=$(smaller "$pages_s" "$progress_api")
  sql_s=$(timed_sql "$progress_sql")
  progress_ref=$(smaller "$sql_s" "$progress_ref")
  serial_s=$(timed_sql "$progress_sql" "$serial")
  progress_serial=$(smaller "$serial_s" "$progress_serial")
  echo "round $round: progress $pages_n pages ${pages_s}s (wall ${wall}s), SQL ${sql_s}s" \
    "(without parallel workers ${serial_s}s)"
  started=$EPOCHREALTIME
  pages assess "$assess_path"
  wall=$(since "$started")
  assess_pages=$pages_n
  assess_api=$(smaller "$pages_s" "$assess_api")
  sql_s=$(timed_sql "$assess_sql")
  assess_ref=$(smaller "$sql_s" "$assess_ref")
  serial_s=$(timed_sql "$assess_sql" "$serial")
  assess_serial=$(smaller "$serial_s" "$assess_serial")
  echo "round $round: assess $pages_n pages ${pages_s}s (wall ${wall}s), SQL ${sql_s}s" \
    "(without parallel workers ${serial_s}s)"
done

# The answers against their SQL: the same rows, the same sums, the same verdicts.
read -r progress_rows progress_bought < <(jq -rs \
  '[.[].rows[]] | [length, (map(.purchased // "0" | tonumber) | add)] | @tsv' \
  "$run"/progress-*.json)
read -r progress_rows_sql progress_bought_sql < <(sql -At -F $'\t' \
  -c "SET search_path TO volume" -c "SELECT count(*), sum(purchased) FROM ($progress_sql) q")
read -r assess_rows assess_passed < <(jq -rs \
  '[.[].rows[]] | [length, (map(select(.passed)) | length)] | @tsv' "$run"/assess-*.json)
read -r assess_rows_sql assess_passed_sql < <(sql -At -F $'\t' \
  -c "SET search_path TO volume" -c "SELECT count(*), count(*) FILTER (WHERE passed)
    FROM ($assess_sql) q")
echo "progress $progress_pages pages, $progress_rows rows, purchased $progress_bought" \
  "(SQL: $progress_rows_sql rows, $progress_bought_sql)"
echo "assess   $assess_pages pages, $assess_rows rows, $assess_passed passed" \
  "(SQL: $assess_rows_sql rows, $assess_passed_sql passed)"
if [[ "$progress_rows $progress_bought" != "$progress_rows_sql $progress_bought_sql" ||
  "$assess_rows $assess_passed" != "$assess_rows_sql $assess_passed_sql" ]]; then
  die "the reads disagree with their SQL: their numbers do not count"
fi

# ---- 5. summary --------------------------------------------------------------------------------
echo "bench: summary ($lines lines, $(nproc) cores)"
printf 'import    %9.3f s  %8s lines/s  (%d files through the gateway)\n' "$import_s" \
  "$(per_second "$lines" "$import_s")" "${#files[@]}"
printf 'copy      %9.3f s  %8s rows/s   (psql \\copy, same rows, same indexes)\n' "$copy_s" \
  "$(per_second "$lines" "$copy_s")"
read_row() {
  printf '%-9s %9.3f s  (%d pages; best of 2)  SQL %.3f s  (without parallel workers %.3f s)\n' \
    "$@"
}
read_row progress "$progress_api" "$progress_pages" "$progress_ref" "$progress_serial"
read_row assess "$assess_api" "$assess_pages" "$assess_ref" "$assess_serial"
printf 'ratio import/copy (goal <= 3): %s\n' "$(ratio "$import_s" "$copy_s")"
printf 'ratio progress/SQL (goal <= 3): %s   (SQL without parallel workers: %s)\n' \
  "$(ratio "$progress_api" "$progress_ref")" "$(ratio "$progress_api" "$progress_serial")"
printf 'ratio assess/SQL (goal <= 3): %s   (SQL without parallel workers: %s)\n' \
  "$(ratio "$assess_api" "$assess_ref")" "$(ratio "$assess_api" "$assess_serial")"
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
