"""Models: spec 3.31 orders and the seeds' legacy orders round-trip; money is Decimal; times are
aware; unknown enum values and unknown fields do not fail a page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_core import Response, builders, errors, models
from kalshi_core.models._converter import structure, unstructure

# Spec 3.31's Order, every field, as the spec's examples write them.
CURRENT_ORDER: dict[str, Any] = {
    "order_id": "3b23c1c7-f4ef-4f0d-8b9a-9e53c61f1a0d",
    "user_id": "u-1",
    "client_order_id": "8c35ecb3-328f-4f52-8c7c-0f4b9862f8d1",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "buy",
    "outcome_side": "yes",
    "book_side": "bid",
    "type": "limit",
    "status": "resting",
    "yes_price_dollars": "0.5600",
    "no_price_dollars": "0.4400",
    "fill_count_fp": "2.00",
    "remaining_count_fp": "8.00",
    "initial_count_fp": "10.00",
    "taker_fill_cost_dollars": "1.1200",
    "maker_fill_cost_dollars": "0.0000",
    "taker_fees_dollars": "0.0400",
    "maker_fees_dollars": "0.0000",
    "expiration_time": None,
    "created_time": "2026-03-01T15:00:00.123456Z",
    "last_update_time": "2026-03-01T15:00:01Z",
    "self_trade_prevention_type": "taker_at_cross",
    "order_group_id": None,
    "cancel_order_on_pause": False,
    "subaccount_number": 0,
    "exchange_index": 0,
}

# The seeds' GetOrders record (seed 003): integer cents and integer counts.
LEGACY_ORDER: dict[str, Any] = {
    "order_id": "ord-legacy",
    "user_id": "u-1",
    "client_order_id": "c-1",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "no",
    "action": "sell",
    "type": "limit",
    "status": "executed",
    "yes_price": 35,
    "no_price": 65,
    "fill_count": 10,
    "remaining_count": 0,
    "initial_count": 10,
    "taker_fees": 16,
    "maker_fees": 0,
    "taker_fill_cost": 650,
    "maker_fill_cost": 0,
    "taker_fill_count": 10,
    "maker_fill_count": 0,
    "place_count": 10,
    "queue_position": 0,
    "amend_count": 1,
    "amend_taker_fill_count": 0,
    "decrease_count": 0,
    "close_cancel_count": 0,
    "fcc_cancel_count": 0,
    "taker_self_trade_cancel_count": 0,
    "created_time": "2024-01-01T12:00:00Z",
    "expiration_time": "2024-01-02T12:00:00Z",
    "last_update_time": "2024-01-01T12:00:05Z",
}


def _parse_orders(orders: list[dict[str, Any]]) -> models.GetOrdersResponse:
    body = json.dumps({"orders": orders, "cursor": ""}).encode()
    return builders.get_orders().parse(Response(status=200, body=body))


def _without_nulls(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def test_current_order_types_and_round_trip() -> None:
    order = _parse_orders([CURRENT_ORDER]).orders[0]
    assert order.yes_price_dollars == Decimal("0.56")
    assert isinstance(order.fill_count_fp, Decimal)
    assert order.created_time == datetime(2026, 3, 1, 15, 0, 0, 123456, tzinfo=UTC)
    assert order.book_side is models.BookSide.BID
    assert order.exchange_index == 0
    assert order.cancel_order_on_pause is False
    assert order.yes_price is None  # a current answer carries no legacy cents
    again = unstructure(order)
    expected = _without_nulls(CURRENT_ORDER)
    expected["created_time"] = "2026-03-01T15:00:00.123456Z"
    assert again == expected


def test_legacy_order_round_trips_with_nothing_lost() -> None:
    order = _parse_orders([LEGACY_ORDER]).orders[0]
    assert order.yes_price == 35
    assert order.fill_count == 10
    assert order.taker_fees == 16
    assert order.queue_position == 0
    assert order.yes_price_dollars is None
    assert unstructure(order) == LEGACY_ORDER


def test_raw_body_stays_reachable() -> None:
    extra = {**CURRENT_ORDER, "brand_new_field": {"x": 1}}
    page = _parse_orders([extra])
    raw = models.raw_json(page)
    assert raw is not None
    assert raw["orders"][0]["brand_new_field"] == {"x": 1}


def test_unknown_enum_value_parses_and_keeps_its_value() -> None:
    order = _parse_orders([{**CURRENT_ORDER, "status": "pending_review"}]).orders[0]
    assert order.status == "pending_review"
    assert order.status is not None
    assert order.status.known is False
    assert models.OrderStatus("resting").known is True


def test_timestamps_are_aware_even_with_nanoseconds_or_no_zone() -> None:
    order = _parse_orders(
        [
            {
                **CURRENT_ORDER,
                "created_time": "2026-03-01T15:00:00.123456789Z",
                "last_update_time": "2026-03-01T15:00:00",
                "expiration_time": "2026-03-01T10:00:00-05:00",
            }
        ]
    ).orders[0]
    assert order.created_time == datetime(2026, 3, 1, 15, 0, 0, 123456, tzinfo=UTC)
    assert order.last_update_time is not None
    assert order.last_update_time.tzinfo is UTC
    assert order.expiration_time == datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=-5)))


def test_float_in_a_dollar_field_becomes_an_exact_decimal() -> None:
    order = _parse_orders([{**CURRENT_ORDER, "yes_price_dollars": 0.1}]).orders[0]
    assert order.yes_price_dollars == Decimal("0.1")


def test_null_numeric_fields_are_none_not_zero() -> None:
    order = _parse_orders([{"order_id": "x", "fill_count_fp": None, "yes_price": None}]).orders[0]
    assert order.fill_count_fp is None
    assert order.yes_price is None


money = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
counts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def orders(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {
        "order_id": draw(st.uuids()).hex,
        "ticker": draw(st.text(min_size=1, max_size=30)),
        "status": draw(st.sampled_from(["resting", "canceled", "executed", "some_new_status"])),
        "book_side": draw(st.sampled_from(["bid", "ask"])),
        "yes_price_dollars": str(draw(money)),
        "fill_count_fp": str(draw(counts)),
        "created_time": draw(times).isoformat().replace("+00:00", "Z"),
        "yes_price": draw(st.integers(1, 99)),
        "queue_position": draw(st.integers(0, 10**9)),
        "cancel_order_on_pause": draw(st.booleans()),
    }
    drop = draw(st.sets(st.sampled_from(sorted(out))))
    return {k: v for k, v in out.items() if k not in drop}


@settings(max_examples=150, deadline=None)
@given(st.lists(orders(), max_size=5))
def test_any_valid_page_round_trips(page: list[dict[str, Any]]) -> None:
    parsed = _parse_orders(page)
    assert [unstructure(o) for o in parsed.orders or []] == page


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(
            st.sampled_from(["orders", "cursor", "order", "balance", "error", "code", "msg"]),
            json_values,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    st.sampled_from([200, 201, 400, 401, 404, 409, 429, 500, 503]),
)
def test_any_body_yields_a_model_or_our_own_error(body: bytes, status: int) -> None:
    for call in (builders.get_orders(), builders.get_balance(), builders.get_order("o")):
        outcome: Any
        try:
            outcome = call.parse(Response(status=status, body=body))
        except errors.KalshiError as exc:
            outcome = exc
        if isinstance(outcome, errors.APIStatusError):
            # An error status, or a 2xx body carrying an error: the status is the answer's.
            assert outcome.status == status
        elif isinstance(outcome, errors.KalshiError):
            # Only a 2xx body can be undecodable: an error status is an APIStatusError.
            assert isinstance(outcome, errors.DecodeError)
            assert 200 <= status < 300
        else:
            # Only a 2xx answer yields a model, and it is the operation's response model.
            assert 200 <= status < 300
            assert call.operation.response is not None
            assert isinstance(outcome, call.operation.response)


@pytest.mark.parametrize("status", [200, 201])
def test_a_meaningful_2xx_body_yields_its_model(status: int) -> None:
    page = builders.get_orders().parse(
        Response(status=status, body=b'{"orders": [{"order_id": "o1"}], "cursor": "c2"}')
    )
    assert isinstance(page, models.GetOrdersResponse)
    assert [o.order_id for o in page.orders or []] == ["o1"]
    assert page.cursor == "c2"
    balance = builders.get_balance().parse(
        Response(status=status, body=b'{"balance": 12345, "balance_dollars": "123.45"}')
    )
    assert isinstance(balance, models.GetBalanceResponse)
    assert balance.balance == 12345
    assert balance.balance_dollars == Decimal("123.45")


def test_structure_error_names_the_path() -> None:
    from kalshi_core.models._converter import StructureError

    with pytest.raises(StructureError, match="fill_count_fp"):
        structure({"orders": [{"fill_count_fp": "abc"}]}, models.GetOrdersResponse)
