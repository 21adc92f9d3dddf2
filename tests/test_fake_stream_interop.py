"""The SDK's sans-IO stream core (``kalshi_core.stream``) against the fake's WebSocket endpoint,
over a real socket, driven by a minimal blocking loop: the two sides were written apart from
the spec alone, so this checks they agree on the wire, through gaps and terminal errors."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import Credentials
from kalshi_core.stream import Connection, Opened, Session, TextFrame, handshake_request
from kalshi_testing import FakeExchange, FaultPlan, LoopbackServer, StreamFault

MARKET = "HIGHNY-24JAN01-T60"

pytestmark = pytest.mark.socket


class Driver:
    """Moves bytes between a socket and the core's connection and session."""

    def __init__(self, server: LoopbackServer, key_id: str, pem: bytes) -> None:
        request = handshake_request(server.ws_url, Credentials(key_id, pem), time.time())
        self.connection = Connection(request)
        self.session = Session()
        self.sock = socket.create_connection((request.host, request.port), timeout=5)
        self.events: list[Any] = []
        self.flush()

    def flush(self) -> None:
        for text in self.session.commands_to_send():
            self.connection.send_text(text)
        data = self.connection.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            left = deadline - time.monotonic()
            assert left > 0, "timed out"
            self.sock.settimeout(min(left, 0.2))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            for event in self.connection.receive_data(data or None):
                if isinstance(event, Opened):
                    self.session.connection_made()
                elif isinstance(event, TextFrame):
                    self.events.extend(self.session.receive(event.text))
            self.flush()

    def settle(self, quiet: float = 0.3) -> None:
        """Pump until nothing arrives for ``quiet`` seconds."""
        self.sock.settimeout(quiet)
        while True:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return
            for event in self.connection.receive_data(data or None):
                if isinstance(event, TextFrame):
                    self.events.extend(self.session.receive(event.text))
            self.flush()

    def close(self) -> None:
        self.sock.close()


def flow(fake: FakeExchange, rng: random.Random, people: list[str], steps: int) -> None:
    for _ in range(steps):
        resting = [o for o in fake.orders.values() if o.on_book]
        if resting and rng.random() < 0.3:
            fake.cancel_order(rng.choice(resting).order_id)
            continue
        side = rng.choice(("bid", "ask"))
        price = Decimal(rng.randint(35, 65)) / 100
        fake.place_order(rng.choice(people), MARKET, side, price, rng.randint(1, 9))


@pytest.mark.parametrize(
    "fault",
    [
        None,
        StreamFault.skip(on="orderbook_delta", after=5),
        StreamFault.duplicate(on="orderbook_delta", after=3),
        StreamFault.terminal_error(10, on="orderbook_delta", after=4),
    ],
    ids=["clean", "gap", "duplicate", "terminal"],
)
def test_the_core_keeps_the_fakes_book(fault: StreamFault | None) -> None:
    fake = FakeExchange()
    fake.add_market(MARKET)
    key = fake.add_user(balance="10")
    people = [fake.add_participant(balance="10000") for _ in range(3)]
    rng = random.Random(7)
    flow(fake, rng, people, 20)
    plan = FaultPlan(*([fault] if fault else []))
    assert key.private_key_pem is not None
    with LoopbackServer(fake, faults=plan, heartbeat_interval=5) as server:
        driver = Driver(server, key.key_id, key.private_key_pem)
        try:
            driver.pump(lambda: driver.session.connected)
            sub, command = driver.session.subscribe(
                "orderbook_delta", market_tickers=[MARKET], manage_books=True
            )
            driver.flush()
            driver.pump(lambda: command.done and sub.book(MARKET).in_sync)
            for _ in range(3):
                flow(fake, rng, people, 15)
                driver.settle()
                book = sub.book(MARKET)
                assert book.in_sync
                truth = fake.orderbook(MARKET)
                assert book.levels() == {"yes": dict(truth.yes), "no": dict(truth.no)}
        finally:
            driver.close()
    if fault is not None:
        assert [kind for _, _, kind in plan.streamed] == [fault.kind]
