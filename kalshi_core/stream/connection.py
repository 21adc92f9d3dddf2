"""The WebSocket connection as a state machine on wsproto: bytes in, events and bytes out.

``Connection(request)`` starts the client side of the upgrade described by a
``HandshakeRequest``. The driver writes ``data_to_send()`` to its socket and feeds what it reads
to ``receive_data(data)`` (``None`` at end of stream), which returns the events:

* ``Opened``: the server accepted the upgrade;
* ``TextFrame``: one complete text message (``text``; fragments are joined here);
* ``PingReceived`` / ``PongReceived``: control frames (a Ping is answered with a Pong at once:
  it is already in ``data_to_send()``);
* ``Closed``: the connection is over (``code``, ``reason``; ``code`` 1006 when the peer vanished
  without a close frame).

A refused upgrade raises ``HandshakeError`` (once the refusal's body is in); a protocol
violation raises ``StreamProtocolError``. Nothing here reads a clock or touches a socket.
``Liveness`` is the dead-connection rule: no bytes for ``timeout`` seconds means dead.
"""

from __future__ import annotations

import enum

import attrs
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState as WSState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from kalshi_core.stream.errors import HandshakeError, StreamClosedError, StreamProtocolError
from kalshi_core.stream.handshake import HandshakeRequest

__all__ = [
    "Closed",
    "Connection",
    "ConnectionState",
    "Liveness",
    "Opened",
    "PingReceived",
    "PongReceived",
    "TextFrame",
]

#: The largest text message accepted (bytes); a longer one is a protocol error.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@attrs.frozen
class Opened:
    """The server accepted the upgrade."""


@attrs.frozen
class TextFrame:
    """One complete text message."""

    text: str


@attrs.frozen
class PingReceived:
    """A Ping arrived (already answered)."""

    payload: bytes


@attrs.frozen
class PongReceived:
    """A Pong arrived."""

    payload: bytes


@attrs.frozen
class Closed:
    """The connection is over; ``code`` 1006 when no close frame came."""

    code: int
    reason: str = ""


Event = Opened | TextFrame | PingReceived | PongReceived | Closed


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Connection:
    """The client side of one WebSocket connection (see the module docstring)."""

    __slots__ = (
        "_buf",
        "_out",
        "_parts",
        "_parts_len",
        "_reject",
        "_reject_body",
        "_ws",
        "state",
        "url",
    )

    def __init__(self, request: HandshakeRequest) -> None:
        self._ws = WSConnection(ConnectionType.CLIENT)
        self.url = request.url
        self.state = ConnectionState.CONNECTING
        self._parts: list[str] = []
        self._parts_len = 0
        self._buf = bytearray()
        self._reject: int | None = None
        self._reject_body = bytearray()
        self._out = bytearray(
            self._ws.send(
                Request(
                    host=request.authority,
                    target=request.target,
                    extra_headers=[(k.encode(), v.encode()) for k, v in request.headers],
                )
            )
        )

    def data_to_send(self) -> bytes:
        """The bytes to write to the socket now (empty when there are none)."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def send_text(self, text: str) -> None:
        """Queue one text message (a command)."""
        if self.state is not ConnectionState.OPEN:
            raise StreamClosedError(f"cannot send: the connection is {self.state.value}")
        self._out += self._ws.send(TextMessage(data=text))

    def ping(self, payload: bytes = b"") -> None:
        """Queue a Ping (the server answers with a Pong)."""
        if self.state is ConnectionState.OPEN:
            self._out += self._ws.send(Ping(payload=payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (no-op unless open)."""
        if self.state is ConnectionState.OPEN:
            self._out += self._ws.send(CloseConnection(code=code, reason=reason))
            self.state = ConnectionState.CLOSING
        elif self.state is ConnectionState.CONNECTING:
            self.state = ConnectionState.CLOSED

    def receive_data(self, data: bytes | None) -> list[Event]:
        """Feed bytes read from the socket (``None``: the peer closed it); returns the events."""
        if self.state is ConnectionState.CLOSED:
            return []
        try:
            if self.state is ConnectionState.OPEN and data is not None:
                return self._frames(data)
            if self._buf:
                # Bytes the frame splitter held back (an incomplete frame) go first.
                pending, self._buf = bytes(self._buf), bytearray()
                self._ws.receive_data(pending)
            self._ws.receive_data(data)
            return self._events(eof=data is None)
        except RemoteProtocolError as exc:
            self.state = ConnectionState.CLOSED
            raise StreamProtocolError(f"WebSocket protocol error: {exc}") from None
        except LocalProtocolError as exc:  # pragma: no cover - a bug of ours, reported as ours
            self.state = ConnectionState.CLOSED
            raise StreamProtocolError(f"WebSocket state error: {exc}") from None

    def _frames(self, data: bytes) -> list[Event]:
        """The open connection's hot path. Frames are split here, one whole frame at a time: a
        complete, unfragmented, unmasked text frame without extension bits (what a server
        sends for every message) is decoded at once; any other frame (control frames,
        fragments, anything unusual) goes to wsproto whole, so wsproto's own buffer is empty
        between frames and it keeps every rule of the protocol for them."""
        buf = self._buf
        buf += data
        out: list[Event] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2 and self.state is ConnectionState.OPEN:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if b1 & 0x80:
                head += 4  # masked (a server must not mask; wsproto will say so)
            if length > MAX_MESSAGE_BYTES:
                self.state = ConnectionState.CLOSED
                raise StreamProtocolError("a frame exceeded the size limit")
            stop = pos + head + length
            if stop > end:
                break
            if b0 == 0x81 and not b1 & 0x80 and not self._parts:
                try:
                    out.append(TextFrame(buf[pos + head : stop].decode("utf-8")))
                    pos = stop
                    continue
                except UnicodeDecodeError:
                    pass  # wsproto closes with 1007
            self._ws.receive_data(bytes(buf[pos:stop]))
            pos = stop
            out.extend(self._events(eof=False))
        del buf[:pos]
        return out

    def _events(self, eof: bool) -> list[Event]:
        out: list[Event] = []
        for event in self._ws.events():
            cls = event.__class__
            if cls is TextMessage:
                assert isinstance(event, TextMessage)
                if event.message_finished and not self._parts:
                    out.append(TextFrame(event.data))
                    continue
                self._parts.append(event.data)
                self._parts_len += len(event.data)
                if self._parts_len > MAX_MESSAGE_BYTES:
                    self.state = ConnectionState.CLOSED
                    raise StreamProtocolError("a text message exceeded the size limit")
                if event.message_finished:
                    out.append(TextFrame("".join(self._parts)))
                    self._parts.clear()
                    self._parts_len = 0
            elif cls is Ping:
                assert isinstance(event, Ping)
                self._out += self._ws.send(event.response())
                out.append(PingReceived(bytes(event.payload)))
            elif cls is Pong:
                assert isinstance(event, Pong)
                out.append(PongReceived(bytes(event.payload)))
            elif cls is AcceptConnection:
                self.state = ConnectionState.OPEN
                out.append(Opened())
            elif cls is CloseConnection:
                assert isinstance(event, CloseConnection)
                if self._ws.state is WSState.REMOTE_CLOSING:
                    self._out += self._ws.send(event.response())
                self.state = ConnectionState.CLOSED
                code = int(event.code)
                reason = event.reason or ("connection lost" if code == 1006 else "")
                out.append(Closed(code, reason))
            elif cls is RejectConnection:
                assert isinstance(event, RejectConnection)
                self._reject = event.status_code
                if not event.has_body:
                    self.state = ConnectionState.CLOSED
                    raise HandshakeError(event.status_code, b"", self.url)
            elif cls is RejectData:
                assert isinstance(event, RejectData)
                self._reject_body += event.data
                if event.body_finished:
                    self.state = ConnectionState.CLOSED
                    raise HandshakeError(self._reject or 0, bytes(self._reject_body), self.url)
            elif cls is BytesMessage:
                # Kalshi sends text only; a binary message is ignored rather than misread.
                continue
        if eof and self.state is not ConnectionState.CLOSED:
            if self.state is ConnectionState.CONNECTING:
                self.state = ConnectionState.CLOSED
                if self._reject is not None:
                    raise HandshakeError(self._reject, bytes(self._reject_body), self.url)
                raise StreamClosedError("the server closed the connection during the upgrade")
            self.state = ConnectionState.CLOSED
            out.append(Closed(1006, "connection lost"))
        return out


class Liveness:
    """The dead-connection rule: a connection that received nothing for ``timeout`` seconds is
    dead (Kalshi pings every 10 s, so the default of 30 s is three missed heartbeats)."""

    __slots__ = ("last_seen", "timeout")

    def __init__(self, timeout: float = 30.0, now: float = 0.0) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self.last_seen = now

    def seen(self, now: float) -> None:
        """Bytes arrived at ``now``."""
        self.last_seen = now

    def deadline(self) -> float:
        """When the connection counts as dead unless something arrives first."""
        return self.last_seen + self.timeout

    def expired(self, now: float) -> bool:
        return now >= self.last_seen + self.timeout
