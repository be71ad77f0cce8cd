#!/usr/bin/env bash
# fivesafes serve behind a real nginx: `auth_request` to /v1/check gates /api/, and the
# decision id the server minted travels to the upstream and into the decision log.
# Usage: tests/server/nginx.sh [BINARY]   (from the repository root)
set -euo pipefail

BIN=${1:-target/debug/fivesafes}
REQS=examples/requests
ALLOW=$REQS/01-allow-cardio-de.json
DENY=$REQS/02-deny-nl-ethics-always.json
REVIEW=$REQS/12-review-duo-pediatric.json

fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# RFC 4648 §5, unpadded: what a gateway puts in a header.
b64url() { base64 -w0 <"$1" | tr '+/' '-_' | tr -d '='; }
UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

[ -x "$BIN" ] || fail "no binary at $BIN"
for f in "$ALLOW" "$DENY" "$REVIEW"; do [ -f "$f" ] || fail "missing $f (run from the repository root)"; done

NGINX=/usr/sbin/nginx
if [ ! -x "$NGINX" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
fi
[ -x "$NGINX" ] || fail "nginx did not install at $NGINX"

TMP=$(mktemp -d /tmp/fivesafes-nginx.XXXXXX)
SERVER_PID= NGINX_PID=
cleanup() {
    rc=$?
    for pid in $NGINX_PID $SERVER_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ]; then
        echo "--- server stderr (tail)" >&2; tail -n 30 "$TMP/server.err" >&2 2>/dev/null || true
        echo "--- nginx error.log (tail)" >&2; tail -n 30 "$TMP/error.log" >&2 2>/dev/null || true
    fi
    if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

FS_PORT=$(free_port)
# debug: a trace line per decision, where X-Original-URI is to show.
FIVESAFES_LOG=debug "$BIN" serve --listen "127.0.0.1:$FS_PORT" --log "$TMP/log" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$FS_PORT/health/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "fivesafes serve exited before it was ready"
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$FS_PORT/health/ready" || fail "/health/ready not 200 after 30 s"
echo "fivesafes serve ready on 127.0.0.1:$FS_PORT"

GW_PORT=$(free_port)
UP_PORT=$(free_port)
mkdir -p "$TMP"/{client_body,proxy,fastcgi,uwsgi,scgi}
# Root's nginx would hand its workers to `nobody`, who cannot write into a mktemp directory.
USER_LINE=
[ "$(id -u)" -eq 0 ] && USER_LINE="user root;"
cat >"$TMP/nginx.conf" <<EOF
$USER_LINE
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log info;
events { worker_connections 64; }
http {
    access_log $TMP/access.log;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;

    server {
        listen 127.0.0.1:$GW_PORT;
        location /api/ {
            auth_request /_fivesafes;
            auth_request_set \$fs_decision \$upstream_http_x_fivesafes_decision_id;
            auth_request_set \$fs_outcome \$upstream_http_x_fivesafes_outcome;
            auth_request_set \$fs_runs_at \$upstream_http_x_fivesafes_runs_at;
            # So the client sees which decision refused it, 403s included.
            add_header X-Fivesafes-Decision-Id \$fs_decision always;
            add_header X-Fivesafes-Outcome \$fs_outcome always;
            proxy_set_header X-Fivesafes-Decision-Id \$fs_decision;
            proxy_set_header X-Fivesafes-Outcome \$fs_outcome;
            proxy_set_header X-Fivesafes-Runs-At \$fs_runs_at;
            proxy_pass http://127.0.0.1:$UP_PORT;
        }
        location = /_fivesafes {
            internal;
            proxy_pass http://127.0.0.1:$FS_PORT/v1/check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI \$request_uri;
            proxy_set_header X-Original-Method \$request_method;
            proxy_set_header X-Fivesafes-Request \$http_x_fivesafes_request;
        }
    }

    server {
        listen 127.0.0.1:$UP_PORT;
        access_log $TMP/upstream.log;
        location / {
            default_type text/plain;
            return 200 "upstream saw decision \$http_x_fivesafes_decision_id outcome \$http_x_fivesafes_outcome runs-at \$http_x_fivesafes_runs_at\n";
        }
    }
}
EOF
"$NGINX" -t -q -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" || fail "nginx rejected its config"
"$NGINX" -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$UP_PORT/" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$GW_PORT/" 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited at start"
    sleep 0.1
done
echo "nginx gateway on 127.0.0.1:$GW_PORT, upstream on 127.0.0.1:$UP_PORT"

DECISIONS=0     # decisions asked of the server, each must be one log entry
: >"$TMP/ids"   # decision-id expected-outcome, one a line

upstream_hits() { [ -f "$TMP/upstream.log" ] && wc -l <"$TMP/upstream.log" || echo 0; }

# gateway NAME EXPECTED_STATUS EXPECTED_OUTCOME [curl args...]: one request through nginx.
gateway() {
    local name=$1 want_status=$2 want_outcome=$3; shift 3
    local before after status id outcome body
    before=$(upstream_hits)
    status=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" "http://127.0.0.1:$GW_PORT/api/data?case=$name")
    DECISIONS=$((DECISIONS + 1))
    sleep 0.1   # nginx writes its access log after the response has gone
    after=$(upstream_hits)
    body=$(cat "$TMP/body")
    id=$(grep -i '^x-fivesafes-decision-id:' "$TMP/headers" | tr -d '\r' | awk '{print $2}' || true)
    outcome=$(grep -i '^x-fivesafes-outcome:' "$TMP/headers" | tr -d '\r' | awk '{print $2}' || true)
    [ "$status" = "$want_status" ] || fail "$name: expected HTTP $want_status from nginx, got $status; body: $body"
    [ "$outcome" = "$want_outcome" ] || fail "$name: expected outcome '$want_outcome' passed on by nginx, got '$outcome'"
    [[ $id =~ $UUID7 ]] || fail "$name: expected a UUID v7 decision id passed on by nginx, got '$id'"
    if [ "$want_status" = 200 ]; then
        [ "$after" -eq $((before + 1)) ] || fail "$name: expected the upstream to be reached once, its log went $before -> $after"
        [[ $body =~ ^"upstream saw decision "([^ ]+)" outcome allow runs-at "([^ ]+) ]] ||
            fail "$name: expected the upstream's echo of a decision id, outcome allow and members, got: $body"
        [ "${BASH_REMATCH[1]}" = "$id" ] || fail "$name: upstream saw decision ${BASH_REMATCH[1]}, client was told $id"
        echo "check $name: 200 through nginx, upstream saw decision $id (runs at ${BASH_REMATCH[2]})"
    else
        [ "$after" -eq "$before" ] || fail "$name: expected the upstream not to be reached, its log went $before -> $after"
        [[ $body == *"upstream saw"* ]] && fail "$name: a refused request got the upstream's body: $body"
        echo "check $name: $status from nginx, upstream not reached, decision $id $outcome"
    fi
    echo "$id $want_outcome" >>"$TMP/ids"
}

gateway allow 200 allow -H "X-Fivesafes-Request: $(b64url "$ALLOW")"
gateway deny 403 deny -H "X-Fivesafes-Request: $(b64url "$DENY")"
gateway review 403 review -H "X-Fivesafes-Request: $(b64url "$REVIEW")"
gateway garbage 403 deny -H 'X-Fivesafes-Request: %%not*base64url!!'
gateway no-header 403 deny

# /v1/check as Envoy or a direct caller sees it: headers nginx does not show.
# check NAME EXPECTED_STATUS EXPECTED_OUTCOME [curl args...]
check() {
    local name=$1 want_status=$2 want_outcome=$3; shift 3
    local status id outcome
    status=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' "$@" "http://127.0.0.1:$FS_PORT/v1/check")
    DECISIONS=$((DECISIONS + 1))
    tr -d '\r' <"$TMP/headers" >"$TMP/h"
    id=$(grep -i '^x-fivesafes-decision-id:' "$TMP/h" | awk '{print $2}' || true)
    outcome=$(grep -i '^x-fivesafes-outcome:' "$TMP/h" | awk '{print $2}' || true)
    [ "$status" = "$want_status" ] || fail "direct $name: expected HTTP $want_status from /v1/check, got $status; headers: $(cat "$TMP/h")"
    [ "$outcome" = "$want_outcome" ] || fail "direct $name: expected X-Fivesafes-Outcome '$want_outcome', got '$outcome'"
    [[ $id =~ $UUID7 ]] || fail "direct $name: expected a UUID v7 X-Fivesafes-Decision-Id, got '$id'"
    echo "$id $want_outcome" >>"$TMP/ids"
}
header() { grep -i "^$1:" "$TMP/h" | cut -d: -f2- | sed 's/^ *//' || true; }

# A trailing space keeps the JSON the same and makes its length not a multiple of 3, so
# the encoding ends in '=' padding.
cp "$ALLOW" "$TMP/padded.json"
while [ $(($(wc -c <"$TMP/padded.json") % 3)) -eq 0 ]; do printf ' ' >>"$TMP/padded.json"; done
PADDED=$(base64 -w0 <"$TMP/padded.json" | tr '+/' '-_')
[[ $PADDED == *= ]] || fail "test setup: expected a padded encoding, got ...${PADDED: -4}"
check padded 200 allow -H "X-Fivesafes-Request: $PADDED"
[ -n "$(header X-Fivesafes-Runs-At)" ] || fail "direct padded: expected X-Fivesafes-Runs-At on an allow, headers: $(cat "$TMP/h")"
[ -z "$(header X-Fivesafes-Error)" ] || fail "direct padded: a valid request got X-Fivesafes-Error: $(header X-Fivesafes-Error)"
echo "check direct padded base64url: 200 allow, runs at $(header X-Fivesafes-Runs-At), obligations '$(header X-Fivesafes-Obligations)'"

# Without the header the body is the request's JSON itself, as an ext_authz forwarding the
# original body sends it.
check body-fallback 200 allow -X POST -H 'Content-Type: application/json' --data-binary "@$ALLOW"
echo "check direct request JSON in the body (no header): 200 allow"

check invalid 403 deny -H "X-Fivesafes-Request: $(b64url "$REQS/27-invalid-unknown-dataset.json")"
[ -n "$(header X-Fivesafes-Error)" ] || fail "direct invalid: expected X-Fivesafes-Error on an invalid request, headers: $(cat "$TMP/h")"
echo "check direct invalid request: 403 deny, X-Fivesafes-Error: $(header X-Fivesafes-Error)"

# Stop the server cleanly so the log is flushed and closed before it is read.
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
[ "$rc" -eq 0 ] || fail "fivesafes serve exited $rc on SIGTERM, expected 0"
echo "server stopped on SIGTERM, exit 0"

# X-Original-URI goes to the trace log only (a debug line per check).
for name in allow deny review garbage no-header; do
    grep -qF "/api/data?case=$name" "$TMP/server.err" ||
        fail "expected X-Original-URI /api/data?case=$name in the server's trace (stderr, FIVESAFES_LOG=debug), not found"
done
echo "server trace records X-Original-URI of all 5 requests through nginx"

verify_rc=0
"$BIN" audit verify "$TMP/log" >"$TMP/verify.out" 2>&1 || verify_rc=$?
[ "$verify_rc" -eq 0 ] || fail "audit verify exited $verify_rc, expected 0: $(cat "$TMP/verify.out")"
echo "audit verify: $(cat "$TMP/verify.out")"

python3 - "$TMP/log" "$TMP/ids" "$DECISIONS" <<'PY'
import glob, json, os, sys
log, ids_file, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(log, "decisions.log.*")), key=lambda p: int(p.rsplit(".", 1)[1]))
files.append(os.path.join(log, "decisions.log"))
entries = {}
count = 0
for path in files:
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            e = json.loads(line)
            entries[e["decisionId"]] = e
            count += 1
if count != expected:
    sys.exit(f"FAIL: expected {expected} log entries (one per decision asked), found {count}")
for line in open(ids_file):
    did, outcome = line.split()
    if did not in entries:
        sys.exit(f"FAIL: decision {did} was passed on but is not in the decision log")
    if entries[did]["outcome"] != outcome:
        sys.exit(f"FAIL: decision {did}: log says outcome {entries[did]['outcome']}, expected {outcome}")
print(f"log holds {count} entries, one per decision, and every decision id passed on, with its outcome")
PY

echo "ok: nginx auth_request gates /api/ on /v1/check (allow 200 to upstream; deny, review, garbage, no header 403), $DECISIONS decisions all in a verified log"
