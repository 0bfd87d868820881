"""Webhook figures against the release server (scripts/bench.sh webhooks):

  latency     from the commit of what a message announces (its payload's
              timestamp, taken in that transaction) to the receiver, one flag
              at a time: median, p99, max
  throughput  messages the outbox of one instance delivers per second when a
              burst is written at once, and the server's CPU per message
              (/proc/PID/stat), in rounds: median and range

The receiver is this script's own (it records when each message arrived) and
verifies every 20th message with standardwebhooks, so its cost stays small
beside the server's; it runs on the same machine, so the figures include the
loopback and its Python.

Usage: python webhook_bench.py SERVER_URL SERVICE_KEY SERVER_PID
"""

import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

LATENCY_MESSAGES = int(os.environ.get("WEBHOOK_BENCH_LATENCY", "300"))
BURST = int(os.environ.get("WEBHOOK_BENCH_BURST", "2000"))
ROUNDS = int(os.environ.get("WEBHOOK_BENCH_ROUNDS", "3"))
TICKS = os.sysconf("SC_CLK_TCK")

arrived = {}
lock = threading.Lock()
secret = {"value": None}
unverified = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        now = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        message = self.headers.get("webhook-id", "")
        with lock:
            count = len(arrived)
            arrived[message] = (now, body)
        if count % 20 == 0:
            try:
                Webhook(secret["value"]).verify(body, {k.lower(): v for k, v in self.headers.items()})
            except Exception as error:  # noqa: BLE001 - any failure is reported
                unverified.append(f"{message}: {error}")
        self.send_response(204)
        self.end_headers()


def call(server, token, path, body):
    request = urllib.request.Request(server + path, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json",
                                              "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read() or b"{}")


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def interview(server, key):
    """An application with a candidate's session open: returns (application, bearer)."""
    email = f"bench-{uuid.uuid4().hex[:10]}@example.test"
    call(server, key, "/api/integration/candidates", {"email": email})
    application = call(server, key, "/api/integration/applications",
                       {"candidateEmail": email, "title": "Webhook bench"})["id"]
    token = call(server, key, "/api/integration/invitations", {"applicationId": application})["token"]
    session = call(server, "", "/api/integration/capture-sessions", {"token": token})["sessionToken"]
    terms = call(server, session, "/api/monitoring/consent/terms", {"applicationId": application})
    call(server, session, "/api/monitoring/consent",
         {"applicationId": application, "consentVersion": terms["consentVersion"]})
    call(server, session, "/api/monitoring/session/start",
         {"applicationId": application, "cameraInterval": 30, "screenInterval": 30})
    return application, session


def flags(n):
    at = datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return [{"eventId": str(uuid.uuid4()), "kind": "tab_hidden", "at": at} for _ in range(n)]


def wait_for(count, seconds=300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with lock:
            if len(arrived) >= count:
                return
        time.sleep(0.01)
    sys.exit(f"webhook bench: only {len(arrived)} of {count} messages arrived")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(server, key, pid):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    endpoint = call(server, key, "/api/integration/webhooks",
                    {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "events": ["flag.raised"]})
    secret["value"] = endpoint["secret"]

    # Latency: one flag at a time, a random while apart.
    application, session = interview(server, key)
    latencies = []
    for _ in range(LATENCY_MESSAGES):
        before = len(arrived)
        call(server, session, "/api/monitoring/events", {"applicationId": application, "events": flags(1)})
        wait_for(before + 1, 30)
        with lock:
            _, body = arrived[max(arrived, key=lambda m: arrived[m][0])]
            received = max(at for at, _ in arrived.values())
        written = datetime.fromisoformat(json.loads(body)["timestamp"].replace("Z", "+00:00")).timestamp()
        latencies.append((received - written) * 1000)
        # At a random moment: not in step with the server's polling.
        time.sleep(random.uniform(0.01, 0.11))
    print(f"webhook latency, commit to receiver, {len(latencies)} messages one at a time: "
          f"median {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 99):.0f} ms, "
          f"max {max(latencies):.0f} ms")

    # Throughput: a burst written at once (batches of 100 flags, so the writing
    # is quick beside the sending), delivered by the one instance.
    rates, cpu = [], []
    for round_ in range(ROUNDS):
        application, session = interview(server, key)
        with lock:
            start_count = len(arrived)
        ticks, started = cpu_ticks(pid), time.monotonic()
        for _ in range(BURST // 100):
            call(server, session, "/api/monitoring/events", {"applicationId": application, "events": flags(100)})
        written = time.monotonic() - started
        wait_for(start_count + BURST)
        elapsed = time.monotonic() - started
        used = (cpu_ticks(pid) - ticks) / TICKS
        rates.append(BURST / elapsed)
        cpu.append(used / BURST * 1000)
        print(f"  round {round_ + 1}: {BURST} messages written in {written:.1f} s, all delivered after "
              f"{elapsed:.1f} s: {BURST / elapsed:.0f} messages/s; server CPU {used / BURST * 1000:.2f} ms per message "
              f"(writing them included)")
    print(f"outbox throughput, one instance: median {statistics.median(rates):.0f} messages/s "
          f"({min(rates):.0f}-{max(rates):.0f}); server CPU per message median {statistics.median(cpu):.2f} ms "
          f"({min(cpu):.2f}-{max(cpu):.2f})")
    if unverified:
        sys.exit(f"webhook bench: {len(unverified)} messages did not verify: {unverified[:3]}")
    print(f"every sampled message verified with standardwebhooks ({len(arrived) // 20 + 1} of {len(arrived)})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
