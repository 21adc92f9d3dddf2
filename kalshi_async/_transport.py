"""``H11Transport``: a lean HTTP/1.1 connection pool for ``httpx.AsyncClient`` on h11 and anyio.

The async client's default transport (httpx stays the public API: this plugs in as an
``httpx.AsyncBaseTransport``). Why not httpcore's pool: under a burst of hundreds of concurrent
requests its bookkeeping re-scans every queued request on every state change, and after the pool
has sat idle past its keep-alive expiry a burst of 500 took seconds and failed with
``PoolTimeout``. This pool does constant work per request:

- at most ``max_connections`` requests are in flight (a FIFO ``anyio.Semaphore``: waiters are
  served in order, a ``PoolTimeout`` after the ``pool`` timeout);
- a request takes the most recently used idle connection to its origin, or opens one; at most
  ``max_keepalive_connections`` stay idle, each for at most ``keepalive_expiry`` seconds;
- a connection is checked before reuse: expired, or readable while idle (the server closed
  it, or sent something unsolicited), it is closed and another is taken;
- a connection that closes before a single byte of the answer arrived (the server closed it
  as the request went out: an idle timeout racing the reuse) raises
  ``httpx.RemoteProtocolError``; whether to resend is the client's retry policy's decision
  (``kalshi_core.policy.retry``), not the pool's, so every attempt is counted and signed afresh.

Works under asyncio and trio (through anyio); TLS through ``ssl``, HTTP/1.1 only.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import select
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import h11
import httpx

__all__ = ["H11Transport"]

_READ_SIZE = 65536
Origin = tuple[bytes, bytes, int]


class _StaleConnectionError(Exception):
    """The server closed the connection before a byte of the answer arrived."""


class _AnyioWire:
    """A connection's bytes through an anyio stream (trio, and any backend but asyncio)."""

    __slots__ = ("_stream",)

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream

    @classmethod
    async def connect(cls, host: str, port: int, tls: ssl.SSLContext | None) -> _AnyioWire:
        if tls is None:
            return cls(await anyio.connect_tcp(host, port))
        return cls(
            await anyio.connect_tcp(
                host, port, ssl_context=tls, tls_hostname=host, tls_standard_compatible=False
            )
        )

    async def send(self, data: bytes) -> None:
        try:
            await self._stream.send(data)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise ConnectionError(f"connection lost ({type(exc).__name__})") from None

    async def receive(self) -> bytes:
        try:
            return await self._stream.receive(_READ_SIZE)
        except anyio.EndOfStream:
            return b""
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            raise ConnectionError(f"connection lost ({type(exc).__name__})") from None

    def dead(self) -> bool:
        """True when the idle socket has something to read: EOF or stray bytes."""
        sock = self._stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        if sock is None:  # pragma: no cover - every anyio TCP stream exposes its socket
            return False
        if sock.fileno() < 0:
            return True
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])  # pragma: no cover - Windows

    async def aclose(self) -> None:
        with (
            anyio.CancelScope(shield=True),
            contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError),
        ):
            await self._stream.aclose()


class _AsyncioWire(asyncio.Protocol):
    """A connection's bytes through an asyncio transport and this protocol.

    anyio's asyncio socket stream pauses and resumes reading around every receive, which costs
    a loop iteration and an epoll update per read (it measured 2.4x the latency of asyncio's own
    streams per round trip on loopback); a protocol that keeps reading and queues chunks does
    not. Timeouts and cancellation still come from the anyio cancel scopes around the awaits.
    """

    def __init__(self) -> None:
        self._chunks: collections.deque[bytes] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._eof = False
        self._error: BaseException | None = None
        self._transport: asyncio.Transport | None = None

    @classmethod
    async def connect(cls, host: str, port: int, tls: ssl.SSLContext | None) -> _AsyncioWire:
        loop = asyncio.get_running_loop()
        _, wire = await loop.create_connection(
            cls, host, port, ssl=tls, server_hostname=host if tls else None
        )
        return wire

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._chunks.append(data)
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the wire interface -------------------------------------------------------------------
    async def send(self, data: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_closing() or self._eof:
            raise ConnectionError("connection lost")
        transport.write(data)

    async def receive(self) -> bytes:
        while not self._chunks:
            if self._eof:
                if self._error is not None:
                    raise ConnectionError(f"connection lost ({self._error})")
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._chunks.popleft()

    def dead(self) -> bool:
        transport = self._transport
        return self._eof or bool(self._chunks) or transport is None or transport.is_closing()

    async def aclose(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Connection:
    """One HTTP/1.1 connection: its wire and its h11 state machine."""

    __slots__ = ("h11", "idle_since", "origin", "wire")

    def __init__(self, origin: Origin, wire: _AnyioWire | _AsyncioWire) -> None:
        self.origin = origin
        self.wire = wire
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    async def close(self) -> None:
        await self.wire.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    """The response body: h11 ``Data`` events read off the connection, which goes back to the
    pool after ``EndOfMessage`` (or is closed when the body is abandoned half-read)."""

    def __init__(self, transport: H11Transport, conn: _Connection, read_timeout: float | None):
        self._transport = transport
        self._conn: _Connection | None = conn
        self._read_timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                event = await self._transport._next_event(conn, self._read_timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:  # pragma: no cover - h11 yields only these after the Response
                    raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}")
        except BaseException:
            self._conn = None
            await self._transport._discard(conn)
            raise
        self._conn = None
        await self._transport._release(conn)

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closed before the end of the body: the connection's state is unknown.
            await self._transport._discard(conn)


class H11Transport(httpx.AsyncBaseTransport):
    """An HTTP/1.1 keep-alive pool on h11 and anyio, for ``httpx.AsyncClient(transport=...)``.

    ``limits`` are httpx's (``max_connections``, ``max_keepalive_connections``,
    ``keepalive_expiry``); ``verify`` is ``True`` (system CAs through httpx's defaults),
    ``False``, or an ``ssl.SSLContext``. Timeouts come from each request (httpx's ``timeout``).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._max_connections = limits.max_connections or 1 << 20
        self._max_idle = (
            limits.max_keepalive_connections
            if limits.max_keepalive_connections is not None
            else self._max_connections
        )
        self._expiry = limits.keepalive_expiry
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = None
        self._slots: anyio.Semaphore | None = None
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._closed = False
        self.connections_opened = 0

    # -- the httpx entry point ----------------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        port = url.port or (443 if scheme == b"https" else 80)
        origin: Origin = (scheme, url.raw_host, port)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        if self._slots is None:
            self._slots = anyio.Semaphore(self._max_connections, fast_acquire=True)
        slots = self._slots
        try:
            with anyio.fail_after(timeouts.get("pool")):
                await slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection slot became free in time") from None
        try:
            body = request.content if isinstance(request.stream, httpx.ByteStream) else None
            conn = await self._connection(origin, timeouts.get("connect"))
            try:
                return await self._exchange(conn, request, body, timeouts)
            except _StaleConnectionError:
                await self._discard(conn, release=False)
                raise httpx.RemoteProtocolError(
                    "the server closed the connection before answering"
                ) from None
            except BaseException:
                await self._discard(conn, release=False)
                raise
        except BaseException:
            slots.release()
            raise

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, {}
        self._idle_count = 0
        for conns in idle.values():
            for conn in conns:
                await conn.close()

    # -- connections --------------------------------------------------------------------------
    async def _connection(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        """A live idle connection to ``origin``, or a new one."""
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            self._idle_count -= 1
            expired = self._expiry is not None and now - conn.idle_since > self._expiry
            if expired or conn.wire.dead():
                await conn.close()
                continue
            return conn
        return await self._open(origin, connect_timeout)

    async def _open(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        scheme, host, port = origin
        hostname = host.decode("ascii")
        tls = self._tls() if scheme == b"https" else None
        wire_type = _AsyncioWire if _on_asyncio() else _AnyioWire
        try:
            with anyio.fail_after(connect_timeout):
                wire: _AnyioWire | _AsyncioWire = await wire_type.connect(hostname, port, tls)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {hostname}:{port} timed out") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        self.connections_opened += 1
        return _Connection(origin, wire)

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            if isinstance(self._verify, ssl.SSLContext):
                context = self._verify
            else:
                context = httpx.create_ssl_context(verify=self._verify)
            # This pool speaks HTTP/1.1 only: never let the server pick h2 (httpcore sets the
            # same list on the contexts it is handed).
            context.set_alpn_protocols(["http/1.1"])
            self._ssl_context = context
        return self._ssl_context

    async def _release(self, conn: _Connection) -> None:
        """The body was read to the end: keep the connection for reuse, or close it."""
        assert self._slots is not None
        self._slots.release()
        state = conn.h11
        if (
            self._closed
            or state.our_state is not h11.DONE
            or state.their_state is not h11.DONE
            or self._idle_count >= self._max_idle
        ):
            await conn.close()
            return
        state.start_next_cycle()
        conn.idle_since = time.monotonic()
        self._idle.setdefault(conn.origin, []).append(conn)
        self._idle_count += 1

    async def _discard(self, conn: _Connection, *, release: bool = True) -> None:
        if release:
            assert self._slots is not None
            self._slots.release()
        await conn.close()

    # -- one request/response cycle ------------------------------------------------------------
    async def _exchange(
        self,
        conn: _Connection,
        request: httpx.Request,
        body: bytes | None,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        state = conn.h11
        head = h11.Request(
            method=request.method,
            target=request.url.raw_path,
            headers=request.headers.raw,
        )
        try:
            if body is not None:
                data = state.send(head) or b""
                if body:
                    data += state.send(h11.Data(data=body)) or b""
                data += state.send(h11.EndOfMessage()) or b""
                await self._send(conn, data, timeouts.get("write"))
            else:
                await self._send(conn, state.send(head) or b"", timeouts.get("write"))
                async for chunk in request.stream:  # type: ignore[union-attr]
                    await self._send(conn, state.send(h11.Data(data=chunk)) or b"", None)
                await self._send(conn, state.send(h11.EndOfMessage()) or b"", None)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        read_timeout = timeouts.get("read")
        while True:
            event = await self._next_event(conn, read_timeout, first=True)
            if isinstance(event, h11.Response):
                break
            # 1xx informational answers are skipped.
        headers = [(k, v) for k, v in event.headers]
        return httpx.Response(
            status_code=event.status_code,
            headers=headers,
            stream=_ResponseStream(self, conn, read_timeout),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    async def _send(self, conn: _Connection, data: bytes, timeout: float | None) -> None:
        try:
            with anyio.fail_after(timeout):
                await conn.wire.send(data)
        except TimeoutError:
            raise httpx.WriteTimeout("sending the request timed out") from None
        except OSError:
            # Nothing was answered: the server had closed the connection.
            raise _StaleConnectionError from None

    async def _next_event(
        self, conn: _Connection, timeout: float | None, *, first: bool = False
    ) -> Any:
        """The next h11 event, reading as needed. With ``first`` (waiting for the answer's
        head), a connection closed before a single byte of answer raises
        ``_StaleConnectionError``: the server closed it as the request went out."""
        state = conn.h11
        silent = first
        while True:
            try:
                event = state.next_event()
            except h11.RemoteProtocolError as exc:
                if silent:
                    raise _StaleConnectionError from None
                raise httpx.RemoteProtocolError(str(exc)) from None
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    if silent:
                        raise _StaleConnectionError
                    raise httpx.RemoteProtocolError("the server closed the connection")
                return event
            try:
                with anyio.fail_after(timeout):
                    data = await conn.wire.receive()
            except TimeoutError:
                raise httpx.ReadTimeout("reading the response timed out") from None
            except OSError as exc:
                if silent:
                    raise _StaleConnectionError from None
                raise httpx.ReadError(f"{type(exc).__name__}: {exc}") from None
            if not data and silent:
                raise _StaleConnectionError
            silent = silent and not data
            state.receive_data(data)
