"""The sans-IO retry policy, idempotency rules, clock offset and exactly-once lookups: fed
outcomes and times, no network."""

from __future__ import annotations

import json
import random
import uuid
from email.utils import formatdate
from typing import Any

import pytest

from kalshi_core import Call, Response, builders, errors, models
from kalshi_core.policy.clock import ClockOffset
from kalshi_core.policy.idempotency import OrderLookup, is_idempotent, is_recovered
from kalshi_core.policy.retry import (
    GIVE_UP,
    Failure,
    Recover,
    Resend,
    RetryPolicy,
    parse_retry_after,
)

from .conftest import MARKET
from .trading import V2_ORDER

V1_ORDER = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 1, "yes_price": 50}


def body_of(call: Call[Any]) -> Any:
    assert call.body is not None
    return json.loads(call.body)


def resp(status: int, body: Any = None, **headers: str) -> Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return Response(status, tuple((k.replace("_", "-"), v) for k, v in headers.items()), raw)


def create_v2(**extra: Any) -> Call[Any]:
    return builders.create_order_v2(**{**V2_ORDER, **extra})


# -- client order ids ----------------------------------------------------------------------------


def test_creates_get_one_uuid4_client_order_id_each() -> None:
    a, b = create_v2(), create_v2()
    ida, idb = body_of(a)["client_order_id"], body_of(b)["client_order_id"]
    assert uuid.UUID(ida).version == 4
    assert ida != idb
    assert body_of(create_v2(client_order_id="mine"))["client_order_id"] == "mine"
    with pytest.warns(DeprecationWarning, match="create_order_v2"):
        v1 = builders.create_order(**V1_ORDER)
    assert uuid.UUID(body_of(v1)["client_order_id"]).version == 4
    batch = builders.batch_create_orders_v2(orders=[V2_ORDER, {**V2_ORDER, "client_order_id": "x"}])
    ids = [o["client_order_id"] for o in body_of(batch)["orders"]]
    assert uuid.UUID(ids[0]).version == 4
    assert ids[1] == "x"
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        v1_batch = builders.batch_create_orders(orders=[V1_ORDER, V1_ORDER])
    v1_ids = [o["client_order_id"] for o in body_of(v1_batch)["orders"]]
    assert len(set(v1_ids)) == 2


def test_which_requests_are_idempotent() -> None:
    assert is_idempotent(builders.get_balance())
    assert is_idempotent(create_v2())
    bare = Call(
        builders.create_order_v2(**V2_ORDER).operation,
        "/portfolio/events/orders",
        body=json.dumps(V2_ORDER).encode(),
    )
    assert not is_idempotent(bare)
    assert is_idempotent(builders.cancel_order_v2("o1"))
    assert is_idempotent(
        builders.amend_order_v2("o1", ticker=MARKET, side="bid", price="0.4", count="2")
    )
    assert is_idempotent(builders.decrease_order_v2("o1", reduce_to="1"))
    assert not is_idempotent(builders.decrease_order_v2("o1", reduce_by="1"))
    assert not is_idempotent(builders.create_order_group(contracts_limit=5))


# -- backoff and Retry-After ----------------------------------------------------------------------


def test_full_jitter_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0, rng=lambda: 0.999999)
    assert [round(policy.backoff(n), 3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(rng=lambda: 0.0).backoff(4) == 0.0
    rng = random.Random(3)
    seeded = RetryPolicy(rng=random.Random(3).random)
    assert seeded.backoff(2) == rng.random() * 1.0


def test_parse_retry_after() -> None:
    assert parse_retry_after("5", 0.0) == 5.0
    assert parse_retry_after(" 0.25 ", 0.0) == 0.25
    assert parse_retry_after("-3", 0.0) == 0.0
    assert parse_retry_after("nan", 0.0) is None
    assert parse_retry_after("soon", 0.0) is None
    assert parse_retry_after(None, 0.0) is None
    at = formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(at, 1_000_000.0) == 30.0
    # Measured against the server's own Date when present: local skew does not matter.
    assert parse_retry_after(at, 5.0, formatdate(1_000_010, usegmt=True)) == 20.0
    assert parse_retry_after(formatdate(10, usegmt=True), 1_000_000.0) == 0.0


def test_read_retries_each_transient_outcome_until_max() -> None:
    policy = RetryPolicy(max_retries=3, rng=lambda: 0.5)
    state = policy.start(builders.get_balance(), 0.0)
    outcomes: list[Any] = [Failure.TIMEOUT, resp(500), resp(429, {"error": "too many requests"})]
    decisions = [state.next(o, 0.0) for o in outcomes]
    assert [type(d) for d in decisions] == [Resend, Resend, Resend]
    assert [d.delay for d in decisions] == [0.25, 0.5, 1.0]  # type: ignore[union-attr]
    assert state.next(resp(503), 0.0) is GIVE_UP
    assert state.attempts == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(status: int) -> None:
    state = RetryPolicy().start(builders.get_balance(), 0.0)
    assert state.next(resp(status, {"error": {"code": "x"}}), 0.0) is GIVE_UP


@pytest.mark.parametrize(
    ("outcome", "retried"),
    [
        (Failure.NOT_SENT, True),
        (Failure.TIMEOUT, False),
        (Failure.DISCONNECTED, False),
        (resp(408), True),
        (resp(429), True),
        (resp(500), False),
        (resp(502), False),
        (resp(503), False),
        (resp(504), False),
    ],
)
def test_unsafe_write_retried_only_when_not_processed(outcome: Any, retried: bool) -> None:
    state = RetryPolicy().start(builders.create_order_group(contracts_limit=5), 0.0)
    decision = state.next(outcome, 0.0)
    assert isinstance(decision, Resend) is retried


def test_retry_after_overrides_backoff_and_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=10.0, rng=lambda: 0.5)
    state = policy.start(builders.get_balance(), 0.0)
    decision = state.next(resp(503, retry_after="7"), 0.0)
    assert isinstance(decision, Resend)
    assert decision.delay == 7.0
    assert state.next(resp(503, retry_after="11"), 0.0) is GIVE_UP


def test_stale_timestamp_is_retried_once_after_correcting_the_clock() -> None:
    offset = ClockOffset()
    state = RetryPolicy(max_retries=0).start(builders.get_balance(), 0.0, offset)
    expired = resp(
        401,
        {"error": {"code": "header_timestamp_expired", "message": "expired"}},
        date=formatdate(1_000_100, usegmt=True),
    )
    decision = state.next(expired, 1_000_000.0)
    assert isinstance(decision, Resend)
    assert decision.delay == 0.0
    assert offset.offset == pytest.approx(100.5)
    assert state.next(expired, 1_000_000.0) is GIVE_UP
    bad_sig = resp(401, {"error": {"code": "authentication_error", "details": "NOT_FOUND"}})
    assert RetryPolicy().start(builders.get_balance(), 0.0, offset).next(bad_sig, 0.0) is GIVE_UP


def test_clock_offset_ignores_rounding_noise() -> None:
    offset = ClockOffset()
    assert not offset.observe(formatdate(1_000_000, usegmt=True), 1_000_000.3)
    assert offset.offset == 0.0
    assert offset.observe(formatdate(1_000_000, usegmt=True), 999_990.0)
    assert offset.offset == pytest.approx(10.5)
    assert offset.now(5.0) == pytest.approx(15.5)
    assert not offset.observe("not a date", 0.0)


# -- exactly-once lookups ---------------------------------------------------------------------


def order_json(coid: str, oid: str) -> dict[str, Any]:
    return {
        "order_id": oid,
        "client_order_id": coid,
        "ticker": MARKET,
        "status": "resting",
        "fill_count_fp": "0.00",
        "remaining_count_fp": "1.00",
        "created_time": "2026-01-01T00:00:00Z",
    }


def page(*orders: dict[str, Any], cursor: str = "") -> models.GetOrdersResponse:
    return builders.get_orders().parse(resp(200, {"orders": list(orders), "cursor": cursor}))


ALREADY = {"error": {"code": "order_already_exists", "message": "exists"}}


def test_409_on_a_first_attempt_is_a_conflict_not_a_recovery() -> None:
    state = RetryPolicy().start(create_v2(), 0.0)
    assert state.next(resp(409, ALREADY), 0.0) is GIVE_UP


def test_v2_create_recovery_walks_pages_until_found() -> None:
    call = create_v2()
    coid = body_of(call)["client_order_id"]
    state = RetryPolicy().start(call, 1_000_000.0)
    assert isinstance(state.next(Failure.TIMEOUT, 0.0), Resend)
    decision = state.next(resp(409, ALREADY), 0.0)
    assert isinstance(decision, Recover)
    lookup = decision.lookup
    first = lookup.next_call()
    assert first is not None
    assert dict(first.query) == {
        "ticker": MARKET,
        "min_ts": str(1_000_000 - 60),
        "limit": "200",
    }
    lookup.feed(page(order_json("other", "o0"), cursor="c1"))
    second = lookup.next_call()
    assert second is not None
    assert second.query_value("cursor") == "c1"
    lookup.feed(page(order_json(coid, "o1")))
    assert lookup.next_call() is None
    ack = lookup.result()
    assert isinstance(ack, models.CreateOrderV2Response)
    assert (ack.order_id, ack.client_order_id) == ("o1", coid)
    assert ack.remaining_count == 1
    assert ack.ts_ms == 1767225600000
    assert is_recovered(ack)


def test_v1_create_recovery_returns_the_order() -> None:
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        call = builders.create_order(**V1_ORDER, subaccount=3)
    coid = body_of(call)["client_order_id"]
    state = RetryPolicy().start(call, 1_000_000.0)
    state.next(Failure.DISCONNECTED, 0.0)
    decision = state.next(resp(409, ALREADY), 0.0)
    assert isinstance(decision, Recover)
    first = decision.lookup.next_call()
    assert first is not None
    assert first.query_value("subaccount") == "3"
    decision.lookup.feed(page(order_json(coid, "o9")))
    answer = decision.lookup.result()
    assert isinstance(answer, models.CreateOrderResponse)
    assert answer.order is not None
    assert answer.order.order_id == "o9"


def test_recovery_that_finds_nothing_raises_the_conflict() -> None:
    state = RetryPolicy().start(create_v2(), 1_000_000.0)
    state.next(Failure.TIMEOUT, 0.0)
    decision = state.next(resp(409, ALREADY), 0.0)
    assert isinstance(decision, Recover)
    decision.lookup.feed(page(order_json("someone-else", "o2")))
    assert decision.lookup.next_call() is None
    with pytest.raises(errors.OrderAlreadyExistsError):
        decision.lookup.result()


def test_v1_batch_recovery_fills_in_duplicates_only() -> None:
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        call = builders.batch_create_orders(orders=[V1_ORDER, V1_ORDER])
    ids = [o["client_order_id"] for o in body_of(call)["orders"]]
    state = RetryPolicy().start(call, 1_000_000.0)
    state.next(Failure.TIMEOUT, 0.0)
    answer = call.parse(
        resp(
            201,
            {
                "orders": [
                    {"client_order_id": ids[0], "error": ALREADY["error"]},
                    {"client_order_id": ids[1], "order": order_json(ids[1], "new")},
                ]
            },
        )
    )
    repair = state.after_success(answer)
    assert isinstance(repair, Recover)
    lookup: OrderLookup[Any] = repair.lookup
    lookup.feed(page(order_json(ids[0], "old")))
    fixed = lookup.result()
    assert [i.order.order_id for i in fixed.orders] == ["old", "new"]
    assert [i.error for i in fixed.orders] == [None, None]


def test_success_on_first_attempt_needs_no_repair() -> None:
    call = builders.batch_create_orders_v2(orders=[V2_ORDER])
    state = RetryPolicy().start(call, 0.0)
    result = call.parse(resp(201, {"orders": [{"error": ALREADY["error"]}]}))
    assert state.after_success(result) is None


def test_v1_cancel_recovery_answers_only_for_a_canceled_order() -> None:
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        call = builders.cancel_order("o/7")
    missing = resp(404, {"error": {"code": "not_found", "message": "gone"}})
    for status, recovered in (("canceled", True), ("executed", False)):
        state = RetryPolicy().start(call, 0.0)
        assert isinstance(state.next(Failure.TIMEOUT, 0.0), Resend)
        decision = state.next(missing, 0.0)
        assert isinstance(decision, Recover)
        lookup = decision.lookup
        get = lookup.next_call()
        assert get is not None
        assert get.path == "/portfolio/orders/o%2F7"
        assert lookup.next_call() is None
        lookup.feed(
            builders.get_order("o/7").parse(
                resp(200, {"order": {**order_json("c", "o/7"), "status": status}})
            )
        )
        if recovered:
            answer = lookup.result()
            assert isinstance(answer, models.CancelOrderResponse)
            assert answer.order is not None
            assert answer.order.order_id == "o/7"
            assert answer.reduced_by_fp is None
        else:
            with pytest.raises(errors.NotFoundError):
                lookup.result()
    # A 404 on the first attempt is the answer.
    assert RetryPolicy().start(call, 0.0).next(missing, 0.0) is GIVE_UP
