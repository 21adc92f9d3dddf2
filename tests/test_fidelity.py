"""Fidelity: answers of every era parse without loss and go back out as the JSON received.

The market-data bodies of the integer-cents era are written from Kalshi's published
descriptions 3.7.0/3.8.0 (Market, Trade, MarketCandlestick with its BidAskDistribution and
PriceDistribution cents OHLC, the legacy ``orderbook`` object, IncentiveProgram's
``target_size``) and the fields the January 2026 recordings carried (``category``,
``risk_limit_cents``); the portfolio bodies are the seed-era and current ones of
``test_legacy_roundtrip``. For every shape:

* ``structure`` then ``to_dict()`` gives back the very JSON value, and ``to_json()`` text that
  decodes to it (no key lost, ``null`` kept, money as its string, timestamps as received);
* a key the SDK does not know, put into every object at every level, is kept: reachable as
  ``extra_fields`` on the model of that level, and present in ``to_dict()``;
* ``null`` in place of any field, list element or map value parses (as ``None``) and round-trips.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kalshi_core import models as m
from kalshi_core.models._converter import structure

from .test_legacy_roundtrip import CURRENT_FILL, CURRENT_ORDER, SEED_FILL, SEED_ORDER

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
from payloads import fills_page, orders_page, positions_page

# A market as the integer-cents era answered it (January 2026): the cents and integer-count
# twins beside the dollar and fixed-point fields.
LEGACY_MARKET: dict[str, Any] = {
    "ticker": "KXHIGHNY-26JAN12-T40",
    "event_ticker": "KXHIGHNY-26JAN12",
    "market_type": "binary",
    "title": "Will the high temp in NYC be >40° on Jan 12, 2026?",
    "subtitle": "41° or above",
    "yes_sub_title": "41° or above",
    "no_sub_title": "40° or below",
    "created_time": "2026-01-10T15:00:05.512345Z",
    "updated_time": "2026-01-11T09:12:44Z",
    "open_time": "2026-01-10T15:00:00Z",
    "close_time": "2026-01-13T04:59:00Z",
    "expiration_time": "2026-01-20T15:00:00Z",
    "latest_expiration_time": "2026-01-20T15:00:00Z",
    "settlement_timer_seconds": 1800,
    "status": "active",
    "response_price_units": "usd_cent",
    "notional_value": 100,
    "notional_value_dollars": "1.0000",
    "yes_bid": 37,
    "yes_bid_dollars": "0.3700",
    "yes_ask": 39,
    "yes_ask_dollars": "0.3900",
    "no_bid": 61,
    "no_bid_dollars": "0.6100",
    "no_ask": 63,
    "no_ask_dollars": "0.6300",
    "last_price": 38,
    "last_price_dollars": "0.3800",
    "previous_yes_bid": 30,
    "previous_yes_bid_dollars": "0.3000",
    "previous_yes_ask": 33,
    "previous_yes_ask_dollars": "0.3300",
    "previous_price": 31,
    "previous_price_dollars": "0.3100",
    "volume": 15230,
    "volume_fp": "15230.00",
    "volume_24h": 4210,
    "volume_24h_fp": "4210.00",
    "liquidity": 0,
    "liquidity_dollars": "0.0000",
    "open_interest": 9120,
    "open_interest_fp": "9120.00",
    "result": "",
    "can_close_early": True,
    "fractional_trading_enabled": False,
    "expiration_value": "",
    "category": "Climate and Weather",
    "risk_limit_cents": 0,
    "tick_size": 1,
    "strike_type": "greater",
    "floor_strike": 40,
    "cap_strike": None,
    "rules_primary": "If the highest temperature recorded in Central Park is above 40°...",
    "rules_secondary": "",
    "price_level_structure": "linear_cent",
    "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
    "settlement_value": None,
    "settlement_value_dollars": None,
    "custom_strike": None,
}

CURRENT_MARKET: dict[str, Any] = {
    key: value
    for key, value in LEGACY_MARKET.items()
    if key
    not in {
        "yes_bid",
        "yes_ask",
        "no_bid",
        "no_ask",
        "last_price",
        "previous_yes_bid",
        "previous_yes_ask",
        "previous_price",
        "volume",
        "volume_24h",
        "liquidity",
        "open_interest",
        "notional_value",
        "category",
        "risk_limit_cents",
        "tick_size",
        "response_price_units",
        "settlement_value",
    }
}

LEGACY_CANDLE: dict[str, Any] = {
    "end_period_ts": 1768158000,
    "yes_bid": {
        "open": 30,
        "open_dollars": "0.3000",
        "low": 29,
        "low_dollars": "0.2900",
        "high": 37,
        "high_dollars": "0.3700",
        "close": 37,
        "close_dollars": "0.3700",
    },
    "yes_ask": {
        "open": 33,
        "open_dollars": "0.3300",
        "low": 33,
        "low_dollars": "0.3300",
        "high": 40,
        "high_dollars": "0.4000",
        "close": 39,
        "close_dollars": "0.3900",
    },
    "price": {
        "open": None,
        "open_dollars": None,
        "low": None,
        "low_dollars": None,
        "high": None,
        "high_dollars": None,
        "close": None,
        "close_dollars": None,
        "mean": None,
        "mean_dollars": None,
        "previous": 31,
        "previous_dollars": "0.3100",
        "min": None,
        "min_dollars": None,
        "max": None,
        "max_dollars": None,
    },
    "volume": 0,
    "volume_fp": "0.00",
    "open_interest": 9120,
    "open_interest_fp": "9120.00",
}

LEGACY_TRADE: dict[str, Any] = {
    "trade_id": "d6a1a9d4-5a55-4a43-a6a0-0f7c2c4e1d21",
    "ticker": "KXHIGHNY-26JAN12-T40",
    "price": 38,
    "count": 12,
    "count_fp": "12.00",
    "yes_price": 38,
    "no_price": 62,
    "yes_price_dollars": "0.3800",
    "no_price_dollars": "0.6200",
    "taker_side": "yes",
    "created_time": "2026-01-11T09:12:44.123456789Z",
}

# (model, body) of every shape the tests hold: market data of both eras, portfolio of both.
SHAPES: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "market/legacy": (m.GetMarketResponse, {"market": LEGACY_MARKET}),
    "market/current": (m.GetMarketResponse, {"market": CURRENT_MARKET}),
    "markets": (m.GetMarketsResponse, {"markets": [LEGACY_MARKET, CURRENT_MARKET], "cursor": "c"}),
    "event": (
        m.GetEventResponse,
        {
            "event": {
                "event_ticker": "KXHIGHNY-26JAN12",
                "series_ticker": "KXHIGHNY",
                "sub_title": "On Jan 12, 2026",
                "title": "Highest temperature in NYC on Jan 12, 2026?",
                "collateral_return_type": "",
                "mutually_exclusive": True,
                "category": "Climate and Weather",
                "strike_date": "2026-01-12T05:00:00Z",
                "markets": [LEGACY_MARKET],
                "available_on_brokers": True,
                "product_metadata": None,
            },
            "markets": [LEGACY_MARKET],
        },
    ),
    "trades": (m.GetTradesResponse, {"trades": [LEGACY_TRADE], "cursor": ""}),
    "candlesticks": (
        m.GetMarketCandlesticksResponse,
        {"ticker": "KXHIGHNY-26JAN12-T40", "candlesticks": [LEGACY_CANDLE]},
    ),
    "event candlesticks": (
        m.GetEventCandlesticksResponse,
        {
            "market_tickers": ["KXHIGHNY-26JAN12-T40"],
            "market_candlesticks": [[LEGACY_CANDLE, LEGACY_CANDLE]],
            "adjusted_end_ts": 1768161600,
        },
    ),
    "batch candlesticks": (
        m.BatchGetMarketCandlesticksResponse,
        {"markets": [{"market_ticker": "KXHIGHNY-26JAN12-T40", "candlesticks": [LEGACY_CANDLE]}]},
    ),
    "orderbook": (
        m.GetMarketOrderbookResponse,
        {
            "orderbook": {
                "yes": [[37, 120], [36, 40]],
                "no": [[61, 75]],
                "yes_dollars": [["0.3700", 120], ["0.3600", 40]],
                "no_dollars": [["0.6100", 75]],
            },
            "orderbook_fp": {
                "yes_dollars": [["0.3700", "120.00"], ["0.3600", "40.00"]],
                "no_dollars": [["0.6100", "75.00"]],
            },
        },
    ),
    "incentive programs": (
        m.GetIncentiveProgramsResponse,
        {
            "incentive_programs": [
                {
                    "id": "ip-1",
                    "market_id": "mkt-1",
                    "market_ticker": "KXHIGHNY-26JAN12-T40",
                    "incentive_type": "liquidity",
                    "start_date": "2026-01-10T15:00:00Z",
                    "end_date": "2026-01-13T04:59:00Z",
                    "period_reward": 500000,
                    "paid_out": False,
                    "discount_factor_bps": None,
                    "target_size": 300,
                    "target_size_fp": "300.00",
                }
            ],
            "next_cursor": "",
        },
    ),
    "tags by categories": (
        m.GetTagsForSeriesCategoriesResponse,
        {"tags_by_categories": {"Climate and Weather": ["Daily temperature"], "Mentions": None}},
    ),
    "orders/seed": (m.GetOrdersResponse, {"orders": [SEED_ORDER], "cursor": ""}),
    "orders/current": (m.GetOrdersResponse, {"orders": [CURRENT_ORDER], "cursor": "x"}),
    "fills": (m.GetFillsResponse, {"fills": [SEED_FILL, CURRENT_FILL], "cursor": ""}),
    "orders page": (m.GetOrdersResponse, json.loads(orders_page(50))),
    "fills page": (m.GetFillsResponse, json.loads(fills_page(50))),
    "positions page": (m.GetPositionsResponse, json.loads(positions_page(50))),
}

UNKNOWN = "zz_added_tomorrow"


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside ``data`` (itself included)."""
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _objects(value)
    elif isinstance(data, list):
        for item in data:
            yield from _objects(item)


def _models(model: Any) -> Iterator[Any]:
    """Every model inside ``model`` (itself included), through lists and maps."""
    if isinstance(model, m.Model):
        yield model
        for name in type(model).__attrs_attrs__:  # type: ignore[attr-defined]
            yield from _models(getattr(model, name.name))
    elif isinstance(model, list):
        for item in model:
            yield from _models(item)
    elif isinstance(model, dict):
        for item in model.values():
            yield from _models(item)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_goes_back_out_as_received(shape: str) -> None:
    cls, body = SHAPES[shape]
    sent = copy.deepcopy(body)
    model = structure(body, cls)
    assert model.to_dict() == sent
    assert json.loads(model.to_json()) == sent
    assert json.loads(model.to_json(indent=2)) == sent
    # Key order as received, at the top level and inside.
    assert list(model.to_dict()) == list(sent)
    assert body == sent  # parsing and dumping leave the decoded body alone


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_unknown_keys_are_kept_at_every_level(shape: str) -> None:
    cls, body = SHAPES[shape]
    body = json.loads(json.dumps(body))  # as decoded: no object shared between two places
    # Every object that is a model's (found by a first parse), at every level, gets a key.
    objects = [m.raw_json(found) for found in _models(structure(body, cls))]
    assert all(obj is not None for obj in objects)
    for level, obj in enumerate(objects):
        obj[UNKNOWN] = {"level": level, "values": [1, "two", None]}  # type: ignore[index]
    sent = copy.deepcopy(body)
    model = structure(body, cls)
    models = list(_models(model))
    assert len(models) == len(objects)
    # Every object that became a model reports its own unknown key, and only that.
    seen = [found.extra_fields[UNKNOWN]["level"] for found in models]
    assert len(seen) == len(set(seen))
    for found in models:
        assert set(found.extra_fields) == {UNKNOWN}
        assert found.to_dict()[UNKNOWN] == found.extra_fields[UNKNOWN]
    assert model.to_dict() == sent
    assert json.loads(model.to_json()) == sent


def _nulled(data: Any) -> Iterator[Any]:
    """Copies of ``data`` with one value (a field, a list element or a map value) made null."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if value is not None:
                    paths.append((*path, key))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if value is not None:
                    paths.append((*path, index))
                walk(value, (*path, index))

    walk(data, ())
    for path in paths:
        copied = copy.deepcopy(data)
        node = copied
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = None
        yield copied


@pytest.mark.parametrize(
    "shape", ["market/legacy", "event", "candlesticks", "orderbook", "tags by categories", "fills"]
)
def test_null_anywhere_parses_as_none_and_round_trips(shape: str) -> None:
    cls, body = SHAPES[shape]
    count = 0
    for variant in _nulled(body):
        sent = copy.deepcopy(variant)
        model = structure(variant, cls)
        assert model.to_dict() == sent
        count += 1
    assert count >= 3


def test_legacy_market_fields_are_typed() -> None:
    market = structure({"market": LEGACY_MARKET}, m.GetMarketResponse).market
    assert market is not None
    assert market.yes_bid == Decimal(37)
    assert isinstance(market.yes_bid, Decimal)
    assert market.previous_yes_bid == 30
    assert market.volume == 15230
    assert market.open_interest == 9120
    assert market.notional_value == 100
    assert market.risk_limit_cents == 0
    assert market.category == "Climate and Weather"
    assert market.liquidity == 0
    assert market.yes_bid_dollars == Decimal("0.37")
    assert market.extra_fields == {}


def test_legacy_candles_trades_book_and_programs_are_typed() -> None:
    candle = structure(SHAPES["candlesticks"][1], m.GetMarketCandlesticksResponse).candlesticks
    assert candle is not None
    first = candle[0]
    assert first.volume == 0
    assert first.open_interest == 9120
    assert first.yes_bid is not None
    assert first.yes_bid.high == 37
    assert first.price is not None
    assert first.price.previous == 31
    assert first.price.open is None
    trade = structure({"trades": [LEGACY_TRADE]}, m.GetTradesResponse).trades
    assert trade is not None
    assert (trade[0].count, trade[0].yes_price, trade[0].no_price) == (12, 38, 62)
    assert trade[0].price == Decimal(38)
    # Nanoseconds are dropped from the datetime, but the text goes back out as received.
    assert trade[0].created_time == datetime(2026, 1, 11, 9, 12, 44, 123456, tzinfo=UTC)
    book = structure(SHAPES["orderbook"][1], m.GetMarketOrderbookResponse)
    assert book.orderbook is not None
    assert book.orderbook.yes == [[Decimal(37), Decimal(120)], [Decimal(36), Decimal(40)]]
    assert book.orderbook.yes_dollars == [[Decimal("0.37"), Decimal(120)], [Decimal("0.36"), 40]]
    programs = structure(SHAPES["incentive programs"][1], m.GetIncentiveProgramsResponse)
    assert programs.incentive_programs is not None
    assert programs.incentive_programs[0].target_size == 300
    tags = structure(SHAPES["tags by categories"][1], m.GetTagsForSeriesCategoriesResponse)
    assert tags.tags_by_categories == {
        "Climate and Weather": ["Daily temperature"],
        "Mentions": None,
    }


def test_changes_to_a_parsed_model_go_out_and_the_rest_stays_as_received() -> None:
    page = structure({"orders": [SEED_ORDER], "cursor": "", "zz": 1}, m.GetOrdersResponse)
    assert page.orders is not None
    order = page.orders[0]
    order.yes_price_dollars = Decimal("0.5700")
    order.fill_count = 4
    order.client_order_id = None
    order.created_time = datetime(2026, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    out = page.to_dict()
    sent = out["orders"][0]
    assert sent["yes_price_dollars"] == "0.5700"
    assert sent["fill_count"] == 4
    assert "client_order_id" not in sent
    assert sent["created_time"] == "2026-01-01T12:00:00.5Z"
    assert sent["last_update_time"] == SEED_ORDER["last_update_time"]
    assert sent["expiration_time"] is None
    assert out["zz"] == 1
    # Keys keep the received order; a field cleared to None is left out.
    assert list(sent) == [k for k in SEED_ORDER if k != "client_order_id"]


def test_models_built_in_python_dump_their_fields() -> None:
    market = m.Market(
        ticker="T",
        yes_bid=Decimal(37),
        yes_bid_dollars=Decimal("0.3700"),
        floor_strike=Decimal("40.5"),
        created_time=datetime(2026, 1, 10, 15, 0, 5, 512000, tzinfo=UTC),
        status=m.MarketStatus.ACTIVE,
        price_ranges=[m.PriceRange(start="0.0000", end="1.0000", step="0.0100")],
    )
    assert market.extra_fields == {}
    assert market.to_dict() == {
        "ticker": "T",
        "created_time": "2026-01-10T15:00:05.512Z",
        "status": "active",
        "yes_bid_dollars": "0.3700",
        "floor_strike": 40.5,
        "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
        "yes_bid": 37,
    }
    assert type(market.to_dict()["status"]) is str
    assert json.loads(market.to_json()) == market.to_dict()


def test_websocket_messages_keep_unknown_keys_and_go_back_out() -> None:
    """The stream's message models share the base and the converter: the same accessor and
    the same round trip, at every level of a frame."""
    from kalshi_core.stream.messages import parse_message

    frame = {
        "type": "orderbook_snapshot",
        "sid": 2,
        "seq": 1,
        "frame_hint": "new",
        "msg": {
            "market_ticker": "KXHIGHNY-26JAN12-T40",
            "market_id": "mkt-1",
            "yes_dollars_fp": [["0.3700", "120.00"], ["0.3600", "40.00"]],
            "no_dollars_fp": [],
            "depth_hint": 2,
        },
    }
    message = parse_message(json.dumps(frame))
    assert message.extra_fields == {"frame_hint": "new"}
    assert message.msg.extra_fields == {"depth_hint": 2}
    assert message.msg.yes_dollars_fp[0] == [Decimal("0.37"), Decimal("120")]
    assert message.to_dict() == frame
    assert json.loads(message.to_json()) == frame


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_json_value = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_money = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def _orders(draw: st.DrawFn) -> dict[str, Any]:
    stamp = draw(_times).isoformat()
    out: dict[str, Any] = {
        "order_id": draw(st.uuids()).hex,
        "status": draw(st.sampled_from(["resting", "canceled", "executed", "new_status"])),
        "yes_price_dollars": str(draw(_money)),
        "yes_price": draw(st.integers(1, 99)),
        "created_time": draw(st.sampled_from([stamp, stamp.replace("+00:00", "Z")])),
        "expiration_time": None,
        "cancel_order_on_pause": draw(st.booleans()),
    }
    keys = draw(st.permutations(sorted(out)))
    dropped = draw(st.sets(st.sampled_from(keys)))
    order = {k: out[k] for k in keys if k not in dropped}
    unknown = draw(st.dictionaries(st.text(min_size=1, max_size=6), _json_value, max_size=3))
    order.update({f"x_{k}": v for k, v in unknown.items()})
    return order


@settings(max_examples=150, deadline=None)
@given(st.lists(_orders() | st.none(), max_size=5), _json_value)
def test_any_page_with_unknown_keys_and_nulls_goes_back_out_as_received(
    orders: list[Any], extra: Any
) -> None:
    body = {"orders": orders, "cursor": "", "x_extra": extra}
    sent = json.loads(json.dumps(body))
    page = structure(body, m.GetOrdersResponse)
    assert page.to_dict() == sent
    assert json.loads(page.to_json()) == sent
    assert page.extra_fields == {"x_extra": extra}


def test_pickles_and_copies_keep_what_was_received() -> None:
    import pickle

    page = structure({"market": {**LEGACY_MARKET, UNKNOWN: [1]}, "x": None}, m.GetMarketResponse)
    for copied in (pickle.loads(pickle.dumps(page)), copy.deepcopy(page), copy.copy(page)):
        assert copied == page
        assert copied.market is not None
        assert copied.market.extra_fields == {UNKNOWN: [1]}
        assert copied.to_dict() == page.to_dict()


def test_to_json_without_orjson_writes_the_same_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from kalshi_core.models import _dump

    cls, body = SHAPES["market/legacy"]
    model = structure(copy.deepcopy(body), cls)
    fast = model.to_json()
    monkeypatch.setattr(_dump, "orjson", None)
    slow = model.to_json()
    assert json.loads(slow) == json.loads(fast) == body
    assert "\n" not in slow
    assert json.loads(model.to_json(indent=2)) == body
