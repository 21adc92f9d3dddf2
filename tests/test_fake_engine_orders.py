"""The fake exchange's engine, called directly: placing, matching, fees, cancels, decreases,
amends, expiry and queue position.

Each test states a rule of the exchange (from the spec and the seeds) and fails when the
engine breaks it; ``nox -s mutation -- engine`` measures how many bug-like changes they catch.

Fees are the default series schedule unless a test says otherwise: quadratic, takers pay
``0.07 * C * P * (1 - P)`` rounded up to $0.0001, makers nothing; the balance change of each
fill is floored to the cent and the difference is a rounding fee (``kalshi_testing._fees``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import FakeError, FakeExchange
from kalshi_testing._engine import Engine
from kalshi_testing._events import (
    BookChanged,
    FillMade,
    MarketChanged,
    OrderChanged,
    PositionChanged,
    TradeMade,
)
from kalshi_testing._state import Market, Order

D = Decimal
NOW = 1000.0
LATER = 1010.0
TICKER = "ORD-26DEC01-T50"


@pytest.fixture
def ex() -> FakeExchange:
    """An exchange whose clock stands at ``NOW``, with one market on the default fees."""
    fake = FakeExchange(clock=lambda: NOW)
    fake.add_market(TICKER)
    return fake


def _user(fake: FakeExchange, name: str, cash: str | int = 100) -> str:
    return fake.add_participant(name, balance=cash)


def _cash(fake: FakeExchange, user: str, subaccount: int = 0) -> Decimal:
    return fake.engine.users[user].accounts[subaccount].cash


def _events(fake: FakeExchange) -> list[Any]:
    seen: list[Any] = []
    fake.engine.listen(seen.append)
    return seen


def _order(user: str, side: str, price: str, count: str | int, **kw: Any) -> Order:
    return Order(
        order_id=f"{user}-{side}-{price}-{count}-{kw.get('time_in_force', 'gtc')}",
        user_id=user,
        ticker=kw.pop("ticker", TICKER),
        book_side="bid" if side == "bid" else "ask",
        price=D(price),
        initial=D(count),
        created=NOW,
        **kw,
    )


def _refused(exc: pytest.ExceptionInfo[FakeError]) -> tuple[int, str, str, str | None]:
    e = exc.value
    return e.status, e.code, e.message, e.details


# -- placing and matching ---------------------------------------------------------------------
def test_a_taker_trades_at_the_makers_price_and_pays_the_rounded_taker_fee(
    ex: FakeExchange,
) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    maker = ex.place_order(maker_id, TICKER, "ask", "0.40", 10)
    assert _cash(ex, maker_id) == D("94.00")  # an ask locks 1 - 0.40 per contract
    seen = _events(ex)
    taker = ex.place_order(taker_id, TICKER, "bid", "0.45", 10, now=LATER)
    # 10 YES at 0.40 = $4.00; fee 0.07 * 10 * 0.4 * 0.6 = 0.168, balance change floored to the
    # cent: -4.17, so the fee charged is 0.17 (0.168 trade fee + 0.002 rounding).
    assert _cash(ex, taker_id) == D("95.83")
    assert _cash(ex, maker_id) == D("94.00")  # makers pay nothing on the quadratic schedule
    assert ex.engine.users[taker_id].accounts[0].updated == LATER
    assert ex.engine.fees_collected == D("0.17")
    assert (taker.status, maker.status) == ("executed", "executed")
    assert (taker.closed, maker.closed) == ("executed", "executed")
    assert (taker.filled, maker.filled) == (D(10), D(10))
    assert (taker.taker_fill_count, taker.taker_fill_cost, taker.taker_fees) == (
        10,
        D("4.00"),
        D("0.17"),
    )
    assert (taker.maker_fill_count, taker.maker_fill_cost, taker.maker_fees) == (0, 0, 0)
    assert (maker.maker_fill_count, maker.maker_fill_cost, maker.maker_fees) == (10, D("6.00"), 0)
    assert (maker.taker_fill_count, maker.taker_fill_cost, maker.taker_fees) == (0, 0, 0)
    assert taker.amend_taker_fill_count == 0
    assert taker.fee_accumulator == D("0.002")
    assert (taker.updated, maker.updated) == (LATER, LATER)
    assert taker.sequence == taker.priority
    assert taker.sequence > maker.sequence
    t_fill, m_fill = ex.engine.fills
    assert (t_fill.order_id, t_fill.user_id, t_fill.is_taker) == (taker.order_id, taker_id, True)
    assert (m_fill.order_id, m_fill.user_id, m_fill.is_taker) == (maker.order_id, maker_id, False)
    for fill in (t_fill, m_fill):
        assert (fill.price, fill.count, fill.created, fill.ticker) == (D("0.40"), 10, LATER, TICKER)
        assert fill.trade_id == fill.fill_id
    assert (t_fill.fee, m_fill.fee) == (D("0.17"), 0)
    assert (t_fill.book_side, t_fill.side, t_fill.action) == ("bid", "yes", "buy")
    assert (m_fill.book_side, m_fill.side, m_fill.action) == ("ask", "yes", "sell")
    assert t_fill.sequence < m_fill.sequence
    (trade,) = ex.engine.trades
    assert (trade.ticker, trade.price, trade.count, trade.taker_book_side) == (
        TICKER,
        D("0.40"),
        10,
        "bid",
    )
    assert (trade.created, trade.sequence) == (LATER, t_fill.sequence)
    market = ex.engine.markets[TICKER]
    assert (market.volume, market.last_price, market.last_size) == (10, D("0.40"), 10)
    yes = ex.engine.positions[(taker_id, 0, TICKER)]
    no = ex.engine.positions[(maker_id, 0, TICKER)]
    assert (yes.yes_count, yes.no_count, yes.yes_cost) == (10, 0, D("4.00"))
    assert (no.yes_count, no.no_count, no.no_cost) == (0, 10, D("6.00"))
    assert (yes.total_traded, yes.shares_traded, yes.fees_paid, yes.updated) == (
        D("4.00"),
        10,
        D("0.17"),
        LATER,
    )
    assert (no.total_traded, no.shares_traded, no.fees_paid, no.updated) == (
        D("6.00"),
        10,
        0,
        LATER,
    )
    assert ex.engine.books[TICKER].depth("ask") == []
    assert ex.engine.books[TICKER].depth("bid") == []
    trades = [e for e in seen if isinstance(e, TradeMade)]
    assert [t.trade for t in trades] == [trade]
    fills = [(e.fill, e.post_position) for e in seen if isinstance(e, FillMade)]
    assert fills == [(t_fill, D(10)), (m_fill, D(-10))]
    changed = [(e.order, e.ts) for e in seen if isinstance(e, OrderChanged)]
    assert changed[0] == (taker, LATER)  # accepted before it matched
    assert (taker, LATER) in changed[1:]
    assert (maker, LATER) in changed[1:]
    positions = [(e.position, e.ts) for e in seen if isinstance(e, PositionChanged)]
    assert positions == [(yes, LATER), (no, LATER)]
    book = [
        (e.book_side, e.price, e.delta, e.order, e.cause)
        for e in seen
        if isinstance(e, BookChanged)
    ]
    assert book == [("ask", D("0.40"), D(-10), maker, taker)]
    ex.check_ledger()


def test_the_rest_of_a_good_till_canceled_order_rests_at_its_limit(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    ex.place_order(maker_id, TICKER, "ask", "0.40", 10)
    taker = ex.place_order(
        taker_id, TICKER, "bid", "0.45", 15, expiration_ts=int(NOW) + 60, now=LATER
    )
    # 15 * 0.45 locked, 0.05 back on each of the 10 filled at 0.40, fee 0.17.
    assert _cash(ex, taker_id) == D("100") - D("6.75") + D("0.50") - D("0.17")
    assert (taker.filled, taker.remaining, taker.status, taker.on_book) == (10, 5, "resting", True)
    assert taker.locked == D("2.25")
    assert ex.engine.books[TICKER].depth("bid") == [(D("0.45"), D(5))]
    ex.engine.advance(NOW + 59)
    assert taker.status == "resting"
    ex.engine.advance(NOW + 60)  # it expires at its expiration time
    assert (taker.status, taker.canceled) == ("canceled", 5)
    assert _cash(ex, taker_id) == D("100") - D("4.00") - D("0.17")
    ex.check_ledger()


def test_immediate_or_cancel_cancels_what_it_cannot_fill(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    ex.place_order(maker_id, TICKER, "ask", "0.40", 10)
    taker = ex.place_order(
        taker_id, TICKER, "bid", "0.45", 15, time_in_force="immediate_or_cancel", now=LATER
    )
    assert (taker.filled, taker.canceled, taker.status, taker.on_book) == (10, 5, "canceled", False)
    assert taker.updated == LATER
    assert _cash(ex, taker_id) == D("95.83")
    assert ex.engine.books[TICKER].depth("bid") == []
    ex.check_ledger()


def test_fill_or_kill_refuses_when_the_book_is_short_and_changes_nothing(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    ex.place_order(maker_id, TICKER, "ask", "0.40", 4)
    ex.place_order(maker_id, TICKER, "ask", "0.50", 4)
    ex.place_order(taker_id, TICKER, "ask", "0.41", 5)  # the taker's own: not volume for it
    ex.place_order(maker_id, TICKER, "ask", "0.60", 5)  # beyond the limit
    order = _order(taker_id, "bid", "0.55", 9, time_in_force="fill_or_kill")
    before = _cash(ex, taker_id)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(order, LATER)
    assert _refused(exc) == (
        409,
        "fill_or_kill_insufficient_resting_volume",
        "fill or kill insufficient resting volume",
        TICKER,
    )
    assert order.order_id not in ex.engine.orders
    assert _cash(ex, taker_id) == before
    assert ex.engine.books[TICKER].depth("ask") == [
        (D("0.40"), D(4)),
        (D("0.41"), D(5)),
        (D("0.50"), D(4)),
        (D("0.60"), D(5)),
    ]
    # Exactly what the others offer within the limit fills (its own order, in the way, goes).
    fok = _order(
        taker_id, "bid", "0.55", 8, time_in_force="fill_or_kill", self_trade_prevention_type="maker"
    )
    execution = ex.engine.place(fok, LATER)
    assert (execution.filled, fok.status) == (8, "executed")
    assert [(f.price, f.count) for f in execution.fills] == [(D("0.40"), 4), (D("0.50"), 4)]
    ex.check_ledger()


def test_fill_or_kill_takes_its_last_contract_from_the_next_maker(ex: FakeExchange) -> None:
    a, b, taker_id = _user(ex, "a"), _user(ex, "b"), _user(ex, "taker")
    ex.place_order(a, TICKER, "ask", "0.40", 4)
    ex.place_order(b, TICKER, "ask", "0.41", 1)
    fok = _order(taker_id, "bid", "0.45", 5, time_in_force="fill_or_kill")
    execution = ex.engine.place(fok, LATER)
    assert execution.order is fok
    assert [(f.price, f.count) for f in execution.fills] == [(D("0.40"), 4), (D("0.41"), 1)]
    assert (fok.status, fok.taker_fill_count) == ("executed", 5)
    ex.check_ledger()


def test_max_cost_fills_or_kills_within_the_total_cost(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    ex.place_order(maker_id, TICKER, "ask", "0.40", 5)
    ex.place_order(maker_id, TICKER, "ask", "0.50", 5)
    ex.place_order(maker_id, TICKER, "ask", "0.55", 5)
    over = _order(taker_id, "bid", "0.60", 10)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(over, LATER, max_cost=D("4.49"))  # 5 * 0.40 + 5 * 0.50 = 4.50
    assert _refused(exc)[:2] == (409, "fill_or_kill_insufficient_resting_volume")
    within = _order(taker_id, "bid", "0.60", 10)
    execution = ex.engine.place(within, LATER, max_cost=D("4.50"))
    assert execution.filled == 10
    assert execution.average_price == D("0.45")
    # A NO buyer's cost is 1 - p: selling YES into bids at 0.35 and 0.30 costs 0.65 and 0.70.
    ex.place_order(maker_id, TICKER, "bid", "0.35", 2)
    ex.place_order(maker_id, TICKER, "bid", "0.30", 2)
    ask = _order(taker_id, "ask", "0.30", 4)
    with pytest.raises(FakeError):
        ex.engine.place(ask, LATER, max_cost=D("2.69"))  # 2 * 0.65 + 2 * 0.70 = 2.70
    ask = _order(taker_id, "ask", "0.30", 4, client_order_id="again")
    assert ex.engine.place(ask, LATER, max_cost=D("2.70")).filled == 4
    ex.check_ledger()


def test_an_ask_crosses_the_highest_bids_first(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    low = ex.place_order(maker_id, TICKER, "bid", "0.30", 3)
    high = ex.place_order(maker_id, TICKER, "bid", "0.35", 3)
    taker = ex.place_order(taker_id, TICKER, "ask", "0.30", 4, now=LATER)
    assert (high.filled, low.filled) == (3, 1)
    # NO at 1 - 0.35 and 1 - 0.30 against 0.70 locked: 0.05 back on three contracts.
    assert taker.taker_fill_cost == D("1.95") + D("0.70")
    fee = D("0.07") * 3 * D("0.35") * D("0.65") + D("0.07") * 1 * D("0.30") * D("0.70")
    assert fee == D("0.062475")  # 0.047775 + 0.0147 before rounding
    # Per fill: -(1.95 + 0.0478) floors to -2.00 (fee 0.05), -(0.70 + 0.0147) to -0.72 (0.02).
    assert [f.fee for f in ex.engine.fills if f.is_taker] == [D("0.05"), D("0.02")]
    assert (taker.taker_fill_count, taker.taker_fees) == (4, D("0.07"))
    position = ex.engine.positions[(taker_id, 0, TICKER)]
    assert (position.no_count, position.total_traded) == (4, D("2.65"))
    assert (position.shares_traded, position.fees_paid) == (4, D("0.07"))
    market = ex.engine.markets[TICKER]
    assert (market.volume, market.last_price, market.last_size) == (4, D("0.30"), 1)
    ids = [t.trade_id for t in ex.engine.trades]
    assert len(set(ids)) == 2
    assert all(len(i) == 36 and i.count("-") == 4 for i in ids)  # uuids
    assert _cash(ex, taker_id) == D("100") - D("2.65") - D("0.07")
    ex.check_ledger()


def test_maker_fees_follow_the_markets_own_rates(ex: FakeExchange) -> None:
    ex.add_market("FEES-26DEC01-T1", taker_fee_rate="0.1", maker_fee_rate="0.05")
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    maker = ex.place_order(maker_id, "FEES-26DEC01-T1", "ask", "0.50", 10)
    ex.place_order(taker_id, "FEES-26DEC01-T1", "bid", "0.50", 10)
    # taker 0.1 * 10 * 0.25 = 0.25; maker 0.05 * 10 * 0.25 = 0.125 -> 0.13 after the floor.
    assert [(f.is_taker, f.fee) for f in ex.engine.fills] == [(True, D("0.25")), (False, D("0.13"))]
    assert (maker.maker_fees, maker.fee_accumulator) == (D("0.13"), D("0.005"))
    assert _cash(ex, maker_id) == D("100") - D("5.00") - D("0.13")
    assert _cash(ex, taker_id) == D("100") - D("5.00") - D("0.25")
    # A second maker fill: 0.05 * 4 * 0.25 = 0.05, nothing to floor.
    second = ex.place_order(maker_id, "FEES-26DEC01-T1", "ask", "0.50", 8)
    ex.place_order(taker_id, "FEES-26DEC01-T1", "bid", "0.50", 4)
    ex.place_order(taker_id, "FEES-26DEC01-T1", "bid", "0.50", 4)
    assert (second.maker_fill_count, second.maker_fill_cost) == (8, D("4.00"))
    assert second.maker_fees == D("0.10")
    ex.check_ledger()


def test_balance_precision_of_direct_members_keeps_centicents() -> None:
    fake = FakeExchange(clock=lambda: NOW, balance_precision="0.0001")
    fake.add_market(TICKER)
    maker_id, taker_id = _user(fake, "maker"), _user(fake, "taker")
    fake.place_order(maker_id, TICKER, "ask", "0.40", 10)
    fake.place_order(taker_id, TICKER, "bid", "0.40", 10)
    assert [f.fee for f in fake.engine.fills] == [D("0.1680"), 0]
    assert _cash(fake, taker_id) == D("95.832")
    fake.check_ledger()


def test_a_maker_that_cannot_pay_its_fee_is_canceled_and_matching_goes_on(
    ex: FakeExchange,
) -> None:
    ex.add_market("FEES-26DEC01-T1", taker_fee_rate="0.07", maker_fee_rate="0.07")
    broke, rich, taker_id = _user(ex, "broke", 10), _user(ex, "rich"), _user(ex, "taker")
    poor = ex.place_order(broke, "FEES-26DEC01-T1", "ask", "0.50", 2)
    ex.engine.withdraw(broke, _cash(ex, broke), NOW)  # nothing left for the maker fee
    good = ex.place_order(rich, "FEES-26DEC01-T1", "ask", "0.50", 2)
    taker = ex.place_order(taker_id, "FEES-26DEC01-T1", "bid", "0.50", 2, now=LATER)
    assert (poor.status, poor.canceled, poor.filled) == ("canceled", 2, 0)
    assert _cash(ex, broke) == D("1.00")  # its collateral came back
    assert (good.filled, taker.filled) == (2, 2)
    assert [f.order_id for f in ex.engine.fills] == [taker.order_id, good.order_id]
    ex.check_ledger()


def test_a_maker_without_cash_trades_when_makers_pay_no_fee(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker", 5), _user(ex, "taker")
    maker = ex.place_order(maker_id, TICKER, "ask", "0.50", 2)
    ex.engine.withdraw(maker_id, _cash(ex, maker_id), NOW)
    ex.place_order(taker_id, TICKER, "bid", "0.50", 2)
    assert (maker.filled, maker.maker_fees, _cash(ex, maker_id)) == (2, 0, 0)
    ex.check_ledger()


def test_a_maker_with_exactly_its_fee_left_trades(ex: FakeExchange) -> None:
    ex.add_market("FEES-26DEC01-T1", taker_fee_rate="0.07", maker_fee_rate="0.07")
    maker_id, taker_id = _user(ex, "maker", "1.04"), _user(ex, "taker")
    # 2 NO at 0.50 = 1.00 and a fee ceiling of 0.035 -> 0.04: all the maker has.
    maker = ex.place_order(maker_id, "FEES-26DEC01-T1", "ask", "0.50", 2)
    assert _cash(ex, maker_id) == D("0.04")
    ex.place_order(taker_id, "FEES-26DEC01-T1", "bid", "0.50", 2)
    assert (maker.filled, maker.maker_fees) == (2, D("0.04"))
    assert _cash(ex, maker_id) == 0
    ex.check_ledger()


@pytest.mark.parametrize(("deposit", "filled"), [("2.07", 3), ("2.08", 4)])
def test_a_taker_that_cannot_pay_the_next_fee_stops_matching(
    ex: FakeExchange, deposit: str, filled: int
) -> None:
    maker_id = _user(ex, "maker")
    makers = [ex.place_order(maker_id, TICKER, "ask", "0.50", 1) for _ in range(4)]
    # 4 YES at 0.50: $2.00 and a fee ceiling of 0.07 * 4 * 0.25 = 0.07. Each one-contract fill
    # costs 0.50 + 0.0175, floored to 0.52: a fee of 0.02 per fill, 0.08 in all.
    taker_id = _user(ex, "taker", deposit)
    taker = _order(taker_id, "bid", "0.50", 4)
    execution = ex.engine.place(taker, LATER)
    assert (execution.filled, taker.filled, taker.remaining) == (filled, filled, 4 - filled)
    assert [m.filled for m in makers] == [1] * filled + [0] * (4 - filled)
    assert _cash(ex, taker_id) == D(deposit) - D("2.00") - D("0.02") * filled
    assert taker.status == ("resting" if filled < 4 else "executed")
    ex.check_ledger()


def test_the_price_improvement_counts_toward_the_takers_fee(ex: FakeExchange) -> None:
    maker_id = _user(ex, "maker")
    ex.place_order(maker_id, TICKER, "ask", "0.80", 10)
    # 10 at 0.90: $9.00 and a fee ceiling of 0.07 * 10 * 0.9 * 0.1 = 0.063 -> 0.07. At 0.80 the
    # fee is 0.112 -> 0.12, more than the 0.07 left, but the 0.10 back per contract pays it.
    taker_id = _user(ex, "taker", "9.07")
    taker = ex.place_order(taker_id, TICKER, "bid", "0.90", 10)
    assert (taker.filled, taker.taker_fees) == (10, D("0.12"))
    assert _cash(ex, taker_id) == D("0.07") + D("1.00") - D("0.12")
    ex.check_ledger()


def test_matching_skips_makers_their_group_canceled(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    group = ex.engine.create_group(maker_id, 0, D(2), NOW)
    first = ex.place_order(maker_id, TICKER, "ask", "0.40", 2, order_group_id=group.group_id)
    # One price level: the taker reaches the canceled order in the level it already read.
    second = ex.place_order(maker_id, TICKER, "ask", "0.40", 2, order_group_id=group.group_id)
    other = ex.place_order(_user(ex, "other"), TICKER, "ask", "0.40", 2)
    taker = ex.place_order(taker_id, TICKER, "bid", "0.45", 4)
    assert group.triggered
    assert (first.filled, second.filled, second.canceled, other.filled) == (2, 0, 2, 2)
    assert [(f.price, f.count) for f in ex.engine.fills if f.is_taker] == [
        (D("0.40"), 2),
        (D("0.40"), 2),
    ]
    assert [f.order_id for f in ex.engine.fills if not f.is_taker] == [
        first.order_id,
        other.order_id,
    ]
    assert taker.status == "executed"
    ex.check_ledger()


def test_a_taker_whose_group_triggers_stops_matching(ex: FakeExchange) -> None:
    maker_id, taker_id = _user(ex, "maker"), _user(ex, "taker")
    group = ex.engine.create_group(taker_id, 0, D(2), NOW)
    ex.place_order(maker_id, TICKER, "ask", "0.40", 2)
    later = ex.place_order(maker_id, TICKER, "ask", "0.41", 2)
    taker = ex.place_order(taker_id, TICKER, "bid", "0.45", 4, order_group_id=group.group_id)
    assert group.triggered
    assert group.order_ids == [taker.order_id]
    assert (taker.filled, taker.canceled, taker.status, later.filled) == (2, 2, "canceled", 0)
    ex.check_ledger()


def test_a_fill_that_completes_a_pair_redeems_it(ex: FakeExchange) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    ex.place_order(other, TICKER, "bid", "0.60", 10)
    ex.place_order(me, TICKER, "ask", "0.60", 10)  # me: 10 NO at 0.40
    assert _cash(ex, me) == D("100") - D("4.00") - D("0.17")  # fee 0.168 -> 0.17
    ex.place_order(other, TICKER, "ask", "0.55", 4)
    ex.place_order(me, TICKER, "bid", "0.55", 4, now=LATER)  # 4 YES at 0.55: 4 pairs -> $4
    position = ex.engine.positions[(me, 0, TICKER)]
    assert (position.yes_count, position.no_count, position.signed) == (0, 6, -6)
    # fee 0.07 * 4 * 0.55 * 0.45 = 0.0693 -> 0.0693; -(2.20 + 0.0693) floors to -2.27.
    assert _cash(ex, me) == D("95.83") - D("2.27") + 4
    assert position.realized_pnl == 4 - D("2.20") - D("1.60")
    assert ex.engine.users[me].accounts[0].updated == LATER
    ex.check_ledger()


def test_self_trade_prevention_taker_at_cross_cancels_the_taker(ex: FakeExchange) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    first = ex.place_order(other, TICKER, "ask", "0.40", 2)
    mine = ex.place_order(me, TICKER, "ask", "0.41", 3)
    later = ex.place_order(other, TICKER, "ask", "0.42", 3)
    for stp in ("taker_at_cross", None):
        order = _order(
            me, "bid", "0.45", 6, self_trade_prevention_type=stp, client_order_id=str(stp)
        )
        order.order_id += str(stp)
        ex.engine.place(order, LATER)
        if stp == "taker_at_cross":
            assert (order.filled, order.canceled, order.taker_self_trade_cancel_count) == (2, 4, 4)
            assert (first.filled, mine.remaining, later.remaining) == (2, 3, 3)
            assert order.updated == LATER
        else:  # None means taker_at_cross too
            assert (order.filled, order.canceled, order.taker_self_trade_cancel_count) == (0, 6, 6)
        assert order.status == "canceled"
    ex.check_ledger()


def test_self_trade_prevention_maker_cancels_the_resting_order_and_goes_on(
    ex: FakeExchange,
) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    mine = ex.place_order(me, TICKER, "ask", "0.40", 3)
    theirs = ex.place_order(other, TICKER, "ask", "0.40", 3)
    taker = ex.place_order(me, TICKER, "bid", "0.45", 3, self_trade_prevention_type="maker")
    assert (mine.status, mine.canceled) == ("canceled", 3)
    assert (theirs.filled, taker.filled, taker.taker_self_trade_cancel_count) == (3, 3, 0)
    ex.check_ledger()


def test_post_only_that_would_cross_is_kept_canceled_and_refused(ex: FakeExchange) -> None:
    maker_id, me = _user(ex, "maker"), _user(ex, "me")
    ex.place_order(maker_id, TICKER, "ask", "0.40", 3)
    order = _order(me, "bid", "0.40", 2, post_only=True)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(order, LATER)
    assert _refused(exc) == (400, "invalid_order", "invalid order", "post only cross")
    assert ex.engine.orders[order.order_id] is order
    assert (order.status, order.canceled, order.closed) == ("canceled", 2, "canceled")
    assert order.last_update_reason == "PostOnlyCrossCancel"
    assert order.sequence == order.priority > 0
    assert order.updated == LATER
    assert _cash(ex, me) == 100
    resting = _order(me, "bid", "0.39", 2, post_only=True)
    ex.engine.place(resting, LATER)
    assert (resting.status, resting.on_book) == ("resting", True)
    ex.check_ledger()


def test_reduce_only_orders(ex: FakeExchange) -> None:
    maker_id, me = _user(ex, "maker"), _user(ex, "me")
    gtc = _order(me, "ask", "0.40", 2, reduce_only=True)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(gtc, LATER)
    assert _refused(exc)[3] == "reduce_only orders must be immediate_or_cancel"
    ioc = {"reduce_only": True, "time_in_force": "immediate_or_cancel"}
    with pytest.raises(FakeError) as exc:
        ex.engine.place(_order(me, "ask", "0.40", 2, **ioc), LATER)  # holds nothing
    assert _refused(exc)[3] == "reduce_only order would not reduce a position"
    ex.place_order(maker_id, TICKER, "ask", "0.40", 3)
    ex.place_order(me, TICKER, "bid", "0.40", 3)  # me: 3 YES
    with pytest.raises(FakeError) as exc:  # a bid would add YES, not reduce it
        ex.engine.place(_order(me, "bid", "0.40", 2, **ioc), LATER)
    assert _refused(exc)[3] == "reduce_only order would not reduce a position"
    ex.place_order(maker_id, TICKER, "bid", "0.45", 10)
    sell = _order(me, "ask", "0.45", 10, **ioc)
    ex.engine.place(sell, LATER)
    assert (sell.initial, sell.filled, sell.canceled) == (3, 3, 0)  # capped at the 3 held
    assert ex.engine.positions[(me, 0, TICKER)].yes_count == 0
    ex.place_order(maker_id, TICKER, "bid", "0.50", 1)
    ex.place_order(me, TICKER, "ask", "0.50", 1)  # me: 1 NO
    ex.place_order(maker_id, TICKER, "ask", "0.50", 3)
    buy = _order(me, "bid", "0.50", 3, client_order_id="one", **ioc)
    ex.engine.place(buy, LATER)
    assert (buy.initial, buy.filled) == (1, 1)  # a bid reduces NO
    ex.check_ledger()


def test_placing_needs_the_cost_and_the_fee_ceiling(ex: FakeExchange) -> None:
    # 10 at 0.40: $4.00 and a fee of at most 0.168 -> 0.17.
    exact, short = _user(ex, "exact", "4.17"), _user(ex, "short", "4.16")
    with pytest.raises(FakeError) as exc:
        ex.engine.place(_order(short, "bid", "0.40", 10), LATER)
    assert _refused(exc) == (
        400,
        "insufficient_balance",
        "insufficient balance for this order",
        None,
    )
    assert _cash(ex, short) == D("4.16")
    order = _order(exact, "bid", "0.40", 10)
    ex.engine.place(order, LATER)
    assert _cash(ex, exact) == D("0.17")
    assert ex.engine.users[exact].accounts[0].updated == LATER
    ex.check_ledger()


def test_expiration_must_be_in_the_future(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    for ts in (int(LATER), int(LATER) - 1):
        order = _order(me, "bid", "0.40", 1, expiration_ts=ts)
        with pytest.raises(FakeError) as exc:
            ex.engine.place(order, LATER)
        assert _refused(exc) == (
            400,
            "invalid_order",
            "invalid order",
            "expiration_time must be in the future",
        )
    order = _order(me, "bid", "0.40", 1, expiration_ts=int(LATER) + 1)
    ex.engine.place(order, LATER)
    assert order.status == "resting"
    assert _cash(ex, me) == D("99.60")


def test_orders_join_their_group(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    group = ex.engine.create_group(me, 0, D(100), NOW)
    order = _order(me, "bid", "0.40", 1, order_group_id=group.group_id)
    ex.engine.place(order, LATER)
    assert group.order_ids == [order.order_id]


def test_an_unknown_market_is_404() -> None:
    engine = Engine()
    with pytest.raises(FakeError) as exc:
        engine.market("NOPE")
    assert _refused(exc) == (404, "market_not_found", "market NOPE not found", None)


def test_paused_and_closed_markets_refuse_orders(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    resting = ex.place_order(me, TICKER, "bid", "0.30", 4)
    ex.pause_trading(TICKER)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(_order(me, "bid", "0.40", 1), LATER)
    assert _refused(exc) == (409, "trading_is_paused", "trading is paused", TICKER)
    with pytest.raises(FakeError) as exc:
        ex.engine.amend(resting, D("0.31"), D(4), LATER)
    assert _refused(exc) == (409, "trading_is_paused", "trading is paused", TICKER)
    assert ex.engine.cancellable(TICKER) is ex.engine.markets[TICKER]  # cancels still work
    assert ex.engine.decrease(resting, D(3), LATER) == 1
    ex.resume_trading(TICKER)
    resting = ex.place_order(me, TICKER, "bid", "0.30", 4)
    ex.pause_trading()  # exchange-wide maintenance
    with pytest.raises(FakeError) as exc:
        ex.engine.place(_order(me, "bid", "0.40", 1), LATER)
    assert _refused(exc) == (409, "trading_is_paused", "trading is paused", TICKER)
    assert ex.engine.cancellable(TICKER) is ex.engine.markets[TICKER]
    ex.resume_trading()
    ex.pause_exchange()
    with pytest.raises(FakeError) as exc:  # not even a cancel or a decrease
        ex.engine.cancellable(TICKER)
    assert _refused(exc) == (409, "exchange_is_paused", "exchange is paused", None)
    with pytest.raises(FakeError) as exc:
        ex.engine.place(_order(me, "bid", "0.40", 1), LATER)
    assert _refused(exc)[:2] == (409, "exchange_is_paused")
    ex.resume_exchange()
    ex.close_market(TICKER)
    for call in (
        lambda: ex.engine.place(_order(me, "bid", "0.40", 1), LATER),
        lambda: ex.engine.cancellable(TICKER),
    ):
        with pytest.raises(FakeError) as exc:
            call()
        assert _refused(exc) == (409, "market_closed", "market closed", TICKER)
    ex.settle(TICKER, "yes")
    with pytest.raises(FakeError) as exc:
        ex.engine.cancellable(TICKER)
    assert _refused(exc) == (409, "market_closed", "market closed", TICKER)
    ex.check_ledger()


# -- fee schedules and markets ---------------------------------------------------------------
def test_the_fee_schedule_market_rates_then_event_then_series() -> None:
    fake = FakeExchange(clock=lambda: NOW)
    plain = fake.add_market("PLAIN-26DEC01-T1")
    assert fake.engine.schedule(plain).fee_type == "quadratic"
    assert fake.engine.schedule(plain).multiplier == 1
    series = fake.add_series("SER", fee_type="flat", fee_multiplier=2)
    in_series = fake.add_market("SER-26DEC01-T1")
    assert fake.engine.schedule(in_series) == series
    fake.set_event_fees("SER-26DEC01", fee_type="quadratic_with_maker_fees", fee_multiplier=3)
    schedule = fake.engine.schedule(in_series)
    assert (schedule.fee_type, schedule.multiplier) == ("quadratic_with_maker_fees", 3)
    own = fake.add_market("SER-26DEC01-T2", taker_fee_rate="0.2")
    schedule = fake.engine.schedule(own)
    assert (schedule.fee_type, schedule.multiplier) == ("quadratic_with_maker_fees", 3)
    assert (schedule.taker_rate, schedule.maker_rate) == (D("0.2"), None)
    own_maker = fake.add_market("SER-26DEC01-T3", maker_fee_rate="0.01")
    assert fake.engine.schedule(own_maker).maker_rate == D("0.01")
    assert fake.engine.schedule(own_maker).taker_rate is None
    bare = Market(ticker="BARE", event_ticker="BARE", series_ticker=None)
    fake.engine.add_market(bare)
    fake.engine.series["XXXX"] = series  # no series of its own: whatever series exist
    assert fake.engine.schedule(bare).fee_type == "quadratic"


def test_listing_a_market_makes_its_event_and_series(ex: FakeExchange) -> None:
    seen = _events(ex)
    first = Market(ticker="NEW-26DEC01-T1", event_ticker="NEW-26DEC01", created=5.0)
    ex.engine.add_market(first)
    second = Market(ticker="NEW-26DEC01-T2", event_ticker="NEW-26DEC01", created=6.0)
    ex.engine.add_market(second)
    solo = Market(ticker="SOLO", event_ticker="SOLO", created=7.0)
    ex.engine.add_market(solo)
    named = Market(ticker="X-1", event_ticker="EV-1", series_ticker="SERIES", created=8.0)
    ex.engine.add_market(named)
    deep = Market(ticker="A-B-C-D", event_ticker="A-B-C", created=9.0)
    ex.engine.add_market(deep)
    assert ex.engine.events["A-B-C"].series_ticker == "A-B"  # the last segment goes
    assert ex.engine.events["A-B-C"].event_ticker == "A-B-C"
    assert ex.engine.series_info["A-B"].ticker == "A-B"
    assert ex.engine.events["NEW-26DEC01"].series_ticker == "NEW"
    assert ex.engine.events["NEW-26DEC01"].updated == 5.0
    assert ex.engine.series_info["NEW"].updated == 5.0
    assert ex.engine.events["SOLO"].series_ticker == "SOLO"
    assert "SOLO" in ex.engine.series_info
    assert ex.engine.events["EV-1"].series_ticker == "SERIES"
    assert "EV" not in ex.engine.series_info
    assert "SERIES" in ex.engine.series_info
    assert ex.engine.markets["NEW-26DEC01-T2"] is second
    assert ex.engine.books["NEW-26DEC01-T2"] is not ex.engine.books["NEW-26DEC01-T1"]
    created = [
        (e.market, e.event_type, e.ts, e.new_event) for e in seen if isinstance(e, MarketChanged)
    ]
    assert created == [
        (first, "created", 5.0, True),
        (second, "created", 6.0, False),
        (solo, "created", 7.0, True),
        (named, "created", 8.0, True),
        (deep, "created", 9.0, True),
    ]
    # The new book reports level changes to listeners.
    me = _user(ex, "me")
    ex.place_order(me, "NEW-26DEC01-T2", "bid", "0.30", 2)
    assert any(isinstance(e, BookChanged) and e.ticker == "NEW-26DEC01-T2" for e in seen)


# -- time -------------------------------------------------------------------------------------
def test_advance_closes_markets_and_expires_orders(ex: FakeExchange) -> None:
    ex.add_market("CLOSE-26DEC01-T1", close_time=NOW + 30)
    me = _user(ex, "me")
    closing = ex.place_order(me, "CLOSE-26DEC01-T1", "bid", "0.30", 2)
    expiring = ex.place_order(me, TICKER, "bid", "0.30", 2, expiration_ts=int(NOW) + 20)
    keeps = ex.place_order(me, TICKER, "bid", "0.31", 2, expiration_ts=int(NOW) + 40)
    seen = _events(ex)
    ex.engine.advance(NOW + 19)
    assert (closing.status, expiring.status) == ("resting", "resting")
    ex.engine.advance(NOW + 20)
    assert (expiring.status, expiring.canceled, expiring.updated) == ("canceled", 2, NOW + 20)
    assert closing.status == "resting"
    book = [e for e in seen if isinstance(e, BookChanged)]
    assert [(e.order, e.delta, e.cause, e.ts) for e in book] == [(expiring, D(-2), None, NOW + 20)]
    ex.add_market("PAUSED-26DEC01-T1", close_time=NOW + 30)
    ex.pause_trading("PAUSED-26DEC01-T1")  # a paused market closes at its close time too
    ex.engine.advance(NOW + 30)
    assert ex.engine.markets["CLOSE-26DEC01-T1"].status == "closed"
    assert ex.engine.markets["PAUSED-26DEC01-T1"].status == "closed"
    assert (closing.status, closing.close_cancel_count) == ("canceled", 2)
    assert keeps.status == "resting"
    ex.engine.advance(NOW + 40)
    assert keeps.status == "canceled"
    assert _cash(ex, me) == 100
    ex.check_ledger()


def test_an_order_that_filled_stops_expiring(ex: FakeExchange) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    order = ex.place_order(me, TICKER, "bid", "0.30", 2, expiration_ts=int(NOW) + 20)
    ex.place_order(other, TICKER, "ask", "0.30", 2)
    assert order.status == "executed"
    no_expiry = ex.place_order(me, TICKER, "bid", "0.30", 2)
    assert no_expiry.order_id not in ex.engine._expiring
    ex.engine.advance(NOW + 25)
    assert order.status == "executed"
    assert ex.engine._expiring == set()


def test_expiring_forgets_orders_without_expiry_or_remaining(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    done = ex.place_order(me, TICKER, "bid", "0.30", 2, expiration_ts=int(NOW) + 20)
    cleared = ex.place_order(me, TICKER, "bid", "0.31", 2, expiration_ts=int(NOW) + 20)
    live = ex.place_order(me, TICKER, "bid", "0.32", 1, expiration_ts=int(NOW) + 20)
    done.canceled = done.initial  # as if it ended without going through cancel
    cleared.expiration_ts = None
    ex.engine._expire(NOW + 1)
    assert ex.engine._expiring == {live.order_id}
    ex.engine._expire(NOW + 20)
    assert ex.engine._expiring == set()
    assert (live.status, cleared.status) == ("canceled", "resting")


# -- cancel, decrease, amend ------------------------------------------------------------------
def test_decrease_keeps_the_queue_place_and_releases_collateral(ex: FakeExchange) -> None:
    first, me, last = _user(ex, "first"), _user(ex, "me"), _user(ex, "last")
    ex.place_order(first, TICKER, "bid", "0.40", 3)
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)
    ex.place_order(last, TICKER, "bid", "0.40", 4)
    seen = _events(ex)
    assert ex.engine.decrease(order, D(7), LATER) == 3
    assert (order.remaining, order.canceled, order.decrease_count) == (7, 3, 3)
    assert (order.status, order.updated, order.on_book) == ("resting", LATER, True)
    assert ex.engine.queue_position(order) == 3
    assert _cash(ex, me) == D("100") - D("2.80")
    assert ex.engine.users[me].accounts[0].updated == LATER
    book = [(e.order, e.delta, e.ts) for e in seen if isinstance(e, BookChanged)]
    assert book == [(order, D(-3), LATER)]
    assert [(e.order, e.ts) for e in seen if isinstance(e, OrderChanged)] == [(order, LATER)]
    assert ex.engine.decrease(order, D(1), LATER + 1) == 6  # down to one contract
    assert (order.remaining, order.decrease_count) == (1, 9)
    assert ex.engine.books[TICKER].depth("bid") == [(D("0.40"), D(8))]
    ex.check_ledger()


def test_decrease_to_the_same_or_more_changes_nothing(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)
    seen = _events(ex)
    assert ex.engine.decrease(order, D(10), LATER) == 0
    assert ex.engine.decrease(order, D(11), LATER) == 0
    assert (order.remaining, order.decrease_count, order.updated) == (10, 0, NOW)
    assert ex.engine.users[me].accounts[0].updated == NOW
    assert seen == []


def test_decrease_to_zero_cancels_and_counts_as_a_decrease(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)
    ex.engine.decrease(order, D(6), LATER)
    assert ex.engine.decrease(order, D(0), LATER) == 6
    assert (order.status, order.closed, order.on_book) == ("canceled", "canceled", False)
    assert (order.canceled, order.decrease_count, order.updated) == (10, 10, LATER)
    assert ex.engine.books[TICKER].depth("bid") == []
    assert _cash(ex, me) == 100
    ex.check_ledger()


def test_cancel_releases_what_remains(ex: FakeExchange) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    order = ex.place_order(me, TICKER, "ask", "0.40", 10)
    ex.place_order(other, TICKER, "bid", "0.40", 4)
    seen = _events(ex)
    assert ex.engine.cancel(order, LATER) == 6
    assert [(e.order, e.ts) for e in seen if isinstance(e, OrderChanged)] == [(order, LATER)]
    assert ex.engine.cancel(order, LATER + 1) == 0
    assert (order.status, order.canceled, order.filled) == ("canceled", 6, 4)
    assert (order.close_cancel_count, order.updated) == (0, LATER)
    assert ex.engine.users[me].accounts[0].updated == LATER
    assert _cash(ex, me) == D("100") - D("2.40")
    done = ex.place_order(other, TICKER, "bid", "0.40", 1)
    ex.place_order(me, TICKER, "ask", "0.40", 1)
    assert ex.engine.cancel(done, LATER) == 0
    assert (done.status, done.canceled) == ("executed", 0)
    ex.check_ledger()


def test_queue_position_counts_contracts_ahead(ex: FakeExchange) -> None:
    a, b, c = _user(ex, "a"), _user(ex, "b"), _user(ex, "c")
    first = ex.place_order(a, TICKER, "bid", "0.40", 3)
    second = ex.place_order(b, TICKER, "bid", "0.40", D("2.5"))
    third = ex.place_order(c, TICKER, "bid", "0.40", 4)
    assert [ex.engine.queue_position(o) for o in (first, second, third)] == [0, 3, D("5.5")]


def _queue(fake: FakeExchange) -> tuple[Order, Order, Order]:
    a, me, c = _user(fake, "a"), _user(fake, "me"), _user(fake, "c")
    first = fake.place_order(a, TICKER, "bid", "0.40", 3)
    mine = fake.place_order(me, TICKER, "bid", "0.40", 10, expiration_ts=int(NOW) + 100)
    last = fake.place_order(c, TICKER, "bid", "0.40", 4)
    return first, mine, last


@pytest.mark.parametrize(
    ("price", "total", "keeps"),
    [
        ("0.40", 10, True),  # only the expiry changes
        ("0.40", 8, True),  # smaller
        ("0.40", 11, False),  # larger
        ("0.39", 10, False),  # another price
    ],
)
def test_amend_keeps_the_queue_place_only_when_it_does_not_grow_or_move(
    ex: FakeExchange, price: str, total: int, keeps: bool
) -> None:
    _, mine, _ = _queue(ex)
    ex.engine.amend(mine, D(price), D(total), LATER, expiration_ts=int(NOW) + 200)
    assert mine.expiration_ts == int(NOW) + 200
    if keeps:
        assert ex.engine.queue_position(mine) == 3
    elif price == "0.40":
        assert ex.engine.queue_position(mine) == 7
    else:
        assert ex.engine.queue_position(mine) == 0
        assert mine.priority > max(o.priority for o in ex.engine.orders.values() if o is not mine)
    assert (mine.price, mine.remaining, mine.updated) == (D(price), total, LATER)
    ex.check_ledger()


def test_amend_moves_the_collateral_and_counts_the_size_change(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)
    ex.engine.amend(order, D("0.45"), D(12), LATER)
    assert (order.remaining, order.amend_count, order.locked) == (12, 2, D("5.40"))
    assert _cash(ex, me) == D("94.60")
    assert ex.engine.users[me].accounts[0].updated == LATER
    ex.engine.amend(order, D("0.45"), D(8), LATER + 1)
    assert (order.remaining, order.amend_count, order.locked) == (8, -2, D("3.60"))
    assert _cash(ex, me) == D("96.40")
    ask = ex.place_order(me, TICKER, "ask", "0.60", 5)  # NO at 0.40
    ex.engine.amend(ask, D("0.50"), D(5), LATER)
    assert (ask.locked, _cash(ex, me)) == (D("2.50"), D("96.40") - D("2.50"))
    ex.check_ledger()


def test_amend_may_use_exactly_the_cash_available(ex: FakeExchange) -> None:
    me = _user(ex, "me", "4.50")
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)  # needs 4.00 + 0.17
    assert _cash(ex, me) == D("0.50")
    ex.engine.amend(order, D("0.45"), D(10), LATER)
    assert _cash(ex, me) == 0
    with pytest.raises(FakeError) as exc:
        ex.engine.amend(order, D("0.46"), D(10), LATER)
    assert _refused(exc) == (
        400,
        "insufficient_balance",
        "insufficient balance for this amend",
        None,
    )
    assert (order.price, order.remaining, order.on_book) == (D("0.45"), 10, True)
    ex.check_ledger()


def test_amend_count_must_exceed_what_filled(ex: FakeExchange) -> None:
    me, other = _user(ex, "me"), _user(ex, "other")
    order = ex.place_order(me, TICKER, "bid", "0.40", 10)
    ex.place_order(other, TICKER, "ask", "0.40", 4)
    for total in (4, 3):
        with pytest.raises(FakeError) as exc:
            ex.engine.amend(order, D("0.40"), D(total), LATER)
        assert _refused(exc) == (
            400,
            "invalid_order",
            "invalid order",
            "count must exceed the contracts already filled",
        )
    ex.engine.amend(order, D("0.40"), D(5), LATER)
    assert (order.remaining, order.filled) == (1, 4)
    ex.check_ledger()


def test_post_only_amend_may_not_cross(ex: FakeExchange) -> None:
    maker_id, me = _user(ex, "maker"), _user(ex, "me")
    ex.place_order(maker_id, TICKER, "ask", "0.45", 3)
    order = ex.place_order(me, TICKER, "bid", "0.40", 2, post_only=True)
    ex.engine.amend(order, D("0.44"), D(3), LATER)  # no cross: fine
    assert (order.price, order.remaining) == (D("0.44"), 3)
    with pytest.raises(FakeError) as exc:
        ex.engine.amend(order, D("0.45"), D(3), LATER)
    assert _refused(exc) == (400, "invalid_order", "invalid order", "post only cross")
    assert (order.price, order.status, order.on_book) == (D("0.44"), "resting", True)
    ask = ex.place_order(me, TICKER, "ask", "0.60", 2, post_only=True)
    ex.engine.amend(ask, D("0.45"), D(2), LATER)  # the best bid is 0.44: no cross
    assert ask.price == D("0.45")
    ex.check_ledger()


def test_amend_expiry(ex: FakeExchange) -> None:
    _, mine, _ = _queue(ex)
    ex.engine.amend(mine, D("0.40"), D(10), LATER)  # no expiry given: kept
    assert mine.expiration_ts == int(NOW) + 100
    for past in (int(LATER), int(LATER) - 1):
        with pytest.raises(FakeError) as exc:
            ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=past)
        assert _refused(exc) == (
            400,
            "invalid_order",
            "invalid order",
            "expiration_time must be in the future",
        )
    assert mine.expiration_ts == int(NOW) + 100
    ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=int(NOW) + 300)
    assert mine.expiration_ts == int(NOW) + 300
    ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=None)
    assert mine.expiration_ts is None
    ex.engine.advance(NOW + 400)
    assert mine.status == "resting"
    ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=int(NOW) + 500)
    ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=0)
    assert mine.expiration_ts is None
    ex.engine.amend(mine, D("0.40"), D(10), LATER, expiration_ts=int(NOW) + 500)
    ex.engine.advance(NOW + 500)
    assert mine.status == "canceled"
    ex.check_ledger()


def test_an_amend_can_give_an_order_an_expiry(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    order = ex.place_order(me, TICKER, "bid", "0.40", 2)
    ex.engine.amend(order, D("0.40"), D(2), LATER, expiration_ts=int(LATER) + 5)
    ex.engine.advance(LATER + 4)
    assert order.status == "resting"
    ex.engine.advance(LATER + 5)
    assert (order.status, order.canceled, _cash(ex, me)) == ("canceled", 2, 100)


def test_an_amend_that_crosses_trades_at_once(ex: FakeExchange) -> None:
    maker_id, me = _user(ex, "maker"), _user(ex, "me")
    maker = ex.place_order(maker_id, TICKER, "ask", "0.45", 3)
    order = ex.place_order(me, TICKER, "bid", "0.40", 5, expiration_ts=int(NOW) + 100)
    seen = _events(ex)
    execution = ex.engine.amend(order, D("0.45"), D(5), LATER)
    assert execution.order is order
    assert [(f.price, f.count, f.created, f.is_taker) for f in execution.fills] == [
        (D("0.45"), 3, LATER, True)
    ]
    assert (order.filled, order.remaining, order.amend_taker_fill_count) == (3, 2, 3)
    assert (order.taker_fill_count, maker.maker_fill_count) == (3, 3)
    assert ex.engine.books[TICKER].depth("bid") == [(D("0.45"), D(2))]
    assert order.order_id in ex.engine._expiring
    # 5 * 0.45 locked; fee 0.07 * 3 * 0.45 * 0.55 = 0.051975 -> 0.0520, floored: 0.06.
    assert _cash(ex, me) == D("100") - D("2.25") - D("0.06")
    book = [(e.order, e.delta, e.cause) for e in seen if isinstance(e, BookChanged)]
    assert book == [
        (order, D(-5), order),
        (maker, D(-3), order),
        (order, D(2), order),
    ]
    assert [(e.order, e.ts) for e in seen if isinstance(e, OrderChanged)][-1] == (order, LATER)
    # An amend that fills it all leaves nothing on the book.
    ex.place_order(maker_id, TICKER, "ask", "0.46", 2)
    ex.engine.amend(order, D("0.46"), D(5), LATER)
    assert (order.status, order.on_book) == ("executed", False)
    assert (order.amend_taker_fill_count, order.taker_fill_count) == (5, 5)
    assert ex.engine.books[TICKER].depth("bid") == []
    ex.check_ledger()


def test_an_amend_canceled_by_self_trade_prevention_does_not_rest(ex: FakeExchange) -> None:
    me = _user(ex, "me")
    ex.place_order(me, TICKER, "ask", "0.45", 3)
    order = ex.place_order(me, TICKER, "bid", "0.40", 5)
    ex.engine.amend(order, D("0.45"), D(5), LATER)
    assert (order.status, order.on_book, order.taker_self_trade_cancel_count) == (
        "canceled",
        False,
        5,
    )
    assert ex.engine.books[TICKER].depth("bid") == []
    ex.check_ledger()
