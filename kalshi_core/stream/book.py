"""A managed order book: snapshot plus deltas, exact in ``Decimal``, that refuses stale reads.

Kalshi's book for a market holds bids on both outcomes: YES bids at YES prices, NO bids at NO
prices (a NO bid at ``q`` is a YES ask at ``1 - q``). ``OrderBook`` keeps both sides as
``price -> size`` maps in ``Decimal``, NO prices always in NO-leg pricing; a subscription made
with ``use_yes_price`` reports NO levels in YES-leg pricing, and the book converts them back.

Reads come in two vocabularies:

* the sides as Kalshi sends them: ``yes_bids()``, ``no_bids()`` (best first);
* the YES-book view a trader quotes in: ``bids()`` (YES bids) and ``asks()`` (NO bids at
  ``1 - q``), ``best_bid()``, ``best_ask()``, ``spread()``, ``depth(n)``, ``size_at(price,
  side)``.

The book knows whether it is in sync. It starts awaiting a snapshot; a gap in ``seq``, a
terminal error, a disconnect or a dropped message invalidate it (``invalidate(reason)``), and
every read then raises ``BookOutOfSyncError`` until the next snapshot. A delta whose ``seq`` is
not newer than the snapshot's is dropped. Everything here is pure: tests drive it by feeding
messages.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from kalshi_core.stream.errors import BookOutOfSyncError

__all__ = ["Depth", "Level", "OrderBook"]

_ONE = Decimal(1)
_ZERO = Decimal(0)


class Level(NamedTuple):
    """One price level: ``price`` in dollars and ``size`` in contracts, both ``Decimal``."""

    price: Decimal
    size: Decimal


class Depth(NamedTuple):
    """The top levels of the YES-book view: ``bids`` best (highest) first, ``asks`` best
    (lowest) first."""

    bids: list[Level]
    asks: list[Level]


class OrderBook:
    """The book of one market (see the module docstring).

    ``seq`` is the sequence number of the last message applied; ``reason`` is ``None`` while
    in sync, else why not.
    """

    __slots__ = ("_no", "_yes", "market_id", "market_ticker", "reason", "seq", "use_yes_price")

    def __init__(self, market_ticker: str, *, use_yes_price: bool = False) -> None:
        self.market_ticker = market_ticker
        self.market_id: str | None = None
        self.use_yes_price = use_yes_price
        self._yes: dict[Decimal, Decimal] = {}
        self._no: dict[Decimal, Decimal] = {}
        self.seq: int | None = None
        self.reason: str | None = "awaiting_snapshot"

    # -- state ------------------------------------------------------------------------------
    @property
    def in_sync(self) -> bool:
        return self.reason is None

    def invalidate(self, reason: str) -> None:
        """Mark the book out of sync; reads raise until the next snapshot."""
        if self.reason is None:
            self.reason = reason

    def apply_snapshot(self, msg: Any, seq: int | None) -> None:
        """Replace the book with a snapshot (an ``OrderbookSnapshotMsg``); back in sync."""
        yes: dict[Decimal, Decimal] = {}
        no: dict[Decimal, Decimal] = {}
        for target, levels, flip in (
            (yes, msg.yes_dollars_fp, False),
            (no, msg.no_dollars_fp, self.use_yes_price),
        ):
            for level in levels or ():
                if len(level) != 2:
                    raise ValueError(f"a price level must be [price, size], got {level!r}")
                price, size = level
                if flip:
                    price = _ONE - price
                if size:
                    target[price] = target.get(price, _ZERO) + size
        self._yes = yes
        self._no = no
        self.market_id = msg.market_id or self.market_id
        self.seq = seq
        self.reason = None

    def apply_delta(self, msg: Any, seq: int | None) -> bool:
        """Apply a delta (an ``OrderbookDeltaMsg``); False when it was not applied (the book
        is out of sync, or ``seq`` is not newer than the book's). A delta that would leave a
        negative size invalidates the book (``"inconsistent"``)."""
        if self.reason is not None:
            return False
        if seq is not None and self.seq is not None and seq <= self.seq:
            return False
        price = msg.price_dollars
        side = msg.side
        if side == "yes":
            levels = self._yes
        elif side == "no":
            levels = self._no
            if self.use_yes_price:
                price = _ONE - price
        else:
            self.invalidate("inconsistent")
            return False
        size = levels.get(price, _ZERO) + msg.delta_fp
        if size > 0:
            levels[price] = size
        elif size == 0:
            levels.pop(price, None)
        else:
            self.invalidate("inconsistent")
            return False
        if seq is not None:
            self.seq = seq
        return True

    # -- reads ------------------------------------------------------------------------------
    def _check(self) -> None:
        if self.reason is not None:
            raise BookOutOfSyncError(self.market_ticker, self.reason)

    def yes_bids(self) -> list[Level]:
        """YES bids, best (highest price) first."""
        self._check()
        return [Level(p, s) for p, s in sorted(self._yes.items(), reverse=True)]

    def no_bids(self) -> list[Level]:
        """NO bids at NO prices, best (highest price) first."""
        self._check()
        return [Level(p, s) for p, s in sorted(self._no.items(), reverse=True)]

    def bids(self) -> list[Level]:
        """The YES-book bids (YES bids), best first."""
        return self.yes_bids()

    def asks(self) -> list[Level]:
        """The YES-book asks (NO bids at ``1 - q``), best (lowest) first."""
        self._check()
        return [Level(_ONE - p, s) for p, s in sorted(self._no.items(), reverse=True)]

    def best_bid(self) -> Level | None:
        """The highest YES bid, or ``None`` when there is none."""
        self._check()
        # One C-level pass over the items: a consistent level even while another thread
        # (the sync driver's) applies deltas.
        best = max(self._yes.items(), default=None)
        return Level(*best) if best is not None else None

    def best_ask(self) -> Level | None:
        """The lowest YES ask (the highest NO bid, at ``1 - q``), or ``None``."""
        self._check()
        best = max(self._no.items(), default=None)
        return Level(_ONE - best[0], best[1]) if best is not None else None

    def spread(self) -> Decimal | None:
        """Best ask minus best bid in the YES view; ``None`` when a side is empty."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        return ask.price - bid.price

    def depth(self, levels: int = 10) -> Depth:
        """The best ``levels`` levels of each side of the YES view."""
        if levels < 0:
            raise ValueError("levels must be >= 0")
        return Depth(self.bids()[:levels], self.asks()[:levels])

    def size_at(self, price: Decimal | str, side: str = "bid") -> Decimal:
        """The size resting at ``price``: ``side`` ``"bid"``/``"ask"`` in the YES view, or
        ``"yes"``/``"no"`` for a side's own pricing. ``Decimal(0)`` for an empty level."""
        self._check()
        p = Decimal(price)
        if side in ("bid", "yes"):
            return self._yes.get(p, _ZERO)
        if side == "ask":
            return self._no.get(_ONE - p, _ZERO)
        if side == "no":
            return self._no.get(p, _ZERO)
        raise ValueError(f"side must be 'bid', 'ask', 'yes' or 'no', got {side!r}")

    def levels(self) -> dict[str, dict[Decimal, Decimal]]:
        """Both sides as ``{"yes": {price: size}, "no": {price: size}}`` (copies; NO at NO
        prices): the form to compare against another source of truth."""
        self._check()
        return {"yes": dict(self._yes), "no": dict(self._no)}

    def __repr__(self) -> str:
        state = "in sync" if self.reason is None else f"out of sync: {self.reason}"
        return (
            f"OrderBook({self.market_ticker!r}, {len(self._yes)} yes / {len(self._no)} no "
            f"levels, seq={self.seq}, {state})"
        )
