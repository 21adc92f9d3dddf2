"""The live book for ``kalshi book --watch``: the stream's managed book, redrawn per message.

``stream_ladders`` subscribes to one market's ``orderbook_delta`` channel on the client's
stream and yields a ``(Ladder, status)`` after every message. While the managed book is out of
sync (a gap, a terminal error, a reconnect) it refuses to be read; the view then keeps the
last good ladder on screen, marked with the reason, until the stream has resynced it: the
command never shows a stale book as live.
"""

from __future__ import annotations

from collections.abc import Iterator

from kalshi_cli.ladder import Ladder
from kalshi_core.stream.errors import BookOutOfSyncError
from kalshi_sync import Client

__all__ = ["stream_ladders"]


def stream_ladders(client: Client, ticker: str) -> Iterator[tuple[Ladder, str]]:
    """Yield the YES ladder of ``ticker`` and its status after each message of the stream."""
    last = Ladder(ticker, (), ())
    with client.stream() as stream:
        subscription = stream.subscribe_orderbook([ticker])
        for _message in subscription:
            book = subscription.book(ticker)
            try:
                bids = tuple((level.price, level.size) for level in book.bids())
                asks = tuple((level.price, level.size) for level in book.asks())
            except BookOutOfSyncError as exc:
                yield last, f"out of sync ({exc.reason}): resyncing"
                continue
            last = Ladder(ticker, bids, asks)
            yield last, "live"
