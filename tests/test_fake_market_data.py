"""The fake's REST market-data reads, through the SDK clients on every driver (MockTransport and
a real loopback socket), answered from the same engine state the stream publishes.

Expected values are worked out by hand from the seeded book and trades; shapes are spec
3.31's (``Market``, ``OrderbookCountFp``, ``Trade``, ``EventData``, ``Series``,
``MarketCandlestick``); a raw-JSON check confirms every required field is present.
"""

from __future__ import annotations

import json
import math
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kalshi_core.errors import NotFoundError
from kalshi_testing import FakeExchange, LoopbackServer
from tests.conftest import MARKET, Harness

SPEC = Path(__file__).resolve().parents[1] / "spec" / "kalshi-openapi-3.31.0.yaml"
SCHEMAS = yaml.safe_load(SPEC.read_text())["components"]["schemas"]
D = Decimal


def required_present(value: Any, schema_name: str) -> None:
    """Every field spec 3.31 requires in ``schema_name`` is in ``value`` (recursively for the
    nested schemas this file checks)."""
    schema = SCHEMAS[schema_name]
    for key in schema.get("required", []):
        assert key in value, (schema_name, key)
    for key, prop in schema.get("properties", {}).items():
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref is None or key not in value or value[key] is None:
            continue
        name = ref.rsplit("/", 1)[1]
        if name in (
            "Market",
            "EventData",
            "Series",
            "Trade",
            "MarketCandlestick",
            "OrderbookCountFp",
        ):
            items = value[key] if prop.get("type") == "array" else [value[key]]
            for item in items:
                required_present(item, name)


@pytest.fixture
def book(fake: FakeExchange) -> FakeExchange:
    """Bids 0.40 x 10 and 0.42 x 5, asks 0.56 x 7 and 0.58 x 3, one trade of 2 at 0.56."""
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    fake.seed_liquidity(MARKET, "bid", "0.42", 5)
    fake.seed_liquidity(MARKET, "ask", "0.56", 9)
    fake.seed_liquidity(MARKET, "ask", "0.58", 3)
    buyer = fake.add_participant(balance="10")
    fake.place_order(buyer, MARKET, "bid", "0.56", 2)
    return fake


def test_get_market_answers_from_the_book(
    harness: Harness, client: Any, book: FakeExchange
) -> None:
    market = harness.run(lambda c: c.get_market(MARKET), client).market
    assert market.ticker == MARKET
    assert market.event_ticker == "HIGHNY-24JAN01"
    assert (market.yes_bid_dollars, market.yes_bid_size_fp) == (D("0.42"), D(5))
    assert (market.yes_ask_dollars, market.yes_ask_size_fp) == (D("0.56"), D(7))
    assert (market.no_bid_dollars, market.no_ask_dollars) == (D("0.44"), D("0.58"))
    assert (market.last_price_dollars, market.volume_fp, market.volume_24h_fp) == (
        D("0.56"),
        D(2),
        D(2),
    )
    assert market.open_interest_fp == D(2)
    assert market.status == "active"
    assert market.price_ranges[0].step == "0.0100"


def test_get_market_unknown_is_404(harness: Harness, client: Any) -> None:
    with pytest.raises(NotFoundError):
        harness.run(lambda c: c.get_market("NOPE-1"), client)


def test_get_markets_filters_and_pages(harness: Harness, client: Any, book: FakeExchange) -> None:
    book.add_market("OTHER-24FEB01-T1")
    book.settle("HIGHNY-24JAN01-T65", "no")
    everything = harness.collect(lambda c: c.get_markets.items(limit=2), client)
    assert [m.ticker for m in everything] == [
        MARKET,
        "HIGHNY-24JAN01-T65",
        "KXBTC-25DEC31-B100000",
        "OTHER-24FEB01-T1",
    ]
    page = harness.run(lambda c: c.get_markets(series_ticker="HIGHNY"), client)
    assert [m.ticker for m in page.markets] == [MARKET, "HIGHNY-24JAN01-T65"]
    assert page.cursor == ""
    settled = harness.run(lambda c: c.get_markets(status="settled"), client).markets
    assert [(m.ticker, m.status, m.result, m.settlement_value_dollars) for m in settled] == [
        ("HIGHNY-24JAN01-T65", "finalized", "no", D(0)),
    ]
    chosen = harness.run(lambda c: c.get_markets(tickers=f"{MARKET},OTHER-24FEB01-T1"), client)
    assert [m.ticker for m in chosen.markets] == [MARKET, "OTHER-24FEB01-T1"]


def test_orderbook_in_rest_shape(harness: Harness, client: Any, book: FakeExchange) -> None:
    orderbook = harness.run(lambda c: c.get_market_orderbook(MARKET), client).orderbook_fp
    assert orderbook.yes_dollars == [[D("0.4000"), D("10.00")], [D("0.4200"), D("5.00")]]
    assert orderbook.no_dollars == [[D("0.4200"), D("3.00")], [D("0.4400"), D("7.00")]]
    top = harness.run(lambda c: c.get_market_orderbook(MARKET, depth=1), client).orderbook_fp
    assert (top.yes_dollars, top.no_dollars) == (
        [[D("0.4200"), D("5.00")]],
        [[D("0.4400"), D("7.00")]],
    )
    many = harness.run(
        lambda c: c.get_market_orderbooks(tickers=[MARKET, "HIGHNY-24JAN01-T65"]), client
    ).orderbooks
    assert [(o.ticker, o.orderbook_fp.yes_dollars) for o in many] == [
        (MARKET, orderbook.yes_dollars),
        ("HIGHNY-24JAN01-T65", []),
    ]


def test_the_rest_book_equals_the_stream_truth(
    harness: Harness, client: Any, book: FakeExchange
) -> None:
    orderbook = harness.run(lambda c: c.get_market_orderbook(MARKET), client).orderbook_fp
    truth = book.orderbook(MARKET)
    assert [tuple(level) for level in orderbook.yes_dollars] == list(truth.yes)
    assert [tuple(level) for level in orderbook.no_dollars] == list(truth.no)


def test_trades_newest_first(harness: Harness, client: Any, book: FakeExchange) -> None:
    seller = book.add_participant(balance="10")
    book.place_order(seller, MARKET, "ask", "0.42", 1)
    trades = harness.run(lambda c: c.get_trades(ticker=MARKET), client).trades
    assert [
        (t.yes_price_dollars, t.no_price_dollars, t.count_fp, t.taker_book_side) for t in trades
    ] == [
        (D("0.42"), D("0.58"), D(1), "ask"),
        (D("0.56"), D("0.44"), D(2), "bid"),
    ]
    assert [t.taker_outcome_side for t in trades] == ["no", "yes"]
    assert trades[0].trade_id == book.engine.trades[-1].trade_id
    assert harness.run(lambda c: c.get_trades(is_block_trade=True), client).trades == []
    none = harness.run(lambda c: c.get_trades(ticker="HIGHNY-24JAN01-T65"), client)
    assert (none.trades, none.cursor) == ([], "")


def test_events_and_series(harness: Harness, client: Any, fake: FakeExchange) -> None:
    fake.add_series(
        "HIGHNY", title="Highest temperature in NYC", category="Climate", tags=["Weather"]
    )
    fake.add_event(
        "HIGHNY-24JAN01", title="NYC high on Jan 1", sub_title="Jan 1", mutually_exclusive=True
    )
    reply = harness.run(lambda c: c.get_event("HIGHNY-24JAN01", with_nested_markets=True), client)
    event = reply.event
    assert (event.event_ticker, event.series_ticker, event.title, event.sub_title) == (
        "HIGHNY-24JAN01",
        "HIGHNY",
        "NYC high on Jan 1",
        "Jan 1",
    )
    assert (event.mutually_exclusive, event.collateral_return_type) == (True, "MECNET")
    assert [m.ticker for m in event.markets] == [MARKET, "HIGHNY-24JAN01-T65"]
    assert [m.ticker for m in reply.markets] == [MARKET, "HIGHNY-24JAN01-T65"]
    events = harness.run(lambda c: c.get_events(series_ticker="HIGHNY"), client).events
    assert [e.event_ticker for e in events] == ["HIGHNY-24JAN01"]
    assert events[0].markets is None
    series = harness.run(lambda c: c.get_series("HIGHNY", include_volume=True), client).series
    assert (series.ticker, series.title, series.category, series.tags) == (
        "HIGHNY",
        "Highest temperature in NYC",
        "Climate",
        ["Weather"],
    )
    assert series.volume_fp == D(0)
    listed = harness.run(lambda c: c.get_series_list(category="Climate"), client).series
    assert [s.ticker for s in listed] == ["HIGHNY"]
    with pytest.raises(NotFoundError):
        harness.run(lambda c: c.get_event("NOPE-1"), client)


def test_exchange_status_and_schedule(harness: Harness, client: Any, fake: FakeExchange) -> None:
    status = harness.run(lambda c: c.get_exchange_status(), client)
    assert (status.exchange_active, status.trading_active) == (True, True)
    fake.pause_trading()  # the exchange-wide maintenance pause
    paused = harness.run(lambda c: c.get_exchange_status(), client)
    assert (paused.exchange_active, paused.trading_active) == (True, False)
    fake.resume_trading()
    fake.pause_exchange()
    down = harness.run(lambda c: c.get_exchange_status(), client)
    assert (down.exchange_active, down.trading_active) == (False, False)
    schedule = harness.run(lambda c: c.get_exchange_schedule(), client).schedule
    assert schedule.maintenance_windows == []
    assert schedule.standard_hours[0].monday[0].open_time == "00:00"


# -- candlesticks ---------------------------------------------------------------------------------
@pytest.fixture
def hour() -> int:
    """The start of an hour two hours ago: the trades below happen inside it."""
    return (math.floor(time.time() / 3600) - 2) * 3600


@pytest.fixture
def candles(fake: FakeExchange, hour: int) -> FakeExchange:
    fake.add_market("CANDLE-24JAN01-T1", now=hour - 30)
    ticker = "CANDLE-24JAN01-T1"
    fake.seed_liquidity(ticker, "bid", "0.30", 5, now=hour + 10)
    fake.seed_liquidity(ticker, "ask", "0.50", 5, now=hour + 20)
    buyer = fake.add_participant(balance="50")
    fake.place_order(buyer, ticker, "bid", "0.50", 2, now=hour + 65)  # minute 2: 2 @ 0.50
    fake.seed_liquidity(ticker, "ask", "0.45", 5, now=hour + 70)
    fake.place_order(buyer, ticker, "bid", "0.45", 1, now=hour + 80)  # minute 2: 1 @ 0.45
    fake.place_order(
        buyer, ticker, "bid", "0.50", 1, now=hour + 200
    )  # minute 4: 1 @ 0.45 (the best ask)
    return fake


def test_market_candlesticks_by_minute(
    harness: Harness, client: Any, candles: FakeExchange, hour: int
) -> None:
    reply = harness.run(
        lambda c: c.get_market_candlesticks(
            "CANDLE", "CANDLE-24JAN01-T1", start_ts=hour + 60, end_ts=hour + 240, period_interval=1
        ),
        client,
    )
    assert reply.ticker == "CANDLE-24JAN01-T1"
    got = {c.end_period_ts - hour: c for c in reply.candlesticks}
    assert sorted(got) == [60, 120, 180, 240]
    first = got[60]  # (0, 60]: quotes only, no trades
    assert (first.yes_bid.open_dollars, first.yes_bid.close_dollars) == (D(0), D("0.30"))
    assert (first.yes_ask.open_dollars, first.yes_ask.close_dollars) == (D(1), D("0.50"))
    assert first.price.open_dollars is None
    assert first.volume_fp == D(0)
    second = got[120]  # (60, 120]: 2 @ 0.50, then 1 @ 0.45
    price = second.price
    assert (price.open_dollars, price.high_dollars, price.low_dollars, price.close_dollars) == (
        D("0.50"),
        D("0.50"),
        D("0.45"),
        D("0.45"),
    )
    assert price.mean_dollars == D("0.483333")  # (2 x 0.50 + 0.45) / 3, six decimals at most
    assert price.previous_dollars is None
    assert (second.volume_fp, second.open_interest_fp) == (D(3), D(3))
    assert (
        second.yes_ask.open_dollars,
        second.yes_ask.low_dollars,
        second.yes_ask.close_dollars,
    ) == (
        D("0.50"),
        D("0.45"),
        D("0.45"),
    )
    assert got[180].volume_fp == D(0)
    assert got[180].price.previous_dollars == D("0.45")
    assert (got[240].volume_fp, got[240].price.close_dollars) == (D(1), D("0.45"))


def test_candlesticks_hourly_event_and_batch(
    harness: Harness, client: Any, candles: FakeExchange, hour: int
) -> None:
    hourly = harness.run(
        lambda c: c.get_market_candlesticks(
            "CANDLE", "CANDLE-24JAN01-T1", start_ts=hour, end_ts=hour + 3600, period_interval=60
        ),
        client,
    ).candlesticks
    assert [
        (c.end_period_ts - hour, c.volume_fp, c.price.open_dollars, c.price.close_dollars)
        for c in hourly
    ] == [
        (0, D(0), None, None),  # the market opened 30 s before the hour
        (3600, D(4), D("0.50"), D("0.45")),
    ]
    event = harness.run(
        lambda c: c.get_market_candlesticks_by_event(
            "CANDLE-24JAN01", "CANDLE", start_ts=hour + 1, end_ts=hour + 3600, period_interval=60
        ),
        client,
    )
    assert event.market_tickers == ["CANDLE-24JAN01-T1"]
    assert [c.volume_fp for c in event.market_candlesticks[0]] == [D(4)]
    assert event.adjusted_end_ts == hour + 3600
    batch = harness.run(
        lambda c: c.batch_get_market_candlesticks(
            market_tickers="CANDLE-24JAN01-T1",
            start_ts=hour + 1,
            end_ts=hour + 3600,
            period_interval=60,
        ),
        client,
    )
    assert [m.market_ticker for m in batch.markets] == ["CANDLE-24JAN01-T1"]
    assert batch.markets[0].candlesticks[0].volume_fp == D(4)


def test_candlestick_arguments_are_checked(candles: FakeExchange, hour: int) -> None:
    with LoopbackServer(candles) as server:
        base = server.url
        wrong_series = httpx.get(
            f"{base}/series/NOPE/markets/CANDLE-24JAN01-T1/candlesticks",
            params={"start_ts": hour, "end_ts": hour + 60, "period_interval": 1},
        )
        assert wrong_series.status_code == 404
        bad_period = httpx.get(
            f"{base}/series/CANDLE/markets/CANDLE-24JAN01-T1/candlesticks",
            params={"start_ts": hour, "end_ts": hour + 60, "period_interval": 5},
        )
        assert bad_period.status_code == 400
        assert bad_period.json()["error"]["code"] == "invalid_parameters"


def test_raw_answers_carry_every_required_field(book: FakeExchange, hour: int) -> None:
    book.add_event("HIGHNY-24JAN01", title="NYC")
    with LoopbackServer(book) as server:
        base = server.url

        def get(path: str, **params: Any) -> Any:
            answer = httpx.get(base + path, params=params)
            assert answer.status_code == 200, answer.text
            return json.loads(answer.content)

        required_present(get(f"/markets/{MARKET}"), "GetMarketResponse")
        required_present(get("/markets"), "GetMarketsResponse")
        required_present(get(f"/markets/{MARKET}/orderbook"), "GetMarketOrderbookResponse")
        required_present(get("/markets/trades"), "GetTradesResponse")
        required_present(get("/events", with_nested_markets="true"), "GetEventsResponse")
        required_present(get("/events/HIGHNY-24JAN01"), "GetEventResponse")
        required_present(get("/series"), "GetSeriesListResponse")
        required_present(get("/series/HIGHNY"), "GetSeriesResponse")
        required_present(get("/exchange/status"), "ExchangeStatus")
        required_present(get("/exchange/schedule"), "GetExchangeScheduleResponse")
        now = int(time.time())
        sticks = get(
            f"/series/HIGHNY/markets/{MARKET}/candlesticks",
            start_ts=now - 120,
            end_ts=now + 60,
            period_interval=1,
        )
        required_present(sticks, "GetMarketCandlesticksResponse")
        assert sticks["candlesticks"], "the current minute at least"
