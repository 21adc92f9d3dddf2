"""The fake exchange's engine, called directly: market and exchange pauses, close and
settlement, order groups, listeners and events.

Each test states a rule of the exchange (from the spec and the seeds) and fails when the
engine breaks it; ``nox -s mutation -- engine`` measures how many bug-like changes they catch.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import EventLog, FakeError, FakeExchange
from kalshi_testing._engine import Engine
from kalshi_testing._events import (
    BookChanged,
    Flushed,
    GroupChanged,
    MarketChanged,
    OrderChanged,
    PositionChanged,
)
from kalshi_testing._state import Order, OrderGroup

D = Decimal
A = "LIFE-26JAN01-A"
B = "LIFE-26JAN01-B"
CLOCK = 1000.0


@pytest.fixture
def ex() -> FakeExchange:
    """Two markets without fees (so every balance is collateral and payouts to the cent),
    and three funded participants; the exchange's own clock stands still at ``CLOCK``."""
    fake = FakeExchange(clock=lambda: CLOCK)
    for ticker in (A, B):
        fake.add_market(ticker, taker_fee_rate="0", maker_fee_rate="0", now=0.0)
    for user in ("alice", "bob", "carol"):
        fake.add_participant(user, balance="100")
    return fake


@pytest.fixture
def log(ex: FakeExchange) -> Iterator[EventLog]:
    events = EventLog()
    ex.engine.listen(events)
    yield events
    ex.engine.unlisten(events)


def bid(
    ex: FakeExchange, user: str, price: str, count: int, at: float, *, ticker: str = A, **kw: Any
) -> Order:
    return ex.place_order(user, ticker, "bid", price, count, now=at, **kw)


def ask(
    ex: FakeExchange, user: str, price: str, count: int, at: float, *, ticker: str = A, **kw: Any
) -> Order:
    return ex.place_order(user, ticker, "ask", price, count, now=at, **kw)


def refused(exc: pytest.ExceptionInfo[FakeError]) -> tuple[int, str, str, str | None]:
    e = exc.value
    return e.status, e.code, e.message, e.details


def market_events(log: EventLog) -> list[tuple[str, str, float]]:
    return [(e.market.ticker, e.event_type, e.ts) for e in log.of(MarketChanged)]


def group_events(log: EventLog) -> list[tuple[str, str, float]]:
    return [(e.group.group_id, e.event_type, e.ts) for e in log.of(GroupChanged)]


# -- listeners ------------------------------------------------------------------------------------
def test_a_listener_hears_each_flush_until_it_stops_listening() -> None:
    engine = Engine()
    first, second = EventLog(), EventLog()
    engine.flush(1.0)  # nobody listens: nothing to hear, nothing breaks
    engine.listen(first)
    engine.listen(second)
    engine.flush(2.0)
    engine.unlisten(first)
    engine.unlisten(first)  # a second unlisten is a no-op
    engine.unlisten(EventLog())  # so is one for a listener never registered
    engine.flush(3.0)
    assert first.events == [Flushed(2.0)]
    assert second.events == [Flushed(2.0), Flushed(3.0)]


def test_a_new_engine_is_empty_open_and_keeps_cents() -> None:
    engine = Engine()
    stores = (
        engine.users, engine.markets, engine.events, engine.series_info, engine.books,
        engine.orders, engine.fills, engine.positions, engine.settlements, engine.groups,
        engine.movements, engine.subaccount_transfers, engine.intra_transfers, engine.trades,
        engine.series, engine.event_fees,
    )  # fmt: skip
    assert all(isinstance(store, (dict, list)) and len(store) == 0 for store in stores)
    assert (engine.trading_paused, engine.exchange_paused) == (False, False)
    assert type(engine.trading_paused) is type(engine.exchange_paused) is bool
    assert engine.balance_precision == D("0.01")
    assert engine.fees_collected == 0
    assert engine.ledger().balanced


def test_sequence_numbers_increase_strictly() -> None:
    engine = Engine()
    numbers = [engine.seq() for _ in range(5)]
    assert numbers == sorted(set(numbers))
    assert numbers[-1] - numbers[0] == 4


def test_book_order_and_position_events_carry_the_change_and_its_time(
    ex: FakeExchange, log: EventLog
) -> None:
    maker = bid(ex, "alice", "0.40", 3, 10.0)
    taker = ask(ex, "bob", "0.40", 2, 20.0)
    books = [(e.book_side, e.price, e.delta, e.order, e.cause, e.ts) for e in log.of(BookChanged)]
    assert books == [
        ("bid", D("0.40"), D(3), maker, maker, 10.0),  # the order rests: its own action
        ("bid", D("0.40"), D(-2), maker, taker, 20.0),  # the taker took 2 of it
    ]
    assert all(e.ticker == A for e in log.of(BookChanged))
    orders = [(e.order, e.ts) for e in log.of(OrderChanged)]
    assert orders[0] == (maker, 10.0)
    assert (taker, 20.0) in orders
    assert (maker, 20.0) in orders
    positions = {(e.position.user_id, e.ts) for e in log.of(PositionChanged)}
    assert positions == {("alice", 20.0), ("bob", 20.0)}


# -- pauses ---------------------------------------------------------------------------------------
def test_pausing_a_market_cancels_only_its_cancel_on_pause_orders(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    keep = bid(ex, "alice", "0.40", 5, 10.0)
    drop = bid(ex, "alice", "0.30", 10, 11.0, cancel_order_on_pause=True)
    elsewhere = bid(ex, "alice", "0.20", 10, 12.0, ticker=B, cancel_order_on_pause=True)
    assert ex.balance("alice") == D("100") - D("2.00") - D("3.00") - D("2.00")
    engine.pause([A], 50.0)
    assert engine.markets[A].status == "paused"
    assert engine.markets[B].status == "active"
    assert (drop.status, drop.canceled, drop.updated) == ("canceled", D(10), 50.0)
    assert drop.close_cancel_count == 0  # a pause is not a close
    assert (keep.status, keep.updated) == ("resting", 10.0)
    assert (elsewhere.status, elsewhere.updated) == ("resting", 12.0)
    assert ex.balance("alice") == D("100") - D("2.00") - D("2.00")
    assert market_events(log) == [(A, "deactivated", 50.0)]
    cancels = [e for e in log.of(BookChanged) if e.delta < 0]
    assert [(e.order, e.cause, e.ts) for e in cancels] == [(drop, None, 50.0)]
    assert (drop, 50.0) in [(e.order, e.ts) for e in log.of(OrderChanged)]
    # New orders and amends are refused; cancels still work.
    with pytest.raises(FakeError) as info:
        bid(ex, "bob", "0.40", 1, 60.0)
    assert refused(info) == (409, "trading_is_paused", "trading is paused", A)
    assert ex.cancel_order(keep.order_id, now=61.0) == 5
    # Pausing again changes nothing and says nothing.
    engine.pause([A], 70.0)
    assert market_events(log) == [(A, "deactivated", 50.0)]
    ex.check_ledger()


def test_only_an_active_market_can_be_paused(ex: FakeExchange, log: EventLog) -> None:
    ex.close_market(A, now=5.0)
    ex.settle(B, "no", now=6.0)
    ex.engine.pause([A, B], 10.0)
    assert (ex.markets[A].status, ex.markets[B].status) == ("closed", "settled")
    assert [e for e in market_events(log) if e[1] == "deactivated"] == []
    with pytest.raises(FakeError) as info:
        ex.engine.pause(["NOPE"], 10.0)
    assert refused(info)[:2] == (404, "market_not_found")


def test_resuming_a_market_reactivates_it_and_cancels_every_resting_order(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    first = bid(ex, "alice", "0.40", 5, 10.0)
    second = ask(ex, "bob", "0.60", 4, 11.0)
    other = bid(ex, "carol", "0.50", 2, 12.0, ticker=B)
    engine.pause([A], 20.0)
    assert first.status == second.status == "resting"
    engine.resume([A, B], 30.0)  # B was never paused: untouched
    assert engine.markets[A].status == "active"
    assert market_events(log) == [(A, "deactivated", 20.0), (A, "activated", 30.0)]
    for order, count in ((first, 5), (second, 4)):
        assert (order.status, order.canceled, order.updated) == ("canceled", D(count), 30.0)
        assert order.close_cancel_count == 0
    assert (other.status, other.updated) == ("resting", 12.0)
    assert ex.balance("alice") == ex.balance("bob") == D("100")
    causes = [(e.order, e.cause, e.ts) for e in log.of(BookChanged) if e.delta < 0]
    assert sorted(causes, key=lambda c: c[0].price) == [(first, None, 30.0), (second, None, 30.0)]
    # Trading works again at once.
    again = bid(ex, "alice", "0.45", 1, 40.0)
    assert again.status == "resting"
    ex.check_ledger()


def test_the_maintenance_pause_stops_new_orders_everywhere_until_it_ends(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    keep = bid(ex, "alice", "0.40", 5, 10.0)
    drop_a = bid(ex, "alice", "0.30", 1, 11.0, cancel_order_on_pause=True)
    drop_b = ask(ex, "bob", "0.70", 2, 12.0, ticker=B, cancel_order_on_pause=True)
    engine.pause_trading(50.0)
    assert engine.trading_paused is True
    assert (drop_a.status, drop_a.updated) == ("canceled", 50.0)
    assert (drop_b.status, drop_b.updated) == ("canceled", 50.0)
    assert (keep.status, keep.updated) == ("resting", 10.0)
    assert ex.markets[A].status == ex.markets[B].status == "active"
    assert market_events(log) == []
    for ticker in (A, B):
        with pytest.raises(FakeError) as info:
            bid(ex, "carol", "0.10", 1, 60.0, ticker=ticker)
        assert refused(info) == (409, "trading_is_paused", "trading is paused", ticker)
    assert ex.cancel_order(keep.order_id, now=61.0) == 5  # cancels still work
    engine.resume_trading()
    assert engine.trading_paused is False
    assert bid(ex, "carol", "0.10", 1, 70.0).status == "resting"
    ex.check_ledger()


def test_the_exchange_pause_refuses_even_cancels_until_it_ends(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    keep = bid(ex, "alice", "0.40", 5, 10.0)
    drop = bid(ex, "alice", "0.30", 1, 11.0, ticker=B, cancel_order_on_pause=True)
    engine.pause_exchange(50.0)
    assert engine.exchange_paused is True
    assert (drop.status, drop.canceled, drop.updated) == ("canceled", D(1), 50.0)
    assert (keep.status, keep.updated) == ("resting", 10.0)
    with pytest.raises(FakeError) as info:
        engine.cancellable(A)
    assert refused(info) == (409, "exchange_is_paused", "exchange is paused", None)
    with pytest.raises(FakeError) as info:
        bid(ex, "carol", "0.10", 1, 60.0)
    assert refused(info)[:2] == (409, "exchange_is_paused")
    engine.resume_exchange()
    assert engine.exchange_paused is False
    assert ex.cancel_order(keep.order_id, now=70.0) == 5
    assert ex.balance("alice") == D("100")
    ex.check_ledger()


# -- close ----------------------------------------------------------------------------------------
def test_closing_early_moves_the_close_time_and_cancels_resting_orders(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    engine.markets[A].close_time = 500.0
    resting = bid(ex, "alice", "0.40", 5, 10.0)
    partly = ask(ex, "bob", "0.60", 4, 11.0)
    bid(ex, "carol", "0.60", 1, 12.0)  # takes 1 of bob's 4
    other = bid(ex, "carol", "0.30", 2, 13.0, ticker=B)
    engine.close(A, 100.0)
    market = engine.markets[A]
    assert (market.status, market.close_time) == ("closed", 100.0)
    assert market_events(log) == [(A, "close_date_updated", 100.0)]
    assert (resting.status, resting.close_cancel_count, resting.updated) == (
        "canceled",
        D(5),
        100.0,
    )
    assert (partly.status, partly.filled, partly.close_cancel_count) == ("canceled", 1, D(3))
    assert other.status == "resting"
    cancels = [(e.order, e.cause, e.ts) for e in log.of(BookChanged) if e.delta < 0 and e.ts == 100]
    assert {c[0].order_id for c in cancels} == {resting.order_id, partly.order_id}
    assert all(c[1:] == (None, 100.0) for c in cancels)
    assert ex.balance("alice") == D("100")
    # Every order operation is refused now, cancels included.
    with pytest.raises(FakeError) as info:
        engine.cancellable(A)
    assert refused(info) == (409, "market_closed", "market closed", A)
    # Closing again changes nothing, not even with an earlier time: the close time is final.
    engine.close(A, 200.0)
    engine.close(A, 50.0)
    assert (market.status, market.close_time) == ("closed", 100.0)
    assert market_events(log) == [(A, "close_date_updated", 100.0)]
    ex.check_ledger()


def test_a_market_without_close_time_closes_now(ex: FakeExchange, log: EventLog) -> None:
    assert ex.markets[A].close_time is None
    ex.engine.close(A, 42.0)
    assert ex.markets[A].close_time == 42.0
    assert market_events(log) == [(A, "close_date_updated", 42.0)]


@pytest.mark.parametrize("late", [0.0, 25.0])
def test_closing_at_or_after_the_close_time_keeps_it(
    ex: FakeExchange, log: EventLog, late: float
) -> None:
    ex.markets[A].close_time = 100.0
    order = bid(ex, "alice", "0.40", 5, 10.0)
    ex.engine.close(A, 100.0 + late)
    assert (ex.markets[A].status, ex.markets[A].close_time) == ("closed", 100.0)
    assert market_events(log) == []  # the close date did not change
    assert (order.status, order.close_cancel_count, order.updated) == ("canceled", 5, 100 + late)


def test_a_settled_market_stays_settled_when_closed(ex: FakeExchange, log: EventLog) -> None:
    ex.settle(A, "yes", now=10.0)
    ex.engine.close(A, 20.0)
    assert (ex.markets[A].status, ex.markets[A].close_time) == ("settled", None)
    assert [e[1] for e in market_events(log)] == ["determined", "settled"]


# -- settlement -----------------------------------------------------------------------------------
def _holdings(ex: FakeExchange) -> None:
    """alice holds 3 YES bought at 0.40, bob 3 NO bought at 0.60 (he sold YES at 0.40); carol
    holds 2 YES at 0.30 in market B; alice also rests a bid for 5 at 0.35 in A."""
    bid(ex, "alice", "0.40", 3, 10.0)
    ask(ex, "bob", "0.40", 3, 11.0)
    ask(ex, "bob", "0.70", 2, 12.0, ticker=B)
    bid(ex, "carol", "0.70", 2, 13.0, ticker=B)
    bid(ex, "alice", "0.35", 5, 14.0)


def test_settling_yes_pays_each_yes_a_dollar_and_cancels_resting_orders(
    ex: FakeExchange, log: EventLog
) -> None:
    _holdings(ex)
    resting = next(o for o in ex.orders_of("alice") if o.status == "resting")
    last = ex.engine.seq()
    ex.engine.settle(A, "yes", None, 100.0)
    market = ex.markets[A]
    assert (market.status, market.result, market.settlement_value, market.settled_time) == (
        "settled",
        "yes",
        D(1),
        100.0,
    )
    assert market_events(log) == [(A, "determined", 100.0), (A, "settled", 100.0)]
    assert (resting.status, resting.close_cancel_count, resting.updated) == ("canceled", 5, 100.0)
    # alice paid 1.20 for 3 YES and gets 3.00; bob paid 1.80 for 3 NO and gets nothing.
    assert ex.balance("alice") == D("100") - D("1.20") + D("3")
    assert ex.balance("bob") == D("100") - D("1.80") - D("0.60")  # and his B order's 0.60
    assert ex.users["bob"].accounts[0].updated == 100.0  # settled, though he received nothing
    records = {s.user_id: s for s in ex.engine.settlements}
    assert set(records) == {"alice", "bob"}  # carol's B position is not settled
    alice, bob = records["alice"], records["bob"]
    assert (alice.ticker, alice.event_ticker, alice.result, alice.value) == (
        A,
        "LIFE-26JAN01",
        "yes",
        D(1),
    )
    assert (alice.yes_count, alice.yes_cost, alice.no_count, alice.no_cost) == (3, D("1.20"), 0, 0)
    assert (alice.payout, alice.settlement_fee, alice.fees, alice.settled) == (3, 0, 0, 100.0)
    assert (bob.yes_count, bob.no_count, bob.no_cost, bob.payout) == (0, 3, D("1.80"), 0)
    assert (alice.subaccount, bob.subaccount) == (0, 0)
    assert last < alice.sequence
    assert last < bob.sequence
    assert alice.sequence != bob.sequence
    positions = ex.engine.positions
    held = positions[("alice", 0, A)]
    assert (held.yes_count, held.no_count, held.yes_cost, held.updated) == (0, 0, 0, 100.0)
    assert held.realized_pnl == D("1.80")
    assert positions[("bob", 0, A)].realized_pnl == D("-1.80")
    carol = positions[("carol", 0, B)]
    assert (carol.yes_count, carol.yes_cost, carol.realized_pnl) == (2, D("1.40"), 0)
    settled = {(e.position.user_id, e.position.ticker, e.ts) for e in log.of(PositionChanged)}
    assert {("alice", A, 100.0), ("bob", A, 100.0)} <= settled
    ledger = ex.check_ledger()
    assert ledger.open_pairs == 2  # carol's pair in B only


def test_settling_no_pays_each_no_a_dollar(ex: FakeExchange) -> None:
    _holdings(ex)
    ex.settle(A, "no", now=100.0)
    assert ex.markets[A].settlement_value == 0
    assert ex.balance("alice") == D("100") - D("1.20")
    assert ex.balance("bob") == D("100") - D("1.80") + D("3") - D("0.60")
    payouts = {s.user_id: (s.result, s.value, s.payout) for s in ex.engine.settlements}
    assert payouts == {"alice": ("no", D(0), D(0)), "bob": ("no", D(0), D(3))}
    assert ex.engine.positions[("bob", 0, A)].realized_pnl == D("1.20")
    ex.check_ledger()


def test_a_scalar_payout_is_floored_to_the_cent_and_the_rest_is_a_fee(
    ex: FakeExchange, log: EventLog
) -> None:
    _holdings(ex)
    fees = ex.engine.fees_collected
    ex.engine.settle(A, "scalar", D("0.333"), 100.0)
    # alice: 3 x 0.333 = 0.999 -> 0.99 and 0.009 of fee; bob: 3 x 0.667 = 2.001 -> 2.00 + 0.001.
    records = {s.user_id: s for s in ex.engine.settlements}
    alice, bob = records["alice"], records["bob"]
    assert (alice.result, alice.value) == ("scalar", D("0.333"))
    assert (alice.payout, alice.settlement_fee, alice.fees) == (D("0.99"), D("0.009"), D("0.009"))
    assert (bob.payout, bob.settlement_fee, bob.fees) == (D("2.00"), D("0.001"), D("0.001"))
    assert ex.engine.fees_collected == fees + D("0.010")
    assert ex.balance("alice") == D("100") - D("1.20") + D("0.99")
    assert ex.engine.positions[("alice", 0, A)].fees_paid == D("0.009")
    assert ex.engine.positions[("alice", 0, A)].realized_pnl == D("0.99") - D("1.20")
    assert ex.markets[A].settlement_value == D("0.333")
    ex.check_ledger()


def test_without_netting_both_sides_are_paid(ex: FakeExchange) -> None:
    ex.engine.set_netting("alice", 0, False, 1.0)
    bid(ex, "alice", "0.40", 2, 10.0)
    ask(ex, "bob", "0.40", 2, 11.0)  # alice: 2 YES at 0.40
    ask(ex, "alice", "0.70", 1, 12.0)
    bid(ex, "carol", "0.70", 1, 13.0)  # alice: 1 NO at 0.30
    held = ex.engine.positions[("alice", 0, A)]
    assert (held.yes_count, held.no_count) == (2, 1)
    ex.settle(A, "scalar", value="0.25", now=100.0)
    # 2 x 0.25 + 1 x 0.75 = 1.25, exactly: no settlement fee.
    record = next(s for s in ex.engine.settlements if s.user_id == "alice")
    assert (record.yes_count, record.no_count, record.payout, record.settlement_fee) == (
        2,
        1,
        D("1.25"),
        0,
    )
    assert (record.yes_cost, record.no_cost) == (D("0.80"), D("0.30"))
    assert held.realized_pnl == D("1.25") - D("1.10")
    assert ex.balance("alice") == D("100") - D("1.10") + D("1.25")
    ex.check_ledger()


def test_flat_positions_get_no_settlement(ex: FakeExchange) -> None:
    # Positions in another market come first: settling A passes over them.
    bid(ex, "carol", "0.50", 1, 0.0, ticker=B)
    ask(ex, "bob", "0.50", 1, 0.5, ticker=B)
    # carol buys and sells back: her position in A is flat when it settles. It was made before
    # alice's, so a settlement loop that stopped at it would skip alice.
    bid(ex, "carol", "0.50", 1, 1.0)
    ask(ex, "bob", "0.50", 1, 2.0)
    ask(ex, "carol", "0.50", 1, 3.0)
    bid(ex, "alice", "0.50", 1, 4.0)
    flat = ex.engine.positions[("carol", 0, A)]
    assert (flat.yes_count, flat.no_count) == (0, 0)
    ex.settle(A, "yes", now=100.0)
    assert sorted(s.user_id for s in ex.engine.settlements) == ["alice", "bob"]
    assert flat.updated == 4.0
    assert ex.engine.positions[("carol", 0, B)].yes_count == 1
    ex.check_ledger()


def test_realized_pnl_adds_the_settlement_to_earlier_redemptions(ex: FakeExchange) -> None:
    bid(ex, "alice", "0.40", 3, 1.0)
    ask(ex, "bob", "0.40", 3, 2.0)  # alice: 3 YES at 0.40
    ask(ex, "alice", "0.30", 1, 3.0)
    bid(ex, "carol", "0.30", 1, 4.0)  # alice buys 1 NO at 0.70: the pair is redeemed for $1
    held = ex.engine.positions[("alice", 0, A)]
    assert (held.yes_count, held.no_count, held.realized_pnl) == (2, 0, D("-0.10"))
    ex.settle(A, "yes", now=100.0)
    assert held.realized_pnl == D("-0.10") + D("2") - D("0.80")
    assert ex.balance("alice") == D("100") - D("1.20") - D("0.70") + D("1") + D("2")
    ex.check_ledger()


def test_a_settlement_fee_adds_to_the_trading_fees_the_position_paid(ex: FakeExchange) -> None:
    c = "LIFE-26JAN01-C"
    ex.add_market(c, taker_fee_rate="0.07", maker_fee_rate="0", now=0.0)
    ask(ex, "bob", "0.50", 10, 1.0, ticker=c)
    bid(ex, "alice", "0.50", 10, 2.0, ticker=c)
    # The taker's fee: 0.07 x 10 x 0.50 x 0.50 = 0.175, and 0.005 to floor -5.175 to the cent.
    assert ex.engine.positions[("alice", 0, c)].fees_paid == D("0.18")
    ex.settle(c, "scalar", value="0.3333", now=100.0)
    # 10 x 0.3333 = 3.333: 3.33 paid, 0.003 kept as a settlement fee.
    alice = next(s for s in ex.engine.settlements if s.user_id == "alice")
    assert (alice.payout, alice.settlement_fee, alice.fees) == (D("3.33"), D("0.003"), D("0.183"))
    assert ex.engine.positions[("alice", 0, c)].fees_paid == D("0.183")
    assert ex.balance("alice") == D("100") - D("5.18") + D("3.33")
    ex.check_ledger()


@pytest.mark.parametrize("value", ["0", "1"])
def test_a_scalar_value_may_be_either_bound(ex: FakeExchange, value: str) -> None:
    _holdings(ex)
    ex.settle(A, "scalar", value=value, now=100.0)
    assert ex.markets[A].settlement_value == D(value)
    alice = next(s for s in ex.engine.settlements if s.user_id == "alice")
    assert alice.payout == 3 * D(value)


@pytest.mark.parametrize(
    ("result", "value", "message"),
    [
        ("scalar", None, "a scalar settlement needs a value between 0 and 1 dollars"),
        ("scalar", "-0.01", "a scalar settlement needs a value between 0 and 1 dollars"),
        ("scalar", "1.01", "a scalar settlement needs a value between 0 and 1 dollars"),
        ("maybe", None, "result must be 'yes', 'no' or 'scalar'"),
    ],
)
def test_a_bad_settlement_is_refused_and_changes_nothing(
    ex: FakeExchange, result: str, value: str | None, message: str
) -> None:
    _holdings(ex)
    with pytest.raises(ValueError) as info:
        ex.settle(A, result, value=value, now=100.0)
    assert str(info.value) == message
    assert ex.markets[A].status == "active"
    assert ex.engine.settlements == []
    assert len([o for o in ex.orders_of("alice") if o.status == "resting"]) == 1


def test_a_market_settles_once(ex: FakeExchange) -> None:
    _holdings(ex)
    ex.settle(A, "yes", now=100.0)
    before = ex.balance("alice")
    with pytest.raises(ValueError) as info:
        ex.settle(A, "no", now=200.0)
    assert str(info.value) == f"{A} is already settled"
    assert (ex.markets[A].result, ex.balance("alice")) == ("yes", before)
    assert len(ex.engine.settlements) == 2


def test_a_closed_market_settles(ex: FakeExchange) -> None:
    _holdings(ex)
    ex.close_market(A, now=50.0)
    ex.settle(A, "yes", now=100.0)
    assert ex.markets[A].status == "settled"
    assert ex.balance("alice") == D("101.80")


# -- order groups ---------------------------------------------------------------------------------
def test_creating_a_group_registers_it_and_says_so(ex: FakeExchange, log: EventLog) -> None:
    engine = ex.engine
    engine.create_subaccount("alice", 1.0)
    first = engine.create_group("alice", 0, D(5), 10.0)
    second = engine.create_group("alice", 1, D(7), 11.0)
    assert (first.user_id, first.subaccount, first.limit, first.created) == ("alice", 0, 5, 10.0)
    assert (second.subaccount, second.limit, second.created) == (1, D(7), 11.0)
    assert (first.triggered, list(first.window), first.order_ids) == (False, [], [])
    assert first.group_id != second.group_id
    assert engine.groups == {first.group_id: first, second.group_id: second}
    assert group_events(log) == [
        (first.group_id, "created", 10.0),
        (second.group_id, "created", 11.0),
    ]
    assert log.of(GroupChanged)[0].group is first
    with pytest.raises(FakeError) as info:
        engine.create_group("alice", 2, D(5), 12.0)
    assert refused(info) == (400, "invalid_parameters", "subaccount 2 does not exist", None)


def test_a_user_may_hold_up_to_100000_groups(ex: FakeExchange) -> None:
    # Spec 3.31, CreateOrderGroup: "Users can have up to 100,000 order groups at a time."
    engine = ex.engine
    filler = OrderGroup("filler", "bob", 0, D(1), 0.0)
    for i in range(99_999):
        engine.groups[f"bob-{i}"] = filler
    last = engine.create_group("bob", 0, D(1), 10.0)  # the 100,000th
    assert engine.groups[last.group_id] is last
    with pytest.raises(FakeError) as info:
        engine.create_group("bob", 0, D(1), 11.0)
    assert refused(info) == (400, "invalid_parameters", "too many order groups", None)
    # Another user's groups do not count against alice.
    mine = engine.create_group("alice", 0, D(1), 12.0)
    assert mine.user_id == "alice"


def test_orders_join_only_their_own_live_group(ex: FakeExchange) -> None:
    engine = ex.engine
    engine.create_subaccount("alice", 1.0)
    group = engine.create_group("alice", 0, D(10), 5.0)
    member = bid(ex, "alice", "0.40", 1, 10.0, order_group_id=group.group_id)
    assert group.order_ids == [member.order_id]
    plain = bid(ex, "alice", "0.40", 1, 11.0)
    assert group.order_ids == [member.order_id]
    assert plain.order_group_id is None
    cases = [
        ("alice", 0, "missing", "order group not found"),
        ("bob", 0, group.group_id, "order group not found"),
        ("alice", 1, group.group_id, "order group belongs to another subaccount"),
    ]
    for user, subaccount, group_id, reason in cases:
        with pytest.raises(FakeError) as info:
            bid(ex, user, "0.40", 1, 12.0, subaccount=subaccount, order_group_id=group_id)
        assert refused(info) == (400, "invalid_order", "invalid order", reason)
    engine.trigger_group(group, 20.0)
    with pytest.raises(FakeError) as info:
        bid(ex, "alice", "0.40", 1, 21.0, order_group_id=group.group_id)
    assert refused(info)[3] == "order group triggered: reset it before placing orders"
    assert group.order_ids == [member.order_id]


def test_the_limit_counts_both_sides_matched_in_the_last_15_seconds(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    buyers = engine.create_group("alice", 0, D(5), 0.0)
    sellers = engine.create_group("bob", 0, D(100), 0.0)
    assert engine.group_volume(buyers, 0.0) == 0
    assert isinstance(engine.group_volume(buyers, 0.0), Decimal)
    resting = bid(ex, "alice", "0.40", 10, 1.0, order_group_id=buyers.group_id)
    ask(ex, "bob", "0.40", 2, 10.0, order_group_id=sellers.group_id)  # bob takes 2
    assert engine.group_volume(buyers, 10.0) == engine.group_volume(sellers, 10.0) == 2
    ask(ex, "carol", "0.40", 2, 20.0)  # 4 matched within the last 15 seconds
    assert engine.group_volume(buyers, 20.0) == 4
    # At 25 the match at 10 is 15 seconds old: out of the window.
    assert engine.group_volume(buyers, 25.0) == 2
    assert not buyers.triggered
    ask(ex, "carol", "0.40", 3, 25.0)  # 2 + 3 = 5 reaches the limit
    assert buyers.triggered
    assert not sellers.triggered
    assert (resting.status, resting.filled, resting.canceled, resting.updated) == (
        "canceled",
        7,
        3,
        25.0,
    )
    assert group_events(log)[2:] == [(buyers.group_id, "triggered", 25.0)]
    assert ex.balance("alice") == D("100") - D("0.40") * 7
    ex.check_ledger()


def test_triggering_cancels_the_groups_resting_orders(ex: FakeExchange, log: EventLog) -> None:
    engine = ex.engine
    group = engine.create_group("alice", 0, D(50), 0.0)
    resting = bid(ex, "alice", "0.40", 4, 1.0, order_group_id=group.group_id)
    done = bid(ex, "alice", "0.45", 1, 2.0, order_group_id=group.group_id)
    ask(ex, "bob", "0.45", 1, 3.0)  # fills `done`, the best bid, completely
    assert (done.status, resting.filled) == ("executed", 0)
    outside = bid(ex, "alice", "0.20", 2, 4.0)
    last = bid(ex, "alice", "0.10", 1, 5.0, order_group_id=group.group_id)
    engine.trigger_group(group, 30.0)
    assert group.triggered
    assert (last.status, last.canceled, last.updated) == ("canceled", 1, 30.0)
    assert (resting.status, resting.canceled, resting.updated) == ("canceled", 4, 30.0)
    assert (done.status, done.canceled, done.updated) == ("executed", 0, 3.0)
    assert outside.status == "resting"
    assert group_events(log) == [
        (group.group_id, "created", 0.0),
        (group.group_id, "triggered", 30.0),
    ]
    assert all(e.group is group for e in log.of(GroupChanged))
    ex.check_ledger()


def test_reset_clears_the_window_and_lets_orders_in(ex: FakeExchange, log: EventLog) -> None:
    engine = ex.engine
    group = engine.create_group("alice", 0, D(2), 0.0)
    # Before any order operation the engine's clock is at its start, 0.
    engine.reset_group(group)
    assert group_events(log)[-1] == (group.group_id, "reset", 0.0)
    del log.events[:]
    bid(ex, "alice", "0.40", 5, 1.0, order_group_id=group.group_id)
    ask(ex, "bob", "0.40", 2, 2.0)
    assert group.triggered
    engine.reset_group(group, 3.0)
    assert (group.triggered, engine.group_volume(group, 3.0)) == (False, 0)
    again = bid(ex, "alice", "0.40", 1, 4.0, order_group_id=group.group_id)
    assert again.status == "resting"
    # Without a time the reset carries the engine's clock: the last order operation's time.
    engine.reset_group(group)
    events = [e for e in group_events(log) if e[1] == "reset"]
    assert events == [(group.group_id, "reset", 3.0), (group.group_id, "reset", 4.0)]
    assert all(e.group is group for e in log.of(GroupChanged))


def test_deleting_a_group_cancels_its_orders_and_forgets_it(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    group = engine.create_group("alice", 0, D(50), 0.0)
    member = bid(ex, "alice", "0.40", 4, 1.0, order_group_id=group.group_id)
    engine.delete_group(group, 9.0)
    assert group.group_id not in engine.groups
    assert (member.status, member.canceled, member.updated) == ("canceled", 4, 9.0)
    assert ex.balance("alice") == D("100")
    assert group_events(log)[1:] == [(group.group_id, "deleted", 9.0)]
    assert all(e.group is group for e in log.of(GroupChanged))
    ex.check_ledger()


def test_a_new_limit_the_window_already_reaches_triggers_at_once(
    ex: FakeExchange, log: EventLog
) -> None:
    engine = ex.engine
    group = engine.create_group("alice", 0, D(10), 0.0)
    resting = bid(ex, "alice", "0.40", 8, 1.0, order_group_id=group.group_id)
    ask(ex, "bob", "0.40", 3, 2.0)
    engine.update_group_limit(group, D(4), 5.0)  # 3 matched < 4: nothing happens
    assert (group.limit, group.triggered, resting.status) == (4, False, "resting")
    assert group_events(log)[1:] == [(group.group_id, "limit_updated", 5.0)]
    engine.update_group_limit(group, D(3), 6.0)  # 3 matched reach 3
    assert (group.limit, group.triggered) == (3, True)
    assert (resting.status, resting.updated) == ("canceled", 6.0)
    assert group_events(log)[2:] == [
        (group.group_id, "limit_updated", 6.0),
        (group.group_id, "triggered", 6.0),
    ]
    # A triggered group is not triggered again by another update.
    engine.update_group_limit(group, D(1), 7.0)
    assert group_events(log)[4:] == [(group.group_id, "limit_updated", 7.0)]
    assert all(e.group is group for e in log.of(GroupChanged))
    # After a reset the window is empty: no limit triggers it.
    engine.reset_group(group, 8.0)
    engine.update_group_limit(group, D(1), 30.0)
    assert not group.triggered
