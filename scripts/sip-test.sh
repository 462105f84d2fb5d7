#!/usr/bin/env bash
# The SIPREC recording server of `callrec serve` against Debian's SIPp
# (sip-tester) with the scenarios of tests/sipp: OPTIONS, calls whose RTP
# is a sox tone and espeak-ng speech, the same session sent twice (SRC
# failover), pause/resume by re-INVITE, CANCEL after the answer, a bad
# offer (488) and a stranger (403). The stored files are fetched through
# the API and checked with sox: two channels, the duration, the caller's
# frequency on the left and silence on the right. Then SIP over TLS, and a
# node killed mid-call.
# Needs CALLREC_BIN; installs sip-tester, sox and espeak-ng when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CALLREC_BIN:?set CALLREC_BIN to the built callrec binary}"
CALLREC_BIN="$(realpath "$CALLREC_BIN")"
scenarios="$(pwd)/tests/sipp"

# shellcheck source=scripts/lib.sh
source scripts/lib.sh

install_missing sipp=sip-tester sox=sox espeak-ng=espeak-ng

work="$(mktemp -d)"
pid=""
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "== SIP test failed ($status); the server's last lines and SIPp's errors:"
    tail -n 20 "$work/serve.log" || true
    cat "$work"/run/*_errors.log 2>/dev/null | tail -n 20 || true
  fi
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
chain_exit_trap cleanup

export CALLREC_DATA_DIR="$work/data"
unset CALLREC_DATABASE_URL
web="$(free_port)"
sip="$(free_port)"
"$CALLREC_BIN" company add Acme >/dev/null 2>&1
"$CALLREC_BIN" capture add-source --company Acme --address 127.0.0.1 --name "Lab SBC" >/dev/null 2>&1
# A second SBC that signs in (digest credentials) as well as coming from its address.
sbc_password="lab-sbc-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$sbc_password" | "$CALLREC_BIN" capture add-source --company Acme --address 127.0.0.3 \
  --name "Signed-in SBC" --sip-username sbc-lab --sip-password-stdin >/dev/null
token="$("$CALLREC_BIN" token create --company Acme --name sip-test --scope recordings:read,recordings:download 2>/dev/null | tail -n 1)"
CALLREC_LISTEN="127.0.0.1:$web" CALLREC_SIPREC_LISTEN="127.0.0.1:$sip" CALLREC_RTP_PORTS=44000-44099 \
  "$CALLREC_BIN" serve >"$work/serve.log" 2>&1 &
pid=$!
wait_for_port "$web"
for _ in $(seq 50); do
  grep -q "Recording server (SIPREC): sip:127.0.0.1:$sip over UDP and TCP" "$work/serve.log" && break
  sleep 0.1
done
grep -q "Recording server (SIPREC): sip:127.0.0.1:$sip over UDP and TCP" "$work/serve.log"
ready="$(curl -sf "http://127.0.0.1:$web/readyz")"
echo "   /readyz: $ready"
[[ "$ready" == *"recording server sip:127.0.0.1:$sip: 0 of 500 calls"* ]]

# The parties' audio: a 440 Hz tone, and speech, as 8 kHz μ-law.
mkdir -p "$work/run" && cd "$work/run"
sox -n -r 8000 -c 1 -e u-law tone.wav synth 3 sine 440 vol 0.5
espeak-ng -w speech-22k.wav "Thank you for calling. Your call is being recorded for quality and training."
sox speech-22k.wav -r 8000 -c 1 -e u-law speech.wav
speech_seconds="$(sox --i -D speech.wav)"

# sipp SCENARIO [-set session ID] [-d MS] [-i ADDRESS]: one call; fails the
# test unless it ends as the scenario expects.
sipp_run() {
  local scenario="$1"
  shift
  local shown="$*"
  echo "-- $scenario ${shown//$sbc_password/(password)}"
  timeout 60 sipp "127.0.0.1:$sip" -sf "$scenarios/$scenario.xml" -m 1 -mp 45000 -nostdin \
    -trace_err -trace_logs -i 127.0.0.1 "$@" >"$scenario.out" 2>&1
}

echo "== SIPp scenarios"
sipp_run options
cp tone.wav audio.wav
sipp_run siprec-call -set session dG9uZS1jYWxs -d 3000
cp speech.wav audio.wav
sipp_run siprec-call -set session c3BlZWNoLWNhbGw= -d "$(python3 -c "print(int($speech_seconds * 1000) + 200)")"
# The SRC fails over and sends the same session again: stored once.
cp tone.wav audio.wav
sipp_run siprec-call -set session dG9uZS1jYWxs -d 1000
sipp_run pause -set session cGF1c2UtY2FsbA==
# SIPp answers the 401 with its own digest (MD5): the call is taken.
cp tone.wav audio.wav
sipp_run siprec-auth -set session YXV0aC1jYWxs -d 1000 -i 127.0.0.3 -mp 45300 -au sbc-lab -ap "$sbc_password"
# The same SBC with a wrong password: challenged again, never taken.
rm -f siprec-auth_*_logs.log
if sipp_run siprec-auth -set session d3JvbmctcGFzc3dvcmQ= -d 1000 -i 127.0.0.3 -mp 45300 -au sbc-lab -ap "not-$sbc_password"; then
  echo "a wrong SIP password was accepted" >&2
  exit 1
fi
sipp_run cancel -set session Y2FuY2VsLWNhbGw=
rm -f refused_*_logs.log
sipp_run refused
grep -q "refused 488" refused_*_logs.log
rm -f refused_*_logs.log
sipp_run refused -i 127.0.0.2 -mp 45100
grep -q "refused 403" refused_*_logs.log

echo "== the stored calls, checked with sox"
api() { curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$web$1"; }
# recording_of SESSION: the id of the recording of that SIPREC session in
# list.json (its details left in detail.json); fails if there is none.
recording_of() {
  local candidate
  for candidate in $(python3 -c 'import json; print(" ".join(i["id"] for i in json.load(open("list.json"))["items"]))'); do
    api "/api/v1/recordings/$candidate" >detail.json
    if grep -q "\"external_id\":\"siprec:$1\"" detail.json; then echo "$candidate"; return 0; fi
  done
  echo "no recording of session $1" >&2
  return 1
}
# Calls land as their BYE is answered; give the last one a moment.
for _ in $(seq 50); do
  count="$(api "/api/v1/recordings?limit=50" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
  [ "$count" -ge 4 ] && break
  sleep 0.1
done
api "/api/v1/recordings?limit=50" >list.json
python3 - "$speech_seconds" <<'EOF'
import json, sys
items = json.load(open("list.json"))["items"]
# Tone (sent twice: one session), speech, pause, the signed-in SBC's; the
# CANCEL call brought no media and leaves no recording, the wrong password none.
assert len(items) == 4, f"4 calls stored once each, got {len(items)}"
for item in items:
    assert item["calling_number"] == "+15551230001" and item["called_number"] == "2001", item
EOF
recording_of cGF1c2UtY2FsbA== >/dev/null
python3 <<'EOF'
import json
marks = json.load(open("detail.json"))["marks"]
paused = [m for m in marks if m["kind"] == "paused"]
assert len(paused) == 1 and 700 <= paused[0]["end_ms"] - paused[0]["start_ms"] <= 1600, marks
print(f"   pause/resume: paused {paused[0]['start_ms']}-{paused[0]['end_ms']} ms")
EOF
for session in dG9uZS1jYWxs c3BlZWNoLWNhbGw=; do
  id="$(recording_of "$session")"
  api "/api/v1/recordings/$id/audio" >"$session.wav"
  channels="$(sox --i -c "$session.wav")"
  rate="$(sox --i -r "$session.wav")"
  duration="$(sox --i -D "$session.wav")"
  left_rms="$(sox "$session.wav" -n remix 1 stat 2>&1 | awk '/RMS +amplitude/ {print $3}')"
  right_max="$(sox "$session.wav" -n remix 2 stat 2>&1 | awk '/Maximum amplitude/ {print $3}')"
  left_freq="$(sox "$session.wav" -n remix 1 stat 2>&1 | awk '/Rough +frequency/ {print $3}')"
  echo "   $session: $channels channels, $rate Hz, $duration s; left RMS $left_rms, ~$left_freq Hz; right max $right_max"
  [ "$channels" = 2 ] && [ "$rate" = 8000 ]
  python3 - "$session" "$duration" "$left_rms" "$right_max" "$left_freq" "$speech_seconds" <<'EOF'
import sys
session, duration, left_rms, right_max, left_freq, speech = sys.argv[1], *map(float, sys.argv[2:])
assert right_max < 0.01, f"the right channel (no stream) is silent: {right_max}"
assert left_rms > 0.02, f"the caller is heard on the left: {left_rms}"
if session.startswith("dG9uZ"):
    assert 2.6 <= duration <= 3.6, f"the tone call lasts 3 s: {duration}"
    assert 400 <= left_freq <= 480, f"the left channel is the 440 Hz tone: {left_freq}"
else:
    assert abs(duration - speech) <= 0.8, f"the speech call lasts {speech} s: {duration}"
EOF
done
echo "== SIP over TLS: OPTIONS answered on the TLS port; a bad certificate stops the start"
tls="$(free_port)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 2 -subj "/CN=callrec.test" \
  -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
kill "$pid"; wait "$pid" 2>/dev/null || true
CALLREC_LISTEN="127.0.0.1:$web" CALLREC_SIPREC_LISTEN="127.0.0.1:$sip" CALLREC_RTP_PORTS=44000-44099 \
  CALLREC_SIPREC_TLS_LISTEN="127.0.0.1:$tls" CALLREC_SIPREC_TLS_CERT=tls.crt CALLREC_SIPREC_TLS_KEY=tls.key \
  "$CALLREC_BIN" serve >>"$work/serve.log" 2>&1 &
pid=$!
wait_for_port "$tls"
python3 - "$tls" <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1])
context = ssl.create_default_context(cafile="tls.crt")
with socket.create_connection(("127.0.0.1", port), 5) as raw, context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
    local = "%s:%d" % tls.getsockname()
    tls.sendall((
        f"OPTIONS sip:srs@127.0.0.1:{port};transport=tls SIP/2.0\r\nVia: SIP/2.0/TLS {local};branch=z9hG4bKtls1\r\n"
        f"From: <sips:src@127.0.0.1>;tag=t1\r\nTo: <sips:srs@127.0.0.1>\r\nCall-ID: tls-options\r\nCSeq: 1 OPTIONS\r\n"
        f"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode())
    answer = tls.recv(65536).decode()
    version = tls.version()
assert answer.startswith("SIP/2.0 200 OK") and "Supported: siprec" in answer, answer
print("   OPTIONS over", version + ":", answer.splitlines()[0])
EOF
echo "not a key" >bad.key
if CALLREC_LISTEN="127.0.0.1:$(free_port)" CALLREC_SIPREC_LISTEN="127.0.0.1:$(free_port)" \
  CALLREC_SIPREC_TLS_LISTEN="127.0.0.1:$(free_port)" CALLREC_SIPREC_TLS_CERT=tls.crt CALLREC_SIPREC_TLS_KEY=bad.key \
  timeout 20 "$CALLREC_BIN" serve >bad-tls.out 2>&1; then
  echo "serve started with a bad TLS key"; exit 1
fi
grep -q "bad.key: not a PEM private key" bad-tls.out

echo "== a node killed mid-call (SIGKILL): what was captured lands, marked Incomplete"
cp tone.wav audio.wav
timeout 60 sipp "127.0.0.1:$sip" -sf "$scenarios/siprec-call.xml" -m 1 -mp 45200 -nostdin -i 127.0.0.1 \
  -set session a2lsbGVkLWNhbGw= -d 20000 >killed.out 2>&1 &
sipp_pid=$!
sleep 2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
CALLREC_LISTEN="127.0.0.1:$web" CALLREC_SIPREC_LISTEN="127.0.0.1:$sip" CALLREC_RTP_PORTS=44000-44099 \
  "$CALLREC_BIN" serve >>"$work/serve.log" 2>&1 &
pid=$!
wait_for_port "$web"
kill "$sipp_pid" 2>/dev/null || true
wait "$sipp_pid" 2>/dev/null || true
api "/api/v1/recordings?limit=50" >list.json
recording_of a2lsbGVkLWNhbGw= >/dev/null
python3 <<'EOF'
import json
detail = json.load(open("detail.json"))
kinds = [m["kind"] for m in detail["marks"]]
assert kinds == ["incomplete"], kinds
assert 1000 <= detail["duration_ms"] <= 3500, detail["duration_ms"]
print(f"   killed after {detail['duration_ms']} ms of the call: stored, marked {kinds}")
EOF
grep -q "marked Incomplete" "$work/serve.log"

echo "== SIPREC with SIPp: all passed"
