"""The sync streaming driver: the async driver on an event loop in a background thread.

``with client.stream() as stream`` starts one thread (an anyio blocking portal running
asyncio) that owns the connection; every method of the sync ``Stream`` and ``Subscription``
hands its work to that thread and waits for the answer, so the surface is the async one without
``await``: the same ``subscribe_*`` methods, iterators (``for message in subscription``) and
callbacks (``on_message=``, called in the stream's thread: keep them short).

Leaving the ``with`` block (normally, by an exception, or by ``KeyboardInterrupt`` while a loop
waits for the next message) closes the connection and joins the thread: nothing is left
behind. The slow-consumer policy is the async driver's: bounded queues that discard their
oldest message, books kept in sync regardless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.from_thread

from kalshi_async.stream._stream import Stream as AsyncStream
from kalshi_async.stream._stream import Subscription as AsyncSubscription
from kalshi_core.stream import OrderBook, websocket_url
from kalshi_core.stream.errors import StreamClosedError, StreamError
from kalshi_core.stream.surface import ChannelSurface, SubscriptionSurface

if TYPE_CHECKING:
    from kalshi_sync._client import Client

__all__ = ["Stream", "Subscription"]


class Subscription(SubscriptionSurface):
    """A handle on one subscription (see ``kalshi_async.stream.Subscription``); iterate it
    with ``for``."""

    def __init__(self, stream: Stream, handle: AsyncSubscription) -> None:
        self._stream = stream
        self._handle = handle

    @property
    def channel(self) -> str:
        return self._handle.channel

    @property
    def sid(self) -> int | None:
        return self._handle.sid

    @property
    def state(self) -> str:
        return self._handle.state

    @property
    def market_tickers(self) -> list[str] | None:
        return self._handle.market_tickers

    @property
    def error(self) -> StreamError | None:
        return self._handle.error

    @property
    def dropped(self) -> int:
        return self._handle.dropped

    @property
    def books(self) -> dict[str, OrderBook]:
        return self._handle.books

    def book(self, market_ticker: str) -> OrderBook:
        """The managed book of ``market_ticker``; its reads raise ``BookOutOfSyncError``
        while it is stale. (Reads race with the stream's thread applying deltas only at the
        level of one read; take ``book.depth()`` for a consistent view of both sides.)"""
        return self._handle.book(market_ticker)

    def wait_synced(self, timeout: float | None = 10.0) -> None:
        self._stream._call(self._handle.wait_synced, timeout)

    def unsubscribe(self) -> None:
        self._stream.unsubscribe(self)

    def update(
        self, action: str, market_tickers: Sequence[str] | None = None, **params: Any
    ) -> Any:
        """``update_subscription`` with ``action``; returns the reply's ``msg``."""
        return self._stream._call(_kw(self._handle.update, action, market_tickers, **params))

    def __iter__(self) -> Iterator[Any]:
        return self._stream._iterate(self._handle.__aiter__())

    def __repr__(self) -> str:
        return repr(self._handle)


class Stream(ChannelSurface):
    """One WebSocket connection, sync (see the module docstring); options as
    ``kalshi_async.stream.Stream``, plus ``backend`` (``"asyncio"`` or ``"trio"``) for the
    loop in the background thread."""

    def __init__(self, *, backend: str = "asyncio", **options: Any) -> None:
        self._options = options
        self._backend = backend
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._async: AsyncStream | None = None
        self._stop: anyio.Event | None = None
        self._main: Any = None
        self._closed = False

    @classmethod
    def from_client(cls, client: Client, **options: Any) -> Stream:
        """A stream with ``client``'s credentials, environment and clock."""
        url = options.pop("url", None) or websocket_url(client.base_url)
        clock = client._clock
        return cls(
            url=url,
            credentials=client.credentials,
            clock=lambda: clock() + client.clock_offset,
            **options,
        )

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> Stream:
        if self._portal is not None or self._closed:
            raise StreamError("a Stream is entered once")
        self._portal_cm = anyio.from_thread.start_blocking_portal(self._backend)
        self._portal = self._portal_cm.__enter__()
        try:
            self._main, self._async = self._portal.start_task(self._own, name="kalshi-stream")
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            self._portal = None
            raise
        return self

    async def _own(self, *, task_status: anyio.abc.TaskStatus[AsyncStream]) -> None:
        self._stop = anyio.Event()
        async with AsyncStream(**self._options) as stream:
            task_status.started(stream)
            await self._stop.wait()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection and join the stream's thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        portal, cm = self._portal, self._portal_cm
        if portal is None or cm is None:
            return
        try:
            if self._stop is not None:
                portal.call(self._stop.set)
            if self._main is not None:
                self._main.result(timeout=10)
        except BaseException:  # noqa: BLE001 - the portal below is closed regardless
            pass
        finally:
            self._portal = None
            cm.__exit__(None, None, None)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        portal = self._portal
        if portal is None or self._closed:
            raise StreamClosedError("the stream is not open: use it in `with`")
        return portal.call(fn, *args)

    def _iterate(self, iterator: Any) -> Iterator[Any]:
        while True:
            try:
                item = self._call(iterator.__anext__)
            except StopAsyncIteration:
                return
            except StreamClosedError:
                if self._closed:
                    return
                raise
            yield item

    @property
    def _stream(self) -> AsyncStream:
        if self._async is None:
            raise StreamClosedError("the stream is not open: use it in `with`")
        return self._async

    # -- subscriptions ----------------------------------------------------------------------
    def subscribe(self, channel: str, **params: Any) -> Subscription:
        """Subscribe to ``channel`` (AsyncAPI params as keywords); the ``subscribe_*``
        methods (``ChannelSurface``) name each channel's parameters."""
        return Subscription(self, self._call(_kw(self._stream.subscribe, channel, **params)))

    def unsubscribe(self, *subscriptions: Subscription) -> None:
        self._call(self._stream.unsubscribe, *(s._handle for s in subscriptions))

    def update_subscription(
        self,
        subscription: Subscription,
        action: str,
        market_tickers: Sequence[str] | None = None,
        **params: Any,
    ) -> Any:
        return self._call(
            _kw(
                self._stream.update_subscription,
                subscription._handle,
                action,
                market_tickers,
                **params,
            )
        )

    def list_subscriptions(self) -> list[Any]:
        return list(self._call(self._stream.list_subscriptions))

    def wait_connected(self, timeout: float | None = 10.0) -> None:
        self._call(self._stream.wait_connected, timeout)

    def __iter__(self) -> Iterator[Any]:
        """Every message of every subscription, in arrival order."""
        return self._iterate(self._stream.__aiter__())

    @property
    def session(self) -> Any:
        return self._stream.session

    @property
    def connects(self) -> int:
        return self._stream.connects

    @property
    def subscriptions(self) -> list[Subscription]:
        return [Subscription(self, h) for h in self._stream.subscriptions]

    def __repr__(self) -> str:
        return f"<sync {self._async!r}>" if self._async is not None else "<sync Stream (closed)>"


def _kw(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """``portal.call`` passes positional arguments only."""

    async def call() -> Any:
        return await fn(*args, **kwargs)

    return call
