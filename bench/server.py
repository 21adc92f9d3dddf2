"""A fast canned HTTP/1.1 server for the per-call and fan-out figures.

It answers every request from memory with a fixed body (by path), with keep-alive, on
127.0.0.1, from one asyncio event loop in its own process; it does not verify signatures (the
fake exchange does that in the test suite; here only the client's cost is under measurement).
Idle connections are closed after ``--idle`` seconds, as a load balancer does.

``GET /__stats`` answers ``{"requests": N, "cpu": seconds}`` (the server process's CPU time),
which the figures read before and after a run to show the server's share of each call.
Run ``python server.py`` and read the port from its first line of output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

from payloads import balance_body, orders_page

BASE = b"/trade-api/v2"
ROUTES = {
    BASE + b"/portfolio/balance": balance_body(),
    BASE + b"/portfolio/orders": orders_page(1),
}


def _response(body: bytes, status: bytes = b"200 OK") -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


CANNED = {path: _response(body) for path, body in ROUTES.items()}
NOT_FOUND = _response(b'{"error":{"code":"not_found","message":"not found"}}', b"404 Not Found")


class Stats:
    requests = 0
    connections = 0


class Http(asyncio.Protocol):
    def __init__(self, idle: float) -> None:
        self.buffer = b""
        self.idle = idle
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        Stats.connections += 1
        self._arm()

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        assert self.transport is not None
        self.timer = asyncio.get_running_loop().call_later(self.idle, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self.buffer) < total:
                break
            self.buffer = self.buffer[total:]
            target = head.split(b" ", 2)[1]
            path = target.split(b"?", 1)[0]
            Stats.requests += 1
            if path == b"/__stats":
                body = json.dumps(
                    {
                        "requests": Stats.requests,
                        "connections": Stats.connections,
                        "cpu": time.process_time(),
                    }
                ).encode()
                out.append(_response(body))
            else:
                out.append(CANNED.get(path, NOT_FOUND))
        if out:
            assert self.transport is not None
            self.transport.write(b"".join(out))
            self._arm()


async def serve(port: int, idle: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Http(idle), "127.0.0.1", port, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--idle", type=float, default=5.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.idle))


if __name__ == "__main__":
    main()
