"""Benchmarks of the fake exchange's WebSocket endpoint, over loopback with a plain client.

Run: ``python bench/micro_fake_stream.py``. Prints, for the order-book channel:

* latency from an engine action (a resting order placed through ``FakeExchange.place_order``)
  to the client holding the parsed ``orderbook_delta``, p50 and p99 over 2,000 actions;
* throughput: 10,000 orders placed back to back, and the rate at which their deltas reach the
  client (engine, session, wsproto framing, socket and the client's parse, end to end);
* fan-out: the same 2,000 orders with 10 connections subscribed, time until the last
  connection has every delta.

The numbers say how fast the fake feeds a client under test, not how fast Kalshi is.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Ping, Request, TextMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kalshi_core import Credentials
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

TICKER = "BENCH-1"


class Client:
    """A minimal blocking client: handshake, subscribe, read parsed messages."""

    def __init__(self, port: int, key: ApiKey) -> None:
        assert key.private_key_pem is not None
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.ws = WSConnection(ConnectionType.CLIENT)
        ts = int(time.time() * 1000)
        headers = list(
            Credentials(key.key_id, key.private_key_pem).signature_headers(
                "GET", "/trade-api/ws/v2", ts
            )
        )
        self.sock.sendall(
            self.ws.send(
                Request(host="127.0.0.1", target="/trade-api/ws/v2", extra_headers=headers)
            )
        )
        self.pending: list[Any] = []
        while not any(isinstance(e, AcceptConnection) for e in self._read()):
            pass

    def _read(self) -> list[Any]:
        self.ws.receive_data(self.sock.recv(1 << 20))
        return list(self.ws.events())

    def send(self, obj: Any) -> None:
        self.sock.sendall(self.ws.send(TextMessage(json.dumps(obj))))

    def recv(self) -> Any:
        while not self.pending:
            for event in self._read():
                if isinstance(event, TextMessage):
                    self.pending.append(json.loads(event.data))
                elif isinstance(event, Ping):
                    self.sock.sendall(self.ws.send(event.response()))
        return self.pending.pop(0)

    def subscribe(self) -> None:
        self.send(
            {
                "id": 1,
                "cmd": "subscribe",
                "params": {"channels": ["orderbook_delta"], "market_ticker": TICKER},
            }
        )
        assert self.recv()["type"] == "subscribed"
        assert self.recv()["type"] == "orderbook_snapshot"


def setup() -> tuple[FakeExchange, ApiKey, str]:
    fake = FakeExchange()
    fake.add_market(TICKER)
    key = fake.add_user(balance="10")
    maker = fake.add_participant(balance="100000000")
    return fake, key, maker


def price(i: int) -> Decimal:
    return Decimal(1 + i % 49) / 100


def latency() -> None:
    fake, key, maker = setup()
    with LoopbackServer(fake) as server:
        client = Client(server.port, key)
        client.subscribe()
        samples = []
        for i in range(2000):
            t0 = time.perf_counter()
            fake.place_order(maker, TICKER, "bid", price(i), 1)
            client.recv()
            samples.append(time.perf_counter() - t0)
        samples.sort()
        p50 = samples[len(samples) // 2] * 1e6
        p99 = samples[int(len(samples) * 0.99)] * 1e6
        print(f"{'action -> parsed delta at the client, p50 / p99':<58} {p50:7.0f} / {p99:.0f} us")


def throughput() -> None:
    fake, key, maker = setup()
    n = 10_000
    with LoopbackServer(fake) as server:
        client = Client(server.port, key)
        client.subscribe()
        done = threading.Event()

        def read() -> None:
            for _ in range(n):
                client.recv()
            done.set()

        reader = threading.Thread(target=read)
        reader.start()
        t0 = time.perf_counter()
        for i in range(n):
            fake.place_order(maker, TICKER, "bid", price(i), 1)
        engine = time.perf_counter() - t0
        done.wait()
        total = time.perf_counter() - t0
        reader.join()
        print(f"{'orders placed (engine + publishing)':<58} {n / engine:9.0f} /s")
        print(f"{'deltas delivered and parsed at the client':<58} {n / total:9.0f} /s")


def fanout() -> None:
    fake, key, maker = setup()
    n, clients = 2000, 10
    with LoopbackServer(fake) as server:
        subscribers = [Client(server.port, key) for _ in range(clients)]
        for client in subscribers:
            client.subscribe()
        readers = [
            threading.Thread(target=lambda c=c: [c.recv() for _ in range(n)]) for c in subscribers
        ]
        for reader in readers:
            reader.start()
        t0 = time.perf_counter()
        for i in range(n):
            fake.place_order(maker, TICKER, "bid", price(i), 1)
        for reader in readers:
            reader.join()
        total = time.perf_counter() - t0
        rate = n * clients / total
        label = f"{n} deltas to {clients} connections, all delivered"
        print(f"{label:<58} {total:9.2f} s ({rate:.0f} msg/s)")


if __name__ == "__main__":
    latency()
    throughput()
    fanout()
