"""Fault injection over a real loopback socket, on every driver.

Each case queues faults on the loopback server and checks what the client does: how many
attempts it makes, what it returns or raises, and (for order creates) that the exchange ends
with exactly one order. Retry delays come from a seeded RNG and are read back through the
``on_attempt`` hook; ``Retry-After`` waits are checked as measured lower bounds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from decimal import Decimal
from email.utils import formatdate
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kalshi_core import Credentials, errors
from kalshi_core.policy.idempotency import is_recovered
from kalshi_core.policy.retry import GiveUp, Recover, Resend, RetryPolicy
from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer

from .conftest import MARKET, Harness

pytestmark = pytest.mark.socket

SEED = 7
BASE, CAP = 0.01, 0.04


class Wire:
    """A loopback server with a fault plan, and clients of one driver pointed at it."""

    def __init__(self, harness: Harness, fake: FakeExchange, account: ApiKey) -> None:
        self.harness = harness
        self.fake = fake
        self.account = account
        self.plan = FaultPlan()
        self.server = LoopbackServer(fake, faults=self.plan).start()
        self.attempts: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        kwargs.setdefault(
            "retry", RetryPolicy(backoff_base=BASE, backoff_cap=CAP, rng=random.Random(SEED).random)
        )
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("rate_limit", None)
        return self.harness.client(
            key_id=self.account.key_id,
            private_key=self.account.private_key_pem,
            base_url=self.server.url,
            on_attempt=self.attempts.append,
            **kwargs,
        )

    def decisions(self) -> list[Any]:
        return [a.decision for a in self.attempts]

    def served(self, path: str) -> list[str]:
        return [kind for _, p, kind in self.plan.served if p.endswith(path)]


@pytest.fixture
def net(harness: Harness, fake: FakeExchange, account: ApiKey) -> Iterator[Wire]:
    w = Wire(harness, fake, account)
    try:
        yield w
    finally:
        w.harness.close()
        w.server.stop()


def stall_timeout(name: str) -> float:
    """A short read timeout where the server stalls (1 s), a roomy one elsewhere so a loaded
    machine cannot turn a normal answer into a timeout."""
    return 0.4 if name == "stall" else 5.0


def expected_delays(n: int) -> list[float]:
    rng = random.Random(SEED)
    return [rng.random() * min(CAP, BASE * 2 ** (i - 1)) for i in range(1, n + 1)]


ORDER = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.30",
    "count": "1",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}


def place(c: Any, **extra: Any) -> Any:
    return c.create_order_v2(
        ticker=MARKET,
        side="bid",
        price="0.40",
        count="3",
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
        **extra,
    )


# -- an idempotent read: every transient fault is retried -------------------------------------

RETRIED = {
    "reset_before": Fault.reset_before(path="/portfolio/balance"),
    "reset_after": Fault.reset_after(path="/portfolio/balance"),
    "stall": Fault.stall(1.0, path="/portfolio/balance"),
    "500": Fault.status(500, path="/portfolio/balance"),
    "502": Fault.status(502, path="/portfolio/balance"),
    "503": Fault.status(503, path="/portfolio/balance"),
    "504": Fault.status(504, path="/portfolio/balance"),
    "429": Fault.status(429, path="/portfolio/balance"),
    "408": Fault.status(408, path="/portfolio/balance"),
    "html_502": Fault.html(502, path="/portfolio/balance"),
    "truncate": Fault.truncate(path="/portfolio/balance"),
}


@pytest.mark.parametrize("name", sorted(RETRIED))
def test_read_retries_transient_fault_then_succeeds(harness: Harness, net: Wire, name: str) -> None:
    net.plan.add(RETRIED[name], RETRIED[name])
    c = net.client(timeout=stall_timeout(name))
    balance = harness.run(lambda c: c.get_balance(), c)
    assert balance.balance_dollars == Decimal("1000")
    assert net.served("/portfolio/balance") == [RETRIED[name].kind] * 2 + ["ok"]
    decisions = net.decisions()
    assert [type(d) for d in decisions] == [Resend, Resend, type(None)]
    assert [d.delay for d in decisions[:2]] == pytest.approx(expected_delays(2))


@pytest.mark.parametrize("name", sorted(RETRIED))
def test_read_gives_up_after_max_retries_with_typed_error(
    harness: Harness, net: Wire, name: str
) -> None:
    net.plan.add(*[RETRIED[name]] * 3)
    c = net.client(timeout=stall_timeout(name), max_retries=2)
    with pytest.raises(errors.KalshiError) as info:
        harness.run(lambda c: c.get_balance(), c)
    err = info.value
    assert err.attempts == 3
    assert net.served("/portfolio/balance") == [RETRIED[name].kind] * 3
    expected: type[errors.KalshiError] = {
        "reset_before": errors.ConnectionClosedError,
        "reset_after": errors.ConnectionClosedError,
        "truncate": errors.ConnectionClosedError,
        "stall": errors.APITimeoutError,
        "500": errors.InternalServerError,
        "502": errors.ServiceUnavailableError,
        "503": errors.ServiceUnavailableError,
        "504": errors.ServiceUnavailableError,
        "html_502": errors.ServiceUnavailableError,
        "429": errors.RateLimitError,
        "408": errors.APIStatusError,
    }[name]
    assert type(err) is expected
    if name == "stall":
        assert isinstance(err, TimeoutError)
        assert err.phase == "read"  # type: ignore[attr-defined]
    if name == "html_502":
        assert "non-JSON error body" in str(err)
        assert "502 Bad Gateway" in str(err)
    if name == "429":
        assert err.message == "too many requests"  # type: ignore[attr-defined]


# -- errors that are never retried ------------------------------------------------------------

NOT_RETRIED = {
    "400": (
        Fault.status(400, body=b'{"error":{"code":"invalid_parameters","message":"bad"}}'),
        errors.BadRequestError,
    ),
    "403": (
        Fault.status(403, body=b'{"error":{"code":"trading_is_paused","message":"paused"}}'),
        errors.PermissionDeniedError,
    ),
    "404": (Fault.status(404, body=b'{"code":"not_found","message":"nope"}'), errors.NotFoundError),
    "409": (Fault.status(409, body=b'{"msg":"conflict"}'), errors.ConflictError),
    "malformed_json": (Fault.malformed_json(), errors.DecodeError),
}


@pytest.mark.parametrize("name", sorted(NOT_RETRIED))
def test_non_retryable_surfaces_at_once(harness: Harness, net: Wire, name: str) -> None:
    fault, cls = NOT_RETRIED[name]
    net.plan.add(fault)
    c = net.client()
    with pytest.raises(cls) as info:
        harness.run(lambda c: c.get_balance(), c)
    assert type(info.value) is cls
    assert info.value.attempts == 1
    assert net.served("/portfolio/balance") == [fault.kind]
    # A 2xx with a broken body is parsed (and refused) without a retry decision.
    assert isinstance(net.decisions()[0], type(None) if name == "malformed_json" else GiveUp)


def test_malformed_json_is_decode_error_not_json_error(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.malformed_json())
    c = net.client()
    with pytest.raises(errors.DecodeError) as info:
        harness.run(lambda c: c.get_orders(), c)
    assert info.value.status == 200
    assert "not JSON" in str(info.value)


# -- a non-idempotent write: only faults that prove it was not processed are retried ----------


def group(c: Any) -> Any:
    return c.create_order_group(contracts_limit=10)


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        (Fault.reset_after(method="POST"), errors.ConnectionClosedError),
        (Fault.stall(1.0, method="POST"), errors.APITimeoutError),
        (Fault.status(500, method="POST"), errors.InternalServerError),
        (Fault.status(503, method="POST"), errors.ServiceUnavailableError),
        (Fault.truncate(method="POST"), errors.ConnectionClosedError),
    ],
    ids=["reset_after", "stall", "500", "503", "truncate"],
)
def test_unsafe_write_is_not_retried_after_ambiguous_fault(
    harness: Harness, net: Wire, fault: Fault, cls: type[Exception]
) -> None:
    net.plan.add(fault)
    c = net.client(timeout=stall_timeout(fault.kind))
    with pytest.raises(cls) as info:
        harness.run(group, c)
    assert info.value.attempts == 1  # type: ignore[attr-defined]
    assert net.served("/portfolio/order_groups/create") == [fault.kind]


def test_unsafe_write_is_retried_after_429(harness: Harness, net: Wire) -> None:
    body = b'{"error":{"code":"invalid_parameters","message":"stop here"}}'
    net.plan.add(Fault.status(429, method="POST"), Fault.status(400, body=body, method="POST"))
    c = net.client()
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(group, c)
    assert info.value.attempts == 2
    assert net.served("/portfolio/order_groups/create") == ["status", "status"]


# -- Retry-After -------------------------------------------------------------------------------


def test_retry_after_seconds_is_obeyed(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.status(503, retry_after="0.3", path="/portfolio/balance"))
    c = net.client()
    started = time.monotonic()
    harness.run(lambda c: c.get_balance(), c)
    elapsed = time.monotonic() - started
    first = net.decisions()[0]
    assert isinstance(first, Resend)
    assert first.delay == pytest.approx(0.3)
    assert elapsed >= 0.3


def test_retry_after_http_date_is_obeyed(harness: Harness, net: Wire) -> None:
    at = formatdate(time.time() + 1, usegmt=True)
    net.plan.add(Fault.status(429, retry_after=at, path="/portfolio/balance"))
    c = net.client()
    started = time.monotonic()
    harness.run(lambda c: c.get_balance(), c)
    elapsed = time.monotonic() - started
    first = net.decisions()[0]
    assert isinstance(first, Resend)
    assert 0.0 <= first.delay <= 1.0
    assert elapsed >= first.delay


def test_retry_after_beyond_the_limit_gives_up(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.status(503, retry_after="3600", path="/portfolio/balance"))
    c = net.client()
    with pytest.raises(errors.ServiceUnavailableError) as info:
        harness.run(lambda c: c.get_balance(), c)
    assert info.value.attempts == 1


def test_per_call_max_retries_zero(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.status(503, path="/portfolio/balance"))
    c = net.client()
    with pytest.raises(errors.ServiceUnavailableError):
        harness.run(lambda c: c.with_options(max_retries=0).get_balance(), c)
    assert net.served("/portfolio/balance") == ["status"]


# -- exactly-once order creation --------------------------------------------------------------

CREATE_FAULTS = {
    "reset_before": Fault.reset_before(method="POST"),
    "reset_after": Fault.reset_after(method="POST"),
    "stall": Fault.stall(1.0, method="POST"),
    "truncate": Fault.truncate(method="POST"),
    "500": Fault.status(500, method="POST"),
    "502": Fault.status(502, method="POST"),
    "503_retry_after": Fault.status(503, retry_after="0", method="POST"),
    "429": Fault.status(429, method="POST"),
    "html_502": Fault.html(502, method="POST"),
}
PROCESSED = {"reset_after", "stall", "truncate"}


@pytest.mark.parametrize("name", sorted(CREATE_FAULTS))
def test_interrupted_create_leaves_exactly_one_order(
    harness: Harness, net: Wire, name: str
) -> None:
    net.plan.add(CREATE_FAULTS[name])
    c = net.client(timeout=stall_timeout(name))
    ack = harness.run(place, c)
    orders = net.fake.orders_of(net.account.user_id)
    assert len(orders) == 1
    order = orders[0]
    assert ack.order_id == order.order_id
    assert ack.client_order_id == order.client_order_id
    assert ack.remaining_count == Decimal("3")
    # The SDK generated one client_order_id and sent it on every attempt.
    sent = {a.request.body for a in net.attempts if a.request.method == "POST"}
    assert len(sent) == 1
    if name in PROCESSED:
        # The retry met order_already_exists and the SDK looked the order up.
        assert is_recovered(ack)
        assert any(isinstance(a.decision, Recover) for a in net.attempts)
        assert ack.ts_ms is not None
    else:
        assert not is_recovered(ack)
    # The collateral was reserved once.
    assert net.fake.balance(net.account.user_id) == Decimal("998.80")


def test_create_with_callers_client_order_id_is_kept(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.reset_after(method="POST"))
    c = net.client()
    ack = harness.run(lambda c: place(c, client_order_id="my-order-1"), c)
    assert ack.client_order_id == "my-order-1"
    assert is_recovered(ack)
    assert len(net.fake.orders_of(net.account.user_id)) == 1


def test_first_attempt_duplicate_is_a_real_conflict(harness: Harness, net: Wire) -> None:
    c = net.client()
    harness.run(lambda c: place(c, client_order_id="dup"), c)
    with pytest.raises(errors.OrderAlreadyExistsError) as info:
        harness.run(lambda c: place(c, client_order_id="dup"), c)
    assert info.value.attempts == 1
    assert len(net.fake.orders_of(net.account.user_id)) == 1


def test_create_whose_every_attempt_fails_reports_and_leaves_one_order(
    harness: Harness, net: Wire
) -> None:
    net.plan.add(*[Fault.reset_after(method="POST")] * 3)
    c = net.client()
    with pytest.raises(errors.ConnectionClosedError) as info:
        harness.run(place, c)
    assert info.value.attempts == 3
    # Retries reused the id: however many attempts ran, the exchange holds one order.
    assert len(net.fake.orders_of(net.account.user_id)) == 1


def test_interrupted_batch_create_leaves_exactly_one_of_each(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.truncate(method="POST"))
    c = net.client()
    orders = [
        {
            "ticker": MARKET,
            "side": "bid",
            "price": f"0.{p}",
            "count": "1",
            "time_in_force": "good_till_canceled",
            "self_trade_prevention_type": "taker_at_cross",
        }
        for p in (21, 22, 23)
    ]
    answer = harness.run(lambda c: c.batch_create_orders_v2(orders=orders), c)
    held = net.fake.orders_of(net.account.user_id)
    assert len(held) == 3
    assert is_recovered(answer)
    assert [item.error for item in answer.orders] == [None, None, None]
    assert {item.order_id for item in answer.orders} == {o.order_id for o in held}
    assert {item.client_order_id for item in answer.orders} == {o.client_order_id for o in held}
    assert all(item.client_order_id for item in answer.orders)


# -- cancels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reset_after", "truncate", "stall"])
def test_interrupted_cancel_is_answered_not_refused(harness: Harness, net: Wire, name: str) -> None:
    fault = {
        "reset_after": Fault.reset_after(method="DELETE"),
        "truncate": Fault.truncate(method="DELETE"),
        "stall": Fault.stall(1.0, method="DELETE"),
    }[name]
    c = net.client(timeout=stall_timeout(name))
    ack = harness.run(place, c)
    net.plan.add(fault)
    canceled = harness.run(lambda c: c.cancel_order_v2(ack.order_id), c)
    # The first attempt canceled the order; the retry met 404 and the SDK looked it up.
    assert canceled.order_id == ack.order_id
    assert canceled.client_order_id == ack.client_order_id
    assert canceled.reduced_by is None
    assert is_recovered(canceled)
    assert net.fake.balance(net.account.user_id) == Decimal("1000")
    order = harness.run(lambda c: c.get_order(ack.order_id), c).order
    assert order.status == "canceled"


def test_cancel_of_a_filled_order_still_reports_not_found(harness: Harness, net: Wire) -> None:
    c = net.client()
    with pytest.raises(errors.NotFoundError) as info:
        harness.run(lambda c: c.cancel_order_v2("no-such-order"), c)
    assert info.value.attempts == 1


# -- V1 order writes (legacy, still supported) -------------------------------------------------

V1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 2, "yes_price": 40}


@pytest.mark.filterwarnings("ignore:.*legacy V1.*:DeprecationWarning")
@pytest.mark.parametrize("name", ["reset_after", "truncate"])
def test_interrupted_v1_create_and_batch_leave_one_order_each(
    harness: Harness, net: Wire, name: str
) -> None:
    fault = {"reset_after": Fault.reset_after, "truncate": Fault.truncate}[name]
    net.fake.serve_v1_writes = True  # replaying an old V1 flow
    net.plan.add(fault(method="POST", path="/portfolio/orders"))
    c = net.client()
    answer = harness.run(lambda c: c.create_order(**V1), c)
    held = net.fake.orders_of(net.account.user_id)
    assert len(held) == 1
    assert is_recovered(answer)
    assert answer.order.order_id == held[0].order_id
    assert answer.order.client_order_id == held[0].client_order_id

    net.plan.add(fault(method="POST", path="/portfolio/orders/batched"))
    batch = harness.run(lambda c: c.batch_create_orders(orders=[V1, {**V1, "yes_price": 41}]), c)
    held = net.fake.orders_of(net.account.user_id)
    assert len(held) == 3
    assert is_recovered(batch)
    assert [item.error for item in batch.orders] == [None, None]
    assert {item.order.order_id for item in batch.orders} | {answer.order.order_id} == {
        o.order_id for o in held
    }

    net.plan.add(fault(method="DELETE", path="/portfolio/orders/"))
    canceled = harness.run(lambda c: c.cancel_order(answer.order.order_id), c)
    assert is_recovered(canceled)
    assert canceled.order.status == "canceled"


# -- a create accepted but answered unreadably ---------------------------------------------------


def test_create_answered_with_malformed_json_returns_the_order(harness: Harness, net: Wire) -> None:
    net.plan.add(Fault.malformed_json(method="POST"))
    c = net.client()
    ack = harness.run(place, c)
    held = net.fake.orders_of(net.account.user_id)
    assert [o.order_id for o in held] == [ack.order_id]
    assert is_recovered(ack)
    net.plan.add(Fault.malformed_json(method="POST"))
    batch = harness.run(lambda c: c.batch_create_orders_v2(orders=[ORDER, ORDER]), c)
    assert len(net.fake.orders_of(net.account.user_id)) == 3
    assert [item.error for item in batch.orders] == [None, None]
    assert is_recovered(batch)


def test_unreadable_create_whose_order_is_missing_stays_a_decode_error(harness: Harness) -> None:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, content=b'{"order_id": ')
        return httpx.Response(200, json={"orders": [], "cursor": ""})

    c = harness.client(
        base_url="http://fake.test/trade-api/v2",
        transport=httpx.MockTransport(answer),
        credentials=Credentials("k", ed25519.Ed25519PrivateKey.generate()),
    )
    with pytest.raises(errors.DecodeError) as info:
        harness.run(place, c)
    assert info.value.status == 201
    assert info.value.attempts == 1
