#!/usr/bin/env bash
# Clients generated from openapi/openapi.json, as proof of the spec (run by .ci/run):
#  1. openapi-python-client generates a Python client, which drives a whole quarter
#     (quarter.py) against the real server on SQLite and, when FRONTLINE_TEST_POSTGRES_URL is
#     set, on a fresh PostgreSQL database;
#  2. openapi-typescript generates TypeScript types, which type-check a mini-program-style
#     example (tsc --noEmit).
# Anything a generator cannot express fails here, except text/csv and XLSX request bodies,
# which openapi-python-client does not support (those operations also take JSON or octets).
#
# Usage: tests/clients/run.sh PYTHON_VENV
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/support.sh
venv="${1:?usage: tests/clients/run.sh PYTHON_VENV}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== generate the Python client (openapi-python-client)"
"$venv/bin/openapi-python-client" generate --path openapi/openapi.json --meta none \
  --output-path "$work/frontline_client" >"$work/generate.log" 2>&1 || { cat "$work/generate.log"; exit 1; }
# An operation or schema the client lacks, or a response it cannot read, fails the check. Only
# request bodies of unsupported media types are let pass (text/csv and the XLSX type), when the
# operation also takes a type the generator supports (JSON, or octets for files).
if grep -qE "will not be generated|will be omitted|Unable to|removal of" "$work/generate.log"; then
  cat "$work/generate.log"
  echo "openapi-python-client could not express part of the spec"
  exit 1
fi
if grep -E "^Unsupported content type" "$work/generate.log" \
   | grep -vqE "content type (text/csv|application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)$"; then
  cat "$work/generate.log"
  echo "a request body of an unexpected media type"
  exit 1
fi

echo "== build the server"
cargo build --quiet --bin frontline
bin="${CARGO_TARGET_DIR:-target}/debug/frontline"

# Starts the server on DATABASE_URL, waits for it, runs the quarter, stops it.
quarter() {
  local name="$1" url="$2" out="$work/server-$1.log"
  FRONTLINE_DATABASE_URL="$url" FRONTLINE_LOG=warn \
    FRONTLINE_JWT_SECRET="client-check-secret-0123456789abcdef" start_server "$bin" "$out"
  local otp
  otp="$(sed -n "s/.*one-time password  //p" "$out")"
  echo "== the quarter through the Python client on $name ($base)"
  PYTHONPATH="$work" "$venv/bin/python" tests/clients/quarter.py "$base" "$otp"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

quarter sqlite "sqlite://$work/quarter.db"
if [ -n "${FRONTLINE_TEST_POSTGRES_URL:-}" ]; then
  pg_url="$(pg_create frontline_clients)"
  quarter postgres "$pg_url"
  pg_drop "$pg_url"
fi

echo "== TypeScript types (openapi-typescript) type-check the mini-program example"
cd tests/clients/ts
npm ci --no-audit --no-fund --silent
npm run -s check
echo "== generated clients: ok"
