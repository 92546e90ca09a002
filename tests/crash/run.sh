#!/usr/bin/env bash
# The crash test (run by .ci/run): tests/crash/crash.py kills the server with SIGKILL while
# clients write, restarts it, and checks that every acknowledged write is there and whole and
# that nothing is half-written; on SQLite and, when FRONTLINE_TEST_POSTGRES_URL is set, on a
# fresh PostgreSQL database.
#
# Usage: tests/crash/run.sh [ROUNDS]   (default 5 kills per backend)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/support.sh
rounds="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --bin frontline
bin="${CARGO_TARGET_DIR:-target}/debug/frontline"

echo "== crash test on SQLite ($rounds kills)"
CRASH_LOG="$work/sqlite.log" python3 tests/crash/crash.py "$bin" "sqlite://$work/crash.db" "$rounds" \
  || { tail -n 50 "$work/sqlite.log"; exit 1; }
if [ -n "${FRONTLINE_TEST_POSTGRES_URL:-}" ]; then
  pg_url="$(pg_create frontline_crash)"
  echo "== crash test on PostgreSQL ($rounds kills)"
  status=0
  CRASH_LOG="$work/pg.log" python3 tests/crash/crash.py "$bin" "$pg_url" "$rounds" || status=1
  [ "$status" -eq 0 ] || tail -n 50 "$work/pg.log"
  pg_drop "$pg_url"
  exit "$status"
fi
