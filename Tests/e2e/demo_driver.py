"""Asks a running server every question of the offline demo's manifest, through each mode's WebSocket, as the page
would: customer service, group chat, every shipped twin in private, and one training session with the first
customer. scripts/record-demo.sh runs it against a recording server; tests/e2e/test_demo.py against the demo.

    python Tests/e2e/demo_driver.py http://127.0.0.1:8000 [corpora/demo/manifest.json]

Prints one line per message and exits non-zero when any message was answered with an error frame."""
import json
import pathlib
import sys

import requests
from websockets.sync.client import connect

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
TIMEOUT = 600  # seconds per message: recording waits for a small local model on one thread


def ask(socket, payload, ends):
    """Sends one message; returns (the frame that ended its turn, every frame of the turn)."""
    socket.send(json.dumps(payload, ensure_ascii=False))
    frames = []
    while True:
        frame = json.loads(socket.recv(timeout=TIMEOUT))
        frames.append(frame)
        if frame.get("type") in ends or frame.get("type") == "error":
            return frame, frames


def ws_url(base, path):
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + path


def drive(base, manifest):
    """Yields (mode, message, ending frame, all frames) for every question of the manifest."""
    questions = manifest["questions"]
    with connect(ws_url(base, "/api/customer-service/ws"), open_timeout=30) as socket:
        json.loads(socket.recv(timeout=30))  # session_created
        for message in questions.get("customer_service", []):
            yield ("customer_service", message, *ask(socket, {"message": message}, {"response"}))
    with connect(ws_url(base, "/api/chat/ws"), open_timeout=30) as socket:
        for message in questions.get("group_chat", []):
            yield ("group_chat", message, *ask(socket, {"message": message}, {"round_end"}))
    twins = requests.get(base + "/api/celebrity", timeout=30).json()
    for twin in twins:
        with connect(ws_url(base, "/api/celebrity/ws"), open_timeout=30) as socket:
            for message in questions.get("twins", []):
                payload = {"message": message, "celebrity_ids": [twin["id"]], "mode": "private"}
                yield ("twins", f"{twin['name']}: {message}", *ask(socket, payload, {"round_end"}))
    customers = requests.get(base + "/api/digital-customer", timeout=30).json()
    if customers and questions.get("training"):
        started = requests.post(
            base + "/api/digital-customer/training/sessions/start",
            json={"customer_id": customers[0]["id"], "user_id": "demo"}, timeout=TIMEOUT)
        started.raise_for_status()
        session = started.json()["session_id"]
        with connect(ws_url(base, f"/api/digital-customer/training/ws/{session}"), open_timeout=30) as socket:
            json.loads(socket.recv(timeout=30))  # the session frame
            for message in questions["training"]:
                yield ("training", message, *ask(socket, {"message": message}, {"turn_end", "training_complete"}))


def main():
    base = sys.argv[1].rstrip("/")
    manifest_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else REPOSITORY / "corpora" / "demo" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    failures = 0
    for mode, message, ending, _ in drive(base, manifest):
        failed = ending.get("type") == "error"
        failures += failed
        print(f"{'FAIL' if failed else 'ok  '} {mode:16} {message[:40]} -> {ending.get('type')}"
              + (f" {ending.get('code')}: {ending.get('content')}" if failed else ""), flush=True)
    print(f"{failures} message(s) failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
