"""Responses of both eras round-trip through the models with nothing lost.

The seed-era bodies are written from the seeds' text (003: the older GetOrders reference with the
integer-cents and count fields; 002: GetPositions' count_filter naming ``position``,
``total_traded``, ``resting_order_count``) and Kalshi's reference pages of the same era; the
current bodies from spec 3.31's schemas. ``structure`` then ``unstructure`` must give back every
key that was sent (a ``null`` is the same as an absent key: both are ``None``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import models as m
from kalshi_core.models._converter import structure, unstructure

SEED_ORDER = {
    "order_id": "ee2d7a4f-0f3a-4b7e-9d3c-2c5e2f1a9b10",
    "user_id": "5f0c8a1e-1234-4c1b-9a8e-7b7d1c0e2f33",
    "client_order_id": "my-order-1",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "buy",
    "type": "limit",
    "status": "resting",
    "yes_price": 56,
    "no_price": 44,
    "yes_price_dollars": "0.5600",
    "no_price_dollars": "0.4400",
    "fill_count": 3,
    "remaining_count": 7,
    "initial_count": 10,
    "taker_fees": 2,
    "maker_fees": 0,
    "taker_fill_cost": 168,
    "maker_fill_cost": 0,
    "taker_fill_cost_dollars": "1.6800",
    "maker_fill_cost_dollars": "0.0000",
    "taker_fees_dollars": "0.0200",
    "maker_fees_dollars": "0.0000",
    "queue_position": 0,
    "amend_count": 0,
    "amend_taker_fill_count": 0,
    "close_cancel_count": 0,
    "decrease_count": 0,
    "fcc_cancel_count": 0,
    "maker_fill_count": 0,
    "place_count": 10,
    "taker_fill_count": 3,
    "taker_self_trade_cancel_count": 0,
    "expiration_time": None,
    "created_time": "2025-11-02T23:37:19Z",
    "last_update_time": "2025-11-02T23:40:00Z",
    "self_trade_prevention_type": "taker_at_cross",
    "order_group_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "cancel_order_on_pause": True,
}

CURRENT_ORDER = {
    "order_id": "ee2d7a4f-0f3a-4b7e-9d3c-2c5e2f1a9b10",
    "user_id": "5f0c8a1e-1234-4c1b-9a8e-7b7d1c0e2f33",
    "client_order_id": "",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "sell",
    "outcome_side": "no",
    "book_side": "ask",
    "type": "limit",
    "status": "executed",
    "yes_price_dollars": "0.5600",
    "no_price_dollars": "0.4400",
    "fill_count_fp": "10.00",
    "remaining_count_fp": "0.00",
    "initial_count_fp": "10.00",
    "taker_fill_cost_dollars": "4.400000",
    "maker_fill_cost_dollars": "0.000000",
    "taker_fees_dollars": "0.180000",
    "maker_fees_dollars": "0.000000",
    "created_time": "2026-05-01T12:00:00Z",
    "last_update_time": "2026-05-01T12:00:01Z",
    "self_trade_prevention_type": "maker",
    "cancel_order_on_pause": False,
    "subaccount_number": 3,
    "exchange_index": 0,
}

SEED_FILL = {
    "fill_id": "f-1",
    "trade_id": "f-1",
    "order_id": "o-1",
    "client_order_id": "my-order-1",
    "ticker": "HIGHNY-24JAN01-T60",
    "market_ticker": "HIGHNY-24JAN01-T60",
    "side": "no",
    "action": "buy",
    "count": 3,
    "count_fp": "3.00",
    "price": 0.44,
    "yes_price": 56,
    "no_price": 44,
    "yes_price_fixed": "0.5600",
    "no_price_fixed": "0.4400",
    "is_taker": True,
    "created_time": "2025-11-02T23:40:00Z",
    "ts": 1762126800,
}

CURRENT_FILL = {
    "fill_id": "f-1",
    "trade_id": "f-1",
    "order_id": "o-1",
    "ticker": "HIGHNY-24JAN01-T60",
    "market_ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "buy",
    "outcome_side": "yes",
    "book_side": "bid",
    "count_fp": "3.00",
    "yes_price_dollars": "0.560000",
    "no_price_dollars": "0.440000",
    "is_taker": False,
    "fee_cost": "0.020000",
    "created_time": "2026-05-01T12:00:00Z",
    "ts": 1777636800,
    "subaccount_number": 0,
    "exchange_index": 0,
}

SEED_POSITIONS = {
    "cursor": "",
    "market_positions": [
        {
            "ticker": "HIGHNY-24JAN01-T60",
            "total_traded": 168,
            "total_traded_dollars": "1.6800",
            "position": -3,
            "position_fp": "-3.00",
            "market_exposure": 132,
            "market_exposure_dollars": "1.3200",
            "realized_pnl": 0,
            "realized_pnl_dollars": "0.0000",
            "resting_orders_count": 7,
            "fees_paid": 2,
            "fees_paid_dollars": "0.0200",
            "last_updated_ts": "2025-11-02T23:40:00Z",
        }
    ],
    "event_positions": [
        {
            "event_ticker": "HIGHNY-24JAN01",
            "total_cost": 168,
            "total_cost_dollars": "1.6800",
            "total_cost_shares": 3,
            "total_cost_shares_fp": "3.00",
            "event_exposure": 132,
            "event_exposure_dollars": "1.3200",
            "realized_pnl": 0,
            "realized_pnl_dollars": "0.0000",
            "resting_orders_count": 7,
            "fees_paid": 2,
            "fees_paid_dollars": "0.0200",
        }
    ],
}

CURRENT_POSITIONS = {
    "cursor": "abc",
    "market_positions": [
        {
            "ticker": "HIGHNY-24JAN01-T60",
            "total_traded_dollars": "1.680000",
            "position_fp": "-3.00",
            "market_exposure_dollars": "1.320000",
            "realized_pnl_dollars": "0.000000",
            "fees_paid_dollars": "0.020000",
            "last_updated_ts": "2026-05-01T12:00:00Z",
            "exchange_index": 0,
        }
    ],
    "event_positions": [
        {
            "event_ticker": "HIGHNY-24JAN01",
            "total_cost_dollars": "1.680000",
            "total_cost_shares_fp": "3.00",
            "event_exposure_dollars": "1.320000",
            "realized_pnl_dollars": "0.000000",
            "fees_paid_dollars": "0.020000",
        }
    ],
}

SEED_SETTLEMENT = {
    "ticker": "HIGHNY-24JAN01-T60",
    "event_ticker": "HIGHNY-24JAN01",
    "market_result": "no",
    "yes_count": 0,
    "yes_count_fp": "0.00",
    "yes_total_cost": 0,
    "no_count": 3,
    "no_count_fp": "3.00",
    "no_total_cost": 132,
    "revenue": 300,
    "settled_time": "2025-11-03T00:00:00Z",
    "fee_cost": "0.0200",
    "value": 0,
}

CURRENT_SETTLEMENT = {
    "ticker": "HIGHNY-24JAN01-T60",
    "event_ticker": "HIGHNY-24JAN01",
    "market_result": "scalar",
    "yes_count_fp": "2.00",
    "yes_total_cost_dollars": "1.000000",
    "no_count_fp": "0.00",
    "no_total_cost_dollars": "0.000000",
    "revenue": 130,
    "settled_time": "2026-05-02T00:00:00Z",
    "fee_cost": "0.040000",
    "value": 65,
    "exchange_index": 0,
}

CASES: list[tuple[str, type[Any], dict[str, Any]]] = [
    ("seed order", m.Order, SEED_ORDER),
    ("3.31 order", m.Order, CURRENT_ORDER),
    ("seed orders page", m.GetOrdersResponse, {"orders": [SEED_ORDER], "cursor": "c"}),
    ("3.31 orders page", m.GetOrdersResponse, {"orders": [CURRENT_ORDER], "cursor": ""}),
    ("seed fill", m.Fill, SEED_FILL),
    ("3.31 fill", m.Fill, CURRENT_FILL),
    ("seed positions", m.GetPositionsResponse, SEED_POSITIONS),
    ("3.31 positions", m.GetPositionsResponse, CURRENT_POSITIONS),
    ("seed settlement", m.Settlement, SEED_SETTLEMENT),
    ("3.31 settlement", m.Settlement, CURRENT_SETTLEMENT),
    (
        "seed balance",
        m.GetBalanceResponse,
        {"balance": 100000, "portfolio_value": 2500, "updated_ts": 1762126800},
    ),
    (
        "3.31 balance",
        m.GetBalanceResponse,
        {"balance": 100000, "balance_dollars": "1000.00", "portfolio_value": 2500},
    ),
    (
        "seed cancel",
        m.CancelOrderResponse,
        {"order": SEED_ORDER | {"status": "canceled"}, "reduced_by": 7},
    ),
    (
        "3.13 cancel",
        m.CancelOrderResponse,
        {"order": CURRENT_ORDER, "reduced_by_fp": "7.00"},
    ),
    (
        "seed batch cancel",
        m.BatchCancelOrdersResponse,
        {
            "orders": [
                {"order_id": "o-1", "order": SEED_ORDER, "reduced_by": 7},
                {
                    "order_id": "o-2",
                    "reduced_by": 0,
                    "error": {"code": "not_found", "message": "order not found"},
                },
            ]
        },
    ),
    (
        "3.31 batch cancel",
        m.BatchCancelOrdersV2Response,
        {
            "orders": [
                {"order_id": "o-1", "client_order_id": "c", "reduced_by": "7.00", "ts_ms": 1},
                {
                    "order_id": "o-2",
                    "reduced_by": "0.00",
                    "error": {"code": "not_found", "message": "order not found", "service": "x"},
                },
            ]
        },
    ),
    ("seed queue position", m.GetOrderQueuePositionResponse, {"queue_position": 12}),
    ("3.31 queue position", m.GetOrderQueuePositionResponse, {"queue_position_fp": "12.00"}),
    (
        "seed queue positions",
        m.GetOrderQueuePositionsResponse,
        {"queue_positions": [{"order_id": "o-1", "market_ticker": "T", "queue_position": 4}]},
    ),
    (
        "3.31 queue positions",
        m.GetOrderQueuePositionsResponse,
        {
            "queue_positions": [
                {"order_id": "o-1", "market_ticker": "T", "queue_position_fp": "4.00"}
            ]
        },
    ),
    (
        "seed order groups",
        m.GetOrderGroupsResponse,
        {"order_groups": [{"id": "g-1", "is_auto_cancel_enabled": True, "contracts_limit": 50}]},
    ),
    (
        "3.31 order groups",
        m.GetOrderGroupsResponse,
        {
            "order_groups": [
                {
                    "id": "g-1",
                    "is_auto_cancel_enabled": False,
                    "contracts_limit_fp": "50.00",
                    "exchange_index": 0,
                }
            ]
        },
    ),
    (
        "seed order group",
        m.GetOrderGroupResponse,
        {"is_auto_cancel_enabled": True, "orders": ["o-1"]},
    ),
    (
        "3.31 order group",
        m.GetOrderGroupResponse,
        {"is_auto_cancel_enabled": True, "orders": [], "contracts_limit_fp": "5.00"},
    ),
    (
        "seed resting total",
        m.GetPortfolioRestingOrderTotalValueResponse,
        {"total_resting_order_value": 392},
    ),
]


def _comparable(value: Any) -> Any:
    """JSON as the models see it: ``null`` is absent, and a JSON number in a money field (the
    seed era's deprecated ``Fill.price``) is the decimal it denotes."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return value


@pytest.mark.parametrize(("label", "cls", "body"), CASES, ids=[c[0] for c in CASES])
def test_round_trip_loses_nothing(label: str, cls: type[Any], body: dict[str, Any]) -> None:
    model = structure(body, cls)
    assert unstructure(model) == _comparable(body)


def test_legacy_fields_are_typed() -> None:
    order = structure(SEED_ORDER, m.Order)
    assert order.yes_price == 56
    assert isinstance(order.yes_price, int)
    assert order.yes_price_dollars == Decimal("0.56")
    assert order.fill_count == 3
    assert order.remaining_count == 7
    fill = structure(SEED_FILL, m.Fill)
    assert fill.count == 3
    assert fill.price == Decimal("0.44")
    assert isinstance(fill.price, Decimal)
    assert fill.no_price_fixed == Decimal("0.44")
    pos = structure(SEED_POSITIONS, m.GetPositionsResponse)
    assert pos.market_positions is not None
    assert pos.event_positions is not None
    assert pos.market_positions[0].position == -3
    assert pos.market_positions[0].resting_orders_count == 7
    assert pos.event_positions[0].total_cost_shares == 3
    settlement = structure(SEED_SETTLEMENT, m.Settlement)
    assert settlement.no_total_cost == 132


def test_current_body_leaves_legacy_fields_none_not_zero() -> None:
    order = structure(CURRENT_ORDER, m.Order)
    assert order.yes_price is None
    assert order.fill_count is None
    assert order.fill_count_fp == Decimal("10")
    pos = structure(CURRENT_POSITIONS, m.GetPositionsResponse)
    assert pos.market_positions is not None
    assert pos.market_positions[0].position is None
    assert pos.market_positions[0].position_fp == Decimal("-3")
