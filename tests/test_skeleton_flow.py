"""The five skeleton operations end to end, on every driver, over MockTransport and a socket."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import errors, models
from kalshi_testing import ApiKey, FakeExchange

from .conftest import MARKET, Harness


def place(c: Any, price: str, count: str = "2", side: str = "bid") -> Any:
    return c.create_order_v2(
        ticker=MARKET,
        side=side,
        price=price,
        count=count,
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )


def test_balance_starts_at_deposit(harness: Harness, client: Any) -> None:
    balance = harness.run(lambda c: c.get_balance(), client)
    assert isinstance(balance, models.GetBalanceResponse)
    assert balance.balance == 100_000
    assert balance.balance_dollars == Decimal("1000")
    assert isinstance(balance.balance_dollars, Decimal)


def test_create_rests_and_reserves_collateral(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    ack = harness.run(lambda c: place(c, "0.56", "10"), client)
    assert isinstance(ack, models.CreateOrderV2Response)
    assert ack.order_id
    assert ack.fill_count == Decimal("0")
    assert ack.remaining_count == Decimal("10")
    # A bid at 0.56 for 10 contracts holds 5.60 dollars; an ask at 0.60 holds 10 * 0.40.
    assert fake.balance(account.user_id) == Decimal("994.40")
    harness.run(lambda c: place(c, "0.60", "10", side="ask"), client)
    assert fake.balance(account.user_id) == Decimal("990.40")
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.status == models.OrderStatus.RESTING
    assert order.book_side == models.BookSide.BID
    assert order.outcome_side == "yes"
    assert order.yes_price_dollars == Decimal("0.56")
    assert order.no_price_dollars == Decimal("0.44")
    assert order.initial_count_fp == Decimal("10")
    assert order.created_time is not None
    assert order.created_time.tzinfo is not None


def test_cancel_reports_reduced_by_and_refunds(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    ack = harness.run(lambda c: place(c, "0.30", "5"), client)
    assert fake.balance(account.user_id) == Decimal("998.50")
    canceled = harness.run(lambda c: c.cancel_order_v2(ack.order_id), client)
    assert isinstance(canceled, models.CancelOrderV2Response)
    assert canceled.order_id == ack.order_id
    assert canceled.reduced_by == Decimal("5")
    assert fake.balance(account.user_id) == Decimal("1000")
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.status == "canceled"
    assert order.remaining_count_fp == 0
    with pytest.raises(errors.NotFoundError) as info:
        harness.run(lambda c: c.cancel_order_v2(ack.order_id), client)
    assert info.value.code == "not_found"


def test_pagination_walks_every_page_once(harness: Harness, client: Any) -> None:
    placed = [
        harness.run(lambda c, p=p: place(c, f"0.{p:02d}", "1"), client).order_id
        for p in range(10, 17)
    ]
    pages = harness.collect(lambda c: c.get_orders.pages(limit=3), client)
    assert [len(p.orders) for p in pages] == [3, 3, 1]
    assert pages[-1].cursor == ""
    orders = harness.collect(lambda c: c.get_orders.items(limit=3), client)
    assert sorted(o.order_id for o in orders) == sorted(placed)
    assert len({o.order_id for o in orders}) == 7
    # Filters travel with every page.
    resting = harness.collect(
        lambda c: c.get_orders.items(limit=2, status="resting", ticker=MARKET), client
    )
    assert len(resting) == 7
    first = harness.run(lambda c: c.get_orders(limit=3), client)
    assert len(first.orders) == 3
    assert first.cursor


def test_unknown_order_is_typed_not_found(harness: Harness, client: Any) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        harness.run(lambda c: c.get_order("no-such-order"), client)
    err = info.value
    assert err.status == 404
    assert err.method == "GET"
    assert err.path == "/portfolio/orders/no-such-order"
    assert err.code == "not_found"


def test_public_client_refuses_private_call(harness: Harness) -> None:
    c = harness.client(base_url="http://fake.test/trade-api/v2")
    with pytest.raises(ValueError, match="needs an API key"):
        harness.run(lambda c: c.get_balance(), c)
