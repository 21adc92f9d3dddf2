"""The converter's compiled fast path agrees with cattrs' detailed converter on every input.

``_compiled`` writes one structuring function per model for speed; these tests hold it to the
same answers as the detailed converter (``DETAILED``), which is stock cattrs with the same hooks:
equal models for data that fits, a failure (then a ``StructureError`` naming the field) for
data that does not. Shapes follow the spec's Order, Fill and MarketPosition schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_core.models import (
    BookSide,
    Fill,
    GetFillsResponse,
    GetOrdersResponse,
    GetPositionsResponse,
    MarketPosition,
    Order,
    OrderStatus,
)
from kalshi_core.models._compiled import compile_structure, compiles
from kalshi_core.models._converter import DETAILED, FAST, StructureError, structure

ORDER = {
    "order_id": "ee5a4f7c-0f6a-4a59-9f0b-1d2c3e4f5a6b",
    "user_id": "u-1",
    "client_order_id": "bot-1",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "buy",
    "outcome_side": "yes",
    "book_side": "bid",
    "type": "limit",
    "status": "resting",
    "yes_price_dollars": "0.5600",
    "no_price_dollars": "0.4400",
    "fill_count_fp": "0.00",
    "remaining_count_fp": "10.00",
    "initial_count_fp": "10.00",
    "taker_fees_dollars": "0.0000",
    "created_time": "2026-03-14T15:09:26.535897Z",
    "last_update_time": "2026-03-14T15:09:26Z",
    "expiration_time": None,
    "cancel_order_on_pause": False,
    "subaccount_number": 0,
    "yes_price": 56,
    "queue_position": 0,
}


def both(data: Any, cls: type) -> tuple[Any, Any]:
    """(fast result or the exception type, detailed result or the exception type)."""
    results = []
    for conv in (FAST, DETAILED):
        try:
            results.append(conv.structure(data, cls))
        except Exception as exc:  # noqa: BLE001 - comparing outcomes
            results.append(type(exc))
    return results[0], results[1]


def test_every_model_compiles() -> None:
    import kalshi_core.models as models

    everything = [getattr(models, name) for name in models.__all__]  # builds the lazy models
    classes = [c for c in everything if isinstance(c, type) and attrs.has(c)]
    assert len(classes) > 100
    for cls in classes:
        assert compiles(cls), cls
        assert callable(compile_structure(cls, FAST))


def test_order_values_and_types() -> None:
    order = FAST.structure(ORDER, Order)
    assert order == DETAILED.structure(ORDER, Order)
    assert order.yes_price_dollars == Decimal("0.5600")
    assert order.created_time == datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
    assert order.status is OrderStatus.RESTING
    assert order.book_side is BookSide.BID
    assert order.expiration_time is None
    assert order.taker_fill_cost_dollars is None
    assert order.yes_price == 56
    assert order.cancel_order_on_pause is False


def test_unknown_enum_value_and_naive_time() -> None:
    order = FAST.structure(
        {**ORDER, "status": "pending", "created_time": "2026-03-14T15:09:26"}, Order
    )
    assert order.status == "pending"
    assert not order.status.known
    assert order.created_time.tzinfo is UTC


def test_go_nanoseconds() -> None:
    order = structure({**ORDER, "created_time": "2026-03-14T15:09:26.123456789Z"}, Order)
    assert order.created_time.microsecond == 123456


def test_interned_decimals_are_equal_values() -> None:
    a = FAST.structure(ORDER, Order)
    b = FAST.structure({**ORDER, "no_price_dollars": "0.5600"}, Order)
    assert b.no_price_dollars == a.yes_price_dollars == Decimal("0.5600")
    assert str(b.no_price_dollars) == "0.5600"


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("yes_price_dollars", "NaN", "orders[1].yes_price_dollars"),
        ("yes_price_dollars", "Infinity", "orders[1].yes_price_dollars"),
        ("yes_price_dollars", "fifty", "orders[1].yes_price_dollars"),
        ("yes_price_dollars", True, "orders[1].yes_price_dollars"),
        ("created_time", "yesterday", "orders[1].created_time"),
        ("created_time", 1710000000, "orders[1].created_time"),
        ("yes_price", "fifty", "orders[1].yes_price"),
        ("yes_price", 5.5, "orders[1].yes_price"),
        ("cancel_order_on_pause", "false", "orders[1].cancel_order_on_pause"),
        ("status", 3, "orders[1].status"),
        ("status", ["resting"], "orders[1].status"),
    ],
)
def test_bad_values_fail_naming_the_field(key: str, value: Any, path: str) -> None:
    data = {"orders": [ORDER, {**ORDER, key: value}]}
    fast, detailed = both(data, GetOrdersResponse)
    assert isinstance(fast, type)
    assert isinstance(detailed, type)
    with pytest.raises(StructureError, match=path.replace("[", r"\[").replace("]", r"\]")):
        structure(data, GetOrdersResponse)


def test_wrong_containers_fail() -> None:
    for data in ({"orders": "nope"}, {"orders": [1]}, {"orders": {"a": ORDER}}, [ORDER]):
        with pytest.raises(StructureError):
            structure(data, GetOrdersResponse)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["0.5600", "10.00", "-3", "1e3", "NaN", "", "yes", "bid", "resting", "x"]),
    st.sampled_from(["2026-03-14T15:09:26Z", "2026-03-14T15:09:26.5+02:00", "2026-03-14"]),
    st.text(max_size=8),
)


def _records(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields), json_scalars, max_size=len(fields))


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_fast_agrees_with_detailed(data: st.DataObject) -> None:
    for cls, page, key in (
        (Order, GetOrdersResponse, "orders"),
        (Fill, GetFillsResponse, "fills"),
        (MarketPosition, GetPositionsResponse, "market_positions"),
    ):
        names = [f.name for f in attrs.fields(cls)]
        record = data.draw(_records(names))
        fast, detailed = both(record, cls)
        if isinstance(detailed, type):
            # Where the detailed converter refuses, the fast path refuses too.
            assert isinstance(fast, type), (record, fast)
        else:
            assert fast == detailed, record
        fast_page, detailed_page = both({key: [record, record]}, page)
        assert fast_page == detailed_page or isinstance(fast_page, type), record


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_fast_agrees_with_detailed_on_complete_records(data: st.DataObject) -> None:
    # Every key present (the shape of a page with legacy fields): the compiled function's
    # all-keys fetch. ``repr`` also compares decimals' exponents (1.0 against 1).
    for cls in (Order, Fill, MarketPosition):
        names = [f.name for f in attrs.fields(cls)]
        record = data.draw(st.fixed_dictionaries(dict.fromkeys(names, json_scalars)))
        fast, detailed = both(record, cls)
        if isinstance(detailed, type):
            assert isinstance(fast, type), (record, fast)
        else:
            assert repr(fast) == repr(detailed), record


def test_float_decimals_keep_their_own_text() -> None:
    # Floats are remembered by value: neither the int 1 nor True may get 1.0's decimal, and
    # -0.0 keeps its sign.
    for value in (1.0, 1, 1.0, -0.0, 0.0, -0.0, 0.57, 0.57, 2, 1e-7, 1e-7):
        fill = FAST.structure({"fill_id": "f", "price": value}, Fill)
        expected = DETAILED.structure({"fill_id": "f", "price": value}, Fill).price
        assert str(fill.price) == str(expected), value
    with pytest.raises(StructureError, match="price"):
        structure({"fill_id": "f", "price": True}, Fill)
