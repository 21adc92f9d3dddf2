"""The fake's order endpoints: V2 writes on the YES book, and the shared order reads."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from kalshi_testing._exchange import Context, FakeError, handler, page, require
from kalshi_testing._state import Order
from kalshi_testing._wire import count_fp, iso, price

__all__ = ["order_json"]

_TIFS = ("fill_or_kill", "good_till_canceled", "immediate_or_cancel")
_STPS = ("taker_at_cross", "maker")


def order_json(order: Order) -> dict[str, Any]:
    """An order as spec 3.31's ``Order`` schema describes it."""
    yes = order.price
    bid = order.book_side == "bid"
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "client_order_id": order.client_order_id or "",
        "ticker": order.ticker,
        "side": "yes",
        "action": "buy" if bid else "sell",
        "outcome_side": "yes" if bid else "no",
        "book_side": order.book_side,
        "type": "limit",
        "status": order.status,
        "yes_price_dollars": price(yes),
        "no_price_dollars": price(Decimal(1) - yes),
        "fill_count_fp": count_fp(order.filled),
        "remaining_count_fp": count_fp(order.remaining),
        "initial_count_fp": count_fp(order.initial),
        "taker_fill_cost_dollars": price(order.taker_fill_cost),
        "maker_fill_cost_dollars": price(order.maker_fill_cost),
        "taker_fees_dollars": price(order.taker_fees),
        "maker_fees_dollars": price(order.maker_fees),
        "expiration_time": iso(order.expiration_ts) if order.expiration_ts else None,
        "created_time": iso(order.created),
        "last_update_time": iso(order.updated or order.created),
        "self_trade_prevention_type": order.self_trade_prevention_type,
        "order_group_id": order.order_group_id,
        "cancel_order_on_pause": order.cancel_order_on_pause,
        "subaccount_number": order.subaccount,
        "exchange_index": order.exchange_index,
    }
    return out


def _decimal(body: dict[str, Any], name: str, places: int) -> Decimal:
    raw = require(body, name)
    if not isinstance(raw, str):
        raise FakeError(400, "invalid_parameters", f"{name} must be a string")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FakeError(400, "invalid_parameters", f"{name} is not a number") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (isinstance(exponent, int) and -exponent > places):
        raise FakeError(400, "invalid_parameters", f"{name} has too many decimal places")
    return value


def _subaccount(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 63:
        raise FakeError(400, "invalid_parameters", "subaccount must be 0-63")
    return value


@handler("CreateOrderV2")
def create_order_v2(ctx: Context) -> tuple[int, Any]:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    return 201, _place_v2(ctx, body)


@handler("BatchCreateOrdersV2")
def batch_create_orders_v2(ctx: Context) -> tuple[int, Any]:
    """Each order is placed on its own; one that fails carries its error inside the 201."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    orders = require(body, "orders")
    if not isinstance(orders, list) or not 1 <= len(orders) <= 20:
        raise FakeError(400, "invalid_parameters", "orders must hold 1 to 20 orders")
    results = []
    for item in orders:
        item = item if isinstance(item, dict) else {}
        try:
            results.append(_place_v2(ctx, item))
        except FakeError as exc:
            results.append(
                {
                    "client_order_id": item.get("client_order_id"),
                    "error": {"code": exc.code, "message": exc.message},
                }
            )
    return 201, {"orders": results}


def _place_v2(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    ex = ctx.exchange
    ticker = require(body, "ticker")
    market = ex.markets.get(ticker)
    if market is None:
        raise FakeError(404, "market_not_found", f"market {ticker} not found")
    side = require(body, "side")
    if side not in ("bid", "ask"):
        raise FakeError(400, "invalid_parameters", "side must be bid or ask")
    limit_price = _decimal(body, "price", 4)
    if not Decimal(0) < limit_price < Decimal(1) or limit_price % market.tick:
        raise FakeError(
            400, "invalid_order", f"price {limit_price} is not a valid price for {ticker}"
        )
    count = _decimal(body, "count", 2)
    if count <= 0:
        raise FakeError(400, "invalid_order", "count must be positive")
    tif = require(body, "time_in_force")
    if tif not in _TIFS:
        raise FakeError(400, "invalid_parameters", "unknown time_in_force")
    stp = require(body, "self_trade_prevention_type")
    if stp not in _STPS:
        raise FakeError(400, "invalid_parameters", "unknown self_trade_prevention_type")
    if body.get("expiration_time") is not None and tif == "immediate_or_cancel":
        raise FakeError(
            400, "invalid_order", "expiration_time cannot be used with immediate_or_cancel"
        )
    subaccount = _subaccount(body.get("subaccount"))
    client_order_id = body.get("client_order_id") or None
    user = ctx.me
    if client_order_id and any(
        o.client_order_id == client_order_id and o.user_id == user.user_id
        for o in ex.orders.values()
    ):
        raise FakeError(
            409, "order_already_exists", "an order with this client_order_id already exists"
        )
    order = Order(
        order_id=str(uuid.uuid4()),
        user_id=user.user_id,
        ticker=ticker,
        book_side=side,
        price=limit_price,
        initial=count,
        created=ctx.now,
        updated=ctx.now,
        subaccount=subaccount,
        client_order_id=client_order_id,
        time_in_force=tif,
        self_trade_prevention_type=stp,
        post_only=bool(body.get("post_only")),
        reduce_only=bool(body.get("reduce_only")),
        cancel_order_on_pause=bool(body.get("cancel_order_on_pause")),
        order_group_id=body.get("order_group_id"),
        expiration_ts=body.get("expiration_time"),
        sequence=ex.next_sequence(),
    )
    cost = order.collateral_price * count
    if cost > user.balance(subaccount):
        raise FakeError(400, "insufficient_balance", "insufficient balance for this order")
    if tif != "good_till_canceled":
        # Nothing here crosses (the fake's book has no matching yet): IOC and FOK end unfilled.
        order.canceled = count
    else:
        user.balances[subaccount] = user.balance(subaccount) - cost
    ex.orders[order.order_id] = order
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "fill_count": count_fp(order.filled),
        "remaining_count": count_fp(order.remaining),
        "ts_ms": int(ctx.now * 1000),
    }


def _own_order(ctx: Context) -> Order:
    order = ctx.exchange.orders.get(ctx.path_params["order_id"])
    if order is None or order.user_id != ctx.me.user_id:
        raise FakeError(404, "not_found", "order not found")
    return order


@handler("CancelOrderV2")
def cancel_order_v2(ctx: Context) -> tuple[int, Any]:
    order = _own_order(ctx)
    if order.remaining <= 0:
        raise FakeError(404, "not_found", "order is not resting")
    reduced = order.remaining
    order.canceled += reduced
    order.updated = ctx.now
    user = ctx.me
    user.balances[order.subaccount] = (
        user.balance(order.subaccount) + order.collateral_price * reduced
    )
    return 200, {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "reduced_by": count_fp(reduced),
        "ts_ms": int(ctx.now * 1000),
    }


@handler("GetOrder")
def get_order(ctx: Context) -> tuple[int, Any]:
    return 200, {"order": order_json(_own_order(ctx))}


@handler("GetOrders")
def get_orders(ctx: Context) -> tuple[int, Any]:
    ex = ctx.exchange
    ticker = ctx.arg("ticker")
    events = {e for e in (ctx.arg("event_ticker") or "").split(",") if e}
    status = ctx.arg("status")
    min_ts = ctx.int_arg("min_ts")
    max_ts = ctx.int_arg("max_ts")
    subaccount = ctx.int_arg("subaccount", None, 0, 63)
    selected = []
    for order in ex.orders.values():
        if order.user_id != ctx.me.user_id:
            continue
        if ticker and order.ticker != ticker:
            continue
        if events and ex.markets[order.ticker].event_ticker not in events:
            continue
        if status and order.status != status:
            continue
        if min_ts is not None and order.created < min_ts:
            continue
        if max_ts is not None and order.created > max_ts:
            continue
        if subaccount is not None and order.subaccount != subaccount:
            continue
        selected.append(order)
    selected.sort(key=lambda o: o.sequence, reverse=True)
    chunk, cursor = page(selected, ctx)
    return 200, {"orders": [order_json(o) for o in chunk], "cursor": cursor}
