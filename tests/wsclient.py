"""A plain WebSocket client for testing the fake exchange's stream endpoint from the outside.

Written on wsproto over a blocking socket, independent of the SDK's own stream client, so the
server is checked against the wire format alone. Pings are answered and counted.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from typing import Any

from wsproto import ConnectionType, WSConnection
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

from kalshi_core import Credentials

WS_PATH = "/trade-api/ws/v2"


class RejectedError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"handshake refused: {status} {body!r}")
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


class ClosedError(Exception):
    """The server closed the connection (``code`` is ``None`` without a close frame)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"connection closed ({code})")
        self.code = code


class WsClient:
    """``WsClient(port, key_id=..., pem=...)`` connects and completes the handshake."""

    def __init__(
        self,
        port: int,
        *,
        key_id: str | None = None,
        pem: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
        timestamp_ms: int | None = None,
        sign_path: str = WS_PATH,
        answer_pings: bool = True,
    ) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.answer_pings = answer_pings
        self.pings: list[bytes] = []
        self.pongs: list[bytes] = []
        self._next_id = 1
        extra = list(headers or [])
        if key_id is not None and pem is not None:
            ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
            extra += list(Credentials(key_id, pem).signature_headers("GET", sign_path, ts))
        self.sock.sendall(
            self.ws.send(Request(host=f"127.0.0.1:{port}", target=WS_PATH, extra_headers=extra))
        )
        self._pending: list[Any] = []
        self._stash: list[Any] = []
        status: int | None = None
        body = b""
        while True:
            data = self.sock.recv(65536)
            if not data:
                raise RejectedError(status or 0, body)
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, AcceptConnection):
                    return
                if isinstance(event, RejectConnection):
                    status = event.status_code
                    if not event.has_body:
                        raise RejectedError(status, b"")
                elif isinstance(event, RejectData):
                    body += event.data
                    if event.body_finished:
                        raise RejectedError(status or 0, body)
                else:
                    self._pending.append(event)

    # -- sending ----------------------------------------------------------------------------
    def send(self, obj: Any) -> None:
        text = obj if isinstance(obj, str) else json.dumps(obj)
        self.sock.sendall(self.ws.send(TextMessage(text)))

    def command(self, cmd: str, params: dict[str, Any] | None = None) -> int:
        """Send a command with the next id; the id."""
        command_id = self._next_id
        self._next_id += 1
        body: dict[str, Any] = {"id": command_id, "cmd": cmd}
        if params is not None:
            body["params"] = params
        self.send(body)
        return command_id

    def ping(self, payload: bytes = b"") -> None:
        self.sock.sendall(self.ws.send(Ping(payload)))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sock.sendall(self.ws.send(CloseConnection(code=1000)))
        self.sock.close()

    def __enter__(self) -> WsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- receiving ----------------------------------------------------------------------------
    def _events(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            raise ClosedError(None) from None
        if not data:
            raise ClosedError(None)
        self.ws.receive_data(data)
        self._pending.extend(self.ws.events())

    def recv(self, timeout: float = 5.0) -> Any:
        """The next JSON message (Pings answered on the way); ``TimeoutError`` if none."""
        if self._stash:
            return self._stash.pop(0)
        deadline = time.monotonic() + timeout
        buffer: list[str] = []
        while True:
            while self._pending:
                event = self._pending.pop(0)
                if isinstance(event, TextMessage):
                    buffer.append(event.data)
                    if event.message_finished:
                        return json.loads("".join(buffer))
                elif isinstance(event, BytesMessage):
                    raise AssertionError("the server sent a binary frame")
                elif isinstance(event, Ping):
                    self.pings.append(bytes(event.payload))
                    if self.answer_pings:
                        self.sock.sendall(self.ws.send(event.response()))
                elif isinstance(event, Pong):
                    self.pongs.append(bytes(event.payload))
                elif isinstance(event, CloseConnection):
                    raise ClosedError(event.code)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message")
            try:
                self._events(left)
            except TimeoutError:
                raise TimeoutError("no message") from None

    def recv_all(self, quiet: float = 0.3) -> list[Any]:
        """Every message until none arrives for ``quiet`` seconds."""
        out = []
        while True:
            try:
                out.append(self.recv(quiet))
            except TimeoutError:
                return out

    def expect_silence(self, seconds: float = 0.3) -> None:
        try:
            message = self.recv(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message!r}")

    def subscribe(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Subscribe; the ``subscribed`` replies (one per channel)."""
        command_id = self.command("subscribe", params)
        replies: list[dict[str, Any]] = []
        early: list[Any] = []
        while len(replies) < len(params["channels"]):
            reply = self.recv()
            if reply.get("id") != command_id:
                early.append(reply)  # data of earlier subscriptions: kept for recv
                continue
            assert reply["type"] == "subscribed", reply
            replies.append(reply)
        self._stash[:0] = early
        return replies
