#!/usr/bin/env python3
"""A webhook receiver for the tests and the webhook benchmark.

Every message is verified with the `standardwebhooks` package from PyPI (the
Standard Webhooks reference implementation, not our code), against each secret
it was told, and answered 200 when one of them verifies it, else 500. It can
fail the first N attempts of every message on purpose.

Prints the port it listens on (127.0.0.1), then serves:
  POST /control  {"secrets": [...], "failFirst": N}   set what it checks and how often it fails
  GET  /received                                      every attempt so far, as JSON
  POST anything else                                  a webhook
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secrets": [], "failFirst": 0, "received": [], "attempts": {}}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b"{}"):
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            body = json.dumps(state["received"]).encode()
        self.answer(200, body)

    def do_POST(self):
        received_at = time.time()
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path == "/control":
            settings = json.loads(body)
            with lock:
                state["secrets"] = settings.get("secrets", state["secrets"])
                state["failFirst"] = settings.get("failFirst", state["failFirst"])
            return self.answer(200)
        headers = {key.lower(): value for key, value in self.headers.items()}
        with lock:
            secrets = list(state["secrets"])
        verified_by = []
        for n, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified_by.append(n)
            except WebhookVerificationError:
                pass
        message = headers.get("webhook-id", "")
        with lock:
            attempt = state["attempts"].get(message, 0) + 1
            state["attempts"][message] = attempt
            ok = bool(verified_by) and attempt > state["failFirst"]
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            state["received"].append({
                "id": message,
                "attempt": attempt,
                "verifiedBy": verified_by,
                "status": 200 if ok else 500,
                "payload": payload,
                "raw": body.decode("utf-8", "replace"),
                "receivedAt": received_at,
                "timestamp": headers.get("webhook-timestamp"),
                "signatures": len(headers.get("webhook-signature", "").split(" ")),
            })
        self.answer(200 if ok else 500)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
