"""Where the WebSocket API lives, and the signed upgrade request.

The WebSocket API is at ``/trade-api/ws/v2`` on its own hosts. ``websocket_url`` maps a REST
environment (a name the REST client accepts, or its base URL) to the WebSocket URL:

============================================  =====================================================
REST                                          WebSocket
============================================  =====================================================
``production`` / external-api.kalshi.com      ``wss://external-api-ws.kalshi.com/trade-api/ws/v2``
``demo`` / external-api.demo.kalshi.co        ``wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2``
``elections`` / api.elections.kalshi.com      ``wss://api.elections.kalshi.com/trade-api/ws/v2``
``demo-legacy`` / demo-api.kalshi.co          ``wss://demo-api.kalshi.co/trade-api/ws/v2``
any other ``http(s)://host:port/...``         ``ws(s)://host:port/trade-api/ws/v2`` (a fake)
============================================  =====================================================

The upgrade is a GET signed like a REST call: the message is ``timestamp + "GET" +
"/trade-api/ws/v2"``. A key is needed even for public channels, and every connect signs afresh.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from kalshi_core.wire import environments
from kalshi_core.wire.credentials import Credentials

__all__ = ["WS_PATH", "WS_URLS", "HandshakeRequest", "handshake_request", "websocket_url"]

WS_PATH = "/trade-api/ws/v2"

#: The WebSocket URL of each REST preset.
WS_URLS = {
    environments.PRODUCTION: "wss://external-api-ws.kalshi.com" + WS_PATH,
    environments.DEMO: "wss://external-api-ws.demo.kalshi.co" + WS_PATH,
    environments.PRODUCTION_ELECTIONS: "wss://api.elections.kalshi.com" + WS_PATH,
    environments.DEMO_LEGACY: "wss://demo-api.kalshi.co" + WS_PATH,
}


def websocket_url(base_url: str | None = None, env: str | None = None) -> str:
    """The WebSocket URL for a REST ``base_url`` or environment name (production by default).

    A ``ws://`` or ``wss://`` URL is taken as it is. Raises ``ValueError`` for an unknown
    environment name or a URL without a scheme.
    """
    if base_url and base_url.startswith(("ws://", "wss://")):
        return base_url.rstrip("/")
    rest = environments.resolve_base_url(base_url, env)
    known = WS_URLS.get(rest)
    if known is not None:
        return known
    parts = urlsplit(rest)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{WS_PATH}"


@attrs.frozen(repr=False)
class HandshakeRequest:
    """The upgrade request: where to connect and what to send.

    ``host``/``port``/``tls`` say where to open the socket; ``authority`` is the Host header,
    ``target`` the request target, ``headers`` the signed authentication headers (their values
    are secrets: ``repr`` leaves them out).
    """

    url: str
    host: str
    port: int
    tls: bool
    target: str
    headers: tuple[tuple[str, str], ...]

    @property
    def authority(self) -> str:
        default = 443 if self.tls else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        names = ", ".join(name for name, _ in self.headers)
        return f"HandshakeRequest(url={self.url!r}, headers=[{names}])"


def handshake_request(url: str, credentials: Credentials | None, now: float) -> HandshakeRequest:
    """The upgrade request for ``url`` (from ``websocket_url``), signed at ``now`` (Unix seconds).

    Without credentials the request goes unsigned (Kalshi refuses it with 401; a fake exchange
    may accept it).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a WebSocket URL: {url!r}")
    tls = parts.scheme == "wss"
    port = parts.port or (443 if tls else 80)
    path = parts.path or "/"
    target = path + (f"?{parts.query}" if parts.query else "")
    headers: tuple[tuple[str, str], ...] = ()
    if credentials is not None:
        headers = credentials.signature_headers("GET", path, int(now * 1000))
    return HandshakeRequest(
        url=url, host=parts.hostname, port=port, tls=tls, target=target, headers=headers
    )
