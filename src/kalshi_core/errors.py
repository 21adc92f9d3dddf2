"""The exceptions of the SDK: one base class, and nothing a user must catch from elsewhere.

``KalshiError``
    ``ValidationError``: an argument was refused before anything was sent (names the field).
    ``APIStatusError``: the server answered an error status; one subclass per status family.
    ``TransportError``: the request did not complete (``ConnectError``, ``APITimeoutError``).
    ``DecodeError``: the body is not what the spec promises (not JSON, wrong shape).
    ``PaginationError``: a server cursor would make a paginator loop.
    ``PartialBatchError``: a batch of a split send failed after others went through.

Messages never carry key material or signatures: only the method, the path and what the
server said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectError",
    "DecodeError",
    "InternalServerError",
    "KalshiError",
    "NotFoundError",
    "PaginationError",
    "PartialBatchError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "APITimeoutError",
    "TransportError",
    "ValidationError",
    "status_error_class",
]


class KalshiError(Exception):
    """Base of every exception this SDK raises."""


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
        return text


class BadRequestError(APIStatusError):
    """400: the exchange refused the request's content (``invalid_order``...)."""


class AuthenticationError(APIStatusError):
    """401: the key, the signature or the timestamp was refused."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this (trading paused, restricted subaccount...)."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class ConflictError(APIStatusError):
    """409: the resource exists already or cannot change (``order_already_exists``)."""


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


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return InternalServerError if status >= 500 else APIStatusError


class TransportError(KalshiError):
    """The request did not complete: no answer, or an answer cut off."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(f"{method} {path}: {message}")
        self.method = method
        self.path = path


class ConnectError(TransportError):
    """The connection could not be opened, or was closed before an answer began."""


class APITimeoutError(TransportError, TimeoutError):
    """A connect, read, write or pool timeout elapsed (also a builtin ``TimeoutError``)."""


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
