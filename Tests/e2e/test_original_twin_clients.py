"""The original README's digital-twin client examples ("1. Get Digital Twins List", "2. Upload PDF to Create Digital
Twin", "6. WebSocket Connection Example (Digital Twins)"), run against the real server with only the URL and the file
changed. The socket example loops until the server closes; the server keeps it open, so it runs under a timeout and the
test reads what it printed."""
import asyncio
import contextlib
import io
import json

import requests
import websockets


def test_list_upload_and_chat_as_the_original_readme(twins_url, twin_documents, capsys):
    # 2. Upload PDF to Create Digital Twin (the example's einstein.pdf is a shipped document here)
    with open(twin_documents / "xiangyu.pdf", "rb") as f:
        files = {"file": f}
        data = {
            "source_type": "person",  # person/book/topic
            "name": "项羽"
        }
        response = requests.post(
            f"{twins_url}/api/celebrity/upload",
            files=files,
            data=data
        )

    result = response.json()
    print(f"Created successfully! ID: {result['id']}")
    assert response.status_code == 200 and result["name"] == "项羽"

    # 1. Get Digital Twins List
    response = requests.get(f"{twins_url}/api/celebrity")
    celebrities = response.json()

    for celebrity in celebrities:
        print(f"ID: {celebrity['id']}, Name: {celebrity['name']}")
    assert [c["id"] for c in celebrities] == [result["id"]]

    # 6. WebSocket Connection Example (Digital Twins)
    async def chat_with_celebrity():
        uri = twins_url.replace("http://", "ws://") + "/api/celebrity/ws"

        async with websockets.connect(uri) as websocket:
            # Send message (chat with multiple celebrities)
            message = {
                "message": "你怎么看待垓下之战？",
                "celebrity_ids": [result["id"]],
                "mode": "group"  # private or group
            }
            await websocket.send(json.dumps(message))

            # Receive response
            while True:
                try:
                    response = await websocket.recv()
                    data = json.loads(response)

                    if data["type"] == "stream_chunk":
                        print(data["content"], end="", flush=True)
                    elif data["type"] == "stream_end":
                        print("\n")

                except websockets.exceptions.ConnectionClosed:
                    break

    capsys.readouterr()
    with contextlib.suppress(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(chat_with_celebrity(), timeout=15))
    printed = capsys.readouterr().out
    assert printed.strip(), "the example printed no reply"
    assert printed.endswith("\n\n"), "the example saw no stream_end"
