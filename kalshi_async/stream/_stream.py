"""The async streaming driver (anyio: asyncio or trio) over ``kalshi_core.stream``.

This module only moves bytes, sleeps and runs queues; every protocol decision (what to send,
what a frame means, when a book is stale, what to resubscribe) is the core's.

One ``Stream`` holds one multiplexed WebSocket connection. It runs inside an ``async with``
block (a task group reads the socket, reconnects and delivers messages)::

    async with client.stream() as stream:
        book = await stream.subscribe_orderbook(["KXBTC-25DEC31-T100000"])
        async for message in book:
            print(book.book("KXBTC-25DEC31-T100000").best_bid())

Slow consumers: every subscription (and the stream-wide iterator) has a bounded queue
(``queue_size`` messages, 1000 by default). When it is full the oldest message is discarded
and counted (``subscription.dropped``): memory stays bounded and the reader never blocks on a
slow consumer. Managed order books are updated as frames arrive, before queueing, so a slow
reader never sees a stale book: it only misses notifications. A reader that applies raw deltas
itself (``manage_books=False``) and lost one gets fresh snapshots (the core's
``Session.discarded``). A book that did lose data (a ``seq`` gap, a terminal error, a
disconnect) refuses reads until it is resynced.
"""

from __future__ import annotations

import contextlib
import logging
import math
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from kalshi_core.stream import (
    Backoff,
    Closed,
    Command,
    CommandDone,
    Connection,
    Data,
    Liveness,
    Opened,
    OrderBook,
    Session,
    SubscriptionEnded,
    TextFrame,
    handshake_request,
    websocket_url,
)
from kalshi_core.stream import Subscription as CoreSubscription
from kalshi_core.stream.errors import (
    HandshakeError,
    StreamClosedError,
    StreamConnectError,
    StreamError,
    StreamTimeoutError,
)
from kalshi_core.stream.surface import ChannelSurface, SubscriptionSurface
from kalshi_core.wire.credentials import Credentials

if TYPE_CHECKING:
    from kalshi_async._client import AsyncClient

__all__ = ["Stream", "Subscription"]

logger = logging.getLogger("kalshi.stream")

_DONE: Any = object()


def _ssl_context(verify: bool | ssl.SSLContext) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class _Queue:
    """A bounded queue that discards its oldest item when full (see the module docstring)."""

    __slots__ = ("dropped", "recv", "send")

    def __init__(self, size: int) -> None:
        self.send: MemoryObjectSendStream[Any]
        self.recv: MemoryObjectReceiveStream[Any]
        self.send, self.recv = anyio.create_memory_object_stream[Any](size)
        self.dropped = 0

    def put(self, item: Any) -> int:
        """Queue ``item``; returns how many old items were discarded for it (0 or 1)."""
        try:
            self.send.send_nowait(item)
            return 0
        except anyio.WouldBlock:
            with contextlib.suppress(anyio.WouldBlock, anyio.EndOfStream):
                self.recv.receive_nowait()
            try:
                self.send.send_nowait(item)
            except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
                return 1
            self.dropped += 1
            return 1
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            return 0

    def close(self) -> None:
        """No more items: a reader drains what is queued, then ends."""
        self.send.close()

    def discard(self) -> None:
        """Close both ends (the stream is over; queued items are dropped)."""
        self.send.close()
        self.recv.close()


class Subscription(SubscriptionSurface):
    """A handle on one channel subscription, stable across reconnects.

    ``async for message in subscription`` yields its typed messages (ends when it is
    unsubscribed; raises the error that ended it for good). ``book(ticker)`` is the managed
    order book of a market (``orderbook_delta`` with ``manage_books``), whose reads raise
    ``BookOutOfSyncError`` while it is stale; ``wait_synced()`` waits until every book is in
    sync. ``dropped`` counts messages discarded for a slow reader.
    """

    def __init__(
        self,
        stream: Stream,
        core: CoreSubscription,
        queue: _Queue | None,
        on_message: Callable[[Any], None] | None,
    ) -> None:
        self._stream = stream
        self.core = core
        self._queue = queue
        self._on_message = on_message

    @property
    def channel(self) -> str:
        return self.core.channel

    @property
    def sid(self) -> int | None:
        return self.core.sid

    @property
    def state(self) -> str:
        return self.core.state

    @property
    def market_tickers(self) -> list[str] | None:
        return self.core.market_tickers

    @property
    def error(self) -> StreamError | None:
        return self.core.error

    @property
    def dropped(self) -> int:
        return self.core.dropped

    @property
    def books(self) -> dict[str, OrderBook]:
        return self.core.books

    def book(self, market_ticker: str) -> OrderBook:
        """The managed book of ``market_ticker`` (``KeyError`` if this subscription has none)."""
        if not self.core.manage_books:
            raise StreamError(f"{self.core!r} does not manage books (manage_books=False)")
        return self.core.book(market_ticker)

    async def wait_synced(self, timeout: float | None = 10.0) -> None:
        """Wait until every market of this subscription has an in-sync book
        (``StreamTimeoutError`` after ``timeout`` seconds; the stream's fatal error if it
        gave up)."""
        tickers = self.core.market_tickers or list(self.core.books)

        def synced() -> bool:
            return all(t in self.core.books and self.core.books[t].in_sync for t in tickers)

        await self._stream._wait_for(synced, timeout, "the order books to sync")

    async def unsubscribe(self) -> None:
        await self._stream.unsubscribe(self)

    async def update(
        self, action: str, market_tickers: Sequence[str] | None = None, **params: Any
    ) -> Any:
        """``update_subscription`` with ``action`` (``SubscriptionSurface`` names the common
        ones); returns the reply's ``msg``."""
        return await self._stream.update_subscription(self, action, market_tickers, **params)

    def _deliver(self, message: Any) -> None:
        if self._on_message is not None:
            self._on_message(message)
        if self._queue is not None and self._queue.put(message):
            for event in self._stream.session.discarded(self.core):
                self._stream._dispatch(event)

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._queue is None:
            self._queue = _Queue(self._stream.queue_size)
            if self.core.state == "closed":
                self._queue.close()
        return self._iterate(self._queue)

    async def _iterate(self, queue: _Queue) -> AsyncIterator[Any]:
        while True:
            try:
                item = await queue.recv.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                break
            yield item
        self._stream._raise_if_failed(self)

    def __repr__(self) -> str:
        return f"<Subscription {self.channel} sid={self.sid} {self.state}>"


class Stream(ChannelSurface):
    """One WebSocket connection to Kalshi, multiplexing every subscription (module docstring).

    Options: ``heartbeat_timeout`` (seconds without a byte before the connection counts as dead;
    30 s, three of Kalshi's heartbeats), ``queue_size`` (per subscription), ``reconnect``
    (False: the first disconnect ends the stream), ``backoff`` (a core ``Backoff``),
    ``command_timeout`` (seconds to wait for a command's reply), ``connect_timeout``,
    ``verify`` (TLS verification: on by default; False, or an ``ssl.SSLContext``),
    ``on_event`` (called with every core event: gaps, resyncs, resubscriptions, drops).
    """

    def __init__(
        self,
        *,
        url: str,
        credentials: Credentials | None,
        clock: Callable[[], float] = time.time,
        heartbeat_timeout: float = 30.0,
        queue_size: int = 1000,
        reconnect: bool = True,
        backoff: Backoff | None = None,
        command_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        verify: bool | ssl.SSLContext = True,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.url = url
        self._credentials = credentials
        self._clock = clock
        self.heartbeat_timeout = heartbeat_timeout
        self.queue_size = queue_size
        self._reconnect = reconnect
        self._backoff = backoff or Backoff()
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self._verify = verify
        self._on_event = on_event
        self.session = Session()
        self._handles: dict[int, Subscription] = {}
        self._waiters: dict[int, anyio.Event] = {}
        self._watchers = 0
        self._all: _Queue | None = None
        self._conn: Connection | None = None
        self._sock: anyio.abc.ByteStream | None = None
        self._tg: anyio.abc.TaskGroup | None = None
        self._closing = False
        self._fatal: BaseException | None = None
        self._is_connected = False
        self.connects = 0
        # Created in __aenter__, inside the event loop (trio needs one to make them).
        self._changed: anyio.Event
        self._write_lock: anyio.Lock

    @classmethod
    def from_client(cls, client: AsyncClient, **options: Any) -> Stream:
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
    async def __aenter__(self) -> Stream:
        if self._tg is not None or self._closing:
            raise StreamError("a Stream is entered once")
        self._changed = anyio.Event()
        self._write_lock = anyio.Lock()
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._run)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.aclose()
        finally:
            tg, self._tg = self._tg, None
            if tg is not None:
                tg.cancel_scope.cancel()
                # The reader never fails (it records its error for the iterators), so the
                # group ends cleanly and the body's own exception propagates unwrapped.
                await tg.__aexit__(None, None, None)
            self._end_queues(discard=True)

    async def aclose(self) -> None:
        """Close the connection and end every iterator (idempotent)."""
        if self._closing:
            return
        self._closing = True
        self.session.close()
        conn, sock = self._conn, self._sock
        if conn is not None and sock is not None:
            conn.close()
            with anyio.move_on_after(1, shield=True):
                try:
                    await self._flush()
                except Exception:  # best effort on the way out
                    logger.debug("close frame not sent", exc_info=True)
        self._end_queues()
        if sock is not None:
            with anyio.CancelScope(shield=True):
                await sock.aclose()
        if self._tg is not None:
            self._notify()
            self._tg.cancel_scope.cancel()

    def _end_queues(self, *, discard: bool = False) -> None:
        for handle in self._handles.values():
            if handle._queue is not None:
                handle._queue.discard() if discard else handle._queue.close()
        if self._all is not None:
            self._all.discard() if discard else self._all.close()
        for event in self._waiters.values():
            event.set()

    def _raise_if_failed(self, handle: Subscription | None) -> None:
        if self._fatal is not None:
            raise self._fatal
        if handle is not None and handle.core.state == "failed" and handle.core.error:
            raise handle.core.error

    # -- the connection loop ----------------------------------------------------------------
    async def _run(self) -> None:
        try:
            while not self._closing:
                failure: BaseException | None = None
                try:
                    await self._connect_once()
                except StreamError as exc:
                    failure = exc
                    logger.info("stream connection ended: %s", exc)
                except ssl.SSLCertVerificationError as exc:
                    failure = StreamConnectError(
                        f"TLS verification of {self.url} failed: {exc.verify_message}",
                        tls=True,
                    )
                    logger.info("stream connection failed: %s", failure)
                except (
                    OSError,
                    anyio.BrokenResourceError,
                    anyio.ClosedResourceError,
                    anyio.EndOfStream,
                ) as exc:
                    name = type(exc).__name__
                    failure = (
                        StreamConnectError(f"cannot connect to {self.url} ({name}: {exc})")
                        if self._conn is None
                        else StreamClosedError(f"the connection broke ({name}: {exc})")
                    )
                    logger.info("stream connection ended: %s", failure)
                finally:
                    self._conn = None
                    sock, self._sock = self._sock, None
                    if sock is not None:
                        with anyio.CancelScope(shield=True):
                            await sock.aclose()
                    for event in self.session.connection_lost():
                        self._dispatch(event)
                    self._is_connected = False
                if self._closing:
                    return
                refused = (
                    isinstance(failure, HandshakeError)
                    and 400 <= failure.status < 500
                    and failure.status != 429
                )
                tls_refused = isinstance(failure, StreamConnectError) and failure.tls
                if failure is not None and (refused or tls_refused):
                    self._fail(failure)  # retrying cannot fix a refused key or certificate
                    return
                delay = self._backoff.next_delay() if self._reconnect else None
                if delay is None:
                    self._fail(failure or StreamClosedError("the stream was closed by the server"))
                    return
                await anyio.sleep(delay)
        except anyio.get_cancelled_exc_class():
            raise
        except Exception as exc:  # a bug must not leave iterators hanging
            logger.exception("stream driver failed")
            self._fail(StreamError(f"stream driver failed: {type(exc).__name__}: {exc}"))

    def _fail(self, exc: BaseException) -> None:
        self._fatal = exc
        self._end_queues()
        self._notify()

    async def _connect_once(self) -> None:
        request = handshake_request(self.url, self._credentials, self._clock())
        with anyio.fail_after(self.connect_timeout):
            sock: anyio.abc.ByteStream
            if request.tls:
                sock = await anyio.connect_tcp(
                    request.host,
                    request.port,
                    ssl_context=_ssl_context(self._verify),
                    tls_standard_compatible=False,
                )
            else:
                sock = await anyio.connect_tcp(request.host, request.port)
        self._sock = sock
        conn = self._conn = Connection(request)
        await self._flush()
        live = Liveness(self.heartbeat_timeout, anyio.current_time())
        ping_every = self.heartbeat_timeout / 3
        last_ping = anyio.current_time()
        while True:
            now = anyio.current_time()
            wait = min(live.deadline(), last_ping + ping_every) - now
            data: bytes | None = b""
            with anyio.move_on_after(max(wait, 0)):
                try:
                    data = await sock.receive(65536)
                except anyio.EndOfStream:
                    data = None
            now = anyio.current_time()
            if data == b"":
                if live.expired(now):
                    raise StreamTimeoutError(
                        f"no frame for {self.heartbeat_timeout:g} s: the connection is dead"
                    )
                if conn.state.value == "open" and now - last_ping >= ping_every:
                    conn.ping(b"kalshi-sdk")
                    last_ping = now
                    await self._flush()
                continue
            live.seen(now)
            for event in conn.receive_data(data):
                cls = event.__class__
                if cls is TextFrame:
                    assert isinstance(event, TextFrame)
                    self._frame(event.text)
                elif cls is Opened:
                    self.connects += 1
                    self.session.connection_made()
                    self._is_connected = True
                    self._notify()
                elif cls is Closed:
                    assert isinstance(event, Closed)
                    await self._flush()
                    raise StreamClosedError(
                        f"the server closed the stream ({event.code} {event.reason})".strip(),
                        code=event.code,
                        reason=event.reason,
                    )
            self._send_commands()
            await self._flush()

    def _frame(self, text: str) -> None:
        try:
            events = self.session.receive(text)
        except StreamError as exc:
            # A malformed frame is reported, not fatal: the next frames may be fine, and a
            # lost book message shows up as a seq gap that the session repairs.
            logger.warning("malformed frame discarded: %s", exc)
            if self._on_event is not None:
                self._on_event(exc)
            return
        for event in events:
            self._dispatch(event)
        if self._backoff.attempt and self.session.connected:
            self._backoff.reset()

    def _dispatch(self, event: Any) -> None:
        cls = event.__class__
        if cls is Data:
            handle = self._handles.get(event.subscription.key)
            if handle is not None:
                handle._deliver(event.message)
            if self._all is not None:
                self._all.put(event.message)
            if event.book is not None:
                self._notify()
            return
        if cls is CommandDone:
            waiter = self._waiters.pop(event.command.id, None)
            if waiter is not None:
                waiter.set()
            self._notify()
        elif cls is SubscriptionEnded and event.final:
            handle = self._handles.get(event.subscription.key)
            if handle is not None and handle._queue is not None:
                handle._queue.close()
            self._notify()
        else:
            self._notify()
        if self._on_event is not None:
            self._on_event(event)

    def _notify(self) -> None:
        if self._watchers:
            self._changed.set()
            self._changed = anyio.Event()

    def _send_commands(self) -> None:
        conn = self._conn
        if conn is None or conn.state.value != "open":
            return
        for text in self.session.commands_to_send():
            conn.send_text(text)

    async def _flush(self) -> None:
        conn, sock = self._conn, self._sock
        if conn is None or sock is None:
            return
        async with self._write_lock:
            data = conn.data_to_send()
            if data:
                await sock.send(data)

    async def _wait_for(
        self, predicate: Callable[[], bool], timeout: float | None, what: str
    ) -> None:
        deadline = math.inf if timeout is None else anyio.current_time() + timeout
        while not predicate():
            self._raise_if_failed(None)
            if self._closing:
                raise StreamClosedError("the stream is closed")
            changed = self._changed
            self._watchers += 1
            try:
                with anyio.move_on_after(deadline - anyio.current_time()):
                    await changed.wait()
                    continue
            finally:
                self._watchers -= 1
            if not predicate():
                raise StreamTimeoutError(f"timed out waiting for {what}")

    # -- commands ---------------------------------------------------------------------------
    async def _await_command(self, command: Command) -> Any:
        if command.done:
            if command.error is not None:
                raise command.error
            return command.result
        event = self._waiters[command.id] = anyio.Event()
        self._send_commands()
        # On a broken socket the reader notices, reconnects, and the session resends.
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await self._flush()
        with anyio.move_on_after(self.command_timeout):
            await event.wait()
        self._waiters.pop(command.id, None)
        self._raise_if_failed(None)
        if not command.done:
            if self._closing:
                raise StreamClosedError("the stream is closed")
            raise StreamTimeoutError(f"no reply to {command.cmd} within {self.command_timeout:g} s")
        if command.error is not None:
            raise command.error
        return command.result

    def _check_open(self) -> None:
        if self._tg is None or self._closing:
            raise StreamClosedError("the stream is not open: use it in `async with`")
        self._raise_if_failed(None)

    async def subscribe(
        self,
        channel: str,
        *,
        market_tickers: Sequence[str] | None = None,
        manage_books: bool = False,
        on_message: Callable[[Any], None] | None = None,
        **params: Any,
    ) -> Subscription:
        """Subscribe to ``channel`` (AsyncAPI params as keywords); returns once the server
        confirmed it (raises the ``SubscriptionError`` it refused it with). The
        ``subscribe_*`` methods (``ChannelSurface``) name each channel's parameters."""
        self._check_open()
        core, command = self.session.subscribe(
            channel, market_tickers=market_tickers, manage_books=manage_books, **params
        )
        handle = Subscription(self, core, _Queue(self.queue_size), on_message)
        self._handles[core.key] = handle
        try:
            await self._await_command(command)
        except BaseException:
            if core.state != "active":
                self.session.unsubscribe([core])
                self._handles.pop(core.key, None)
            raise
        return handle

    async def unsubscribe(self, *subscriptions: Subscription) -> None:
        """End subscriptions; their iterators finish."""
        self._check_open()
        command = self.session.unsubscribe([s.core for s in subscriptions])
        try:
            await self._await_command(command)
        finally:
            for handle in subscriptions:
                if handle._queue is not None:
                    handle._queue.close()

    async def update_subscription(
        self,
        subscription: Subscription,
        action: str,
        market_tickers: Sequence[str] | None = None,
        **params: Any,
    ) -> Any:
        """``update_subscription`` with ``action`` on ``subscription``; returns the reply's
        ``msg``."""
        self._check_open()
        command = self.session.update_subscription(
            subscription.core, action, market_tickers=market_tickers, **params
        )
        return await self._await_command(command)

    async def list_subscriptions(self) -> list[Any]:
        """The server's list of this connection's subscriptions (``channel``, ``sid``)."""
        self._check_open()
        return list(await self._await_command(self.session.list_subscriptions()) or [])

    async def wait_connected(self, timeout: float | None = 10.0) -> None:
        """Wait until the connection is open (``StreamTimeoutError`` otherwise)."""
        await self._wait_for(lambda: self._is_connected, timeout, "the connection")

    # -- everything -------------------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[Any]:
        """Every message of every subscription, in arrival order."""
        if self._all is None:
            self._all = _Queue(self.queue_size)
            if self._closing or self._fatal is not None:
                self._all.close()
        return self._iterate_all(self._all)

    async def _iterate_all(self, queue: _Queue) -> AsyncIterator[Any]:
        while True:
            try:
                item = await queue.recv.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                break
            yield item
        self._raise_if_failed(None)

    @property
    def subscriptions(self) -> list[Subscription]:
        return [h for h in self._handles.values() if h.state != "closed"]

    def __repr__(self) -> str:
        return f"<Stream {self.url} {len(self.subscriptions)} subscriptions>"
