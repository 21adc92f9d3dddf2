"""The fake exchange's books balance to the cent whatever happens.

Random flows of valid operations (several users and subaccounts, random prices, counts, sides,
times in force, self-trade prevention, amends, decreases, cancels, transfers, netting changes,
pauses, market closes and settlements of every kind, under a series fee schedule with maker
fees, per-fill fee rounding and scalar settlement fees) run straight on the engine, and after
every step the ledger invariants of ``kalshi_testing._engine`` must hold. At the end every market
settles and the money left in the accounts must be exactly what was deposited, minus what was
withdrawn, minus the fees the exchange collected."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kalshi_testing import FakeError, FakeExchange

MARKETS = ("LEDGER-A", "LEDGER-C")
USERS = ("alice", "bob", "carol")

# Mostly near the middle, so orders cross often; sometimes anywhere on the grid.
prices = st.one_of(st.integers(45, 55), st.integers(45, 55), st.integers(1, 99)).map(
    lambda c: Decimal(c) / 100
)
counts = st.one_of(
    st.integers(1, 15).map(Decimal), st.sampled_from([Decimal("0.5"), Decimal("2.25")])
)

place = st.tuples(
    st.just("place"),
    st.sampled_from(USERS),
    st.integers(0, 1),  # subaccount
    st.sampled_from(MARKETS),
    st.sampled_from(["bid", "ask"]),
    prices,
    counts,
    st.sampled_from(["good_till_canceled"] * 3 + ["immediate_or_cancel", "fill_or_kill"]),
    st.sampled_from(["taker_at_cross", "maker"]),
    st.booleans(),  # post_only
    st.booleans(),  # cancel_order_on_pause
    st.one_of(st.none(), st.integers(1, 30)),  # expires in N seconds
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 200))
amend = st.tuples(st.just("amend"), st.integers(0, 200), prices, counts)
decrease = st.tuples(st.just("decrease"), st.integers(0, 200), counts)
# Scalar values on the cent grid, and sometimes below it (payouts then leave a settlement fee).
values = st.one_of(prices, st.integers(1, 9999).map(lambda v: Decimal(v) / 10000))
settle = st.tuples(
    st.just("settle"), st.sampled_from(MARKETS), st.sampled_from(["yes", "no", "scalar"]), values
)
close = st.tuples(st.just("close"), st.sampled_from(MARKETS))
transfer = st.tuples(
    st.just("transfer"), st.sampled_from(USERS), st.integers(0, 1), st.integers(1, 5000)
)
netting = st.tuples(st.just("netting"), st.sampled_from(USERS), st.integers(0, 1), st.booleans())
pause = st.tuples(st.just("pause"), st.sampled_from(MARKETS))
wait = st.tuples(st.just("wait"), st.integers(1, 20))
STEPS: dict[str, st.SearchStrategy[tuple[Any, ...]]] = {
    "place": place,
    "cancel": cancel,
    "amend": amend,
    "decrease": decrease,
    "settle": settle,
    "transfer": transfer,
    "netting": netting,
    "pause": pause,
    "close": close,
    "wait": wait,
}
# Mostly placements, so books fill up and cross; every other kind now and then.
KINDS = ["place"] * 20 + ["cancel", "cancel", "amend", "amend", "decrease"]
KINDS += ["settle", "transfer", "netting", "pause", "close", "wait"]
operations = st.lists(
    st.sampled_from(KINDS).flatmap(lambda kind: STEPS[kind]), min_size=20, max_size=80
)


class Flow:
    """Runs steps on one exchange; a settled market is re-listed under a new ticker so the
    flow keeps trading (and settles again later)."""

    def __init__(self, precision: str = "0.01") -> None:
        self.now = 1_800_000_000.0
        self.fake = FakeExchange(clock=lambda: self.now, balance_precision=precision)
        # The first listings' series charges makers too (0.25x the taker rate), at 1.5x the
        # rates; markets re-listed after a settlement of LEDGER-A belong to the event LEDGER-A,
        # whose override is a flat fee.
        self.fake.add_series("LEDGER", fee_type="quadratic_with_maker_fees", fee_multiplier="1.5")
        self.fake.set_event_fees("LEDGER-A", fee_type="flat", fee_multiplier="2")
        self.live = {name: name for name in MARKETS}
        for name in MARKETS:
            self._list(name)
        for user in USERS:
            self.fake.add_participant(user, balance="50")
            self.fake.engine.create_subaccount(user, self.now)
            self.fake.engine.transfer(user, 0, 1, Decimal(20), self.now)

    def _list(self, ticker: str) -> None:
        maker_rate = "0.0175" if ticker.startswith("LEDGER-C") else "0"
        self.fake.add_market(ticker, maker_fee_rate=maker_rate)

    def step(self, op: tuple[Any, ...]) -> None:
        fake, engine, now = self.fake, self.fake.engine, self.now
        orders = sorted(engine.orders.values(), key=lambda o: o.sequence)
        kind = op[0]
        if kind == "place":
            _, user, sub, name, side, price, count, tif, stp, post_only, on_pause, expires = op
            gtc = tif == "good_till_canceled"
            fake.place_order(
                user,
                self.live[name],
                side,
                price,
                count,
                time_in_force=tif,
                self_trade_prevention_type=stp,
                subaccount=sub,
                post_only=post_only and gtc,
                cancel_order_on_pause=on_pause,
                expiration_ts=int(now) + expires if expires and gtc else None,
                now=now,
            )
        elif kind in ("cancel", "amend", "decrease") and orders:
            order = orders[op[1] % len(orders)]
            if order.remaining <= 0:
                return
            if kind == "cancel":
                fake.cancel_order(order.order_id, now=now)
            elif kind == "amend":
                engine.amend(order, op[2], order.filled + op[3], now)
            else:
                engine.decrease(order, max(order.remaining - op[2], Decimal(0)), now)
        elif kind == "settle":
            _, name, result, value = op
            fake.settle(self.live[name], result, value=value if result == "scalar" else None)
            self.live[name] = f"{name}-{len(engine.markets)}"
            self._list(self.live[name])
        elif kind == "transfer":
            _, user, to_sub, cents = op
            engine.transfer(user, 1 - to_sub, to_sub, Decimal(cents) / 100, now)
        elif kind == "netting":
            engine.set_netting(op[1], op[2], op[3], now)
        elif kind == "pause":  # a short pause: cancel_order_on_pause orders go, the rest stay
            fake.pause_trading(self.live[op[1]], now=now)
            fake.resume_trading(self.live[op[1]])
        elif kind == "close":  # the market stops trading; resting orders are canceled
            fake.close_market(self.live[op[1]], now=now)
        elif kind == "wait":
            self.now += op[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.sampled_from(["0.01", "0.0001"]))
def test_random_order_flows_keep_the_ledger_balanced(
    ops: list[tuple[Any, ...]], precision: str
) -> None:
    """``precision``: the balance precision of members ($0.01) and of direct members."""
    flow = Flow(precision)
    fake = flow.fake
    for op in ops:
        fake.engine.advance(flow.now)
        with contextlib.suppress(FakeError):  # a refusal changes nothing
            flow.step(op)
        fake.check_ledger()
    for ticker, market in fake.markets.items():
        if market.status != "settled":
            fake.settle(ticker, "yes")
    ledger = fake.check_ledger()
    assert ledger.locked == 0
    assert ledger.open_pairs == 0
    held = sum((a.cash for u in fake.users.values() for a in u.accounts.values()), Decimal(0))
    assert held == ledger.deposits - ledger.withdrawals - ledger.fees
    assert held == 50 * len(USERS) - ledger.fees
    fees = sum((f.fee for f in fake.engine.fills), Decimal(0))
    fees += sum((s.settlement_fee for s in fake.engine.settlements), Decimal(0))
    assert fees == ledger.fees
    cent = Decimal("0.01")
    step = Decimal(precision)
    for f in fake.engine.fills:  # every fill moves whole steps of the balance precision
        cost = f.count * (f.price if f.book_side == "bid" else 1 - f.price)
        assert cost + f.fee == (cost + f.fee).quantize(step)
        assert f.fee >= 0
    for s in fake.engine.settlements:  # payouts are whole cents; the rest is the fee
        assert s.payout == s.payout.quantize(cent)
        assert 0 <= s.settlement_fee < cent
    # Every position is closed and its P&L is what the cash says.
    for user in USERS:
        realized = sum(
            (p.realized_pnl for p in fake.engine.positions.values() if p.user_id == user),
            Decimal(0),
        )
        paid = sum((f.fee for f in fake.engine.fills if f.user_id == user), Decimal(0))
        cash = sum((a.cash for a in fake.users[user].accounts.values()), Decimal(0))
        assert cash == Decimal(50) + realized - paid
