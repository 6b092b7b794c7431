#!/usr/bin/env bash
# Runs the PostgreSQL-backed tests as mandatory: a missing TEST_DATABASE_URL
# or a skipped PostgreSQL test fails the run.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${TEST_DATABASE_URL:?TEST_DATABASE_URL must point at a PostgreSQL database}"
export MOVIEDIARY_REQUIRE_POSTGRES=1
log=$(mktemp)
go test -count=1 -v ./adapters/postgres/... "$@" >"$log" 2>&1
rc=$?
grep -E -- '^(--- FAIL|--- SKIP|ok|FAIL|panic)' "$log"
passed=$(grep -c -- '--- PASS' "$log" || true)
skipped=$(grep -c -- '--- SKIP' "$log" || true)
echo "postgres: $passed passed, $skipped skipped"
if [ "$rc" -ne 0 ]; then tail -50 "$log"; exit "$rc"; fi
if [ "$skipped" -ne 0 ] || [ "$passed" -eq 0 ]; then echo "postgres tests were skipped: they are mandatory here" >&2; exit 1; fi
