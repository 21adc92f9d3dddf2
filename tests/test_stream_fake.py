"""The streaming client against the fake exchange, over a real socket, on every driver.

The property: a random order flow runs on the fake while its stream suffers injected faults
(a skipped, duplicated or reordered ``seq``, a dropped connection, a terminal error); after
every message the client applies, its managed book equals the book the fake had when it
published that message (``LoopbackServer.book_after``), and once the flow stops every book
equals the fake's own. Reads of a book that is out of sync are refused, never stale.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kalshi_async
import kalshi_sync
from kalshi_core import Credentials
from kalshi_core.stream import Backoff
from kalshi_core.stream import errors as se
from kalshi_testing import FakeError, FakeExchange, FaultPlan, Ladder, LoopbackServer, StreamFault

pytestmark = pytest.mark.socket

MARKETS = ("HIGHNY-24JAN01-T60", "HIGHNY-24JAN01-T70")
OPTIONS = {"backoff": Backoff(0.01, 0.05), "command_timeout": 5.0}


def ladder_of(levels: dict[str, dict[Decimal, Decimal]]) -> Ladder:
    return Ladder(tuple(sorted(levels["yes"].items())), tuple(sorted(levels["no"].items())))


class World:
    """A fake with two markets and traders, and the checks a managed book must pass."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fake = FakeExchange()
        for ticker in MARKETS:
            self.fake.add_market(ticker)
        self.key = self.fake.add_user(balance="10")
        assert self.key.private_key_pem is not None
        self.credentials = Credentials(self.key.key_id, self.key.private_key_pem)
        self.people = [self.fake.add_participant(balance="100000") for _ in range(3)]
        self.checked = 0
        self.mismatches: list[str] = []
        self.server: LoopbackServer | None = None
        self.lock = threading.Lock()

    def act(self) -> None:
        fake, rng = self.fake, self.rng
        ticker = rng.choice(MARKETS)
        resting = [o for o in fake.orders.values() if o.on_book]
        try:
            if rng.random() < 0.7 or not resting:
                fake.place_order(
                    rng.choice(self.people),
                    ticker,
                    rng.choice(("bid", "ask")),
                    Decimal(rng.randint(30, 70)) / 100,
                    Decimal(rng.randint(1, 300)) / 100,
                )
            else:
                fake.cancel_order(rng.choice(resting).order_id)
        except FakeError:
            pass

    def check(self, stream: Any, message: Any) -> None:
        """``on_message``: the applied message left the book on the fake's book."""
        assert self.server is not None
        sub = stream.session.subscription_for_sid(message.sid)
        book = sub.books[message.msg.market_ticker]
        if not book.in_sync:
            return
        truth = self.server.book_after(message.sid, message.seq)
        mine = ladder_of(book.levels())
        with self.lock:
            self.checked += 1
            if mine != truth:
                self.mismatches.append(f"seq {message.seq}: {mine} != {truth}")

    def final(self, sub: Any) -> None:
        for ticker in MARKETS:
            assert ladder_of(sub.book(ticker).levels()) == self.fake.orderbook(ticker)


faults = st.lists(
    st.tuples(
        st.sampled_from(["skip", "duplicate", "reorder", "drop", "terminal"]),
        st.integers(min_value=0, max_value=25),
        st.sampled_from([10, 17, 25]),
    ),
    min_size=1,
    max_size=4,
)


def plan_of(chosen: list[tuple[str, int, int]]) -> FaultPlan:
    plan = FaultPlan()
    for kind, after, code in chosen:
        if kind == "terminal":
            plan.add(StreamFault.terminal_error(code, on="orderbook_delta", after=after))
        else:
            plan.add(getattr(StreamFault, kind)(on="orderbook_delta", after=after))
    return plan


def run_flow(driver: str, seed: int, chosen: list[tuple[str, int, int]]) -> World:
    world = World(seed)
    plan = plan_of(chosen)
    with LoopbackServer(world.fake, faults=plan, record_books=True, heartbeat_interval=1) as srv:
        world.server = srv
        if driver == "sync":
            client = kalshi_sync.Client(credentials=world.credentials, base_url=srv.url)
            with client, client.stream(**OPTIONS) as stream:
                sub = stream.subscribe_orderbook(
                    list(MARKETS), on_message=lambda m: world.check(stream, m)
                )
                sub.wait_synced()
                for _ in range(120):
                    world.act()
                    anyio_sleep_sync(0.003)  # the flow goes on while the client recovers
                anyio_sleep_sync(0.5)
                sub.wait_synced()
                world.final(sub)
        else:

            async def main() -> None:
                client = kalshi_async.AsyncClient(credentials=world.credentials, base_url=srv.url)
                async with client, client.stream(**OPTIONS) as stream:
                    sub = await stream.subscribe_orderbook(
                        list(MARKETS), on_message=lambda m: world.check(stream, m)
                    )
                    await sub.wait_synced()
                    for _ in range(120):
                        world.act()
                        await anyio.sleep(0.003)  # the flow goes on while the client recovers
                    await anyio.sleep(0.5)
                    await sub.wait_synced()
                    world.final(sub)

            async def bounded() -> None:
                with anyio.fail_after(60):
                    await main()

            anyio.run(bounded, backend=driver)
    assert not world.mismatches, world.mismatches[:3]
    assert world.checked > 20
    world.fake.check_ledger()
    return world


def anyio_sleep_sync(seconds: float) -> None:
    import time

    time.sleep(seconds)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=10_000), chosen=faults)
def test_managed_book_equals_the_fakes_after_every_message(
    driver: str, seed: int, chosen: list[tuple[str, int, int]]
) -> None:
    run_flow(driver, seed, chosen)


@pytest.mark.parametrize(
    "fault",
    [
        [("skip", 3, 10)],
        [("duplicate", 3, 10)],
        [("reorder", 3, 10)],
        [("drop", 3, 10)],
        [("terminal", 3, 25)],
    ],
)
def test_each_fault_is_recovered(driver: str, fault: list[tuple[str, int, int]]) -> None:
    run_flow(driver, 7, fault)


def test_out_of_sync_book_refuses_reads_during_an_outage(driver: str) -> None:
    if driver == "sync":
        pytest.skip("async scenario (the sync driver shares the book logic)")
    world = World(3)

    async def main() -> None:
        with LoopbackServer(world.fake, heartbeat_interval=1) as srv:
            client = kalshi_async.AsyncClient(credentials=world.credentials, base_url=srv.url)
            async with client, client.stream(reconnect=False, **OPTIONS) as stream:
                sub = await stream.subscribe_orderbook([MARKETS[0]])
                await sub.wait_synced()
                srv.streams[-1].drop()
                with anyio.fail_after(5):
                    while sub.book(MARKETS[0]).in_sync:
                        await anyio.sleep(0.01)
                with pytest.raises(se.BookOutOfSyncError) as info:
                    sub.book(MARKETS[0]).best_bid()
                assert info.value.reason == "disconnected"

    anyio.run(main, backend=driver)


def test_the_stream_book_example_prints_a_live_book_from_the_fake(driver: str) -> None:
    if driver != "sync":
        pytest.skip("a script (sync)")
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("KALSHI_")}
    script = Path(__file__).parent.parent / "examples" / "stream_book.py"
    done = subprocess.run(
        [sys.executable, "-W", "default", str(script), "--updates", "3"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("Streaming HIGHNY-24JAN01-T60 from the fake exchange")
    assert done.stdout.count("spread ") == 3


def test_subscribe_update_list_and_unsubscribe_on_the_fake(driver: str) -> None:
    """The commands round the fake over a socket: add_markets brings a synced book,
    get_snapshot and delete_markets answer, list_subscriptions names the sids, unsubscribe
    ends the iterator; trades and user orders arrive typed."""
    world = World(11)
    fake = world.fake
    a, b = MARKETS

    def flow_sync(stream: Any) -> None:
        sub = stream.subscribe_orderbook([a])
        trades = stream.subscribe_trades([a])
        sub.wait_synced()
        sub.add_markets([b])
        assert sub.market_tickers == [a, b]
        sub.wait_synced()
        fake.place_order(world.people[0], b, "bid", "0.41", "2")
        sub.get_snapshot([b])
        assert sorted((i.channel, i.sid) for i in stream.list_subscriptions()) == sorted(
            [("orderbook_delta", sub.sid), ("trade", trades.sid)]
        )
        sub.delete_markets([b])
        assert sub.market_tickers == [a]
        fake.place_order(world.people[0], a, "bid", "0.40", "1")
        fake.place_order(world.people[1], a, "ask", "0.40", "1")
        for message in trades:
            assert message.msg.yes_price_dollars == Decimal("0.40")
            break
        stream.unsubscribe(trades)
        assert trades.state == "closed"
        assert list(trades) == []

    if driver == "sync":
        with LoopbackServer(fake) as srv:
            client = kalshi_sync.Client(credentials=world.credentials, base_url=srv.url)
            with client, client.stream(**OPTIONS) as stream:
                flow_sync(stream)
        return

    async def main() -> None:
        with LoopbackServer(fake) as srv:
            client = kalshi_async.AsyncClient(credentials=world.credentials, base_url=srv.url)
            async with client, client.stream(**OPTIONS) as stream:
                sub = await stream.subscribe_orderbook([a])
                trades = await stream.subscribe_trades([a])
                await sub.wait_synced()
                await sub.add_markets([b])
                assert sub.market_tickers == [a, b]
                await sub.wait_synced()
                await sub.get_snapshot([b])
                listed = await stream.list_subscriptions()
                assert sorted((i.channel, i.sid) for i in listed) == sorted(
                    [("orderbook_delta", sub.sid), ("trade", trades.sid)]
                )
                await sub.delete_markets([b])
                assert sub.market_tickers == [a]
                fake.place_order(world.people[0], a, "bid", "0.40", "1")
                fake.place_order(world.people[1], a, "ask", "0.40", "1")
                async for message in trades:
                    assert message.msg.yes_price_dollars == Decimal("0.40")
                    break
                await stream.unsubscribe(trades)
                assert trades.state == "closed"
                async for _ in trades:
                    raise AssertionError("nothing after unsubscribe")

    async def bounded() -> None:
        with anyio.fail_after(30):
            await main()

    anyio.run(bounded, backend=driver)
