"""``FakeExchange``: an in-memory Kalshi that speaks request and response values.

It is sans-IO like the core: ``handle(request, now)`` takes a ``kalshi_core.Request`` and the
current time and returns a ``kalshi_core.Response``. The adapters in this package put it behind
``httpx.MockTransport`` and behind a real HTTP/1.1 server on 127.0.0.1.

What it checks, like the real exchange: every authenticated request carries a registered key id
and a valid signature over ``timestamp + METHOD + path`` made within ``timestamp_tolerance``
seconds of ``now``; errors come back in Kalshi's ``{"error": {...}}`` shape.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import attrs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kalshi_core import Request, Response
from kalshi_core._optable import OPERATIONS
from kalshi_core._schema import Operation
from kalshi_core.credentials import signing_message
from kalshi_testing._state import Market, Order, PublicKey, User
from kalshi_testing._wire import error_body

if TYPE_CHECKING:
    from kalshi_testing._ratelimit import FakeRateLimits

__all__ = ["BASE_PATH", "Context", "FakeError", "FakeExchange", "Handler", "handler"]

BASE_PATH = "/trade-api/v2"


class FakeError(Exception):
    """Raised by a handler to answer an error in Kalshi's shape."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@attrs.define
class Context:
    """What a handler gets: the caller, its arguments and the time."""

    exchange: FakeExchange
    operation: Operation[Any]
    user: User | None
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    now: float

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def int_arg(
        self, name: str, default: int | None = None, lo: int | None = None, hi: int | None = None
    ) -> int | None:
        text = self.arg(name)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise FakeError(400, "invalid_parameters", f"{name} must be an integer") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise FakeError(400, "invalid_parameters", f"{name} out of range")
        return value

    @property
    def me(self) -> User:
        assert self.user is not None
        return self.user


Handler = Callable[[Context], tuple[int, Any]]
_HANDLERS: dict[str, Handler] = {}


def handler(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the fake's implementation of an operation (by operationId)."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[operation_id] = fn
        return fn

    return register


def _route_table() -> list[tuple[str, re.Pattern[str], Operation[Any]]]:
    routes = []
    for op in OPERATIONS.values():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(op.path))
        routes.append((op.method, re.compile(f"^{pattern}$"), op))
    # Literal segments win over parameters (/orders/queue_positions before /orders/{order_id}).
    routes.sort(key=lambda r: r[2].path.count("{"))
    return routes


_ROUTES = _route_table()


def _verify(key: PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            key.verify(
                signature,
                message,
                padding.PSS(
                    mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size
                ),
                hashes.SHA256(),
            )
    except InvalidSignature:
        return False
    return True


@attrs.define(frozen=True)
class ApiKey:
    """An API key registered with the fake: its id and, when the fake made it, its private PEM."""

    key_id: str
    user_id: str
    private_key_pem: bytes | None = attrs.field(default=None, repr=False)


class FakeExchange:
    """A stateful, in-memory Kalshi Trade API v2 for tests and demos.

    Register users and keys with :meth:`add_user`, markets with :meth:`add_market`, then route
    requests to :meth:`handle`. All state changes happen under one lock, so the loopback
    server's threads can share an instance.
    """

    def __init__(
        self, *, timestamp_tolerance: float = 10.0, rate_limits: FakeRateLimits | None = None
    ) -> None:
        self.timestamp_tolerance = timestamp_tolerance
        #: Kalshi's token buckets, enforced with 429s when set (off by default).
        self.rate_limits = rate_limits
        self.users: dict[str, User] = {}
        self.markets: dict[str, Market] = {}
        self.orders: dict[str, Order] = {}
        self._key_owner: dict[str, str] = {}
        self._lock = threading.RLock()
        self._sequence = itertools.count(1)
        self.requests_seen = 0

    # -- set-up ---------------------------------------------------------------------------------
    def add_user(
        self,
        *,
        balance: Decimal | str | int = 0,
        user_id: str | None = None,
        public_key: PublicKey | bytes | None = None,
        key_id: str | None = None,
    ) -> ApiKey:
        """Create a user with ``balance`` dollars in the primary account and one API key.

        With no ``public_key``, the fake generates an RSA-2048 key pair and the returned
        ``ApiKey`` carries the private PEM for the client.
        """
        with self._lock:
            user_id = user_id or str(uuid.uuid4())
            user = self.users.get(user_id) or User(user_id=user_id)
            self.users[user_id] = user
            user.balances[0] = Decimal(balance)
            return self.add_key(user_id, public_key=public_key, key_id=key_id)

    def add_key(
        self,
        user_id: str,
        *,
        public_key: PublicKey | bytes | None = None,
        key_id: str | None = None,
    ) -> ApiKey:
        """Register another API key for an existing user."""
        private_pem = None
        if public_key is None:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private_pem = private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            public_key = private.public_key()
        elif isinstance(public_key, bytes):
            loaded = serialization.load_pem_public_key(public_key)
            if not isinstance(loaded, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
                raise ValueError("public_key must be an RSA or Ed25519 public key")
            public_key = loaded
        key_id = key_id or str(uuid.uuid4())
        with self._lock:
            self.users[user_id].keys[key_id] = public_key
            self._key_owner[key_id] = user_id
        return ApiKey(key_id=key_id, user_id=user_id, private_key_pem=private_pem)

    def add_market(
        self, ticker: str, *, event_ticker: str | None = None, tick: Decimal | str = "0.01"
    ) -> Market:
        """Open a binary market (YES book) with the given price grid."""
        with self._lock:
            event = event_ticker or ticker.rsplit("-", 1)[0]
            market = Market(ticker=ticker, event_ticker=event, tick=Decimal(tick))
            self.markets[ticker] = market
            return market

    def next_sequence(self) -> int:
        return next(self._sequence)

    # -- the sans-IO entry point ------------------------------------------------------------------
    def handle(self, request: Request, now: float) -> Response:
        """Answer one request as Kalshi would, at time ``now`` (Unix seconds)."""
        with self._lock:
            self.requests_seen += 1
            if self.rate_limits is not None:
                refused = self.rate_limits.check(self, request, now)
                if refused is not None:
                    return attrs.evolve(refused, headers=(*refused.headers, _date(now)))
            try:
                status, payload = self._dispatch(request, now)
            except FakeError as exc:
                status, payload = exc.status, error_body(exc.code, exc.message, exc.details)
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        headers = (
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            _date(now),
        )
        return Response(status=status, headers=headers, body=body)

    def route_operation(self, request: Request) -> Operation[Any]:
        """The operation ``request`` addresses (raises ``FakeError`` when none does)."""
        path = urlsplit(request.url).path
        if not path.startswith(BASE_PATH):
            raise FakeError(404, "not_found", f"no route for {path}")
        return self._route(request.method, path[len(BASE_PATH) :] or "/")[0]

    def key_owner(self, key_id: str) -> str | None:
        """The user id that owns API key ``key_id`` (``None`` for an unknown key)."""
        return self._key_owner.get(key_id)

    def _dispatch(self, request: Request, now: float) -> tuple[int, Any]:
        parts = urlsplit(request.url)
        path = parts.path
        if not path.startswith(BASE_PATH):
            raise FakeError(404, "not_found", f"no route for {path}")
        rel = path[len(BASE_PATH) :] or "/"
        operation, params = self._route(request.method, rel)
        user = self._authenticate(request, path, now) if operation.auth else None
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                raise FakeError(
                    400, "invalid_parameters", "request body is not valid JSON"
                ) from None
        fn = _HANDLERS.get(operation.operation_id)
        if fn is None:
            raise FakeError(
                501,
                "not_implemented",
                f"the fake exchange does not simulate {operation.operation_id}",
            )
        ctx = Context(
            self, operation, user, params, parse_qs(parts.query, keep_blank_values=True), body, now
        )
        return fn(ctx)

    def _route(self, method: str, rel: str) -> tuple[Operation[Any], dict[str, str]]:
        path_matched = False
        for op_method, pattern, op in _ROUTES:
            m = pattern.match(rel)
            if m is None:
                continue
            path_matched = True
            if op_method == method:
                return op, m.groupdict()
        if path_matched:
            raise FakeError(405, "method_not_allowed", f"{method} is not allowed on {rel}")
        raise FakeError(404, "not_found", f"no route for {rel}")

    def _authenticate(self, request: Request, path: str, now: float) -> User:
        key_id = request.header("KALSHI-ACCESS-KEY")
        ts = request.header("KALSHI-ACCESS-TIMESTAMP")
        sig = request.header("KALSHI-ACCESS-SIGNATURE")
        if not key_id or not ts or not sig:
            raise FakeError(
                401, "authentication_error", "missing authentication headers", "MISSING_HEADERS"
            )
        owner = self._key_owner.get(key_id)
        if owner is None:
            raise FakeError(401, "authentication_error", "API key not found", "NOT_FOUND")
        try:
            ts_ms = int(ts)
            signature = base64.b64decode(sig, validate=True)
        except (ValueError, binascii.Error):
            raise FakeError(
                401,
                "authentication_error",
                "malformed authentication headers",
                "INCORRECT_API_KEY_SIGNATURE",
            ) from None
        if abs(now - ts_ms / 1000) > self.timestamp_tolerance:
            raise FakeError(
                401, "header_timestamp_expired", "request timestamp is outside the allowed window"
            )
        user = self.users[owner]
        if not _verify(user.keys[key_id], signing_message(ts_ms, request.method, path), signature):
            raise FakeError(
                401,
                "authentication_error",
                "signature verification failed",
                "INCORRECT_API_KEY_SIGNATURE",
            )
        return user

    # -- queries for tests ----------------------------------------------------------------------
    def balance(self, user_id: str, subaccount: int = 0) -> Decimal:
        """A user's available balance in dollars."""
        with self._lock:
            return self.users[user_id].balance(subaccount)

    def orders_of(self, user_id: str) -> list[Order]:
        with self._lock:
            return [o for o in self.orders.values() if o.user_id == user_id]


def _date(now: float) -> tuple[str, str]:
    """The ``Date`` header Kalshi sends (RFC 7231, one-second resolution)."""
    return ("date", formatdate(now, usegmt=True))


def decode_cursor(cursor: str | None) -> int:
    """The offset an opaque cursor stands for (0 for none); 400 for a cursor we never issued."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, offset = text.partition(":")
        if kind != "o":
            raise ValueError(kind)
        return int(offset)
    except (ValueError, binascii.Error):
        raise FakeError(400, "invalid_parameters", "invalid cursor") from None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def page(
    items: list[Any], ctx: Context, *, default_limit: int = 100, max_limit: int = 1000
) -> tuple[list[Any], str]:
    """Slice ``items`` by the request's ``cursor`` and ``limit``: the page and the next cursor."""
    limit = ctx.int_arg("limit", default_limit, 1, max_limit) or default_limit
    start = decode_cursor(ctx.arg("cursor"))
    chunk = items[start : start + limit]
    end = start + len(chunk)
    return chunk, encode_cursor(end) if end < len(items) else ""


def require(body: Any, name: str) -> Any:
    if not isinstance(body, Mapping) or body.get(name) in (None, ""):
        raise FakeError(400, "invalid_parameters", f"{name} is required")
    return body[name]
