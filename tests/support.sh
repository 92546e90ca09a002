# Shell helpers of the scripts that drive a real server (tests/clients, tests/fuzz,
# tests/crash). Source it; it defines functions only.

# pg_create PREFIX → creates a fresh database on FRONTLINE_TEST_POSTGRES_URL's server and
# prints its URL (the admin URL's query kept). Drop it with pg_drop URL.
pg_create() {
  local db="${1}_$(date +%s)_$$"
  psql -q "$FRONTLINE_TEST_POSTGRES_URL" -c "CREATE DATABASE $db"
  python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit((p.scheme,p.netloc,"/"+sys.argv[2],p.query,"")))' \
    "$FRONTLINE_TEST_POSTGRES_URL" "$db"
}

# pg_drop URL → drops the database pg_create made.
pg_drop() {
  local db
  db="$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.lstrip("/"))' "$1")"
  psql -q "$FRONTLINE_TEST_POSTGRES_URL" -c "DROP DATABASE $db WITH (FORCE)"
}

# start_server BIN LOG [ARGS…] → starts the server (FRONTLINE_* from the environment, bound to
# a free port), sets server_pid and base (its URL) once it serves; exits when it does not.
start_server() {
  local bin="$1" out="$2"
  shift 2
  FRONTLINE_BIND=127.0.0.1:0 "$bin" "$@" >"$out" 2>&1 &
  server_pid=$!
  base=""
  for _ in $(seq 1 200); do
    base="$(sed -n 's/^frontline is serving on //p' "$out")"
    [ -n "$base" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$out"; echo "the server did not start"; exit 1; }
    sleep 0.1
  done
  cat "$out"; echo "the server did not start in time"; exit 1
}
