"""Slow, silent and oversized clients against a server with short limits (HEADER_READ_TIMEOUT=2, IDLE_TIMEOUT=4,
MAX_HEADER_BYTES=8192, MAX_CONNECTIONS=40): each gets a clear answer and a closed connection, never silence."""
import socket
import time

import pytest

WS_HANDSHAKE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
)


def exchange(address, data: bytes, wait: float = 8.0) -> tuple[bytes, float]:
    """Sends `data`, reads until the server closes the connection; returns what came back and how long it took."""
    with socket.create_connection(address, timeout=wait) as connection:
        started = time.monotonic()
        if data:
            connection.sendall(data)
        received = b""
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            received += chunk
        return received, time.monotonic() - started


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        b"GET /health?" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        ("GET /api/customer-service/ws?session_id=" + "a" * 100_000 + " HTTP/1.1\r\nHost: x\r\n" + WS_HANDSHAKE + "\r\n").encode(),
    ],
    ids=["header", "url", "websocket-session-id"],
)
def test_oversized_heads_get_431_and_a_close(guarded_address, request_bytes):
    answer, _ = exchange(guarded_address, request_bytes)
    assert answer.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("request_bytes", [b"", b"GET /health HTTP/1.1\r\nHost: x\r\n", b"GE"], ids=["silent", "half-head", "trickle"])
def test_slow_heads_get_408_and_a_close(guarded_address, request_bytes):
    answer, elapsed = exchange(guarded_address, request_bytes)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 1.5 <= elapsed <= 6


def test_a_kept_alive_connection_has_the_same_limit_for_its_next_head(guarded_address):
    with socket.create_connection(guarded_address, timeout=8) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = connection.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        connection.sendall(b"GET /health HTTP/1.1\r\n")
        received = b""
        while b"408" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        assert b"HTTP/1.1 408 " in received


def test_connections_beyond_the_limit_are_refused_with_503_and_the_server_recovers(guarded_address):
    held = [socket.create_connection(guarded_address, timeout=8) for _ in range(40)]
    try:
        time.sleep(0.5)
        answer, elapsed = exchange(guarded_address, b"")
        assert answer.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in answer
        assert elapsed < 1
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.5)
    answer, _ = exchange(guarded_address, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_many_silent_connections_are_all_closed_and_the_server_keeps_serving(guarded_address):
    # Within the connection limit at any moment: 30 at a time, five waves.
    for _ in range(5):
        wave = [socket.create_connection(guarded_address, timeout=8) for _ in range(30)]
        for connection in wave:
            assert connection.recv(65536).startswith(b"HTTP/1.1 408 ")
            connection.close()
    answer, _ = exchange(guarded_address, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
