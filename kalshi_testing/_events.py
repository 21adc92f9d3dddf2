"""What the engine tells its observers: one value per change, in the order the changes happen.

The engine calls every listener registered with ``Engine.listen`` synchronously, at the moment
of the change and under the exchange's lock, so a listener sees the state exactly as the event
leaves it (a ``BookChanged`` listener reading the book sees the level already moved). Listeners
must not call back into the engine. The loopback server's WebSocket endpoint is one listener;
``EventLog`` is a small one for tests.

Nothing here knows about sockets or JSON: the stream endpoint turns events into frames.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import attrs

from kalshi_testing._state import Fill, Market, Order, OrderGroup, Position, Trade

__all__ = [
    "BookChanged",
    "EngineEvent",
    "EventLog",
    "FillMade",
    "Flushed",
    "GroupChanged",
    "Listener",
    "MarketChanged",
    "OrderChanged",
    "PositionChanged",
    "TradeMade",
]


@attrs.frozen
class BookChanged:
    """A price level of ``ticker``'s YES book moved by ``delta`` contracts.

    ``book_side`` is ``bid`` (YES bids) or ``ask`` (YES asks, i.e. NO bids at ``1 - price``).
    ``order`` is the resting order whose size changed; ``cause`` the order whose action made
    the change (the taker for a fill, the order itself for a rest, cancel or decrease), or
    ``None`` when the exchange did it (settlement, pause, expiry).
    """

    ticker: str
    book_side: str
    price: Decimal
    delta: Decimal
    order: Order
    cause: Order | None
    ts: float


@attrs.frozen
class TradeMade:
    """A public trade: ``count`` contracts at the maker's YES ``price``."""

    trade: Trade


@attrs.frozen
class FillMade:
    """One side of a trade, for its participant; ``post_position`` is the signed position in
    the market after the fill (and after any netting)."""

    fill: Fill
    post_position: Decimal


@attrs.frozen
class OrderChanged:
    """An order was created, filled, amended, decreased or canceled (its state is current)."""

    order: Order
    ts: float


@attrs.frozen
class PositionChanged:
    """A position changed through a fill, a netting redemption or a settlement."""

    position: Position
    ts: float


@attrs.frozen
class GroupChanged:
    """An order group was ``created``, ``triggered``, ``reset``, ``deleted`` or had its
    limit updated (``limit_updated``)."""

    group: OrderGroup
    event_type: str
    ts: float


@attrs.frozen
class MarketChanged:
    """A market's lifecycle moved: ``created``, ``deactivated`` (trading paused),
    ``activated`` (resumed), ``determined`` or ``settled``. ``new_event`` is true on the
    ``created`` of the first market of an event."""

    market: Market
    event_type: str
    ts: float
    new_event: bool = False


@attrs.frozen
class Flushed:
    """The exchange finished one request or test helper call (its lock is about to be
    released): what changed since the last ``Flushed`` is complete and consistent. Listeners
    that summarise state (a ticker) publish here rather than after every small change."""

    ts: float


EngineEvent = (
    BookChanged
    | TradeMade
    | FillMade
    | OrderChanged
    | PositionChanged
    | GroupChanged
    | MarketChanged
    | Flushed
)
Listener = Callable[[EngineEvent], None]
_E = TypeVar("_E")


class EventLog:
    """A listener that keeps every event (``events``), for tests that assert on what happened:
    ``log = EventLog(); fake.engine.listen(log)``."""

    def __init__(self) -> None:
        self.events: list[EngineEvent] = []

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)

    def of(self, kind: type[_E]) -> list[_E]:
        """The events of one kind, in order."""
        return [e for e in self.events if isinstance(e, kind)]
