"""The original README's group-chat WebSocket client, run unchanged (only its host is pointed at the test server).

The example never exits on its own (it reads until the server closes), so it runs in a subprocess that is stopped
after the agents have had time to answer; its printed output is what a user of the original would see.
"""
import subprocess
import sys

ORIGINAL_EXAMPLE = '''
import asyncio
import websockets
import json

async def chat():
    uri = "ws://localhost:8000/api/chat/ws"

    async with websockets.connect(uri) as websocket:
        # Send message
        await websocket.send("Hello everyone, anyone here?")

        # Receive streaming response
        full_message = ""
        current_sender = None

        while True:
            try:
                message = await websocket.recv()
                data = json.loads(message)

                if data["type"] == "stream_start":
                    current_sender = data["sender"]
                    print(f"\\n{current_sender}: ", end="", flush=True)

                elif data["type"] == "stream_chunk":
                    content = data["content"]
                    print(content, end="", flush=True)
                    full_message += content

                elif data["type"] == "stream_end":
                    print()  # New line
                    full_message = ""

            except websockets.exceptions.ConnectionClosed:
                break

# Run
asyncio.run(chat())
'''


def test_original_group_chat_example(chat_url):
    import requests

    names = {agent["name"] for agent in requests.get(chat_url + "/api/chat/agents", timeout=10).json()}
    code = ORIGINAL_EXAMPLE.replace("localhost:8000", chat_url.split("://", 1)[1])
    try:
        completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=15)
        output = completed.stdout
    except subprocess.TimeoutExpired as stopped:
        output = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else (stopped.stdout or "")
    speakers = [line.split(": ", 1)[0] for line in output.splitlines() if ": " in line]
    assert speakers, f"no agent answered: {output!r}"
    assert set(speakers) <= names
    assert all(line.split(": ", 1)[1].strip() for line in output.splitlines() if ": " in line)
