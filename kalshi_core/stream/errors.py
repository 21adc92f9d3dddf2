"""The streaming exceptions, all ``KalshiError`` subclasses.

``StreamError``
    ``StreamConnectError``: the connection could not be opened (``tls``: certificate refused).
    ``HandshakeError``: the server refused the WebSocket upgrade (``status``, ``body``; a 401
        means the key or signature was refused).
    ``StreamProtocolError``: the peer broke the WebSocket protocol.
    ``StreamClosedError``: the connection is closed (``code``, ``reason``); also what a reader
        sees after ``close()``.
    ``StreamDecodeError`` (also a ``DecodeError``): a frame is not JSON or not the shape the
        AsyncAPI file promises; ``frame`` holds the text.
    ``StreamTimeoutError``: no frame arrived within the liveness bound, or a command went
        unanswered.
    ``BookOutOfSyncError``: a managed order book was read while it is out of sync (``reason``:
        ``"gap"``, ``"terminal"``, ``"disconnected"``, ``"dropped"``, ``"awaiting_snapshot"``,
        ``"unsubscribed"``).
    ``SubscriptionError``: the server answered a command with ``error`` (``code``, ``msg``,
        ``market_ticker``, ``market_id``, ``command``); one subclass per code family of the
        AsyncAPI file (``error_class_for(code)``). ``terminal`` is True for the codes that end a
        subscription (10, 17, 25: ``TerminalSubscriptionError``).
"""

from __future__ import annotations

from typing import Any

from kalshi_core.errors import DecodeError, KalshiError
from kalshi_core.stream._generated.messages import ERROR_CODES, TERMINAL_CODES

__all__ = [
    "AlreadySubscribedError",
    "BookOutOfSyncError",
    "ChannelError",
    "CommandTimeoutError",
    "HandshakeError",
    "InvalidCommandError",
    "MarketLimitError",
    "MarketNotFoundError",
    "StreamAuthenticationError",
    "StreamClosedError",
    "StreamConnectError",
    "StreamDecodeError",
    "StreamError",
    "StreamInternalError",
    "StreamProtocolError",
    "StreamRateLimitError",
    "StreamTimeoutError",
    "SubscriptionError",
    "SubscriptionOverflowError",
    "TerminalSubscriptionError",
    "UnknownChannelError",
    "UnknownSubscriptionError",
    "error_class_for",
]


class StreamError(KalshiError):
    """Base of the streaming errors."""


class HandshakeError(StreamError):
    """The server refused the WebSocket upgrade with an HTTP answer (``status``, ``body``)."""

    def __init__(self, status: int, body: bytes = b"", url: str = "") -> None:
        text = body[:200].decode("utf-8", "replace")
        hint = " (the key or its signature was refused)" if status in (401, 403) else ""
        where = url or "the server"
        super().__init__(f"WebSocket upgrade to {where} refused: {status}{hint} {text}")
        self.status = status
        self.body = body
        self.url = url


class StreamConnectError(StreamError):
    """The connection could not be opened (refused, unreachable, name unknown, or ``tls``:
    the server's certificate failed verification, which retrying cannot fix)."""

    def __init__(self, message: str, *, tls: bool = False) -> None:
        super().__init__(message)
        self.tls = tls


class StreamProtocolError(StreamError):
    """The peer broke the WebSocket protocol (a malformed frame, a bad upgrade answer)."""


class StreamClosedError(StreamError):
    """The connection is closed (``code`` and ``reason`` of the close frame, when one came)."""

    def __init__(
        self, message: str = "stream closed", *, code: int | None = None, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class StreamTimeoutError(StreamError, TimeoutError):
    """Nothing arrived within the liveness bound, or a command went unanswered."""


class StreamDecodeError(DecodeError, StreamError):
    """A frame is not JSON, or not the shape the AsyncAPI file promises (``frame``)."""

    def __init__(self, message: str, frame: str | bytes = "") -> None:
        super().__init__(message, status=101, method="GET", path="/trade-api/ws/v2", body=frame)
        self.frame = frame


class BookOutOfSyncError(StreamError):
    """A managed order book was read while out of sync; ``reason`` says why (``"gap"``,
    ``"terminal"``, ``"disconnected"``, ``"dropped"``, ``"awaiting_snapshot"``,
    ``"unsubscribed"``). The book refuses reads until a fresh snapshot arrives."""

    def __init__(self, market_ticker: str, reason: str) -> None:
        super().__init__(f"order book {market_ticker} is out of sync ({reason})")
        self.market_ticker = market_ticker
        self.reason = reason


class SubscriptionError(StreamError):
    """The server answered a command with an error.

    ``code`` and ``msg`` are Kalshi's; ``market_ticker``/``market_id`` name the market when the
    error is about one; ``command`` is the command text it answered (``None`` when the error
    came unprompted); ``sid`` the subscription it ended, when known. ``terminal`` is True when
    the subscription is over and must be made again (codes 10, 17, 25).
    """

    terminal: bool = False

    def __init__(
        self,
        code: int,
        msg: str,
        *,
        market_ticker: str | None = None,
        market_id: str | None = None,
        command: Any = None,
        sid: int | None = None,
    ) -> None:
        name = ERROR_CODES.get(code, ("unknown error code", ""))[0]
        text = f"error {code} ({name}): {msg}"
        if market_ticker:
            text += f" [market {market_ticker}]"
        super().__init__(text)
        self.code = code
        self.msg = msg
        self.market_ticker = market_ticker
        self.market_id = market_id
        self.command = command
        self.sid = sid


class InvalidCommandError(SubscriptionError):
    """The command was malformed or missing something (codes 1-5, 11-15, 19-24, 28)."""


class AlreadySubscribedError(SubscriptionError):
    """Code 6: the subscription exists already."""


class UnknownSubscriptionError(SubscriptionError):
    """Code 7: no subscription has that sid."""


class UnknownChannelError(SubscriptionError):
    """Code 8: no channel has that name."""


class StreamAuthenticationError(SubscriptionError):
    """Code 9: the channel needs an authenticated connection."""


class MarketNotFoundError(SubscriptionError):
    """Code 16: no market has that ticker or id."""


class CommandTimeoutError(SubscriptionError):
    """Code 18: the server timed out processing the command (it may be retried)."""


class MarketLimitError(SubscriptionError):
    """Code 26: adding the markets would exceed the per-subscription market limit."""


class StreamRateLimitError(SubscriptionError):
    """Code 27: the subscription sent commands faster than its rate limit."""


class TerminalSubscriptionError(SubscriptionError):
    """A terminal error: the subscription is over and must be made again."""

    terminal = True


class ChannelError(TerminalSubscriptionError):
    """Code 10: a channel-specific error ended the subscription."""


class StreamInternalError(TerminalSubscriptionError):
    """Code 17: a server-side error ended the subscription."""


class SubscriptionOverflowError(TerminalSubscriptionError):
    """Code 25: the subscription's outbound buffer on the server overflowed."""


_BY_CODE: dict[int, type[SubscriptionError]] = {
    6: AlreadySubscribedError,
    7: UnknownSubscriptionError,
    8: UnknownChannelError,
    9: StreamAuthenticationError,
    10: ChannelError,
    16: MarketNotFoundError,
    17: StreamInternalError,
    18: CommandTimeoutError,
    25: SubscriptionOverflowError,
    26: MarketLimitError,
    27: StreamRateLimitError,
}
for _code in (*range(1, 6), *range(11, 16), *range(19, 25), 28):
    _BY_CODE[_code] = InvalidCommandError
assert {c for c, k in _BY_CODE.items() if k.terminal} == TERMINAL_CODES, "terminal codes drifted"


def error_class_for(code: int) -> type[SubscriptionError]:
    """The exception class for an error ``code`` (``SubscriptionError`` for a code the AsyncAPI
    file does not list; terminal if the file calls it terminal)."""
    cls = _BY_CODE.get(code)
    if cls is not None:
        return cls
    return TerminalSubscriptionError if code in TERMINAL_CODES else SubscriptionError
