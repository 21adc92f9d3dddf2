"""Edges of the core's policies that a plausible bug would cross without any other test noticing.

Each test states a contract from DESIGN.md, the spec or the seeds, and was checked by breaking
the behaviour once (the change named in its docstring) and watching it fail. The sans-IO ones
run without a driver; those where a driver takes part run on every driver.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kalshi_core import Call, Credentials, Paginator, Response, builders, errors, models, trading
from kalshi_core.models._converter import DETAILED, FAST, structure
from kalshi_core.policy.idempotency import is_idempotent, recovery_for
from kalshi_core.policy.ratelimit import RateLimiter
from kalshi_core.policy.retry import GIVE_UP, Failure, Recover, Resend, RetryPolicy
from kalshi_core.wire.credentials import signing_message

from .conftest import MARKET, Harness

V2_ORDER = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.5",
    "count": "1",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}
BASE = "http://fake.test/trade-api/v2"

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _verify(signature_b64: str, message: bytes) -> None:
    import base64

    _KEY.public_key().verify(
        base64.b64decode(signature_b64),
        message,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )


# -- 1. signing: the query string is never part of the message ---------------------------------


def test_signing_message_drops_the_query_string() -> None:
    """DESIGN.md: message = timestamp_ms + METHOD + path, *without* the query string.
    (Broken by: signing the path as given, query included.)"""
    path = "/trade-api/v2/portfolio/orders?limit=5&cursor=abc"
    assert signing_message(1_700_000_000_123, "get", path) == (
        b"1700000000123GET/trade-api/v2/portfolio/orders"
    )
    assert signing_message(5, "DELETE", "/trade-api/v2/x?") == b"5DELETE/trade-api/v2/x"
    credentials = Credentials("key-1", _KEY)
    headers = dict(credentials.signature_headers("GET", path, 1_700_000_000_123))
    assert headers["KALSHI-ACCESS-KEY"] == "key-1"
    assert headers["KALSHI-ACCESS-TIMESTAMP"] == "1700000000123"
    _verify(headers["KALSHI-ACCESS-SIGNATURE"], b"1700000000123GET/trade-api/v2/portfolio/orders")


# -- 2. idempotency: a batch is repeatable only when every order carries its id ----------------


def _hand_built_batch(orders: list[dict[str, Any]]) -> Call[Any]:
    op = builders.batch_create_orders_v2(orders=[V2_ORDER]).operation
    return Call(
        op, "/portfolio/events/orders/batched", body=json.dumps({"orders": orders}).encode()
    )


def test_batch_with_an_order_lacking_client_order_id_is_not_idempotent() -> None:
    """A repeat of a batch would create again every order without an id. (Broken by: ``any``
    instead of ``all``.)"""
    some = _hand_built_batch([{**V2_ORDER, "client_order_id": "a"}, V2_ORDER])
    assert not is_idempotent(some)
    last_missing = _hand_built_batch([V2_ORDER, {**V2_ORDER, "client_order_id": "b"}])
    assert not is_idempotent(last_missing)
    every = _hand_built_batch(
        [{**V2_ORDER, "client_order_id": "a"}, {**V2_ORDER, "client_order_id": "b"}]
    )
    assert is_idempotent(every)
    assert not is_idempotent(_hand_built_batch([]))
    # So the retry policy gives up on it after a timeout instead of sending it again.
    assert RetryPolicy().start(some, 0.0).next(Failure.TIMEOUT, 0.0) is GIVE_UP
    assert isinstance(RetryPolicy().start(every, 0.0).next(Failure.TIMEOUT, 0.0), Resend)


# -- 3. idempotency: only order_already_exists starts the lookup --------------------------------


def _conflict(code: str) -> Response:
    body = {"error": {"code": code, "message": "conflict", "service": "exchange"}}
    return Response(409, (("content-type", "application/json"),), json.dumps(body).encode())


def test_only_order_already_exists_starts_a_lookup() -> None:
    """(Broken by: dropping the code check in ``recovery_for``.)"""
    create = builders.create_order_v2(**V2_ORDER)
    assert recovery_for(create, _conflict("order_already_exists"), 0.0) is not None
    assert recovery_for(create, _conflict("trading_is_paused"), 0.0) is None
    state = RetryPolicy(backoff_base=0.0).start(create, 0.0)
    assert isinstance(state.next(Failure.TIMEOUT, 0.0), Resend)
    assert state.next(_conflict("trading_is_paused"), 0.0) is GIVE_UP
    again = RetryPolicy(backoff_base=0.0).start(create, 0.0)
    assert isinstance(again.next(Failure.TIMEOUT, 0.0), Resend)
    assert isinstance(again.next(_conflict("order_already_exists"), 0.0), Recover)


def test_retried_create_meeting_another_conflict_raises_it_without_a_lookup(
    harness: Harness,
) -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method != "POST":
            return httpx.Response(200, json={"orders": [], "cursor": ""})
        if len(seen) == 1:
            return httpx.Response(503, json={"error": {"code": "service_unavailable"}})
        return httpx.Response(
            409, json={"error": {"code": "trading_is_paused", "message": "paused"}}
        )

    client = harness.client(
        key_id="k",
        private_key=_KEY,
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(backoff_base=0.0),
    )
    with pytest.raises(errors.ConflictError) as info:
        harness.run(lambda c: c.create_order_v2(**V2_ORDER), client)
    assert not isinstance(info.value, errors.OrderAlreadyExistsError)
    assert info.value.code == "trading_is_paused"
    assert [method for method, _ in seen] == ["POST", "POST"]


# -- 4 and 5. rate limiter: the 429 penalty, and V1 batch cancels by id --------------------------


def test_a_429_empties_the_bucket_of_its_kind_only() -> None:
    """The exchange's 429 means our view of the bucket was too optimistic: the next request of
    the same kind waits; the other bucket is untouched. (Broken by: ``drain`` doing nothing.)"""
    limiter = RateLimiter.for_tier("basic")
    balance = builders.get_balance()
    assert limiter.acquire(balance, 10.0) == 0.0
    limiter.penalize(balance, 10.0)
    assert limiter.levels(10.0)["read"] <= 0.0
    assert limiter.levels(10.0)["write"] == pytest.approx(100.0)
    # 10 tokens plus the 50-token headroom at 200 per second.
    assert limiter.acquire(balance, 10.0) == pytest.approx(0.3)
    assert limiter.acquire(builders.create_order_v2(**V2_ORDER), 10.0) == 0.0
    # A penalty never refills a bucket that is already in debt.
    limiter.penalize(balance, 10.0)
    assert limiter.levels(10.0)["read"] == pytest.approx(-10.0)


def test_a_429_slows_the_next_request_on_every_driver(harness: Harness) -> None:
    answers = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 429:
            return httpx.Response(429, json={"error": "too many requests"})
        return httpx.Response(200, json={"exchange_active": True, "trading_active": True})

    client = harness.client(
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        rate_limit="basic",
        retry=RetryPolicy(backoff_base=0.0),
    )
    started = time.monotonic()
    status = harness.run(lambda c: c.get_exchange_status(), client)
    elapsed = time.monotonic() - started
    assert status.exchange_active is True
    # Without the penalty the bucket would hold 180 of its 200 read tokens and the retry would
    # leave at once; with it the retry waited for the headroom to refill (0.3 s).
    assert client.rate_limit_levels()["read"] < 120
    assert elapsed >= 0.25


def test_v1_batch_cancel_by_ids_costs_per_id() -> None:
    """Seed 002: each order in a batch is counted; the V1 batch cancel's deprecated ``ids``
    form names its orders by id. (Broken by: not counting ``ids``.)"""
    limiter = RateLimiter.for_tier("basic")
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        by_ids = builders.batch_cancel_orders(ids=[f"o{i}" for i in range(7)])
    assert limiter.cost(by_ids) == 14
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        by_orders = builders.batch_cancel_orders(orders=[{"order_id": "o1"}, {"order_id": "o2"}])
    assert limiter.cost(by_orders) == 4
    limiter = RateLimiter.for_tier("basic", headroom=0.0)
    assert limiter.acquire(by_ids, 0.0) == 0.0
    assert limiter.levels(0.0)["write"] == pytest.approx(86.0)


# -- 6 and 7. pagination: a cursor the walk started from, and no feeding after the refusal ------


def _page(cursor: str, *ids: str) -> models.GetOrdersResponse:
    return models.GetOrdersResponse(orders=[models.Order(order_id=i) for i in ids], cursor=cursor)


def test_a_walk_started_at_a_cursor_stops_when_the_server_repeats_it() -> None:
    """(Broken by: not remembering the starting cursor: the walk fetches ``X`` again.)"""
    paginator = Paginator(builders.get_orders(cursor="X"))
    first = paginator.next_call()
    assert first is not None
    assert first.query_value("cursor") == "X"
    with pytest.raises(errors.PaginationError, match="'X'"):
        paginator.feed(_page("X", "a"))
    assert paginator.next_call() is None
    assert paginator.done


def test_feed_after_a_pagination_error_is_refused() -> None:
    """(Broken by: leaving the paginator open after it raised.)"""
    paginator = Paginator(builders.get_orders())
    paginator.feed(_page("c1", "a"))
    with pytest.raises(errors.PaginationError):
        paginator.feed(_page("c1", "b"))
    with pytest.raises(RuntimeError, match="outstanding"):
        paginator.feed(_page("c2", "c"))
    assert paginator.pages == 2


def test_client_walk_from_a_cursor_stops_at_its_repeat(harness: Harness) -> None:
    cursors: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursors.append(request.url.params.get("cursor", ""))
        return httpx.Response(200, json={"orders": [{"order_id": "a"}], "cursor": "X"})

    client = harness.client(
        key_id="k", private_key=_KEY, base_url=BASE, transport=httpx.MockTransport(handler)
    )
    with pytest.raises(errors.PaginationError):
        harness.collect(lambda c: c.get_orders.items(cursor="X"), client)
    assert cursors == ["X"]


# -- 8. validation: a datetime argument must carry its zone -------------------------------------


def test_naive_datetime_arguments_are_refused() -> None:
    """The spec's ``date-time`` is RFC 3339, which always has an offset; a naive ``datetime``
    would be sent as a local time the exchange reads as UTC. (Broken by: accepting it.)"""
    with pytest.raises(errors.ValidationError) as info:
        builders.get_milestones(limit=5, minimum_start_date=datetime(2026, 1, 1))
    assert info.value.field == "minimum_start_date"
    assert "timezone" in str(info.value)
    with pytest.raises(errors.ValidationError) as info:
        builders.propose_block_trade(
            buyer_user_id="b",
            seller_user_id="s",
            market_ticker=MARKET,
            price_centi_cents=5000,
            centicount=100,
            maker_side="yes",
            expiration_ts=datetime(2026, 1, 1, 12, 30),
        )
    assert info.value.field == "expiration_ts"
    aware = builders.get_milestones(limit=5, minimum_start_date=datetime(2026, 1, 1, tzinfo=UTC))
    assert aware.query_value("minimum_start_date") == "2026-01-01T00:00:00Z"
    east = timezone(timedelta(hours=5))
    shifted = builders.get_milestones(limit=5, minimum_start_date=datetime(2026, 1, 1, tzinfo=east))
    assert shifted.query_value("minimum_start_date") == "2026-01-01T00:00:00+05:00"
    with pytest.raises(errors.ValidationError) as info:
        builders.get_milestones(limit=5, minimum_start_date="2026-01-01")  # type: ignore[arg-type]
    assert info.value.field == "minimum_start_date"


def test_naive_datetime_never_reaches_the_network(harness: Harness) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"milestones": [], "cursor": ""})

    client = harness.client(base_url=BASE, transport=httpx.MockTransport(handler))
    with pytest.raises(errors.ValidationError) as info:
        harness.run(
            lambda c: c.get_milestones(limit=5, minimum_start_date=datetime(2026, 1, 1)), client
        )
    assert info.value.field == "minimum_start_date"
    assert sent == []


# -- 9. trading helpers: a YES price of 0 or 1 is not a price ---------------------------------


@pytest.mark.parametrize(
    ("action", "outcome", "price"),
    [
        ("buy", "yes", "0"),
        ("sell", "yes", "0.00"),
        ("buy", "yes", "1"),
        ("buy", "no", "0"),
        ("sell", "no", "1.00"),
        ("buy", "yes", "-0.01"),
        ("buy", "no", "1.01"),
    ],
)
def test_intent_prices_must_lie_strictly_between_0_and_1(
    action: str, outcome: str, price: str
) -> None:
    """DESIGN.md's mapping (NO at p = YES at 1 - p) is defined for 0 < p < 1 only. (Broken by:
    accepting 0 or 1.)"""
    with pytest.raises(errors.ValidationError) as info:
        trading.yes_book(action, outcome, price)
    assert info.value.field == "price"
    with pytest.raises(errors.ValidationError) as info:
        trading.intent_request(
            ticker=MARKET, action=action, outcome=outcome, price=price, count="1"
        )
    assert info.value.field == "price"


def test_intent_prices_next_to_the_bounds_map_exactly() -> None:
    assert trading.yes_book("buy", "yes", "0.0001") == ("bid", Decimal("0.0001"))
    assert trading.yes_book("buy", "no", "0.0001") == ("ask", Decimal("0.9999"))
    assert trading.yes_book("sell", "no", "0.99") == ("bid", Decimal("0.01"))
    assert trading.yes_book("sell", "yes", "0.99") == ("ask", Decimal("0.99"))
    fields = trading.intent_request(
        ticker=MARKET, action="sell", outcome="no", price="0.99", count="2"
    )
    assert (fields["side"], fields["price"]) == ("bid", Decimal("0.01"))


# -- 10. models: a zoneless timestamp is UTC on every path ------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-14T15:09:26.123456789",
        "2026-03-14T15:09:26.1234567",
        "2026-03-14T15:09:26",
    ],
)
def test_zoneless_timestamps_are_utc_on_every_converter(text: str) -> None:
    """DESIGN.md: date-time strings are timezone-aware; Kalshi's are UTC. Go emits up to nine
    fractional digits. (Broken by: leaving a zoneless value naive on the detailed path.)"""
    micro = int((text.split(".")[1] + "000000")[:6]) if "." in text else 0
    expected = datetime(2026, 3, 14, 15, 9, 26, micro, tzinfo=UTC)
    record = {"order_id": "o1", "created_time": text}
    for parsed in (
        DETAILED.structure(record, models.Order),
        FAST.structure(record, models.Order),
        structure(record, models.Order),
    ):
        assert parsed.created_time == expected
        assert parsed.created_time.utcoffset() == timedelta(0)


def test_nanosecond_timestamp_keeps_its_offset() -> None:
    record = {"order_id": "o1", "created_time": "2026-03-14T15:09:26.123456789-05:00"}
    for parsed in (DETAILED.structure(record, models.Order), FAST.structure(record, models.Order)):
        assert parsed.created_time == datetime(2026, 3, 14, 20, 9, 26, 123456, tzinfo=UTC)
        assert parsed.created_time.utcoffset() == timedelta(hours=-5)
