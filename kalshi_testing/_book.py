"""One market's YES order book with price-time priority.

Bids (buy YES) and asks (sell YES, i.e. buy NO at ``1 - price``) rest in FIFO queues per price
level, ordered by each order's ``priority``. The book only stores and orders; the engine decides
what trades.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from decimal import Decimal

from kalshi_testing._state import Order

__all__ = ["Book"]


LevelListener = Callable[[Order, Decimal], None]


class Book:
    """Resting orders of one market, by side and price level.

    ``on_change(order, delta)`` (optional) is told every time the contracts resting at
    ``order``'s level change, after the change: when an order rests or leaves the book here,
    and when the engine reports a fill or a decrease of a resting order (:meth:`reduced`).
    """

    def __init__(self, on_change: LevelListener | None = None) -> None:
        self._levels: dict[str, dict[Decimal, list[Order]]] = {"bid": {}, "ask": {}}
        self._on_change = on_change

    def add(self, order: Order) -> None:
        """Rest ``order`` at the back of its level (behind every order of lower priority)."""
        level = self._levels[order.book_side].setdefault(order.price, [])
        if level and level[-1].priority > order.priority:
            bisect.insort(level, order, key=lambda o: o.priority)  # an amend that kept its place
        else:
            level.append(order)
        order.on_book = True
        if self._on_change is not None and order.remaining > 0:
            self._on_change(order, order.remaining)

    def reduced(self, order: Order, count: Decimal) -> None:
        """Report that a resting ``order`` lost ``count`` contracts (filled or decreased)."""
        if self._on_change is not None and order.on_book and count > 0:
            self._on_change(order, -count)

    def remove(self, order: Order) -> None:
        """Take ``order`` off the book (no-op if it is not there)."""
        if not order.on_book:
            return
        levels = self._levels[order.book_side]
        level = levels.get(order.price, [])
        if level and level[0] is order:
            del level[0]  # the usual case: the front of the queue filled
        elif order in level:
            level.remove(order)
        if not level:
            levels.pop(order.price, None)
        order.on_book = False
        if self._on_change is not None and order.remaining > 0:
            self._on_change(order, -order.remaining)

    def crossing(self, side: str, limit: Decimal) -> Iterator[Order]:
        """Resting orders a new ``side`` order at ``limit`` would trade with, best first.

        A bid crosses asks priced at or below its limit (lowest first); an ask crosses bids at
        or above it (highest first). Within a level, earliest priority first. The iterator reads
        a snapshot, so the caller may remove orders while iterating.
        """
        if side == "bid":
            levels = self._levels["ask"]
            prices = sorted(p for p in levels if p <= limit)
        else:
            levels = self._levels["bid"]
            prices = sorted((p for p in levels if p >= limit), reverse=True)
        for price in prices:
            yield from list(levels.get(price, ()))

    def ahead(self, order: Order) -> Decimal:
        """Contracts queued before ``order`` at its price level."""
        total = Decimal(0)
        for other in self._levels[order.book_side].get(order.price, ()):
            if other is order:
                return total
            total += other.remaining
        return total

    def orders(self) -> Iterator[Order]:
        """Every resting order (no particular order)."""
        for levels in self._levels.values():
            for level in levels.values():
                yield from level

    def best(self, side: str) -> Decimal | None:
        """The best price resting on ``side`` (highest bid, lowest ask)."""
        prices = self._levels[side]
        if not prices:
            return None
        return max(prices) if side == "bid" else min(prices)

    def depth(self, side: str) -> list[tuple[Decimal, Decimal]]:
        """``(price, contracts)`` per level on ``side``, best first."""
        levels = self._levels[side]
        prices = sorted(levels, reverse=side == "bid")
        return [(p, sum((o.remaining for o in levels[p]), Decimal(0))) for p in prices]
