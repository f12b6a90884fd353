#!/usr/bin/env python3
"""A local OpenAI-compatible speech server to record speech cassettes against (this machine cannot reach DashScope).

    POST /v1/audio/transcriptions   multipart: file (WAV), model, language, response_format -> {"text": ...}
    POST /v1/audio/speech           JSON: model, input, voice, response_format (wav) -> audio/wav bytes
    GET  /health

Recognition is PyPI's pocketsphinx 5.1.1 with the English model it bundles (English only); synthesis is Debian's
espeak-ng command. Both are plumbing, not quality: a recording proves the protocol, not what was heard.

    scripts/local-models.sh install-speech && scripts/local-models.sh start-speech
"""
import argparse
import audioop  # deprecated in 3.13; 3.11 is what this machine runs
import email.parser
import email.policy
import io
import json
import re
import subprocess
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pocketsphinx import Decoder

MAX_BODY = 50 * 1024 * 1024
DECODER_LOCK = threading.Lock()
DECODER = None
VOICE_NAME = re.compile(r"^[A-Za-z0-9+_-]{1,64}$")
ESPEAK_VOICES = {"en", "en-us", "en-gb", "cmn", "zh"}


def decoder():
    global DECODER
    if DECODER is None:
        # Batch CMN and no noise tracking: each request is heard on its own, as in VividCrowd's offline recognizer.
        DECODER = Decoder(samprate=16000, cmn="batch", remove_noise=False, logfn="/dev/null")
    return DECODER


def pcm16k(wav_bytes):
    with wave.open(io.BytesIO(wav_bytes)) as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        frames = reader.readframes(reader.getnframes())
    if channels > 1:
        frames = audioop.tomono(frames, width, 0.5, 0.5) if channels == 2 else frames[:: channels]
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if rate != 16000:
        frames, _ = audioop.ratecv(frames, 2, 1, rate, 16000, None)
    return frames, len(frames) / 2 / 16000


class Handler(BaseHTTPRequestHandler):
    server_version = "vividcrowd-speech/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message):
        self.reply(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length)

    def do_GET(self):
        if self.path in ("/health", "/v1/models"):
            self.reply(200, {"object": "list", "data": [{"id": "pocketsphinx-en-us"}, {"id": "espeak-ng"}]})
        else:
            self.error(404, "not found")

    def do_POST(self):
        try:
            if self.path == "/v1/audio/transcriptions":
                self.transcribe()
            elif self.path == "/v1/audio/speech":
                self.speak()
            else:
                self.error(404, "not found")
        except Exception as failure:  # a bad request must not take the server down
            self.error(400, f"{type(failure).__name__}: {failure}")

    def transcribe(self):
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return self.error(400, "send multipart/form-data")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + self.body())
        fields, audio = {}, None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "file":
                audio = part.get_payload(decode=True)
            elif name:
                fields[name] = part.get_content().strip()
        if audio is None:
            return self.error(400, "no file part")
        language = fields.get("language", "en") or "en"
        if not language.lower().startswith("en"):
            return self.error(400, f"pocketsphinx's bundled model is English only, not {language}")
        pcm, seconds = pcm16k(audio)
        with DECODER_LOCK:
            recognizer = decoder()
            recognizer.start_utt()
            recognizer.process_raw(pcm, full_utt=True)
            recognizer.end_utt()
            hypothesis = recognizer.hyp()
        text = hypothesis.hypstr if hypothesis else ""
        self.reply(200, {"text": text, "language": "en", "duration": round(seconds, 3)})

    def speak(self):
        request = json.loads(self.body() or b"{}")
        text = str(request.get("input", "")).strip()
        if not text:
            return self.error(400, "input is empty")
        if request.get("response_format", "wav") != "wav":
            return self.error(400, "only response_format wav is served")
        voice = str(request.get("voice") or "")
        if not VOICE_NAME.match(voice) or voice not in ESPEAK_VOICES:
            # OpenAI voice names (alloy, …) mean "the default voice" here.
            voice = "cmn" if re.search(r"[\u3400-\u9fff]", text) else "en-us"
        audio = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", "165", "--stdout", text], check=True, capture_output=True, timeout=60).stdout
        self.reply(200, audio, "audio/wav")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8083)
    options = parser.parse_args()
    ThreadingHTTPServer((options.host, options.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
