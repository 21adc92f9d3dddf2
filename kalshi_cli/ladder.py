"""The order book as a ladder: YES bids below, YES asks (NO bids seen from the YES side) above.

Kalshi's book lists bids only, for YES and for NO; a NO bid at ``p`` is a YES ask at ``1 - p``.
``Ladder`` holds both sides in Decimal and renders the top ``depth`` levels of each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
from rich.table import Table

__all__ = ["Ladder"]

ONE = Decimal(1)


@attrs.frozen
class Ladder:
    """YES bids and YES asks as ``(price, size)`` pairs, best first."""

    ticker: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]

    @classmethod
    def from_bids(
        cls,
        ticker: str,
        yes: Iterable[Sequence[Any]] | None,
        no: Iterable[Sequence[Any]] | None,
    ) -> Ladder:
        """From Kalshi's two bid lists of ``[price_dollars, count]`` (any order)."""
        bids = sorted(((Decimal(p), Decimal(c)) for p, c in yes or ()), reverse=True)
        asks = sorted((ONE - Decimal(p), Decimal(c)) for p, c in no or ())
        return cls(ticker, tuple(bids), tuple(asks))

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None

    @property
    def spread(self) -> Decimal | None:
        if self.best_bid is None or self.best_ask is None:
            return None
        return self.best_ask - self.best_bid

    def as_json(self, depth: int) -> dict[str, Any]:
        return {
            "ticker": self.ticker,
            "yes_bids": [[str(p), str(c)] for p, c in self.bids[:depth]],
            "yes_asks": [[str(p), str(c)] for p, c in self.asks[:depth]],
            "best_bid": None if self.best_bid is None else str(self.best_bid),
            "best_ask": None if self.best_ask is None else str(self.best_ask),
            "spread": None if self.spread is None else str(self.spread),
        }

    def render(self, depth: int, *, status: str = "") -> Table:
        """Asks on top (worst to best), then bids (best to worst), prices aligned."""
        title = f"{self.ticker}  YES book" + (f"  ({status})" if status else "")
        grid = Table(title=title, header_style="bold", min_width=40)
        grid.add_column("bid size", justify="right")
        grid.add_column("price", justify="right")
        grid.add_column("ask size", justify="right")
        for price, size in reversed(self.asks[:depth]):
            grid.add_row("", f"{price:.4f}", _count(size), style="red")
        spread = self.spread
        grid.add_row("", f"spread {spread:.4f}" if spread is not None else "no spread", "",
                     style="dim")
        for price, size in self.bids[:depth]:
            grid.add_row(_count(size), f"{price:.4f}", "", style="green")
        return grid


def _count(size: Decimal) -> str:
    return f"{size:,.2f}" if size != size.to_integral_value() else f"{size:,.0f}"
