"""The fake's order endpoints: V2 writes on the YES book, the shared order reads and queue
positions. Handlers are thin: parse, call the engine, render."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from kalshi_testing._engine import Execution
from kalshi_testing._errors import FakeError, invalid_order
from kalshi_testing._exchange import Context, handler, page
from kalshi_testing._parse import (
    PRICE_PLACES,
    body_of,
    boolean,
    count_value,
    fixed,
    on_grid,
    optional_fixed,
    optional_integer,
    string,
    subaccount_of,
)
from kalshi_testing._ratelimit import FakeRateLimits
from kalshi_testing._render import execution_ack, order_json
from kalshi_testing._state import Order
from kalshi_testing._wire import count_fp

__all__ = [
    "amend",
    "batch_items",
    "decrease_target",
    "max_batch",
    "own_order",
    "resting_order",
    "submit",
]

_TIFS = ("fill_or_kill", "good_till_canceled", "immediate_or_cancel")
_STPS = ("taker_at_cross", "maker")


def own_order(ctx: Context, order_id: str, subaccount: int | None = None) -> Order:
    """The caller's order ``order_id`` (in ``subaccount`` when given); 404 otherwise."""
    order = ctx.engine.orders.get(order_id)
    if order is None or order.user_id != ctx.me.user_id:
        raise FakeError(404, "not_found", "order not found")
    if subaccount is not None and order.subaccount != subaccount:
        raise FakeError(404, "not_found", "order not found in this subaccount")
    return order


def resting_order(
    ctx: Context, order_id: str, subaccount: int | None = None, *, write: bool = True
) -> Order:
    """The caller's resting order ``order_id``; 404 when it is not resting. For a ``write``
    (cancel, decrease, amend) the market must allow it first: 409 ``exchange_is_paused``
    during an exchange pause, 409 ``market_closed`` once the market closed."""
    order = own_order(ctx, order_id, subaccount)
    if write:
        ctx.engine.cancellable(order.ticker)
    if order.remaining <= 0:
        raise FakeError(404, "not_found", "order is not resting")
    return order


def max_batch(ctx: Context) -> int:
    """The most orders one batch of this operation may hold: what fits in a full write bucket
    of the account's tier (Kalshi: "the maximum batch size scales with your tier's write
    budget"). Without rate limits the fake reports the Prime tier, and uses its bucket."""
    limits = ctx.exchange.rate_limits or FakeRateLimits("prime")
    per_order = limits.per_item_cost(ctx.operation.operation_id)
    return max(int(limits.write_capacity // per_order), 1)


def batch_items(ctx: Context, body: dict[str, Any], name: str) -> list[Any]:
    """A batch's list: 1 to :func:`max_batch` items, else 400 for the whole request."""
    items = body.get(name)
    if not isinstance(items, list) or not items:
        raise FakeError(400, "invalid_parameters", f"{name} must be a non-empty list", name)
    most = max_batch(ctx)
    if len(items) > most:
        raise FakeError(
            400,
            "invalid_parameters",
            f"a batch holds at most {most} orders at this rate-limit tier",
            name,
        )
    return items


def _exchange_index(body: dict[str, Any]) -> None:
    optional_integer(body, "exchange_index", -1)


def submit(ctx: Context, order: Order, *, max_cost: Decimal | None = None) -> Execution:
    """Place a built order for the caller: duplicate ``client_order_id`` is a 409."""
    if ctx.engine.client_order_id_taken(order.user_id, order.client_order_id):
        raise FakeError(
            409, "order_already_exists", "an order with this client_order_id already exists"
        )
    return ctx.engine.place(order, ctx.now, max_cost=max_cost)


def _v2_order(ctx: Context, body: Any) -> Order:
    if not isinstance(body, dict):
        raise FakeError(400, "invalid_parameters", "each order must be a JSON object")
    ticker = string(body, "ticker")
    assert ticker is not None
    market = ctx.engine.market(ticker)
    side = string(body, "side")
    if side not in ("bid", "ask"):
        raise FakeError(400, "invalid_parameters", "side must be bid or ask", "side")
    limit = on_grid(market, fixed(body, "price", PRICE_PLACES))
    count = count_value(fixed(body, "count"))
    tif = string(body, "time_in_force")
    if tif not in _TIFS:
        raise FakeError(400, "invalid_parameters", "unknown time_in_force", "time_in_force")
    stp = string(body, "self_trade_prevention_type")
    if stp not in _STPS:
        raise FakeError(
            400,
            "invalid_parameters",
            "unknown self_trade_prevention_type",
            "self_trade_prevention_type",
        )
    expiration = optional_integer(body, "expiration_time", 0)
    if expiration is not None and tif == "immediate_or_cancel":
        raise invalid_order("expiration_time cannot be used with immediate_or_cancel")
    _exchange_index(body)
    return Order(
        order_id=str(uuid.uuid4()),
        user_id=ctx.me.user_id,
        ticker=ticker,
        book_side="bid" if side == "bid" else "ask",
        price=limit,
        initial=count,
        created=ctx.now,
        subaccount=subaccount_of(body),
        client_order_id=string(body, "client_order_id", required=False),
        time_in_force=tif,
        self_trade_prevention_type=stp,
        post_only=boolean(body, "post_only"),
        reduce_only=boolean(body, "reduce_only"),
        cancel_order_on_pause=boolean(body, "cancel_order_on_pause"),
        order_group_id=string(body, "order_group_id", required=False),
        expiration_ts=expiration or None,
    )


@handler("CreateOrderV2")
def create_order_v2(ctx: Context) -> tuple[int, Any]:
    execution = submit(ctx, _v2_order(ctx, body_of(ctx)))
    return 201, execution_ack(execution, ctx.now)


@handler("BatchCreateOrdersV2")
def batch_create_orders_v2(ctx: Context) -> tuple[int, Any]:
    results = []
    for item in batch_items(ctx, body_of(ctx), "orders"):
        try:
            results.append(execution_ack(submit(ctx, _v2_order(ctx, item)), ctx.now))
        except FakeError as exc:
            cid = item.get("client_order_id") if isinstance(item, dict) else None
            results.append(
                {
                    "client_order_id": cid if isinstance(cid, str) else None,
                    "fill_count": None,
                    "remaining_count": None,
                    "average_fill_price": None,
                    "average_fee_paid": None,
                    "ts_ms": None,
                    "error": exc.body(),
                }
            )
    return 201, {"orders": results}


def _cancel_ack(ctx: Context, order: Order, reduced: Decimal) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "reduced_by": count_fp(reduced),
        "ts_ms": int(ctx.now * 1000),
    }


@handler("CancelOrderV2")
def cancel_order_v2(ctx: Context) -> tuple[int, Any]:
    subaccount = ctx.subaccount_arg(default_primary=True)
    order = resting_order(ctx, ctx.path_params["order_id"], subaccount)
    return 200, _cancel_ack(ctx, order, ctx.engine.cancel(order, ctx.now))


@handler("BatchCancelOrdersV2")
def batch_cancel_orders_v2(ctx: Context) -> tuple[int, Any]:
    results = []
    for item in batch_items(ctx, body_of(ctx), "orders"):
        order_id = item.get("order_id") if isinstance(item, dict) else None
        try:
            if not isinstance(order_id, str) or not order_id:
                raise FakeError(400, "invalid_parameters", "order_id is required", "order_id")
            order = resting_order(ctx, order_id, subaccount_of(item))
            results.append(_cancel_ack(ctx, order, ctx.engine.cancel(order, ctx.now)))
        except FakeError as exc:
            results.append(
                {
                    "order_id": order_id if isinstance(order_id, str) else "",
                    "client_order_id": None,
                    "reduced_by": count_fp(Decimal(0)),
                    "ts_ms": None,
                    "error": exc.body(),
                }
            )
    return 200, {"orders": results}


@handler("CancelAllOrders")
def cancel_all_orders(ctx: Context) -> tuple[int, Any]:
    subaccount = ctx.subaccount_arg(default_primary=False)
    if ctx.engine.exchange_paused:
        raise FakeError(409, "exchange_is_paused", "exchange is paused")
    for order in list(ctx.engine.orders.values()):
        if order.user_id != ctx.me.user_id or order.remaining <= 0:
            continue
        if subaccount is None or order.subaccount == subaccount:
            ctx.engine.cancel(order, ctx.now)
    return 204, None


@handler("AmendOrderV2")
def amend_order_v2(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    order = resting_order(
        ctx, ctx.path_params["order_id"], ctx.subaccount_arg(default_primary=True)
    )
    market = ctx.engine.market(order.ticker)
    if string(body, "ticker") != order.ticker:
        raise invalid_order("ticker does not match the order")
    if string(body, "side") != order.book_side:
        raise invalid_order("side does not match the order")
    new_price = on_grid(market, fixed(body, "price", PRICE_PLACES))
    total = count_value(fixed(body, "count"))
    expiration: int | bool | None = False
    if "expiration_time" in body and body["expiration_time"] is not None:
        expiration = optional_integer(body, "expiration_time", 0)
    _exchange_index(body)
    execution = amend(ctx, order, body, new_price, total, expiration)
    out: dict[str, Any] = {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "remaining_count": count_fp(order.remaining),
        "fill_count": count_fp(execution.filled),
        "average_fill_price": None,
        "average_fee_paid": None,
        "ts_ms": int(ctx.now * 1000),
    }
    if execution.fills:
        ack = execution_ack(execution, ctx.now)
        out["average_fill_price"] = ack["average_fill_price"]
        out["average_fee_paid"] = ack["average_fee_paid"]
    return 200, out


def amend(
    ctx: Context,
    order: Order,
    body: dict[str, Any],
    new_price: Decimal,
    total: Decimal,
    expiration: int | bool | None = False,
) -> Execution:
    """The amend both generations share: client order id checks, then the engine's amend."""
    original = string(body, "client_order_id", required=False)
    if original is not None and original != (order.client_order_id or ""):
        raise invalid_order("client_order_id does not match the order")
    updated = string(body, "updated_client_order_id", required=False)
    if (
        updated is not None
        and updated != order.client_order_id
        and ctx.engine.client_order_id_taken(order.user_id, updated)
    ):
        raise FakeError(
            409, "order_already_exists", "an order with this client_order_id already exists"
        )
    execution = ctx.engine.amend(order, new_price, total, ctx.now, expiration_ts=expiration)
    if updated is not None:
        order.client_order_id = updated
    return execution


def decrease_target(order: Order, reduce_by: Decimal | None, reduce_to: Decimal | None) -> Decimal:
    """The remaining count a decrease asks for (exactly one of reduce_by / reduce_to)."""
    if (reduce_by is None) == (reduce_to is None):
        raise FakeError(
            400, "invalid_parameters", "exactly one of reduce_by or reduce_to is required"
        )
    if reduce_by is not None:
        if reduce_by <= 0:
            raise FakeError(400, "invalid_parameters", "reduce_by must be positive", "reduce_by")
        return max(order.remaining - reduce_by, Decimal(0))
    assert reduce_to is not None
    if reduce_to < 0 or reduce_to > order.remaining:
        raise FakeError(
            400,
            "invalid_parameters",
            "reduce_to must be between 0 and the remaining count",
            "reduce_to",
        )
    return reduce_to


@handler("DecreaseOrderV2")
def decrease_order_v2(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    order = resting_order(
        ctx, ctx.path_params["order_id"], ctx.subaccount_arg(default_primary=True)
    )
    target = decrease_target(
        order, optional_fixed(body, "reduce_by"), optional_fixed(body, "reduce_to")
    )
    _exchange_index(body)
    ctx.engine.decrease(order, target, ctx.now)
    return 200, {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id or "",
        "remaining_count": count_fp(order.remaining),
        "ts_ms": int(ctx.now * 1000),
    }


# -- reads --------------------------------------------------------------------------------------
@handler("GetOrder")
def get_order(ctx: Context) -> tuple[int, Any]:
    order = own_order(ctx, ctx.path_params["order_id"])
    return 200, {"order": order_json(order, legacy=ctx.exchange.legacy_fields)}


@handler("GetOrders")
def get_orders(ctx: Context) -> tuple[int, Any]:
    engine = ctx.engine
    ticker = ctx.arg("ticker")
    events = {e for e in (ctx.arg("event_ticker") or "").split(",") if e}
    if len(events) > 10:
        raise FakeError(400, "invalid_parameters", "at most 10 event tickers", "event_ticker")
    status = ctx.arg("status")
    if status and status not in ("resting", "canceled", "executed"):
        raise FakeError(400, "invalid_parameters", "unknown status", "status")
    min_ts = ctx.int_arg("min_ts")
    max_ts = ctx.int_arg("max_ts")
    subaccount = ctx.subaccount_arg(default_primary=False)
    exchange_index = ctx.int_arg("exchange_index", None, 0)
    selected = []
    for order in engine.orders.values():
        if order.user_id != ctx.me.user_id:
            continue
        if ticker and order.ticker != ticker:
            continue
        if events and engine.markets[order.ticker].event_ticker not in events:
            continue
        if status and order.status != status:
            continue
        if min_ts is not None and order.created < min_ts:
            continue
        if max_ts is not None and order.created > max_ts:
            continue
        if subaccount is not None and order.subaccount != subaccount:
            continue
        if exchange_index is not None and order.exchange_index != exchange_index:
            continue
        selected.append(order)
    selected.sort(key=lambda o: o.sequence, reverse=True)
    chunk, cursor = page(selected, ctx)
    legacy = ctx.exchange.legacy_fields
    return 200, {"orders": [order_json(o, legacy=legacy) for o in chunk], "cursor": cursor}


@handler("GetOrderQueuePosition")
def get_order_queue_position(ctx: Context) -> tuple[int, Any]:
    order = resting_order(ctx, ctx.path_params["order_id"], write=False)
    return 200, {"queue_position_fp": count_fp(ctx.engine.queue_position(order))}


@handler("GetOrderQueuePositions")
def get_order_queue_positions(ctx: Context) -> tuple[int, Any]:
    engine = ctx.engine
    tickers = {t for t in (ctx.arg("market_tickers") or "").split(",") if t}
    event = ctx.arg("event_ticker")
    subaccount = ctx.subaccount_arg(default_primary=True)
    out = []
    for order in sorted(engine.orders.values(), key=lambda o: o.sequence):
        if order.user_id != ctx.me.user_id or order.subaccount != subaccount:
            continue
        if not order.on_book:
            continue
        if tickers and order.ticker not in tickers:
            continue
        if event and engine.markets[order.ticker].event_ticker != event:
            continue
        out.append(
            {
                "order_id": order.order_id,
                "market_ticker": order.ticker,
                "queue_position_fp": count_fp(engine.queue_position(order)),
            }
        )
    return 200, {"queue_positions": out}
