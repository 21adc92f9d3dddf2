"""Kalshi's WebSocket API, async (asyncio or trio): ``async with client.stream() as stream``.

``Stream`` holds one multiplexed connection; its ``subscribe_*`` methods return
``Subscription`` handles to iterate (``async for``) and, for order books, managed
``OrderBook`` objects kept in sync. See ``docs/streaming.md``.
"""

from kalshi_async.stream._stream import Stream, Subscription
from kalshi_core.stream import Backoff, OrderBook

__all__ = ["Backoff", "OrderBook", "Stream", "Subscription"]
