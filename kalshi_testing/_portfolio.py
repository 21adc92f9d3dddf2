"""The fake's portfolio endpoints: balance, fills, positions, settlements, resting value, cash
movements, transfers, balance allocation, and subaccounts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from kalshi_testing._errors import FakeError
from kalshi_testing._exchange import Context, decode_cursor, encode_cursor, handler, page
from kalshi_testing._parse import bad, body_of, boolean, integer, optional_integer, string
from kalshi_testing._render import (
    event_position_json,
    fill_json,
    intra_transfer_json,
    movement_json,
    position_json,
    settlement_json,
    subaccount_transfer_json,
)
from kalshi_testing._state import Position
from kalshi_testing._wire import cents, dollars

__all__: list[str] = []

ZERO = Decimal(0)
ONE = Decimal(1)
_CENTICENT = Decimal("0.0001")


def _position_value(ctx: Context, position: Position) -> Decimal:
    """A position marked at its market's last trade price (YES at p, NO at 1 - p)."""
    last = ctx.engine.markets[position.ticker].last_price
    if last is None:
        return position.exposure
    return position.yes_count * last + position.no_count * (ONE - last)


@handler("GetBalance")
def get_balance(ctx: Context) -> tuple[int, Any]:
    subaccount = ctx.subaccount_arg(default_primary=True)
    assert subaccount is not None
    ctx.int_arg("exchange_index", None, 0)
    user = ctx.me
    account = user.accounts.get(subaccount)
    available = account.cash if account is not None else ZERO
    value = sum(
        (
            _position_value(ctx, p)
            for p in ctx.engine.positions.values()
            if p.user_id == user.user_id and p.subaccount == subaccount
        ),
        ZERO,
    )
    updated = account.updated if account is not None and account.updated else ctx.now
    return 200, {
        "balance": cents(available),
        "balance_dollars": dollars(available),
        "portfolio_value": cents(value),
        "updated_ts": int(updated),
        "balance_breakdown": [{"exchange_index": 0, "balance": dollars(available)}],
    }


@handler("GetPortfolioRestingOrderTotalValue")
def get_resting_order_total_value(ctx: Context) -> tuple[int, Any]:
    total = sum((o.locked for o in ctx.engine.orders.values() if o.user_id == ctx.me.user_id), ZERO)
    return 200, {
        "total_resting_order_value": cents(total),
        "resting_order_value_breakdown": [{"exchange_index": 0, "balance": dollars(total)}],
    }


@handler("GetFills")
def get_fills(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.arg("ticker")
    order_id = ctx.arg("order_id")
    min_ts = ctx.int_arg("min_ts")
    max_ts = ctx.int_arg("max_ts")
    subaccount = ctx.subaccount_arg(default_primary=False)
    exchange_index = ctx.int_arg("exchange_index", None, 0)
    selected = [
        f
        for f in ctx.engine.fills
        if f.user_id == ctx.me.user_id
        and (not ticker or f.ticker == ticker)
        and (not order_id or f.order_id == order_id)
        and (min_ts is None or f.created >= min_ts)
        and (max_ts is None or f.created <= max_ts)
        and (subaccount is None or f.subaccount == subaccount)
        and exchange_index in (None, 0)
    ]
    selected.sort(key=lambda f: f.sequence, reverse=True)
    chunk, cursor = page(selected, ctx)
    return 200, {"fills": [fill_json(f) for f in chunk], "cursor": cursor}


_COUNT_FILTERS = ("position", "total_traded", "resting_order_count")


@handler("GetPositions")
def get_positions(ctx: Context) -> tuple[int, Any]:
    engine = ctx.engine
    ticker = ctx.arg("ticker")
    event = ctx.arg("event_ticker")
    subaccount = ctx.subaccount_arg(default_primary=True)
    exchange_index = ctx.int_arg("exchange_index", None, 0)
    filters = [f for f in (ctx.arg("count_filter") or "").split(",") if f]
    for name in filters:
        if name not in _COUNT_FILTERS:
            raise FakeError(400, "invalid_parameters", f"unknown count_filter {name}")
    limit = ctx.int_arg("limit", 100, 1, 1000) or 100
    start = decode_cursor(ctx.arg("cursor"))
    resting = {
        o.ticker
        for o in engine.orders.values()
        if o.user_id == ctx.me.user_id and o.subaccount == subaccount and o.on_book
    }

    def keep(p: Position) -> bool:
        if not filters:
            return True
        checks = {
            "position": p.signed != 0,
            "total_traded": p.total_traded != 0,
            "resting_order_count": p.ticker in resting,
        }
        return any(checks[name] for name in filters)

    selected = sorted(
        (
            p
            for p in engine.positions.values()
            if p.user_id == ctx.me.user_id
            and p.subaccount == subaccount
            and (not ticker or p.ticker == ticker)
            and (not event or p.event_ticker == event)
            and exchange_index in (None, 0)
            and keep(p)
        ),
        key=lambda p: p.ticker,
    )
    by_event: defaultdict[str, list[Position]] = defaultdict(list)
    for p in selected:
        by_event[p.event_ticker].append(p)
    events = sorted(by_event)
    markets_page = selected[start : start + limit]
    events_page = events[start : start + limit]
    more = start + limit < max(len(selected), len(events))
    return 200, {
        "market_positions": [position_json(p) for p in markets_page],
        "event_positions": [event_position_json(e, by_event[e]) for e in events_page],
        "cursor": encode_cursor(start + limit) if more else "",
    }


@handler("GetSettlements")
def get_settlements(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.arg("ticker")
    event = ctx.arg("event_ticker")
    min_ts = ctx.int_arg("min_ts")
    max_ts = ctx.int_arg("max_ts")
    subaccount = ctx.subaccount_arg(default_primary=False)
    selected = [
        s
        for s in ctx.engine.settlements
        if s.user_id == ctx.me.user_id
        and (not ticker or s.ticker == ticker)
        and (not event or s.event_ticker == event)
        and (min_ts is None or s.settled >= min_ts)
        and (max_ts is None or s.settled <= max_ts)
        and (subaccount is None or s.subaccount == subaccount)
    ]
    selected.sort(key=lambda s: s.sequence, reverse=True)
    chunk, cursor = page(selected, ctx)
    return 200, {"settlements": [settlement_json(s) for s in chunk], "cursor": cursor}


def _movements(ctx: Context, kind: str, key: str) -> tuple[int, Any]:
    selected = [m for m in ctx.engine.movements if m.user_id == ctx.me.user_id and m.kind == kind]
    selected.sort(key=lambda m: m.sequence, reverse=True)
    chunk, cursor = page(selected, ctx, max_limit=500)
    return 200, {key: [movement_json(m) for m in chunk], "cursor": cursor}


@handler("GetDeposits")
def get_deposits(ctx: Context) -> tuple[int, Any]:
    return _movements(ctx, "deposit", "deposits")


@handler("GetWithdrawals")
def get_withdrawals(ctx: Context) -> tuple[int, Any]:
    return _movements(ctx, "withdrawal", "withdrawals")


# -- transfers ------------------------------------------------------------------------------------
_INSTANCES = ("event_contract", "margined")


@handler("IntraExchangeInstanceTransfer")
def intra_exchange_instance_transfer(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    source = string(body, "source")
    destination = string(body, "destination")
    if source not in _INSTANCES:
        raise bad("source", "must be event_contract or margined")
    if destination not in _INSTANCES:
        raise bad("destination", "must be event_contract or margined")
    centicents = integer(body, "amount", 1)
    for name in ("source_exchange_shard", "destination_exchange_shard"):
        shard = optional_integer(body, name, 0, 100)
        if shard not in (None, 0):
            raise FakeError(
                400, "invalid_parameters", f"{name}: the fake exchange has only shard 0", name
            )
    src_sub = optional_integer(body, "source_subaccount", 0, 63) or 0
    dst_sub = optional_integer(body, "destination_subaccount", 0, 63) or 0
    # The spec: subaccounts are "only supported for event contract to event contract
    # transfers"; a transfer to or from the margined exchange uses the primary account.
    if (src_sub or dst_sub) and not source == destination == "event_contract":
        raise FakeError(
            400,
            "invalid_parameters",
            "subaccounts are only supported for event contract to event contract transfers",
        )
    record = ctx.engine.intra_transfer(
        ctx.me.user_id,
        source,
        destination,
        src_sub,
        dst_sub,
        Decimal(centicents) * _CENTICENT,
        ctx.now,
    )
    return 200, {"transfer_id": record.transfer_id}


@handler("GetIntraExchangeInstanceTransfers")
def get_intra_exchange_instance_transfers(ctx: Context) -> tuple[int, Any]:
    selected = [t for t in ctx.engine.intra_transfers if t.user_id == ctx.me.user_id]
    selected.sort(key=lambda t: t.sequence, reverse=True)
    chunk, cursor = page(selected, ctx, max_limit=500)
    out: dict[str, Any] = {"transfers": [intra_transfer_json(t) for t in chunk]}
    if cursor:
        out["cursor"] = cursor
    return 200, out


@handler("GetIntraExchangeInstanceTransfer")
def get_intra_exchange_instance_transfer(ctx: Context) -> tuple[int, Any]:
    wanted = ctx.path_params["transfer_id"]
    for transfer in ctx.engine.intra_transfers:
        if transfer.transfer_id == wanted and transfer.user_id == ctx.me.user_id:
            return 200, {"transfer": intra_transfer_json(transfer)}
    raise FakeError(404, "not_found", "transfer not found")


@handler("GetTargetBalanceAllocation")
def get_target_balance_allocation(ctx: Context) -> tuple[int, Any]:
    user = ctx.me
    return 200, {
        "allocations": [{"exchange_index": i, "percent": p} for i, p in user.allocations],
        "resting_margin_reservation": user.resting_margin_reservation,
    }


@handler("SetTargetBalanceAllocation")
def set_target_balance_allocation(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    items = body.get("allocations")
    if not isinstance(items, list):
        raise bad("allocations", "is required")
    if len(items) > 101:
        raise bad("allocations", "holds at most 101 items")
    allocations: list[tuple[int, int]] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad("allocations", "items must be objects")
        index = integer(item, "exchange_index", 0)
        percent = integer(item, "percent", 0, 100)
        allocations.append((index, percent))
    if len({i for i, _ in allocations}) != len(allocations):
        raise bad("allocations", "name an exchange index more than once")
    if allocations and sum(p for _, p in allocations) != 100:
        raise bad("allocations", "percentages must total 100")
    reservation = string(body, "resting_margin_reservation", required=False) or "sum"
    if reservation not in ("none", "max", "sum"):
        raise bad("resting_margin_reservation", "must be none, max or sum")
    ctx.me.allocations = allocations
    ctx.me.resting_margin_reservation = reservation
    return 200, {}


# -- subaccounts ----------------------------------------------------------------------------------
@handler("CreateSubaccount")
def create_subaccount(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    if optional_integer(body, "exchange_index", 0) not in (None, 0):
        raise FakeError(400, "invalid_parameters", "the fake exchange has only shard 0")
    return 201, {"subaccount_number": ctx.engine.create_subaccount(ctx.me.user_id, ctx.now)}


@handler("ApplySubaccountTransfer")
def apply_subaccount_transfer(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    client_id = string(body, "client_transfer_id")
    try:
        uuid.UUID(str(client_id))
    except ValueError:
        raise bad("client_transfer_id", "must be a UUID") from None
    source = integer(body, "from_subaccount", 0, 63)
    target = integer(body, "to_subaccount", 0, 63)
    amount = integer(body, "amount_cents", 1)
    if optional_integer(body, "exchange_index", 0) not in (None, 0):
        raise FakeError(400, "invalid_parameters", "the fake exchange has only shard 0")
    for done in ctx.engine.subaccount_transfers:
        if done.user_id == ctx.me.user_id and done.client_transfer_id == client_id:
            raise FakeError(
                409,
                "transfer_already_exists",
                "a transfer with this client_transfer_id was already applied",
                "client_transfer_id",
            )
    ctx.engine.transfer(ctx.me.user_id, source, target, Decimal(amount) / 100, ctx.now, client_id)
    return 200, {}


@handler("GetSubaccountBalances")
def get_subaccount_balances(ctx: Context) -> tuple[int, Any]:
    balances = [
        {
            "subaccount_number": number,
            "exchange_index": 0,
            "balance": dollars(account.cash),
            "updated_ts": int(account.updated or ctx.now),
        }
        for number, account in sorted(ctx.me.accounts.items())
    ]
    return 200, {"subaccount_balances": balances}


@handler("GetSubaccountTransfers")
def get_subaccount_transfers(ctx: Context) -> tuple[int, Any]:
    selected = [t for t in ctx.engine.subaccount_transfers if t.user_id == ctx.me.user_id]
    selected.sort(key=lambda t: t.sequence, reverse=True)
    chunk, cursor = page(selected, ctx)
    return 200, {"transfers": [subaccount_transfer_json(t) for t in chunk], "cursor": cursor}


@handler("GetSubaccountNetting")
def get_subaccount_netting(ctx: Context) -> tuple[int, Any]:
    configs = [
        {"subaccount_number": number, "enabled": account.netting, "exchange_index": 0}
        for number, account in sorted(ctx.me.accounts.items())
    ]
    return 200, {"netting_configs": configs}


@handler("UpdateSubaccountNetting")
def update_subaccount_netting(ctx: Context) -> tuple[int, Any]:
    body = body_of(ctx)
    number = integer(body, "subaccount_number", 0, 63)
    if "enabled" not in body:
        raise bad("enabled", "is required")
    ctx.engine.set_netting(ctx.me.user_id, number, boolean(body, "enabled"), ctx.now)
    return 200, {}
