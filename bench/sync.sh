#!/usr/bin/env bash
# The sync benchmark: `make bench-sync`, or `bash bench/sync.sh BUILD_DIR`
# after a Release build of BUILD_DIR (targets relance, sync_backfill,
# sync_latency).
#
# 1. Starts the Sellsy emulator (tests/emulators/sellsy/) with the rate
#    limit off and generates 20,000 customers (companies and individuals),
#    their contacts, 100,000 invoices, credit notes and payments.
# 2. For each backend (SQLite file, PostgreSQL cluster on loopback), times
#    one backfill of everything with bench/sync_backfill: records per
#    second, and this process's CPU time per record (the emulator runs in
#    its own process, so that is Relance's own cost). On SQLite, then
#    measures the floor of the schema (sqlite_floor below).
# 3. On the SQLite database, starts `relance serve`, registers the
#    connection's webhook with the emulator, and measures with
#    bench/sync_latency the time from a change in the emulator to the
#    change visible through Relance's API (p50, p99).
# Then writes its section of bench/RESULTS.md between <!-- begin:sync -->
# and <!-- end:sync -->.
#
# Environment: BENCH_BACKENDS ("sqlite postgres"), BENCH_PG_PORT (54339),
# BENCH_INVOICES (100000), BENCH_CUSTOMERS (20000), BENCH_ROUNDS (200),
# BENCH_RESULTS (bench/RESULTS.md; another file for a trial run).
set -euo pipefail
source "$(dirname "$0")/results_section.sh"

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 64; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
backfill=$build/bench/sync_backfill
latency=$build/bench/sync_latency
relance=$build/relance
results=${BENCH_RESULTS:-$root/bench/RESULTS.md}
backends=${BENCH_BACKENDS:-sqlite postgres}
invoices=${BENCH_INVOICES:-100000}
customers=${BENCH_CUSTOMERS:-20000}
rounds=${BENCH_ROUNDS:-200}
export RELANCE_PG_DIR=${RELANCE_PG_DIR:-/tmp/relance-pg-bench}
export RELANCE_PG_PORT=${BENCH_PG_PORT:-54339}
# One key for the benchmark tool and the server it hands the database to.
RELANCE_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export RELANCE_SECRET_KEY

die() { echo "bench: $*" >&2; exit 1; }
for tool in "$backfill" "$latency" "$relance"; do
  [ -x "$tool" ] || die "$tool not found: build it (Release build)"
done
work=$(mktemp -d)
emulator_pid=
serve_pid=
pg_started=
cleanup() {
  [ -z "$serve_pid" ] || kill -TERM "$serve_pid" 2>/dev/null || true
  [ -z "$emulator_pid" ] || kill -TERM "$emulator_pid" 2>/dev/null || true
  [ -z "$pg_started" ] || bash "$root/scripts/pg-test-cluster.sh" stop || true
  rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 "$root/tests/emulators/sellsy/sellsy_emulator.py" --port 0 --rate-limit 0 \
  >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
sellsy=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out")
[ -n "$sellsy" ] || { cat "$work/emulator.err" >&2; die "the Sellsy emulator did not start"; }
companies=$((customers * 9 / 10))
individuals=$((customers - companies))
echo "bench: generating $customers customers and $invoices invoices in the emulator" >&2
curl -sf -X POST "$sellsy/_control/generate" -H 'Content-Type: application/json' \
  -d "{\"companies\":$companies,\"individuals\":$individuals,\"contacts\":$customers,\"invoices\":$invoices,\"credit_notes\":$((invoices / 20)),\"payments\":$((invoices / 2)),\"seed\":42,\"start_date\":\"2018-01-01\"}" \
  >"$work/generated.json" || die "the emulator could not generate the data"

# sqlite_floor DB RECORDS: the floor of the schema on SQLite. Every row the
# backfill wrote into DB (records, external references, change log),
# copied first (not timed) into plain tables, is inserted again by sqlite3
# into a fresh file with the same schema and the store's connection
# settings, in one transaction: the CPU time of that alone, per record of
# the backfill, is what any writer of these rows pays in-process. Appends
# its row to rows.
floor_tables="customers contacts invoices payments allocations external_refs sync_changes"
sqlite_floor() {
  local db=$1 records=$2 built=$work/built.db floor=$work/floor.db table user sys wall
  local copy=("ATTACH '$db' AS synced") insert=("PRAGMA journal_mode=WAL"
    "PRAGMA synchronous=NORMAL" "PRAGMA foreign_keys=ON" "PRAGMA cache_size=-32768"
    "ATTACH '$built' AS built" "BEGIN")
  for table in $floor_tables; do
    copy+=("CREATE TABLE $table AS SELECT * FROM synced.$table ORDER BY rowid")
    insert+=("INSERT INTO $table SELECT * FROM built.$table")
  done
  insert+=("COMMIT")
  sqlite3 "$built" "${copy[@]}"
  sqlite3 "$db" .schema | sqlite3 "$floor"
  sqlite3 "$floor" "ATTACH '$db' AS synced" \
    "INSERT INTO organizations SELECT * FROM synced.organizations" \
    "INSERT INTO users SELECT * FROM synced.users"
  /usr/bin/time -f '%U %S %e' -o "$work/floor.time" sqlite3 "$floor" "${insert[@]}" >/dev/null ||
    die "sqlite3 could not insert the backfill's rows again"
  read -r user sys wall <"$work/floor.time"
  rows+=("| sqlite: the same rows, already built, written by sqlite3 itself (the schema's floor) | $records | $wall s | — | $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }') s | $(awk -v u="$user" -v s="$sys" -v n="$records" 'BEGIN { printf "%.1f", (u + s) * 1e6 / n }') µs | — | — |")
  rm -f "$built" "$floor" "$floor-wal" "$floor-shm"
}

rows=()
sqlite_db=
for backend in $backends; do
  case "$backend" in
    sqlite)
      location="$work/sync.db"
      sqlite_db=$location
      ;;
    postgres)
      bash "$root/scripts/pg-test-cluster.sh" start
      pg_started=1
      location=$(bash "$root/scripts/pg-test-cluster.sh" url)
      ;;
    *) die "unknown backend $backend (sqlite or postgres)" ;;
  esac
  echo "bench: $backend: backfill" >&2
  token_file=$work/token-$backend
  line=$("$backfill" --db "$location" --sellsy "$sellsy" --token-out "$token_file")
  echo "$line" >&2
  get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
  us=$(get cpu_us_per_record)
  allocator=$(get allocator)
  goal="yes"
  awk -v u="$us" 'BEGIN { exit !(u < 20) }' || goal="**no**"
  rows+=("| $backend | $(get records) | $(printf '%.1f' "$(get wall_s)") s | $(get records_per_s) | $(printf '%.1f' "$(get cpu_s)") s | $(printf '%.1f' "$us") µs | $(get peak_rss_mb) MB | $goal |")
  if [ "$backend" = sqlite ]; then sqlite_floor "$location" "$(get records)"; fi
  if [ "$backend" = postgres ]; then
    bash "$root/scripts/pg-test-cluster.sh" stop
    pg_started=
  fi
done

latency_row="| (not measured: the SQLite backend was not benchmarked) | | | |"
if [ -n "$sqlite_db" ]; then
  token=$(sed -n 1p "$work/token-sqlite")
  connection=$(sed -n 2p "$work/token-sqlite")
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$relance" serve --db "$sqlite_db" --port "$port" --no-dunning \
    --public-url "http://127.0.0.1:$port" >"$work/serve.out" 2>"$work/serve.err" &
  serve_pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -sf -X POST "http://127.0.0.1:$port/api/v1/connections/$connection/webhook" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{}' >/dev/null \
    || die "could not register the webhook"
  company=$(curl -sf "$sellsy/_control/data?only=companies" | /usr/bin/python3 -c \
    'import json,sys; print(next(c["id"] for c in json.load(sys.stdin)["companies"] if c["type"]=="client"))')
  echo "bench: webhook latency, $rounds rounds" >&2
  lat=$("$latency" --relance "http://127.0.0.1:$port" --token "$token" --sellsy "$sellsy" \
    --company "$company" --n "$rounds")
  echo "$lat" >&2
  lget() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$lat"; }
  p99=$(lget p99_ms)
  lgoal="yes"
  awk -v p="$p99" 'BEGIN { exit !(p < 100) }' || lgoal="**no**"
  latency_row="| $(lget rounds) | $(printf '%.1f' "$(lget p50_ms)") ms | $(printf '%.1f' "$p99") ms | $(printf '%.1f' "$(lget max_ms)") ms | $lgoal |"
fi

section=$work/results-section.md
{
  echo "## Sync: Sellsy backfill and webhook latency (bench/sync.sh)"
  echo
  echo "Measured by \`bash bench/sync.sh $1\` (\`make bench-sync\`) on $(date -u +%Y-%m-%d), commit"
  echo "$(results_commit "$root"), Release build."
  echo
  echo "- Machine: $(results_machine)."
  echo "- Data: the Sellsy emulator's generator, seed 42: $companies companies, $individuals"
  echo "  individuals, $customers contacts, $invoices invoices, $((invoices / 20)) credit notes,"
  echo "  $((invoices / 2)) payments, dated from 2018-01-01; rate limit off."
  echo "- Backfill: one full run of the connection (every stream from the start, then the"
  echo "  snapshot diff), each page and its cursor in one transaction, each record with its"
  echo "  external reference and change-log row. Records = everything the streams returned."
  echo "  CPU = the benchmark process's CPU time (the emulator, in Python, runs in its own)."
  echo "  The process runs on relance's own allocator ($allocator, as \`relance\` is linked)."
  echo "- Webhook latency: a company renamed through the emulator's control API, which delivers"
  echo "  Sellsy's form-encoded \`notif\` to \`relance serve\`; measured until Relance's API shows"
  echo "  the new name (polling every millisecond)."
  echo "- The schema's floor (SQLite): every row the backfill wrote (records, external"
  echo "  references, change log), already built, inserted again by sqlite3 into a fresh file with"
  echo "  the store's schema and settings in one transaction; its CPU per record of the backfill."
  echo "  On SQLite the engine runs inside Relance's process, so no backfill writing these rows"
  echo "  costs less than this. (On PostgreSQL the server does that work in its own processes.)"
  echo "- Goals: Relance's own cost under 20 µs per record; p99 under 100 ms."
  echo
  echo "| backend | records | wall | records/s | CPU of relance | CPU per record | peak RSS | goal met |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| webhook rounds | p50 | p99 | max | goal met |"
  echo "| --- | --- | --- | --- | --- |"
  echo "$latency_row"
} >"$section"
results_write_section "$results" sync "$section"
echo "bench: wrote the sync section of $results" >&2
