"""The fake's market-data reads, answered from the engine's own state (spec 3.31 shapes).

Markets, events and series as ``add_market`` / ``add_event`` / ``add_series`` made them, with
live prices from the book; the order book in Kalshi's REST shape (YES bids and NO bids, NO at
NO prices, ascending); the public trades the engine recorded; candlesticks built from those
trades and the quote history (``kalshi_testing._history``); the exchange's status and
schedule. Written by hand from the spec, not through the SDK's models.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from kalshi_testing._errors import FakeError
from kalshi_testing._exchange import Context, handler, page
from kalshi_testing._fees import FeeSchedule
from kalshi_testing._history import Quote, QuoteHistory
from kalshi_testing._state import Event, Market, Series, Trade
from kalshi_testing._stream_json import ladder, scheduled_close
from kalshi_testing._wire import count_fp, iso, price

__all__: list[str] = []

ONE = Decimal(1)
ZERO = Decimal(0)
DAY = 86400.0
PERIODS = (1, 60, 1440)
MAX_CANDLES = 5000
MAX_BATCH_CANDLES = 10_000
MAX_BATCH_MARKETS = 100
_STATUS = {"active": "active", "paused": "inactive", "closed": "closed", "settled": "finalized"}
_FILTER_STATUS = {"open": "active", "paused": "paused", "closed": "closed", "settled": "settled"}


def _bool_arg(ctx: Context, name: str) -> bool | None:
    text = ctx.arg(name)
    if text is None or text == "":
        return None
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise FakeError(400, "invalid_parameters", f"{name} must be true or false")
    return lowered == "true"


def _csv_arg(ctx: Context, name: str) -> list[str] | None:
    values = ctx.query.get(name)
    if not values:
        return None
    out = [t for v in values for t in v.split(",") if t]
    return out or None


def _history(ctx: Context) -> QuoteHistory:
    return ctx.exchange.history


def _top(ctx: Context, market: Market) -> tuple[Decimal | None, Decimal, Decimal | None, Decimal]:
    """Best bid and its size, best ask and its size."""
    book = ctx.engine.books[market.ticker]
    bids = [(p, c) for p, c in book.depth("bid") if c > 0]
    asks = [(p, c) for p, c in book.depth("ask") if c > 0]
    bid, bid_size = bids[0] if bids else (None, ZERO)
    ask, ask_size = asks[0] if asks else (None, ZERO)
    return bid, bid_size, ask, ask_size


def _series_of(ctx: Context, market: Market) -> str:
    return ctx.engine.events[market.event_ticker].series_ticker


def _trades_of(ctx: Context, ticker: str) -> list[Trade]:
    return [t for t in ctx.engine.trades if t.ticker == ticker]


def market_json(ctx: Context, market: Market) -> dict[str, Any]:
    """A ``Market`` (spec 3.31) with every required field."""
    bid, bid_size, ask, ask_size = _top(ctx, market)
    now = ctx.now
    day_ago = _history(ctx).at(market.ticker, now - DAY)
    previous_trades = [t for t in _trades_of(ctx, market.ticker) if t.created <= now - DAY]
    volume_24h = sum(
        (t.count for t in _trades_of(ctx, market.ticker) if t.created > now - DAY), ZERO
    )
    close = scheduled_close(market)
    out: dict[str, Any] = {
        "ticker": market.ticker,
        "event_ticker": market.event_ticker,
        "market_type": "binary",
        "title": market.title,
        "subtitle": market.subtitle,
        "yes_sub_title": market.yes_sub_title,
        "no_sub_title": market.no_sub_title,
        "created_time": iso(market.created),
        "updated_time": iso(market.created),
        "open_time": iso(market.open_time if market.open_time is not None else market.created),
        "close_time": iso(close),
        "expected_expiration_time": iso(close),
        "latest_expiration_time": iso(close),
        "settlement_timer_seconds": 0,
        "status": _STATUS.get(market.status, market.status),
        "yes_bid_dollars": price(bid if bid is not None else ZERO),
        "yes_bid_size_fp": count_fp(bid_size),
        "yes_ask_dollars": price(ask if ask is not None else ONE),
        "yes_ask_size_fp": count_fp(ask_size),
        "no_bid_dollars": price(ONE - ask if ask is not None else ZERO),
        "no_ask_dollars": price(ONE - bid if bid is not None else ONE),
        "last_price_dollars": price(market.last_price if market.last_price is not None else ZERO),
        "volume_fp": count_fp(market.volume),
        "volume_24h_fp": count_fp(volume_24h),
        "result": market.result or "",
        "can_close_early": True,
        "open_interest_fp": count_fp(ctx.engine.open_interest(market.ticker)),
        "notional_value_dollars": price(ONE),
        "previous_yes_bid_dollars": price(
            day_ago.bid if day_ago is not None and day_ago.bid is not None else ZERO
        ),
        "previous_yes_ask_dollars": price(
            day_ago.ask if day_ago is not None and day_ago.ask is not None else ONE
        ),
        "previous_price_dollars": price(previous_trades[-1].price if previous_trades else ZERO),
        "settlement_bounds_type": "default",
        "expiration_value": "",
        "rules_primary": market.rules_primary,
        "rules_secondary": market.rules_secondary,
        "price_level_structure": "deci_cent" if market.tick == Decimal("0.001") else "linear_cent",
        "price_ranges": [{"start": price(ZERO), "end": price(ONE), "step": price(market.tick)}],
        "is_provisional": False,
        "exchange_index": 0,
    }
    if market.status == "settled":
        value = market.settlement_value if market.settlement_value is not None else ZERO
        out["settlement_value_dollars"] = price(value)
        if market.settled_time is not None:
            out["settlement_ts"] = iso(market.settled_time)
    return out


def _market(ctx: Context, ticker: str) -> Market:
    market = ctx.engine.markets.get(ticker)
    if market is None:
        raise FakeError(404, "not_found", f"market {ticker} not found")
    return market


def _in_range(value: float | None, ctx: Context, lo: str, hi: str) -> bool:
    low = ctx.int_arg(lo)
    high = ctx.int_arg(hi)
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value > low) and (high is None or value <= high)


@handler("GetMarkets")
def get_markets(ctx: Context) -> tuple[int, Any]:
    status = ctx.arg("status")
    if status and status not in ("unopened", "open", "paused", "closed", "settled"):
        raise FakeError(400, "invalid_parameters", "status is not a market status")
    mve = ctx.arg("mve_filter")
    if mve and mve not in ("only", "exclude"):
        raise FakeError(400, "invalid_parameters", "mve_filter must be only or exclude")
    event_ticker = ctx.arg("event_ticker")
    series_ticker = ctx.arg("series_ticker")
    tickers = _csv_arg(ctx, "tickers")
    chosen = []
    for market in ctx.engine.markets.values():
        if event_ticker and market.event_ticker != event_ticker:
            continue
        if series_ticker and _series_of(ctx, market) != series_ticker:
            continue
        if tickers is not None and market.ticker not in tickers:
            continue
        if status and _FILTER_STATUS.get(status) != market.status:
            continue
        if mve == "only":
            continue
        if not _in_range(market.created, ctx, "min_created_ts", "max_created_ts"):
            continue
        if not _in_range(market.created, ctx, "min_updated_ts", "max_updated_ts"):
            continue
        if not _in_range(scheduled_close(market), ctx, "min_close_ts", "max_close_ts"):
            continue
        if not _in_range(market.settled_time, ctx, "min_settled_ts", "max_settled_ts"):
            continue
        chosen.append(market)
    items, cursor = page(chosen, ctx, default_limit=100, max_limit=1000)
    return 200, {"markets": [market_json(ctx, m) for m in items], "cursor": cursor}


@handler("GetMarket")
def get_market(ctx: Context) -> tuple[int, Any]:
    return 200, {"market": market_json(ctx, _market(ctx, ctx.path_params["ticker"]))}


def orderbook_json(ctx: Context, market: Market, depth: int = 0) -> dict[str, Any]:
    """``OrderbookCountFp``: YES bids and NO bids (NO prices), ascending; the best ``depth``
    levels of each side when ``depth`` > 0."""
    view = ladder(ctx.engine.books[market.ticker])
    yes, no = list(view.yes), list(view.no)
    if depth > 0:
        yes, no = yes[-depth:], no[-depth:]
    return {
        "yes_dollars": [[price(p), count_fp(c)] for p, c in yes],
        "no_dollars": [[price(p), count_fp(c)] for p, c in no],
    }


@handler("GetMarketOrderbook")
def get_market_orderbook(ctx: Context) -> tuple[int, Any]:
    market = _market(ctx, ctx.path_params["ticker"])
    depth = ctx.int_arg("depth", 0, None, 100) or 0
    return 200, {"orderbook_fp": orderbook_json(ctx, market, depth)}


@handler("GetMarketOrderbooks")
def get_market_orderbooks(ctx: Context) -> tuple[int, Any]:
    tickers = _csv_arg(ctx, "tickers")
    if not tickers:
        raise FakeError(400, "invalid_parameters", "tickers is required")
    if len(tickers) > MAX_BATCH_MARKETS:
        raise FakeError(400, "invalid_parameters", "at most 100 tickers")
    books = [{"ticker": t, "orderbook_fp": orderbook_json(ctx, _market(ctx, t))} for t in tickers]
    return 200, {"orderbooks": books}


def trade_json(trade: Trade) -> dict[str, Any]:
    outcome = "yes" if trade.taker_book_side == "bid" else "no"
    return {
        "trade_id": trade.trade_id,
        "ticker": trade.ticker,
        "count_fp": count_fp(trade.count),
        "yes_price_dollars": price(trade.price),
        "no_price_dollars": price(ONE - trade.price),
        "taker_side": outcome,
        "taker_outcome_side": outcome,
        "taker_book_side": trade.taker_book_side,
        "created_time": iso(trade.created),
        "is_block_trade": False,
    }


@handler("GetTrades")
def get_trades(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.arg("ticker")
    min_ts, max_ts = ctx.int_arg("min_ts"), ctx.int_arg("max_ts")
    block = _bool_arg(ctx, "is_block_trade")
    trades = [
        t
        for t in reversed(ctx.engine.trades)  # newest first
        if (not ticker or t.ticker == ticker)
        and (min_ts is None or t.created >= min_ts)
        and (max_ts is None or t.created <= max_ts)
        and block is not True
    ]
    items, cursor = page(trades, ctx, default_limit=100, max_limit=1000)
    return 200, {"trades": [trade_json(t) for t in items], "cursor": cursor}


# -- events and series ----------------------------------------------------------------------------
def _event_markets(ctx: Context, event: Event) -> list[Market]:
    return [m for m in ctx.engine.markets.values() if m.event_ticker == event.event_ticker]


def event_json(ctx: Context, event: Event, *, nested: bool) -> dict[str, Any]:
    series = ctx.engine.series_info.get(event.series_ticker)
    out: dict[str, Any] = {
        "event_ticker": event.event_ticker,
        "series_ticker": event.series_ticker,
        "sub_title": event.sub_title,
        "title": event.title,
        "collateral_return_type": "MECNET" if event.mutually_exclusive else "",
        "mutually_exclusive": event.mutually_exclusive,
        "category": event.category or (series.category if series is not None else ""),
        "strike_date": None,
        "strike_period": None,
        "settlement_sources": [],
        "last_updated_ts": iso(event.updated),
        "exchange_index": 0,
    }
    if nested:
        out["markets"] = [market_json(ctx, m) for m in _event_markets(ctx, event)]
    return out


def _event_status(ctx: Context, event: Event) -> str:
    markets = _event_markets(ctx, event)
    if not markets:
        return "unopened"
    if all(m.status == "settled" for m in markets):
        return "settled"
    if all(m.status in ("closed", "settled") for m in markets):
        return "closed"
    return "open"


@handler("GetEvents")
def get_events(ctx: Context) -> tuple[int, Any]:
    status = ctx.arg("status")
    if status and status not in ("unopened", "open", "closed", "settled"):
        raise FakeError(400, "invalid_parameters", "status is not an event status")
    nested = bool(_bool_arg(ctx, "with_nested_markets"))
    milestones = bool(_bool_arg(ctx, "with_milestones"))
    series_ticker = ctx.arg("series_ticker")
    tickers = _csv_arg(ctx, "tickers")
    min_close = ctx.int_arg("min_close_ts")
    min_updated = ctx.int_arg("min_updated_ts")
    chosen = []
    for event in ctx.engine.events.values():
        if series_ticker and event.series_ticker != series_ticker:
            continue
        if tickers is not None and event.event_ticker not in tickers:
            continue
        if status and _event_status(ctx, event) != status:
            continue
        if min_close is not None and not any(
            scheduled_close(m) > min_close for m in _event_markets(ctx, event)
        ):
            continue
        if min_updated is not None and event.updated <= min_updated:
            continue
        chosen.append(event)
    items, cursor = page(chosen, ctx, default_limit=200, max_limit=200)
    out: dict[str, Any] = {"events": [event_json(ctx, e, nested=nested) for e in items]}
    if milestones:
        out["milestones"] = []
    out["cursor"] = cursor
    return 200, out


@handler("GetEvent")
def get_event(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.path_params["event_ticker"]
    event = ctx.engine.events.get(ticker)
    if event is None:
        raise FakeError(404, "not_found", f"event {ticker} not found")
    nested = bool(_bool_arg(ctx, "with_nested_markets"))
    markets = [market_json(ctx, m) for m in _event_markets(ctx, event)]
    return 200, {"event": event_json(ctx, event, nested=nested), "markets": markets}


def series_json(ctx: Context, series: Series, *, volume: bool) -> dict[str, Any]:
    fees = ctx.engine.series.get(series.ticker) or FeeSchedule()
    out: dict[str, Any] = {
        "ticker": series.ticker,
        "frequency": series.frequency,
        "title": series.title,
        "category": series.category,
        "categories": [series.category] if series.category else [],
        "tags": list(series.tags),
        "settlement_sources": [],
        "contract_url": "",
        "contract_terms_url": "",
        "fee_type": fees.fee_type,
        "fee_multiplier": float(fees.multiplier),
        "additional_prohibitions": [],
        "last_updated_ts": iso(series.updated),
        "exchange_index": 0,
    }
    if volume:
        events = {
            e.event_ticker for e in ctx.engine.events.values() if e.series_ticker == series.ticker
        }
        total = sum(
            (m.volume for m in ctx.engine.markets.values() if m.event_ticker in events), ZERO
        )
        out["volume_fp"] = count_fp(total)
    return out


@handler("GetSeriesList")
def get_series_list(ctx: Context) -> tuple[int, Any]:
    category = ctx.arg("category")
    tags = _csv_arg(ctx, "tags")
    volume = bool(_bool_arg(ctx, "include_volume"))
    _bool_arg(ctx, "include_product_metadata")
    min_updated = ctx.int_arg("min_updated_ts")
    chosen = [
        s
        for s in ctx.engine.series_info.values()
        if (not category or s.category == category)
        and (tags is None or set(tags) & set(s.tags))
        and (min_updated is None or s.updated > min_updated)
    ]
    return 200, {"series": [series_json(ctx, s, volume=volume) for s in chosen]}


@handler("GetSeries")
def get_series(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.path_params["series_ticker"]
    series = ctx.engine.series_info.get(ticker)
    if series is None:
        raise FakeError(404, "not_found", f"series {ticker} not found")
    volume = bool(_bool_arg(ctx, "include_volume"))
    return 200, {"series": series_json(ctx, series, volume=volume)}


# -- candlesticks ---------------------------------------------------------------------------------
def _distribution(values: list[Decimal], first: Decimal, last: Decimal) -> dict[str, str]:
    return {
        "open_dollars": price(first),
        "low_dollars": price(min(values)),
        "high_dollars": price(max(values)),
        "close_dollars": price(last),
    }


def _candle(ctx: Context, market: Market, lo: float, hi: float) -> dict[str, Any]:
    """The candlestick for ``(lo, hi]``."""
    history = _history(ctx)
    opening = history.at(market.ticker, lo)
    closing = history.at(market.ticker, hi)
    inside = history.between(market.ticker, lo, hi)

    def bids(q: Quote | None) -> Decimal:
        return q.bid if q is not None and q.bid is not None else ZERO

    def asks(q: Quote | None) -> Decimal:
        return q.ask if q is not None and q.ask is not None else ONE

    quotes: list[Quote | None] = [opening, *inside] if opening is not None else [*inside]
    if not quotes:
        quotes = [None]
    trades = [t for t in _trades_of(ctx, market.ticker) if lo < t.created <= hi]
    before = [t for t in _trades_of(ctx, market.ticker) if t.created <= lo]
    previous = price(before[-1].price) if before else None
    if trades:
        volume = sum((t.count for t in trades), ZERO)
        mean = sum((t.price * t.count for t in trades), ZERO) / volume
        prices: dict[str, Any] = {
            **_distribution([t.price for t in trades], trades[0].price, trades[-1].price),
            "mean_dollars": price(mean.quantize(Decimal("0.000001"))),
            "previous_dollars": previous,
        }
    else:
        volume = ZERO
        prices = dict.fromkeys(
            ("open_dollars", "low_dollars", "high_dollars", "close_dollars", "mean_dollars"), None
        )
        prices["previous_dollars"] = previous
    return {
        "end_period_ts": int(hi),
        "yes_bid": _distribution([bids(q) for q in quotes], bids(quotes[0]), bids(closing)),
        "yes_ask": _distribution([asks(q) for q in quotes], asks(quotes[0]), asks(closing)),
        "price": prices,
        "volume_fp": count_fp(volume),
        "open_interest_fp": count_fp(closing.open_interest if closing is not None else ZERO),
    }


def _period_ends(
    ctx: Context, market: Market, start: int, end: int, minutes: int, *, before: bool
) -> list[int]:
    """The ends of the periods to report: those ending in ``[start, end]`` from the market's
    first period to the current one (plus the one before ``start`` when ``before``)."""
    period = minutes * 60
    first = max(math.ceil(start / period), math.ceil(market.created / period)) * period
    if before and first - period >= math.ceil(market.created / period) * period:
        first -= period
    last = min(end // period * period, math.ceil(ctx.now / period) * period)
    return list(range(first, last + 1, period))


def _candle_args(ctx: Context, *, any_period: bool = False) -> tuple[int, int, int, bool]:
    start = ctx.int_arg("start_ts")
    end = ctx.int_arg("end_ts")
    period = ctx.int_arg("period_interval")
    if start is None or end is None or period is None:
        raise FakeError(
            400, "invalid_parameters", "start_ts, end_ts and period_interval are required"
        )
    if period not in PERIODS and not (any_period and period > 0):
        raise FakeError(400, "invalid_parameters", "period_interval must be 1, 60 or 1440")
    if start > end:
        raise FakeError(400, "invalid_parameters", "start_ts must not be after end_ts")
    return start, end, period, bool(_bool_arg(ctx, "include_latest_before_start"))


@handler("GetMarketCandlesticks")
def get_market_candlesticks(ctx: Context) -> tuple[int, Any]:
    market = _market(ctx, ctx.path_params["ticker"])
    if _series_of(ctx, market) != ctx.path_params["series_ticker"]:
        raise FakeError(404, "not_found", "market not found in that series")
    start, end, minutes, before = _candle_args(ctx)
    ends = _period_ends(ctx, market, start, end, minutes, before=before)
    if len(ends) > MAX_CANDLES:
        raise FakeError(400, "invalid_parameters", "too many candlesticks requested")
    candles = [_candle(ctx, market, e - minutes * 60, e) for e in ends]
    return 200, {"ticker": market.ticker, "candlesticks": candles}


@handler("GetMarketCandlesticksByEvent")
def get_event_candlesticks(ctx: Context) -> tuple[int, Any]:
    ticker = ctx.path_params["ticker"]
    event = ctx.engine.events.get(ticker)
    if event is None or event.series_ticker != ctx.path_params["series_ticker"]:
        raise FakeError(404, "not_found", f"event {ticker} not found")
    start, end, minutes, _ = _candle_args(ctx)
    markets = _event_markets(ctx, event)
    per_market = [_period_ends(ctx, m, start, end, minutes, before=False) for m in markets]
    total = sum(len(e) for e in per_market)
    adjusted = end
    if total > MAX_CANDLES:  # cut the range so the answer stays within the limit
        keep = MAX_CANDLES // max(len(markets), 1)
        adjusted = min(e[min(keep, len(e)) - 1] for e in per_market if e)
        per_market = [[x for x in e if x <= adjusted] for e in per_market]
    return 200, {
        "market_tickers": [m.ticker for m in markets],
        "market_candlesticks": [
            [_candle(ctx, m, e - minutes * 60, e) for e in ends]
            for m, ends in zip(markets, per_market, strict=True)
        ],
        "adjusted_end_ts": adjusted,
    }


@handler("BatchGetMarketCandlesticks")
def batch_get_market_candlesticks(ctx: Context) -> tuple[int, Any]:
    tickers = _csv_arg(ctx, "market_tickers")
    if not tickers:
        raise FakeError(400, "invalid_parameters", "market_tickers is required")
    if len(tickers) > MAX_BATCH_MARKETS:
        raise FakeError(400, "invalid_parameters", "at most 100 market_tickers")
    start, end, minutes, before = _candle_args(ctx)
    markets = [_market(ctx, t) for t in tickers]
    ends = [_period_ends(ctx, m, start, end, minutes, before=before) for m in markets]
    if sum(len(e) for e in ends) > MAX_BATCH_CANDLES:
        raise FakeError(400, "invalid_parameters", "too many candlesticks requested")
    return 200, {
        "markets": [
            {
                "market_ticker": m.ticker,
                "candlesticks": [_candle(ctx, m, x - minutes * 60, x) for x in e],
            }
            for m, e in zip(markets, ends, strict=True)
        ]
    }


# -- the exchange ---------------------------------------------------------------------------------
@handler("GetExchangeStatus")
def get_exchange_status(ctx: Context) -> tuple[int, Any]:
    engine = ctx.engine
    return 200, {
        "exchange_active": not engine.exchange_paused,
        "trading_active": not (engine.trading_paused or engine.exchange_paused),
        "intra_exchange_transfers_active": not engine.exchange_paused,
    }


_ALL_DAY = [{"open_time": "00:00", "close_time": "23:59"}]


@handler("GetExchangeSchedule")
def get_exchange_schedule(ctx: Context) -> tuple[int, Any]:
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    week: dict[str, Any] = {
        "start_time": iso(0),
        "end_time": iso(4102444800),  # 2100-01-01: the fake trades around the clock
        **{day: list(_ALL_DAY) for day in days},
    }
    return 200, {"schedule": {"standard_hours": [week], "maintenance_windows": []}}


@handler("GetExchangeAnnouncements")
def get_exchange_announcements(ctx: Context) -> tuple[int, Any]:
    return 200, {"announcements": []}


@handler("GetUserDataTimestamp")
def get_user_data_timestamp(ctx: Context) -> tuple[int, Any]:
    return 200, {"as_of_time": iso(ctx.now)}


@handler("GetHistoricalCutoff")
def get_historical_cutoff(ctx: Context) -> tuple[int, Any]:
    epoch = iso(0)  # nothing is historical on the fake: every record is served live
    return 200, {
        "market_settled_ts": epoch,
        "trades_created_ts": epoch,
        "orders_updated_ts": epoch,
    }
