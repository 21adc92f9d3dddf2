"""Order life cycles on the fake exchange, written from spec 3.31 (V2), spec 3.13 and the seeds
(V1): partial fills, amend, decrease, cancel, batches, time in force, post-only, self-trade
prevention, duplicate client order ids, queue positions, pause, expiry, reduce-only.

Each scenario runs on every driver over MockTransport and over a loopback socket."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import errors, models
from kalshi_testing import ApiKey, FakeError, FakeExchange

from .conftest import MARKET, Harness
from .trading import D, call, v1_buy, v2


def orders_by_id(harness: Harness, client: Any) -> dict[str, Any]:
    return {o.order_id: o for o in harness.collect(lambda c: c.get_orders.items(), client)}


def test_v2_order_partially_filled_then_amended_decreased_canceled(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    ack = harness.run(lambda c: v2(c, "bid", "0.56", "10", client_order_id="mine-1"), client)
    assert ack.fill_count == 0
    assert ack.remaining_count == 10
    # Another participant sells 3 YES into the bid: we are the maker, at our price.
    fake.seed_liquidity(MARKET, "ask", "0.56", 3, user_id="seller")
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.status == "resting"
    assert order.fill_count_fp == 3
    assert order.remaining_count_fp == 7
    assert order.maker_fill_cost_dollars == D("1.68")
    assert order.maker_fees_dollars == 0  # maker fees default to 0
    assert order.outcome_side == "yes"
    assert order.book_side == "bid"
    fills = harness.run(lambda c: c.get_fills(order_id=ack.order_id), client).fills
    assert [(f.count_fp, f.is_taker, f.yes_price_dollars, f.fee_cost) for f in fills] == [
        (D(3), False, D("0.56"), D(0))
    ]
    # Amend: count is the new max fillable total (3 filled + 10 resting), at a new price.
    amended = harness.run(
        lambda c: c.amend_order_v2(
            ack.order_id,
            ticker=MARKET,
            side="bid",
            price="0.57",
            count="13",
            client_order_id="mine-1",
            updated_client_order_id="mine-2",
        ),
        client,
    )
    assert isinstance(amended, models.AmendOrderV2Response)
    assert amended.remaining_count == 10
    assert amended.fill_count == 0
    assert amended.client_order_id == "mine-2"
    # 1000 - 3 * 0.56 paid - 10 * 0.57 locked
    assert fake.balance(account.user_id) == D("992.62")
    decreased = harness.run(lambda c: c.decrease_order_v2(ack.order_id, reduce_to="4"), client)
    assert decreased.remaining_count == 4
    decreased = harness.run(lambda c: c.decrease_order_v2(ack.order_id, reduce_by="1"), client)
    assert decreased.remaining_count == 3
    canceled = harness.run(lambda c: c.cancel_order_v2(ack.order_id), client)
    assert canceled.reduced_by == 3
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.status == "canceled"
    assert order.yes_price_dollars == D("0.57")
    assert order.fill_count_fp == 3
    assert order.remaining_count_fp == 0
    assert order.client_order_id == "mine-2"
    assert fake.balance(account.user_id) == D("998.32")
    position = harness.run(lambda c: c.get_positions(), client).market_positions[0]
    assert position.position_fp == 3
    assert position.market_exposure_dollars == D("1.68")
    fake.check_ledger()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_order_partially_filled_then_amended_decreased_canceled(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.serve_v1_writes = True  # V1 writes answer 410 unless the fake is told to serve them
    # Buy NO at 40 cents = an ask on the YES book at 0.60.
    created = harness.run(lambda c: v1_buy(c, "no", 40, 10, client_order_id="v1-a"), client)
    assert isinstance(created, models.CreateOrderResponse)
    order = created.order
    assert (order.side, order.action, order.status) == ("no", "buy", "resting")
    assert order.no_price_dollars == D("0.40")
    assert order.yes_price_dollars == D("0.60")
    # A YES buyer at 0.60 takes 4 of them; V2 and V1 share one book.
    fake.seed_liquidity(MARKET, "bid", "0.60", 4, user_id="yes-buyer")
    read = harness.run(lambda c: c.get_order(order.order_id), client).order
    assert read.fill_count_fp == 4
    assert read.book_side == "ask"
    assert read.outcome_side == "no"
    amended = harness.run(
        lambda c: c.amend_order(
            order.order_id, ticker=MARKET, side="no", action="buy", no_price=42, count=12
        ),
        client,
    )
    assert isinstance(amended, models.AmendOrderResponse)
    assert amended.old_order.no_price_dollars == D("0.40")
    assert amended.old_order.remaining_count_fp == 6
    assert amended.order.no_price_dollars == D("0.42")
    assert amended.order.remaining_count_fp == 8
    decreased = harness.run(lambda c: c.decrease_order(order.order_id, reduce_by=3), client)
    assert decreased.order.remaining_count_fp == 5
    canceled = harness.run(lambda c: c.cancel_order(order.order_id), client)
    assert canceled.reduced_by_fp == 5
    assert canceled.order.status == "canceled"
    # Paid 4 * 0.40 for four NO contracts; everything else came back.
    assert fake.balance(account.user_id) == D("998.40")
    position = harness.run(lambda c: c.get_positions(), client).market_positions[0]
    assert position.position_fp == -4
    fake.check_ledger()


def test_taker_fee_is_rounded_up_to_the_cent(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.33", 7)
    fake.seed_liquidity(MARKET, "ask", "0.35", 5)
    ack = harness.run(lambda c: v2(c, "bid", "0.35", "9", tif="immediate_or_cancel"), client)
    assert ack.fill_count == 9
    assert ack.remaining_count == 0
    # 0.07 * 7 * 0.33 * 0.67 = 0.108339 -> 0.11; 0.07 * 2 * 0.35 * 0.65 = 0.03185 -> 0.04.
    fills = harness.run(lambda c: c.get_fills(), client).fills
    assert sorted((f.yes_price_dollars, f.count_fp, f.fee_cost) for f in fills) == [
        (D("0.33"), D(7), D("0.11")),
        (D("0.35"), D(2), D("0.04")),
    ]
    assert all(f.is_taker for f in fills)
    # Volume-weighted, to the six decimals the spec allows in responses.
    assert ack.average_fill_price == D("0.334444")
    assert ack.average_fee_paid == D("0.016667")
    # The bid locked 0.35 a contract; fills at 0.33 gave 0.02 back on seven of them.
    assert fake.balance(account.user_id) == D(1000) - D("2.31") - D("0.70") - D("0.15")
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.taker_fees_dollars == D("0.15")
    assert order.taker_fill_cost_dollars == D("3.01")
    fake.check_ledger()


def test_maker_fee_is_configurable_per_market(fake: FakeExchange) -> None:
    fake.add_market("FEE-1", maker_fee_rate="0.0175")
    maker = fake.seed_liquidity("FEE-1", "bid", "0.50", 10, user_id="maker")
    taker = fake.seed_liquidity("FEE-1", "ask", "0.50", 10, user_id="taker")
    # maker: 0.0175 * 10 * 0.25 = 0.04375 -> 0.05; taker: 0.07 * 10 * 0.25 = 0.175 -> 0.18
    assert maker.maker_fees == D("0.05")
    assert taker.taker_fees == D("0.18")
    assert fake.check_ledger().fees == D("0.23")


def test_batch_create_reports_each_order(harness: Harness, client: Any, fake: FakeExchange) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.60", 5)
    good = {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.40",
        "count": "2",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
        "client_order_id": "b-1",
    }
    unknown_market = {**good, "ticker": "NO-SUCH-MARKET", "client_order_id": "b-2"}
    crossing_post_only = {**good, "price": "0.60", "post_only": True, "client_order_id": "b-3"}
    taker = {**good, "price": "0.60", "count": "1", "client_order_id": "b-4"}
    batch = harness.run(
        lambda c: c.batch_create_orders_v2(
            orders=[good, unknown_market, crossing_post_only, taker]
        ),
        client,
    )
    assert isinstance(batch, models.BatchCreateOrdersV2Response)
    first, second, third, fourth = batch.orders
    assert first.error is None
    assert first.order_id
    assert first.remaining_count == 2
    assert second.error is not None
    assert second.error.code == "market_not_found"
    assert second.order_id is None
    assert third.error is not None
    assert (third.error.code, third.error.details) == ("invalid_order", "post only cross")
    assert fourth.fill_count == 1
    assert fourth.average_fill_price == D("0.60")
    placed = orders_by_id(harness, client)
    # The crossing post-only order exists, canceled (Kalshi's PostOnlyCrossCancel).
    assert {o.client_order_id: o.status for o in placed.values()} == {
        "b-1": "resting",
        "b-3": "canceled",
        "b-4": "executed",
    }
    canceled = harness.run(
        lambda c: c.batch_cancel_orders_v2(
            orders=[{"order_id": first.order_id}, {"order_id": "no-such-order"}]
        ),
        client,
    )
    ok, missing = canceled.orders
    assert ok.reduced_by == 2
    assert ok.error is None
    assert missing.error is not None
    assert missing.error.code == "not_found"
    assert missing.reduced_by == 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_batches_report_each_order(harness: Harness, client: Any, fake: FakeExchange) -> None:
    fake.serve_v1_writes = True
    ok = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 1, "yes_price": 30}
    bad = {**ok, "ticker": "NO-SUCH-MARKET"}
    batch = harness.run(lambda c: c.batch_create_orders(orders=[ok, bad]), client)
    assert isinstance(batch, models.BatchCreateOrdersResponse)
    assert batch.orders[0].order is not None
    assert batch.orders[0].order.status == "resting"
    assert batch.orders[1].order is None
    assert batch.orders[1].error is not None
    order_id = batch.orders[0].order.order_id
    canceled = harness.run(
        lambda c: c.batch_cancel_orders(orders=[{"order_id": order_id}, {"order_id": "nope"}]),
        client,
    )
    assert canceled.orders[0].reduced_by_fp == 1
    assert canceled.orders[0].order is not None
    assert canceled.orders[0].order.status == "canceled"
    assert canceled.orders[1].error is not None


def test_batch_size_without_rate_limits_is_the_prime_tier_s(
    fake: FakeExchange, account: ApiKey
) -> None:
    one = {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.10",
        "count": "1",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "maker",
    }
    # No rate limits: the fake reports Prime (write bucket 8,000 tokens, 10 per order).
    for size, status in ((801, 400), (0, 400), (21, 201)):
        code, _ = call(
            fake, account, "POST", "/portfolio/events/orders/batched", {"orders": [one] * size}
        )
        assert code == status


def test_time_in_force_fill_or_kill_and_immediate_or_cancel(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.50", 5)
    with pytest.raises(errors.FillOrKillError) as info:
        harness.run(lambda c: v2(c, "bid", "0.50", "6", tif="fill_or_kill"), client)
    assert (info.value.status, info.value.code) == (409, "fill_or_kill_insufficient_resting_volume")
    assert orders_by_id(harness, client) == {}
    assert fake.balance(account.user_id) == D(1000)
    ioc = harness.run(lambda c: v2(c, "bid", "0.50", "6", tif="immediate_or_cancel"), client)
    assert ioc.fill_count == 5
    assert ioc.remaining_count == 0
    order = harness.run(lambda c: c.get_order(ioc.order_id), client).order
    assert order.status == "canceled"
    assert order.fill_count_fp == 5
    fake.seed_liquidity(MARKET, "ask", "0.55", 4)
    filled = harness.run(lambda c: v2(c, "bid", "0.55", "4", tif="fill_or_kill"), client)
    assert filled.fill_count == 4
    status = harness.run(lambda c: c.get_order(filled.order_id), client).order.status
    assert status == "executed"
    fake.check_ledger()


def test_post_only_is_rejected_when_it_would_cross(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.45", 5)
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(lambda c: v2(c, "bid", "0.45", "1", post_only=True), client)
    assert info.value.code == "invalid_order"
    rests = harness.run(lambda c: v2(c, "bid", "0.44", "1", post_only=True), client)
    assert rests.remaining_count == 1


def test_self_trade_prevention(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    own_ask = harness.run(lambda c: v2(c, "ask", "0.50", "5"), client)
    fake.seed_liquidity(MARKET, "ask", "0.49", 2)
    # taker_at_cross: trades the 2 at 0.49, then meets our own ask and cancels the rest.
    taker = harness.run(lambda c: v2(c, "bid", "0.50", "6", stp="taker_at_cross"), client)
    assert taker.fill_count == 2
    assert taker.remaining_count == 0
    assert harness.run(lambda c: c.get_order(own_ask.order_id), client).order.status == "resting"
    # maker: cancels our resting ask instead and keeps matching the book behind it.
    fake.seed_liquidity(MARKET, "ask", "0.50", 3)
    maker = harness.run(lambda c: v2(c, "bid", "0.50", "3", stp="maker"), client)
    assert maker.fill_count == 3
    assert harness.run(lambda c: c.get_order(own_ask.order_id), client).order.status == "canceled"
    fake.check_ledger()


def test_duplicate_client_order_id_is_a_409(harness: Harness, client: Any) -> None:
    harness.run(lambda c: v2(c, "bid", "0.20", "1", client_order_id="same"), client)
    with pytest.raises(errors.ConflictError) as info:
        harness.run(lambda c: v2(c, "bid", "0.21", "1", client_order_id="same"), client)
    assert info.value.status == 409
    assert info.value.code == "order_already_exists"


def test_queue_positions_follow_price_time_priority_and_the_amend_rule(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.50", 5, user_id="early")
    mine = harness.run(lambda c: v2(c, "bid", "0.50", "3"), client)
    fake.seed_liquidity(MARKET, "bid", "0.50", 2, user_id="late")
    other = harness.run(lambda c: v2(c, "bid", "0.40", "1"), client)

    def position(order_id: str) -> Decimal:
        return harness.run(lambda c: c.get_order_queue_position(order_id), client).queue_position_fp

    assert position(mine.order_id) == 5
    assert position(other.order_id) == 0
    # A seller takes 4 from the front of the level: 1 of "early" is left ahead of us.
    fake.seed_liquidity(MARKET, "ask", "0.50", 4, user_id="seller")
    assert position(mine.order_id) == 1
    # Decreasing size keeps our place ...
    harness.run(
        lambda c: c.amend_order_v2(
            mine.order_id, ticker=MARKET, side="bid", price="0.50", count="2"
        ),
        client,
    )
    assert position(mine.order_id) == 1
    # ... increasing it sends us to the back of the queue, behind "late".
    harness.run(
        lambda c: c.amend_order_v2(
            mine.order_id, ticker=MARKET, side="bid", price="0.50", count="3"
        ),
        client,
    )
    assert position(mine.order_id) == 3
    listed = harness.run(lambda c: c.get_order_queue_positions(market_tickers=MARKET), client)
    assert {(q.order_id, q.market_ticker, q.queue_position_fp) for q in listed.queue_positions} == {
        (mine.order_id, MARKET, D(3)),
        (other.order_id, MARKET, D(0)),
    }
    harness.run(lambda c: c.cancel_order_v2(other.order_id), client)
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: c.get_order_queue_position(other.order_id), client)


def test_amend_that_crosses_trades_at_once(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.60", 2)
    ack = harness.run(lambda c: v2(c, "bid", "0.50", "5"), client)
    amended = harness.run(
        lambda c: c.amend_order_v2(
            ack.order_id, ticker=MARKET, side="bid", price="0.60", count="5"
        ),
        client,
    )
    assert amended.fill_count == 2
    assert amended.remaining_count == 3
    assert amended.average_fill_price == D("0.60")
    fake.check_ledger()


def test_cancel_all_orders(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    for price in ("0.10", "0.11", "0.12"):
        harness.run(lambda c, p=price: v2(c, "bid", p, "1"), client)
    assert harness.run(lambda c: c.cancel_all_orders(), client) is None
    statuses = {o.status for o in orders_by_id(harness, client).values()}
    assert statuses == {"canceled"}
    assert fake.balance(account.user_id) == D(1000)


def test_pause_cancels_cancel_on_pause_orders_and_refuses_new_ones(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    kept = harness.run(lambda c: v2(c, "bid", "0.10", "1"), client)
    dropped = harness.run(lambda c: v2(c, "bid", "0.11", "1", cancel_order_on_pause=True), client)
    fake.pause_trading(MARKET)
    placed = orders_by_id(harness, client)
    assert placed[kept.order_id].status == "resting"
    assert placed[dropped.order_id].status == "canceled"
    with pytest.raises(errors.TradingPausedError) as info:
        harness.run(lambda c: v2(c, "bid", "0.12", "1"), client)
    assert (info.value.status, info.value.code) == (409, "trading_is_paused")
    assert info.value.message == "trading is paused"
    fake.resume_trading(MARKET)
    # Reactivating a paused market cancels every order resting in it.
    assert orders_by_id(harness, client)[kept.order_id].status == "canceled"
    assert harness.run(lambda c: v2(c, "bid", "0.12", "1"), client).remaining_count == 1


def test_expired_orders_are_canceled(fake: FakeExchange, account: ApiKey) -> None:
    now = time.time()
    status, ack = call(
        fake,
        account,
        "POST",
        "/portfolio/events/orders",
        {
            "ticker": MARKET,
            "side": "bid",
            "price": "0.20",
            "count": "2",
            "time_in_force": "good_till_canceled",
            "self_trade_prevention_type": "maker",
            "expiration_time": int(now) + 5,
        },
        now=now,
    )
    assert status == 201
    order = fake.orders[ack["order_id"]]
    assert order.status == "resting"
    status, _ = call(fake, account, "GET", "/portfolio/balance", now=now + 6)
    assert status == 200
    assert order.status == "canceled"
    assert fake.balance(account.user_id) == D(1000)
    status, body = call(
        fake,
        account,
        "POST",
        "/portfolio/events/orders",
        {
            "ticker": MARKET,
            "side": "bid",
            "price": "0.20",
            "count": "2",
            "time_in_force": "immediate_or_cancel",
            "self_trade_prevention_type": "maker",
            "expiration_time": int(now) + 5,
        },
        now=now,
    )
    assert status == 400
    assert body["error"]["code"] == "invalid_order"


def test_reduce_only_is_capped_by_the_position(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.40", 3)
    harness.run(lambda c: v2(c, "bid", "0.40", "3"), client)
    with pytest.raises(errors.ValidationError, match="reduce_only"):  # must be IOC: the client
        harness.run(lambda c: v2(c, "ask", "0.30", "3", reduce_only=True), client)  # says so
    fake.seed_liquidity(MARKET, "bid", "0.45", 10)
    ack = harness.run(
        lambda c: v2(c, "ask", "0.45", "10", reduce_only=True, tif="immediate_or_cancel"), client
    )
    assert ack.fill_count == 3  # capped at the 3 YES held
    positions = harness.run(lambda c: c.get_positions(), client).market_positions
    assert positions[0].position_fp == 0
    assert positions[0].realized_pnl_dollars == D("0.15")  # sold at 0.45 what cost 0.40
    fake.check_ledger()


def test_insufficient_balance_and_bad_prices(harness: Harness, client: Any) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(lambda c: v2(c, "bid", "0.50", "5000"), client)
    assert info.value.code == "insufficient_balance"
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(lambda c: v2(c, "bid", "0.505", "1"), client)  # off the 1-cent grid
    assert info.value.code == "invalid_price"
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: v2(c, "bid", "0.50", "1", ticker="NO-SUCH-MARKET"), client)


def test_the_amend_helper_refuses_an_order_off_the_book(fake: FakeExchange) -> None:
    """AmendOrderV2 answers 404 for a canceled or executed order; the fake's own helper refuses
    it too, rather than putting the order back on the book."""
    order = fake.seed_liquidity(MARKET, "bid", "0.30", 2, user_id="someone")
    fake.cancel_order(order.order_id)
    with pytest.raises(FakeError) as info:
        fake.amend_order(order.order_id, "0.31", 2)
    assert (info.value.status, info.value.code) == (404, "not_found")
    assert info.value.message == "order is not resting (it is canceled)"
    assert order.remaining == 0
    assert fake.engine.books[MARKET].depth("bid") == []
    fake.check_ledger()
