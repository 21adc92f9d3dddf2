"""Start the canned server (``server.py``) in its own process and read its counters."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


@contextlib.contextmanager
def canned_server(idle: float = 5.0) -> Iterator[str]:
    """The base URL of a fresh canned server, stopped on exit."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--idle", str(idle)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/trade-api/v2"
    finally:
        proc.terminate()
        proc.wait(10)


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def stats(url: str) -> dict[str, Any]:
    """The server's request count and CPU seconds so far."""
    with socket.create_connection(("127.0.0.1", _port(url))) as sock:
        sock.sendall(b"GET /__stats HTTP/1.1\r\nhost: x\r\n\r\n")
        data = b""
        while b"}" not in data:
            data += sock.recv(4096)
    return dict(json.loads(data.split(b"\r\n\r\n", 1)[1]))


def alone(url: str, n: int = 3000) -> dict[str, float]:
    """The server measured alone: ``n`` sequential keep-alive GETs from a raw socket (no HTTP
    library, no signing, the answer's length read from a fixed header), requests per second
    and the server's CPU per request."""
    request = (
        b"GET /trade-api/v2/portfolio/balance HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        b"kalshi-access-key: x\r\nkalshi-access-timestamp: 1\r\n"
        b"kalshi-access-signature: " + b"A" * 344 + b"\r\n\r\n"
    )
    before = stats(url)
    with socket.create_connection(("127.0.0.1", _port(url))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(request)
        first = sock.recv(65536)
        size = len(first)
        t0 = time.perf_counter()
        for _ in range(n):
            sock.sendall(request)
            got = 0
            while got < size:
                got += len(sock.recv(65536))
        wall = time.perf_counter() - t0
    after = stats(url)
    served = after["requests"] - before["requests"] - 1
    return {
        "requests_per_s": n / wall,
        "server_cpu_us_per_request": (after["cpu"] - before["cpu"]) / served * 1e6,
    }
