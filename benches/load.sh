#!/usr/bin/env bash
# Load test of a running frontline on this machine with wrk (apt-get install wrk).
# Bounded: each scenario runs DURATION seconds (default 10) against 127.0.0.1 only.
#   cargo run --release &   # then:
#   benches/load.sh [http://127.0.0.1:8080]
set -euo pipefail
base="${1:-http://127.0.0.1:8080}"
case "$base" in
  http://127.*|http://localhost*|http://\[::1\]*) ;;
  *) echo "refusing to load anything but this machine: $base" >&2; exit 2 ;;
esac
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
duration="${DURATION:-10}"
threads="${THREADS:-2}"
connections="${CONNECTIONS:-32}"
id=$(curl -fsS "$base/api/v1/units?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for path in /healthz /readyz "/api/v1/units?category=law_enforcement" "/api/v1/units/$id"; do
  echo "== GET $path (${duration}s, $threads threads, $connections connections)"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base$path" | sed -n '1,20p'
done
