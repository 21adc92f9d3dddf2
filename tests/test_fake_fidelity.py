"""The fake exchange answers as Kalshi answers (issue 14), one test per behaviour, each through
the client on every driver, over MockTransport and over a loopback socket.

Sources: Kalshi's documentation (getting_started/maintenance_and_pauses, market_lifecycle,
fee_rounding, rate_limits, subaccounts; the changelog entries of June 2026 on V1 writes and
post-only cross cancels, and of the subaccount netting release) and the codes production
answers (``trading_is_paused``, ``invalid_price``, ``fill_or_kill_insufficient_resting_volume``).
"""

from __future__ import annotations

import pickle
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalshi_core import errors
from kalshi_core.models import raw_json
from kalshi_testing import ApiKey, FakeExchange, FakeRateLimits, mock_transport

from .conftest import MARKET, Harness
from .trading import D, v2


def orders_by_cid(harness: Harness, client: Any) -> dict[str, Any]:
    return {o.client_order_id: o for o in harness.collect(lambda c: c.get_orders.items(), client)}


# -- pauses ---------------------------------------------------------------------------------------
def test_a_paused_market_refuses_orders_with_409_and_still_cancels(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    resting = harness.run(lambda c: v2(c, "bid", "0.10", "1", client_order_id="r"), client)
    fake.pause_trading(MARKET)
    with pytest.raises(errors.TradingPausedError) as info:
        harness.run(lambda c: v2(c, "bid", "0.12", "1"), client)
    err = info.value
    assert (err.status, err.code, err.message) == (409, "trading_is_paused", "trading is paused")
    assert err.attempts == 1  # a 409 is not retried (the 503 it used to be was)
    with pytest.raises(errors.TradingPausedError):  # amends are refused too
        harness.run(
            lambda c: c.amend_order_v2(
                resting.order_id, ticker=MARKET, side="bid", price="0.11", count="1"
            ),
            client,
        )
    # Cancels still work during a trading pause.
    assert harness.run(lambda c: c.cancel_order_v2(resting.order_id), client).reduced_by == 1


def test_an_exchange_pause_blocks_cancels_too(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    resting = harness.run(lambda c: v2(c, "bid", "0.10", "2"), client)
    fake.pause_exchange()
    for attempt in (
        lambda c: v2(c, "bid", "0.12", "1"),
        lambda c: c.cancel_order_v2(resting.order_id),
        lambda c: c.decrease_order_v2(resting.order_id, reduce_by="1"),
        lambda c: c.cancel_all_orders(),
    ):
        with pytest.raises(errors.TradingPausedError) as info:
            harness.run(attempt, client)
        assert (info.value.status, info.value.code) == (409, "exchange_is_paused")
    fake.resume_exchange()
    # The order rested through the pause and can be canceled again.
    assert harness.run(lambda c: c.cancel_order_v2(resting.order_id), client).reduced_by == 2


def test_an_exchange_wide_trading_pause_keeps_resting_orders(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    harness.run(lambda c: v2(c, "bid", "0.10", "1", client_order_id="kept"), client)
    fake.pause_trading()  # the weekly maintenance pause
    with pytest.raises(errors.TradingPausedError):
        harness.run(lambda c: v2(c, "bid", "0.12", "1", ticker="HIGHNY-24JAN01-T65"), client)
    fake.resume_trading()
    assert orders_by_cid(harness, client)["kept"].status == "resting"


def test_a_paused_market_that_resumes_cancels_its_resting_orders(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    harness.run(lambda c: v2(c, "bid", "0.30", "5", client_order_id="a"), client)
    harness.run(lambda c: v2(c, "ask", "0.70", "5", client_order_id="b"), client)
    fake.pause_trading(MARKET)
    fake.resume_trading(MARKET)
    assert {o.status for o in orders_by_cid(harness, client).values()} == {"canceled"}
    assert fake.balance(account.user_id) == D(1000)  # the collateral came back
    fake.check_ledger()


# -- the market lifecycle -------------------------------------------------------------------------
def test_a_market_closes_at_its_close_time_and_refuses_every_order_operation(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.add_market("CLOSING-26-X", close_time=time.time() + 0.3)
    resting = harness.run(
        lambda c: v2(c, "bid", "0.40", "3", ticker="CLOSING-26-X", client_order_id="c"), client
    )
    time.sleep(0.4)  # past close_time by the fake's clock
    for attempt in (
        lambda c: v2(c, "bid", "0.41", "1", ticker="CLOSING-26-X"),
        lambda c: c.cancel_order_v2(resting.order_id),
        lambda c: c.decrease_order_v2(resting.order_id, reduce_to="1"),
        lambda c: c.amend_order_v2(
            resting.order_id, ticker="CLOSING-26-X", side="bid", price="0.42", count="3"
        ),
    ):
        with pytest.raises(errors.MarketClosedError) as info:
            harness.run(attempt, client)
        assert (info.value.status, info.value.code) == (409, "market_closed")
    # The resting order was canceled at the close and its collateral returned.
    order = harness.run(lambda c: c.get_order(resting.order_id), client).order
    assert order.status == "canceled"
    assert fake.markets["CLOSING-26-X"].status == "closed"
    assert fake.balance(account.user_id) == D(1000)
    fake.settle("CLOSING-26-X", "no")  # closed -> settled
    with pytest.raises(errors.MarketClosedError):
        harness.run(lambda c: v2(c, "bid", "0.41", "1", ticker="CLOSING-26-X"), client)
    fake.check_ledger()


# -- invalid orders -------------------------------------------------------------------------------
def test_an_off_tick_or_out_of_band_price_is_invalid_price(harness: Harness, client: Any) -> None:
    for price in ("0.505", "0.999"):  # off the 1-cent grid; 0.999 is also not on it
        with pytest.raises(errors.BadRequestError) as info:
            harness.run(lambda c, p=price: v2(c, "bid", p, "1"), client)
        assert (info.value.status, info.value.code) == (400, "invalid_price")
        assert info.value.message == "invalid price"
        assert price in (info.value.details or "")


def test_a_generic_invalid_order_says_why_in_details(harness: Harness, client: Any) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(lambda c: v2(c, "bid", "0.50", "1", order_group_id="no-such-group"), client)
    err = info.value
    assert (err.code, err.message) == ("invalid_order", "invalid order")
    assert err.details == "order group not found"


def test_a_crossing_post_only_order_is_refused_and_kept_as_canceled(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.45", 5)
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(
            lambda c: v2(c, "bid", "0.45", "2", post_only=True, client_order_id="po"), client
        )
    assert (info.value.code, info.value.message, info.value.details) == (
        "invalid_order",
        "invalid order",
        "post only cross",
    )
    record = orders_by_cid(harness, client)["po"]
    assert record.status == "canceled"
    assert record.fill_count_fp == 0
    single = harness.run(lambda c: c.get_order(record.order_id), client)
    raw = raw_json(single)
    assert raw is not None
    assert raw["order"]["last_update_reason"] == "PostOnlyCrossCancel"
    assert fake.balance(account.user_id) == D(1000)
    fake.check_ledger()


# -- fill or kill ---------------------------------------------------------------------------------
def test_fill_or_kill_that_cannot_fill_is_a_409(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.50", 5)
    with pytest.raises(errors.FillOrKillError) as info:
        harness.run(lambda c: v2(c, "bid", "0.50", "6", tif="fill_or_kill"), client)
    err = info.value
    assert (err.status, err.code) == (409, "fill_or_kill_insufficient_resting_volume")
    assert isinstance(err, errors.ConflictError)
    assert fake.balance(account.user_id) == D(1000)
    assert orders_by_cid(harness, client) == {}


def test_fill_or_kill_meeting_an_own_order_fills_before_the_self_trade_stand(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.49", 2, user_id="other")
    harness.run(lambda c: v2(c, "ask", "0.50", "5", client_order_id="own"), client)
    fake.seed_liquidity(MARKET, "ask", "0.50", 3, user_id="other")
    # taker_at_cross: the 2 at 0.49 fill, then the own ask stops it; the rest is canceled.
    stops = harness.run(
        lambda c: v2(c, "bid", "0.50", "4", tif="fill_or_kill", client_order_id="tac"), client
    )
    assert (stops.fill_count, stops.remaining_count) == (2, 0)
    assert orders_by_cid(harness, client)["own"].status == "resting"
    # maker: the own ask is canceled and matching goes on into the other seller's 3.
    fake.seed_liquidity(MARKET, "ask", "0.49", 1, user_id="other")
    goes_on = harness.run(
        lambda c: v2(c, "bid", "0.50", "4", tif="fill_or_kill", stp="maker"), client
    )
    assert (goes_on.fill_count, goes_on.remaining_count) == (4, 0)
    assert orders_by_cid(harness, client)["own"].status == "canceled"
    fake.check_ledger()


# -- V1 writes ------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_writes_are_410_by_default_with_a_typed_error_naming_the_v2_method(
    harness: Harness, client: Any, fake: FakeExchange
) -> None:
    calls = {
        "create_order_v2": lambda c: c.create_order(
            ticker=MARKET, side="yes", action="buy", count=1, yes_price=30
        ),
        "cancel_order_v2": lambda c: c.cancel_order("some-order"),
        "amend_order_v2": lambda c: c.amend_order(
            "some-order", ticker=MARKET, side="yes", action="buy", yes_price=31, count=1
        ),
        "decrease_order_v2": lambda c: c.decrease_order("some-order", reduce_by=1),
        "batch_create_orders_v2": lambda c: c.batch_create_orders(
            orders=[{"ticker": MARKET, "side": "yes", "action": "buy", "count": 1, "yes_price": 30}]
        ),
        "batch_cancel_orders_v2": lambda c: c.batch_cancel_orders(
            orders=[{"order_id": "some-order"}]
        ),
    }
    for replacement, attempt in calls.items():
        with pytest.raises(errors.DeprecatedEndpointError) as info:
            harness.run(attempt, client)
        err = info.value
        assert (err.status, err.code) == (410, "deprecated_v1_order_endpoint")
        assert err.replacement == replacement
        assert f"use {replacement} instead" in str(err)
        assert "Please switch to the V2 endpoints" in (err.message or "")
        again = pickle.loads(pickle.dumps(err))
        assert (type(again), again.replacement, str(again)) == (type(err), replacement, str(err))
    assert fake.orders == {}
    # Users replaying old flows turn V1 writes back on.
    fake.serve_v1_writes = True
    created = harness.run(calls["create_order_v2"], client)
    assert created.order.status == "resting"


# -- subaccounts ----------------------------------------------------------------------------------
def test_a_replayed_client_transfer_id_is_a_409(
    harness: Harness, client: Any, account: ApiKey, fake: FakeExchange
) -> None:
    harness.run(lambda c: c.create_subaccount(), client)
    transfer_id = "0b8ab4bb-5b7e-4d24-9d6c-4b2f5f0b7a10"

    def transfer(c: Any) -> Any:
        return c.apply_subaccount_transfer(
            client_transfer_id=transfer_id, from_subaccount=0, to_subaccount=1, amount_cents=100
        )

    harness.run(transfer, client)
    with pytest.raises(errors.ConflictError) as info:
        harness.run(transfer, client)
    assert info.value.status == 409
    assert fake.balance(account.user_id, 1) == D(1)  # applied once


def test_a_new_subaccount_inherits_the_primary_netting_setting(
    harness: Harness, client: Any
) -> None:
    harness.run(lambda c: c.update_subaccount_netting(subaccount_number=0, enabled=False), client)
    number = harness.run(lambda c: c.create_subaccount(), client).subaccount_number
    configs = harness.run(lambda c: c.get_subaccount_netting(), client).netting_configs
    assert {cfg.subaccount_number: cfg.enabled for cfg in configs} == {0: False, number: False}


# -- batches and the tier's write budget ----------------------------------------------------------
def test_batch_size_scales_with_the_tier_and_a_batch_is_admitted_whole(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    fake.rate_limits = FakeRateLimits("basic")  # write bucket: 100 tokens, 10 per order
    frozen = time.time()
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url="http://fake.test/trade-api/v2",
        transport=mock_transport(fake, clock=lambda: frozen),  # no refill during the test
        rate_limit=None,
        max_retries=0,
    )
    order = {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.10",
        "count": "1",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "maker",
    }
    with pytest.raises(errors.BadRequestError) as info:  # 11 orders never fit in 100 tokens
        harness.run(lambda c: c.batch_create_orders_v2(orders=[order] * 11), c)
    assert info.value.code == "invalid_parameters"
    assert "at most 10" in (info.value.message or "")
    batch = harness.run(lambda c: c.batch_create_orders_v2(orders=[order] * 10), c)
    assert len(batch.accepted) == 10
    # The bucket is empty now: the next batch is refused whole, nothing of it is placed.
    with pytest.raises(errors.RateLimitError):
        harness.run(lambda c: c.batch_create_orders_v2(orders=[order] * 10), c)
    assert len(fake.orders_of(account.user_id)) == 10


# -- fees -----------------------------------------------------------------------------------------
def test_many_small_fills_cost_what_one_fill_would(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    for i in range(10):
        fake.seed_liquidity(MARKET, "ask", "0.50", 1, user_id=f"seller-{i}")
    ack = harness.run(lambda c: v2(c, "bid", "0.50", "10", tif="immediate_or_cancel"), client)
    assert ack.fill_count == 10
    fills = harness.run(lambda c: c.get_fills(order_id=ack.order_id), client).fills
    # Each fill: trade fee 0.0175, rounded to the cent 0.02; the order's accumulator refunds a
    # cent once its rounding passes $0.01 (fills 5 and 9).
    fees = [f.fee_cost for f in sorted(fills, key=lambda f: f.created_time)]
    assert sum(fees) == D("0.18")  # one 10-lot fill: ceil(0.175) = 0.18; cent per fill: 0.20
    assert sorted(fees) == [D("0.01")] * 2 + [D("0.02")] * 8
    order = harness.run(lambda c: c.get_order(ack.order_id), client).order
    assert order.taker_fees_dollars == D("0.18")
    assert fake.balance(account.user_id) == D(1000) - D(5) - D("0.18")
    fake.check_ledger()


def test_series_fee_types_multipliers_and_event_overrides(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.add_series("KXFEE", fee_type="quadratic_with_maker_fees", fee_multiplier="2")
    fake.add_market("KXFEE-26JAN-A")
    fake.add_market("KXFEE-26FEB-A")
    fake.set_event_fees("KXFEE-26FEB", fee_type="flat", fee_multiplier="3")
    # Maker in a series with maker fees: 0.25 * 0.07 * 2 * 10 * 0.5 * 0.5 = 0.0875 -> 0.09.
    rest = harness.run(lambda c: v2(c, "bid", "0.50", "10", ticker="KXFEE-26JAN-A"), client)
    taker = fake.seed_liquidity("KXFEE-26JAN-A", "ask", "0.50", 10, user_id="hitter")
    assert taker.taker_fees == D("0.35")  # 0.07 * 2 * 10 * 0.25
    fills = harness.run(lambda c: c.get_fills(order_id=rest.order_id), client).fills
    assert [(f.is_taker, f.fee_cost) for f in fills] == [(False, D("0.09"))]
    # The event override: flat, 3 cents a contract whatever the price, takers only.
    fake.seed_liquidity("KXFEE-26FEB-A", "ask", "0.30", 4, user_id="maker")
    ack = harness.run(
        lambda c: v2(c, "bid", "0.30", "4", ticker="KXFEE-26FEB-A", tif="immediate_or_cancel"),
        client,
    )
    fills = harness.run(lambda c: c.get_fills(order_id=ack.order_id), client).fills
    assert [(f.is_taker, f.fee_cost) for f in fills] == [(True, D("0.12"))]
    assert fake.engine.orders[rest.order_id].maker_fees == D("0.09")
    fake.check_ledger()


def test_a_scalar_settlement_pays_whole_cents_and_keeps_the_rest_as_a_fee(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.40", 3)
    harness.run(lambda c: v2(c, "bid", "0.40", "3", tif="immediate_or_cancel"), client)
    trading_fees = fake.engine.positions[(account.user_id, 0, MARKET)].fees_paid
    before = fake.balance(account.user_id)
    fake.settle(MARKET, "scalar", value="0.4537")  # 3 * 0.4537 = 1.3611
    settlement = harness.run(lambda c: c.get_settlements(), client).settlements[0]
    assert settlement.revenue == 136  # cents
    assert settlement.fee_cost == trading_fees + D("0.0011")
    assert fake.balance(account.user_id) == before + D("1.36")
    fake.check_ledger()


def test_the_fake_reports_each_tier_s_budgets_and_capacities(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    expected = {  # tier: (read rate, read capacity, write rate, write capacity)
        "basic": (200, 400, 100, 100),
        "advanced": (300, 600, 300, 600),
        "expert": (600, 600, 600, 1200),
        "premier": (1000, 1000, 1000, 2000),
        "paragon": (2000, 2000, 2000, 4000),
        "prime": (4000, 4000, 4000, 8000),
        "prestige": (10000, 10000, 8000, 16000),
    }
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url="http://fake.test/trade-api/v2",
        transport=mock_transport(fake),
        rate_limit=None,
    )
    for tier, numbers in expected.items():
        fake.rate_limits = FakeRateLimits(tier)
        limits = harness.run(lambda c: c.get_account_api_limits(), c)
        assert limits.usage_tier == tier
        got = (
            limits.read.refill_rate,
            limits.read.bucket_capacity,
            limits.write.refill_rate,
            limits.write.bucket_capacity,
        )
        assert got == numbers, tier


def test_single_order_writes_on_a_shard_draw_from_its_own_write_bucket(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    fake.rate_limits = FakeRateLimits("basic")  # 100 write tokens: 10 creates per bucket
    frozen = time.time()
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url="http://fake.test/trade-api/v2",
        transport=mock_transport(fake, clock=lambda: frozen),  # no refill during the test
        rate_limit=None,
        max_retries=0,
    )
    for _ in range(10):
        harness.run(lambda c: v2(c, "bid", "0.10", "1"), c)
    with pytest.raises(errors.RateLimitError):
        harness.run(lambda c: v2(c, "bid", "0.10", "1"), c)
    # Shard 1 has its own full bucket.
    for _ in range(10):
        harness.run(lambda c: v2(c, "bid", "0.10", "1", exchange_index=1), c)
    with pytest.raises(errors.RateLimitError):
        harness.run(lambda c: v2(c, "bid", "0.10", "1", exchange_index=1), c)
    assert len(fake.orders_of(account.user_id)) == 20


# Kalshi's fee-rounding page, its three worked examples (balance precision $0.01): per fill,
# (revenue, trade fee) and the expected (rounding, accumulator, rebate, net fee).
FEE_ROUNDING_EXAMPLES = {
    "subpenny price: 3 x 1 at $0.055": (
        ("0.0550", "0.0085"),
        [
            ("0.0065", "0.0065", "0", "0.0150"),
            ("0.0065", "0.0030", "0.01", "0.0050"),
            ("0.0065", "0.0095", "0", "0.0150"),
        ],
    ),
    "fractional: 3 x 0.30 at $0.50": (
        ("0.1500", "0.0041"),
        [
            ("0.0059", "0.0059", "0", "0.0100"),
            ("0.0059", "0.0018", "0.01", "0.0000"),
            ("0.0059", "0.0077", "0", "0.0100"),
        ],
    ),
    "both: 3 x 0.03 at $0.3301": (
        ("0.009903", "0.0005"),
        [
            ("0.009597", "0.009597", "0", "0.010097"),
            ("0.009597", "0.009194", "0.01", "0.000097"),
            ("0.009597", "0.008791", "0.01", "0.000097"),
        ],
    ),
}


@pytest.mark.parametrize("example", list(FEE_ROUNDING_EXAMPLES))
def test_fee_rounding_reproduces_kalshi_s_worked_examples(example: str) -> None:
    from kalshi_testing._fees import fill_fee

    (cost, trade_fee), rows = FEE_ROUNDING_EXAMPLES[example]
    accumulator = Decimal(0)
    for rounding, after, rebate, net in rows:
        fee = fill_fee(Decimal(trade_fee), Decimal(cost), accumulator)
        assert (fee.rounding_fee, fee.accumulator, fee.rebate, fee.total) == (
            Decimal(rounding),
            Decimal(after),
            Decimal(rebate),
            Decimal(net),
        )
        accumulator = fee.accumulator


def test_the_trade_fee_is_rounded_up_to_the_centicent() -> None:
    from kalshi_testing._fees import FeeSchedule

    quadratic = FeeSchedule()
    # 0.07 x 0.30 x 0.5 x 0.5 = 0.00525 -> 0.0053; makers pay nothing on plain quadratic.
    assert quadratic.trade_fee(True, Decimal("0.30"), Decimal("0.50")) == Decimal("0.0053")
    assert quadratic.trade_fee(False, Decimal(10), Decimal("0.50")) == Decimal(0)
    makers = FeeSchedule("quadratic_with_maker_fees", Decimal(2))
    assert makers.trade_fee(False, Decimal(10), Decimal("0.50")) == Decimal("0.0875")
    combo = FeeSchedule("quadratic_with_combo_maker_fees", Decimal(1))
    assert combo.trade_fee(False, Decimal(10), Decimal("0.50")) == Decimal("0.0875")
    flat = FeeSchedule("flat", Decimal(3))
    assert flat.trade_fee(True, Decimal(4), Decimal("0.30")) == Decimal("0.12")
    assert flat.trade_fee(False, Decimal(4), Decimal("0.30")) == Decimal(0)


@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=40),
    st.integers(1, 99),
    st.sampled_from([1, 100]),
)
def test_many_small_fills_cost_within_a_cent_of_one_fill(
    pieces: list[int], cents: int, unit: int
) -> None:
    """Whatever the split of an order into fills, no fill's fee is negative and, for whole
    contracts (``unit`` 1), the total fee is within $0.01 (plus $0.0001 of trade-fee rounding
    per fill) of one fill's. (Fractional fills worth under a cent each, ``unit`` 100, can pay a
    cent each: the balance moves in whole cents.)"""
    from kalshi_testing._fees import FeeSchedule, fill_fee

    schedule, price = FeeSchedule(), Decimal(cents) / 100
    counts = [Decimal(p) / unit for p in pieces]

    def fee_of(count: Decimal, accumulator: Decimal) -> Any:
        return fill_fee(schedule.trade_fee(True, count, price), count * price, accumulator)

    accumulator, total = Decimal(0), Decimal(0)
    for count in counts:
        fee = fee_of(count, accumulator)
        assert fee.total >= 0
        accumulator, total = fee.accumulator, total + fee.total
    single = fee_of(sum(counts, Decimal(0)), Decimal(0)).total
    if unit == 1:
        assert abs(total - single) <= Decimal("0.01") + Decimal("0.0001") * len(counts)


def test_the_command_line_can_serve_v1_writes() -> None:
    from kalshi_testing.__main__ import _parser

    assert _parser().parse_args([]).serve_v1_writes is False
    assert _parser().parse_args(["--serve-v1-writes"]).serve_v1_writes is True
