#!/usr/bin/env python3
"""Drives the two-node cluster that scripts/cluster-test.sh starts (Python's
standard library only). Every check prints a line; the first failure exits 1.

Through nginx (CLUSTER_URL) and to each node directly (NODE_A_URL,
NODE_B_URL) when a step must land on one node:
  1. a Company MFA policy change on node a is seen by node b at once;
  2. MFA registration on one node, the next request on the other;
  3. the MFA attempt limit is exact across both nodes under parallel guesses
     (counted in the audit log: one mfa.code_refused entry per code checked);
  4. uploads through nginx are spread over both nodes;
  5. node a is killed with SIGKILL mid-upload: every acknowledged upload is
     there and downloads keep working through the survivor;
  6. node b's metrics count what happened;
  7. no secret used in the run appears in any log (LOG_FILES).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

CLUSTER = os.environ["CLUSTER_URL"]
NODE_A = os.environ["NODE_A_URL"]
NODE_B = os.environ["NODE_B_URL"]
PID_A = int(os.environ["NODE_A_PID"])
METRICS_B = os.environ["METRICS_B_URL"]
TOKEN = os.environ["CLUSTER_TOKEN"]
DEMO_PASSWORD = "Demo-Calls-2026!"
ATTEMPT_LIMIT = int(os.environ.get("CALLREC_MFA_ATTEMPT_LIMIT", "5"))
SECRETS = {
    "the demo password": DEMO_PASSWORD,
    "the master key": os.environ["CALLREC_SECRET_KEY"],
    "the S3 secret key": os.environ["AWS_SECRET_ACCESS_KEY"],
    "the API token": TOKEN,
}

TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirects, urllib.request.HTTPSHandler(context=TLS))


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"  ok: {message}", flush=True)


def http(method, url, body=None, headers=None, timeout=60):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


class Session:
    """A browser's cookie, sent to whichever node a step names."""

    def __init__(self):
        self.cookies = {}

    def call(self, method, url, form=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, content = http(method, url, body, headers)
        for value in response_headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
            if self.cookies[name.strip()]:
                SECRETS[f"a session cookie ({name.strip()})"] = self.cookies[name.strip()]
        return status, response_headers.get("Location", ""), content.decode("utf-8", "replace")

    def get(self, url):
        return self.call("GET", url)

    def post(self, url, form):
        return self.call("POST", url, form)


def totp(key, at=None):
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def codes_refused():
    """Wrong codes the portal checked, from its audit log (PostgreSQL)."""
    out = subprocess.run(
        ["psql", "-tAq", os.environ["CALLREC_DATABASE_URL"], "-c",
         "SELECT COUNT(*) FROM audit_log WHERE action = 'mfa.code_refused'"],
        check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def sign_in(base, username, password=DEMO_PASSWORD):
    session = Session()
    status, location, _ = session.post(f"{base}/login", {"username": username, "password": password})
    if status != 303:
        fail(f"sign-in of {username} on {base} answered {status}")
    return session, location


def wav(samples, salt):
    data = b"".join(struct.pack("<h", ((i * salt) % 65521) - 32760) for i in range(samples))
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


def upload(audio, number):
    boundary = "cluster-boundary"
    meta = json.dumps({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound",
                       "from": f"+4420794{number:05d}", "to": "2001"})
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{meta}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Authorization": f"Bearer {TOKEN}",
               "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return http("POST", f"{CLUSTER}/api/v1/recordings", body, headers, timeout=30)


def node_of(log_path):
    """Uploads a node answered 201, from its JSON access lines."""
    count = 0
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"callrec::access"' in line and "/api/v1/recordings" in line and '"status":201' in line:
                count += 1
    return count


def main():
    print("== cluster: 1. a policy change on node a is seen by node b at once", flush=True)
    admin, location = sign_in(NODE_A, "acme.admin")
    check(location and not location.startswith("/mfa"), f"acme.admin is signed in on node a (to {location})")
    status, _, page = admin.get(f"{NODE_A}/company-mfa")
    company = re.search(r'name="company" value="(\d+)"', page)
    check(status == 200 and company, "Company MFA opens on node a")
    status, _, _ = admin.post(f"{NODE_A}/company-mfa",
                              {"company": company.group(1), "policy": "enabled", "days": "0"})
    check(status == 303, "MFA set to Enabled on node a")
    agent, location = sign_in(NODE_B, "acme.agent")
    check(location == "/mfa", "node b asks acme.agent for MFA straight away")

    print("== cluster: 2. MFA registered on one node, the next request on the other", flush=True)
    status, location, page = agent.post(f"{NODE_B}/mfa/register", {})
    if status == 303:
        _, _, page = agent.get(f"{NODE_B}{location}")
    key = re.search(r'<code aria-label="Key">([A-Z2-7 ]+)</code>', page)
    check(key, "node b shows a new key to scan")
    key = key.group(1).replace(" ", "")
    SECRETS["the TOTP key"] = key
    code = totp(key)
    SECRETS["the code typed"] = code
    status, _, page = agent.post(f"{NODE_A}/mfa/register/confirm", {"code": code})
    check(status == 200 and "Save your recovery codes" in page,
          "node a accepts the code and shows the recovery codes")
    for recovery in re.findall(r"\b[a-z0-9]{4}-[a-z0-9]{4}\b", page):
        SECRETS[f"recovery code {recovery}"] = recovery
    agent.post(f"{NODE_A}/mfa/recovery-codes/saved", {})
    status, _, page = agent.get(f"{NODE_B}/recordings")
    check(status == 200 and "Recordings" in page, "node b serves the next request of the session")

    print(f"== cluster: 3. the MFA attempt limit ({ATTEMPT_LIMIT}) is exact across both nodes", flush=True)
    guesser, location = sign_in(NODE_A, "acme.agent")
    check(location == "/mfa", "acme.agent must give a code")
    right = {totp(key, time.time() + d) for d in (-60, -30, 0, 30, 60)}
    wrong = next(f"{n:06d}" for n in range(1, 1000) if f"{n:06d}" not in right)
    guesses = 4 * ATTEMPT_LIMIT
    barrier = threading.Barrier(guesses)

    def guess(n):
        barrier.wait()
        base = NODE_A if n % 2 else NODE_B
        status, location, page = guesser.post(f"{base}/mfa/verify", {"code": wrong})
        return "wrong" if status in (200, 422) and "Invalid code" in page else f"{status} {location}"

    refused_before = codes_refused()
    with ThreadPoolExecutor(guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    checked = codes_refused() - refused_before
    check(checked == ATTEMPT_LIMIT,
          f"{guesses} parallel guesses on two nodes: exactly {ATTEMPT_LIMIT} checked ({checked}; "
          f"{outcomes.count('wrong')} answered Invalid code, then the sign-in ended)")
    status, location, _ = guesser.get(f"{NODE_B}/mfa")
    check(status == 303 and location.startswith("/login"), "the sign-in attempt is over on both nodes")

    print("== cluster: 4. uploads through nginx go to both nodes", flush=True)
    statuses = []
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda n: upload(wav(4000, n + 3), n)[0], range(20)))
    check(statuses.count(201) == 20, f"20 uploads through nginx answered 201 ({statuses})")
    logs = os.environ["LOG_FILES"].split()
    on_a, on_b = node_of(logs[0]), node_of(logs[1])
    check(on_a > 0 and on_b > 0, f"both nodes took uploads (a: {on_a}, b: {on_b})")

    print("== cluster: 5. SIGKILL on node a mid-upload", flush=True)
    acknowledged = {}
    in_flight = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def uploader(worker):
        n = 0
        while not stop.is_set():
            n += 1
            audio = wav(100_000, worker * 7919 + n * 104729 + 1)
            with lock:
                in_flight[0] += 1
            try:
                status, _, body = upload(audio, worker * 1000 + n)
            except Exception:  # the connection broke with the node
                status, body = 0, b""
            with lock:
                in_flight[0] -= 1
            if status == 201:
                acknowledged[json.loads(body)["id"]] = hashlib.sha256(audio).hexdigest()

    threads = [threading.Thread(target=uploader, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 60
    while len(acknowledged) < 16 and time.time() < deadline:
        time.sleep(0.02)
    # Killed at a moment with uploads in flight (the threads spend much of
    # their time making audio between uploads, so a moment is waited for),
    # under the lock so that no upload starts or ends meanwhile.
    uploading = 0
    while time.time() < deadline:
        with lock:
            uploading = in_flight[0]
            if uploading > 0:
                os.kill(PID_A, signal.SIGKILL)
                break
        time.sleep(0.001)
    killed_at = len(acknowledged)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    check(uploading > 0, f"{uploading} uploads were in flight at the kill")
    check(len(acknowledged) > killed_at, f"uploads went on through the survivor ({killed_at} → {len(acknowledged)})")
    # The demo's Global user signs in through nginx, now served by node b.
    root, location = sign_in(CLUSTER, "operator")
    check(not location.startswith("/mfa"), f"operator signs in through the survivor (to {location})")
    cookie = "; ".join(f"{k}={v}" for k, v in root.cookies.items())
    for recording, sha in acknowledged.items():
        status, _, audio = http("GET", f"{CLUSTER}/recordings/{recording}/download",
                                headers={"Cookie": cookie})
        if status != 200 or hashlib.sha256(audio).hexdigest() != sha:
            fail(f"acknowledged recording {recording} did not download intact ({status})")
    check(True, f"all {len(acknowledged)} acknowledged uploads download intact through the survivor")

    print("== cluster: 6. node b's metrics", flush=True)
    # The racing guesses of part 3 may all have been checked on node a, so
    # node b checks one wrong code of its own before its counters are read.
    checker, location = sign_in(NODE_B, "acme.agent")
    check(location == "/mfa", "acme.agent signs in again on node b")
    right = {totp(key, time.time() + d) for d in (-60, -30, 0, 30, 60)}
    wrong = next(f"{n:06d}" for n in range(1, 1000) if f"{n:06d}" not in right)
    status, _, page = checker.post(f"{NODE_B}/mfa/verify", {"code": wrong})
    check(status in (200, 422) and "Invalid code" in page, "node b refuses a wrong code")
    status, _, text = http("GET", METRICS_B)
    text = text.decode()
    check(status == 200 and 'callrec_ingest_total{result="created"}' in text, "ingest counted")
    check('callrec_mfa_codes_total{result="invalid"}' in text, "MFA results counted")
    check('callrec_http_requests_total{method="GET",route="/recordings/{id}/download",status="200"}' in text,
          "downloads counted by route template")

    print("== cluster: 7. no secret in any log", flush=True)
    text = ""
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as log:
            text += log.read()
    check(len(text) > 10_000, f"{len(text)} bytes of logs read from {len(logs)} files")
    # A secret of digits alone (the code typed) is looked for as a whole
    # value, not inside a longer number such as a JSON timestamp.
    def appears(value):
        if value.isdigit():
            return re.search(rf"(?<![0-9]){re.escape(value)}(?![0-9])", text) is not None
        return value in text
    found = [name for name, value in SECRETS.items() if value and appears(value)]
    check(not found, f"none of {len(SECRETS)} secrets appears in the logs ({found})")


if __name__ == "__main__":
    main()
