"""The fake's order-group endpoints (seed 004): a contracts limit over a rolling 15-second
window of matched contracts; when it is hit every order of the group is canceled and no order
joins until the group is reset."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kalshi_testing._errors import FakeError
from kalshi_testing._exchange import Context, handler
from kalshi_testing._parse import bad, body_of, optional_fixed, optional_integer, subaccount_of
from kalshi_testing._render import group_json
from kalshi_testing._state import OrderGroup

__all__: list[str] = []

MAX_LIMIT = 1_000_000


def _limit(body: dict[str, Any]) -> Decimal:
    """``contracts_limit`` or ``contracts_limit_fp`` (whole contracts, 1..1,000,000)."""
    whole = optional_integer(body, "contracts_limit", 1, MAX_LIMIT)
    fp = optional_fixed(body, "contracts_limit_fp")
    if whole is not None and fp is not None and Decimal(whole) != fp:
        raise bad("contracts_limit_fp", "does not match contracts_limit")
    value = fp if fp is not None else (None if whole is None else Decimal(whole))
    if value is None:
        raise bad("contracts_limit", "is required")
    if value < 1 or value > MAX_LIMIT or value != value.to_integral_value():
        raise bad("contracts_limit", "must be a whole number of contracts from 1 to 1000000")
    return value


def _group(ctx: Context, *, default_primary: bool) -> OrderGroup:
    subaccount = ctx.subaccount_arg(default_primary=default_primary)
    group = ctx.engine.groups.get(ctx.path_params["order_group_id"])
    if (
        group is None
        or group.user_id != ctx.me.user_id
        or (subaccount is not None and group.subaccount != subaccount)
    ):
        raise FakeError(404, "not_found", "order group not found")
    return group


@handler("CreateOrderGroup")
def create_order_group(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    subaccount = subaccount_of(body)
    optional_integer(body, "exchange_index", 0)
    group = ctx.engine.create_group(ctx.me.user_id, subaccount, _limit(body), ctx.now)
    return 201, {"order_group_id": group.group_id, "subaccount": subaccount, "exchange_index": 0}


@handler("GetOrderGroups")
def get_order_groups(ctx: Context) -> tuple[int, Any]:
    subaccount = ctx.subaccount_arg(default_primary=False)
    groups = [
        group_json(g, with_orders=False)
        for g in ctx.engine.groups.values()
        if g.user_id == ctx.me.user_id and (subaccount is None or g.subaccount == subaccount)
    ]
    return 200, {"order_groups": groups}


@handler("GetOrderGroup")
def get_order_group(ctx: Context) -> tuple[int, Any]:
    return 200, group_json(_group(ctx, default_primary=False), with_orders=True)


@handler("DeleteOrderGroup")
def delete_order_group(ctx: Context) -> tuple[int, Any]:
    ctx.engine.delete_group(_group(ctx, default_primary=True), ctx.now)
    return 200, {}


@handler("ResetOrderGroup")
def reset_order_group(ctx: Context) -> tuple[int, Any]:
    ctx.engine.reset_group(_group(ctx, default_primary=True), ctx.now)
    return 200, {}


@handler("TriggerOrderGroup")
def trigger_order_group(ctx: Context) -> tuple[int, Any]:
    ctx.engine.trigger_group(_group(ctx, default_primary=True), ctx.now)
    return 200, {}


@handler("UpdateOrderGroupLimit")
def update_order_group_limit(ctx: Context) -> tuple[int, Any]:
    group = _group(ctx, default_primary=True)
    ctx.engine.update_group_limit(group, _limit(body_of(ctx)), ctx.now)
    return 200, {}
