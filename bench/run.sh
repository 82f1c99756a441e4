#!/usr/bin/env bash
# The HTTP benchmark: `make bench`, or `bash bench/run.sh BUILD_DIR` after a
# Release build of BUILD_DIR (targets relance and gen_invoices).
#
# For each backend (SQLite file, PostgreSQL cluster on loopback):
#   1. seeds one organization, 100,000 customers and 1,000,000 invoices with
#      bench/gen_invoices (the SQLite file is kept in bench/data/ and reused;
#      the PostgreSQL cluster is a throwaway one, seeded on every run);
#   2. starts `relance serve` on 127.0.0.1 and creates an API token with
#      `relance token create`;
#   3. runs wrk (32 connections, BENCH_DURATION seconds, default 15) against
#      /healthz (the server's ceiling) and against
#      /api/v1/invoices?status=OVERDUE&limit=100 with the token, in
#      BENCH_ROUNDS interleaved rounds (default 3), and keeps the median of
#      each figure with the CPU time the hypervisor took (steal) per round;
#   4. reads the server's peak and current RSS from /proc/PID/status.
# Then writes its section of bench/RESULTS.md (figures, machine, exact
# commands), between <!-- begin:http --> and <!-- end:http -->; the rest of
# the file (bench/import.sh's section, notes) is kept.
#
# Environment: BENCH_DURATION (s), BENCH_ROUNDS, BENCH_WRK_THREADS (1),
# BENCH_CUSTOMERS, BENCH_INVOICES, BENCH_BACKENDS ("sqlite postgres"),
# BENCH_PG_PORT (54339), BENCH_PORT (18080).
set -euo pipefail
source "$(dirname "$0")/results_section.sh"

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 64; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
relance=$build/relance
gen=$build/bench/gen_invoices
data=$root/bench/data
results=$root/bench/RESULTS.md
duration=${BENCH_DURATION:-15}
customers=${BENCH_CUSTOMERS:-100000}
invoices=${BENCH_INVOICES:-1000000}
backends=${BENCH_BACKENDS:-sqlite postgres}
port=${BENCH_PORT:-18080}
connections=32
# One wrk thread drives 32 connections at well over the server's rate here;
# a second one on a 2-CPU machine takes a CPU from the server and, when the
# scheduler parks it, its own connections' latencies, not the server's,
# make the tail.
threads=${BENCH_WRK_THREADS:-1}
rounds=${BENCH_ROUNDS:-3}
# A cluster of its own, apart from the test suite's (scripts/run-tests.sh).
export RELANCE_PG_DIR=${RELANCE_PG_DIR:-/tmp/relance-pg-bench}
export RELANCE_PG_PORT=${BENCH_PG_PORT:-54339}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$relance" ] || die "$relance not found: build it first (make bench)"
[ -x "$gen" ] || die "$gen not found: build the gen_invoices target (Release build)"
command -v wrk >/dev/null || die "wrk is not installed (scripts/install-deps.sh)"
command -v curl >/dev/null || die "curl is not installed (scripts/install-deps.sh)"
mkdir -p "$data"
work=$(mktemp -d)
server_pid=
pg_started=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -z "$pg_started" ] || bash "$root/scripts/pg-test-cluster.sh" stop || true
  rm -rf "$work"
}
trap cleanup EXIT

# seed BACKEND LOCATION: runs the generator; sets org_id, user_id, seed_seconds.
seed() {
  local backend=$1 location=$2 out start end
  start=$(date +%s.%N)
  out=$("$gen" --db "$location" --customers "$customers" --invoices "$invoices" \
    2>"$work/gen-$backend.log") || { cat "$work/gen-$backend.log" >&2; die "gen_invoices failed"; }
  end=$(date +%s.%N)
  tail -n 1 "$work/gen-$backend.log" >&2
  org_id=$(sed -n 's/.*org_id=\([^ ]*\).*/\1/p' <<<"$out")
  user_id=$(sed -n 's/.*user_id=\([^ ]*\).*/\1/p' <<<"$out")
  [ -n "$org_id" ] && [ -n "$user_id" ] || die "gen_invoices printed no ids: $out"
  if grep -q "already seeded" "$work/gen-$backend.log"; then
    seed_seconds=$(cat "$data/$backend.seed-seconds" 2>/dev/null || echo "?")
    seed_note="(seeded by an earlier run)"
  else
    seed_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
    echo "$seed_seconds" >"$data/$backend.seed-seconds"
    seed_note=""
  fi
}

# cpu_ticks: "steal total" of /proc/stat's cpu line (all CPUs).
cpu_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat; }

# median V...: the middle value (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wrk_run NAME URL [HEADER]: runs wrk; sets rps, p99, non2xx and steal (% of
# the CPU time the hypervisor took during the run) for NAME.
wrk_run() {
  local name=$1 url=$2 header=${3:-} file="$work/wrk-$1.txt" before after
  before=$(cpu_ticks)
  if [ -n "$header" ]; then
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "$header" "$url" >"$file"
  else
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$url" >"$file"
  fi
  after=$(cpu_ticks)
  steal=$(awk -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " ");
    d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) }')
  cat "$file" >&2
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$file")
  p99=$(awk '$1 == "99%" { print $2 }' "$file")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$file")
  errors=$(grep -E "Socket errors" "$file" | sed 's/^ *//' || true)
  non2xx=${non2xx:-0}
}

# to_ms "1.23ms" / "850.00us" / "1.02s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else print "?" }'
}

rows=()
rounds_rows=()
notes=()
for backend in $backends; do
  case "$backend" in
    sqlite) location="$data/relance-bench.db" ;;
    postgres)
      bash "$root/scripts/pg-test-cluster.sh" start
      pg_started=1
      location=$(bash "$root/scripts/pg-test-cluster.sh" url)
      ;;
    *) die "unknown backend $backend (sqlite or postgres)" ;;
  esac
  echo "bench: $backend: seeding $location" >&2
  seed "$backend" "$location"
  # Otherwise autovacuum visits the million fresh rows, and the next timed
  # checkpoint writes them out, during the runs.
  [ "$backend" != postgres ] ||
    psql -X -q -v ON_ERROR_STOP=1 "$location" -c 'VACUUM (ANALYZE)' -c 'CHECKPOINT'

  "$relance" serve --db "$location" --host 127.0.0.1 --port "$port" --log-level warn --no-dunning \
    >"$work/serve-$backend.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve-$backend.log" >&2; die "relance serve exited"; }
    sleep 0.2
  done
  token=$("$relance" token create --db "$location" --org "$org_id" --user "$user_id" \
    --name "bench $(date +%s)" --log-level warn)
  auth="Authorization: Bearer $token"
  invoices_url="http://127.0.0.1:$port/api/v1/invoices?status=OVERDUE&limit=100"
  # Check once that the measured request answers what it should.
  status=$(curl -s -o "$work/page.json" -w '%{http_code}' -H "$auth" "$invoices_url")
  [ "$status" = 200 ] || { cat "$work/page.json" >&2; die "$backend: GET $invoices_url answered $status"; }

  # Interleaved, so that a noisy spell of the machine falls on both.
  h_rpss=() h_p99s=() i_rpss=() i_p99s=() steals=() h_bad=0 i_bad=0 i_errors=
  for round in $(seq 1 "$rounds"); do
    echo "bench: $backend: round $round of $rounds" >&2
    wrk_run healthz "http://127.0.0.1:$port/healthz"
    h_rpss+=("$rps") h_p99s+=("$(to_ms "$p99")") h_bad=$((h_bad + non2xx))
    h_steal=$steal
    wrk_run invoices "$invoices_url" "$auth"
    i_rpss+=("$rps") i_p99s+=("$(to_ms "$p99")") i_bad=$((i_bad + non2xx))
    [ -z "$errors" ] || i_errors=$errors
    steals+=("$h_steal/$steal")
  done
  h_rps=$(median "${h_rpss[@]}") h_ms=$(median "${h_p99s[@]}")
  i_rps=$(median "${i_rpss[@]}") i_ms=$(median "${i_p99s[@]}")

  hwm=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status")
  rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$server_pid/status")
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=

  ratio=$(awk -v a="$i_rps" -v b="$h_rps" 'BEGIN { printf "%.0f", 100 * a / b }')
  goal="yes"
  awk -v r="$ratio" -v p="$i_ms" 'BEGIN { exit !(r >= 50 && p < 20) }' || goal="**no**"
  rows+=("| $backend | $seed_seconds s $seed_note | $h_rps | $h_ms ms | $i_rps | $i_ms ms | $ratio % | $hwm MiB / $rss MiB | $goal |")
  rounds_rows+=("| $backend | $(IFS=/; echo "${h_rpss[*]}") | $(IFS=/; echo "${h_p99s[*]}") | $(IFS=/; echo "${i_rpss[*]}") | $(IFS=/; echo "${i_p99s[*]}") | $(IFS=' '; echo "${steals[*]}") |")
  [ "$h_bad" = 0 ] || notes+=("- $backend: /healthz had $h_bad non-2xx responses.")
  [ "$i_bad" = 0 ] || notes+=("- $backend: the invoice list had $i_bad non-2xx responses.")
  [ -z "$i_errors" ] || notes+=("- $backend: wrk reported on the invoice list: $i_errors.")

  if [ "$backend" = postgres ]; then
    bash "$root/scripts/pg-test-cluster.sh" stop
    pg_started=
  fi
done

section=$work/results-section.md
{
  echo "## HTTP API (bench/run.sh)"
  echo
  echo "Measured by \`bash bench/run.sh $1\` (\`make bench\`) on $(date -u +%Y-%m-%d), commit"
  echo "$(results_commit "$root"), Release build."
  echo
  echo "- Machine: $(results_machine)."
  echo "- wrk and the server run on the same machine and share its CPUs."
  echo "- Data: 1 organization, $customers customers, $invoices invoices (~30 % OVERDUE), seeded by"
  echo "  \`bench/gen_invoices\` through \`Connection::BulkInsert\` after migrations."
  echo "- Load: \`wrk -t$threads -c$connections -d${duration}s --latency URL\`, against"
  echo "  \`/healthz\` (the ceiling) and"
  echo "  \`/api/v1/invoices?status=OVERDUE&limit=100\` with \`-H 'Authorization: Bearer <token>'\`."
  echo "- Rounds: $rounds, each /healthz then the invoice list; the table gives the median of each"
  echo "  figure, the second table every round, with the share of CPU time the hypervisor took"
  echo "  during each run (steal, from /proc/stat: /healthz/invoices)."
  echo "- RSS: \`VmHWM\` (peak) / \`VmRSS\` (at the end) of \`relance serve\` from \`/proc/PID/status\`."
  echo "- Goals: the invoice list at ≥ 50 % of /healthz throughput, and p99 < 20 ms."
  echo
  echo "| backend | seeding | /healthz req/s | /healthz p99 | invoices req/s | invoices p99 | invoices / healthz | RSS peak / end | goals met |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| backend | /healthz req/s per round | /healthz p99 (ms) | invoices req/s | invoices p99 (ms) | steal % |"
  echo "| --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rounds_rows[@]}"
  if [ ${#notes[@]} -gt 0 ]; then
    echo
    printf '%s\n' "${notes[@]}"
  fi
} >"$section"
results_write_section "$results" http "$section"
echo "bench: wrote the http section of $results" >&2
cat "$results"
