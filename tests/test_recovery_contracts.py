"""Exactly-once recovery, step by step: which answers start a lookup, what the lookup asks for,
and what it answers (``kalshi_core.policy.idempotency``'s docstring and ``docs/retries.md``).

Sans-IO: lookups are fed pages the way a driver would feed them. Orders follow the spec's
``Order`` schema; the per-order batch error is the spec's ``order_already_exists``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_core import Call, Credentials, Response, builders, errors, models
from kalshi_core.models._converter import structure
from kalshi_core.policy.idempotency import (
    LOOKUP_MAX_PAGES,
    LOOKUP_WINDOW,
    CancelLookup,
    OrderLookup,
    is_idempotent,
    is_recovered,
    recovery_after_decode_error,
    recovery_after_success,
    recovery_for,
)
from kalshi_core.policy.retry import Recover, RetryPolicy

from .conftest import MARKET

OTHER = "HIGHNY-24JAN01-T65"
FIRST_SENT = 1_767_225_600.0  # 2026-01-01T00:00:00Z
CREATED = "2026-01-01T00:00:01.500Z"
CREATED_MS = 1_767_225_601_500
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def v2_order(coid: str, ticker: str = MARKET, **extra: Any) -> dict[str, Any]:
    return {
        "ticker": ticker,
        "side": "bid",
        "price": "0.5",
        "count": "3",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
        "client_order_id": coid,
        **extra,
    }


def order(coid: str, oid: str, ticker: str = MARKET, **extra: Any) -> models.Order:
    data = {
        "order_id": oid,
        "client_order_id": coid,
        "ticker": ticker,
        "status": "resting",
        "fill_count_fp": "1.00",
        "remaining_count_fp": "2.00",
        "created_time": CREATED,
        **extra,
    }
    return structure({"order": data}, models.GetOrderResponse).order  # type: ignore[return-value]


def page(*orders: models.Order, cursor: str = "") -> models.GetOrdersResponse:
    return models.GetOrdersResponse(orders=list(orders), cursor=cursor)


def decode_error(status: int = 201, **ids: Any) -> errors.DecodeError:
    return errors.DecodeError(
        "not JSON", status=status, method="POST", path="/portfolio/events/orders", **ids
    )


def query(call: Call[Any]) -> dict[str, str]:
    return dict(call.query)


def conflict(code: str = "order_already_exists") -> Response:
    body = json.dumps({"error": {"code": code, "message": "exists"}}).encode()
    return Response(409, (("content-type", "application/json"),), body)


# -- which answers start a lookup ---------------------------------------------------------------


def test_an_unreadable_2xx_create_answer_starts_a_lookup() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    for status in (200, 201, 299):
        assert isinstance(
            recovery_after_decode_error(create, decode_error(status), 0.0), OrderLookup
        )
    # Not a 2xx, not a DecodeError, or an answer that named its order: nothing to look up.
    assert recovery_after_decode_error(create, decode_error(300), 0.0) is None
    assert recovery_after_decode_error(create, decode_error(199), 0.0) is None
    assert recovery_after_decode_error(create, ValueError("x"), 0.0) is None
    assert recovery_after_decode_error(create, decode_error(order_id="o-1"), 0.0) is None
    assert recovery_after_decode_error(create, decode_error(order_ids=("o-1",)), 0.0) is None
    # Only creates are looked up.
    amend = builders.amend_order_v2(
        "o-1", ticker=MARKET, side="bid", price="0.4", count="2", client_order_id="c-1"
    )
    assert recovery_after_decode_error(amend, decode_error(), 0.0) is None
    assert recovery_for(amend, conflict(), 0.0) is None
    batch = builders.batch_create_orders_v2(orders=[v2_order("b-1")])
    assert isinstance(recovery_after_decode_error(batch, decode_error(), 0.0), OrderLookup)


def test_the_decode_error_lookup_answers_the_create_or_reraises() -> None:
    create = builders.create_order_v2(**v2_order("c-1", subaccount=3))
    error = decode_error()
    lookup = recovery_after_decode_error(create, error, FIRST_SENT)
    assert lookup is not None
    call = lookup.next_call()
    assert call is not None
    assert call.operation.operation_id == "GetOrders"
    assert query(call) == {
        "ticker": MARKET,
        "min_ts": str(int(FIRST_SENT) - LOOKUP_WINDOW),
        "limit": "200",
        "subaccount": "3",
    }
    lookup.feed(page(order("someone-else", "o-0"), order("c-1", "o-1")))
    assert lookup.next_call() is None
    ack = lookup.result()
    assert isinstance(ack, models.CreateOrderV2Response)
    assert (ack.order_id, ack.client_order_id) == ("o-1", "c-1")
    assert (str(ack.fill_count), str(ack.remaining_count)) == ("1.00", "2.00")
    assert ack.ts_ms == CREATED_MS
    assert is_recovered(ack)
    missing = recovery_after_decode_error(create, error, FIRST_SENT)
    assert missing is not None
    missing.feed(page(order("someone-else", "o-0")))
    with pytest.raises(errors.DecodeError) as info:
        missing.result()
    assert info.value is error


def test_an_order_without_created_time_answers_without_ts() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    lookup = recovery_after_decode_error(create, decode_error(), FIRST_SENT)
    assert lookup is not None
    lookup.feed(page(order("c-1", "o-1", created_time=None)))
    ack = lookup.result()
    assert ack.order_id == "o-1"
    assert ack.ts_ms is None


def test_a_lookup_walks_pages_by_cursor_and_stops_at_the_page_limit() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    lookup = recovery_after_decode_error(create, decode_error(), FIRST_SENT)
    assert lookup is not None
    cursors = []
    while (call := lookup.next_call()) is not None:
        cursors.append(query(call).get("cursor"))
        lookup.feed(page(order("other", f"o-{len(cursors)}"), cursor=f"k{len(cursors)}"))
    assert cursors == [None] + [f"k{i}" for i in range(1, LOOKUP_MAX_PAGES)]
    with pytest.raises(errors.DecodeError):
        lookup.result()


def test_a_lookup_stops_once_every_order_is_found() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    lookup = recovery_after_decode_error(create, decode_error(), FIRST_SENT)
    assert lookup is not None
    lookup.feed(page(order("c-1", "o-1"), cursor="more"))
    assert lookup.next_call() is None
    assert lookup.result().order_id == "o-1"


def test_a_batch_lookup_asks_once_per_ticker_and_keeps_the_batch_order() -> None:
    batch = builders.batch_create_orders_v2(
        orders=[v2_order("b-1"), v2_order("b-2", OTHER), v2_order("b-3")]
    )
    lookup = recovery_after_decode_error(batch, decode_error(), FIRST_SENT)
    assert lookup is not None
    first = lookup.next_call()
    assert first is not None
    assert query(first)["ticker"] == MARKET
    # b-2 on this page is ignored: it was not asked for on this ticker.
    lookup.feed(page(order("b-3", "o-3"), order("b-1", "o-1"), order("b-1", "o-dupe")))
    second = lookup.next_call()
    assert second is not None
    assert query(second)["ticker"] == OTHER
    assert "cursor" not in query(second)
    lookup.feed(page(order("b-2", "o-2", OTHER)))
    assert lookup.next_call() is None
    answer = lookup.result()
    assert isinstance(answer, models.BatchCreateOrdersV2Response)
    assert [(i.client_order_id, i.order_id) for i in answer.orders or []] == [
        ("b-1", "o-1"),
        ("b-2", "o-2"),
        ("b-3", "o-3"),
    ]
    assert is_recovered(answer)


def test_a_batch_lookup_missing_one_order_reraises() -> None:
    batch = builders.batch_create_orders_v2(orders=[v2_order("b-1"), v2_order("b-2")])
    error = decode_error()
    lookup = recovery_after_decode_error(batch, error, FIRST_SENT)
    assert lookup is not None
    lookup.feed(page(order("b-1", "o-1")))
    with pytest.raises(errors.DecodeError) as info:
        lookup.result()
    assert info.value is error


# -- a retried batch whose answer reports its own orders as duplicates --------------------------


def _batch_answer(*items: dict[str, Any]) -> models.BatchCreateOrdersV2Response:
    return structure({"orders": list(items)}, models.BatchCreateOrdersV2Response)


def test_a_retried_batch_repairs_only_its_own_duplicates() -> None:
    batch = builders.batch_create_orders_v2(
        orders=[v2_order("b-1"), v2_order("b-2"), v2_order("b-3")]
    )
    answer = _batch_answer(
        {"client_order_id": "b-1", "error": {"code": "order_already_exists"}},
        {"client_order_id": "b-2", "order_id": "o-2"},
        {"client_order_id": "b-3", "error": {"code": "invalid_order", "message": "no"}},
    )
    lookup = recovery_after_success(batch, answer, FIRST_SENT)
    assert lookup is not None
    assert [w[0] for w in lookup.wanted] == ["b-1"]
    lookup.feed(page(order("b-1", "o-1")))
    repaired = lookup.result()
    items = repaired.orders or []
    assert [(i.client_order_id, i.order_id) for i in items] == [
        ("b-1", "o-1"),
        ("b-2", "o-2"),
        ("b-3", None),
    ]
    assert items[0].error is None
    assert items[2].error is not None
    assert items[2].error.code == "invalid_order"
    assert is_recovered(repaired)
    # No duplicate of its own, or not a batch create: the answer stands.
    clean = _batch_answer({"client_order_id": "b-1", "order_id": "o-1"})
    assert recovery_after_success(batch, clean, FIRST_SENT) is None
    other = _batch_answer({"client_order_id": "zz", "error": {"code": "order_already_exists"}})
    assert recovery_after_success(batch, other, FIRST_SENT) is None
    anonymous = _batch_answer({"error": {"code": "order_already_exists"}})
    assert recovery_after_success(batch, anonymous, FIRST_SENT) is None
    create = builders.create_order_v2(**v2_order("c-1"))
    assert recovery_after_success(create, answer, FIRST_SENT) is None


def test_a_duplicate_not_found_stays_as_the_exchange_sent_it() -> None:
    batch = builders.batch_create_orders_v2(orders=[v2_order("b-1"), v2_order("b-2")])
    answer = _batch_answer(
        {"client_order_id": "b-1", "error": {"code": "order_already_exists"}},
        {"client_order_id": "b-2", "error": {"code": "order_already_exists"}},
    )
    lookup = recovery_after_success(batch, answer, FIRST_SENT)
    assert lookup is not None
    lookup.feed(page(order("b-2", "o-2")))
    items = lookup.result().orders or []
    assert items[0].order_id is None
    assert items[0].error is not None
    assert (items[1].order_id, items[1].error) == ("o-2", None)


def test_v1_batch_recovery_answers_with_the_order_records() -> None:
    v1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 3, "yes_price": 50}
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        batch = builders.batch_create_orders(
            orders=[{**v1, "client_order_id": "v-1"}, {**v1, "client_order_id": "v-2"}]
        )
    lookup = recovery_after_decode_error(batch, decode_error(), FIRST_SENT)
    assert lookup is not None
    lookup.feed(page(order("v-2", "o-2"), order("v-1", "o-1")))
    answer = lookup.result()
    assert isinstance(answer, models.BatchCreateOrdersResponse)
    items = answer.orders or []
    assert [i.client_order_id for i in items] == ["v-1", "v-2"]
    assert [i.order.order_id if i.order else None for i in items] == ["o-1", "o-2"]


# -- which requests count as idempotent, and which orders a create asked for ---------------------


def test_hand_built_bodies_that_cannot_be_read_are_not_idempotent() -> None:
    batch_op = builders.batch_create_orders_v2(orders=[v2_order("b-1")]).operation
    listed = Call(batch_op, "/portfolio/events/orders/batched", body=b'[{"client_order_id": "a"}]')
    assert not is_idempotent(listed)
    decrease_op = builders.decrease_order_v2("o-1", reduce_to="1").operation
    for body in (b"", b"not json", b"[1]"):
        assert not is_idempotent(
            Call(decrease_op, "/portfolio/events/orders/o-1/decrease", body=body)
        )
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        by_fp = builders.decrease_order("o-1", reduce_by_fp="1.00")
    assert not is_idempotent(by_fp)
    with pytest.warns(DeprecationWarning, match="legacy V1"):
        to_fp = builders.decrease_order("o-1", reduce_to_fp="1.00")
    assert is_idempotent(to_fp)


def test_lookups_skip_orders_that_cannot_be_named() -> None:
    batch_op = builders.batch_create_orders_v2(orders=[v2_order("b-1")]).operation
    body = {
        "orders": [
            "not an order",
            {"client_order_id": "", "ticker": MARKET},
            {"client_order_id": "no-ticker"},
            {"client_order_id": 7, "ticker": MARKET},
            v2_order("b-2", subaccount="two"),
        ]
    }
    call = Call(batch_op, "/portfolio/events/orders/batched", body=json.dumps(body).encode())
    lookup = recovery_after_decode_error(call, decode_error(), FIRST_SENT)
    assert lookup is not None
    assert lookup.wanted == [("b-2", MARKET, None)]


def test_is_recovered_only_for_synthesised_answers() -> None:
    parsed = builders.create_order_v2(**v2_order("c-1")).parse(
        Response(201, (), b'{"order_id": "o-1", "client_order_id": "c-1"}')
    )
    assert parsed.order_id == "o-1"
    assert not is_recovered(parsed)
    assert not is_recovered(object())
    assert not is_recovered(None)


def test_a_retried_create_meeting_order_already_exists_is_recovered() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    state = RetryPolicy(backoff_base=0.0).start(create, FIRST_SENT)
    assert not isinstance(state.next(Response(503, (), b""), FIRST_SENT), Recover)
    decision = state.next(conflict(), FIRST_SENT)
    assert isinstance(decision, Recover)
    lookup = decision.lookup
    call = lookup.next_call()
    assert call is not None
    assert query(call)["ticker"] == MARKET
    lookup.feed(page(order("c-1", "o-1")))
    assert lookup.result().order_id == "o-1"


# -- cancels: a 404 after an attempt that may have gone through ----------------------------------


def _not_found() -> Response:
    body = json.dumps({"error": {"code": "not_found", "message": "no such order"}}).encode()
    return Response(404, (("content-type", "application/json"),), body)


@pytest.mark.parametrize("v2", [True, False])
def test_a_cancel_found_gone_asks_for_the_order_once(v2: bool) -> None:
    if v2:
        cancel = builders.cancel_order_v2("ord/1 x")
    else:
        with pytest.warns(DeprecationWarning, match="legacy V1"):
            cancel = builders.cancel_order("ord/1 x")
    state = RetryPolicy(backoff_base=0.0).start(cancel, FIRST_SENT)
    state.next(Response(503, (), b""), FIRST_SENT)
    decision = state.next(_not_found(), FIRST_SENT)
    assert isinstance(decision, Recover)
    lookup = decision.lookup
    assert isinstance(lookup, CancelLookup)
    assert lookup.order_id == "ord/1 x"
    ask = lookup.next_call()
    assert ask is not None
    assert ask.operation.operation_id == "GetOrder"
    assert lookup.next_call() is None
    canceled = order("c-1", "ord/1 x", status="canceled", last_update_time=CREATED)
    lookup.feed(models.GetOrderResponse(order=canceled))
    answer = lookup.result()
    assert is_recovered(answer)
    if v2:
        assert isinstance(answer, models.CancelOrderV2Response)
        assert (answer.order_id, answer.client_order_id) == ("ord/1 x", "c-1")
        assert answer.ts_ms == CREATED_MS
    else:
        assert isinstance(answer, models.CancelOrderResponse)
        assert answer.order is not None
        assert answer.order.order_id == "ord/1 x"


def test_a_cancel_whose_order_is_not_canceled_reports_the_404() -> None:
    cancel = builders.cancel_order_v2("o-1")
    state = RetryPolicy(backoff_base=0.0).start(cancel, FIRST_SENT)
    state.next(Response(503, (), b""), FIRST_SENT)
    decision = state.next(_not_found(), FIRST_SENT)
    assert isinstance(decision, Recover)
    lookup = decision.lookup
    assert lookup.next_call() is not None
    lookup.feed(models.GetOrderResponse(order=order("c-1", "o-1")))
    with pytest.raises(errors.NotFoundError):
        lookup.result()
    nothing = CancelLookup(cancel, errors.NotFoundError(status=404, method="DELETE", path="/x"))
    with pytest.raises(errors.NotFoundError):
        nothing.result()


def test_lookup_query_is_what_the_spec_names() -> None:
    create = builders.create_order_v2(**v2_order("c-1"))
    lookup = recovery_after_decode_error(create, decode_error(), FIRST_SENT)
    assert lookup is not None
    call = lookup.next_call()
    assert call is not None
    request = call.to_request("http://x.test/trade-api/v2", Credentials("k", _KEY), FIRST_SENT)
    assert request.url.startswith("http://x.test/trade-api/v2/portfolio/orders?")
    params = parse_qs(request.url.split("?", 1)[1])
    assert params["min_ts"] == [str(int(FIRST_SENT) - 60)]
