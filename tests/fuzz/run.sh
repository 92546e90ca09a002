#!/usr/bin/env bash
# Spec fuzzing (run by .ci/run): schemathesis generates requests from the server's own
# /api/v1/openapi.json and runs every check (`--checks all`) against the real server, as each
# role (admin, coordinator, leader, lead, unit) and without credentials, on SQLite and, when
# FRONTLINE_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database. A fixed seed makes a run
# repeatable (one worker: two would race each other's writes, and the same seed would not
# give the same run). Any 500, undeclared status or content type, schema violation, accepted invalid
# input or ignored authentication fails the run.
#
# Usage: tests/fuzz/run.sh PYTHON_VENV        (schemathesis is installed into it when missing)
# Settings: FUZZ_EXAMPLES (cases per operation and phase, default 6), FUZZ_SEED (default 20261129).
# Writes a summary line per run to $FUZZ_SUMMARY (default: the work folder's summary.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/support.sh
venv="${1:?usage: tests/fuzz/run.sh PYTHON_VENV}"
examples="${FUZZ_EXAMPLES:-6}"
seed="${FUZZ_SEED:-20261129}"

if [ ! -x "$venv/bin/schemathesis" ]; then
  "$venv/bin/pip" install --quiet 'schemathesis==4.32.*'
fi

work="$(mktemp -d)"
summary="${FUZZ_SUMMARY:-$work/summary.txt}"
server_pid=""
stub_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --bin frontline

# WeChat's jscode2session, stood in for: sign-in with WeChat is fuzzed like any route.
python3 tests/fuzz/wechat_stub.py >"$work/stub.port" &
stub_pid=$!
for _ in $(seq 1 50); do [ -s "$work/stub.port" ] && break; sleep 0.1; done
export FRONTLINE_WECHAT_APPID=wxfuzz0000000000 FRONTLINE_WECHAT_SECRET=fuzz-secret \
  FRONTLINE_WECHAT_API_BASE="http://127.0.0.1:$(cat "$work/stub.port")"
bin="${CARGO_TARGET_DIR:-target}/debug/frontline"
password='Fuzz.Check-2026-q7Z!'

json() { "$venv/bin/python" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# username role unit activity → an access token (the generated password changed first)
token() {
  local otp first
  otp="$("$bin" user add --username "$1" --role "$2" ${3:+--unit "$3"} ${4:+--activity "$4"} \
    | sed -n 's/.*one-time password *//p')"
  first="$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$otp\"}" | json 'd["access_token"]')"
  curl -fsS "$base/api/v1/auth/password" -H "authorization: Bearer $first" \
    -H 'content-type: application/json' \
    -d "{\"current_password\":\"$otp\",\"new_password\":\"$password\"}" >/dev/null
  curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$password\"}" | json 'd["access_token"]'
}

fuzz() { # backend database-url
  local name="$1" url="$2" out="$work/server-$1.log"
  export FRONTLINE_DATABASE_URL="$url"
  export FRONTLINE_LOG=warn FRONTLINE_JWT_SECRET="fuzz-check-secret-0123456789abcdef0123"
  # Generated bodies sign in with made-up names: a per-client rate limit would only slow the
  # run down; the limits have their own tests.
  start_server "$bin" "$out" serve

  local -A tokens=(
    [admin]="$(token fuzz.admin admin)"
    [coordinator]="$(token fuzz.coordinator coordinator 区营商办)"
    [leader]="$(token fuzz.leader leader)"
    [lead]="$(token fuzz.lead lead 区市场监管局 enforcement)"
    [unit]="$(token fuzz.unit unit 区市场监管局)"
    [anonymous]=""
  )
  local role failed=0
  for role in admin coordinator leader lead unit anonymous; do
    echo "== schemathesis on $name as $role"
    local args=(--config-file tests/fuzz/schemathesis.toml run "$base/api/v1/openapi.json" --checks all --seed "$seed"
      --max-examples "$examples" --workers 1 --no-shrink
      --report junit --report-junit-path "$work/$name-$role.xml")
    if [ -n "${tokens[$role]}" ]; then
      # Signing out or changing the password would end the session the run authenticates
      # with: those two are fuzzed by the unauthenticated run only.
      args+=(-H "Authorization: Bearer ${tokens[$role]}"
        --exclude-operation-id delete_session --exclude-operation-id update_password)
    fi
    if ! "$venv/bin/schemathesis" "${args[@]}" >"$work/$name-$role.txt" 2>&1; then
      failed=1
      # The failures, whole (the progress lines before them are left out).
      sed -n '/^=* FAILURES =*$/,$p' "$work/$name-$role.txt" | head -n 400
    fi
    "$venv/bin/python" - "$work/$name-$role.xml" "$work/$name-$role.txt" "$name" "$role" >>"$summary" <<'PY'
import re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
tests = sum(int(s.get("tests", 0)) for s in suites)
failures = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
cases = re.search(r"(\d+) generated", open(sys.argv[2]).read())
print(f"{sys.argv[3]} {sys.argv[4]}: operations={tests} cases={cases.group(1) if cases else '?'} failed={failures}")
PY
    tail -n 1 "$summary"
  done
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  grep -q "panicked" "$out" && { grep -B2 -A5 panicked "$out"; failed=1; }
  return "$failed"
}

status=0
fuzz sqlite "sqlite://$work/fuzz.db" || status=1
if [ -n "${FRONTLINE_TEST_POSTGRES_URL:-}" ]; then
  pg_url="$(pg_create frontline_fuzz)"
  fuzz postgres "$pg_url" || status=1
  pg_drop "$pg_url"
fi
cat "$summary"
[ "$status" -eq 0 ] && echo "== spec fuzzing: ok" || echo "== spec fuzzing: failures"
exit "$status"
