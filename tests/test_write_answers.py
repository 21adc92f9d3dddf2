"""What write answers mean: acknowledged ids are never lost, batches report per order.

Bodies are shaped as spec 3.31 (V2 writes) and spec 3.13 / the seeds (V1 writes) describe them;
the malformed ones break one field each, the way a proxy or a schema change would.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import Call, Response, builders, errors, models

from .conftest import MARKET, Harness
from .scripted import Scripted, scripted_client

ORDER_V2 = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.40",
    "count": "5",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}
ORDER_V1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 5, "yes_price": 40}


def legacy(fn: Callable[[], Call[Any]]) -> Call[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return fn()


def answer(call: Call[Any], body: Any, status: int = 200) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call.parse(Response(status=status, body=raw))


# Every write that acts on one order: the call, and a 2xx body naming order o-1 whose rest is
# malformed (a field of the wrong type).
SINGLE_WRITES: list[tuple[str, Callable[[], Call[Any]], dict[str, Any]]] = [
    (
        "create_order_v2",
        lambda: builders.create_order_v2(**ORDER_V2),
        {"order_id": "o-1", "fill_count": "lots", "remaining_count": "5.00", "ts_ms": 1},
    ),
    (
        "amend_order_v2",
        lambda: builders.amend_order_v2("o-1", ticker=MARKET, side="bid", price="0.41", count="5"),
        {"order_id": "o-1", "ts_ms": "yesterday"},
    ),
    (
        "decrease_order_v2",
        lambda: builders.decrease_order_v2("o-1", reduce_by="1"),
        {"order_id": "o-1", "remaining_count": {"n": 4}, "ts_ms": 1},
    ),
    (
        "cancel_order_v2",
        lambda: builders.cancel_order_v2("o-1"),
        {"order_id": "o-1", "reduced_by": ["5"], "ts_ms": 1},
    ),
    (
        "create_order_v2",
        lambda: builders.create_order_v2(**ORDER_V2),
        {"order_id": "o-1", "client_order_id": ["c-1"], "fill_count": "0.00"},
    ),
    (
        "create_order",
        lambda: legacy(lambda: builders.create_order(**ORDER_V1)),
        {"order": {"order_id": "o-1", "created_time": "not a time"}},
    ),
    (
        "amend_order",
        lambda: legacy(
            lambda: builders.amend_order(
                "o-1", ticker=MARKET, side="yes", action="buy", yes_price=41, count=5
            )
        ),
        {"old_order": {"order_id": "o-1"}, "order": {"order_id": "o-1", "yes_price": "41c"}},
    ),
    (
        "decrease_order",
        lambda: legacy(lambda: builders.decrease_order("o-1", reduce_by=1)),
        {"order": {"order_id": "o-1", "remaining_count": "four"}},
    ),
    (
        "cancel_order",
        lambda: legacy(lambda: builders.cancel_order("o-1")),
        {"order": {"order_id": "o-1", "status": "canceled"}, "reduced_by": "five"},
    ),
]

BATCH_WRITES: list[tuple[str, Callable[[], Call[Any]], dict[str, Any]]] = [
    (
        "batch_create_orders_v2",
        lambda: builders.batch_create_orders_v2(orders=[ORDER_V2, ORDER_V2]),
        {"orders": [{"order_id": "o-1", "fill_count": "x"}, {"order_id": "o-2"}]},
    ),
    (
        "batch_cancel_orders_v2",
        lambda: builders.batch_cancel_orders_v2(orders=[{"order_id": "o-1"}, {"order_id": "o-2"}]),
        {"orders": [{"order_id": "o-1", "reduced_by": "5.00"}, {"order_id": "o-2", "ts_ms": []}]},
    ),
    (
        "batch_create_orders",
        lambda: legacy(lambda: builders.batch_create_orders(orders=[ORDER_V1, ORDER_V1])),
        {
            "orders": [
                {"order": {"order_id": "o-1"}},
                {"order": {"order_id": "o-2", "yes_price": "?"}},
            ]
        },
    ),
    (
        "batch_cancel_orders",
        lambda: legacy(lambda: builders.batch_cancel_orders(ids=["o-1", "o-2"])),
        {"orders": [{"order_id": "o-1", "reduced_by": "lots"}, {"order_id": "o-2"}]},
    ),
]


@pytest.mark.parametrize(
    ("name", "build", "body"), SINGLE_WRITES, ids=[w[0] for w in SINGLE_WRITES]
)
def test_malformed_write_answer_keeps_the_order_id(
    name: str, build: Callable[[], Call[Any]], body: dict[str, Any]
) -> None:
    call = build()
    assert call.operation.name == name
    with pytest.raises(errors.DecodeError) as info:
        answer(call, body, status=201)
    assert info.value.order_id == "o-1"
    assert "o-1" in str(info.value)
    assert info.value.body == body


@pytest.mark.parametrize(("name", "build", "body"), BATCH_WRITES, ids=[w[0] for w in BATCH_WRITES])
def test_malformed_batch_answer_keeps_every_order_id(
    name: str, build: Callable[[], Call[Any]], body: dict[str, Any]
) -> None:
    call = build()
    assert call.operation.name == name
    with pytest.raises(errors.DecodeError) as info:
        answer(call, body, status=201)
    assert info.value.order_ids == ("o-1", "o-2")


MEANINGLESS: list[tuple[str, Callable[[], Call[Any]], Any, str]] = [
    (
        "v2 ack without id",
        lambda: builders.create_order_v2(**ORDER_V2),
        {"fill_count": "0.00"},
        "order_id",
    ),
    (
        "v2 ack empty id",
        lambda: builders.cancel_order_v2("o-1"),
        {"order_id": "", "reduced_by": "1"},
        "order_id",
    ),
    (
        "v1 ack without order",
        lambda: legacy(lambda: builders.create_order(**ORDER_V1)),
        {"order": {"status": "resting"}},
        "order.order_id",
    ),
    (
        "batch without list",
        lambda: builders.batch_create_orders_v2(orders=[ORDER_V2]),
        {},
        "orders",
    ),
    (
        "batch item without id or error",
        lambda: builders.batch_create_orders_v2(orders=[ORDER_V2, ORDER_V2]),
        {"orders": [{"order_id": "o-1"}, {"fill_count": "1.00"}]},
        "orders[1]",
    ),
    ("orders page without list", lambda: builders.get_orders(), {"cursor": ""}, "orders"),
    ("fills page without list", lambda: builders.get_fills(), {"cursor": "x"}, "fills"),
    (
        "positions without event list",
        lambda: builders.get_positions(),
        {"market_positions": [], "cursor": ""},
        "event_positions",
    ),
    (
        "group ack without id",
        lambda: builders.create_order_group(contracts_limit=5),
        {"subaccount": 0},
        "order_group_id",
    ),
    ("not json", lambda: builders.get_balance(), b"<html>502</html>", "not JSON"),
    ("not an object", lambda: builders.get_balance(), [1, 2], "JSON object"),
]


@pytest.mark.parametrize(
    ("label", "build", "body", "word"), MEANINGLESS, ids=[c[0] for c in MEANINGLESS]
)
def test_meaningless_2xx_raises(
    label: str, build: Callable[[], Call[Any]], body: Any, word: str
) -> None:
    with pytest.raises(errors.DecodeError) as info:
        answer(build(), body)
    assert word in str(info.value)


def test_other_write_acknowledgements_keep_their_ids() -> None:
    with pytest.raises(errors.DecodeError) as info:
        answer(
            builders.create_order_group(contracts_limit=5),
            {"order_group_id": "g-1", "subaccount": "primary"},
            status=201,
        )
    assert info.value.acknowledged == {"order_group_id": "g-1"}
    assert info.value.order_id is None
    with pytest.raises(errors.DecodeError) as info:
        answer(
            builders.intra_exchange_instance_transfer(
                source="event_contract", destination="event_contract", amount=100
            ),
            {"transfer_id": ""},
        )
    assert "transfer_id" in str(info.value)
    assert info.value.acknowledged == {}  # an empty id acknowledges nothing


def test_batch_item_without_id_still_reports_the_accepted_ones() -> None:
    call = builders.batch_create_orders_v2(orders=[ORDER_V2, ORDER_V2])
    with pytest.raises(errors.DecodeError) as info:
        answer(call, {"orders": [{"order_id": "o-1"}, {"fill_count": "1.00"}]})
    assert info.value.order_ids == ("o-1",)


def test_2xx_carrying_an_error_raises_it() -> None:
    call = builders.create_order_v2(**ORDER_V2)
    with pytest.raises(errors.APIStatusError) as info:
        answer(call, {"error": {"code": "trading_is_paused", "message": "paused"}}, status=201)
    assert info.value.code == "trading_is_paused"
    assert info.value.status == 201
    # A null error is no error.
    ack = answer(call, {"order_id": "o-1", "error": None, "fill_count": "0.00"}, status=201)
    assert ack.order_id == "o-1"


def test_missing_required_fields_parse_as_none_never_zero() -> None:
    ack = answer(builders.create_order_v2(**ORDER_V2), {"order_id": "o-1"}, status=201)
    assert ack.fill_count is None
    assert ack.remaining_count is None
    assert ack.ts_ms is None
    balance = answer(builders.get_balance(), {"balance": 100})
    assert balance.balance_dollars is None
    assert balance.portfolio_value is None
    # Kalshi's own 2026 answers lack outcome_side and fill_count_fp on orders.
    page = answer(
        builders.get_orders(),
        {
            "orders": [{"order_id": "o-1", "ticker": MARKET, "yes_price_dollars": "0.40"}],
            "cursor": "",
        },
    )
    assert page.orders[0].outcome_side is None
    assert page.orders[0].fill_count_fp is None
    assert page.orders[0].yes_price_dollars == Decimal("0.40")
    group = answer(builders.get_order_group("g-1"), {"is_auto_cancel_enabled": True})
    assert group.orders is None
    total = answer(
        builders.get_portfolio_resting_order_total_value(), {"total_resting_order_value": 392}
    )
    assert total.total_resting_order_value == 392
    assert total.resting_order_value_breakdown is None


def test_v2_batch_reports_each_order_on_its_item() -> None:
    call = builders.batch_create_orders_v2(
        orders=[ORDER_V2, ORDER_V2 | {"price": "0.45"}, ORDER_V2]
    )
    body = {
        "orders": [
            {"order_id": "o-1", "fill_count": "0.00", "remaining_count": "5.00", "ts_ms": 1},
            {
                "client_order_id": None,
                "error": {"code": "invalid_order", "message": "insufficient balance"},
            },
            {
                "order_id": "o-3",
                "fill_count": "5.00",
                "remaining_count": "0.00",
                "average_fill_price": "0.40",
            },
        ]
    }
    result = answer(call, body, status=201)
    assert isinstance(result, models.BatchCreateOrdersV2Response)
    assert [o.order_id for o in result.accepted] == ["o-1", "o-3"]
    assert result.order_ids == ["o-1", "o-3"]
    [rejected] = result.rejected
    assert isinstance(rejected.error, models.ErrorResponse)
    assert rejected.error.code == "invalid_order"
    assert rejected.error.message == "insufficient balance"
    assert result.orders is not None
    assert result.orders[1] is rejected  # the position tells which order it was
    assert result.orders[2].average_fill_price == Decimal("0.40")


def test_v1_batch_reports_each_order_on_its_item() -> None:
    call = legacy(lambda: builders.batch_create_orders(orders=[ORDER_V1, ORDER_V1]))
    body = {
        "orders": [
            {
                "client_order_id": "a",
                "order": {"order_id": "o-1", "status": "resting", "yes_price": 40},
            },
            {"client_order_id": "b", "error": {"code": "order_already_exists", "message": "dup"}},
        ]
    }
    result = answer(call, body, status=201)
    assert result.order_ids == ["o-1"]
    assert result.rejected[0].client_order_id == "b"
    assert result.rejected[0].error.code == "order_already_exists"
    cancel = legacy(
        lambda: builders.batch_cancel_orders(orders=[{"order_id": "o-1"}, {"order_id": "o-9"}])
    )
    result = answer(
        cancel,
        {
            "orders": [
                {"order_id": "o-1", "reduced_by": 5, "reduced_by_fp": "5.00"},
                {
                    "order_id": "o-9",
                    "reduced_by": 0,
                    "error": {"code": "not_found", "message": "no"},
                },
            ]
        },
    )
    assert result.order_ids == ["o-1"]
    assert result.accepted[0].reduced_by_fp == Decimal("5")
    assert result.rejected[0].order_id == "o-9"


def _batch_server() -> Scripted:
    def respond(request: Any) -> tuple[int, Any]:
        sent = Scripted.json(request)["orders"]
        items = []
        for i, order in enumerate(sent):
            if order["price"] == "0.99":
                items.append({"error": {"code": "invalid_order", "message": "price too high"}})
            else:
                items.append(
                    {"order_id": f"o-{i}", "fill_count": "0.00", "remaining_count": order["count"]}
                )
        return 201, {"orders": items}

    return Scripted(respond)


def test_batch_with_one_invalid_order_on_every_driver(harness: Harness, wire: str) -> None:
    server = _batch_server()
    orders = [ORDER_V2, ORDER_V2 | {"price": "0.99"}, ORDER_V2 | {"count": "2"}]
    with scripted_client(harness, wire, server) as client:
        result = harness.run(lambda c: c.batch_create_orders_v2(orders=orders), client)
    assert result.order_ids == ["o-0", "o-2"]
    assert result.rejected[0].error.message == "price too high"
    assert result.accepted[1].remaining_count == Decimal("2")
    assert len(server.requests) == 1


def test_malformed_ack_keeps_order_id_on_every_driver(harness: Harness, wire: str) -> None:
    server = Scripted(lambda r: (201, {"order_id": "o-77", "fill_count": "?", "ts_ms": 1}))
    with (
        scripted_client(harness, wire, server) as client,
        pytest.raises(errors.DecodeError) as info,
    ):
        harness.run(lambda c: c.create_order_v2(**ORDER_V2), client)
    assert info.value.order_id == "o-77"
