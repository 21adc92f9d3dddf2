"""Kalshi's WebSocket API, sync: ``with client.stream() as stream``.

The same surface as ``kalshi_async.stream`` without ``await``: ``subscribe_*`` methods return
``Subscription`` handles to iterate with ``for``; order books are managed and kept in sync by a
background thread. See ``docs/streaming.md``.
"""

from kalshi_core.stream import Backoff, OrderBook
from kalshi_sync.stream._stream import Stream, Subscription

__all__ = ["Backoff", "OrderBook", "Stream", "Subscription"]
