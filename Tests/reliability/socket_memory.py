"""Resident memory per open WebSocket: a running server's RSS before, with N customer-service sockets open and idle
(each has had its `session_created` frame), and after each has been used once (one question answered at high
confidence). Writes a Markdown table (and prints it). Used by scripts/socket-memory.sh.

    python socket_memory.py URL PID N REPORT
"""
import asyncio
import json
import sys

import websockets


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def measure(url: str, pid: int, count: int) -> dict:
    base = rss_kib(pid)
    sockets = []
    gate = asyncio.Semaphore(200)

    async def open_one():
        async with gate:
            # No client pings: the server's own pings are what an idle socket costs.
            socket = await websockets.connect(url, max_size=2**22, ping_interval=None)
            await socket.recv()
            sockets.append(socket)

    async def use(socket):
        async with gate:
            await socket.send(json.dumps({"message": "孩子发烧怎么办"}))
            while json.loads(await socket.recv()).get("type") not in ("response", "error"):
                pass

    await asyncio.gather(*[open_one() for _ in range(count)])
    await asyncio.sleep(5)
    idle = rss_kib(pid)
    await asyncio.gather(*[use(socket) for socket in sockets])
    await asyncio.sleep(5)
    used = rss_kib(pid)
    await asyncio.gather(*[socket.close() for socket in sockets])
    return {"sockets": count, "base_kib": base, "idle_kib": idle, "used_kib": used,
            "idle_per_socket_kib": (idle - base) / count, "used_per_socket_kib": (used - base) / count}


def main():
    url, pid, count, report = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    result = asyncio.run(measure(url, pid, count))
    lines = [
        "# Memory per open WebSocket",
        "",
        "`scripts/socket-memory.sh` (release server, replay, qa.csv imported, rate limits off): the server's resident",
        f"memory before, with {count} customer-service sockets open and idle, and after each answered one question.",
        "",
        "| sockets | RSS before MB | idle MB | used once MB | KiB per idle socket | KiB per used socket |",
        "|---|---|---|---|---|---|",
        f"| {count} | {result['base_kib'] / 1024:.1f} | {result['idle_kib'] / 1024:.1f} | {result['used_kib'] / 1024:.1f} "
        f"| {result['idle_per_socket_kib']:.1f} | {result['used_per_socket_kib']:.1f} |",
        "",
    ]
    with open(report, "w") as out:
        out.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
