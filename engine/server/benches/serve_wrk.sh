#!/usr/bin/env bash
# Load benchmark of `fivesafes serve` with wrk (Debian's package) on loopback: decisions per
# second and latency percentiles, with the decision log in group-commit mode (the issue's
# target: at least 20,000 decisions/s with p99 under 5 ms on this 2-core machine), and for
# comparison in strict mode and with no log; each with the decision cache (wrk repeats one
# request verbatim, as a session's calls through auth_request do: every answer after the first
# is a cache hit, still logged) and without it (--decision-cache-bytes 0: the engine decides
# every request). Server and wrk share the machine's two cores.
#
#   bash engine/server/benches/serve_wrk.sh            # builds the release binary first
#   DURATION=20 CONNECTIONS=32 bash engine/server/benches/serve_wrk.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
DURATION="${DURATION:-15}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
REQUEST="${REQUEST:-examples/requests/01-allow-cardio-de.json}"
BIN="${BIN:-target/release/fivesafes}"
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked -q -p fivesafes-cli
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

run() { # name, serve options...
  local name=$1; shift
  rm -rf "$work/log"
  FIVESAFES_LOG=warn "$BIN" serve --listen "127.0.0.1:$port" "$@" 2>"$work/serve.err" &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
  # Warm up, then measure.
  REQUEST="$REQUEST" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s engine/server/benches/post.lua "http://127.0.0.1:$port/v1/decide" >/dev/null
  echo "== $name: POST /v1/decide $(basename "$REQUEST"), wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
  REQUEST="$REQUEST" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s engine/server/benches/post.lua \
    "http://127.0.0.1:$port/v1/decide" | grep -E "Requests/sec|Non-2xx|Socket errors|^ +(50|75|90|99)%|Latency "
  kill -TERM "$pid"; wait "$pid" || true; pid=
  if [ -d "$work/log" ]; then
    "$BIN" audit verify "$work/log" | sed 's/^/   log: /'
  fi
}

run "group commit (10 ms / 4096 entries), cache on" --log "$work/log" --durability group
run "group commit (10 ms / 4096 entries), cache off" --log "$work/log" --durability group --decision-cache-bytes 0
run "strict (fdatasync before each answer; concurrent answers share a sync), cache on" --log "$work/log" --durability strict
run "strict, cache off" --log "$work/log" --durability strict --decision-cache-bytes 0
run "no log, cache off" --no-log --decision-cache-bytes 0
