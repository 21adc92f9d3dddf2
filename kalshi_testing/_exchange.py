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
import dataclasses
import json
import re
import threading
import time
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
from kalshi_core._generated.optable import OPERATIONS
from kalshi_core.wire.credentials import signing_message
from kalshi_core.wire.schema import Operation
from kalshi_testing._engine import Engine, Ledger
from kalshi_testing._errors import FakeError
from kalshi_testing._events import Listener
from kalshi_testing._fees import FeeSchedule
from kalshi_testing._history import QuoteHistory
from kalshi_testing._state import Event, Market, Order, PublicKey, Series, User
from kalshi_testing._stream_json import Ladder, ladder
from kalshi_testing._wire import error_body

if TYPE_CHECKING:
    from kalshi_testing._ratelimit import FakeRateLimits

__all__ = [
    "BASE_PATH",
    "Context",
    "FakeError",
    "FakeExchange",
    "Handler",
    "decode_cursor",
    "encode_cursor",
    "handler",
    "page",
    "require",
]

BASE_PATH = "/trade-api/v2"


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

    def subaccount_arg(self, *, default_primary: bool) -> int | None:
        """The ``subaccount`` query parameter (0-63); omitted means 0 or "all" (None)."""
        value = self.int_arg("subaccount", None, 0, 63)
        if value is None and default_primary:
            return 0
        return value

    @property
    def me(self) -> User:
        assert self.user is not None
        return self.user

    @property
    def engine(self) -> Engine:
        return self.exchange.engine


Handler = Callable[[Context], tuple[int, Any]]
_HANDLERS: dict[str, Handler] = {}


def _register_handlers() -> None:
    """Import the modules whose ``@handler`` functions serve the operations (a no-op once
    they are imported)."""
    from kalshi_testing import (  # noqa: F401
        _groups,
        _legacy,
        _market_data,
        _orders,
        _portfolio,
        _ratelimit,
    )


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
    requests to :meth:`handle`. Tests drive the world around the user with
    :meth:`seed_liquidity` (other participants' resting orders), :meth:`settle`,
    :meth:`pause_trading` / :meth:`resume_trading`, :meth:`deposit` / :meth:`withdraw`, and
    check the books with :meth:`ledger` / :meth:`check_ledger`. All state lives in
    :attr:`engine` and changes under one lock, so the loopback server's threads can share an
    instance.

    ``legacy_fields=True`` makes order records also carry the integer cents and counts that
    responses had before March 2026 (``yes_price``, ``fill_count``, ...), as in seed 003.

    ``serve_v1_writes=True`` serves the V1 order writes (``/portfolio/orders`` create, amend,
    decrease, cancel and the batches) as before June 2026; by default they answer 410
    ``deprecated_v1_order_endpoint``, as production does. ``balance_precision`` is what
    balances are kept to after every fill ($0.01, Kalshi's precision for members who are not
    direct members of the exchange; ``"0.0001"`` for direct members).
    """

    def __init__(
        self,
        *,
        timestamp_tolerance: float = 10.0,
        legacy_fields: bool = False,
        clock: Callable[[], float] = time.time,
        rate_limits: FakeRateLimits | None = None,
        serve_v1_writes: bool = False,
        balance_precision: Decimal | str = "0.01",
    ) -> None:
        self.timestamp_tolerance = timestamp_tolerance
        self.legacy_fields = legacy_fields
        #: Whether the V1 order writes are served (else 410, as in production since June 2026).
        self.serve_v1_writes = serve_v1_writes
        self.engine = Engine()
        self.engine.balance_precision = Decimal(balance_precision)
        #: Each market's quotes over time, for candlesticks (``kalshi_testing._history``).
        self.history = QuoteHistory(self.engine)
        self.engine.listen(self.history)
        self._clock = clock
        #: Kalshi's token buckets, enforced with 429s when set (off by default).
        self.rate_limits = rate_limits
        self._key_owner: dict[str, str] = {}
        self._lock = _ExchangeLock(self._flush)
        self._house: str | None = None
        self._funded: set[str] = set()
        self.requests_seen = 0
        _register_handlers()

    def _flush(self) -> None:
        self.engine.flush(self._clock())

    @property
    def users(self) -> dict[str, User]:
        return self.engine.users

    @property
    def markets(self) -> dict[str, Market]:
        return self.engine.markets

    @property
    def orders(self) -> dict[str, Order]:
        return self.engine.orders

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    # -- set-up ---------------------------------------------------------------------------------
    def add_user(
        self,
        *,
        balance: Decimal | str | int = 0,
        user_id: str | None = None,
        public_key: PublicKey | bytes | None = None,
        key_id: str | None = None,
    ) -> ApiKey:
        """Create a user, deposit ``balance`` dollars in its primary account, add one API key.

        With no ``public_key``, the fake generates an RSA-2048 key pair and the returned
        ``ApiKey`` carries the private PEM for the client. The deposit shows in GetDeposits.
        """
        with self._lock:
            user_id = user_id or str(uuid.uuid4())
            self._ensure_user(user_id)
            amount = Decimal(balance)
            if amount > 0:
                self.engine.deposit(user_id, amount, self._clock())
            return self.add_key(user_id, public_key=public_key, key_id=key_id)

    def _ensure_user(self, user_id: str) -> User:
        user = self.engine.users.get(user_id)
        if user is None:
            user = User(user_id=user_id)
            self.engine.users[user_id] = user
        return user

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
            self.engine.users[user_id].keys[key_id] = public_key
            self._key_owner[key_id] = user_id
        return ApiKey(key_id=key_id, user_id=user_id, private_key_pem=private_pem)

    def add_market(
        self,
        ticker: str,
        *,
        event_ticker: str | None = None,
        tick: Decimal | str = "0.01",
        taker_fee_rate: Decimal | str | None = None,
        maker_fee_rate: Decimal | str | None = None,
        series_ticker: str | None = None,
        close_time: float | None = None,
        title: str = "",
        subtitle: str = "",
        yes_sub_title: str = "",
        no_sub_title: str = "",
        open_time: float | None = None,
        rules_primary: str = "",
        rules_secondary: str = "",
        now: float | None = None,
    ) -> Market:
        """Open a binary market (YES book) with the given price grid.

        The event defaults to the ticker without its last ``-`` segment, the series to the
        event without its last one. Fees follow the series' schedule (:meth:`add_series`;
        quadratic, multiplier 1, when the series has none) unless ``taker_fee_rate`` /
        ``maker_fee_rate`` give this market its own quadratic rates. At ``close_time`` (Unix
        seconds, by the exchange's clock) the market closes: resting orders are canceled and
        order operations get 409 ``market_closed`` until it settles. The texts and
        ``open_time`` (default: now) show in the market-data reads and the lifecycle stream;
        ``now`` back-dates the market's creation (for a candlestick history).
        """
        with self._lock:
            at = self._now(now)
            event = event_ticker or ticker.rsplit("-", 1)[0]
            market = Market(
                ticker=ticker,
                event_ticker=event,
                tick=Decimal(tick),
                taker_fee_rate=None if taker_fee_rate is None else Decimal(taker_fee_rate),
                maker_fee_rate=None if maker_fee_rate is None else Decimal(maker_fee_rate),
                series_ticker=series_ticker or event.rsplit("-", 1)[0],
                close_time=close_time,
                created=at,
                title=title,
                subtitle=subtitle,
                yes_sub_title=yes_sub_title,
                no_sub_title=no_sub_title,
                open_time=at if open_time is None else open_time,
                rules_primary=rules_primary,
                rules_secondary=rules_secondary,
            )
            self.engine.add_market(market)
            return market

    def add_series(
        self,
        series_ticker: str,
        *,
        fee_type: str = "quadratic",
        fee_multiplier: Decimal | str | int = 1,
        title: str = "",
        category: str = "",
        frequency: str = "daily",
        tags: list[str] | None = None,
    ) -> FeeSchedule:
        """Set a series' fee schedule: ``fee_type`` ``quadratic``, ``quadratic_with_maker_fees``
        (makers pay 0.25 times the taker rate), ``quadratic_with_combo_maker_fees`` (0.5) or
        ``flat``, scaled by ``fee_multiplier`` (see ``kalshi_testing._fees``), and describe it
        for GetSeries (``title``, ``category``, ``frequency``, ``tags``). ``add_market``
        makes a series implicitly, untitled, with the quadratic schedule."""
        schedule = FeeSchedule(fee_type, Decimal(fee_multiplier))
        with self._lock:
            self.engine.series[series_ticker] = schedule
            series = self.engine.series_info.get(series_ticker)
            if series is None:
                series = Series(series_ticker)
                self.engine.series_info[series_ticker] = series
            series.title, series.category, series.frequency = title, category, frequency
            series.tags = list(tags or [])
            series.updated = self._clock()
        return schedule

    def set_event_fees(
        self,
        event_ticker: str,
        *,
        fee_type: str | None,
        fee_multiplier: Decimal | str | int | None = 1,
    ) -> None:
        """Override the series' fee schedule for one event's markets (``fee_type=None``
        clears the override), as Kalshi's event fee overrides do."""
        with self._lock:
            if fee_type is None:
                self.engine.event_fees.pop(event_ticker, None)
            else:
                self.engine.event_fees[event_ticker] = FeeSchedule(
                    fee_type, Decimal(1 if fee_multiplier is None else fee_multiplier)
                )

    def add_event(
        self,
        event_ticker: str,
        *,
        series_ticker: str | None = None,
        title: str = "",
        sub_title: str = "",
        category: str = "",
        mutually_exclusive: bool = False,
    ) -> Event:
        """Create or describe an event before or after its markets are added; the series
        defaults to the event ticker without its last ``-`` segment."""
        with self._lock:
            series = series_ticker or (
                event_ticker.rsplit("-", 1)[0] if "-" in event_ticker else event_ticker
            )
            if series not in self.engine.series_info:
                self.engine.series_info[series] = Series(series, updated=self._clock())
            event = self.engine.events.get(event_ticker)
            if event is None:
                event = Event(event_ticker, series)
                self.engine.events[event_ticker] = event
            event.series_ticker = series
            event.title, event.sub_title, event.category = title, sub_title, category
            event.mutually_exclusive = mutually_exclusive
            event.updated = self._clock()
            return event

    # -- the world around the user ------------------------------------------------------------
    def seed_liquidity(
        self,
        ticker: str,
        side: str,
        price: Decimal | str,
        count: Decimal | str | int,
        *,
        user_id: str | None = None,
        subaccount: int = 0,
        now: float | None = None,
    ) -> Order:
        """Place another participant's good-till-canceled order on the YES book.

        ``side`` is ``bid`` (buy YES) or ``ask`` (sell YES = buy NO at ``1 - price``). Without
        ``user_id`` the order belongs to a built-in market maker; a ``user_id`` the exchange
        does not know yet becomes a new participant (no API key). Either kind is funded just
        enough for the order, and the funding is recorded as a deposit, so the ledger still
        balances; a known user (one made by :meth:`add_user`) trades from its own balance.
        The order trades at once with anything it crosses (it is the taker then) and rests
        otherwise; the returned ``Order`` is live state. Self-trade prevention is
        ``taker_at_cross``: a participant's order never trades with its own.
        """
        if side not in ("bid", "ask"):
            raise ValueError("side must be 'bid' or 'ask'")
        limit = Decimal(price)
        contracts = Decimal(count)
        with self._lock:
            at = self._now(now)
            market = self.engine.market(ticker)
            if user_id is None:
                if self._house is None:
                    self._house = "market-maker-" + uuid.uuid4().hex[:8]
                user_id = self._house
            if user_id not in self.engine.users or user_id in self._funded:
                if subaccount != 0:
                    raise ValueError("a funded participant trades from its primary account")
                self._ensure_user(user_id)
                self._funded.add(user_id)
                collateral = limit if side == "bid" else 1 - limit
                reserve = self.engine.schedule(market).ceiling(contracts, limit)
                self.engine.deposit(user_id, collateral * contracts + reserve, at)
            return self.place_order(user_id, ticker, side, limit, contracts, now=at)

    def add_participant(
        self, user_id: str | None = None, *, balance: Decimal | str | int = 0
    ) -> str:
        """Another market participant, without API keys: a user id that :meth:`place_order`
        and :meth:`seed_liquidity` can trade for, funded with ``balance`` (a deposit)."""
        with self._lock:
            user_id = user_id or "participant-" + uuid.uuid4().hex[:8]
            self._ensure_user(user_id)
            amount = Decimal(balance)
            if amount > 0:
                self.engine.deposit(user_id, amount, self._clock())
            return user_id

    def place_order(
        self,
        user_id: str,
        ticker: str,
        side: str,
        price: Decimal | str,
        count: Decimal | str | int,
        *,
        time_in_force: str = "good_till_canceled",
        self_trade_prevention_type: str = "taker_at_cross",
        subaccount: int = 0,
        post_only: bool = False,
        reduce_only: bool = False,
        cancel_order_on_pause: bool = False,
        order_group_id: str | None = None,
        client_order_id: str | None = None,
        expiration_ts: int | None = None,
        now: float | None = None,
    ) -> Order:
        """Place an order for any user straight on the engine (no HTTP, no signature), with
        the same rules as CreateOrderV2. Raises ``FakeError`` when the exchange would refuse
        it. The returned ``Order`` is live state."""
        if side not in ("bid", "ask"):
            raise ValueError("side must be 'bid' or 'ask'")
        limit, contracts = Decimal(price), Decimal(count)
        with self._lock:
            tick = self.engine.market(ticker).tick
            if not 0 < limit < 1 or limit % tick:
                raise ValueError(f"price {limit} is not on {ticker}'s grid (tick {tick})")
            if contracts <= 0 or contracts != contracts.quantize(Decimal("0.01")):
                raise ValueError("count must be positive with at most two decimals")
            at = self._now(now)
            if self.engine.client_order_id_taken(user_id, client_order_id):
                raise FakeError(409, "order_already_exists", "duplicate client_order_id")
            order = Order(
                order_id=str(uuid.uuid4()),
                user_id=user_id,
                ticker=ticker,
                book_side="bid" if side == "bid" else "ask",
                price=limit,
                initial=contracts,
                created=at,
                subaccount=subaccount,
                client_order_id=client_order_id,
                time_in_force=time_in_force,
                self_trade_prevention_type=self_trade_prevention_type,
                post_only=post_only,
                reduce_only=reduce_only,
                cancel_order_on_pause=cancel_order_on_pause,
                order_group_id=order_group_id,
                expiration_ts=expiration_ts,
            )
            self.engine.place(order, at)
            return order

    def cancel_order(self, order_id: str, *, now: float | None = None) -> Decimal:
        """Cancel what remains of any order; the contracts canceled."""
        with self._lock:
            return self.engine.cancel(self.engine.orders[order_id], self._now(now))

    def amend_order(
        self,
        order_id: str,
        price: Decimal | str,
        count: Decimal | str | int,
        *,
        now: float | None = None,
    ) -> Order:
        """Amend any resting order to ``price`` and ``count`` (its new total: filled plus what
        should rest), with the same rules as AmendOrderV2; an amend that crosses trades."""
        limit, total = Decimal(price), _contracts(count)
        with self._lock:
            order = self.engine.orders[order_id]
            if order.remaining <= 0:
                # As AmendOrderV2 answers: an order off the book stays off.
                raise FakeError(404, "not_found", f"order is not resting (it is {order.status})")
            tick = self.engine.market(order.ticker).tick
            if not 0 < limit < 1 or limit % tick:
                raise ValueError(f"price {limit} is not on {order.ticker}'s grid (tick {tick})")
            self.engine.amend(order, limit, total, self._now(now))
            return order

    def decrease_order(
        self, order_id: str, reduce_to: Decimal | str | int, *, now: float | None = None
    ) -> Decimal:
        """Reduce any resting order to ``reduce_to`` contracts left (0 cancels it), keeping its
        place in the queue; the contracts taken off."""
        target = _contracts(reduce_to, allow_zero=True)
        with self._lock:
            order = self.engine.orders[order_id]
            return self.engine.decrease(order, target, self._now(now))

    def settle(
        self,
        ticker: str,
        result: str,
        *,
        value: Decimal | str | None = None,
        now: float | None = None,
    ) -> None:
        """Settle ``ticker``: ``"yes"``, ``"no"``, or ``"scalar"`` with ``value`` (dollars one
        YES contract pays, 0..1). Resting orders are canceled and every position is paid."""
        with self._lock:
            amount = None if value is None else Decimal(value)
            self.engine.settle(ticker, result, amount, self._now(now))

    def pause_trading(self, ticker: str | None = None, *, now: float | None = None) -> None:
        """Pause trading on one market (Kalshi deactivates it) or, without ``ticker``, on the
        whole exchange (the weekly maintenance pause). ``cancel_order_on_pause`` orders are
        canceled; new orders and amends get 409 ``trading_is_paused``; cancels and decreases
        still work. Resting orders stay on the book."""
        with self._lock:
            if ticker:
                self.engine.pause([ticker], self._now(now))
            else:
                self.engine.pause_trading(self._now(now))

    def resume_trading(self, ticker: str | None = None, *, now: float | None = None) -> None:
        """End a pause. A market that was paused on its own is reactivated and, as on Kalshi,
        every resting order in it is canceled; the end of an exchange-wide trading pause
        leaves resting orders alone."""
        with self._lock:
            if ticker:
                self.engine.resume([ticker], self._now(now))
            else:
                self.engine.resume_trading()

    def pause_exchange(self, *, now: float | None = None) -> None:
        """Pause the whole exchange (rare; an outage): every order operation, cancels included,
        gets 409 ``exchange_is_paused`` until :meth:`resume_exchange`. Resting orders stay
        unless they are ``cancel_order_on_pause``."""
        with self._lock:
            self.engine.pause_exchange(self._now(now))

    def resume_exchange(self) -> None:
        with self._lock:
            self.engine.resume_exchange()

    def close_market(self, ticker: str, *, now: float | None = None) -> None:
        """Close ``ticker`` now (as its ``close_time`` passing would): resting orders are
        canceled and order operations get 409 ``market_closed``; :meth:`settle` pays it out."""
        with self._lock:
            self.engine.close(ticker, self._now(now))

    def deposit(self, user_id: str, amount: Decimal | str, *, now: float | None = None) -> None:
        """Credit a user's primary account (recorded as an applied ACH deposit)."""
        with self._lock:
            self.engine.deposit(user_id, Decimal(amount), self._now(now))

    def withdraw(self, user_id: str, amount: Decimal | str, *, now: float | None = None) -> None:
        """Debit a user's primary account (recorded as an applied ACH withdrawal)."""
        with self._lock:
            self.engine.withdraw(user_id, Decimal(amount), self._now(now))

    def ledger(self) -> Ledger:
        """The exchange's books; see ``kalshi_testing._engine`` for the invariants."""
        with self._lock:
            return self.engine.ledger()

    def check_ledger(self) -> Ledger:
        """The ledger, or ``AssertionError`` naming every invariant that does not hold."""
        ledger = self.ledger()
        if ledger.problems:
            raise AssertionError("ledger out of balance: " + "; ".join(ledger.problems))
        return ledger

    # -- the sans-IO entry point ------------------------------------------------------------------
    def handle(self, request: Request, now: float) -> Response:
        """Answer one request as Kalshi would, at time ``now`` (Unix seconds)."""
        with self._lock:
            self.requests_seen += 1
            if self.rate_limits is not None:
                refused = self.rate_limits.check(self, request, now)
                if refused is not None:
                    return dataclasses.replace(refused, headers=(*refused.headers, _date(now)))
            try:
                self.engine.advance(now)
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

    def authenticate(self, request: Request, now: float) -> User:
        """The user whose key signed ``request`` (over its path, without the query), or
        ``FakeError`` 401 as Kalshi answers a bad signature. The WebSocket handshake uses
        this: its message is ``timestamp + "GET" + "/trade-api/ws/v2"``."""
        with self._lock:
            return self._authenticate(request, urlsplit(request.url).path, now)

    def engine_listen(self, listener: Listener) -> None:
        """Register an engine listener under the exchange's lock (see ``Engine.listen``)."""
        with self._lock:
            self.engine.listen(listener)

    def engine_unlisten(self, listener: Listener) -> None:
        with self._lock:
            self.engine.unlisten(listener)

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
            return self.engine.users[user_id].balance(subaccount)

    def orderbook(self, ticker: str, *, use_yes_price: bool = False) -> Ladder:
        """The market's book now, in the shape the stream publishes it (YES bids and NO bids,
        ascending price; NO prices as NO prices unless ``use_yes_price``): the truth a client's
        managed book must equal once it has applied every message published so far."""
        with self._lock:
            return ladder(
                self.engine.books[self.engine.market(ticker).ticker], use_yes_price=use_yes_price
            )

    def orders_of(self, user_id: str) -> list[Order]:
        with self._lock:
            return [o for o in self.engine.orders.values() if o.user_id == user_id]


def _contracts(value: Decimal | str | int, *, allow_zero: bool = False) -> Decimal:
    """A contract count for a helper: positive (or zero) with at most two decimals."""
    count = Decimal(value)
    if count < 0 or (count == 0 and not allow_zero) or count != count.quantize(Decimal("0.01")):
        raise ValueError("count must be positive with at most two decimals")
    return count


class _ExchangeLock:
    """The exchange's reentrant lock; releasing the outermost hold first calls ``on_release``
    (the engine's ``flush``), so listeners learn when one request or helper call is done."""

    def __init__(self, on_release: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._on_release = on_release

    def __enter__(self) -> None:
        self._lock.acquire()
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        try:
            if self._depth == 1:
                self._on_release()
        finally:
            self._depth -= 1
            self._lock.release()


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
