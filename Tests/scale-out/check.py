"""Checks of the two-instance deployment (scripts/scale-out.sh): a room shared across instances, exact stats.

    check.py room URL_A URL_B          a connection on B hears, frame for frame, what one on A is answered
    check.py stats URL > FILE          the customer-service stats as JSON
    check.py exact BEFORE AFTER LOAD   the stats grew by exactly what the load run sent (sessions, messages,
                                       bands, ratings)
    check.py rate URL N                N new sessions through URL, each rated 1-5 in turn; prints their ratings' sum
"""
import asyncio
import json
import sys

import requests
import websockets

QUESTION = "@小林 最近喝什么茶好？"


async def room(url_a: str, url_b: str) -> None:
    ws_a = url_a.replace("http://", "ws://") + "/api/chat/ws?room=deploy"
    ws_b = url_b.replace("http://", "ws://") + "/api/chat/ws?room=deploy"
    async with websockets.connect(ws_b) as listener, websockets.connect(ws_a) as speaker:
        await asyncio.sleep(1)  # B subscribes as its handler starts (listening first); nothing signals it
        await speaker.send(QUESTION)
        spoken = []
        while True:
            frame = json.loads(await asyncio.wait_for(speaker.recv(), 60))
            spoken.append(frame)
            if frame["type"] in ("round_end", "error"):
                break
        heard = []
        while True:
            frame = json.loads(await asyncio.wait_for(listener.recv(), 60))
            heard.append(frame)
            if frame["type"] in ("round_end", "error"):
                break
    assert spoken[-1]["type"] == "round_end", spoken[-1]
    assert heard[0] == {"type": "user_message", "sender": "user", "content": QUESTION}, heard[0]
    assert heard[1:] == spoken, (heard[1:], spoken)
    print(f"room: {len(spoken)} frames answered on A, the same {len(spoken)} heard on B after user_message")


def stats(url: str) -> dict:
    response = requests.get(url + "/api/customer-service/stats", timeout=30)
    response.raise_for_status()
    return response.json()


def exact(before: dict, after: dict, load: dict, rated: dict) -> None:
    users, messages = load["users"], load["messages_per_user"]
    sent = users * messages
    assert load["errors"] == 0 and load["round_trips"] == sent, f"load: {load['errors']} errors, {load['round_trips']} of {sent}"
    expected = {
        "total_sessions": users + load["probe"]["sessions"] + rated["sessions"],
        "total_messages": sent + load["probe"]["messages"],
        "rated_sessions": rated["sessions"],
        "high_confidence": sent + load["probe"]["high_confidence"],
    }
    grown = {
        "total_sessions": after["total_sessions"] - before["total_sessions"],
        "total_messages": after["total_messages"] - before["total_messages"],
        "rated_sessions": after["rated_sessions"] - before["rated_sessions"],
        "high_confidence": after["match_type_distribution"]["high_confidence"]
        - before["match_type_distribution"]["high_confidence"],
    }
    assert grown == expected, f"stats grew by {grown}, expected {expected}"
    print("stats exact: " + ", ".join(f"{key} +{value}" for key, value in grown.items()))


def rate(url: str, count: int) -> dict:
    total = 0
    for index in range(count):
        created = requests.post(url + "/api/customer-service/session", timeout=30)
        created.raise_for_status()
        rating = index % 5 + 1
        response = requests.post(
            url + f"/api/customer-service/session/{created.json()['session_id']}/rating", json={"rating": rating}, timeout=30
        )
        response.raise_for_status()
        total += rating
    return {"sessions": count, "sum": total}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "room":
        asyncio.run(room(*arguments))
    elif command == "stats":
        print(json.dumps(stats(arguments[0])))
    elif command == "exact":
        before, after, load, rated = (json.load(open(path)) for path in arguments)
        exact(before, after, load, rated)
    elif command == "rate":
        print(json.dumps(rate(arguments[0], int(arguments[1]))))
    else:
        sys.exit(__doc__)
