#!/usr/bin/env python3
"""A hostile OpenAI-compatible upstream for the reliability suite: it answers like a real server, but echoes the
API key it was sent back in error messages and splits it across streamed chunks, as careless vendors and proxies
do. The server under test must keep that key out of its logs, database, cassettes and responses.

    python3 upstream.py PORT

POST /v1/embeddings       deterministic 384-dimensional vectors (a hash of the text), any batch size
POST /v1/chat/completions streamed or not; the reply quotes the caller's key, cut in two across chunks
                          a message containing "FAIL-UPSTREAM" gets a 400 whose body quotes the key
GET  /requests            how many requests were served (the suite checks that it was really used)
"""
import hashlib
import json
import math
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIMENSIONS = 384
served = 0
lock = threading.Lock()


def vector(text: str) -> list[float]:
    raw = b""
    counter = 0
    while len(raw) < DIMENSIONS * 4:
        raw += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [((v % 2000) - 1000) / 1000 for v in struct.unpack(f"<{DIMENSIONS}I", raw[: DIMENSIONS * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1
    return [v / norm for v in values]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/requests":
            self.reply(200, {"served": served})
        else:
            self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        global served
        with lock:
            served += 1
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        key = self.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.path.endswith("/embeddings"):
            inputs = request.get("input", [])
            inputs = [inputs] if isinstance(inputs, str) else inputs
            self.reply(200, {
                "object": "list", "model": request.get("model", "stub"),
                "data": [{"object": "embedding", "index": i, "embedding": vector(t)} for i, t in enumerate(inputs)],
                "usage": {"prompt_tokens": sum(len(t) for t in inputs), "total_tokens": sum(len(t) for t in inputs)},
            })
            return
        if not self.path.endswith("/chat/completions"):
            self.reply(404, {"error": {"message": "not found"}})
            return
        text = json.dumps(request.get("messages", []), ensure_ascii=False)
        if "FAIL-UPSTREAM" in text:
            self.reply(400, {"error": {"message": f"Incorrect API key provided: {key}. You can find your API key at "
                                                  "https://example.invalid/keys.", "type": "invalid_request_error"}})
            return
        content = f"Sure. (debug: key={key}) The answer is in the knowledge base."
        if request.get("response_format") or request.get("json_schema"):
            content = json.dumps({"break_character": False, "agents": [], "reason": f"key {key}"})
        if not request.get("stream"):
            self.reply(200, {
                "id": "stub", "object": "chat.completion", "model": request.get("model", "stub"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            })
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        cut = content.index(key) + max(1, len(key) // 2) if key and key in content else len(content) // 2
        for piece in (content[:cut], content[cut:]):
            event = {"id": "stub", "object": "chat.completion.chunk", "model": request.get("model", "stub"),
                     "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.chunk(f"data: {json.dumps(event)}\n\n".encode())
        self.chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The suite kills the server under test mid-request: a dropped connection is expected, not news.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
