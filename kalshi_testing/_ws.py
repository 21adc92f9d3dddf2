"""The loopback server's WebSocket endpoint, ``/trade-api/ws/v2``: handshake, frames, heartbeat.

The handshake is the HTTP/1.1 upgrade the h11 server already read. It is checked like a REST
call (a registered key, a fresh timestamp, a signature over ``timestamp + "GET" +
"/trade-api/ws/v2"``; a key is required even for public channels); a refused handshake gets an
HTTP error in Kalshi's shape before any upgrade: 401 for authentication, 400 for a request that
is not a WebSocket upgrade. An accepted one gets ``101 Switching Protocols`` and from then on
frames go through wsproto.

Each connection runs two threads: the one that accepted it reads frames (commands, Pings,
Pongs, the close handshake) and hands text to its ``StreamSession``; a writer thread sends
what the session publishes and a Ping with body ``heartbeat`` every ``heartbeat_interval``
seconds. Stream faults from the server's ``FaultPlan`` are applied by the writer, message by
message; tests can also act on a live connection (:class:`StreamConnection`).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable

import h11
from wsproto.connection import Connection, ConnectionType
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Pong,
    TextMessage,
)
from wsproto.events import (
    Event as WsEvent,
)
from wsproto.utilities import generate_accept_token

from kalshi_core import Request
from kalshi_testing._exchange import FakeExchange
from kalshi_testing._faults import FaultPlan
from kalshi_testing._stream_json import Ladder
from kalshi_testing._stream_session import Outgoing, StreamSession

__all__ = ["WS_PATH", "StreamConnection", "is_upgrade"]

WS_PATH = "/trade-api/ws/v2"


def is_upgrade(request: Request) -> bool:
    """Whether ``request`` asks for the WebSocket endpoint (upgrade or not)."""
    return request.path.split("?", 1)[0] == WS_PATH


def _header(request: Request, name: str) -> str:
    return request.header(name) or ""


class StreamConnection:
    """One accepted WebSocket connection (``LoopbackServer.streams`` lists them in order).

    ``session`` holds its subscriptions. The methods act on the live connection from a test:
    :meth:`drop`, :meth:`terminate`, :meth:`stop_heartbeat`, :meth:`stall`.
    """

    def __init__(
        self,
        exchange: FakeExchange,
        sock: socket.socket,
        user_id: str,
        *,
        heartbeat_interval: float,
        max_buffered: int,
        record_books: bool,
        faults: FaultPlan | None,
        stopping: threading.Event,
        trailing_data: bytes = b"",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.exchange = exchange
        self.user_id = user_id
        self.session = StreamSession(
            exchange, user_id, max_buffered=max_buffered, record_books=record_books
        )
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat = True
        self.pings_sent = 0
        self.pongs_received = 0
        self.frames_sent = 0
        self._sock = sock
        self._faults = faults
        self._stopping = stopping
        self._clock = clock
        self._ws = Connection(ConnectionType.SERVER, trailing_data=trailing_data)
        self._send_lock = threading.Lock()
        self._closed = threading.Event()
        self._resume_at = 0.0
        self._held: dict[int, Outgoing] = {}
        if faults is not None and faults.take_connection() is not None:
            self.heartbeat = False

    # -- test controls --------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def drop(self, *, reset: bool = False) -> None:
        """Close the TCP connection without a close frame (``reset``: with an RST)."""
        if reset:
            with contextlib.suppress(OSError):
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._shutdown()

    def terminate(self, sid: int, code: int = 10) -> None:
        """End subscription ``sid`` with terminal error ``code`` (10, 17 or 25)."""
        with self.exchange._lock:
            self.session.terminate(sid, code)

    def stop_heartbeat(self) -> None:
        self.heartbeat = False

    def stall(self, seconds: float) -> None:
        """Send nothing and read nothing for ``seconds`` from now."""
        self._resume_at = max(self._resume_at, self._clock() + seconds)

    def book_after(self, sid: int, seq: int) -> Ladder:
        """The market's ladder right after message ``seq`` of ``sid`` was published (needs the
        server's ``record_books=True``)."""
        return self.session.books_after[(sid, seq)]

    # -- the connection -------------------------------------------------------------------------
    def run(self) -> None:
        """Serve until either side closes; the caller's thread reads, a new thread writes."""
        self.exchange.engine_listen(self.session)
        writer = threading.Thread(
            target=self._write_loop, name="kalshi-fake-ws-writer", daemon=True
        )
        writer.start()
        try:
            self._read_loop()
        finally:
            self.exchange.engine_unlisten(self.session)
            self.session.close()
            self._shutdown()
            writer.join(timeout=5)

    def _shutdown(self) -> None:
        self._closed.set()
        self.session.close()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _send(self, event: WsEvent) -> bool:
        with self._send_lock:
            try:
                data = self._ws.send(event)
            except Exception:  # noqa: BLE001 - the connection is closing; nothing to send
                return False
            try:
                self._sock.sendall(data)
            except OSError:
                self._closed.set()
                return False
        return True

    def _wait_stall(self) -> None:
        while not self._closed.is_set() and not self._stopping.is_set():
            left = self._resume_at - self._clock()
            if left <= 0:
                return
            self._closed.wait(min(left, 0.05))

    def _read_loop(self) -> None:
        buffer: list[str] = []
        while not self._closed.is_set() and not self._stopping.is_set():
            for event in self._ws.events():
                if isinstance(event, TextMessage):
                    buffer.append(event.data)
                    if event.message_finished:
                        self.session.receive("".join(buffer))
                        buffer.clear()
                elif isinstance(event, BytesMessage):
                    if event.message_finished:
                        self.session.receive(b"\xff")  # not JSON: error 1
                elif isinstance(event, Ping):
                    self._send(event.response())
                elif isinstance(event, CloseConnection):
                    self._send(event.response())
                    return
                elif isinstance(event, Pong):
                    self.pongs_received += 1
                elif isinstance(event, Message):
                    continue
            self._wait_stall()
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            self._ws.receive_data(data)

    def _write_loop(self) -> None:
        next_ping = self._clock() + self.heartbeat_interval
        session = self.session
        while not self._closed.is_set() and not self._stopping.is_set():
            self._wait_stall()
            now = self._clock()
            if self.heartbeat and now >= next_ping:
                if not self._send(Ping(b"heartbeat")):
                    return
                self.pings_sent += 1
                next_ping = now + self.heartbeat_interval
            timeout = max(0.0, next_ping - now) if self.heartbeat else 0.25
            item = session.pop(timeout=min(timeout, 0.25))
            if item is None:
                if session.closed:
                    return
                continue
            self._wait_stall()
            if not self._deliver(item):
                return

    def _deliver(self, item: Outgoing) -> bool:
        """Send ``item``, applying the fault plan; whether the connection is still open."""
        if item.sid is not None and item.sid not in self.session.subscriptions:
            return True  # its subscription ended (unsubscribed, or a terminal error) meanwhile
        fault = self._faults.take_stream(item.type, item.sid) if self._faults else None
        if fault is None:
            return self._send_item(item)
        kind = fault.kind
        if kind == "skip":
            return True
        if kind == "duplicate":
            return self._send_item(item) and self._send_item(item)
        if kind == "reorder" and item.sid is not None:
            self._held[item.sid] = item
            return True
        if kind == "drop":
            self.drop(reset=fault.reset)
            return False
        if kind == "terminal_error" and item.sid is not None:
            self.terminate(item.sid, fault.code)
            return True
        if kind == "stall":
            self.stall(fault.seconds)
            self._wait_stall()
            if item.sid is not None and item.sid not in self.session.subscriptions:
                return True  # overflowed during the stall: error 25 follows
        return self._send_item(item)

    def _send_item(self, item: Outgoing) -> bool:
        if not self._send(TextMessage(item.encode())):
            return False
        self.frames_sent += 1
        held = self._held.pop(item.sid, None) if item.sid is not None else None
        if held is not None:
            return self._send_item(held)
        return True


def accept_headers(request: Request) -> list[tuple[str, str]] | None:
    """The 101 response's headers for a valid upgrade request, or ``None`` if it is not one."""
    upgrade = _header(request, "upgrade").lower()
    connection = _header(request, "connection").lower()
    key = _header(request, "sec-websocket-key")
    if (
        request.method != "GET"
        or upgrade != "websocket"
        or "upgrade" not in [t.strip() for t in connection.split(",")]
        or _header(request, "sec-websocket-version") != "13"
        or not key
    ):
        return None
    return [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-accept", generate_accept_token(key.encode()).decode()),
    ]


def switch(sock: socket.socket, h11_conn: h11.Connection, headers: list[tuple[str, str]]) -> bytes:
    """Send ``101 Switching Protocols``; the bytes the client sent after its request."""
    sock.sendall(h11_conn.send(h11.InformationalResponse(status_code=101, headers=headers)))
    data, _closed = h11_conn.trailing_data
    return data
