"""What the market-data reads need from the past: each market's quotes over time.

``QuoteHistory`` is an engine listener the exchange registers at birth. After every request or
helper call (``Flushed``) it records, for each market that changed, the best YES bid, the best
YES ask and the open interest, with the time. Trades need no recorder: the engine keeps them
(``Engine.trades``). Candlesticks and the "a day ago" fields of a market are read from these.
"""

from __future__ import annotations

import bisect
from decimal import Decimal

import attrs

from kalshi_testing._engine import Engine
from kalshi_testing._events import (
    BookChanged,
    EngineEvent,
    Flushed,
    MarketChanged,
    PositionChanged,
    TradeMade,
)

__all__ = ["Quote", "QuoteHistory"]


@attrs.frozen
class Quote:
    """A market's top of book and open interest from ``ts`` until the next quote."""

    ts: float
    bid: Decimal | None
    ask: Decimal | None
    open_interest: Decimal


class QuoteHistory:
    """Quotes per market, oldest first; see the module docstring."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.quotes: dict[str, list[Quote]] = {}
        self._times: dict[str, list[float]] = {}
        self._dirty: dict[str, float] = {}

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, BookChanged):
            self._dirty.setdefault(event.ticker, event.ts)
        elif isinstance(event, TradeMade):
            self._dirty.setdefault(event.trade.ticker, event.trade.created)
        elif isinstance(event, PositionChanged):
            self._dirty.setdefault(event.position.ticker, event.ts)
        elif isinstance(event, MarketChanged):
            self._dirty.setdefault(event.market.ticker, event.ts)
        elif isinstance(event, Flushed) and self._dirty:
            dirty, self._dirty = self._dirty, {}
            for ticker, ts in dirty.items():
                self._record(ticker, ts)

    def _record(self, ticker: str, ts: float) -> None:
        book = self.engine.books.get(ticker)
        if book is None:
            return
        quote = Quote(ts, book.best("bid"), book.best("ask"), self.engine.open_interest(ticker))
        quotes = self.quotes.setdefault(ticker, [])
        times = self._times.setdefault(ticker, [])
        if quotes and attrs.evolve(quotes[-1], ts=ts) == quote:
            return
        if times and ts < times[-1]:
            ts = times[-1]  # a helper given an earlier ``now``: keep the record ordered
            quote = attrs.evolve(quote, ts=ts)
        quotes.append(quote)
        times.append(ts)

    def at(self, ticker: str, ts: float) -> Quote | None:
        """The quote in force at ``ts`` (the last one recorded at or before it)."""
        times = self._times.get(ticker, [])
        i = bisect.bisect_right(times, ts)
        return self.quotes[ticker][i - 1] if i else None

    def between(self, ticker: str, lo: float, hi: float) -> list[Quote]:
        """Quotes recorded in ``(lo, hi]``."""
        times = self._times.get(ticker, [])
        return self.quotes.get(ticker, [])[
            bisect.bisect_right(times, lo) : bisect.bisect_right(times, hi)
        ]
