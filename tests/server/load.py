"""Load for crash.sh: threads POST decision requests to /v1/decide and append the id of every
acknowledged decision (a complete 200 or 400 response) to a file, flushed at once, so that
whatever the server acknowledged before it was killed is on record here.

Usage: python3 load.py PORT ACKED_FILE STOP_FILE MAX_SECONDS REQUEST.json...
Runs until STOP_FILE exists or MAX_SECONDS pass; prints a JSON summary on stdout.
Each line of ACKED_FILE: decision-id HTTP-status outcome.
"""

import http.client
import json
import os
import sys
import threading
import time

THREADS = 8

port, acked_path, stop_path, max_seconds = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
bodies = [open(p, "rb").read() for p in sys.argv[5:]]
deadline = time.monotonic() + max_seconds
lock = threading.Lock()
acked = open(acked_path, "a", encoding="utf-8")
counts = {"acknowledged": 0, "connectionErrors": 0, "statuses": {}}
unexpected = []


def stopping():
    return os.path.exists(stop_path) or time.monotonic() > deadline


def worker(n):
    conn = None
    i = n
    while not stopping():
        body = bodies[i % len(bodies)]
        i += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/v1/decide", body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()  # an incomplete body raises: not acknowledged
            status = resp.status
            did = resp.getheader("X-Fivesafes-Decision-Id")
            outcome = resp.getheader("X-Fivesafes-Outcome")
        except (OSError, http.client.HTTPException):
            # The server was killed (or refused): nothing acknowledged; back off, reconnect.
            if conn is not None:
                conn.close()
                conn = None
            with lock:
                counts["connectionErrors"] += 1
            time.sleep(0.05)
            continue
        with lock:
            counts["statuses"][str(status)] = counts["statuses"].get(str(status), 0) + 1
            if status in (200, 400) and did:
                acked.write(f"{did} {status} {outcome}\n")
                acked.flush()
                counts["acknowledged"] += 1
            elif status != 503:  # 503 is the documented refusal: overloaded or log failing
                unexpected.append(f"HTTP {status}, decision id {did!r}")
    if conn is not None:
        conn.close()


threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
acked.close()
counts["unexpected"] = unexpected[:20]
print(json.dumps(counts))
