"""The fake exchange behind a real HTTP/1.1 server on a loopback port (h11 over sockets).

``LoopbackServer(exchange).start()`` listens on 127.0.0.1 (port 0 picks a free one) and serves
each connection on its own thread with keep-alive. ``url`` is the base URL to give a client.
A ``FaultPlan`` (``faults=``) makes chosen requests fail the way networks and proxies do.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from types import TracebackType

import h11

from kalshi_core import Request, Response
from kalshi_testing import _hostile
from kalshi_testing._errors import FakeError
from kalshi_testing._exchange import BASE_PATH, FakeExchange
from kalshi_testing._faults import Fault, FaultPlan
from kalshi_testing._stream_json import Ladder
from kalshi_testing._wire import error_body
from kalshi_testing._ws import WS_PATH, StreamConnection, accept_headers, is_upgrade, switch

__all__ = ["LoopbackServer"]

_MAX_BODY = 4 * 1024 * 1024


class LoopbackServer:
    """Serve ``exchange`` over HTTP/1.1 on ``host:port`` until :meth:`stop`, REST under
    ``/trade-api/v2`` and the WebSocket API at ``/trade-api/ws/v2`` (:attr:`ws_url`).

    Only loopback addresses are accepted: this is a test server, never a public one.

    Streaming options: ``heartbeat_interval`` (seconds between the server's ``heartbeat``
    Pings; Kalshi's is 10), ``stream_buffer`` (messages a connection may have queued before a
    subscription that adds to it ends with error 25), ``record_books`` (remember each
    market's ladder after every order-book message, for :meth:`book_after`).
    """

    def __init__(
        self,
        exchange: FakeExchange,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        idle_timeout: float = 30.0,
        faults: FaultPlan | None = None,
        heartbeat_interval: float = 10.0,
        stream_buffer: int = 100_000,
        record_books: bool = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake exchange only listens on a loopback address")
        self.exchange = exchange
        self.faults = faults
        self.host = host
        self._port = port
        self._clock = clock
        self._idle_timeout = idle_timeout
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.connections_accepted = 0
        self.heartbeat_interval = heartbeat_interval
        self.stream_buffer = stream_buffer
        self.record_books = record_books
        #: Every accepted WebSocket connection, oldest first.
        self.streams: list[StreamConnection] = []

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the server is not started")
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL for a client: ``http://127.0.0.1:PORT/trade-api/v2``."""
        return f"http://{self.host}:{self.port}{BASE_PATH}"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL for a client: ``ws://127.0.0.1:PORT/trade-api/ws/v2``."""
        return f"ws://{self.host}:{self.port}{WS_PATH}"

    def book_after(self, sid: int, seq: int, *, connection: int = -1) -> Ladder:
        """The ladder of the market that order-book message ``seq`` of subscription ``sid``
        was about, right after the server published it: the truth a client's book must equal
        once it has applied that message. ``connection`` indexes :attr:`streams` (default: the
        newest). Needs ``record_books=True``; ``KeyError`` for a message never published."""
        return self.streams[connection].book_after(sid, seq)

    def start(self) -> LoopbackServer:
        family = socket.AF_INET6 if self.host == "::1" else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self._port))
        listener.listen(1024)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, name="kalshi-fake-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection and join the threads."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(self._idle_timeout)
            with self._lock:
                self._conns.add(conn)
                self.connections_accepted += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _serve(self, conn: socket.socket) -> None:
        h11_conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_BODY)
        try:
            while not self._stopping.is_set():
                request = self._read_request(conn, h11_conn)
                if request is None:
                    return
                fault = self.faults.take(request) if self.faults is not None else None
                if fault is not None:
                    if not self._inject(fault, request, conn, h11_conn):
                        return
                elif is_upgrade(request):
                    self._websocket(conn, h11_conn, request)
                    return
                else:
                    self._send(conn, h11_conn, self.exchange.handle(request, self._clock()))
                if h11_conn.our_state is h11.MUST_CLOSE:
                    return
                h11_conn.start_next_cycle()
        except (OSError, h11.ProtocolError):
            return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _websocket(self, conn: socket.socket, h11_conn: h11.Connection, request: Request) -> None:
        """Check the upgrade request like Kalshi (HTTP error before any upgrade), then serve
        the WebSocket connection until it closes."""
        now = self._clock()
        headers = accept_headers(request)
        try:
            if headers is None:
                raise FakeError(
                    400, "invalid_parameters", "a WebSocket upgrade request is required"
                )
            user = self.exchange.authenticate(request, now)
        except FakeError as exc:
            body = json.dumps(error_body(exc.code, exc.message, exc.details)).encode()
            answer = Response(
                exc.status,
                (("content-type", "application/json"), ("date", formatdate(now, usegmt=True))),
                body,
            )
            with contextlib.suppress(h11.LocalProtocolError):
                self._send(conn, h11_conn, answer)
            return
        trailing = switch(conn, h11_conn, headers)
        conn.settimeout(None)
        stream = StreamConnection(
            self.exchange,
            conn,
            user.user_id,
            heartbeat_interval=self.heartbeat_interval,
            max_buffered=self.stream_buffer,
            record_books=self.record_books,
            faults=self.faults,
            stopping=self._stopping,
            trailing_data=trailing,
        )
        with self._lock:
            self.streams.append(stream)
        stream.run()

    @staticmethod
    def _send(conn: socket.socket, h11_conn: h11.Connection, answer: Response) -> None:
        headers = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
        headers.append(("content-length", str(len(answer.body))))
        conn.sendall(h11_conn.send(h11.Response(status_code=answer.status, headers=headers)))
        if answer.body:
            conn.sendall(h11_conn.send(h11.Data(data=answer.body)))
        conn.sendall(h11_conn.send(h11.EndOfMessage()))

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        """Close with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _inject(
        self, fault: Fault, request: Request, conn: socket.socket, h11_conn: h11.Connection
    ) -> bool:
        """Apply ``fault`` to ``request``; whether the connection stays usable."""
        answer = self.exchange.handle(request, self._clock()) if fault.process else None
        kind = fault.kind
        if kind in _hostile.KINDS:
            return _hostile.apply(fault, answer, conn, h11_conn, self._stopping, self._send)
        if kind in ("reset_before", "reset_after"):
            self._reset(conn)
            return False
        if kind == "stall":
            self._stopping.wait(fault.seconds)
            return False
        if kind in ("status", "html"):
            headers: tuple[tuple[str, str], ...] = (
                ("content-type", "text/html" if kind == "html" else "application/json"),
            )
            if fault.retry_after is not None:
                headers += (("retry-after", fault.retry_after),)
            headers += (("date", formatdate(self._clock(), usegmt=True)),)
            self._send(conn, h11_conn, Response(fault.http_status, headers, fault.body or b""))
            return True
        assert answer is not None
        if kind == "truncate":
            headers_out = [(k, v) for k, v in answer.headers if k.lower() != "content-length"]
            headers_out.append(("content-length", str(len(answer.body) + 16)))
            conn.sendall(
                h11_conn.send(h11.Response(status_code=answer.status, headers=headers_out))
            )
            conn.sendall(answer.body[: max(len(answer.body) // 2, 1)])
            return False
        if kind == "malformed_json":
            broken = answer.body[:-1] if len(answer.body) > 1 else b"{"
            self._send(conn, h11_conn, Response(answer.status, answer.headers, broken))
            return True
        raise ValueError(f"unknown fault {kind!r}")

    def _read_request(self, conn: socket.socket, h11_conn: h11.Connection) -> Request | None:
        start: h11.Request | None = None
        body = bytearray()
        while True:
            event = h11_conn.next_event()
            if event is h11.NEED_DATA:
                data = conn.recv(65536)
                h11_conn.receive_data(data)
                if not data and start is None:
                    return None
                continue
            if isinstance(event, h11.Request):
                start = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert start is not None
                headers = tuple((k.decode(), v.decode()) for k, v in start.headers)
                host = {k.lower(): v for k, v in headers}.get("host", self.host)
                url = f"http://{host}{start.target.decode()}"
                return Request(
                    method=start.method.decode(), url=url, headers=headers, body=bytes(body)
                )
            elif isinstance(event, h11.ConnectionClosed):
                return None
