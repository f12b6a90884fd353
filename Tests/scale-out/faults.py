"""Customer-service users that survive faults (scripts/scale-out.sh --faults).

    faults.py probe URL QA_CSV OUT          the typical questions URL answers at high confidence (no LLM call)
    faults.py users URL QUESTIONS OUT --users N --seconds S
                                            N users talking for S seconds; a user whose connection drops reconnects
                                            with ?session_id= and carries on; every send is recorded with what came
                                            back: a response, an error frame (its code), or nothing (connection lost)
    faults.py verify URL RUN                every session's stored turns against what its user saw: each message that
                                            got its response stored exactly once, in order; at most the unanswered
                                            ones besides
"""
import argparse
import asyncio
import csv
import json
import random
import time

import requests
import websockets

REPLY_TIMEOUT = 30


def ws_url(base: str, session: str | None = None) -> str:
    url = base.replace("http://", "ws://") + "/api/customer-service/ws"
    return url + (f"?session_id={session}" if session else "")


async def probe(base: str, qa_csv: str, out: str) -> None:
    with open(qa_csv, encoding="utf-8") as handle:
        questions = sorted({row[2].split("\n")[0].strip() for row in list(csv.reader(handle))[1:] if len(row) > 2})
    kept = []
    async with websockets.connect(ws_url(base)) as socket:
        await socket.recv()
        for question in questions:
            await socket.send(json.dumps({"message": question}))
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] in ("response", "error"):
                    break
            if frame.get("match_type") == "high_confidence":
                kept.append(question)
    json.dump(kept, open(out, "w"), ensure_ascii=False)
    print(f"probe: {len(kept)} of {len(questions)} typical questions answered at high confidence")


async def user(base: str, questions: list[str], seed: int, deadline: float, log: dict) -> None:
    rng = random.Random(seed)
    session = None
    log.update(session=None, sends=[], reconnects=0, failed_connects=0)
    while time.monotonic() < deadline:
        try:
            async with websockets.connect(ws_url(base, session), open_timeout=10) as socket:
                first = json.loads(await asyncio.wait_for(socket.recv(), REPLY_TIMEOUT))
                if first.get("type") != "session_created":
                    log["failed_connects"] += 1
                    await asyncio.sleep(0.5)
                    continue
                session = session or first["session_id"]
                log["session"] = session
                while time.monotonic() < deadline:
                    question = rng.choice(questions)
                    record = {"q": question, "outcome": None, "ms": None, "at": time.monotonic()}
                    log["sends"].append(record)
                    started = time.monotonic()
                    await socket.send(json.dumps({"message": question}))
                    while True:
                        frame = json.loads(await asyncio.wait_for(socket.recv(), REPLY_TIMEOUT))
                        if frame["type"] in ("response", "error"):
                            break
                    record["ms"] = (time.monotonic() - started) * 1000
                    record["outcome"] = "response" if frame["type"] == "response" else "error:" + frame.get("code", "?")
                    if record["outcome"] != "response":
                        await asyncio.sleep(0.2)
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            pending = [send for send in log["sends"] if send["outcome"] is None]
            for send in pending:
                send["outcome"] = "lost"
            if session is None:
                log["failed_connects"] += 1
            else:
                log["reconnects"] += 1
            await asyncio.sleep(0.2)


async def users(base: str, questions_file: str, out: str, count: int, seconds: float) -> None:
    questions = json.load(open(questions_file))
    deadline = time.monotonic() + seconds
    logs = [{} for _ in range(count)]
    started = time.monotonic()
    await asyncio.gather(*(user(base, questions, 1000 + index, deadline, logs[index]) for index in range(count)))
    for log in logs:
        for send in log["sends"]:
            send["at"] -= started
    json.dump({"users": logs, "seconds": seconds}, open(out, "w"), ensure_ascii=False)
    summarize(logs)


def summarize(logs: list[dict]) -> dict:
    sends = [send for log in logs for send in log["sends"]]
    outcomes: dict[str, int] = {}
    for send in sends:
        outcomes[send["outcome"]] = outcomes.get(send["outcome"], 0) + 1
    answered = [send["ms"] for send in sends if send["ms"] is not None]
    summary = {
        "sends": len(sends),
        "outcomes": outcomes,
        "reconnects": sum(log["reconnects"] for log in logs),
        "failed_connects": sum(log["failed_connects"] for log in logs),
        "max_reply_ms": round(max(answered), 1) if answered else None,
        "max_error_ms": round(max((send["ms"] for send in sends if str(send["outcome"]).startswith("error")), default=0), 1),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return summary


def explained(sends: list[dict], stored: list[str]) -> bool:
    """Whether the stored turns are the sends in order: every answered one, and any of the others."""
    reachable = {0}  # how many stored turns the sends so far can account for
    for send in sends:
        following = set()
        for count in reachable:
            matches = count < len(stored) and stored[count] == send["q"]
            if send["outcome"] == "response":
                if matches:
                    following.add(count + 1)
            else:
                following.add(count)
                if matches:
                    following.add(count + 1)
        reachable = following
    return len(stored) in reachable


def verify(base: str, run_file: str) -> None:
    run = json.load(open(run_file))
    problems = []
    stored_total = answered_total = 0
    for log in run["users"]:
        if not log.get("session"):
            continue
        history = requests.get(f"{base}/api/customer-service/session/{log['session']}/history", timeout=30)
        history.raise_for_status()
        stored = [turn["query"] for turn in history.json()["history"]]
        answered = sum(send["outcome"] == "response" for send in log["sends"])
        stored_total += len(stored)
        answered_total += answered
        if not explained(log["sends"], stored):
            problems.append(f"{log['session']}: {len(stored)} stored turns do not match {answered} answered sends")
    result = {
        "answered": answered_total, "stored": stored_total, "stored_without_reply": stored_total - answered_total,
        "problems": problems[:5],
    }
    print(json.dumps(result, ensure_ascii=False))
    if problems:
        raise SystemExit(f"{len(problems)} sessions do not match what their users saw")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["probe", "users", "verify"])
    parser.add_argument("url")
    parser.add_argument("files", nargs="*")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    arguments = parser.parse_args()
    if arguments.command == "probe":
        asyncio.run(probe(arguments.url, *arguments.files))
    elif arguments.command == "users":
        asyncio.run(users(arguments.url, *arguments.files, arguments.users, arguments.seconds))
    else:
        verify(arguments.url, *arguments.files)
