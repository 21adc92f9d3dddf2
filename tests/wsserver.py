"""The server side of a WebSocket, for tests: sans-IO (``ServerSide``) and over a loopback
socket (``ScriptedWSServer``), both on wsproto.

``ServerSide`` turns the client's bytes into wsproto events and builds the server's frames, so
core tests can feed a ``Connection`` without a socket. ``ScriptedWSServer`` serves
``/trade-api/ws/v2`` on 127.0.0.1 in a thread: it accepts the upgrade (recording the request's
headers), answers commands through ``on_command(server, conn, command) -> None`` and lets a test
push frames (``conn.send_json``), pings and closes; it speaks the AsyncAPI file's wire format,
written from the spec (``subscribed``, ``ok``, ``error``, ``orderbook_snapshot``...).
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)


class ServerSide:
    """A sans-IO WebSocket server end (wsproto)."""

    def __init__(self) -> None:
        self.ws = WSConnection(ConnectionType.SERVER)
        self.request: Request | None = None
        self.texts: list[str] = []
        self.pings = 0
        self.closed = False

    def feed(self, data: bytes | None) -> bytes:
        """Take client bytes; returns what the server answers automatically (pongs, close)."""
        self.ws.receive_data(data)
        out = b""
        for event in self.ws.events():
            if isinstance(event, Request):
                self.request = event
            elif isinstance(event, TextMessage):
                self.texts.append(event.data)
            elif isinstance(event, Ping):
                self.pings += 1
                out += self.ws.send(event.response())
            elif isinstance(event, CloseConnection):
                self.closed = True
                with contextlib.suppress(Exception):
                    out += self.ws.send(event.response())
        return out

    def accept(self) -> bytes:
        return self.ws.send(AcceptConnection())

    def reject(self, status: int, body: bytes = b"") -> bytes:
        headers = [(b"content-length", str(len(body)).encode())]
        out = self.ws.send(RejectConnection(status_code=status, headers=headers, has_body=True))
        return out + self.ws.send(RejectData(data=body, body_finished=True))

    def text(self, payload: Any) -> bytes:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        return self.ws.send(TextMessage(data=data))

    def ping(self, payload: bytes = b"heartbeat") -> bytes:
        return self.ws.send(Ping(payload=payload))

    def close(self, code: int = 1000) -> bytes:
        return self.ws.send(CloseConnection(code=code))


class ServerConn:
    """One accepted connection of ``ScriptedWSServer``."""

    def __init__(self, server: ScriptedWSServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.side = ServerSide()
        self.lock = threading.Lock()
        self.headers: dict[str, str] = {}
        self.commands: list[dict[str, Any]] = []
        self.open = True
        self.stalled = False  # when set, the server answers nothing (not even pings)

    def _write(self, data: bytes) -> None:
        if data:
            with self.lock:
                try:
                    self.sock.sendall(data)
                except OSError:
                    self.open = False

    def send_json(self, payload: Any) -> None:
        self._write(self.side.text(payload))

    def send_raw_text(self, text: str) -> None:
        self._write(self.side.text(text))

    def ping(self) -> None:
        self._write(self.side.ping())

    def close(self, code: int = 1000) -> None:
        self._write(self.side.close(code))

    def drop(self) -> None:
        """Cut the socket without a close frame."""
        self.open = False
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def run(self) -> None:
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                try:
                    self.sock.do_handshake()
                except (OSError, ssl.SSLError):
                    return  # a client that refused our certificate
            while self.open:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    break
                before = len(self.side.texts)
                try:
                    out = self.side.feed(data or None)
                except Exception:  # noqa: BLE001 - a broken client ends the connection
                    break
                if self.side.request is not None and not self.headers:
                    req = self.side.request
                    self.headers = {k.decode().lower(): v.decode() for k, v in req.extra_headers}
                    self.headers["target"] = req.target
                    status = self.server.accept_status(self)
                    if status != 101:
                        self._write(self.side.reject(status, b'{"error":"unauthorized"}'))
                        break
                    self._write(self.side.accept())
                    self.server.connected(self)
                if not self.stalled:
                    self._write(out)
                for text in self.side.texts[before:]:
                    if self.stalled:
                        break
                    command = json.loads(text)
                    self.commands.append(command)
                    self.server.on_command(self.server, self, command)
                if not data or self.side.closed:
                    break
        finally:
            self.open = False
            with contextlib.suppress(OSError):
                self.sock.close()


class ScriptedWSServer:
    """A WebSocket server on 127.0.0.1 that runs a script (see the module docstring)."""

    def __init__(
        self,
        on_command: Callable[[ScriptedWSServer, ServerConn, dict[str, Any]], None] | None = None,
        *,
        accept_status: Callable[[ServerConn], int] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.on_command = on_command or standard_replies
        self.tls = tls
        self._accept = accept_status
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.settimeout(0.05)
        self.conns: list[ServerConn] = []
        self.connect_count = 0
        self.next_sid = 1
        self.seq: dict[int, int] = {}
        self.cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stop = False
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self._accepter.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/trade-api/v2"

    def accept_status(self, conn: ServerConn) -> int:
        return self._accept(conn) if self._accept else 101

    def connected(self, conn: ServerConn) -> None:
        with self.cond:
            self.connect_count += 1
            self.cond.notify_all()

    def _accept_loop(self) -> None:
        while not self._stop:
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            conn = ServerConn(self, sock)
            with self.cond:
                self.conns.append(conn)
            t = threading.Thread(target=conn.run, daemon=True)
            self._threads.append(t)
            t.start()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        import time

        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise AssertionError("timed out waiting for the scripted server")
            time.sleep(0.005)

    @property
    def conn(self) -> ServerConn:
        return self.conns[-1]

    def next_seq(self, sid: int) -> int:
        self.seq[sid] = self.seq.get(sid, 0) + 1
        return self.seq[sid]

    def close(self) -> None:
        self._stop = True
        with contextlib.suppress(OSError):
            self.listener.close()
        for conn in list(self.conns):
            conn.drop()
        for t in self._threads:
            t.join(timeout=2)
        self._accepter.join(timeout=2)


BOOKS: dict[str, dict[str, list[list[str]]]] = {}


def standard_replies(server: ScriptedWSServer, conn: ServerConn, command: dict[str, Any]) -> None:
    """Replies in the AsyncAPI file's shapes: ``subscribed`` per channel (with an
    ``orderbook_snapshot`` for each market of an ``orderbook_delta`` subscription), ``ok`` for
    ``update_subscription`` (with a snapshot for ``get_snapshot``), ``unsubscribed`` per sid,
    the list for ``list_subscriptions``."""
    cid = command.get("id")
    params = command.get("params") or {}
    if command["cmd"] == "subscribe":
        for channel in params["channels"]:
            sid = server.next_sid
            server.next_sid += 1
            server.seq[sid] = 0
            conn.send_json(
                {"id": cid, "type": "subscribed", "msg": {"channel": channel, "sid": sid}}
            )
            if channel == "orderbook_delta":
                for ticker in params.get("market_tickers") or [params.get("market_ticker")]:
                    send_snapshot(server, conn, sid, ticker)
    elif command["cmd"] == "update_subscription":
        sid = params.get("sid") or params["sids"][0]
        conn.send_json(
            {
                "id": cid,
                "type": "ok",
                "sid": sid,
                "seq": server.next_seq(sid),
                "msg": {"market_tickers": params.get("market_tickers", [])},
            }
        )
        if params["action"] == "get_snapshot":
            for ticker in params.get("market_tickers") or []:
                send_snapshot(server, conn, sid, ticker)
    elif command["cmd"] == "unsubscribe":
        for sid in params["sids"]:
            conn.send_json(
                {"id": cid, "type": "unsubscribed", "sid": sid, "seq": server.next_seq(sid)}
            )
    elif command["cmd"] == "list_subscriptions":
        conn.send_json(
            {
                "id": cid,
                "type": "ok",
                "msg": [{"channel": "orderbook_delta", "sid": s} for s in sorted(server.seq)],
            }
        )


def send_snapshot(server: ScriptedWSServer, conn: ServerConn, sid: int, ticker: str) -> None:
    book = BOOKS.get(ticker, {"yes": [["0.4000", "10.00"]], "no": [["0.5500", "5.00"]]})
    conn.send_json(
        {
            "type": "orderbook_snapshot",
            "sid": sid,
            "seq": server.next_seq(sid),
            "msg": {
                "market_ticker": ticker,
                "market_id": "m-" + ticker,
                "yes_dollars_fp": book["yes"],
                "no_dollars_fp": book["no"],
            },
        }
    )


def send_delta(
    server: ScriptedWSServer,
    conn: ServerConn,
    sid: int,
    ticker: str,
    side: str,
    price: str,
    delta: str,
    *,
    seq: int | None = None,
) -> None:
    conn.send_json(
        {
            "type": "orderbook_delta",
            "sid": sid,
            "seq": server.next_seq(sid) if seq is None else seq,
            "msg": {
                "market_ticker": ticker,
                "market_id": "m-" + ticker,
                "price_dollars": price,
                "delta_fp": delta,
                "side": side,
            },
        }
    )


@contextlib.contextmanager
def scripted_server(**kwargs: Any) -> Iterator[ScriptedWSServer]:
    server = ScriptedWSServer(**kwargs)
    try:
        yield server
    finally:
        server.close()
