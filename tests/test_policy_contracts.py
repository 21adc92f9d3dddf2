"""Edges of the core's policies that a plausible bug would cross without any other test noticing.

Each test states a contract from DESIGN.md, the spec or the seeds, and was checked by breaking
the behaviour once (the change named in its docstring) and watching it fail. The sans-IO ones
run without a driver; those where a driver takes part run on every driver.
"""

from __future__ import annotations

import json
import pickle
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from kalshi_core import Call, Credentials, Paginator, Response, builders, errors, models, trading
from kalshi_core.models._converter import DETAILED, FAST, structure
from kalshi_core.policy.clock import ClockOffset
from kalshi_core.policy.idempotency import is_idempotent, recovery_for
from kalshi_core.policy.ratelimit import Bucket, RateLimiter
from kalshi_core.policy.retry import (
    GIVE_UP,
    Attempt,
    Failure,
    Recover,
    Resend,
    RetryPolicy,
    parse_retry_after,
)
from kalshi_core.wire.credentials import (
    Ed25519Signer,
    RsaPssSigner,
    load_private_key,
    signing_message,
)

from .conftest import MARKET, Harness
from .trading import V2_ORDER

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
    assert limiter.levels(10.0)["write"] == pytest.approx(limiter.write.capacity)
    # The next read waits for its 10 tokens plus the headroom to refill.
    read = limiter.read
    assert limiter.acquire(balance, 10.0) == pytest.approx((10 + read.spare) / read.rate)
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
    # Without the penalty the bucket would hold all but 20 of its read tokens and the retry
    # would leave at once; with it the retry waited for the headroom to refill.
    read = client.rate_limiter.read
    assert client.rate_limit_levels()["read"] < read.capacity / 2
    assert elapsed >= 0.9 * (10 + read.spare) / read.rate


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
    assert limiter.levels(0.0)["write"] == pytest.approx(limiter.write.capacity - 14)


# -- 6 and 7. pagination: a cursor the walk started from, and no feeding after the refusal ------


def _page(cursor: str, *ids: str) -> models.GetOrdersResponse:
    return models.GetOrdersResponse(orders=[models.Order(order_id=i) for i in ids], cursor=cursor)


def test_a_walk_started_at_a_cursor_stops_when_the_server_repeats_it() -> None:
    """(Broken by: not remembering the starting cursor: the walk fetches ``X`` again.)"""
    paginator = Paginator(builders.get_orders(cursor="X"))
    assert paginator.done is False
    assert paginator.pages == 0
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


# -- credentials: inputs, errors that say what to fix, and keys that never travel ---------------


def test_a_query_with_its_own_question_mark_is_dropped_whole() -> None:
    """RFC 3986 lets a query carry ``?``: the message still ends at the first one."""
    path = "/trade-api/v2/markets?cursor=a?b&status=open"
    assert signing_message(7, "GET", path) == b"7GET/trade-api/v2/markets"


def test_key_id_must_be_a_non_empty_string() -> None:
    for bad in ("", None, 42):
        with pytest.raises(ValueError, match="key_id"):
            Credentials(bad, _KEY)  # type: ignore[arg-type]


def test_exactly_one_of_private_key_and_signer() -> None:
    with pytest.raises(ValueError, match="private_key and signer"):
        Credentials("k")
    with pytest.raises(ValueError, match="private_key and signer"):
        Credentials("k", _KEY, signer=RsaPssSigner(_KEY))
    assert Credentials("k", signer=RsaPssSigner(_KEY)).key_id == "k"


def test_unusable_key_inputs_name_the_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "kalshi.pem"
    with pytest.raises(ValueError, match=r"kalshi\.pem"):
        load_private_key(missing)
    with pytest.raises(ValueError, match="not a readable PEM private key"):
        load_private_key(b"raw bytes that are no key")
    with pytest.raises(TypeError, match="private_key must be PEM bytes or text"):
        load_private_key(12345)  # type: ignore[arg-type]
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="must be an RSA or Ed25519 private key"):
        load_private_key(ec_pem)


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pem = _KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret"),
    )
    for name in ("KALSHI_PRIVATE_KEY_PATH",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KALSHI_API_KEY_ID", "env-key")
    monkeypatch.setenv("KALSHI_PRIVATE_KEY", pem.decode())
    monkeypatch.setenv("KALSHI_PRIVATE_KEY_PASSWORD", "s3cret")
    credentials = Credentials.from_env()
    assert credentials is not None
    assert credentials.key_id == "env-key"
    headers = dict(credentials.signature_headers("GET", "/trade-api/v2/x", 3))
    _verify(headers["KALSHI-ACCESS-SIGNATURE"], b"3GET/trade-api/v2/x")


def test_signers_never_pickle_or_show_their_key() -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    for signer in (RsaPssSigner(_KEY), Ed25519Signer(ed_key)):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(signer)
        assert "<redacted>" in repr(signer)
        assert type(signer).__name__ in repr(signer)


# -- retry: the policy's arguments, the reasons it gives, and where a Retry-After is measured ----


def _answer(status: int, body: Any = None, **headers: str) -> Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return Response(status, tuple((k.replace("_", "-"), v) for k, v in headers.items()), raw)


def test_retry_policy_refuses_negative_settings_and_accepts_zero() -> None:
    for field in ("max_retries", "backoff_base", "backoff_cap", "max_retry_after"):
        with pytest.raises(ValueError, match=field):
            RetryPolicy(**{field: -1})
    zero = RetryPolicy(max_retries=0, backoff_base=0.0, backoff_cap=0.0, max_retry_after=0.0)
    assert zero.start(builders.get_balance(), 0.0).next(Failure.NOT_SENT, 0.0) is GIVE_UP
    small = RetryPolicy(backoff_base=0.25, backoff_cap=0.5, max_retry_after=0.5, rng=lambda: 1.0)
    assert small.backoff(3) == 0.5
    assert small.with_max_retries(5).max_retries == 5
    assert small.with_max_retries(5).backoff_cap == 0.5


def test_every_resend_says_why() -> None:
    """``Resend.reason`` is what the ``on_attempt`` hook and the debug log show."""
    policy = RetryPolicy(max_retries=9, rng=lambda: 0.5)
    state = policy.start(builders.get_balance(), 0.0)
    reasons = {}
    for outcome in (Failure.NOT_SENT, Failure.TIMEOUT, Failure.DISCONNECTED):
        decision = state.next(outcome, 0.0)
        assert isinstance(decision, Resend)
        reasons[outcome] = decision.reason
    assert "not sent" in reasons[Failure.NOT_SENT]
    assert "timeout" in reasons[Failure.TIMEOUT]
    assert "disconnected" in reasons[Failure.DISCONNECTED]
    status = state.next(_answer(503), 0.0)
    assert isinstance(status, Resend)
    assert "503" in status.reason
    told = state.next(_answer(429, retry_after="2"), 0.0)
    assert isinstance(told, Resend)
    assert told.delay == 2.0
    assert "Retry-After 2" in told.reason
    expired = _answer(
        401,
        {"error": {"code": "header_timestamp_expired"}},
        date="Thu, 01 Jan 2026 00:00:10 GMT",
    )
    clock = RetryPolicy().start(builders.get_balance(), 0.0, ClockOffset())
    decision = clock.next(expired, 1_767_225_600.0)
    assert isinstance(decision, Resend)
    assert "Date" in decision.reason


def test_retry_after_as_a_date_is_measured_against_the_answers_date() -> None:
    """RFC 9110: an HTTP-date Retry-After; measured against the answer's own Date when it has
    one (a skewed local clock does not matter), else against the local clock."""
    policy = RetryPolicy(max_retry_after=60.0)
    at = "Thu, 01 Jan 2026 00:00:30 GMT"
    server_now = "Thu, 01 Jan 2026 00:00:20 GMT"
    local = 1_767_225_600.0  # 00:00:00 here, while the server says 00:00:20
    with_date = policy.start(builders.get_balance(), 0.0).next(
        _answer(503, retry_after=at, date=server_now), local
    )
    assert isinstance(with_date, Resend)
    assert with_date.delay == 10.0
    without_date = policy.start(builders.get_balance(), 0.0).next(
        _answer(503, retry_after=at), local
    )
    assert isinstance(without_date, Resend)
    assert without_date.delay == 30.0
    assert parse_retry_after(at, local, "not a date") == 30.0
    # A Retry-After of exactly the cap is obeyed; beyond it the policy gives up.
    capped = RetryPolicy(max_retry_after=10.0).start(builders.get_balance(), 0.0)
    obeyed = capped.next(_answer(503, retry_after="10"), 0.0)
    assert isinstance(obeyed, Resend)
    assert obeyed.delay == 10.0


def test_error_codes_are_read_from_every_error_shape() -> None:
    """DESIGN.md's error shapes: nested, flat, and the bare string of a 429."""
    offset = ClockOffset()
    date = "Thu, 01 Jan 2026 00:00:10 GMT"
    flat = _answer(401, {"code": "header_timestamp_expired", "message": "m"}, date=date)
    state = RetryPolicy().start(builders.get_balance(), 0.0, offset)
    assert isinstance(state.next(flat, 1_767_225_600.0), Resend)
    for body in ({"error": "unauthorized"}, {"error": {"code": 401}}, ["x"], None):
        state = RetryPolicy().start(builders.get_balance(), 0.0, ClockOffset())
        assert state.next(_answer(401, body, date=date), 1_767_225_600.0) is GIVE_UP


def test_a_500_counts_as_maybe_delivered() -> None:
    """A 5xx may come after the exchange acted: a later 409 order_already_exists is then the
    earlier attempt's order, looked up rather than reported."""
    create = builders.create_order_v2(**V2_ORDER)
    state = RetryPolicy(backoff_base=0.0).start(create, 0.0)
    assert state.maybe_delivered is False
    assert isinstance(state.next(_answer(500), 0.0), Resend)
    assert state.maybe_delivered is True
    assert isinstance(state.next(_conflict("order_already_exists"), 0.0), Recover)
    fresh = RetryPolicy(backoff_base=0.0).start(create, 0.0)
    assert isinstance(fresh.next(_answer(429), 0.0), Resend)
    assert fresh.maybe_delivered is False
    assert fresh.next(_conflict("order_already_exists"), 0.0) is GIVE_UP


def test_attempt_repr_shows_outcome_and_latency_without_secrets() -> None:
    call = builders.get_balance()
    request = call.to_request(BASE, Credentials("key-9", _KEY), 1_767_225_600.0)
    answered = Attempt(request, _answer(503), None, 2, 0.5, Resend(0.5, "status 503"))
    text = repr(answered)
    assert "-> 503" in text
    assert "attempt=2" in text
    assert "latency=500.0ms" in text
    assert request.header("KALSHI-ACCESS-SIGNATURE") not in text
    failed = Attempt(
        request,
        None,
        errors.APITimeoutError("read timeout", method="GET", path="/portfolio/balance"),
        1,
        1.0,
        GIVE_UP,
    )
    assert "-> APITimeoutError" in repr(failed)


# -- rate limiter: buckets, settings and the account's own numbers --------------------------------


def test_a_bucket_on_its_own_spends_all_it_holds() -> None:
    bucket = Bucket(10.0, capacity=20.0)
    assert bucket.spare == 0.0
    assert bucket.reserve(20.0, 0.0) == 0.0
    # Half a token short waits half a token's time, however small.
    assert bucket.reserve(0.5, 0.0) == pytest.approx(0.05)
    assert Bucket(0.5).reserve(0.5, 0.0) == 0.0  # a rate below one token a second is a rate
    for bad in (0, -1):
        with pytest.raises(ValueError, match="rate"):
            Bucket(bad)


def test_limiter_settings() -> None:
    with pytest.raises(ValueError, match="headroom"):
        RateLimiter(read=10, write=10, headroom=1.0)
    with pytest.raises(ValueError, match="headroom"):
        RateLimiter(read=10, write=10, headroom=-0.1)
    limiter = RateLimiter(read=(10, 40), write=(5, 20), headroom=0.0)
    assert (limiter.read.rate, limiter.read.capacity) == (10, 40)
    assert (limiter.write.rate, limiter.write.capacity) == (5, 20)
    custom = RateLimiter(
        read=100, write=100, costs={"GetBalance": 7}, per_item_costs={"BatchCancelOrdersV2": 3}
    )
    assert custom.cost(builders.get_balance()) == 7
    assert custom.cost(builders.get_order("o")) == custom.default_cost
    cancels = [{"order_id": f"o{i}", "market_ticker": MARKET} for i in range(4)]
    assert custom.cost(builders.batch_cancel_orders_v2(orders=cancels)) == 12


def test_a_batch_of_one_and_an_unreadable_batch_cost_one_order() -> None:
    limiter = RateLimiter.for_tier("basic", headroom=0.0)
    one = builders.batch_create_orders_v2(orders=[V2_ORDER])
    assert limiter.cost(one) == 10
    op = one.operation
    for body in (None, b"", b"not json", b"[]", b"{}", b'{"orders": "x"}'):
        assert limiter.cost(Call(op, "/portfolio/events/orders/batched", body=body)) == 10
    assert limiter.acquire(one, 0.0) == 0.0
    assert limiter.acquire(one, 0.0) == 0.0
    assert limiter.levels(0.0)["write"] == pytest.approx(limiter.write.capacity - 20)


def test_a_429_on_a_write_drains_the_write_bucket() -> None:
    limiter = RateLimiter.for_tier("basic")
    create = builders.create_order_v2(**V2_ORDER)
    limiter.penalize(create, 0.0)
    assert limiter.levels(0.0)["write"] <= 0.0
    assert limiter.levels(0.0)["read"] == pytest.approx(limiter.read.capacity)


def test_configure_adopts_each_bucket_it_is_given_and_skips_incomplete_entries() -> None:
    limiter = RateLimiter.for_tier("basic")
    limits = models.GetAccountApiLimitsResponse(
        read=models.BucketLimit(refill_rate=0), write=models.BucketLimit(refill_rate=50)
    )
    limiter.configure(limits)
    assert limiter.read.rate == 200  # a zero rate is no information
    assert (limiter.write.rate, limiter.write.capacity) == (50, 50)
    assert limiter.write.spare == pytest.approx(50 * limiter.headroom)
    assert limiter.levels(0.0)["write"] == pytest.approx(50)
    assert limiter.acquire(builders.create_order_v2(**V2_ORDER), 0.0) == 0.0
    limiter.configure(models.GetAccountApiLimitsResponse(read=None, write=None))
    assert limiter.write.rate == 50
    costs = models.GetAccountEndpointCostsResponse(
        endpoint_costs=[
            models.EndpointTokenCost(method="GET", path=None, cost=1),
            models.EndpointTokenCost(method=None, path="/portfolio/balance", cost=1),
            models.EndpointTokenCost(method="GET", path="/portfolio/balance", cost=None),
            models.EndpointTokenCost(method="GET", path="/no/such/route", cost=99),
            models.EndpointTokenCost(
                method="get", path="/trade-api/v2/portfolio/orders/{id}/", cost=4
            ),
            models.EndpointTokenCost(method="GET", path="/portfolio/balance", cost=6),
        ]
    )
    limiter.configure(costs=costs)
    assert limiter.cost(builders.get_order("o")) == 4
    assert limiter.cost(builders.get_balance()) == 6
