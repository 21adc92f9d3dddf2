"""Benchmarks of the fake exchange: the engine alone, and whole requests through ``handle``.

Run: ``python bench/micro_fake_exchange.py``. Prints the best of five runs per case, per
operation. The numbers say how big a simulated session stays fast, not how fast Kalshi is.
"""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_core import Request
from kalshi_core.wire.credentials import Credentials, sign_request
from kalshi_testing import FakeExchange

TICKER = "BENCH-1"


def fresh() -> FakeExchange:
    fake = FakeExchange()
    fake.add_market(TICKER)
    return fake


def bench(name: str, setup: Callable[[], Callable[[], object]], number: int) -> None:
    best = float("inf")
    for _ in range(5):
        fn = setup()
        best = min(best, timeit.timeit(fn, number=number) / number)
    print(f"{name:<58} {best * 1e6:9.1f} us")


def resting_orders() -> Callable[[], object]:
    """Place non-crossing bids on a growing book (price levels 0.01..0.49)."""
    fake = fresh()
    who = fake.add_participant(balance="1000000")
    prices = [f"0.{p:02d}" for p in range(1, 50)]
    counter = iter(range(10**9))
    return lambda: fake.place_order(who, TICKER, "bid", prices[next(counter) % 49], 1)


def crossing_orders() -> Callable[[], object]:
    """Each order takes one resting ask from another participant: two fills, fees, positions."""
    fake = fresh()
    maker = fake.add_participant(balance="1000000")
    taker = fake.add_participant(balance="1000000")
    for _ in range(3000):
        fake.place_order(maker, TICKER, "ask", "0.55", 1)
    return lambda: fake.place_order(taker, TICKER, "bid", "0.55", 1)


def sweep() -> Callable[[], object]:
    """One order sweeps 100 resting asks over 10 price levels."""
    fake = fresh()
    maker = fake.add_participant(balance="10000000")
    taker = fake.add_participant(balance="10000000")

    def run() -> object:
        for level in range(10):
            for _ in range(10):
                fake.place_order(maker, TICKER, "ask", f"0.{60 + level}", 1)
        return fake.place_order(taker, TICKER, "bid", "0.69", 100)

    return run


def signed_create() -> Callable[[], object]:
    """CreateOrderV2 through ``handle``: routing, RSA-PSS verification, parsing, rendering."""
    fake = fresh()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = fake.add_user(balance="1000000", public_key=key.public_key())
    credentials = Credentials(api.key_id, key)
    body = json.dumps(
        {
            "ticker": TICKER,
            "side": "bid",
            "price": "0.10",
            "count": "1",
            "time_in_force": "good_till_canceled",
            "self_trade_prevention_type": "maker",
        }
    ).encode()
    request = Request(
        method="POST",
        url="http://fake.test/trade-api/v2/portfolio/events/orders",
        headers=(("content-type", "application/json"),),
        body=body,
    )

    def run() -> object:
        now = time.time()
        return fake.handle(sign_request(request, credentials, now), now)

    return run


def orders_page() -> Callable[[], object]:
    """GetOrders, a page of 1000 orders, through ``handle``."""
    fake = fresh()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = fake.add_user(balance="1000000", public_key=key.public_key())
    for i in range(1000):
        fake.place_order(api.user_id, TICKER, "bid", f"0.{1 + i % 49:02d}", 1)
    credentials = Credentials(api.key_id, key)
    request = Request(method="GET", url="http://fake.test/trade-api/v2/portfolio/orders?limit=1000")

    def run() -> object:
        now = time.time()
        return fake.handle(sign_request(request, credentials, now), now)

    return run


def ledger() -> Callable[[], object]:
    """The full ledger check after 1000 trades between 10 participants."""
    fake = fresh()
    users = [fake.add_participant(balance="100000") for _ in range(10)]
    for i in range(1000):
        fake.place_order(users[i % 10], TICKER, "ask", "0.50", 1)
        fake.place_order(users[(i + 1) % 10], TICKER, "bid", "0.50", 1)
    return fake.check_ledger


if __name__ == "__main__":
    bench("engine: place a resting order", resting_orders, 2000)
    bench("engine: place an order that takes one resting order", crossing_orders, 2000)
    bench("engine: one order sweeping 100 resting orders (incl. seeding)", sweep, 20)
    bench("handle: CreateOrderV2, signed (RSA-2048 verify)", signed_create, 200)
    bench("handle: GetOrders, 1000 orders per page", orders_page, 5)
    bench("ledger: check after 1000 trades", ledger, 5)
