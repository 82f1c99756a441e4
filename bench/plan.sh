#!/usr/bin/env bash
# The dunning benchmark: `make bench-plan`, or `bash bench/plan.sh BUILD_DIR`
# after a Release build of BUILD_DIR (targets gen_invoices and plan_day).
#
# For each backend (SQLite file, PostgreSQL cluster on loopback):
#   1. seeds 1 organization, 100,000 customers and 1,000,000 invoices with
#      bench/gen_invoices (SQLite: a copy of bench/data/relance-bench.db, the
#      HTTP benchmark's file, which stays untouched; PostgreSQL: a throwaway
#      cluster seeded on every run);
#   2. runs bench/plan_day once for its setup (migrations; plans on both
#      kinds of plan, one main contact per customer), then VACUUM (ANALYZE)
#      on PostgreSQL, as autovacuum would after the load;
#   3. runs bench/plan_day again: the best of 3 dry runs of a day's
#      planning (time, peak RSS), one run that stores the actions, then
#      2,000 e-mails sent through the executor to the SMTP sink
#      (tests/emulators/smtp/) on loopback.
# Then writes its section of bench/RESULTS.md between <!-- begin:plan -->
# and <!-- end:plan -->.
#
# Environment: BENCH_BACKENDS ("sqlite postgres"), BENCH_PG_PORT (54339),
# BENCH_SEND (2000).
set -euo pipefail
source "$(dirname "$0")/results_section.sh"

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 64; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
gen=$build/bench/gen_invoices
plan=$build/bench/plan_day
data=$root/bench/data
results=$root/bench/RESULTS.md
backends=${BENCH_BACKENDS:-sqlite postgres}
send=${BENCH_SEND:-2000}
export RELANCE_PG_DIR=${RELANCE_PG_DIR:-/tmp/relance-pg-bench}
export RELANCE_PG_PORT=${BENCH_PG_PORT:-54339}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$gen" ] || die "$gen not found: build the gen_invoices target (Release build)"
[ -x "$plan" ] || die "$plan not found: build the plan_day target (Release build)"
mkdir -p "$data"
work=$(mktemp -d)
sink_pid=
pg_started=
cleanup() {
  [ -z "$sink_pid" ] || kill -TERM "$sink_pid" 2>/dev/null || true
  [ -z "$pg_started" ] || bash "$root/scripts/pg-test-cluster.sh" stop || true
  rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 "$root/tests/emulators/smtp/smtp_sink.py" --smtp-port 0 --control-port 0 \
  --keep-raw 0 >"$work/sink.out" 2>"$work/sink.err" &
sink_pid=$!
for _ in $(seq 1 100); do grep -q control "$work/sink.out" 2>/dev/null && break; sleep 0.1; done
smtp=$(sed -n 's/^smtp \([^ ]*\) control.*/smtp:\/\/\1/p' "$work/sink.out")
[ -n "$smtp" ] || { cat "$work/sink.err" >&2; die "the SMTP sink did not start"; }

rows=()
for backend in $backends; do
  case "$backend" in
    sqlite)
      [ -f "$data/relance-bench.db" ] || "$gen" --db "$data/relance-bench.db" >/dev/null
      cp "$data/relance-bench.db" "$work/plan.db"
      location="$work/plan.db"
      ;;
    postgres)
      bash "$root/scripts/pg-test-cluster.sh" start
      pg_started=1
      location=$(bash "$root/scripts/pg-test-cluster.sh" url)
      "$gen" --db "$location" >/dev/null 2>"$work/gen.log" || { cat "$work/gen.log" >&2; die "gen_invoices failed"; }
      ;;
    *) die "unknown backend $backend (sqlite or postgres)" ;;
  esac
  # Setup first (migrations, plans, contacts), in a process of its own, so
  # that the peak RSS measured below is the planning's alone.
  echo "bench: $backend: setup" >&2
  "$plan" --db "$location" --runs 0 --dry-only >/dev/null
  if [ "$backend" = postgres ]; then
    # What autovacuum does after a bulk load, done now rather than whenever
    # it wakes up: statistics, and the visibility map that lets the planner's
    # scan answer from the index alone.
    psql -X -q -v ON_ERROR_STOP=1 "$location" -c 'VACUUM (ANALYZE)'
  fi
  echo "bench: $backend: planning" >&2
  line=$("$plan" --db "$location" --runs 3 --smtp "$smtp" --send "$send")
  echo "$line" >&2
  get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
  dry=$(get dry_run_s)
  rss=$(get peak_rss_mb)
  goal="yes"
  awk -v t="$dry" -v m="$rss" 'BEGIN { exit !(t < 2 && m < 500) }' || goal="**no**"
  rows+=("| $backend | $(get customers) | $(get invoices) | $(get decided) | $(printf '%.2f' "$dry") s (CPU $(printf '%.2f' "$(get dry_run_cpu_s)") s) | $rss MB | $(printf '%.2f' "$(get store_s)") s ($(get stored) stored) | $(get sent) in $(printf '%.2f' "$(get send_s)") s = $(printf '%.0f' "$(get messages_per_s)")/s | $goal |")
  if [ "$backend" = postgres ]; then
    bash "$root/scripts/pg-test-cluster.sh" stop
    pg_started=
  fi
done

section=$work/results-section.md
{
  echo "## Dunning: planning a day, sending (bench/plan.sh)"
  echo
  echo "Measured by \`bash bench/plan.sh $1\` (\`make bench-plan\`) on $(date -u +%Y-%m-%d), commit"
  echo "$(results_commit "$root"), Release build."
  echo
  echo "- Machine: $(results_machine)."
  echo "- Data: gen_invoices' 100,000 customers and 1,000,000 invoices; half the customers on a"
  echo "  customer-level plan (5 steps: e-mails at -5, +5, +15 days, a manual call at +30, a letter"
  echo "  at +45), half on an invoice-level plan (e-mail at +3, SMS at +10), one main contact each."
  echo "- Planning: \`PlanningService::Plan\` for the whole organization at the current moment, best"
  echo "  of 3 dry runs; peak RSS of the process (getrusage) after them; then one run storing the"
  echo "  decided actions (a fresh database: every due action is new)."
  echo "- Sending: the executor sends about $send due e-mails to the SMTP sink on loopback (Python"
  echo "  aiosmtpd, same machine), one SMTP connection per message, as the outbox does."
  echo "- Goal: planning under 2 s and under 500 MB."
  echo
  echo "| backend | customers | open invoices | actions due | planning (dry run; CPU of relance) | peak RSS | storing | sending | goal met |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} >"$section"
results_write_section "$results" plan "$section"
echo "bench: wrote the plan section of $results" >&2
