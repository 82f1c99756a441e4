#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite, on loopback only.
#
#   pg-test-cluster.sh start   create (first time) and start it; ok if already running
#   pg-test-cluster.sh stop    stop it and delete its files
#   pg-test-cluster.sh url     print the URL the tests connect to
#
# Environment: RELANCE_PG_DIR (default /tmp/relance-pg-test) holds the data
# dir, the socket and the server log; RELANCE_PG_PORT (default 54329).
# Authentication is `trust`: the cluster is for tests only and never listens
# beyond 127.0.0.1.
set -euo pipefail

base=${RELANCE_PG_DIR:-/tmp/relance-pg-test}
port=${RELANCE_PG_PORT:-54329}
data="$base/data"
log="$base/server.log"
role=relance
database=relance_test

die() {
  echo "pg-test-cluster: $*" >&2
  exit 1
}

url() { echo "postgresql://$role@127.0.0.1:$port/$database"; }

# The newest installed server version, so a Debian upgrade needs no edit.
find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] ||
    die "no PostgreSQL server found under /usr/lib/postgresql/*/bin (install the postgresql package)"
  echo "$dir"
}

# initdb and postgres refuse to run as root, so the server runs as the
# postgres OS user when we are root, and as ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

show_log() {
  if [ -f "$log" ]; then
    echo "pg-test-cluster: last lines of $log:" >&2
    tail -n 30 "$log" >&2
  fi
}

is_running() { as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1; }

psql_admin() {
  as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -U postgres -d postgres "$@"
}

init_cluster() {
  # A data dir without PG_VERSION is an interrupted initdb: start over.
  rm -rf "$data"
  mkdir -p "$base"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$base"
  chmod 0700 "$base"
  # C collation on UTF-8: byte order, the same as SQLite's default, so
  # ORDER BY on text agrees between the two backends.
  if ! as_owner "$bindir/initdb" -D "$data" -U postgres -E UTF8 --locale=C --auth=trust \
    --no-sync >"$base/initdb.log" 2>&1; then
    cat "$base/initdb.log" >&2
    die "initdb failed in $data"
  fi
  cat >>"$data/postgresql.conf" <<EOF

# pg-test-cluster.sh: a disposable test cluster, durability off for speed.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$base'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  cat >"$data/pg_hba.conf" <<EOF
# pg-test-cluster.sh: trust, loopback and local socket only.
local all all trust
host  all all 127.0.0.1/32 trust
EOF
}

start() {
  if [ -f "$data/PG_VERSION" ] && is_running; then
    wait_ready
    return 0
  fi
  [ -f "$data/PG_VERSION" ] || init_cluster
  # The port lives on the command line rather than in postgresql.conf so a
  # different RELANCE_PG_PORT on a later start still takes effect. The
  # server must not inherit the lock's descriptor (9), or it would hold the
  # lock for its whole life.
  if ! as_owner "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 60 -o "-p $port" \
    >/dev/null 9>&-; then
    show_log
    die "the server did not start (is port $port taken by another server?)"
  fi
  wait_ready
  psql_admin <<EOF
SELECT 'CREATE ROLE $role SUPERUSER LOGIN'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') \gexec
SELECT 'CREATE DATABASE $database OWNER $role'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$database') \gexec
EOF
}

wait_ready() {
  for _ in $(seq 1 60); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      return 0
    fi
    sleep 0.5
  done
  show_log
  die "the server is not accepting connections on 127.0.0.1:$port after 30 s"
}

stop() {
  if [ -f "$data/PG_VERSION" ] && is_running; then
    as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null ||
      { show_log; die "the server did not stop"; }
  fi
  rm -rf "$base"
}

cmd=${1:-}
case "$cmd" in
  url)
    url
    ;;
  start | stop)
    bindir=$(find_bindir)
    # Two test runs starting the cluster at once must not both run initdb.
    exec 9>"$base.lock"
    flock 9
    "$cmd"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
