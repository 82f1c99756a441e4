#!/usr/bin/env bash
# Runs the whole test suite against a throwaway PostgreSQL cluster, and fails
# when the PostgreSQL tests did not run (RELANCE_REQUIRE_PG=1 turns a missing
# server into a failure instead of a skip).
set -euo pipefail
build_dir=${1:-build-test}
here=$(cd "$(dirname "$0")" && pwd)

bash "$here/pg-test-cluster.sh" start
trap 'bash "$here/pg-test-cluster.sh" stop' EXIT

export RELANCE_TEST_PG_URL
RELANCE_TEST_PG_URL=$(bash "$here/pg-test-cluster.sh" url)
export RELANCE_REQUIRE_PG=1
export RELANCE_DOCS_DIR="$here/../web/node_modules/swagger-ui-dist"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

cd "$build_dir"
ctest -j2 --output-on-failure --no-tests=error
