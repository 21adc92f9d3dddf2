"""Deterministic, realistic response bodies for the benchmarks.

Every page carries every field the current spec (3.31) lists for the record, plus the legacy
integer fields of the earlier era (which the official SDK 3.2.0 still *requires*), with varied
prices, counts, statuses and timestamps. ``current_only`` drops the legacy fields: the shape
Kalshi answers today.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["balance_body", "fills_page", "orders_page", "positions_page"]

_TICKERS = [
    "HIGHNY-24JAN01-T60",
    "KXBTC-25DEC31-B100000",
    "INXD-26MAR14-B5625",
    "KXFEDDECISION-26MAR-H0",
    "PRES-2028-DJT",
    "KXNBAGAME-26MAR14LALBOS-LAL",
]
_EPOCH = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def _rng(seed: int) -> random.Random:
    return random.Random(seed)


def _stamp(rng: random.Random) -> str:
    """An RFC 3339 UTC time with 0 to 6 fractional digits, as Go prints it."""
    back = timedelta(seconds=rng.randint(0, 90 * 86400), microseconds=rng.randint(0, 999_999))
    when = _EPOCH - back
    digits = rng.choice([0, 3, 6, 6, 6])
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{when.microsecond:06d}"[:digits]
    return text + "Z"


def _dollars(cents: int | float, places: int = 4) -> str:
    return f"{cents / 100:.{places}f}"


def _fp(count: int) -> str:
    return f"{count}.00"


def _order(rng: random.Random, current_only: bool) -> dict[str, Any]:
    yes_cents = rng.randint(1, 99)
    initial = rng.choice([1, 5, 10, 25, 100, 250, 1000, rng.randint(1, 5000)])
    status = rng.choice(["resting", "canceled", "executed"])
    filled = initial if status == "executed" else rng.randint(0, initial)
    remaining = 0 if status != "resting" else initial - filled
    taker = rng.randint(0, filled)
    maker = filled - taker
    side = rng.choice(["yes", "no"])
    action = rng.choice(["buy", "sell"])
    price = yes_cents if side == "yes" else 100 - yes_cents
    taker_fees = (taker * 7 + 99) // 100
    maker_fees = (maker * 2 + 99) // 100 if rng.random() < 0.3 else 0
    created = _stamp(rng)
    order: dict[str, Any] = {
        "order_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "user_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "client_order_id": f"bot-{rng.getrandbits(48):012x}",
        "ticker": rng.choice(_TICKERS),
        "side": side,
        "action": action,
        "outcome_side": side,
        "book_side": "bid" if (side == "yes") == (action == "buy") else "ask",
        "type": rng.choice(["limit", "limit", "limit", "market"]),
        "status": status,
        "yes_price_dollars": _dollars(yes_cents),
        "no_price_dollars": _dollars(100 - yes_cents),
        "fill_count_fp": _fp(filled),
        "remaining_count_fp": _fp(remaining),
        "initial_count_fp": _fp(initial),
        "taker_fill_cost_dollars": _dollars(taker * price),
        "maker_fill_cost_dollars": _dollars(maker * price),
        "taker_fees_dollars": _dollars(taker_fees),
        "maker_fees_dollars": _dollars(maker_fees),
        "expiration_time": _stamp(rng) if rng.random() < 0.2 else None,
        "created_time": created,
        "last_update_time": _stamp(rng),
        "self_trade_prevention_type": rng.choice(["taker_at_cross", "maker"]),
        "order_group_id": str(uuid.UUID(int=rng.getrandbits(128))) if rng.random() < 0.3 else None,
        "cancel_order_on_pause": rng.random() < 0.5,
        "subaccount_number": rng.choice([0, 0, 0, 1, 2]),
        "exchange_index": 0,
    }
    if not current_only:
        order.update(
            yes_price=yes_cents,
            no_price=100 - yes_cents,
            fill_count=filled,
            remaining_count=remaining,
            initial_count=initial,
            taker_fees=taker_fees,
            maker_fees=maker_fees,
            taker_fill_cost=taker * price,
            maker_fill_cost=maker * price,
            taker_fill_count=taker,
            maker_fill_count=maker,
            place_count=initial,
            queue_position=0,
            amend_count=rng.randint(0, 2),
            amend_taker_fill_count=0,
            decrease_count=rng.randint(0, 1),
            close_cancel_count=0,
            fcc_cancel_count=0,
            taker_self_trade_cancel_count=0,
        )
    return order


def _fill(rng: random.Random, current_only: bool) -> dict[str, Any]:
    yes_cents = rng.randint(1, 99)
    count = rng.choice([1, 2, 5, 10, 50, rng.randint(1, 500)])
    side = rng.choice(["yes", "no"])
    action = rng.choice(["buy", "sell"])
    fill_id = str(uuid.UUID(int=rng.getrandbits(128)))
    ticker = rng.choice(_TICKERS)
    created = _stamp(rng)
    ts = int(datetime.fromisoformat(created).timestamp())
    fill: dict[str, Any] = {
        "fill_id": fill_id,
        "exchange_index": 0,
        "trade_id": fill_id,
        "order_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "ticker": ticker,
        "market_ticker": ticker,
        "side": side,
        "action": action,
        "outcome_side": side,
        "book_side": "bid" if (side == "yes") == (action == "buy") else "ask",
        "count_fp": _fp(count),
        "yes_price_dollars": _dollars(yes_cents),
        "no_price_dollars": _dollars(100 - yes_cents),
        "is_taker": rng.random() < 0.6,
        "created_time": created,
        "fee_cost": _dollars((count * 7 + 99) // 100),
        "subaccount_number": 0,
        "ts": ts,
    }
    if not current_only:
        fill.update(
            client_order_id=f"bot-{rng.getrandbits(48):012x}",
            count=count,
            price=yes_cents / 100,
            yes_price=yes_cents,
            no_price=100 - yes_cents,
            yes_price_fixed=_dollars(yes_cents),
            no_price_fixed=_dollars(100 - yes_cents),
        )
    return fill


def _position(rng: random.Random, current_only: bool) -> dict[str, Any]:
    position = rng.randint(-2000, 2000)
    traded = abs(position) * rng.randint(1, 99) + rng.randint(0, 50_000)
    exposure = abs(position) * rng.randint(1, 99)
    pnl = rng.randint(-20_000, 20_000)
    fees = rng.randint(0, 3_000)
    entry: dict[str, Any] = {
        "ticker": f"{rng.choice(_TICKERS)}-{rng.randint(0, 9999)}",
        "exchange_index": 0,
        "total_traded_dollars": _dollars(traded),
        "position_fp": _fp(position),
        "market_exposure_dollars": _dollars(exposure),
        "realized_pnl_dollars": _dollars(pnl),
        "fees_paid_dollars": _dollars(fees),
        "last_updated_ts": _stamp(rng),
    }
    if not current_only:
        entry.update(
            total_traded=traded,
            position=position,
            market_exposure=exposure,
            realized_pnl=pnl,
            resting_orders_count=rng.randint(0, 5),
            fees_paid=fees,
        )
    return entry


def _body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def orders_page(n: int = 1000, *, current_only: bool = False, seed: int = 1) -> bytes:
    """A GetOrders page of ``n`` orders."""
    rng = _rng(seed)
    return _body({"orders": [_order(rng, current_only) for _ in range(n)], "cursor": "c2VlZA"})


def fills_page(n: int = 1000, *, current_only: bool = False, seed: int = 2) -> bytes:
    """A GetFills page of ``n`` fills."""
    rng = _rng(seed)
    return _body({"fills": [_fill(rng, current_only) for _ in range(n)], "cursor": "c2VlZA"})


def positions_page(n: int = 1000, *, current_only: bool = False, seed: int = 3) -> bytes:
    """A GetPositions page of ``n`` market positions (and no event positions)."""
    rng = _rng(seed)
    return _body(
        {
            "market_positions": [_position(rng, current_only) for _ in range(n)],
            "event_positions": [],
            "cursor": "c2VlZA",
        }
    )


def balance_body() -> bytes:
    """A GetBalance answer with both the current and the legacy fields."""
    return _body(
        {
            "balance": 100_000,
            "balance_dollars": "1000.0000",
            "portfolio_value": 25_000,
            "updated_ts": 1_773_500_966,
        }
    )
