"""The exceptions of the SDK: one base class, and nothing a user must catch from elsewhere.

``KalshiError``
    ``ConfigurationError`` (also a ``ValueError``): a client option, an environment variable or
        a credential was refused (``CredentialsError``; ``ConfigurationTypeError`` is also a
        ``TypeError``); messages never echo key material.
    ``ClientClosedError`` (also a ``RuntimeError``): a call on a closed client.
    ``ValidationError``: an argument was refused before anything was sent (names the field).
    ``APIStatusError``: the server answered an error status; one subclass per status family:
        ``BadRequestError`` (400), ``AuthenticationError`` (401; refined into
        ``InvalidSignatureError``, ``UnknownApiKeyError`` and ``TimestampExpiredError``),
        ``PermissionDeniedError`` (403), ``NotFoundError`` (404), ``ConflictError`` (409;
        ``OrderAlreadyExistsError``, ``TradingPausedError``, ``MarketClosedError``,
        ``FillOrKillError``), ``DeprecatedEndpointError`` (410 ``deprecated_v1_order_endpoint``),
        ``RateLimitError`` (429), ``InternalServerError`` (500 and other 5xx) and
        ``ServiceUnavailableError`` (502, 503, 504).
    ``TransportError``: the request did not complete: ``ConnectError`` (never reached the
        server), ``ConnectionClosedError`` (cut off after it was sent, so it may have been
        processed), ``APITimeoutError`` (``phase`` says connect, read, write, pool or
        deadline), ``TLSError`` (a certificate or TLS handshake refused: permanent, never
        retried) and ``ResponseTooLargeError`` (the answer exceeded ``max_response_bytes``).
    ``DecodeError``: the body is not what the spec promises (not JSON, wrong shape).
    ``PaginationError``: a server cursor would make a paginator loop.
    ``PartialBatchError``: a batch of a split send failed after others went through.
    ``RateLimitStoreError``: the shared rate-limit store (Redis) could not be reached and its
        policy is to fail closed: the request was not sent.

``RateLimitStoreWarning`` (a ``RuntimeWarning``, warned, not raised) reports that a shared
store failed and calls are metered by in-process buckets until it answers again.

Every ``KalshiError`` has ``attempts``: how many times the request was sent before the SDK gave
up (1 when it was not retried). Messages never carry key material or signatures: only the
method, the path and what the server said; exceptions pickle without them too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "ConnectionClosedError",
    "DeprecatedEndpointError",
    "FillOrKillError",
    "MarketClosedError",
    "TradingPausedError",
    "InvalidSignatureError",
    "OrderAlreadyExistsError",
    "TimestampExpiredError",
    "UnknownApiKeyError",
    "BadRequestError",
    "ConflictError",
    "ClientClosedError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "ConnectError",
    "CredentialsError",
    "DecodeError",
    "ResponseTooLargeError",
    "TLSError",
    "InternalServerError",
    "KalshiError",
    "NotFoundError",
    "PaginationError",
    "PartialBatchError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitStoreError",
    "RateLimitStoreWarning",
    "ServiceUnavailableError",
    "APITimeoutError",
    "TransportError",
    "ValidationError",
    "status_error_class",
]


class KalshiError(Exception):
    """Base of every exception this SDK raises.

    ``attempts`` is how many times the request was sent before this error surfaced (the driver
    sets it; 1 when the request was not retried, 0 for errors raised before sending).
    """

    attempts: int = 0

    def __reduce__(self) -> Any:
        # Rebuild from the instance dict: keyword-only constructors cannot unpickle from args.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[KalshiError], args: tuple[Any, ...], state: dict[str, Any]) -> KalshiError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class ConfigurationError(KalshiError, ValueError):
    """A client option, an environment variable or a base URL was refused (also a
    ``ValueError``, which is what such errors were before)."""


class ConfigurationTypeError(ConfigurationError, TypeError):
    """An option of the wrong type (also a ``TypeError``)."""


class CredentialsError(ConfigurationError):
    """A key id or private key was refused. The message says what was wrong with it and never
    contains the key (nor a "path" that may be key material pasted in the wrong place)."""


class ClientClosedError(KalshiError, RuntimeError):
    """A call on a client that was closed (also a ``RuntimeError``)."""


class ValidationError(KalshiError, ValueError):
    """An argument was refused before anything was sent.

    ``field`` names the offending argument as the spec spells it (``count``,
    ``orders[3].price``); the message says what was expected.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class APIStatusError(KalshiError):
    """The server answered with an error status (or a 2xx body that carries an error).

    Attributes: ``status``, ``code``, ``message``, ``details``, ``service`` (Kalshi's error
    fields, ``None`` when absent), ``method`` and ``path`` of the request, ``request_id``
    (from the response headers, if any) and ``body`` (the decoded body, or the raw text).
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        code: str | None = None,
        message: str | None = None,
        details: Any = None,
        service: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.message = message
        self.details = details
        self.service = service
        self.request_id = request_id
        self.body = body
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.method} {self.path} -> {self.status}"
        if self.code:
            text += f" {self.code}"
        if self.message:
            text += f": {self.message}"
        if self.details:
            text += f" ({self.details})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        hint = _HINTS.get(type(self))
        if hint:
            text += f". Hint: {hint}"
        return text


class BadRequestError(APIStatusError):
    """400: the exchange refused the request's content (``invalid_order``...)."""


class AuthenticationError(APIStatusError):
    """401: the key, the signature or the timestamp was refused."""


class InvalidSignatureError(AuthenticationError):
    """401 ``INCORRECT_API_KEY_SIGNATURE``: the key id is known but the signature does not verify.

    The private key does not belong to this key id, or something rewrote the request path (a
    proxy adding a prefix) between signing and the exchange.
    """


class UnknownApiKeyError(AuthenticationError):
    """401 ``NOT_FOUND``: this environment does not know the key id.

    Demo and production keys are separate: a key made on demo.kalshi.co is unknown to
    production and the reverse. Check ``base_url``/``env`` against where the key was created.
    """


class TimestampExpiredError(AuthenticationError):
    """401 ``header_timestamp_expired``: the signature's timestamp is too far from the
    exchange's clock. The client corrects its offset from the server's ``Date`` header and
    retries once; seeing this error means the clock is still off (check NTP)."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this (trading paused, restricted subaccount...)."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class ConflictError(APIStatusError):
    """409: the resource exists already or cannot change (``order_already_exists``)."""


class OrderAlreadyExistsError(ConflictError):
    """409 ``order_already_exists``: an order with this ``client_order_id`` exists already.

    A create the SDK retried never surfaces this for the order its own first attempt made (it
    looks that order up and returns it); this error means the id was used before.
    """


class TradingPausedError(ConflictError):
    """409 ``trading_is_paused`` (the market or the exchange's trading is paused: no new orders
    or amends, cancels allowed) or ``exchange_is_paused`` (the whole exchange is paused: cancels
    are refused too). Not retried: wait for the pause to end (``GetExchangeStatus``)."""


class MarketClosedError(ConflictError):
    """409 ``market_closed``: the market is past its ``close_time`` (or settled); every order
    operation on it is refused, cancels included, and its resting orders were canceled."""


class FillOrKillError(ConflictError):
    """409 ``fill_or_kill_insufficient_resting_volume``: the book could not fill the whole
    fill-or-kill order; nothing was placed."""


class DeprecatedEndpointError(APIStatusError):
    """410 ``deprecated_v1_order_endpoint``: Kalshi no longer serves this V1 order write
    (``/portfolio/orders`` create, amend, decrease, cancel, batches) since June 2026.
    ``replacement`` names the V2 method to call instead (``create_order_v2``...)."""

    operation: str | None = None
    replacement: str | None = None

    def _use_instead(self, operation: str, replacement: str | None) -> None:
        """Name the method that was called and its V2 replacement in the message."""
        self.operation = operation
        self.replacement = replacement
        self.args = (self._describe(),)

    def _describe(self) -> str:
        text = super()._describe()
        if self.replacement:
            text += (
                f". {self.operation} is a V1 order write Kalshi has turned off: "
                f"use {self.replacement} instead"
            )
        return text


class RateLimitError(APIStatusError):
    """429: too many requests for the account's rate-limit budget."""


class InternalServerError(APIStatusError):
    """500 and other 5xx without a class of their own."""


class ServiceUnavailableError(InternalServerError):
    """502, 503 and 504: the exchange or a proxy in front of it is unavailable."""


_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    502: ServiceUnavailableError,
    503: ServiceUnavailableError,
    504: ServiceUnavailableError,
}


_AUTH_BY_REASON: Mapping[str, type[AuthenticationError]] = {
    "INCORRECT_API_KEY_SIGNATURE": InvalidSignatureError,
    "NOT_FOUND": UnknownApiKeyError,
    "header_timestamp_expired": TimestampExpiredError,
}

_CONFLICT_BY_CODE: Mapping[str, type[ConflictError]] = {
    "order_already_exists": OrderAlreadyExistsError,
    "trading_is_paused": TradingPausedError,
    "exchange_is_paused": TradingPausedError,
    "market_closed": MarketClosedError,
    "fill_or_kill_insufficient_resting_volume": FillOrKillError,
}

_HINTS: Mapping[type[APIStatusError], str] = {
    InvalidSignatureError: (
        "the signature does not verify: the private key does not match this key id, or a proxy "
        "changed the request path after signing"
    ),
    UnknownApiKeyError: (
        "this environment does not know the API key id: demo and production keys are separate, "
        "so a demo key fails on production and the reverse; check base_url/env"
    ),
    TimestampExpiredError: (
        "the request timestamp is outside the exchange's window: the local clock is off "
        "(the client corrects for the server's Date header once; check NTP)"
    ),
}


def status_error_class(
    status: int, code: str | None = None, details: str | None = None
) -> type[APIStatusError]:
    """The exception class for an error status, refined by Kalshi's ``code``/``details``."""
    if status == 401:
        return _AUTH_BY_REASON.get(code or "") or _AUTH_BY_REASON.get(
            details or "", AuthenticationError
        )
    if status == 409 and code is not None and code in _CONFLICT_BY_CODE:
        return _CONFLICT_BY_CODE[code]
    if status == 410 and code == "deprecated_v1_order_endpoint":
        return DeprecatedEndpointError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return InternalServerError if status >= 500 else APIStatusError


def hint_for(cls: type[APIStatusError]) -> str | None:
    """What to do about an error of class ``cls`` (for the three common auth failures)."""
    return _HINTS.get(cls)


class TransportError(KalshiError):
    """The request did not complete: no answer, or an answer cut off."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {message}")
        self.method = method
        self.path = path


class ConnectError(TransportError):
    """The connection could not be opened: the request never reached the server."""


class ConnectionClosedError(TransportError):
    """The connection broke after the request was sent (reset, or an answer cut off mid-body).

    The exchange may have processed the request: only idempotent requests are retried.
    """


class APITimeoutError(TransportError, TimeoutError):
    """A connect, read, write or pool timeout elapsed (also a builtin ``TimeoutError``).

    ``phase`` is ``"connect"``, ``"read"``, ``"write"``, ``"pool"`` or ``"deadline"`` (the
    attempt's or the call's total deadline passed, however the server paced its bytes); after a
    read, write or deadline
    timeout the exchange may have processed the request.
    """

    def __init__(self, message: str, *, method: str, path: str, phase: str = "read") -> None:
        super().__init__(message, method=method, path=path)
        self.phase = phase


class TLSError(ConnectError):
    """The TLS handshake was refused: the certificate does not verify (unknown issuer, expired,
    wrong host name) or the server does not speak TLS. Permanent: never retried."""


class ResponseTooLargeError(TransportError):
    """The answer is larger than ``max_response_bytes`` (announced by ``Content-Length``, or
    counted while reading, compressed or decompressed). The client stopped reading at once and
    closed the connection; the request is not retried.

    ``limit`` is the cap in bytes; ``encoded`` says whether the compressed (on the wire) or the
    decompressed size crossed it.
    """

    def __init__(
        self, message: str, *, method: str, path: str, limit: int, encoded: bool = False
    ) -> None:
        super().__init__(message, method=method, path=path)
        self.limit = limit
        self.encoded = encoded


class DecodeError(KalshiError):
    """A response body is not what the spec promises: not JSON, or the wrong shape.

    ``status``, ``method`` and ``path`` locate the response, ``body`` holds the decoded JSON (or
    the text when it is not JSON), and ``order_id`` is set when a write acknowledgement named the
    order it created or acted on despite the malformed rest of its body. ``order_ids`` holds the
    ids a batch answer named (every item that carried one), for the same reason: an order the
    exchange accepted is never out of the caller's reach. ``acknowledged`` maps the other ids a
    write answer named (``{"order_group_id": ...}``, ``{"transfer_id": ...}``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        body: Any = None,
        order_id: str | None = None,
        order_ids: tuple[str, ...] = (),
        acknowledged: Mapping[str, str] | None = None,
    ) -> None:
        text = f"{method} {path} -> {status}: {message}"
        if order_id:
            text += f" (the exchange acknowledged order {order_id})"
        elif order_ids:
            text += f" (the exchange acknowledged orders {', '.join(order_ids)})"
        super().__init__(text)
        self.status = status
        self.method = method
        self.path = path
        self.body = body
        self.order_id = order_id
        self.order_ids = order_ids
        self.acknowledged: Mapping[str, str] = dict(acknowledged or {})


class PaginationError(KalshiError):
    """The server returned a cursor it had returned before; following it would loop."""


class PartialBatchError(KalshiError):
    """A batch of a split send failed; the batches before it went through.

    ``completed`` is the merged answer of the batches that were answered (``None`` if the first
    one failed), ``failed`` the orders of the batch that raised (the exchange may or may not have
    acted on them: check with ``get_orders``), ``unsent`` the orders never sent, and
    ``__cause__`` the error itself.
    """

    def __init__(
        self, completed: Any, failed: Sequence[Any], unsent: Sequence[Any], cause: BaseException
    ) -> None:
        done = len(completed.orders or ()) if completed is not None else 0
        super().__init__(
            f"a batch of {len(failed)} orders failed ({cause}); {done} orders were answered "
            f"before it, {len(unsent)} were not sent"
        )
        self.completed = completed
        self.failed = list(failed)
        self.unsent = list(unsent)


class RateLimitStoreError(KalshiError):
    """The shared rate-limit store could not serve a call and fails closed: nothing was sent.

    ``store`` names the store (no credentials); ``__cause__`` is the store's own error.
    """

    def __init__(self, message: str, *, store: str) -> None:
        super().__init__(message)
        self.store = store


class RateLimitStoreWarning(KalshiError, RuntimeWarning):  # noqa: N818 - a warning
    """The shared rate-limit store failed; calls are metered in-process until it is back.

    A warning (``warnings.warn``), not raised; a ``KalshiError`` too, so a warnings filter that
    turns it into an error (``warnings.simplefilter("error", RateLimitStoreWarning)``) raises
    something every ``except KalshiError`` already catches."""
