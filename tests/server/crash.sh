#!/usr/bin/env bash
# Strict durability under a crash: kill -9 fivesafes serve under load; every decision it
# acknowledged must be in a decision log that verifies; a restart continues the chain.
# Usage: tests/server/crash.sh [BINARY]   (from the repository root)
set -euo pipefail

BIN=${1:-target/debug/fivesafes}
HERE=$(dirname "$0")
REQS=examples/requests
# allow, deny, review, and two invalid ones (400): every kind of entry the log takes.
MIX=("$REQS/01-allow-cardio-de.json" "$REQS/02-deny-nl-ethics-always.json" "$REQS/12-review-duo-pediatric.json"
     "$REQS/26-invalid-malformed-json.json" "$REQS/27-invalid-unknown-dataset.json" "$REQS/23-mixed-heart-five-members.json")
MIN_ACKED=200
LOAD_SECONDS=3

fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

[ -x "$BIN" ] || fail "no binary at $BIN"
for f in "${MIX[@]}"; do [ -f "$f" ] || fail "missing $f (run from the repository root)"; done

TMP=$(mktemp -d /tmp/fivesafes-crash.XXXXXX)
LOG=$TMP/log
SERVER_PID= LOAD_PID=
cleanup() {
    rc=$?
    touch "$TMP/stop" 2>/dev/null || true
    for pid in $LOAD_PID $SERVER_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/server*.err; do
            [ -f "$f" ] && { echo "--- $(basename "$f") (tail)" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME: a server on a new port over the same log; sets SERVER_PID and PORT.
start() {
    PORT=$(free_port)
    "$BIN" serve --listen "127.0.0.1:$PORT" --log "$LOG" --durability strict >"$TMP/server-$1.out" 2>"$TMP/server-$1.err" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/ready" 2>/dev/null && { echo "server ($1) ready on 127.0.0.1:$PORT"; return; }
        kill -0 "$SERVER_PID" 2>/dev/null || fail "fivesafes serve ($1) exited before it was ready: $(tail -n 5 "$TMP/server-$1.err")"
        sleep 0.1
    done
    fail "server ($1): /health/ready not 200 after 30 s"
}

# verify: `audit verify --format json` of the log; sets VERIFY_RC and writes $TMP/verify.json.
verify() {
    VERIFY_RC=0
    "$BIN" audit verify "$LOG" --format json >"$TMP/verify.json" 2>"$TMP/verify.err" || VERIFY_RC=$?
}

# check_log ACKED_FILE [AFTER_SEQUENCE]: every acknowledged id is in the log with the outcome
# it was acknowledged with; with AFTER_SEQUENCE, those ids take exactly the sequence numbers
# right after it, and nothing else was logged. Prints the last sequence number.
check_log() {
    python3 - "$LOG" "$@" <<'PY'
import glob, json, os, sys
log, acked_path = sys.argv[1], sys.argv[2]
after = int(sys.argv[3]) if len(sys.argv) > 3 else None
files = sorted(glob.glob(os.path.join(log, "decisions.log.*")), key=lambda p: int(p.rsplit(".", 1)[1]))
files.append(os.path.join(log, "decisions.log"))
by_id, sequences = {}, []
for path in files:
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            e = json.loads(line)
            if e["decisionId"] in by_id:
                sys.exit(f"FAIL: decision id {e['decisionId']} is logged twice")
            by_id[e["decisionId"]] = e
            sequences.append(e["sequence"])
acked = [line.split() for line in open(acked_path) if line.strip()]
if len({a[0] for a in acked}) != len(acked):
    sys.exit("FAIL: the server acknowledged the same decision id twice")
missing = [a for a in acked if a[0] not in by_id]
if missing:
    sys.exit(f"FAIL: {len(missing)} of {len(acked)} acknowledged decisions are not in the log, e.g. {missing[:3]}")
for did, status, outcome in acked:
    if by_id[did]["outcome"] != outcome:
        sys.exit(f"FAIL: decision {did} acknowledged as {outcome} (HTTP {status}), logged as {by_id[did]['outcome']}")
if after is not None:
    got = sorted(by_id[a[0]]["sequence"] for a in acked)
    want = list(range(after + 1, after + 1 + len(acked)))
    if got != want:
        sys.exit(f"FAIL: expected the decisions after the restart at sequences {want[0]}..{want[-1]}, got {got}")
    if max(sequences) != want[-1]:
        sys.exit(f"FAIL: expected the log to end at sequence {want[-1]}, it ends at {max(sequences)}")
print(max(sequences) if sequences else 0)
PY
}

# --- 1. load, then kill -9 in the middle of it
start first
: >"$TMP/acked"
python3 "$HERE/load.py" "$PORT" "$TMP/acked" "$TMP/stop" 60 "${MIX[@]}" >"$TMP/load.json" 2>"$TMP/load.err" &
LOAD_PID=$!
sleep "$LOAD_SECONDS"
for _ in $(seq 1 200); do
    [ "$(wc -l <"$TMP/acked")" -ge "$MIN_ACKED" ] && break
    kill -0 "$LOAD_PID" 2>/dev/null || fail "the load client exited early: $(cat "$TMP/load.err")"
    sleep 0.1
done
ACKED_AT_KILL=$(wc -l <"$TMP/acked")
[ "$ACKED_AT_KILL" -ge "$MIN_ACKED" ] || fail "expected at least $MIN_ACKED acknowledged decisions within 23 s, got $ACKED_AT_KILL"
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
# Let the client see the dead server, then stop it.
sleep 0.3
touch "$TMP/stop"
wait "$LOAD_PID" || fail "the load client failed: $(cat "$TMP/load.err")"
LOAD_PID=
echo "killed -9 under load; client: $(cat "$TMP/load.json")"
python3 - "$TMP/load.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
if r["unexpected"]:
    sys.exit(f"FAIL: expected only 200/400 (or a documented 503) from /v1/decide, got {r['unexpected']}")
PY
ACKED=$(wc -l <"$TMP/acked")

# --- 2. the log after the crash
verify
TORN=0
if [ "$VERIFY_RC" -ne 0 ]; then
    # A torn last line (a write the kill cut short) is the one fault allowed: never acknowledged
    # in strict mode, and the server cuts it off when it opens the log.
    python3 - "$TMP/verify.json" "$LOG" <<'PY' || fail "audit verify after kill -9 exited $VERIFY_RC: $(cat "$TMP/verify.json" "$TMP/verify.err")"
import json, os, sys
r = json.load(open(sys.argv[1]))
bad = r.get("badEntry") or {}
at = bad.get("at") or {}
if (bad.get("fault") or {}).get("kind") != "truncated" or not r["files"] or os.path.basename(at.get("file", "")) != os.path.basename(r["files"][-1]):
    sys.exit(1)
lines = open(os.path.join(sys.argv[2], os.path.basename(at["file"])), "rb").read().count(b"\n") + 1
sys.exit(0 if at.get("line") == lines else 1)
PY
    TORN=1
    echo "audit verify after kill -9: torn last line ($(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["badEntry"]["message"])' "$TMP/verify.json")), to be recovered by the restart"
else
    echo "audit verify after kill -9: exit 0, $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["entries"], "entries")' "$TMP/verify.json")"
    LAST=$(check_log "$TMP/acked") || exit 1
    echo "all $ACKED acknowledged decisions are in the log (last sequence $LAST)"
fi

# --- 3. restart on the same log, 20 more decisions, SIGTERM
start restart
if [ "$TORN" -eq 1 ]; then
    verify
    [ "$VERIFY_RC" -eq 0 ] || fail "audit verify after the restart recovered the torn line exited $VERIFY_RC: $(cat "$TMP/verify.json")"
    LAST=$(check_log "$TMP/acked") || exit 1
    echo "after recovery: log verifies, all $ACKED acknowledged decisions are in it (last sequence $LAST)"
fi
: >"$TMP/acked2"
for i in $(seq 0 19); do
    f=${MIX[$((i % ${#MIX[@]}))]}
    status=$(curl -sS -o /dev/null -D "$TMP/h" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$f" "http://127.0.0.1:$PORT/v1/decide")
    id=$(tr -d '\r' <"$TMP/h" | grep -i '^x-fivesafes-decision-id:' | awk '{print $2}' || true)
    outcome=$(tr -d '\r' <"$TMP/h" | grep -i '^x-fivesafes-outcome:' | awk '{print $2}' || true)
    case $status in 200|400) ;; *) fail "after restart: expected 200 or 400 for $f, got HTTP $status" ;; esac
    [ -n "$id" ] || fail "after restart: no X-Fivesafes-Decision-Id for $f (HTTP $status)"
    echo "$id $status $outcome" >>"$TMP/acked2"
done
kill -TERM "$SERVER_PID"
rc=0; wait "$SERVER_PID" || rc=$?
SERVER_PID=
[ "$rc" -eq 0 ] || fail "fivesafes serve exited $rc on SIGTERM, expected 0"
echo "20 decisions after the restart, then SIGTERM: exit 0"

verify
[ "$VERIFY_RC" -eq 0 ] || fail "audit verify after restart and SIGTERM exited $VERIFY_RC, expected 0: $(cat "$TMP/verify.json" "$TMP/verify.err")"
END=$(check_log "$TMP/acked2" "$LAST") || exit 1
check_log "$TMP/acked" >/dev/null || exit 1
echo "audit verify: exit 0; the 20 new decisions are sequences $((LAST + 1))..$END, no gap"

echo "ok: kill -9 under load lost none of $ACKED acknowledged decisions (strict)$([ "$TORN" -eq 1 ] && echo ', torn tail recovered on restart'); restart continued the chain to $END; SIGTERM exit 0"
