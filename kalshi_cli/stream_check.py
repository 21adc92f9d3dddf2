"""The doctor's WebSocket check: one signed upgrade, straight through the sans-IO core.

It opens a plain socket (TLS for ``wss://``, certificates verified), lets
``kalshi_core.stream.Connection`` write the signed handshake and read the answer, then closes
politely. A refusal is the core's ``HandshakeError`` (401 for a key the server does not know);
a socket failure or silence becomes our ``ConnectError``/``StreamTimeoutError``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time

from kalshi_core import Credentials
from kalshi_core.errors import ConnectError, TLSError
from kalshi_core.stream import Connection, Opened, handshake_request, websocket_url
from kalshi_core.stream.errors import StreamTimeoutError

__all__ = ["websocket_check"]


def websocket_check(base_url: str, credentials: Credentials, *, timeout: float = 10.0) -> str:
    """Upgrade to the WebSocket API of ``base_url``'s environment; describe the success."""
    url = websocket_url(base_url)
    request = handshake_request(url, credentials, time.time())

    def failed(what: str, exc: OSError | None = None) -> ConnectError:
        cause = f": {exc.strerror or exc}" if exc is not None else ""
        return ConnectError(f"{what}{cause}", method="GET", path=request.target)

    started = time.monotonic()
    try:
        raw = socket.create_connection((request.host, request.port), timeout=timeout)
    except OSError as exc:
        raise failed(f"cannot connect to {request.host}:{request.port}", exc) from None
    sock: socket.socket = raw
    try:
        if request.tls:
            try:
                sock = ssl.create_default_context().wrap_socket(raw, server_hostname=request.host)
            except (ssl.SSLError, ssl.CertificateError) as exc:
                raise TLSError(
                    f"TLS with {request.host} failed: {exc}", method="GET", path=request.target
                ) from None
            except OSError as exc:
                raise failed(f"TLS with {request.host} failed", exc) from None
        connection = Connection(request)
        sock.sendall(connection.data_to_send())
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                raise StreamTimeoutError(f"no answer to the upgrade within {timeout:g} s") from None
            except OSError as exc:
                raise failed("the connection failed during the upgrade", exc) from None
            events = connection.receive_data(data or None)
            if any(isinstance(event, Opened) for event in events):
                break
            if not data:
                raise failed("the server closed the connection during the upgrade")
        ms = (time.monotonic() - started) * 1000
        connection.close()
        with contextlib.suppress(OSError):
            sock.sendall(connection.data_to_send())
        return f"upgraded at {url} in {ms:.0f} ms"
    finally:
        sock.close()
