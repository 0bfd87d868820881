"""Runs the README's quickstart, exactly as written, against a running server,
and fails if any answer differs in shape from the one the README shows.

The quickstart is the part of README.md between `<!-- quickstart:begin -->`
and `<!-- quickstart:end -->`. Its ```sh blocks run in order in one bash (so
variables carry over), with `set -euo pipefail`. A ```json block after an sh
block is the answer that block prints: the same keys, at every level, with
values of the same JSON types (ids and times differ from run to run). A json
block after `<!-- quickstart:webhook TYPE -->` is the body of the webhook of
that type: the script waits for it at the receiver (scripts/webhook_receiver.py,
which verifies it with standardwebhooks) and compares it the same way.

Usage: python quickstart.py README.md SERVER_URL
  (with `interview-monitor` on PATH and DATA_DIR set to the server's, and
  the server running with WEBHOOK_ALLOW_PRIVATE=1; a Python with Pillow and
  standardwebhooks; the steps' files are written to a temporary directory)
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

SENTINEL = "@@quickstart-step-done"


def fail(what):
    sys.exit(f"quickstart: {what}")


def steps(readme):
    text = open(readme, encoding="utf-8").read()
    begin, end = text.find("<!-- quickstart:begin -->"), text.find("<!-- quickstart:end -->")
    if begin < 0 or end < begin:
        fail("README.md has no quickstart section")
    section = text[begin:end]
    found = []
    for match in re.finditer(r"(<!-- quickstart:webhook ([a-z.]+) -->\s*)?```(sh|json)\n(.*?)```", section, re.S):
        webhook, kind, body = match.group(2), match.group(3), match.group(4)
        found.append(("webhook" if webhook else kind, webhook, body))
    if sum(kind == "sh" for kind, _, _ in found) < 5:
        fail("the quickstart has fewer than five steps")
    return found


def shape(value):
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


def differences(expected, actual, path="$"):
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}.{key}: missing" for key in expected if key not in actual]
        out += [f"{path}.{key}: not in the README" for key in actual if key not in expected]
        for key in expected:
            if key in actual:
                out += differences(expected[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if expected and actual:
            return differences(expected[0], actual[0], f"{path}[0]")
        return []
    return [] if expected == actual else [f"{path}: the README shows {expected}, the server answered {actual}"]


class Shell:
    """One bash, fed a step at a time."""

    def __init__(self, env, cwd):
        self.process = subprocess.Popen(["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env, cwd=cwd)
        self.run("set -euo pipefail")

    def run(self, script):
        self.process.stdin.write(script + f"\nprintf '\\n%s\\n' {SENTINEL}\n")
        self.process.stdin.flush()
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                fail(f"this step failed (exit {self.process.wait()}):\n{script}\nafter printing:\n{''.join(lines)}")
            if line.strip() == SENTINEL:
                return "".join(lines).strip()
            lines.append(line)

    def value(self, name):
        return self.run(f'printf "%s" "${name}"')


def webhook(receiver, event, application, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for attempt in json.load(urllib.request.urlopen(f"{receiver}/received")):
            payload = attempt["payload"] or {}
            if (attempt["status"] == 200 and payload.get("type") == event
                    and payload.get("data", {}).get("applicationId") == application):
                return payload
        time.sleep(0.2)
    fail(f"no verified {event} webhook for {application} within {seconds} s")


def main(readme, server):
    here = os.path.dirname(os.path.abspath(__file__))
    receiver_process = subprocess.Popen([sys.executable, os.path.join(here, "webhook_receiver.py")],
                                        stdout=subprocess.PIPE, text=True)
    receiver = f"http://127.0.0.1:{receiver_process.stdout.readline().strip()}"
    work = tempfile.mkdtemp(prefix="quickstart-")
    # The one file the README asks the reader to bring: a JPEG snapshot.
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (640, 480), (90, 120, 160))
    ImageDraw.Draw(image).ellipse((220, 120, 420, 360), fill=(230, 190, 160))
    image.save(os.path.join(work, "snapshot.jpg"), "JPEG", quality=80)

    env = dict(os.environ, IM=server, HOOK_URL=f"{receiver}/hooks")
    shell = Shell(env, work)
    last_output, checked = None, 0
    for kind, event, body in steps(readme):
        if kind == "sh":
            last_output = shell.run(body)
            if "whsec_" in last_output:
                secret = json.loads(last_output)["secret"]
                urllib.request.urlopen(urllib.request.Request(
                    f"{receiver}/control", data=json.dumps({"secrets": [secret]}).encode(),
                    headers={"content-type": "application/json"})).read()
            continue
        expected = shape(json.loads(body))
        if kind == "json":
            if last_output is None:
                fail(f"a json block follows no step:\n{body}")
            try:
                actual = shape(json.loads(last_output))
            except ValueError:
                fail(f"the step before this answer printed no JSON: {last_output[:300]}")
            what = "an answer"
            last_output = None
        else:
            actual = shape(webhook(receiver, event, shell.value("APP")))
            what = f"the {event} webhook"
        found = differences(expected, actual)
        if found:
            fail(f"{what} differs from the README:\n  " + "\n  ".join(found))
        checked += 1
    receiver_process.terminate()
    print(f"quickstart: every step ran; {checked} answers and webhooks have the README's shape")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
