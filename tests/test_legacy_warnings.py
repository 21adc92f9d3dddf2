"""V1 order writes warn, naming their V2 replacement, at the caller's own line, on every driver."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kalshi_core import builders

from .conftest import MARKET, Harness
from .scripted import Scripted, scripted_client

# One body that every V1 write accepts as its answer (each reads the fields it knows).
V1_ANSWER = {
    "order": {"order_id": "o-1", "status": "resting"},
    "old_order": {"order_id": "o-1", "status": "resting"},
    "orders": [{"order_id": "o-1", "order": {"order_id": "o-1"}, "reduced_by_fp": "1.00"}],
    "reduced_by_fp": "1.00",
}
ORDER_V1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 1, "yes_price": 40}


def sync_calls() -> dict[str, tuple[Callable[[Any], Any], str]]:
    # Each call is on the line after its ``def``; the warning must point there.
    def create(c: Any) -> Any:
        return c.create_order(**ORDER_V1)

    def amend(c: Any) -> Any:
        return c.amend_order("o-1", ticker=MARKET, side="yes", action="buy", yes_price=41)

    def decrease(c: Any) -> Any:
        return c.decrease_order("o-1", reduce_by=1)

    def cancel(c: Any) -> Any:
        return c.cancel_order("o-1")

    def batch_create(c: Any) -> Any:
        return c.batch_create_orders(orders=[ORDER_V1])

    def batch_cancel(c: Any) -> Any:
        return c.batch_cancel_orders(ids=["o-1"])

    return {
        "create_order": (create, "create_order_v2"),
        "amend_order": (amend, "amend_order_v2"),
        "decrease_order": (decrease, "decrease_order_v2"),
        "cancel_order": (cancel, "cancel_order_v2"),
        "batch_create_orders": (batch_create, "batch_create_orders_v2"),
        "batch_cancel_orders": (batch_cancel, "batch_cancel_orders_v2"),
    }


def async_calls() -> dict[str, tuple[Callable[[Any], Any], str]]:
    async def create(c: Any) -> Any:
        return await c.create_order(**ORDER_V1)

    async def amend(c: Any) -> Any:
        return await c.amend_order("o-1", ticker=MARKET, side="yes", action="buy", yes_price=41)

    async def decrease(c: Any) -> Any:
        return await c.decrease_order("o-1", reduce_by=1)

    async def cancel(c: Any) -> Any:
        return await c.cancel_order("o-1")

    async def batch_create(c: Any) -> Any:
        return await c.batch_create_orders(orders=[ORDER_V1])

    async def batch_cancel(c: Any) -> Any:
        return await c.batch_cancel_orders(ids=["o-1"])

    return {
        "create_order": (create, "create_order_v2"),
        "amend_order": (amend, "amend_order_v2"),
        "decrease_order": (decrease, "decrease_order_v2"),
        "cancel_order": (cancel, "cancel_order_v2"),
        "batch_create_orders": (batch_create, "batch_create_orders_v2"),
        "batch_cancel_orders": (batch_cancel, "batch_cancel_orders_v2"),
    }


LEGACY = list(sync_calls())


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_write_warns_at_the_callers_line(harness: Harness, name: str) -> None:
    fn, replacement = (async_calls() if harness.is_async else sync_calls())[name]
    server = Scripted(lambda r: (201 if r.method == "POST" else 200, V1_ANSWER))
    with (
        scripted_client(harness, "mock", server) as client,
        warnings.catch_warnings(record=True) as seen,
    ):
        warnings.simplefilter("always")
        result = harness.run(fn, client)
    assert result is not None
    assert len(server.requests) == 1
    [warning] = [w for w in seen if issubclass(w.category, DeprecationWarning)]
    assert f"{name} is a legacy V1 order write; use {replacement} instead" in str(warning.message)
    assert Path(warning.filename) == Path(__file__)
    assert warning.lineno == fn.__code__.co_firstlineno + 1


def test_legacy_builder_warns_at_the_callers_line() -> None:
    with pytest.warns(DeprecationWarning, match="use cancel_order_v2 instead") as seen:
        builders.cancel_order("o-1")
    assert Path(seen[0].filename) == Path(__file__)


def test_v2_writes_do_not_warn(harness: Harness) -> None:
    server = Scripted(lambda r: (201, {"order_id": "o-1"}))
    with scripted_client(harness, "mock", server) as client, warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        ack = harness.run(
            lambda c: c.create_order_v2(
                ticker=MARKET,
                side="bid",
                price="0.40",
                count="1",
                time_in_force="good_till_canceled",
                self_trade_prevention_type="maker",
            ),
            client,
        )
    assert ack.order_id == "o-1"
