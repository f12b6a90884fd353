"""The original VividCrowd README's Python client examples for customer service, run unchanged against our server.

Each example's code is kept verbatim in a string (only "http://localhost:8000" is pointed at the test server) and run
with exec, so a change that breaks an original client breaks this test.
"""
import contextlib
import io
import json
import shutil

IMPORT_EXAMPLE = '''
import requests

# Upload CSV file
with open("customer_service_qa.csv", "rb") as f:
    files = {"file": f}
    response = requests.post(
        "http://localhost:8000/api/customer-service/qa/import",
        files=files
    )

result = response.json()
print(f"Import successful! Total {result['count']} records")
'''

STATS_EXAMPLE = '''
import requests

response = requests.get("http://localhost:8000/api/customer-service/stats")
stats = response.json()

print(f"Total sessions: {stats['total_sessions']}")
print(f"Average confidence: {stats['avg_confidence']:.2f}")
print(f"Transfer rate: {stats['transfer_rate']:.1f}%")
'''

# The original README shows this client for the group chat; its customer-service protocol section gives the
# frames ({"message": ...} in, session_created then response out). This is that client pointed at customer service.
CHAT_EXAMPLE = '''
import asyncio
import websockets
import json

async def chat():
    uri = "ws://localhost:8000/api/customer-service/ws"

    async with websockets.connect(uri) as websocket:
        created = json.loads(await websocket.recv())
        print(f"session: {created['type']} {created['session_id']}")
        await websocket.send(json.dumps({"message": "老师，张善庭一天可以吃几个水果西红柿呀？他挺喜欢吃的。"}))
        while True:
            data = json.loads(await websocket.recv())
            if data["type"] == "stream_chunk":
                print(data["content"], end="", flush=True)
            elif data["type"] == "response":
                print(f"{data['match_type']} {data['confidence']:.2f}")
                print(data["content"])
                break

asyncio.run(chat())
'''


def run_example(code: str, base_url: str) -> str:
    host = base_url.split("://", 1)[1]
    code = code.replace("localhost:8000", host)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "<original README example>", "exec"), {"__name__": "__example__"})
    return output.getvalue()


def test_import_stats_and_chat_examples(base_url, qa_csv, tmp_path, monkeypatch):
    shutil.copy(qa_csv, tmp_path / "customer_service_qa.csv")
    monkeypatch.chdir(tmp_path)

    imported = run_example(IMPORT_EXAMPLE, base_url)
    assert imported.strip() == "Import successful! Total 499 records"

    before = run_example(STATS_EXAMPLE, base_url)
    assert before.startswith("Total sessions: ")

    chat = run_example(CHAT_EXAMPLE, base_url)
    lines = chat.splitlines()
    assert lines[0].startswith("session: session_created ")
    assert lines[1].startswith("high_confidence ")
    assert "西红柿由于含有的水杨酸较高" in chat

    after = run_example(STATS_EXAMPLE, base_url)
    sessions_before = int(before.splitlines()[0].split(": ")[1])
    sessions_after = int(after.splitlines()[0].split(": ")[1])
    assert sessions_after == sessions_before + 1
    assert after.splitlines()[2].endswith("%")


def test_error_frames_keep_the_connection(base_url):
    import asyncio

    import websockets

    async def talk():
        uri = base_url.replace("http", "ws", 1) + "/api/customer-service/ws"
        async with websockets.connect(uri) as socket:
            json.loads(await socket.recv())
            await socket.send("not json")
            error = json.loads(await socket.recv())
            await socket.send(json.dumps({"message": "asdfgh"}))
            reply = json.loads(await socket.recv())
            return error, reply

    error, reply = asyncio.run(talk())
    assert error["type"] == "error" and error["code"] == "bad_json"
    assert reply["type"] == "response" and reply["match_type"] == "no_match"
