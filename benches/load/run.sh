#!/usr/bin/env bash
# The load benchmark: builds the release binary, seeds a demonstration city (frontline
# demo-data), starts the server, and measures with wrk, interleaved in one run, a plaintext
# baseline (/healthz) and the API's main routes, on SQLite and on PostgreSQL; then resident
# memory idle and under load, start-up time to ready on an existing database, and compliance
# checks of a whole year at half and at full scale. Every figure is also given as a ratio to
# the baseline measured in the same run (the machine is shared: absolute figures drift).
# Writes the table to benches/RESULTS.md (or $RESULTS) and prints it; exits 1 when a target
# is missed.
#
#   benches/load/run.sh                     # both backends, a city of 12 districts
#   SCALE=2 DURATION=3 ROUNDS=1 benches/load/run.sh    # a quick look
#
# Settings: SCALE (districts, default 12, even), DURATION (seconds per wrk run, 8), ROUNDS
# (interleaved rounds, 2), CONNECTIONS (64), BACKENDS ("sqlite postgres"), BENCH_POSTGRES
# (server URL, default postgres://postgres@127.0.0.1:5432), RESULTS (output file), KEEP (keep
# the work folder with the server's log and wrk's outputs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scale=${SCALE:-12}
duration=${DURATION:-8}
rounds=${ROUNDS:-2}
connections=${CONNECTIONS:-64}
backends=${BACKENDS:-sqlite postgres}
pg_server=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
results=${RESULTS:-$root/benches/RESULTS.md}
half=$(( scale / 2 )); [ "$half" -ge 1 ] || half=1

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian's package)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
echo "== building the release binary"
(cd "$root" && cargo build --release --quiet)
bin="${CARGO_TARGET_DIR:-$root/target}/release/frontline"
work=$(mktemp -d)
server_pid=
# KEEP=1 keeps the work folder (server log, wrk outputs) and prints where it is.
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
port=$(( 20000 + RANDOM % 20000 ))
base="http://127.0.0.1:$port"
export FRONTLINE_BIND="127.0.0.1:$port" FRONTLINE_LOG=warn FRONTLINE_BODY_LIMIT=1048576
# PostgreSQL instances share their signing key; this run makes one of its own.
FRONTLINE_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export FRONTLINE_JWT_SECRET

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_server() { # sets server_pid, and startup: milliseconds to a ready /readyz
  local t0; t0=$(now_ms)
  "$bin" serve >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then startup=$(( $(now_ms) - t0 )); return; fi
    sleep 0.01
  done
  echo "the server did not become ready:" >&2; cat "$work/server.log" >&2; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

account() { # username role unit → one-time password
  "$bin" user add --username "$1" --role "$2" ${3:+--unit "$3"} | sed -n 's/.*one-time password *//p'
}
token() { # username one-time-password → access token (the password changed first)
  local first
  first=$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" | json 'd["access_token"]')
  curl -fsS "$base/api/v1/auth/password" -H "authorization: Bearer $first" -H 'content-type: application/json' \
    -d "{\"current_password\":\"$2\",\"new_password\":\"Wrk.Load-2026-q7Z!\"}" >/dev/null
  curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"Wrk.Load-2026-q7Z!\"}" | json 'd["access_token"]'
}

check_ms() { # period → milliseconds of one district-wide compliance check (the median of 3)
  local times=()
  for _ in 1 2 3; do
    local t0; t0=$(now_ms)
    curl -fsS "$base/api/v1/compliance-checks" -H "authorization: Bearer $coord" -H 'content-type: application/json' \
      -d "{\"period\":\"$1\"}" >/dev/null
    times+=( $(( $(now_ms) - t0 )) )
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}

for backend in $backends; do
  echo "== $backend"
  year=$(( $(date +%Y) - 1 ))
  database() { # name → a fresh database's URL
    case $backend in
      sqlite) echo "sqlite://$work/$1.db" ;;
      postgres)
        psql "$pg_server/postgres" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
        echo "$pg_server/$1" ;;
    esac
  }
  # Half the city, its year checked; then, in another database, the whole city (twice the
  # data): its year checked again, and the routes loaded.
  export FRONTLINE_DATABASE_URL; FRONTLINE_DATABASE_URL=$(database "frontline_bench_half_$$")
  "$bin" demo-data --scale "$half" --year "$year" | tee "$work/seed-$backend.txt"
  coord_otp=$(account bench.coord coordinator 区营商办)
  start_server
  coord=$(token bench.coord "$coord_otp")
  check_half=$(check_ms "$year")
  stop_server
  FRONTLINE_DATABASE_URL=$(database "frontline_bench_$$")
  "$bin" demo-data --scale "$scale" --year "$year" | tee -a "$work/seed-$backend.txt"
  coord_otp=$(account bench.coord coordinator 区营商办)
  unit_otp=$(account bench.unit unit 区市场监管局)
  admin_otp=$(account bench.admin admin "")
  start_server
  sleep 2 # idle: once start-up's work is over
  idle=$(rss_kb "$server_pid")
  admin=$(token bench.admin "$admin_otp")
  unit=$(token bench.unit "$unit_otp")
  coord=$(token bench.coord "$coord_otp")
  check_full=$(check_ms "$year")
  check_quarter=$(check_ms "$year-Q4")
  # The peak is monotonic: read after each phase, it tells which phase raised it.
  phases="checks=$(hwm_kb "$server_pid")"
  unit_id=$(curl -fsS "$base/api/v1/auth/me" -H "authorization: Bearer $unit" | json 'd["unit_id"]')
  pid=$(curl -fsS "$base/api/v1/participations?limit=1&status=accepted" -H "authorization: Bearer $admin" | json 'd["items"][0]["id"]')
  on=$(date -d yesterday +%F)
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $unit"
wrk.body = [[{"unit_id":"$unit_id","activity":"complaint","mode":"regular","activity_on":"$on","place":"区市场监管局","participant":{"kind":"head"},"people_received":2,"summary":"压测","segments":$(python3 -c "import json; print(json.dumps([
 {'type':'dispatch_experience','work_order':'12345-0001','steps':[{'step':'dispatch','rating':'ok'},{'step':'feedback','rating':'ok'},{'step':'callback','rating':'ok'}]},
 {'type':'complaint_analysis','period':'$year-Q4','counts':[{'category':'市容环境','count':20}],'typical_cases':['油烟扰民'],'causes':['巡查不足'],'measures':['增设巡查'],'mechanism':'月度分析例会'},
 {'type':'complaint_handling','work_order':'12345-0002','approaches':['direct_coordination','direct_feedback','direct_hearing'],'outcome':'协调整改','satisfaction':'satisfied','follow_up_needed':False,'findings':[]}], ensure_ascii=False))")}]]
LUA
  declare -A routes=(
    [baseline]="GET $base/healthz"
    [get_by_id]="GET $base/api/v1/participations/$pid admin"
    [list_50]="GET $base/api/v1/participations?activity=enforcement&status=accepted&limit=50 admin"
    [create]="POST $base/api/v1/participations unit"
    [todo]="GET $base/api/v1/todo unit"
    [ics]="GET $base/api/v1/public/schedules.ics gzip"
  )
  order=(baseline get_by_id list_50 create todo ics)
  for round in $(seq 1 "$rounds"); do
    for r in "${order[@]}"; do
      read -r method url who <<<"${routes[$r]}"
      args=(-t2 -c"$connections" -d"${duration}s" --latency)
      case $who in
        admin) args+=(-H "Authorization: Bearer $admin") ;;
        unit) args+=(-H "Authorization: Bearer $unit") ;;
        gzip) args+=(-H "Accept-Encoding: gzip") ;; # as calendar clients ask for it
      esac
      [ "$method" = POST ] && args+=(-s "$work/post.lua")
      echo "   round $round: $r"
      wrk "${args[@]}" "$url" >"$work/$backend-$r-$round.txt"
      [ "$round" = 1 ] && phases+=" $r=$(hwm_kb "$server_pid")"
      sleep 2 # what the last run queued drains before the next one starts
    done
  done
  loaded=$(hwm_kb "$server_pid")
  stop_server
  cat >"$work/$backend.env" <<ENV
startup=$startup
idle=$idle
loaded=$loaded
phases="$phases"
check_half=$check_half
check_full=$check_full
check_quarter=$check_quarter
seed="$(tr '\n' ' ' <"$work/seed-$backend.txt")"
ENV
  if [ "$backend" = postgres ]; then
    psql "$pg_server/postgres" -qc "DROP DATABASE frontline_bench_half_$$" -c "DROP DATABASE frontline_bench_$$" >/dev/null
  fi
done

python3 "$root/benches/load/report.py" "$work" "$results" "$scale" "$half" "$duration" "$rounds" "$connections" $backends
