"""The fake's order-book stream is exact: a random order flow (rests, sweeps, cancels, amends,
decreases, pauses) on two markets, and a client that applies the spec's snapshot/delta rules
holds the server's book after every single message, in both price conventions, including a
connection that subscribes halfway through."""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import FakeError, FakeExchange, Ladder, LoopbackServer
from tests.wsclient import WsClient

MARKETS = ("HIGHNY-24JAN01-T60", "HIGHNY-24JAN01-T70")

pytestmark = pytest.mark.socket

Book = dict[str, dict[Decimal, Decimal]]


def apply(books: dict[tuple[int, str], Book], message: dict[str, Any]) -> tuple[int, str]:
    msg = message["msg"]
    key = (message["sid"], msg["market_ticker"])
    if message["type"] == "orderbook_snapshot":
        books[key] = {
            side: {Decimal(p): Decimal(c) for p, c in msg.get(f"{side}_dollars_fp", [])}
            for side in ("yes", "no")
        }
    else:
        side = books[key][msg["side"]]
        price = Decimal(msg["price_dollars"])
        side[price] = side.get(price, Decimal(0)) + Decimal(msg["delta_fp"])
        assert side[price] >= 0, message
        if side[price] == 0:
            del side[price]
    return key


def ladder(book: Book, use_yes_price: bool) -> Ladder:
    return Ladder(
        tuple(sorted(book["yes"].items())), tuple(sorted(book["no"].items())), use_yes_price
    )


def act(fake: FakeExchange, rng: random.Random, people: list[str]) -> None:
    ticker = rng.choice(MARKETS)
    who = rng.choice(people)
    resting = [o for o in fake.orders.values() if o.on_book]
    roll = rng.random()
    try:
        if roll < 0.45 or not resting:
            side = rng.choice(("bid", "ask"))
            price = Decimal(rng.randint(30, 70)) / 100
            tif = rng.choice(("good_till_canceled",) * 3 + ("immediate_or_cancel",))
            fake.place_order(
                who, ticker, side, price, Decimal(rng.randint(1, 400)) / 100, time_in_force=tif
            )
        elif roll < 0.65:
            fake.cancel_order(rng.choice(resting).order_id)
        elif roll < 0.8:
            order = rng.choice(resting)
            fake.amend_order(
                order.order_id, Decimal(rng.randint(30, 70)) / 100, order.filled + rng.randint(1, 5)
            )
        elif roll < 0.95:
            order = rng.choice(resting)
            fake.decrease_order(order.order_id, (order.remaining / 2).quantize(Decimal("0.01")))
        else:
            fake.pause_trading(ticker)
            fake.resume_trading(ticker)
    except FakeError:
        pass  # refused by the exchange (balance, post-only...): no book change


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_message_leaves_the_client_on_the_servers_book(seed: int) -> None:
    rng = random.Random(seed)
    fake = FakeExchange()
    for ticker in MARKETS:
        fake.add_market(ticker)
    key = fake.add_user(balance="10")
    people = [fake.add_participant(balance="100000") for _ in range(4)]
    assert key.private_key_pem is not None
    with LoopbackServer(fake, record_books=True, heartbeat_interval=5) as server:
        plain = WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem)
        plain.subscribe({"channels": ["orderbook_delta"], "market_tickers": list(MARKETS)})
        yes_priced = WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem)
        yes_priced.subscribe(
            {
                "channels": ["orderbook_delta"],
                "market_tickers": list(MARKETS),
                "use_yes_price": True,
            }
        )
        # (client, index in server.streams, use_yes_price)
        streams = [(plain, 0, False), (yes_priced, 1, True)]
        books: dict[int, dict[tuple[int, str], Book]] = {0: {}, 1: {}, 2: {}}
        checked = 0
        for step in range(240):
            act(fake, rng, people)
            if step == 120:  # a late subscriber starts from a snapshot of a busy book
                late = WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem)
                late.subscribe({"channels": ["orderbook_delta"], "market_tickers": list(MARKETS)})
                streams.append((late, 2, False))
            if step % 40 == 39 or step == 239:
                for ws, index, yes_price in streams:
                    for message in ws.recv_all(0.1):
                        key_ = apply(books[index], message)
                        truth = server.book_after(key_[0], message["seq"], connection=index)
                        assert ladder(books[index][key_], yes_price) == truth
                        checked += 1
        for ticker in MARKETS:
            assert ladder(books[0][(1, ticker)], False) == fake.orderbook(ticker)
            assert ladder(books[1][(1, ticker)], True) == fake.orderbook(ticker, use_yes_price=True)
            assert ladder(books[2][(1, ticker)], False) == fake.orderbook(ticker)
        for ws, _, _ in streams:
            ws.close()
    assert checked > 200
    fake.check_ledger()


def test_concurrent_writers_keep_every_message_exact() -> None:
    """Four threads trade at once (as REST requests on the server's threads would): the
    stream still never shows a book the engine did not have."""
    fake = FakeExchange()
    for ticker in MARKETS:
        fake.add_market(ticker)
    key = fake.add_user(balance="10")
    assert key.private_key_pem is not None

    def trader(seed: int) -> None:
        rng = random.Random(seed)
        people = [fake.add_participant(balance="100000")]
        for _ in range(60):
            act(fake, rng, people)

    with (
        LoopbackServer(fake, record_books=True, heartbeat_interval=5) as server,
        WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem) as ws,
    ):
        ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKETS[0]})
        threads = [threading.Thread(target=trader, args=(seed,)) for seed in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        books: dict[tuple[int, str], Book] = {}
        messages = ws.recv_all(0.3)
        for message in messages:
            key_ = apply(books, message)
            assert ladder(books[key_], False) == server.book_after(1, message["seq"])
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        assert ladder(books[(1, MARKETS[0])], False) == fake.orderbook(MARKETS[0])
    fake.check_ledger()
