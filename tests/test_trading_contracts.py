"""The trading helpers' contracts, sans-IO: tick grids from the spec's ``price_ranges``, intents
and their options, and split batches (``kalshi_core.trading``'s docstrings; spec 3.31)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import builders, models, trading
from kalshi_core.errors import PartialBatchError, ValidationError
from kalshi_core.models._converter import structure
from kalshi_core.trading import BatchPlan, TickGrid

from .conftest import MARKET
from .trading import V2_ORDER

D = Decimal


def body(call: Any) -> Any:
    return json.loads(call.body or b"")


def market(*ranges: dict[str, Any]) -> models.Market:
    return structure({"ticker": MARKET, "price_ranges": list(ranges)}, models.Market)


# -- tick grids ----------------------------------------------------------------------------------


def test_uniform_ticks_lie_strictly_between_0_and_1() -> None:
    for bad in ("0", "1", "-0.01", "1.5"):
        with pytest.raises(ValidationError) as info:
            TickGrid.uniform(bad)
        assert info.value.field == "tick"
        assert "between 0 and 1" in str(info.value)
    with pytest.raises(ValidationError) as info:
        TickGrid.uniform(0.01)  # type: ignore[arg-type]
    assert info.value.field == "tick"
    assert TickGrid.uniform("0.5").contains(D("0.5"))


def test_a_grid_includes_both_ends_of_each_range_and_counts_steps_from_its_start() -> None:
    grid = TickGrid.from_market(
        market(
            {"start": "0.003", "end": "0.103", "step": "0.01"},
            {"start": "0.2", "end": "0.9", "step": "0.05"},
        )
    )
    for price in ("0.003", "0.013", "0.103", "0.2", "0.9", "0.85"):
        assert grid.contains(D(price)), price
    for price in ("0.01", "0.016", "0.113", "0.21", "0.95", "0.1"):
        assert not grid.contains(D(price)), price


def test_incomplete_ranges_are_skipped_not_the_ones_after() -> None:
    grid = TickGrid.from_market(
        market(
            {"start": "0.0", "end": "0.5", "step": None},
            {"start": None, "end": "0.5", "step": "0.1"},
            {"start": "0.0", "end": None, "step": "0.1"},
            {"start": "0.5", "end": "1.0", "step": "0.1"},
        )
    )
    assert grid.ranges == ((D("0.5"), D("1.0"), D("0.1")),)


def test_grid_check_names_the_field_and_the_ticks() -> None:
    grid = TickGrid.uniform("0.01")
    with pytest.raises(ValidationError) as info:
        grid.check("0.305", where="yes_price")
    assert info.value.field == "yes_price"
    assert "0.01 from 0 to 1" in str(info.value)
    with pytest.raises(ValidationError) as info:
        grid.check(0.3, where="yes_price")  # type: ignore[arg-type]
    assert info.value.field == "yes_price"
    with pytest.raises(ValidationError) as info:
        grid.check("0.30001", where="yes_price")
    assert "more than 4 decimal places" in str(info.value)
    assert grid.check("0.30") == D("0.30")


# -- intents --------------------------------------------------------------------------------------


def test_intent_prices_are_dollar_amounts() -> None:
    with pytest.raises(ValidationError) as info:
        trading.yes_book("buy", "yes", "0.12345")
    assert info.value.field == "price"
    assert "dollar amounts" in str(info.value)
    assert trading.yes_book("BUY", "Yes", "0.1234") == ("bid", D("0.1234"))


def test_an_intent_whose_yes_price_is_off_a_grid_the_price_is_on_says_so() -> None:
    fine_then_coarse = TickGrid(((D("0"), D("0.1"), D("0.001")), (D("0.1"), D("1"), D("0.01"))))
    with pytest.raises(ValidationError) as info:
        trading.intent_request(
            ticker=MARKET,
            action="buy",
            outcome="no",
            price="0.055",
            count="1",
            tick=fine_then_coarse,
        )
    assert info.value.field == "price"
    assert "price grid" in str(info.value)
    ok = trading.intent_request(
        ticker=MARKET, action="buy", outcome="no", price="0.05", count="1", tick=fine_then_coarse
    )
    assert (ok["side"], ok["price"]) == ("ask", D("0.95"))


def test_order_intent_passes_every_option_through() -> None:
    call = trading.order_intent(
        ticker=MARKET,
        action="sell",
        outcome="yes",
        price="0.6",
        count="2",
        self_trade_prevention_type="maker",
        expiration_time=1_767_225_600,
        post_only=True,
        cancel_order_on_pause=True,
        exchange_index=0,
        client_order_id="i-1",
        subaccount=2,
    )
    sent = body(call)
    assert sent["self_trade_prevention_type"] == "maker"
    assert sent["expiration_time"] == 1_767_225_600
    assert sent["post_only"] is True
    assert sent["cancel_order_on_pause"] is True
    assert sent["exchange_index"] == 0
    assert (sent["client_order_id"], sent["subaccount"]) == ("i-1", 2)
    assert (sent["side"], sent["price"]) == ("ask", "0.60")


# -- split batches ------------------------------------------------------------------------------


def test_cancel_batches_take_ids_and_mappings() -> None:
    plan = trading.cancel_orders_in_batches([{"order_id": "a", "subaccount": 1}, "b"], size=1)
    sent = [body(c)["orders"] for c in plan.calls]
    assert sent == [[{"order_id": "a", "subaccount": 1}], [{"order_id": "b"}]]


def test_a_refusal_in_a_later_batch_keeps_its_reason_and_whole_list_index() -> None:
    good = dict(V2_ORDER)
    with pytest.raises(ValidationError) as info:
        trading.create_orders_in_batches([good] * 4 + [{**good, "side": "up"}], size=2)
    assert info.value.field == "orders[4].side"
    assert "'bid'" in str(info.value)


def test_batch_plan_states() -> None:
    call = builders.batch_cancel_orders_v2(orders=[{"order_id": "a"}])
    for calls, batches in (([], []), ([call], [])):
        with pytest.raises(ValueError, match="one call per batch"):
            BatchPlan(calls, batches)
    plan = BatchPlan([call], [["a"]])
    with pytest.raises(RuntimeError, match="no batch has been answered"):
        plan.result()
    plan.feed(models.BatchCancelOrdersV2Response(orders=[]))
    assert plan.next_call() is None
    with pytest.raises(RuntimeError, match="outstanding"):
        plan.feed(models.BatchCancelOrdersV2Response(orders=[]))


def test_a_failed_batch_reports_what_was_done_sent_and_not_sent() -> None:
    calls = [builders.batch_cancel_orders_v2(orders=[{"order_id": x}]) for x in "abc"]
    plan = BatchPlan(calls, [["a"], ["b"], ["c"]])
    first = structure(
        {"orders": [{"order_id": "a", "extra": 1}]}, models.BatchCancelOrdersV2Response
    )
    plan.feed(first)
    cause = RuntimeError("connection reset")
    error = plan.fail(cause)
    assert isinstance(error, PartialBatchError)
    assert error.__cause__ is cause
    assert "connection reset" in str(error)
    assert (error.failed, error.unsent) == (["b"], ["c"])
    assert [o.order_id for o in error.completed.orders] == ["a"]
    assert models.raw_json(error.completed) == {"orders": [{"order_id": "a", "extra": 1}]}
    assert plan.next_call() is None
    fresh = BatchPlan(calls, [["a"], ["b"], ["c"]])
    assert fresh.fail(cause).completed is None


def test_merged_answers_keep_every_items_raw_json() -> None:
    calls = [builders.batch_cancel_orders_v2(orders=[{"order_id": x}]) for x in "ab"]
    plan = BatchPlan(calls, [["a"], ["b"]])
    plan.feed(
        structure({"orders": [{"order_id": "a", "x": 1}]}, models.BatchCancelOrdersV2Response)
    )
    plan.feed(
        structure({"orders": [{"order_id": "b", "y": 2}]}, models.BatchCancelOrdersV2Response)
    )
    merged = plan.result()
    assert [o.order_id for o in merged.orders or []] == ["a", "b"]
    assert models.raw_json(merged) == {
        "orders": [{"order_id": "a", "x": 1}, {"order_id": "b", "y": 2}]
    }


def test_split_batches_refuses_what_cannot_be_split() -> None:
    order = dict(V2_ORDER)
    build = builders.batch_create_orders_v2
    for size in (0, 21, True):
        with pytest.raises(ValidationError) as info:
            trading.split_batches(build, [order], size=size)
        assert info.value.field == "size"
        assert "must be 1 to 20" in str(info.value)
    for orders, words in (("abc", "expected a list, got str"), ({}, "got dict"), ([], "at least")):
        with pytest.raises(ValidationError) as info:
            trading.split_batches(build, orders)  # type: ignore[arg-type]
        assert info.value.field == "orders"
        assert words in str(info.value)
