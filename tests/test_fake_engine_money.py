"""The fake exchange's engine, called directly: deposits, withdrawals, transfers between
subaccounts and users, netting, the ledger.

Each test states a rule of the exchange (from the spec and the seeds) and fails when the
engine breaks it; ``nox -s mutation -- engine`` measures how many bug-like changes they catch.

Most tests trade in markets whose fee rates are zero, so every balance follows from prices and
counts alone: a YES buyer pays the price, a NO buyer (a seller of YES) one dollar minus it.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import FakeError, FakeExchange
from kalshi_testing._engine import Engine
from kalshi_testing._events import PositionChanged
from kalshi_testing._state import Account, Order, Position

T0 = 1_800_000_000.0
M = "MONEY-26JAN01-T50"  # no fees
M2 = "MONEY-26JAN01-T60"  # no fees, same event
M3 = "OTHER-26FEB01-T10"  # no fees, another event
FEES = "FEES-26JAN01-T50"  # the default quadratic schedule (taker rate 0.07)


def D(text: str | int) -> Decimal:
    return Decimal(text)


@pytest.fixture
def ex() -> FakeExchange:
    fake = FakeExchange(clock=lambda: T0)
    for ticker in (M, M2, M3):
        fake.add_market(ticker, taker_fee_rate="0", maker_fee_rate="0")
    fake.add_market(FEES)
    return fake


def _cash(fake: FakeExchange, user: str, sub: int = 0) -> Decimal:
    return fake.engine.users[user].accounts[sub].cash


def _account(fake: FakeExchange, user: str, sub: int = 0) -> Account:
    return fake.engine.users[user].accounts[sub]


def _refused(
    call: Any, status: int, code: str, message: str
) -> FakeError:  # the exchange's answer, checked whole
    with pytest.raises(FakeError) as caught:
        call()
    err = caught.value
    assert (err.status, err.code, err.message) == (status, code, message)
    return err


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except (TypeError, ValueError):
        return False


_NUMBER = re.compile(r"(?<![\w/-])-?\d+(?:\.\d+)?(?![\w/-])")


def _problems(fake: FakeExchange) -> tuple[str, ...]:
    """The ledger's problems, each amount written in its shortest form (5.0000 as 5)."""
    return tuple(
        _NUMBER.sub(lambda m: f"{Decimal(m.group()).normalize():f}", problem)
        for problem in fake.ledger().problems
    )


def _cross(
    fake: FakeExchange,
    maker: str,
    taker: str,
    maker_side: str,
    price: str,
    count: str | int,
    *,
    ticker: str = M,
    now: float = T0,
) -> None:
    """``maker`` rests an order at ``price``; ``taker`` takes all of it at the same price."""
    fake.place_order(maker, ticker, maker_side, price, count, now=now)
    taker_side = "ask" if maker_side == "bid" else "bid"
    fake.place_order(taker, ticker, taker_side, price, count, now=now)


# -- deposits and withdrawals ---------------------------------------------------------------------
def test_deposits_credit_the_primary_account_and_are_recorded_as_applied_ach(
    ex: FakeExchange,
) -> None:
    engine = ex.engine
    ex.add_participant("alice")
    assert engine.create_subaccount("alice", T0) == 1
    engine.deposit("alice", D("0.50"), T0 + 1)
    engine.deposit("alice", D(1), T0 + 2)
    engine.deposit("alice", D("12.34"), T0 + 3, method="wire")
    assert _cash(ex, "alice") == D("13.84")
    assert _cash(ex, "alice", 1) == 0  # deposits land in the primary account only
    assert _account(ex, "alice").updated == T0 + 3
    moves = engine.movements
    assert [(m.user_id, m.kind, m.amount, m.method, m.created, m.status) for m in moves] == [
        ("alice", "deposit", D("0.50"), "ach", T0 + 1, "applied"),
        ("alice", "deposit", D(1), "ach", T0 + 2, "applied"),
        ("alice", "deposit", D("12.34"), "wire", T0 + 3, "applied"),
    ]
    assert all(_is_uuid(m.movement_id) for m in moves)
    assert len({m.movement_id for m in moves}) == 3
    assert moves[0].sequence < moves[1].sequence < moves[2].sequence
    ledger = ex.check_ledger()
    assert (ledger.deposits, ledger.withdrawals, ledger.cash) == (D("13.84"), 0, D("13.84"))


@pytest.mark.parametrize("amount", ["0", "-0.01", "-5"])
def test_a_deposit_must_be_positive(ex: FakeExchange, amount: str) -> None:
    ex.add_participant("alice", balance="3")
    with pytest.raises(ValueError, match=r"^a deposit must be positive$"):
        ex.engine.deposit("alice", D(amount), T0 + 1)
    assert _cash(ex, "alice") == 3
    assert len(ex.engine.movements) == 1
    ex.check_ledger()


def test_withdrawals_debit_the_primary_account_down_to_zero(ex: FakeExchange) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    engine.create_subaccount("alice", T0)
    engine.transfer("alice", 0, 1, D(2), T0)
    engine.withdraw("alice", D("0.50"), T0 + 5)
    engine.withdraw("alice", D(1), T0 + 6, method="wire")
    assert _cash(ex, "alice") == D("6.50")
    engine.withdraw("alice", D("6.50"), T0 + 7)  # all of it
    assert _cash(ex, "alice") == 0
    assert _cash(ex, "alice", 1) == 2  # a subaccount's cash is not withdrawn
    assert _account(ex, "alice").updated == T0 + 7
    out = [m for m in engine.movements if m.kind == "withdrawal"]
    assert [(m.user_id, m.amount, m.method, m.created, m.status) for m in out] == [
        ("alice", D("0.50"), "ach", T0 + 5, "applied"),
        ("alice", D(1), "wire", T0 + 6, "applied"),
        ("alice", D("6.50"), "ach", T0 + 7, "applied"),
    ]
    assert all(_is_uuid(m.movement_id) for m in out)
    assert len({m.movement_id for m in engine.movements}) == len(engine.movements)
    assert out[0].sequence < out[1].sequence < out[2].sequence
    ledger = ex.check_ledger()
    assert (ledger.deposits, ledger.withdrawals, ledger.cash) == (D(10), D(8), D(2))


@pytest.mark.parametrize("amount", ["0", "-1", "10.01", "25"])
def test_a_withdrawal_must_be_positive_and_at_most_the_cash(ex: FakeExchange, amount: str) -> None:
    ex.add_participant("alice", balance="10")
    ex.engine.create_subaccount("alice", T0)
    ex.engine.transfer("alice", 0, 1, D(5), T0)
    ex.engine.deposit("alice", D(5), T0)  # the primary holds 10 again; 15 in all
    with pytest.raises(
        ValueError, match=r"^a withdrawal must be positive and at most the available cash$"
    ):
        ex.engine.withdraw("alice", D(amount), T0 + 1)
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1)) == (10, 5)
    assert [m.kind for m in ex.engine.movements] == ["deposit", "deposit"]
    ex.check_ledger()


# -- subaccounts ----------------------------------------------------------------------------------
def test_subaccounts_are_numbered_from_1_up_to_63_and_inherit_the_primarys_netting(
    ex: FakeExchange,
) -> None:
    """Spec: "Subaccounts are numbered sequentially starting from 1. Maximum 63 numbered
    subaccounts per user"; new ones take the primary's netting setting (Kalshi's changelog)."""
    engine = ex.engine
    ex.add_participant("alice", balance="1")
    engine.set_netting("alice", 0, False, T0)
    assert engine.create_subaccount("alice", T0 + 1) == 1
    first = _account(ex, "alice", 1)
    assert (first.number, first.cash, first.netting, first.updated) == (1, 0, False, T0 + 1)
    engine.set_netting("alice", 0, True, T0)
    assert engine.create_subaccount("alice", T0 + 2) == 2
    second = _account(ex, "alice", 2)
    assert (second.number, second.cash, second.netting, second.updated) == (2, 0, True, T0 + 2)
    assert second.netting is True
    for expected in range(3, 64):
        assert engine.create_subaccount("alice", T0 + 3) == expected
    assert sorted(engine.users["alice"].accounts) == list(range(64))
    _refused(
        lambda: engine.create_subaccount("alice", T0 + 4),
        400,
        "invalid_parameters",
        "maximum number of subaccounts (63) reached",
    )
    assert len(engine.users["alice"].accounts) == 64
    ex.check_ledger()


def test_an_unknown_subaccount_is_a_400(ex: FakeExchange) -> None:
    ex.add_participant("alice", balance="5")
    engine = ex.engine
    assert engine.account("alice", 0) is _account(ex, "alice")
    _refused(
        lambda: engine.account("alice", 5), 400, "invalid_parameters", "subaccount 5 does not exist"
    )
    _refused(
        lambda: engine.set_netting("alice", 2, False, T0),
        400,
        "invalid_parameters",
        "subaccount 2 does not exist",
    )
    assert _account(ex, "alice").netting is True


# -- transfers between subaccounts ----------------------------------------------------------------
def test_transfers_move_cash_between_a_users_subaccounts(ex: FakeExchange) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    ex.add_participant("bob", balance="4")
    engine.create_subaccount("alice", T0)
    engine.create_subaccount("alice", T0)
    first = engine.transfer("alice", 0, 1, D("0.50"), T0 + 1)
    second = engine.transfer("alice", 0, 1, D(1), T0 + 2)
    third = engine.transfer("alice", 1, 2, D("1.50"), T0 + 3, "c-3")  # all of subaccount 1
    assert [_cash(ex, "alice", n) for n in (0, 1, 2)] == [D("8.50"), 0, D("1.50")]
    assert _cash(ex, "bob") == 4
    assert [_account(ex, "alice", n).updated for n in (0, 1, 2)] == [T0 + 2, T0 + 3, T0 + 3]
    assert engine.subaccount_transfers == [first, second, third]
    rows = [
        (t.user_id, t.from_subaccount, t.to_subaccount, t.amount, t.created, t.client_transfer_id)
        for t in engine.subaccount_transfers
    ]
    assert rows == [
        ("alice", 0, 1, D("0.50"), T0 + 1, None),
        ("alice", 0, 1, D(1), T0 + 2, None),
        ("alice", 1, 2, D("1.50"), T0 + 3, "c-3"),
    ]
    assert all(_is_uuid(t.transfer_id) for t in engine.subaccount_transfers)
    assert len({t.transfer_id for t in engine.subaccount_transfers}) == 3
    assert first.sequence < second.sequence < third.sequence
    ledger = ex.check_ledger()
    assert (ledger.deposits, ledger.cash) == (D(14), D(14))


@pytest.mark.parametrize(
    ("source", "target", "amount", "code", "message"),
    [
        (0, 0, "1", "invalid_parameters", "from and to subaccounts must differ"),
        (1, 1, "1", "invalid_parameters", "from and to subaccounts must differ"),
        (0, 1, "0", "invalid_parameters", "amount must be positive"),
        (0, 1, "-1", "invalid_parameters", "amount must be positive"),
        (0, 1, "6.01", "insufficient_balance", "insufficient balance for transfer"),
        (1, 0, "2.01", "insufficient_balance", "insufficient balance for transfer"),
        (0, 3, "1", "invalid_parameters", "subaccount 3 does not exist"),
        (3, 0, "1", "invalid_parameters", "subaccount 3 does not exist"),
    ],
)
def test_a_refused_transfer_moves_nothing(
    ex: FakeExchange, source: int, target: int, amount: str, code: str, message: str
) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="8")
    engine.create_subaccount("alice", T0)
    engine.transfer("alice", 0, 1, D(2), T0)
    _refused(
        lambda: engine.transfer("alice", source, target, D(amount), T0 + 1), 400, code, message
    )
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1)) == (6, 2)
    assert len(engine.subaccount_transfers) == 1
    ex.check_ledger()


# -- transfers between the event-contract exchange and the margined one ---------------------------
def test_intra_exchange_transfers_move_cash_to_the_margined_exchange_and_back(
    ex: FakeExchange,
) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    ex.add_participant("bob", balance="3")
    engine.create_subaccount("alice", T0)
    engine.transfer("alice", 0, 1, D(2), T0)
    user = engine.users["alice"]
    records = []

    def move(src: str, dst: str, src_sub: int, dst_sub: int, amount: str, at: float) -> None:
        records.append(engine.intra_transfer("alice", src, dst, src_sub, dst_sub, D(amount), at))
        ex.check_ledger()

    move("event_contract", "margined", 0, 0, "0.50", T0 + 1)
    assert (_cash(ex, "alice"), user.margined) == (D("7.50"), D("0.50"))
    assert _account(ex, "alice").updated == T0 + 1
    ledger = ex.check_ledger()
    assert (ledger.cash, ledger.margined) == (D("12.50"), D("0.50"))
    move("event_contract", "margined", 0, 0, "1", T0 + 2)
    move("event_contract", "margined", 0, 0, "6.50", T0 + 3)  # all of the primary's cash
    move("event_contract", "margined", 1, 0, "2", T0 + 4)  # all of subaccount 1's
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1), user.margined) == (0, 0, 10)
    assert _account(ex, "alice", 1).updated == T0 + 4
    move("margined", "event_contract", 0, 1, "1", T0 + 5)
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1), user.margined) == (0, 1, 9)
    assert _account(ex, "alice", 1).updated == T0 + 5
    move("margined", "event_contract", 0, 0, "0.50", T0 + 6)
    move("margined", "event_contract", 0, 0, "8.50", T0 + 7)  # all that is left there
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1), user.margined) == (9, 1, 0)
    assert _account(ex, "alice").updated == T0 + 7
    assert _cash(ex, "bob") == 3
    assert engine.users["bob"].margined == 0
    assert engine.subaccount_transfers[1:] == []  # only the set-up transfer
    assert engine.intra_transfers == records
    rows = [
        (
            t.user_id,
            t.source,
            t.destination,
            t.source_subaccount,
            t.destination_subaccount,
            t.amount,
            t.created,
            t.status,
        )
        for t in records
    ]
    assert rows == [
        ("alice", "event_contract", "margined", 0, 0, D("0.50"), T0 + 1, "complete"),
        ("alice", "event_contract", "margined", 0, 0, D(1), T0 + 2, "complete"),
        ("alice", "event_contract", "margined", 0, 0, D("6.50"), T0 + 3, "complete"),
        ("alice", "event_contract", "margined", 1, 0, D(2), T0 + 4, "complete"),
        ("alice", "margined", "event_contract", 0, 1, D(1), T0 + 5, "complete"),
        ("alice", "margined", "event_contract", 0, 0, D("0.50"), T0 + 6, "complete"),
        ("alice", "margined", "event_contract", 0, 0, D("8.50"), T0 + 7, "complete"),
    ]
    assert all(_is_uuid(t.transfer_id) for t in records)
    assert len({t.transfer_id for t in records}) == len(records)
    assert [t.sequence for t in records] == sorted({t.sequence for t in records})
    ledger = ex.check_ledger()
    assert (ledger.cash, ledger.margined, ledger.deposits) == (D(13), 0, D(13))


def test_an_event_contract_to_event_contract_transfer_is_a_subaccount_transfer(
    ex: FakeExchange,
) -> None:
    """Spec: with the same shard on both sides Kalshi treats the request as a subaccount
    transfer, and "the returned transfer ID appears in the subaccount transfer history"."""
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    engine.create_subaccount("alice", T0)
    engine.create_subaccount("alice", T0)
    record = engine.intra_transfer("alice", "event_contract", "event_contract", 0, 2, D(1), T0 + 2)
    assert [_cash(ex, "alice", n) for n in (0, 1, 2)] == [9, 0, 1]
    assert engine.users["alice"].margined == 0
    assert [_account(ex, "alice", n).updated for n in (0, 2)] == [T0 + 2, T0 + 2]
    (sub_transfer,) = engine.subaccount_transfers
    assert _is_uuid(record.transfer_id)
    assert sub_transfer.transfer_id == record.transfer_id
    assert (
        sub_transfer.user_id,
        sub_transfer.from_subaccount,
        sub_transfer.to_subaccount,
        sub_transfer.amount,
        sub_transfer.created,
    ) == ("alice", 0, 2, D(1), T0 + 2)
    assert engine.intra_transfers == [record]
    assert (
        record.user_id,
        record.source,
        record.destination,
        record.source_subaccount,
        record.destination_subaccount,
        record.amount,
        record.created,
        record.status,
    ) == ("alice", "event_contract", "event_contract", 0, 2, D(1), T0 + 2, "complete")
    assert record.sequence > sub_transfer.sequence
    ex.check_ledger()


@pytest.mark.parametrize(
    ("source", "destination", "src_sub", "dst_sub", "amount", "code", "message"),
    [
        ("event_contract", "margined", 0, 0, "0", "invalid_parameters", "amount must be positive"),
        ("margined", "event_contract", 0, 0, "-1", "invalid_parameters", "amount must be positive"),
        (
            "margined",
            "margined",
            0,
            0,
            "1",
            "invalid_parameters",
            "source and destination are the same",
        ),
        (
            "event_contract",
            "event_contract",
            1,
            1,
            "1",
            "invalid_parameters",
            "from and to subaccounts must differ",
        ),
        (
            "event_contract",
            "margined",
            0,
            0,
            "6.01",
            "insufficient_balance",
            "insufficient balance for transfer",
        ),
        (
            "event_contract",
            "margined",
            1,
            0,
            "2.01",
            "insufficient_balance",
            "insufficient balance for transfer",
        ),
        (
            "margined",
            "event_contract",
            0,
            0,
            "3.01",
            "insufficient_balance",
            "insufficient balance for transfer",
        ),
        (
            "event_contract",
            "event_contract",
            0,
            1,
            "6.01",
            "insufficient_balance",
            "insufficient balance for transfer",
        ),
        (
            "event_contract",
            "margined",
            4,
            0,
            "1",
            "invalid_parameters",
            "subaccount 4 does not exist",
        ),
        (
            "margined",
            "event_contract",
            0,
            4,
            "1",
            "invalid_parameters",
            "subaccount 4 does not exist",
        ),
    ],
)
def test_a_refused_intra_exchange_transfer_moves_nothing(
    ex: FakeExchange,
    source: str,
    destination: str,
    src_sub: int,
    dst_sub: int,
    amount: str,
    code: str,
    message: str,
) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="11")
    engine.create_subaccount("alice", T0)
    engine.transfer("alice", 0, 1, D(2), T0)
    engine.intra_transfer("alice", "event_contract", "margined", 0, 0, D(3), T0)
    user = engine.users["alice"]
    _refused(
        lambda: engine.intra_transfer(
            "alice", source, destination, src_sub, dst_sub, D(amount), T0 + 1
        ),
        400,
        code,
        message,
    )
    assert (_cash(ex, "alice"), _cash(ex, "alice", 1), user.margined) == (6, 2, 3)
    assert len(engine.intra_transfers) == 1
    assert len(engine.subaccount_transfers) == 1
    ex.check_ledger()


# -- netting --------------------------------------------------------------------------------------
def _both_sides(ex: FakeExchange) -> tuple[Position, Position]:
    """alice and bob, netting off, each end up holding YES and NO in ``M``.

    bob rests a sell of 5 YES at 0.40 (he buys NO at 0.60) and alice takes it (YES at 0.40);
    bob rests a buy of 3 YES at 0.45 and alice sells into it (she buys NO at 0.55).
    """
    engine = ex.engine
    for user in ("alice", "bob"):
        ex.add_participant(user, balance="100")
        engine.set_netting(user, 0, False, T0)
    _cross(ex, "bob", "alice", "ask", "0.40", 5, now=T0 + 1)
    _cross(ex, "bob", "alice", "bid", "0.45", 3, now=T0 + 2)
    alice = engine.positions[("alice", 0, M)]
    bob = engine.positions[("bob", 0, M)]
    assert (alice.yes_count, alice.no_count, _cash(ex, "alice")) == (5, 3, D("96.35"))
    assert (bob.yes_count, bob.no_count, _cash(ex, "bob")) == (3, 5, D("95.65"))
    assert ex.check_ledger().open_pairs == 8
    return alice, bob


def test_with_netting_off_both_sides_are_held_and_turning_it_on_redeems_the_pairs(
    ex: FakeExchange,
) -> None:
    """Each YES+NO pair held with netting on is redeemed for $1 at once (the engine's money
    model); turning netting on redeems the pairs already held, in that subaccount only."""
    engine = ex.engine
    alice, bob = _both_sides(ex)
    ex.add_participant("carol", balance="5")
    events: list[Any] = []
    engine.listen(events.append)
    engine.set_netting("alice", 0, True, T0 + 10)
    assert _account(ex, "alice").netting is True
    assert (alice.yes_count, alice.no_count) == (2, 0)
    assert alice.yes_cost == D("0.80")  # the oldest lot left: 2 YES at 0.40
    # 3 pairs bought at 0.40 + 0.55 redeemed at $1: 3 x 0.05
    assert alice.realized_pnl == D("0.15")
    assert _cash(ex, "alice") == D("99.35")
    assert _account(ex, "alice").updated == T0 + 10
    assert (bob.yes_count, bob.no_count, _cash(ex, "bob")) == (3, 5, D("95.65"))
    assert _account(ex, "bob").netting is False
    assert [(e.position, e.ts) for e in events if isinstance(e, PositionChanged)] == [
        (alice, T0 + 10)
    ]
    ledger = ex.check_ledger()
    assert ledger.open_pairs == 5
    assert ledger.cash == D("99.35") + D("95.65") + 5
    # Nothing left to redeem: no balance update, no position event.
    events.clear()
    engine.set_netting("alice", 0, True, T0 + 20)
    assert _account(ex, "alice").updated == T0 + 10
    assert [e for e in events if isinstance(e, PositionChanged)] == []
    # With netting on, a new pair is redeemed as it is bought: 1 NO at 0.50 against a YES
    # bought at 0.40 (first in, first out) realizes another 0.10.
    _cross(ex, "bob", "alice", "bid", "0.50", 1, now=T0 + 30)
    assert (alice.yes_count, alice.no_count) == (1, 0)
    assert alice.realized_pnl == D("0.25")
    assert _cash(ex, "alice") == D("99.85")
    ex.check_ledger()


def test_netting_is_per_subaccount(ex: FakeExchange) -> None:
    engine = ex.engine
    alice, bob = _both_sides(ex)
    engine.create_subaccount("alice", T0)  # inherits netting off
    engine.transfer("alice", 0, 1, D(10), T0)
    engine.create_subaccount("bob", T0)
    engine.transfer("bob", 0, 1, D(10), T0)
    ex.place_order("bob", M2, "ask", "0.30", 2, subaccount=1, now=T0 + 3)
    ex.place_order("alice", M2, "bid", "0.30", 2, subaccount=1, now=T0 + 3)
    ex.place_order("bob", M2, "bid", "0.35", 2, subaccount=1, now=T0 + 4)
    ex.place_order("alice", M2, "ask", "0.35", 2, subaccount=1, now=T0 + 4)
    side = engine.positions[("alice", 1, M2)]
    assert (side.yes_count, side.no_count) == (2, 2)
    engine.set_netting("alice", 1, True, T0 + 10)
    assert (side.yes_count, side.no_count, side.realized_pnl) == (0, 0, D("0.05") * 2)
    assert _cash(ex, "alice", 1) == 10 - D("0.60") - D("1.30") + 2
    assert (alice.yes_count, alice.no_count, _cash(ex, "alice")) == (5, 3, D("86.35"))
    assert _account(ex, "alice").netting is False
    assert (bob.yes_count, bob.no_count) == (3, 5)
    bob_side = engine.positions[("bob", 1, M2)]
    assert (bob_side.yes_count, bob_side.no_count) == (2, 2)
    ex.check_ledger()


def test_turning_netting_off_keeps_what_is_held(ex: FakeExchange) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    ex.add_participant("bob", balance="10")
    _cross(ex, "bob", "alice", "ask", "0.40", 2, now=T0 + 1)
    events: list[Any] = []
    engine.listen(events.append)
    engine.set_netting("alice", 0, False, T0 + 2)
    assert _account(ex, "alice").netting is False
    assert events == []
    position = engine.positions[("alice", 0, M)]
    assert (position.yes_count, position.no_count, _cash(ex, "alice")) == (2, 0, D("9.20"))
    _cross(ex, "bob", "alice", "bid", "0.50", 1, now=T0 + 3)  # alice buys 1 NO at 0.50
    assert (position.yes_count, position.no_count, _cash(ex, "alice")) == (2, 1, D("8.70"))
    ex.check_ledger()


def test_with_netting_on_a_single_pair_is_redeemed_at_once(ex: FakeExchange) -> None:
    ex.add_participant("alice", balance="10")
    ex.add_participant("bob", balance="10")
    _cross(ex, "bob", "alice", "ask", "0.40", 1, now=T0 + 1)
    _cross(ex, "bob", "alice", "bid", "0.45", 1, now=T0 + 2)  # alice buys NO at 0.55
    position = ex.engine.positions[("alice", 0, M)]
    assert (position.yes_count, position.no_count) == (0, 0)
    assert position.realized_pnl == D("0.05")
    assert _cash(ex, "alice") == D("10.05")
    assert _account(ex, "alice").updated == T0 + 2
    # Half a pair is redeemed too: half a dollar.
    _cross(ex, "bob", "alice", "ask", "0.40", "0.5", now=T0 + 3)
    _cross(ex, "bob", "alice", "bid", "0.40", "0.5", now=T0 + 4)  # NO at 0.60
    assert (position.yes_count, position.no_count) == (0, 0)
    assert _cash(ex, "alice") == D("10.05")
    assert ex.check_ledger().open_pairs == 0


# -- positions, open interest, client order ids, trade prices -----------------------------------
def test_a_position_is_one_per_user_subaccount_and_market(ex: FakeExchange) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="10")
    engine.create_subaccount("alice", T0)
    first = engine.position("alice", 0, M)
    assert engine.position("alice", 0, M) is first
    assert engine.positions[("alice", 0, M)] is first
    assert (first.user_id, first.subaccount, first.ticker, first.event_ticker) == (
        "alice",
        0,
        M,
        "MONEY-26JAN01",
    )
    assert (first.yes_count, first.no_count, first.realized_pnl) == (0, 0, 0)
    other_market = engine.position("alice", 0, M3)
    other_sub = engine.position("alice", 1, M)
    assert len({id(first), id(other_market), id(other_sub)}) == 3
    assert (other_market.ticker, other_market.event_ticker) == (M3, "OTHER-26FEB01")
    assert (other_sub.subaccount, other_sub.ticker) == (1, M)


def test_open_interest_counts_the_yes_contracts_held_in_one_market(ex: FakeExchange) -> None:
    engine = ex.engine
    for user in ("alice", "bob", "carol"):
        ex.add_participant(user, balance="20")
    assert engine.open_interest(M) == 0
    assert type(engine.open_interest(M)) is Decimal
    _cross(ex, "bob", "alice", "ask", "0.40", 5)
    _cross(ex, "carol", "alice", "ask", "0.40", 2)
    _cross(ex, "carol", "bob", "ask", "0.30", 3, ticker=M2)
    assert engine.open_interest(M) == 7
    assert engine.open_interest(M2) == 3
    assert engine.open_interest(M3) == 0
    # bob buys 4 YES from alice: each of them redeems 4 pairs, 4 fewer contracts are open
    _cross(ex, "bob", "alice", "bid", "0.45", 4)
    assert engine.open_interest(M) == 3
    ex.check_ledger()


def test_a_client_order_id_is_taken_only_by_the_same_users_orders(ex: FakeExchange) -> None:
    engine = ex.engine
    ex.add_participant("alice", balance="20")
    ex.add_participant("bob", balance="20")
    ex.place_order("alice", M, "bid", "0.10", 1)  # no client order id
    ex.place_order("alice", M, "bid", "0.11", 1, client_order_id="a-1")
    ex.place_order("bob", M, "bid", "0.12", 1)
    assert engine.client_order_id_taken("alice", "a-1") is True
    assert engine.client_order_id_taken("alice", "a-2") is False
    assert engine.client_order_id_taken("bob", "a-1") is False
    assert engine.client_order_id_taken("alice", None) is False
    assert engine.client_order_id_taken("alice", "") is False
    _refused(
        lambda: ex.place_order("alice", M, "bid", "0.13", 1, client_order_id="a-1"),
        409,
        "order_already_exists",
        "duplicate client_order_id",
    )
    ex.place_order("bob", M, "bid", "0.13", 1, client_order_id="a-1")  # another user's: fine
    ex.place_order("alice", M, "bid", "0.14", 1)  # a second order without one: fine
    assert engine.client_order_id_taken("bob", "a-1") is True


def test_a_yes_buyer_pays_the_price_and_a_no_buyer_one_dollar_minus_it(ex: FakeExchange) -> None:
    """Trades happen at the maker's price; a taker whose limit was better gets the difference."""
    for user in ("alice", "bob", "carol"):
        ex.add_participant(user, balance="10")
    ex.place_order("bob", M, "ask", "0.40", 2)  # bob locks 2 x 0.60
    assert _cash(ex, "bob") == D("8.80")
    ex.place_order("alice", M, "bid", "0.50", 2)  # crosses: pays 0.40, not 0.50
    assert _cash(ex, "alice") == 10 - D("0.80")
    assert _cash(ex, "bob") == D("8.80")
    ex.place_order("carol", M, "bid", "0.45", 3)  # carol locks 3 x 0.45
    assert _cash(ex, "carol") == D("8.65")
    ex.place_order("alice", M, "ask", "0.30", 3)  # sells YES at 0.45: buys NO at 0.55
    # 2 of her 3 NO pair with her 2 YES and are redeemed for $1 each.
    assert _cash(ex, "alice") == 10 - D("0.80") - 3 * D("0.55") + 2
    assert _cash(ex, "carol") == D("8.65")
    alice = ex.engine.positions[("alice", 0, M)]
    assert (alice.yes_count, alice.no_count, alice.no_cost) == (0, 1, D("0.55"))
    ex.check_ledger()


def test_an_execution_reports_its_fills(ex: FakeExchange) -> None:
    engine = ex.engine
    for user in ("alice", "bob"):
        ex.add_participant(user, balance="50")
    ex.place_order("bob", FEES, "ask", "0.40", 10)
    ex.place_order("bob", FEES, "ask", "0.50", 10)
    order = Order(str(uuid.uuid4()), "alice", FEES, "bid", D("0.60"), D(15), T0)
    execution = engine.place(order, T0)
    assert execution.filled == 15
    assert execution.average_price == (10 * D("0.40") + 5 * D("0.50")) / 15
    # Quadratic fees, 0.07 x C x P x (1 - P), rounded up to the cent: 0.17 and 0.09.
    assert [f.fee for f in execution.fills] == [D("0.17"), D("0.09")]
    assert execution.average_fee == D("0.26") / 15
    resting = Order(str(uuid.uuid4()), "alice", FEES, "bid", D("0.10"), D(1), T0)
    idle = engine.place(resting, T0)
    assert (idle.filled, idle.average_price, idle.average_fee) == (0, None, None)


# -- the ledger -----------------------------------------------------------------------------------
def test_an_empty_exchange_has_a_balanced_ledger_of_decimal_zeros() -> None:
    ledger = Engine().ledger()
    figures = (
        ledger.deposits,
        ledger.withdrawals,
        ledger.cash,
        ledger.locked,
        ledger.margined,
        ledger.open_pairs,
        ledger.fees,
    )
    assert figures == (0,) * 7
    assert all(type(x) is Decimal for x in figures)
    assert ledger.problems == ()
    assert ledger.balanced is True


def test_the_ledger_adds_up_every_place_money_can_be(ex: FakeExchange) -> None:
    """deposits - withdrawals = cash + locked + margined + $1 per open pair + fees."""
    engine = ex.engine
    ex.add_participant("alice", balance="100")
    ex.add_participant("bob", balance="100")
    ex.add_participant("carol", balance="0.50")
    ex.add_participant("dave")  # nothing at all
    engine.create_subaccount("bob", T0)  # an account with no money ever
    engine.withdraw("alice", D(10), T0)
    engine.intra_transfer("alice", "event_contract", "margined", 0, 0, D(5), T0)
    ex.place_order("bob", FEES, "ask", "0.50", 14)  # locks 14 x 0.50
    taker = ex.place_order("alice", FEES, "bid", "0.50", 10)  # 0.07 x 10 x 0.25 = 0.175
    assert taker.remaining == 0
    ex.place_order("alice", FEES, "bid", "0.30", 5)  # locks 1.50
    ex.place_order("alice", FEES, "bid", "0.20", "5.5")  # locks 1.10
    ex.place_order("carol", M, "bid", "0.20", "0.5")  # locks 0.10
    ledger = ex.check_ledger()
    assert ledger.problems == ()
    assert ledger.balanced is True
    assert ledger.deposits == D("200.50")
    assert ledger.withdrawals == 10
    assert ledger.margined == 5
    assert ledger.open_pairs == 10
    assert ledger.fees == D("0.18")
    assert ledger.locked == D("2.00") + D("1.50") + D("1.10") + D("0.10")
    assert _cash(ex, "alice") == 100 - 10 - 5 - 5 - D("0.18") - D("1.50") - D("1.10")
    assert _cash(ex, "bob") == 100 - 7
    assert ledger.cash == _cash(ex, "alice") + _cash(ex, "bob") + D("0.40")
    assert ledger.cash + ledger.locked + ledger.margined + ledger.open_pairs + ledger.fees == (
        ledger.deposits - ledger.withdrawals
    )


def _small_book(ex: FakeExchange) -> None:
    ex.add_participant("alice", balance="10")
    ex.add_participant("bob", balance="10")
    ex.engine.withdraw("bob", D(2), T0)
    _cross(ex, "bob", "alice", "ask", "0.40", 5)  # 5 pairs open in M
    ex.check_ledger()


def test_the_ledger_names_negative_cash_and_money_not_conserved(ex: FakeExchange) -> None:
    _small_book(ex)
    _account(ex, "bob").cash = D(-1)
    assert ex.ledger().balanced is False
    assert _problems(ex) == (
        "bob/0: negative cash -1",
        "bob/0: cash + locked -1 != flows 5",
        "money not conserved: held 12 != deposits - withdrawals 18",
    )
    with pytest.raises(AssertionError, match="ledger out of balance: bob/0: negative cash -1; "):
        ex.check_ledger()


def test_the_ledger_names_cash_that_moved_without_a_record(ex: FakeExchange) -> None:
    _small_book(ex)
    _account(ex, "alice").cash -= 1
    _account(ex, "bob").cash += 1
    assert _problems(ex) == (
        "alice/0: cash + locked 7 != flows 8",
        "bob/0: cash + locked 6 != flows 5",
    )


def test_the_ledger_names_a_market_whose_yes_and_no_differ(ex: FakeExchange) -> None:
    _small_book(ex)
    ex.engine.positions[("alice", 0, M)].yes.add(D(1), D("0.40"))
    assert _problems(ex) == (
        f"{M}: 6 YES held but 5 NO",
        "money not conserved: held 19 != deposits - withdrawals 18",
    )


def test_the_ledger_counts_no_pairs_in_a_settled_market(ex: FakeExchange) -> None:
    """Pairs are money only until settlement: a market marked settled whose positions were
    never paid out leaves money unaccounted for."""
    _small_book(ex)
    ex.engine.markets[M].status = "settled"
    assert _problems(ex) == ("money not conserved: held 13 != deposits - withdrawals 18",)


def test_the_ledger_names_an_order_with_negative_remaining(ex: FakeExchange) -> None:
    _small_book(ex)
    taker = next(o for o in ex.engine.orders.values() if o.user_id == "alice")
    assert (taker.remaining, taker.on_book) == (0, False)
    taker.canceled += 1
    assert _problems(ex) == (f"order {taker.order_id} has negative remaining",)
