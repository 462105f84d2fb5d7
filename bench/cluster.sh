#!/usr/bin/env bash
# Two nodes behind nginx (deploy/nginx.conf, TLS) on PostgreSQL, audio in
# S3 (s3s-fs, scripts/s3-server.sh): sign-ins per second against the raw
# Argon2id verifies per second of this machine, the Recordings page's p99
# at 64 connections through nginx, and ingest throughput to S3 against to
# files. Prints Markdown for docs/BENCHMARKS.md. Run by hand:
#
#   bash bench/cluster.sh
#   RECORDINGS=1000000 DURATION=20s bash bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDINGS="${RECORDINGS:-100000}"
DURATION="${DURATION:-15s}"
UPLOADS="${UPLOADS:-200}"
UPLOAD_MB="${UPLOAD_MB:-1}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
# shellcheck source=bench/release.sh
source bench/release.sh
# shellcheck source=scripts/s3-server.sh
source scripts/s3-server.sh >&2

port_a="$(free_port)"; port_b="$(free_port)"; port_lb="$(free_port)"; port_f="$(free_port)"

fresh_database callrec_bench_cluster
export CALLREC_S3_ENDPOINT="$CALLREC_TEST_S3_ENDPOINT"
s3="s3://$CALLREC_TEST_S3_BUCKET/bench"

echo "== loading $RECORDINGS recordings (audio in $s3)" >&2
CALLREC_AUDIO_STORE="$s3" CALLREC_DATA_DIR="$work/cli" "$BIN" demo --recordings "$RECORDINGS" >/dev/null
psql "$CALLREC_DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null

start_nginx "$work" "$port_lb" "$port_a" "$port_b" off
start_node a "$port_a" "$s3"
start_node b "$port_b" "$s3"
lb="https://127.0.0.1:$port_lb"

bound="$(argon2_bound)"

echo "== sign-ins through nginx ($DURATION)" >&2
cat > "$work/login.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "username=acme.agent&password=Demo-Calls-2026%21"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
rate="$(sign_in_rate "$lb" 16)"
ratio="$(echo "scale=2; $rate / $bound" | bc)"
echo "== sign-ins on node a alone, no nginx ($DURATION)" >&2
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
direct="$(sign_in_rate "http://127.0.0.1:$port_a" 16)"
direct_ratio="$(echo "scale=2; $direct / $bound" | bc)"
start_node b "$port_b" "$s3"

echo "== Recordings page through nginx, 64 connections ($DURATION)" >&2
cookie=$(curl -sk -o /dev/null -D - --data-urlencode "username=acme.admin" \
    --data-urlencode "password=Demo-Calls-2026!" "$lb/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:"{print $2}')
wrk -t2 -c64 -d"$DURATION" --latency -H "Cookie: $cookie" "$lb/recordings" > "$work/wrk-page.txt"
if grep -q "Non-2xx" "$work/wrk-page.txt"; then cat "$work/wrk-page.txt" >&2; exit 1; fi
p50=$(awk '$1=="50%"{print $2}' "$work/wrk-page.txt"); p99=$(awk '$1=="99%"{print $2}' "$work/wrk-page.txt")
pages=$(awk '/Requests\/sec/{print $2}' "$work/wrk-page.txt")

echo "== ingest: $UPLOADS uploads of $UPLOAD_MB MB, 4 clients, to S3 and to files" >&2
token="$(CALLREC_DATA_DIR="$work/cli" "$BIN" token create --company "Acme Telecom" --name bench | tail -n 1)"
start_node f "$port_f" ""
ingest() { # url salt → MB/s
  python3 - "$1" "$token" "$UPLOADS" "$UPLOAD_MB" "$2" <<'PY'
import http.client, json, struct, sys, threading, time, urllib.parse
url, token, count, mb, salt = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
samples = int(mb * 1_000_000 / 2)
def wav(n):
    body = struct.pack("<q", n * 7919 + salt) * (samples // 4)
    return b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", len(body)) + body
bodies = []
for n in range(count):
    meta = json.dumps({"started_at": "2026-11-20T09:30:00Z", "direction": "inbound", "from": "0770", "to": "2001"})
    b = "bench-boundary"
    bodies.append((f"--{b}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{meta}\r\n--{b}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n\r\n").encode() + wav(n) + f"\r\n--{b}--\r\n".encode())
host = urllib.parse.urlparse(url)
lock, sent, failures = threading.Lock(), [0], []
def worker():
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
    while True:
        with lock:
            if not bodies: return
            body = bodies.pop()
        conn.request("POST", "/api/v1/recordings", body, {"Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=bench-boundary"})
        response = conn.getresponse(); response.read()
        with lock:
            if response.status == 201: sent[0] += len(body)
            else: failures.append(response.status)
started = time.time()
threads = [threading.Thread(target=worker) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
elapsed = time.time() - started
if failures: sys.exit(f"uploads failed: {failures[:5]}")
print(f"{sent[0] / elapsed / 1e6:.1f} {count / elapsed:.1f}")
PY
}
read -r s3_mbs s3_rps < <(ingest "http://127.0.0.1:$port_a" 1)
read -r file_mbs file_rps < <(ingest "http://127.0.0.1:$port_f" 2)

echo
echo "Two nodes behind nginx (TLS) on PostgreSQL, audio in S3 (s3s-fs), $RECORDINGS recordings, $(nproc) cores, everything on one machine:"
echo
echo "| measure | result |"
echo "|---|---|"
echo "| raw Argon2id verifies/s, $(nproc) threads (the bound) | $bound |"
echo "| sign-ins/s through nginx (TLS), two nodes, 16 connections, $DURATION | $rate |"
echo "| sign-ins against the bound | **$ratio** |"
echo "| sign-ins/s on one node, plain HTTP, no nginx | $direct ($direct_ratio of the bound) |"
echo "| Recordings page as a Company user, 64 connections: p50 / p99 | $p50 / **$p99** |"
echo "| Recordings pages/s | $pages |"
echo "| ingest to S3, one node, 4 clients, $UPLOADS × $UPLOAD_MB MB | $s3_mbs MB/s ($s3_rps uploads/s) |"
echo "| ingest to files, one node, the same | $file_mbs MB/s ($file_rps uploads/s) |"
echo "| S3 against files | $(echo "scale=2; $s3_mbs / $file_mbs" | bc) |"
