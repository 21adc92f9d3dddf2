"""``H11Transport``: a lean HTTP/1.1 connection pool for ``httpx.Client`` on h11 and sockets.

The sync client's default transport (httpx stays the public API: this plugs in as an
``httpx.BaseTransport``), the blocking twin of ``kalshi_async.H11Transport`` with the same rules:

- at most ``max_connections`` requests are in flight across threads (a semaphore; a
  ``PoolTimeout`` after the ``pool`` timeout);
- a request takes the most recently used idle connection to its origin, or opens one; at most
  ``max_keepalive_connections`` stay idle, each for at most ``keepalive_expiry`` seconds;
- a connection is checked before reuse: expired, or readable while idle (the server closed
  it), it is closed and another is taken;
- a connection that closes before a single byte of the answer arrived (the server closed it
  as the request went out: an idle timeout racing the reuse) raises
  ``httpx.RemoteProtocolError``; whether to resend is the client's retry policy's decision
  (``kalshi_core.policy.retry``), not the pool's, so every attempt is counted and signed afresh.

Against httpcore's pool it saves about a quarter of the client's CPU per signed call on
loopback (``bench/REPORT.md``). Thread-safe; TLS through ``ssl``; HTTP/1.1 only.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import h11
import httpx

__all__ = ["H11Transport"]

_READ_SIZE = 65536
Origin = tuple[bytes, str, int]


#: A request extension: the ``time.monotonic()`` instant by which the whole exchange (connect,
#: send, the answer's head and body) must be over, however the server paces its bytes. Every
#: socket wait is clamped to the time left; past it, ``httpx.ReadTimeout`` (or
#: ``ConnectTimeout``/``WriteTimeout``) is raised. The sync client sets it from its
#: ``attempt_deadline`` (a blocking socket has no other way to bound a trickling server).
DEADLINE_EXTENSION = "kalshi.deadline"


def _clamp(timeout: float | None, deadline: float | None) -> float | None:
    """``timeout`` shortened to the time left before ``deadline``; ``TimeoutError`` if none is."""
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0.0:
        raise TimeoutError
    return left if timeout is None else min(timeout, left)


class _StaleConnectionError(Exception):
    """The server closed the connection before a byte of the answer arrived."""


class _Connection:
    """One HTTP/1.1 connection: a socket and its h11 state machine."""

    __slots__ = ("h11", "idle_since", "origin", "sock")

    def __init__(self, origin: Origin, sock: socket.socket) -> None:
        self.origin = origin
        self.sock = sock
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def dead(self) -> bool:
        """True when the idle socket has something to read: EOF or stray bytes."""
        sock = self.sock
        if sock.fileno() < 0:
            return True
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])  # pragma: no cover - Windows

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _ResponseStream(httpx.SyncByteStream):
    """The response body; the connection goes back to the pool after ``EndOfMessage`` (or is
    closed when the body is abandoned half-read)."""

    def __init__(
        self,
        transport: H11Transport,
        conn: _Connection,
        read_timeout: float | None,
        deadline: float | None = None,
    ):
        self._transport = transport
        self._conn: _Connection | None = conn
        self._read_timeout = read_timeout
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                event = self._transport._next_event(conn, self._read_timeout, self._deadline)
                if type(event) is h11.Data:
                    yield bytes(event.data)
                elif type(event) is h11.EndOfMessage:
                    break
                else:  # pragma: no cover - h11 yields only these after the Response
                    raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}")
        except BaseException:
            self._conn = None
            self._transport._discard(conn)
            raise
        self._conn = None
        self._transport._release(conn)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._transport._discard(conn)


class H11Transport(httpx.BaseTransport):
    """An HTTP/1.1 keep-alive pool on h11 and blocking sockets, for
    ``httpx.Client(transport=...)``.

    ``limits`` are httpx's (``max_connections``, ``max_keepalive_connections``,
    ``keepalive_expiry``); ``verify`` is ``True`` (httpx's default CAs), ``False``, or an
    ``ssl.SSLContext``. Timeouts come from each request (httpx's ``timeout``).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        max_connections = limits.max_connections or 1 << 20
        self._max_idle = (
            limits.max_keepalive_connections
            if limits.max_keepalive_connections is not None
            else max_connections
        )
        self._expiry = limits.keepalive_expiry
        self._verify = verify
        self._ssl_context: ssl.SSLContext | None = None
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._closed = False
        self.connections_opened = 0

    # -- the httpx entry point ----------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        port = url.port or (443 if scheme == b"https" else 80)
        origin: Origin = (scheme, url.host, port)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        deadline: float | None = request.extensions.get(DEADLINE_EXTENSION)
        try:
            pool_timeout = _clamp(timeouts.get("pool"), deadline)
        except TimeoutError:
            raise httpx.PoolTimeout("the deadline passed before a connection slot freed") from None
        if not self._slots.acquire(timeout=pool_timeout):
            raise httpx.PoolTimeout("no connection slot became free in time")
        try:
            body = request.content if isinstance(request.stream, httpx.ByteStream) else None
            try:
                connect_timeout = _clamp(timeouts.get("connect"), deadline)
            except TimeoutError:
                raise httpx.ConnectTimeout("the deadline passed before connecting") from None
            conn = self._connection(origin, connect_timeout)
            try:
                return self._exchange(conn, request, body, timeouts, deadline)
            except _StaleConnectionError:
                conn.close()
                raise httpx.RemoteProtocolError(
                    "the server closed the connection before answering"
                ) from None
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._slots.release()
            raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
            self._idle_count = 0
        for conns in idle.values():
            for conn in conns:
                conn.close()

    # -- connections --------------------------------------------------------------------------
    def _connection(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        """A live idle connection to ``origin``, or a new one."""
        now = time.monotonic()
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    break
                conn = idle.pop()
                self._idle_count -= 1
            expired = self._expiry is not None and now - conn.idle_since > self._expiry
            if expired or conn.dead():
                conn.close()
                continue
            return conn
        return self._open(origin, connect_timeout)

    def _open(self, origin: Origin, connect_timeout: float | None) -> _Connection:
        scheme, host, port = origin
        try:
            sock = socket.create_connection((host, port), timeout=connect_timeout)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == b"https":
                sock = self._tls().wrap_socket(sock, server_hostname=host)
        except TimeoutError:
            sock.close()
            raise httpx.ConnectTimeout(f"TLS handshake with {host}:{port} timed out") from None
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from None
        with self._lock:
            self.connections_opened += 1
        return _Connection(origin, sock)

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

    def _release(self, conn: _Connection) -> None:
        """The body was read to the end: keep the connection for reuse, or close it."""
        state = conn.h11
        keep = state.our_state is h11.DONE and state.their_state is h11.DONE
        if keep:
            state.start_next_cycle()
            conn.idle_since = time.monotonic()
            with self._lock:
                keep = not self._closed and self._idle_count < self._max_idle
                if keep:
                    self._idle.setdefault(conn.origin, []).append(conn)
                    self._idle_count += 1
        if not keep:
            conn.close()
        self._slots.release()

    def _discard(self, conn: _Connection) -> None:
        conn.close()
        self._slots.release()

    # -- one request/response cycle ------------------------------------------------------------
    def _exchange(
        self,
        conn: _Connection,
        request: httpx.Request,
        body: bytes | None,
        timeouts: dict[str, float | None],
        deadline: float | None = None,
    ) -> httpx.Response:
        state = conn.h11
        head = h11.Request(
            method=request.method,
            target=request.url.raw_path,
            headers=request.headers.raw,
        )
        write_timeout = timeouts.get("write")
        try:
            if body is not None:
                data = state.send(head) or b""
                if body:
                    data += state.send(h11.Data(data=body)) or b""
                data += state.send(h11.EndOfMessage()) or b""
                self._send(conn, data, write_timeout, deadline)
            else:
                self._send(conn, state.send(head) or b"", write_timeout, deadline)
                for chunk in request.stream:  # type: ignore[union-attr]
                    self._send(
                        conn, state.send(h11.Data(data=chunk)) or b"", write_timeout, deadline
                    )
                self._send(conn, state.send(h11.EndOfMessage()) or b"", write_timeout, deadline)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        read_timeout = timeouts.get("read")
        while True:
            event = self._next_event(conn, read_timeout, deadline, first=True)
            if type(event) is h11.Response:
                break
            # 1xx informational answers are skipped.
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_ResponseStream(self, conn, read_timeout, deadline),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )

    def _send(
        self, conn: _Connection, data: bytes, timeout: float | None, deadline: float | None
    ) -> None:
        try:
            conn.sock.settimeout(_clamp(timeout, deadline))
            conn.sock.sendall(data)
        except TimeoutError:
            raise httpx.WriteTimeout("sending the request timed out") from None
        except OSError:
            # Nothing was answered: the server had closed the connection.
            raise _StaleConnectionError from None

    def _next_event(
        self,
        conn: _Connection,
        timeout: float | None,
        deadline: float | None = None,
        *,
        first: bool = False,
    ) -> Any:
        """The next h11 event, reading as needed. With ``first`` (waiting for the answer's
        head), a connection closed before a single byte of answer raises
        ``_StaleConnectionError``."""
        state = conn.h11
        silent = first
        timeout_set = False
        while True:
            try:
                event = state.next_event()
            except h11.RemoteProtocolError as exc:
                if silent:
                    raise _StaleConnectionError from None
                raise httpx.RemoteProtocolError(str(exc)) from None
            if event is not h11.NEED_DATA:
                if type(event) is h11.ConnectionClosed:
                    if silent:
                        raise _StaleConnectionError
                    raise httpx.RemoteProtocolError("the server closed the connection")
                return event
            try:
                if deadline is not None:
                    conn.sock.settimeout(_clamp(timeout, deadline))
                elif not timeout_set:
                    conn.sock.settimeout(timeout)
                    timeout_set = True
                data = conn.sock.recv(_READ_SIZE)
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
