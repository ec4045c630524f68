"""Slow clients (slowloris): 50 connections dribbling headers byte by byte or never finishing a body do not
stop the node serving others, and are closed once ``request_read_timeout`` has passed (issue 9, item 3).

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has no deadline for a request being
received; ``battrace serve`` adds one (battrace.cli ``_slow_client_guard``). The provider of the shared
network runs with ``request_read_timeout = READ_TIMEOUT`` (2 s). Latencies seen by the honest client are
printed (``pytest -s``) for docs/security.md, not asserted.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import READ_TIMEOUT, Space, wait_for_log

pytestmark = pytest.mark.integration
SLOW = 50


def _open(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first_bytes)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closed the connection (EOF or reset) within ``within`` seconds."""
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
            # A 4xx answer before closing is fine too; keep reading until EOF.
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.fixture()
def slow_sockets(space: Space) -> Iterator[list[socket.socket]]:
    port = space.provider.port
    half = SLOW // 2
    # Half dribble a request head one byte at a time; half send a complete head and a body that never ends.
    dribblers = [_open(port, b"G") for _ in range(half)]
    bodies = [
        _open(port, b'POST /api/public HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"a":')
        for _ in range(SLOW - half)
    ]
    stop = threading.Event()

    def dribble() -> None:
        rest = b"ET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
        for byte in rest:
            if stop.wait(0.05):
                return
            for sock in dribblers:
                with contextlib.suppress(OSError):  # the node may already have closed it
                    sock.send(bytes([byte]))

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    try:
        yield dribblers + bodies
    finally:
        stop.set()
        thread.join(5)
        for sock in dribblers + bodies:
            sock.close()


def test_fifty_slow_clients_neither_block_others_nor_stay_open(
    space: Space, slow_sockets: list[socket.socket]
) -> None:
    latencies = []
    with httpx.Client(base_url=space.provider.base_url, timeout=10) as honest:
        for _ in range(20):
            started = time.perf_counter()
            assert honest.get("/health").status_code == 200
            latencies.append(time.perf_counter() - started)
    median_ms, max_ms = statistics.median(latencies) * 1000, max(latencies) * 1000
    print(
        f"\nhonest /health with {SLOW} slow connections open: median {median_ms:.1f} ms, max {max_ms:.1f} ms"
    )
    started = time.perf_counter()
    closed = [_closed_by_server(sock, READ_TIMEOUT * 4) for sock in slow_sockets]
    print(f"slow connections closed by the node after {time.perf_counter() - started:.1f} s more")
    assert all(closed), f"{closed.count(False)} of {SLOW} slow connections still open"
    wait_for_log(space.provider, f"request not received within {READ_TIMEOUT} s")


def test_an_idle_connection_that_never_sends_a_byte_is_closed(space: Space) -> None:
    sock = socket.create_connection(("127.0.0.1", space.provider.port), timeout=5)
    try:
        assert _closed_by_server(sock, READ_TIMEOUT * 4)
    finally:
        sock.close()


def test_a_request_that_arrives_in_time_is_served_on_the_same_guarded_connection(space: Space) -> None:
    # Control: the guard must not cut honest keep-alive traffic (two requests, one connection).
    with httpx.Client(base_url=space.provider.base_url, timeout=10) as client:
        assert client.get("/health").status_code == 200
        time.sleep(READ_TIMEOUT / 4)
        assert client.get("/health").status_code == 200
