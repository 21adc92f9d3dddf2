"""Portfolio on the fake exchange, from spec 3.31: settlements, positions per market and event,
balances and portfolio value, resting order value, deposits and withdrawals, subaccounts and
transfers, netting, target balance allocation, and cursor pagination of every list."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import errors, models
from kalshi_testing import ApiKey, FakeExchange

from .conftest import MARKET, Harness
from .trading import D, call, v2

OTHER = "HIGHNY-24JAN01-T65"


def test_settlement_moves_balance_and_positions(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.30", 10)
    fake.seed_liquidity(OTHER, "bid", "0.70", 4)
    harness.run(lambda c: v2(c, "bid", "0.30", "10"), client)  # 10 YES at 0.30, fee 0.15
    harness.run(lambda c: v2(c, "ask", "0.70", "4", ticker=OTHER), client)  # 4 NO at 0.30
    resting = harness.run(lambda c: v2(c, "bid", "0.20", "5"), client)
    before = harness.run(lambda c: c.get_balance(), client)
    # 1000 - 3.00 - 0.15 - 4 * 0.30 - 0.06 - 5 * 0.20 locked
    assert before.balance_dollars == D("994.59")
    # Positions are marked at the last trade: 10 YES at 0.30 and 4 NO at 1 - 0.70.
    assert before.portfolio_value == 300 + 120
    total = harness.run(lambda c: c.get_portfolio_resting_order_total_value(), client)
    assert total.total_resting_order_value == 100
    positions = harness.run(lambda c: c.get_positions(), client)
    by_ticker = {p.ticker: p for p in positions.market_positions}
    assert by_ticker[MARKET].position_fp == 10
    assert by_ticker[OTHER].position_fp == -4
    assert by_ticker[MARKET].fees_paid_dollars == D("0.15")
    assert [e.event_ticker for e in positions.event_positions] == ["HIGHNY-24JAN01"]
    event = positions.event_positions[0]
    assert event.total_cost_dollars == D("4.20")
    assert event.fees_paid_dollars == D("0.21")
    assert event.total_cost_shares_fp == 14

    fake.settle(MARKET, "yes")
    fake.settle(OTHER, "yes")
    after = harness.run(lambda c: c.get_balance(), client)
    # +10 for the winning YES, the NO lose, the resting bid's 1.00 comes back.
    assert after.balance_dollars == D("994.59") + 10 + 1
    assert after.portfolio_value == 0
    assert harness.run(lambda c: c.get_order(resting.order_id), client).order.status == "canceled"
    settlements = {
        s.ticker: s for s in harness.collect(lambda c: c.get_settlements.items(), client)
    }
    won, lost = settlements[MARKET], settlements[OTHER]
    assert isinstance(won, models.Settlement)
    assert (won.market_result, won.yes_count_fp, won.revenue, won.value) == ("yes", 10, 1000, 100)
    assert won.yes_total_cost_dollars == D("3.00")
    assert won.fee_cost == D("0.15")
    assert (lost.no_count_fp, lost.no_total_cost_dollars, lost.revenue) == (4, D("1.20"), 0)
    positions = harness.run(lambda c: c.get_positions(), client).market_positions
    by_ticker = {p.ticker: p for p in positions}
    assert by_ticker[MARKET].position_fp == 0
    assert by_ticker[MARKET].realized_pnl_dollars == D("7.00")
    assert by_ticker[OTHER].realized_pnl_dollars == D("-1.20")
    with pytest.raises(errors.MarketClosedError) as info:
        harness.run(lambda c: v2(c, "bid", "0.50", "1"), client)
    assert (info.value.status, info.value.code) == (409, "market_closed")
    fake.check_ledger()


def test_scalar_settlement_pays_both_sides(fake: FakeExchange) -> None:
    fake.add_market("SCALAR-1")
    fake.seed_liquidity("SCALAR-1", "bid", "0.40", 10, user_id="long")
    fake.seed_liquidity("SCALAR-1", "ask", "0.40", 10, user_id="short")
    fake.settle("SCALAR-1", "scalar", value="0.37")
    # Seeded participants are funded with a fee reserve: 0.07 * 10 * 0.4 * 0.6 -> 0.17. The
    # maker keeps it, the taker paid it.
    assert fake.balance("long") == D("3.70") + D("0.17")
    assert fake.balance("short") == D("6.30")
    assert fake.check_ledger().open_pairs == 0


def test_transfer_between_subaccounts(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    created = harness.run(lambda c: c.create_subaccount(), client)
    assert created.subaccount_number == 1
    assert harness.run(lambda c: c.create_subaccount(), client).subaccount_number == 2
    transfer_id = str(uuid.uuid4())

    def transfer(c: Any) -> Any:
        return c.apply_subaccount_transfer(
            client_transfer_id=transfer_id, from_subaccount=0, to_subaccount=1, amount_cents=2500
        )

    harness.run(transfer, client)
    with pytest.raises(errors.ConflictError) as info:  # a replay is refused, not applied twice
        harness.run(transfer, client)
    assert (info.value.status, info.value.code) == (409, "transfer_already_exists")
    balances = harness.run(lambda c: c.get_subaccount_balances(), client).subaccount_balances
    assert [(b.subaccount_number, b.balance) for b in balances] == [
        (0, D("975")),
        (1, D("25")),
        (2, D("0")),
    ]
    assert harness.run(lambda c: c.get_balance(subaccount=1), client).balance == 2500
    # Orders, fills and positions belong to the subaccount that placed them.
    fake.seed_liquidity(MARKET, "ask", "0.50", 2)
    ack = harness.run(lambda c: v2(c, "bid", "0.50", "2", subaccount=1), client)
    assert ack.fill_count == 2
    assert harness.run(lambda c: c.get_positions(subaccount=1), client).market_positions
    assert harness.run(lambda c: c.get_positions(), client).market_positions == []
    fills = harness.run(lambda c: c.get_fills(subaccount=1), client).fills
    assert [f.subaccount_number for f in fills] == [1]
    assert harness.run(lambda c: c.get_fills(subaccount=0), client).fills == []
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: c.cancel_order_v2(ack.order_id), client)  # not in subaccount 0
    with pytest.raises(errors.BadRequestError) as info:
        harness.run(
            lambda c: c.apply_subaccount_transfer(
                client_transfer_id=str(uuid.uuid4()),
                from_subaccount=2,
                to_subaccount=0,
                amount_cents=1,
            ),
            client,
        )
    assert info.value.code == "insufficient_balance"
    transfers = harness.collect(lambda c: c.get_subaccount_transfers.items(), client)
    assert [(t.from_subaccount, t.to_subaccount, t.amount_cents) for t in transfers] == [
        (0, 1, 2500)
    ]
    fake.check_ledger()


def test_netting_setting(harness: Harness, client: Any, fake: FakeExchange) -> None:
    configs = harness.run(lambda c: c.get_subaccount_netting(), client).netting_configs
    assert [(n.subaccount_number, n.enabled) for n in configs] == [(0, True)]
    harness.run(lambda c: c.update_subaccount_netting(subaccount_number=0, enabled=False), client)
    # Without netting, buying YES and NO in one market keeps both.
    fake.seed_liquidity(MARKET, "ask", "0.50", 3)
    fake.seed_liquidity(MARKET, "bid", "0.45", 3)
    harness.run(lambda c: v2(c, "bid", "0.50", "3"), client)
    harness.run(lambda c: v2(c, "ask", "0.45", "3"), client)
    position = harness.run(lambda c: c.get_positions(), client).market_positions[0]
    assert position.position_fp == 0
    assert position.market_exposure_dollars == D("1.50") + D("1.65")
    # Turning netting back on redeems the pairs for $1 each.
    harness.run(lambda c: c.update_subaccount_netting(subaccount_number=0, enabled=True), client)
    position = harness.run(lambda c: c.get_positions(), client).market_positions[0]
    assert position.market_exposure_dollars == 0
    assert position.realized_pnl_dollars == 3 - D("3.15")
    fake.check_ledger()


def test_deposits_withdrawals_and_exchange_transfers(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    fake.withdraw(account.user_id, "100")
    fake.deposit(account.user_id, "40")
    deposits = harness.run(lambda c: c.get_deposits(), client).deposits
    assert [(d.amount_cents, d.status, d.type) for d in deposits] == [
        (4000, "applied", "ach"),
        (100_000, "applied", "ach"),
    ]
    withdrawals = harness.run(lambda c: c.get_withdrawals(), client).withdrawals
    assert [w.amount_cents for w in withdrawals] == [10_000]
    # amount is in centicents: 150000 = $15 to the margined exchange.
    ack = harness.run(
        lambda c: c.intra_exchange_instance_transfer(
            source="event_contract", destination="margined", amount=150_000
        ),
        client,
    )
    assert harness.run(lambda c: c.get_balance(), client).balance_dollars == D("925")
    record = harness.run(lambda c: c.get_intra_exchange_instance_transfer(ack.transfer_id), client)
    assert record.transfer.amount == D("15")
    assert record.transfer.status == "complete"
    listed = harness.collect(lambda c: c.get_intra_exchange_instance_transfers.items(), client)
    assert [t.transfer_id for t in listed] == [ack.transfer_id]
    with pytest.raises(errors.NotFoundError):
        harness.run(lambda c: c.get_intra_exchange_instance_transfer("nope"), client)
    fake.check_ledger()


def test_target_balance_allocation(harness: Harness, client: Any) -> None:
    initial = harness.run(lambda c: c.get_target_balance_allocation(), client)
    assert initial.allocations == []
    assert initial.resting_margin_reservation == "sum"
    harness.run(
        lambda c: c.set_target_balance_allocation(
            allocations=[
                {"exchange_index": 0, "percent": 60},
                {"exchange_index": 1, "percent": 40},
            ],
            resting_margin_reservation="max",
        ),
        client,
    )
    now = harness.run(lambda c: c.get_target_balance_allocation(), client)
    assert [(a.exchange_index, a.percent) for a in now.allocations] == [(0, 60), (1, 40)]
    assert now.resting_margin_reservation == "max"
    with pytest.raises(errors.BadRequestError):
        harness.run(
            lambda c: c.set_target_balance_allocation(
                allocations=[{"exchange_index": 0, "percent": 50}]
            ),
            client,
        )


def test_lists_paginate_with_cursors(harness: Harness, client: Any, fake: FakeExchange) -> None:
    for i in range(5):
        ticker = f"PAGE-{i}"
        fake.add_market(ticker, event_ticker=f"EV{i % 3}")
        fake.seed_liquidity(ticker, "ask", "0.50", 2)
        harness.run(lambda c, t=ticker: v2(c, "bid", "0.50", "1", ticker=t), client)
        harness.run(lambda c, t=ticker: v2(c, "bid", "0.50", "1", ticker=t), client)
        fake.settle(ticker, "no")
    fill_pages = harness.collect(lambda c: c.get_fills.pages(limit=3), client)
    assert [len(p.fills) for p in fill_pages] == [3, 3, 3, 1]
    fills = harness.collect(lambda c: c.get_fills.items(limit=4), client)
    assert len({f.fill_id for f in fills}) == 10
    settlement_pages = harness.collect(lambda c: c.get_settlements.pages(limit=2), client)
    assert [len(p.settlements) for p in settlement_pages] == [2, 2, 1]
    position_pages = harness.collect(lambda c: c.get_positions.pages(limit=2), client)
    assert [len(p.market_positions) for p in position_pages] == [2, 2, 1]
    assert [len(p.event_positions) for p in position_pages] == [2, 1, 0]
    markets = [p.ticker for page in position_pages for p in page.market_positions]
    assert markets == [f"PAGE-{i}" for i in range(5)]
    only = harness.run(lambda c: c.get_positions(count_filter="position"), client)
    assert only.market_positions == []  # everything settled: no open position
    deposits = harness.collect(lambda c: c.get_deposits.items(limit=1), client)
    assert len(deposits) == 1
    fake.check_ledger()


def test_bad_cursor_and_limit_are_400(fake: FakeExchange, account: ApiKey) -> None:
    status, body = call(fake, account, "GET", "/portfolio/fills?cursor=garbage")
    assert status == 400
    assert body["error"]["code"] == "invalid_parameters"
    status, _ = call(fake, account, "GET", "/portfolio/fills?limit=1001")
    assert status == 400
    status, _ = call(fake, account, "GET", "/portfolio/deposits?limit=501")
    assert status == 400


def test_ledger_reconciles_through_the_api(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    """Per account: cash + resting collateral + cost of open positions
    = deposits - withdrawals - fees + realized P&L, every figure read back from the API."""
    fake.seed_liquidity(MARKET, "ask", "0.41", 6)
    fake.seed_liquidity(MARKET, "bid", "0.38", 4)
    harness.run(lambda c: v2(c, "bid", "0.41", "6", tif="immediate_or_cancel"), client)
    harness.run(lambda c: v2(c, "bid", "0.30", "3"), client)
    harness.run(lambda c: v2(c, "ask", "0.37", "2", tif="immediate_or_cancel"), client)
    harness.run(lambda c: v2(c, "ask", "0.55", "3", ticker=OTHER), client)
    fake.withdraw(account.user_id, "10")

    balance = harness.run(lambda c: c.get_balance(), client).balance_dollars
    orders = harness.collect(lambda c: c.get_orders.items(status="resting"), client)
    locked = sum(
        (
            o.remaining_count_fp
            * (o.yes_price_dollars if o.book_side == "bid" else o.no_price_dollars)
            for o in orders
        ),
        Decimal(0),
    )
    positions = harness.collect(lambda c: c.get_positions.pages(), client)
    market_positions = [p for page in positions for p in page.market_positions]
    exposure = sum((p.market_exposure_dollars for p in market_positions), Decimal(0))
    realized = sum((p.realized_pnl_dollars for p in market_positions), Decimal(0))
    fees = sum((f.fee_cost for f in harness.collect(lambda c: c.get_fills.items(), client)), D(0))
    deposited = sum(
        d.amount_cents for d in harness.collect(lambda c: c.get_deposits.items(), client)
    )
    withdrawn = sum(
        w.amount_cents for w in harness.collect(lambda c: c.get_withdrawals.items(), client)
    )
    assert fees > 0
    assert realized == 2 * (D("0.38") - D("0.41"))
    assert balance + locked + exposure == Decimal(deposited - withdrawn) / 100 - fees + realized
    resting_value = harness.run(lambda c: c.get_portfolio_resting_order_total_value(), client)
    assert resting_value.total_resting_order_value == int(locked * 100)


def test_exchange_transfers_take_subaccounts_only_between_event_contract_accounts(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    """The spec: source and destination subaccounts are "only supported for event contract to
    event contract transfers"."""
    sub = harness.run(lambda c: c.create_subaccount(), client).subaccount_number
    for source, destination, field in (
        ("event_contract", "margined", "source_subaccount"),
        ("margined", "event_contract", "destination_subaccount"),
    ):
        with pytest.raises(errors.BadRequestError, match="only supported for event contract"):
            harness.run(
                lambda c, s=source, d=destination, f=field: c.intra_exchange_instance_transfer(
                    source=s, destination=d, amount=10_000, **{f: sub}
                ),
                client,
            )
    harness.run(
        lambda c: c.intra_exchange_instance_transfer(
            source="event_contract",
            destination="event_contract",
            amount=10_000,
            destination_subaccount=sub,
        ),
        client,
    )
    assert fake.engine.users[account.user_id].accounts[sub].cash == D("1")
    fake.check_ledger()
