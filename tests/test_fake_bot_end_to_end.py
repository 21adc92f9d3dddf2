"""A user's bot tested end to end offline: it reads markets over REST (the SDK client, every
driver), streams the book and trades over the WebSocket API, and trades; the fake serves both
from one state over real sockets."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import ApiKey, FakeExchange, LoopbackServer
from tests.conftest import MARKET, Harness
from tests.wsclient import WsClient

pytestmark = pytest.mark.socket


def test_bot_reads_markets_streams_the_book_and_trades(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    fake.seed_liquidity(MARKET, "ask", "0.60", 10)
    with LoopbackServer(fake, heartbeat_interval=5) as server:
        client = harness.client(
            key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
        )
        # 1. Pick the market with the tightest spread from the REST listing.
        markets = harness.run(lambda c: c.get_markets(series_ticker="HIGHNY"), client).markets
        best = min(
            (m for m in markets if m.yes_ask_dollars < 1),
            key=lambda m: m.yes_ask_dollars - m.yes_bid_dollars,
        )
        assert best.ticker == MARKET
        # 2. Stream its book, the trades and our fills.
        assert account.private_key_pem is not None
        with WsClient(server.port, key_id=account.key_id, pem=account.private_key_pem) as ws:
            ws.subscribe(
                {"channels": ["orderbook_delta", "trade", "fill"], "market_ticker": MARKET}
            )
            snapshot = ws.recv()
            assert snapshot["msg"]["yes_dollars_fp"] == [["0.4000", "10.00"]]
            # 3. Improve the bid by a cent through the SDK (V2 create).
            ack = harness.run(
                lambda c: c.create_order_v2(
                    ticker=MARKET,
                    side="bid",
                    price="0.41",
                    count="3",
                    time_in_force="good_till_canceled",
                    self_trade_prevention_type="taker_at_cross",
                    client_order_id="bot-1",
                ),
                client,
            )
            delta = ws.recv()
            assert (delta["msg"]["price_dollars"], delta["msg"]["delta_fp"]) == ("0.4100", "3.00")
            assert delta["msg"]["client_order_id"] == "bot-1"
            # 4. Someone sells into it: the bot sees the trade, its fill, and the book move.
            seller = fake.add_participant(balance="100")
            fake.place_order(seller, MARKET, "ask", "0.41", 2)
            messages: list[dict[str, Any]] = []
            deadline = time.monotonic() + 5
            while len(messages) < 3 and time.monotonic() < deadline:
                messages.append(ws.recv())
            kinds = {m["type"]: m for m in messages}
            assert kinds["orderbook_delta"]["msg"]["delta_fp"] == "-2.00"
            assert kinds["trade"]["msg"]["taker_book_side"] == "ask"
            assert kinds["fill"]["msg"]["order_id"] == ack.order_id
            assert kinds["fill"]["msg"]["post_position_fp"] == "2.00"
        # 5. REST agrees with what was streamed.
        orderbook = harness.run(lambda c: c.get_market_orderbook(MARKET), client).orderbook_fp
        assert orderbook.yes_dollars == [
            [Decimal("0.40"), Decimal(10)],
            [Decimal("0.41"), Decimal(1)],
        ]
        trades = harness.run(lambda c: c.get_trades(ticker=MARKET), client).trades
        assert [(t.yes_price_dollars, t.count_fp) for t in trades] == [
            (Decimal("0.41"), Decimal(2))
        ]
        positions = harness.run(lambda c: c.get_positions(), client).market_positions
        assert [(p.ticker, p.position_fp) for p in positions] == [(MARKET, Decimal(2))]


def test_a_client_close_ends_the_connection(fake: FakeExchange, account: ApiKey) -> None:
    assert account.private_key_pem is not None
    with LoopbackServer(fake, heartbeat_interval=5) as server:
        ws = WsClient(server.port, key_id=account.key_id, pem=account.private_key_pem)
        ws.subscribe({"channels": ["ticker"]})
        ws.close()
        deadline = time.monotonic() + 2
        while not server.streams[0].closed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.streams[0].closed
        assert server.streams[0].session not in fake.engine._listeners


def test_helpers_check_their_counts(fake: FakeExchange) -> None:
    maker = fake.add_participant(balance="100")
    order = fake.place_order(maker, MARKET, "bid", "0.40", 5)
    with pytest.raises(ValueError):
        fake.decrease_order(order.order_id, "2.505")
    with pytest.raises(ValueError):
        fake.amend_order(order.order_id, "0.405", 5)
    assert fake.decrease_order(order.order_id, 2) == Decimal(3)
    fake.amend_order(order.order_id, "0.45", 4)
    assert (order.price, order.remaining) == (Decimal("0.45"), Decimal(4))
