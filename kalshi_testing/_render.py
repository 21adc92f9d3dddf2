"""The fake's records as JSON, field by field as spec 3.31 names them (V1 shapes: spec 3.13).

Written by hand from the specs, not through the SDK's models: the fake is what the models are
tested against.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kalshi_testing._engine import Execution
from kalshi_testing._state import (
    CashMovement,
    Fill,
    IntraTransfer,
    Order,
    OrderGroup,
    Position,
    Settlement,
    SubaccountTransfer,
)
from kalshi_testing._wire import cents, count_fp, dollars, iso, price

__all__ = [
    "execution_ack",
    "fill_json",
    "group_json",
    "intra_transfer_json",
    "movement_json",
    "order_json",
    "position_json",
    "settlement_json",
    "subaccount_transfer_json",
]

ONE = Decimal(1)
_MICRO = Decimal("0.000001")


def _int(value: Decimal) -> int:
    return int(value)


def order_json(order: Order, *, v1: bool = False, legacy: bool = False) -> dict[str, Any]:
    """An order as spec 3.31's ``Order`` (``v1=True``: spec 3.13's, without ``outcome_side``,
    ``book_side`` and ``exchange_index``). ``legacy`` adds seed 003's integer fields."""
    bid = order.book_side == "bid"
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "client_order_id": order.client_order_id or "",
        "ticker": order.ticker,
        "side": order.side,
        "action": order.action,
    }
    if not v1:
        out["outcome_side"] = "yes" if bid else "no"
        out["book_side"] = order.book_side
    out.update(
        {
            "type": "limit",
            "status": order.status,
            "yes_price_dollars": price(order.price),
            "no_price_dollars": price(ONE - order.price),
            "fill_count_fp": count_fp(order.filled),
            "remaining_count_fp": count_fp(order.remaining),
            "initial_count_fp": count_fp(order.initial),
            "taker_fill_cost_dollars": dollars(order.taker_fill_cost),
            "maker_fill_cost_dollars": dollars(order.maker_fill_cost),
            "taker_fees_dollars": dollars(order.taker_fees),
            "maker_fees_dollars": dollars(order.maker_fees),
            "expiration_time": iso(order.expiration_ts) if order.expiration_ts else None,
            "created_time": iso(order.created),
            "last_update_time": iso(order.updated or order.created),
            "self_trade_prevention_type": order.self_trade_prevention_type,
            "order_group_id": order.order_group_id,
            "cancel_order_on_pause": order.cancel_order_on_pause,
            "subaccount_number": order.subaccount,
        }
    )
    if not v1:
        out["exchange_index"] = order.exchange_index
        if order.last_update_reason is not None:  # Kalshi's docs; not in spec 3.31's Order
            out["last_update_reason"] = order.last_update_reason
    if legacy:
        out.update(
            {
                "yes_price": _int(order.price * 100),
                "no_price": _int((ONE - order.price) * 100),
                "fill_count": _int(order.filled),
                "remaining_count": _int(order.remaining),
                "initial_count": _int(order.initial),
                "taker_fees": cents(order.taker_fees),
                "maker_fees": cents(order.maker_fees),
                "taker_fill_cost": cents(order.taker_fill_cost),
                "maker_fill_cost": cents(order.maker_fill_cost),
                "taker_fill_count": _int(order.taker_fill_count),
                "maker_fill_count": _int(order.maker_fill_count),
                "place_count": _int(order.initial),
                "amend_count": _int(order.amend_count),
                "amend_taker_fill_count": _int(order.amend_taker_fill_count),
                "decrease_count": _int(order.decrease_count),
                "close_cancel_count": _int(order.close_cancel_count),
                "fcc_cancel_count": 0,
                "taker_self_trade_cancel_count": _int(order.taker_self_trade_cancel_count),
            }
        )
    return out


def execution_ack(execution: Execution, now: float) -> dict[str, Any]:
    """CreateOrderV2Response (and a V2 batch item): the short acknowledgement."""
    order = execution.order
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "fill_count": count_fp(execution.filled),
        "remaining_count": count_fp(order.remaining),
        "ts_ms": int(now * 1000),
    }
    if execution.fills:
        average_price, average_fee = execution.average_price, execution.average_fee
        assert average_price is not None
        assert average_fee is not None
        out["average_fill_price"] = dollars(average_price.quantize(_MICRO))
        out["average_fee_paid"] = dollars(average_fee.quantize(_MICRO))
    return out


def fill_json(fill: Fill) -> dict[str, Any]:
    """A ``Fill`` (spec 3.31)."""
    bid = fill.book_side == "bid"
    return {
        "fill_id": fill.fill_id,
        "exchange_index": 0,
        "trade_id": fill.trade_id,
        "order_id": fill.order_id,
        "ticker": fill.ticker,
        "market_ticker": fill.ticker,
        "side": fill.side,
        "action": fill.action,
        "outcome_side": "yes" if bid else "no",
        "book_side": fill.book_side,
        "count_fp": count_fp(fill.count),
        "yes_price_dollars": price(fill.price),
        "no_price_dollars": price(ONE - fill.price),
        "is_taker": fill.is_taker,
        "created_time": iso(fill.created),
        "fee_cost": dollars(fill.fee),
        "subaccount_number": fill.subaccount,
        "ts": int(fill.created),
    }


def position_json(position: Position) -> dict[str, Any]:
    """A ``MarketPosition`` (spec 3.31)."""
    return {
        "ticker": position.ticker,
        "exchange_index": 0,
        "total_traded_dollars": dollars(position.total_traded),
        "position_fp": count_fp(position.signed),
        "market_exposure_dollars": dollars(position.exposure),
        "realized_pnl_dollars": dollars(position.realized_pnl),
        "fees_paid_dollars": dollars(position.fees_paid),
        "last_updated_ts": iso(position.updated),
    }


def event_position_json(event_ticker: str, positions: list[Position]) -> dict[str, Any]:
    """An ``EventPosition``: the event's market positions summed."""
    zero = Decimal(0)
    return {
        "event_ticker": event_ticker,
        "total_cost_dollars": dollars(sum((p.total_traded for p in positions), zero)),
        "total_cost_shares_fp": count_fp(sum((p.shares_traded for p in positions), zero)),
        "event_exposure_dollars": dollars(sum((p.exposure for p in positions), zero)),
        "realized_pnl_dollars": dollars(sum((p.realized_pnl for p in positions), zero)),
        "fees_paid_dollars": dollars(sum((p.fees_paid for p in positions), zero)),
    }


def settlement_json(settlement: Settlement) -> dict[str, Any]:
    """A ``Settlement`` (spec 3.31): ``revenue`` and ``value`` in cents."""
    return {
        "ticker": settlement.ticker,
        "exchange_index": 0,
        "event_ticker": settlement.event_ticker,
        "market_result": settlement.result,
        "yes_count_fp": count_fp(settlement.yes_count),
        "yes_total_cost_dollars": dollars(settlement.yes_cost),
        "no_count_fp": count_fp(settlement.no_count),
        "no_total_cost_dollars": dollars(settlement.no_cost),
        "revenue": cents(settlement.payout),
        "settled_time": iso(settlement.settled),
        "fee_cost": dollars(settlement.fees),
        "value": cents(settlement.value),
    }


def group_json(group: OrderGroup, *, with_orders: bool) -> dict[str, Any]:
    """An ``OrderGroup`` (or, ``with_orders``, a ``GetOrderGroupResponse``).

    ``is_auto_cancel_enabled`` reports whether the group is in its triggered (auto-cancel)
    state."""
    out: dict[str, Any] = {}
    if not with_orders:
        out["id"] = group.group_id
    out["contracts_limit_fp"] = count_fp(group.limit)
    out["is_auto_cancel_enabled"] = group.triggered
    if with_orders:
        out["orders"] = list(group.order_ids)
    out["exchange_index"] = 0
    return out


def movement_json(movement: CashMovement) -> dict[str, Any]:
    """A ``Deposit`` or ``Withdrawal``."""
    return {
        "id": movement.movement_id,
        "status": movement.status,
        "type": movement.method,
        "amount_cents": cents(movement.amount),
        "fee_cents": 0,
        "created_ts": int(movement.created),
        "finalized_ts": int(movement.created),
    }


def subaccount_transfer_json(transfer: SubaccountTransfer) -> dict[str, Any]:
    return {
        "transfer_id": transfer.transfer_id,
        "from_subaccount": transfer.from_subaccount,
        "to_subaccount": transfer.to_subaccount,
        "amount_cents": cents(transfer.amount),
        "created_ts": int(transfer.created),
        "exchange_index": 0,
    }


def intra_transfer_json(transfer: IntraTransfer) -> dict[str, Any]:
    return {
        "transfer_id": transfer.transfer_id,
        "source": transfer.source,
        "destination": transfer.destination,
        "source_exchange_shard": 0,
        "destination_exchange_shard": 0,
        "amount": dollars(transfer.amount),
        "status": transfer.status,
        "created_ts": int(transfer.created),
    }
