"""The V1 order writes (spec 3.13 and the seeds) on the same book as V2.

A V1 order names an outcome ``side`` (yes/no), an ``action`` (buy/sell) and a price in cents or
dollars for either side; the book stores it as a bid or ask on YES: buy YES at p = bid at p,
sell YES at p = ask at p, buy NO at p = ask at 1 - p, sell NO at p = bid at 1 - p. Responses
carry full ``Order`` records (spec 3.13's shape) echoing the side and action as placed.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from kalshi_testing._errors import FakeError, invalid_order
from kalshi_testing._exchange import Context, handler
from kalshi_testing._orders import (
    amend,
    batch_items,
    decrease_target,
    resting_order,
    submit,
)
from kalshi_testing._parse import (
    PRICE_PLACES,
    bad,
    body_of,
    boolean,
    count_value,
    on_grid,
    optional_fixed,
    optional_integer,
    string,
    subaccount_of,
)
from kalshi_testing._render import order_json
from kalshi_testing._state import Market, Order
from kalshi_testing._wire import count_fp

__all__: list[str] = []

ONE = Decimal(1)
_TIFS = ("fill_or_kill", "good_till_canceled", "immediate_or_cancel")
_STPS = ("taker_at_cross", "maker")

#: The V2 page each V1 write's 410 answer points to.
_V2_PAGES = {
    "CreateOrder": "create-order-v2",
    "BatchCreateOrders": "batch-create-orders-v2",
    "CancelOrder": "cancel-order-v2",
    "BatchCancelOrders": "batch-cancel-orders-v2",
    "AmendOrder": "amend-order-v2",
    "DecreaseOrder": "decrease-order-v2",
}


def _v1_write(ctx: Context) -> None:
    """410 ``deprecated_v1_order_endpoint`` unless the exchange serves V1 writes: Kalshi
    turned them off in June 2026 ("Please switch to the V2 endpoints", with a link)."""
    if ctx.exchange.serve_v1_writes:
        return
    page = _V2_PAGES[ctx.operation.operation_id]
    raise FakeError(
        410,
        "deprecated_v1_order_endpoint",
        f"Please switch to the V2 endpoints: https://docs.kalshi.com/api-reference/orders/{page}",
        ctx.operation.operation_id,
    )


def _twin(body: dict[str, Any], name: str, *, lo: int) -> Decimal | None:
    """An integer field and its ``_fp`` twin: either, or both when they agree."""
    whole = optional_integer(body, name, lo)
    fp = optional_fixed(body, f"{name}_fp")
    if whole is not None and fp is not None and Decimal(whole) != fp:
        raise bad(f"{name}_fp", f"does not match {name}")
    if fp is not None:
        return fp
    return None if whole is None else Decimal(whole)


def _yes_price(body: dict[str, Any], market: Market, *, required: bool) -> Decimal | None:
    """The YES price of a V1 request: exactly one of yes_price, no_price (cents) and their
    ``_dollars`` twins."""
    given = [
        n
        for n in ("yes_price", "no_price", "yes_price_dollars", "no_price_dollars")
        if body.get(n) is not None
    ]
    if not given:
        if required:
            raise FakeError(400, "invalid_parameters", "one of yes_price or no_price is required")
        return None
    if len(given) > 1:
        raise FakeError(
            400, "invalid_parameters", "exactly one of yes_price and no_price must be passed"
        )
    name = given[0]
    if name.endswith("_dollars"):
        value = optional_fixed(body, name, PRICE_PLACES)
        assert value is not None
    else:
        cents = optional_integer(body, name, 1, 99)
        assert cents is not None
        value = Decimal(cents) / 100
    yes = value if name.startswith("yes") else ONE - value
    return on_grid(market, yes, name)


def _book_side(side: str, action: str) -> str:
    buys_yes = (side == "yes") == (action == "buy")
    return "bid" if buys_yes else "ask"


def _v1_order(ctx: Context, body: Any) -> tuple[Order, Decimal | None]:
    if not isinstance(body, dict):
        raise FakeError(400, "invalid_parameters", "each order must be a JSON object")
    ticker = string(body, "ticker")
    assert ticker is not None
    market = ctx.engine.market(ticker)
    side = string(body, "side")
    if side not in ("yes", "no"):
        raise bad("side", "must be yes or no")
    action = string(body, "action")
    if action not in ("buy", "sell"):
        raise bad("action", "must be buy or sell")
    count = _twin(body, "count", lo=1)
    if count is None:
        raise FakeError(400, "invalid_parameters", "count or count_fp is required", "count")
    count_value(count)
    yes = _yes_price(body, market, required=True)
    assert yes is not None
    tif = string(body, "time_in_force", required=False) or "good_till_canceled"
    if tif not in _TIFS:
        raise bad("time_in_force", "is not a known value")
    stp = string(body, "self_trade_prevention_type", required=False)
    if stp is not None and stp not in _STPS:
        raise bad("self_trade_prevention_type", "is not a known value")
    floor = optional_integer(body, "sell_position_floor")
    if floor not in (None, 0):
        raise bad("sell_position_floor", "only accepts 0")
    max_cost = optional_integer(body, "buy_max_cost", 1)
    expiration = optional_integer(body, "expiration_ts", 0)
    if expiration is not None and tif == "immediate_or_cancel":
        raise invalid_order("expiration_ts cannot be used with immediate_or_cancel")
    order = Order(
        order_id=str(uuid.uuid4()),
        user_id=ctx.me.user_id,
        ticker=ticker,
        book_side="bid" if _book_side(side, action) == "bid" else "ask",
        price=yes,
        initial=count,
        created=ctx.now,
        subaccount=subaccount_of(body),
        client_order_id=string(body, "client_order_id", required=False),
        time_in_force="fill_or_kill" if max_cost is not None else tif,
        self_trade_prevention_type=stp,
        post_only=boolean(body, "post_only"),
        reduce_only=boolean(body, "reduce_only") or floor == 0,
        cancel_order_on_pause=boolean(body, "cancel_order_on_pause"),
        order_group_id=string(body, "order_group_id", required=False),
        expiration_ts=expiration or None,
        legacy_side=side,
        legacy_action=action,
    )
    return order, None if max_cost is None else Decimal(max_cost) / 100


def _v1_json(ctx: Context, order: Order) -> dict[str, Any]:
    return order_json(order, v1=True, legacy=ctx.exchange.legacy_fields)


@handler("CreateOrder")
def create_order(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    order, max_cost = _v1_order(ctx, body_of(ctx))
    submit(ctx, order, max_cost=max_cost)
    return 201, {"order": _v1_json(ctx, order)}


@handler("BatchCreateOrders")
def batch_create_orders(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    results = []
    for item in batch_items(ctx, body_of(ctx), "orders"):
        cid = item.get("client_order_id") if isinstance(item, dict) else None
        cid = cid if isinstance(cid, str) else None
        try:
            order, max_cost = _v1_order(ctx, item)
            submit(ctx, order, max_cost=max_cost)
            results.append({"client_order_id": cid, "order": _v1_json(ctx, order), "error": None})
        except FakeError as exc:
            results.append({"client_order_id": cid, "order": None, "error": exc.body()})
    return 201, {"orders": results}


@handler("CancelOrder")
def cancel_order(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    subaccount = ctx.subaccount_arg(default_primary=True)
    order = resting_order(ctx, ctx.path_params["order_id"], subaccount)
    reduced = ctx.engine.cancel(order, ctx.now)
    return 200, {"order": _v1_json(ctx, order), "reduced_by_fp": count_fp(reduced)}


@handler("BatchCancelOrders")
def batch_cancel_orders(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    body = body_of(ctx)
    if body.get("orders") is None and isinstance(body.get("ids"), list):
        items: list[Any] = [{"order_id": i} for i in batch_items(ctx, body, "ids")]
    else:
        items = batch_items(ctx, body, "orders")
    results = []
    for item in items:
        order_id = item.get("order_id") if isinstance(item, dict) else None
        try:
            if not isinstance(order_id, str) or not order_id:
                raise bad("order_id", "is required")
            order = resting_order(ctx, order_id, subaccount_of(item))
            reduced = ctx.engine.cancel(order, ctx.now)
            results.append(
                {
                    "order_id": order_id,
                    "order": _v1_json(ctx, order),
                    "reduced_by_fp": count_fp(reduced),
                    "error": None,
                }
            )
        except FakeError as exc:
            results.append(
                {
                    "order_id": order_id if isinstance(order_id, str) else "",
                    "order": None,
                    "reduced_by_fp": count_fp(Decimal(0)),
                    "error": exc.body(),
                }
            )
    return 200, {"orders": results}


@handler("AmendOrder")
def amend_order(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    body = body_of(ctx)
    order = resting_order(ctx, ctx.path_params["order_id"], subaccount_of(body))
    market = ctx.engine.market(order.ticker)
    if string(body, "ticker") != order.ticker:
        raise bad("ticker", "does not match the order")
    if string(body, "side") != order.side:
        raise bad("side", "does not match the order")
    if string(body, "action") != order.action:
        raise bad("action", "does not match the order")
    yes = _yes_price(body, market, required=True)
    assert yes is not None
    total = _twin(body, "count", lo=1)
    if total is None:
        total = order.filled + order.remaining
    count_value(total)
    before = _v1_json(ctx, order)
    amend(ctx, order, body, yes, total)
    return 200, {"old_order": before, "order": _v1_json(ctx, order)}


@handler("DecreaseOrder")
def decrease_order(ctx: Context) -> tuple[int, Any]:
    _v1_write(ctx)
    body = body_of(ctx)
    order = resting_order(ctx, ctx.path_params["order_id"], subaccount_of(body))
    target = decrease_target(order, _twin(body, "reduce_by", lo=1), _twin(body, "reduce_to", lo=0))
    ctx.engine.decrease(order, target, ctx.now)
    return 200, {"order": _v1_json(ctx, order)}
