"""Whatever bytes or JSON a server answers, ``Call.parse`` returns a model or raises one of the
SDK's own exceptions: never a KeyError, TypeError, JSONDecodeError or the like."""

from __future__ import annotations

import json
import pickle
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_core import Call, Response, builders, errors

from .conftest import MARKET

CALLS: list[Call[Any]] = [
    builders.get_balance(),
    builders.get_orders(),
    builders.get_order("o1"),
    builders.create_order_v2(
        ticker=MARKET,
        side="bid",
        price="0.5",
        count="1",
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    ),
    builders.cancel_order_v2("o1"),
    builders.get_account_api_limits(),
    builders.get_account_endpoint_costs(),
]
STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504]
KEYS = [
    "error", "code", "message", "msg", "details", "service", "order_id", "orders", "order",
    "cursor", "balance", "balance_dollars", "fill_count", "remaining_count", "ts_ms",
    "yes_price_dollars", "created_time", "status", "read", "write", "endpoint_costs",
    "refill_rate", "default_cost",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["0.5", "1e999", "NaN", "2026-01-01T00:00:00Z", "resting", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=25,
)


def check(call: Call[Any], status: int, body: bytes) -> None:
    headers = (("content-type", "application/json"), ("x-request-id", "req-1"))
    raised: errors.KalshiError | None = None
    result: Any = None
    try:
        result = call.parse(Response(status, headers, body))
    except errors.KalshiError as exc:
        raised = exc
    if raised is not None:
        # The exception renders, and survives a pickle round trip.
        assert str(raised)
        assert type(pickle.loads(pickle.dumps(raised))) is type(raised)
        if isinstance(raised, errors.APIStatusError):
            assert raised.status == status
        else:
            # An error status is always an APIStatusError; only a 2xx body is undecodable.
            assert isinstance(raised, errors.DecodeError)
            assert 200 <= status < 300
    else:
        assert 200 <= status < 300
        expected = call.operation.response
        assert result is None if expected is None else isinstance(result, expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CALLS), st.sampled_from(STATUSES), st.binary(max_size=200))
def test_arbitrary_bytes(call: Call[Any], status: int, body: bytes) -> None:
    check(call, status, body)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CALLS), st.sampled_from(STATUSES), json_values)
def test_arbitrary_json(call: Call[Any], status: int, value: Any) -> None:
    check(call, status, json.dumps(value).encode())
