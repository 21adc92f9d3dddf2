"""The fake's WebSocket messages, field by field as ``kalshi-asyncapi-2.0.0.yaml`` names them.

Written by hand from the AsyncAPI file (not through the SDK's stream models: the fake is what
those models are tested against). Each function returns the ``msg`` object of one message; the
session wraps it in the ``{"type", "sid", "seq", "msg"}`` envelope.

Prices are dollar strings with four decimals (``"0.5600"``), counts fixed-point with two
(``"10.00"``). On the order book's NO side a price is the NO price (``1 - YES ask``), or the
YES ask itself when the subscription asked for ``use_yes_price``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from kalshi_testing._book import Book
from kalshi_testing._events import BookChanged
from kalshi_testing._state import Event, Fill, Market, Order, OrderGroup, Position, Trade
from kalshi_testing._wire import count_fp, dollars, iso, price

__all__ = [
    "Ladder",
    "delta_msg",
    "event_lifecycle_msg",
    "fill_msg",
    "group_msg",
    "ladder",
    "lifecycle_msg",
    "position_msg",
    "snapshot_msg",
    "ticker_msg",
    "trade_msg",
    "user_order_msg",
]

ONE = Decimal(1)
ZERO = Decimal(0)
Level = tuple[Decimal, Decimal]


@attrs.frozen
class Ladder:
    """One market's order book in the shape the stream publishes it: ``yes`` holds the YES
    bids and ``no`` the NO bids, each a tuple of ``(price, contracts)`` in ascending price, with
    no empty level. NO prices are NO prices (``1 - YES ask``) unless ``use_yes_price``, when
    they are the YES ask prices. This is the "truth" a client's managed book must equal."""

    yes: tuple[Level, ...]
    no: tuple[Level, ...]
    use_yes_price: bool = False

    def best_yes_bid(self) -> Decimal | None:
        return self.yes[-1][0] if self.yes else None


def ladder(book: Book, *, use_yes_price: bool = False) -> Ladder:
    """The ladder of ``book`` now."""
    yes = tuple((p, c) for p, c in reversed(book.depth("bid")) if c > 0)
    asks = [(p, c) for p, c in book.depth("ask") if c > 0]
    no = tuple(asks) if use_yes_price else tuple(sorted((ONE - p, c) for p, c in asks))
    return Ladder(yes, no, use_yes_price)


#: How far ahead a market without a ``close_time`` (it never closes on the fake) reports its
#: close, where a message or a response must name one.
NO_CLOSE_HORIZON = 365 * 86400.0


def scheduled_close(market: Market) -> float:
    """The market's close time, or a year after its creation when it has none."""
    if market.close_time is not None:
        return market.close_time
    return market.created + NO_CLOSE_HORIZON


def _ms(ts: float) -> int:
    return round(ts * 1000)


def snapshot_msg(market: Market, book: Book, *, use_yes_price: bool) -> dict[str, Any]:
    """``orderbook_snapshot``'s msg; a side without levels is left out, as the spec says."""
    view = ladder(book, use_yes_price=use_yes_price)
    msg: dict[str, Any] = {"market_ticker": market.ticker, "market_id": market.market_id}
    if view.yes:
        msg["yes_dollars_fp"] = [[price(p), count_fp(c)] for p, c in view.yes]
    if view.no:
        msg["no_dollars_fp"] = [[price(p), count_fp(c)] for p, c in view.no]
    return msg


def delta_msg(
    market: Market, change: BookChanged, *, use_yes_price: bool, user_id: str | None
) -> dict[str, Any]:
    """``orderbook_delta``'s msg; ``client_order_id``/``subaccount`` only for the user whose
    order caused the change (``user_id`` is the connection's user)."""
    bid = change.book_side == "bid"
    level = change.price if bid or use_yes_price else ONE - change.price
    msg: dict[str, Any] = {
        "market_ticker": market.ticker,
        "market_id": market.market_id,
        "price_dollars": price(level),
        "delta_fp": count_fp(change.delta),
        "side": "yes" if bid else "no",
    }
    cause = change.cause
    if cause is not None and user_id is not None and cause.user_id == user_id:
        if cause.client_order_id:
            msg["client_order_id"] = cause.client_order_id
        if cause.subaccount:
            msg["subaccount"] = cause.subaccount
    msg["ts"] = iso(change.ts)
    msg["ts_ms"] = _ms(change.ts)
    return msg


def ticker_fields(market: Market, book: Book, open_interest: Decimal) -> dict[str, Any]:
    """The ticker message's fields that change with trading (no timestamps)."""
    bids = book.depth("bid")
    asks = book.depth("ask")
    bid = next(((p, c) for p, c in bids if c > 0), None)
    ask = next(((p, c) for p, c in asks if c > 0), None)
    return {
        "market_ticker": market.ticker,
        "market_id": market.market_id,
        "price_dollars": price(market.last_price if market.last_price is not None else ZERO),
        "yes_bid_dollars": price(bid[0] if bid else ZERO),
        "yes_ask_dollars": price(ask[0] if ask else ONE),
        "yes_bid_size_fp": count_fp(bid[1] if bid else ZERO),
        "yes_ask_size_fp": count_fp(ask[1] if ask else ZERO),
        "last_trade_size_fp": count_fp(market.last_size),
        "volume_fp": count_fp(market.volume),
        "open_interest_fp": count_fp(open_interest),
        # Kalshi's own feed shows these as half the contract counts (every recorded message
        # has dollar_volume == volume / 2); the fake follows what the exchange sends.
        "dollar_volume": int(market.volume / 2),
        "dollar_open_interest": int(open_interest / 2),
    }


def ticker_msg(fields: dict[str, Any], ts: float) -> dict[str, Any]:
    return {**fields, "ts": int(ts), "ts_ms": _ms(ts), "time": iso(int(ts))}


def trade_msg(trade: Trade) -> dict[str, Any]:
    outcome = "yes" if trade.taker_book_side == "bid" else "no"
    return {
        "trade_id": trade.trade_id,
        "market_ticker": trade.ticker,
        "yes_price_dollars": price(trade.price),
        "no_price_dollars": price(ONE - trade.price),
        "count_fp": count_fp(trade.count),
        "taker_side": outcome,
        "taker_outcome_side": outcome,
        "taker_book_side": trade.taker_book_side,
        "is_block_trade": False,
        "ts": int(trade.created),
        "ts_ms": _ms(trade.created),
    }


def fill_msg(fill: Fill, order: Order, post_position: Decimal) -> dict[str, Any]:
    outcome = "yes" if fill.book_side == "bid" else "no"
    msg: dict[str, Any] = {
        "trade_id": fill.fill_id,
        "order_id": fill.order_id,
        "market_ticker": fill.ticker,
        "exchange_index": 0,
        "is_taker": fill.is_taker,
        "side": fill.side,
        "yes_price_dollars": price(fill.price),
        "count_fp": count_fp(fill.count),
        "fee_cost": dollars(fill.fee),
        "action": fill.action,
        "outcome_side": outcome,
        "book_side": fill.book_side,
        "ts": int(fill.created),
        "ts_ms": _ms(fill.created),
        "post_position_fp": count_fp(post_position),
        "purchased_side": outcome,
        "subaccount": fill.subaccount,
    }
    if order.client_order_id:
        msg["client_order_id"] = order.client_order_id
    return msg


def user_order_msg(order: Order) -> dict[str, Any]:
    outcome = "yes" if order.book_side == "bid" else "no"
    msg: dict[str, Any] = {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "ticker": order.ticker,
        "status": order.status,
        "side": order.side,
        "is_yes": outcome == "yes",
        "outcome_side": outcome,
        "book_side": order.book_side,
        "yes_price_dollars": price(order.price),
        "fill_count_fp": count_fp(order.filled),
        "remaining_count_fp": count_fp(order.remaining),
        "initial_count_fp": count_fp(order.initial),
        "taker_fill_cost_dollars": dollars(order.taker_fill_cost),
        "maker_fill_cost_dollars": dollars(order.maker_fill_cost),
        "taker_fees_dollars": dollars(order.taker_fees),
        "maker_fees_dollars": dollars(order.maker_fees),
        "client_order_id": order.client_order_id or "",
    }
    if order.order_group_id:
        msg["order_group_id"] = order.order_group_id
    if order.self_trade_prevention_type:
        msg["self_trade_prevention_type"] = order.self_trade_prevention_type
    updated = order.updated or order.created
    msg.update(
        {
            "created_time": iso(order.created),
            "created_ts_ms": _ms(order.created),
            "last_update_time": iso(updated),
            "last_updated_ts_ms": _ms(updated),
        }
    )
    if order.expiration_ts:
        msg["expiration_time"] = iso(order.expiration_ts)
        msg["expiration_ts_ms"] = order.expiration_ts * 1000
    msg["subaccount_number"] = order.subaccount
    return msg


def position_msg(position: Position) -> dict[str, Any]:
    return {
        "user_id": position.user_id,
        "market_ticker": position.ticker,
        "position_fp": count_fp(position.signed),
        "position_cost_dollars": dollars(position.exposure),
        "realized_pnl_dollars": dollars(position.realized_pnl),
        "fees_paid_dollars": dollars(position.fees_paid),
        "position_fee_cost_dollars": dollars(position.fees_paid),
        "volume_fp": count_fp(position.shares_traded),
        "subaccount": position.subaccount,
    }


def group_msg(group: OrderGroup, event_type: str, ts: float) -> dict[str, Any]:
    msg: dict[str, Any] = {"event_type": event_type, "order_group_id": group.group_id}
    if event_type in ("created", "limit_updated"):
        msg["contracts_limit_fp"] = count_fp(group.limit)
    msg["ts_ms"] = _ms(ts)
    return msg


def _structure(market: Market) -> tuple[str, list[dict[str, str]]]:
    name = {Decimal("0.01"): "linear_cent", Decimal("0.001"): "deci_cent"}.get(
        market.tick, "linear_cent"
    )
    return name, [{"start": price(ZERO), "end": price(ONE), "step": price(market.tick)}]


def lifecycle_msg(market: Market, event_type: str, ts: float) -> dict[str, Any]:
    """``market_lifecycle_v2``'s msg for ``created``, ``deactivated``/``activated`` (a pause
    and its end), ``close_date_updated`` (closed before its close time), ``determined`` and
    ``settled``."""
    msg: dict[str, Any] = {"market_ticker": market.ticker, "event_type": event_type}
    close_ts = int(scheduled_close(market))
    if event_type == "created":
        structure, ranges = _structure(market)
        msg.update(
            {
                "exchange_index": 0,
                "open_ts": int(market.open_time if market.open_time is not None else ts),
                "close_ts": close_ts,
                "price_level_structure": structure,
                "price_ranges": ranges,
                "additional_metadata": {
                    "name": market.title,
                    "title": market.title,
                    "yes_sub_title": market.yes_sub_title,
                    "no_sub_title": market.no_sub_title,
                    "rules_primary": market.rules_primary,
                    "rules_secondary": market.rules_secondary,
                    "can_close_early": True,
                    "event_ticker": market.event_ticker,
                    "expected_expiration_ts": close_ts,
                },
            }
        )
    elif event_type in ("deactivated", "activated"):
        msg["is_deactivated"] = event_type == "deactivated"
    elif event_type == "close_date_updated":
        msg["close_ts"] = close_ts
    elif event_type == "determined":
        msg["result"] = market.result or ""
        msg["determination_ts"] = int(ts)
        value = market.settlement_value if market.settlement_value is not None else ZERO
        msg["settlement_value"] = price(value)
    elif event_type == "settled":
        msg["settled_ts"] = int(market.settled_time if market.settled_time is not None else ts)
    return msg


def event_lifecycle_msg(event: Event) -> dict[str, Any]:
    return {
        "event_ticker": event.event_ticker,
        "exchange_index": 0,
        "title": event.title,
        "subtitle": event.sub_title,
        "collateral_return_type": "MECNET" if event.mutually_exclusive else "",
        "series_ticker": event.series_ticker,
    }
