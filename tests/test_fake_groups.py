"""Order groups as seed 004 describes them: a contracts limit over a rolling 15-second window of
matched contracts; when it is hit every order in the group is canceled and no new order can be
placed until the group is reset; trigger; a limit update that triggers at once; delete."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kalshi_core import errors, models
from kalshi_testing import ApiKey, FakeExchange

from .conftest import MARKET, Harness
from .trading import D, call, v2


def test_group_trips_at_its_limit_refuses_orders_and_works_after_reset(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    created = harness.run(lambda c: c.create_order_group(contracts_limit=5), client)
    assert isinstance(created, models.CreateOrderGroupResponse)
    group_id = created.order_group_id
    assert created.subaccount == 0
    first = harness.run(lambda c: v2(c, "bid", "0.40", "3", order_group_id=group_id), client)
    second = harness.run(lambda c: v2(c, "bid", "0.39", "10", order_group_id=group_id), client)
    group = harness.run(lambda c: c.get_order_group(group_id), client)
    assert set(group.orders) == {first.order_id, second.order_id}
    assert group.contracts_limit_fp == 5
    assert group.is_auto_cancel_enabled is False
    # 3 matched: under the limit, nothing happens.
    fake.seed_liquidity(MARKET, "ask", "0.40", 3, user_id="seller")
    assert harness.run(lambda c: c.get_order(second.order_id), client).order.status == "resting"
    # 2 more within 15 seconds: the limit is hit, the whole group is canceled.
    fake.seed_liquidity(MARKET, "ask", "0.39", 2, user_id="seller")
    order = harness.run(lambda c: c.get_order(second.order_id), client).order
    assert order.status == "canceled"
    assert order.fill_count_fp == 2
    assert harness.run(lambda c: c.get_order_group(group_id), client).is_auto_cancel_enabled
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(lambda c: v2(c, "bid", "0.30", "1", order_group_id=group_id), client)
    assert info.value.code == "invalid_order"
    harness.run(lambda c: c.reset_order_group(group_id), client)
    again = harness.run(lambda c: v2(c, "bid", "0.30", "1", order_group_id=group_id), client)
    assert again.remaining_count == 1
    listed = harness.run(lambda c: c.get_order_groups(), client).order_groups
    assert [(g.id, g.is_auto_cancel_enabled) for g in listed] == [(group_id, False)]
    fake.check_ledger()


def test_trigger_update_limit_and_delete(harness: Harness, client: Any, fake: FakeExchange) -> None:
    group_id = harness.run(
        lambda c: c.create_order_group(contracts_limit=10), client
    ).order_group_id
    resting = harness.run(lambda c: v2(c, "bid", "0.20", "2", order_group_id=group_id), client)
    harness.run(lambda c: c.trigger_order_group(group_id), client)
    assert harness.run(lambda c: c.get_order(resting.order_id), client).order.status == "canceled"
    with pytest.raises(errors.BadRequestError):
        harness.run(lambda c: v2(c, "bid", "0.20", "1", order_group_id=group_id), client)
    harness.run(lambda c: c.reset_order_group(group_id), client)
    # 4 contracts match; lowering the limit to 4 means it is already hit: triggers at once.
    live = harness.run(lambda c: v2(c, "bid", "0.25", "6", order_group_id=group_id), client)
    fake.seed_liquidity(MARKET, "ask", "0.25", 4, user_id="seller")
    assert harness.run(lambda c: c.get_order(live.order_id), client).order.status == "resting"
    harness.run(lambda c: c.update_order_group_limit(group_id, contracts_limit=4), client)
    assert harness.run(lambda c: c.get_order(live.order_id), client).order.status == "canceled"
    group = harness.run(lambda c: c.get_order_group(group_id), client)
    assert group.contracts_limit_fp == 4
    assert group.is_auto_cancel_enabled
    harness.run(lambda c: c.reset_order_group(group_id), client)
    last = harness.run(lambda c: v2(c, "bid", "0.21", "1", order_group_id=group_id), client)
    harness.run(lambda c: c.delete_order_group(group_id), client)
    assert harness.run(lambda c: c.get_order(last.order_id), client).order.status == "canceled"
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: c.get_order_group(group_id), client)
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: c.reset_order_group("no-such-group"), client)


def test_the_window_rolls_after_fifteen_seconds(fake: FakeExchange, account: ApiKey) -> None:
    t0 = time.time()
    status, body = call(
        fake, account, "POST", "/portfolio/order_groups/create", {"contracts_limit": 5}, now=t0
    )
    assert status == 201
    group_id = body["order_group_id"]
    order = {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.50",
        "count": "20",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "maker",
        "order_group_id": group_id,
    }
    status, ack = call(fake, account, "POST", "/portfolio/events/orders", order, now=t0)
    assert status == 201
    fake.seed_liquidity(MARKET, "ask", "0.50", 4, user_id="seller", now=t0 + 1)
    # 16 seconds later the first 4 have left the window: 4 more do not hit the limit of 5.
    fake.seed_liquidity(MARKET, "ask", "0.50", 4, user_id="seller", now=t0 + 17)
    assert fake.orders[ack["order_id"]].status == "resting"
    fake.seed_liquidity(MARKET, "ask", "0.50", 1, user_id="seller", now=t0 + 18)
    assert fake.orders[ack["order_id"]].status == "canceled"
    status, group = call(fake, account, "GET", f"/portfolio/order_groups/{group_id}", now=t0 + 18)
    assert status == 200
    assert group["is_auto_cancel_enabled"] is True
    fake.check_ledger()


@pytest.mark.parametrize(
    "body",
    [{}, {"contracts_limit": 0}, {"contracts_limit": 3, "contracts_limit_fp": "4.00"}],
)
def test_create_group_rejects_bad_limits(
    fake: FakeExchange, account: ApiKey, body: dict[str, Any]
) -> None:
    status, answer = call(fake, account, "POST", "/portfolio/order_groups/create", body)
    assert status == 400
    assert answer["error"]["code"] == "invalid_parameters"


def test_group_limit_as_fixed_point(fake: FakeExchange, account: ApiKey) -> None:
    status, body = call(
        fake, account, "POST", "/portfolio/order_groups/create", {"contracts_limit_fp": "7.00"}
    )
    assert status == 201
    assert fake.engine.groups[body["order_group_id"]].limit == D(7)
