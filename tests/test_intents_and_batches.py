"""The ergonomic layer: outcome intents on the YES book, tick grids, and split batches."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kalshi_core import builders, errors, models, trading
from kalshi_core.errors import ValidationError
from kalshi_testing import ApiKey, FakeExchange

from .conftest import MARKET, Harness
from .scripted import Scripted, scripted_client

# The mapping the design states: buy YES at p = bid at p; sell YES at p = ask at p;
# buy NO at p = ask at 1 - p; sell NO at p = bid at 1 - p.
TABLE = [
    ("buy", "yes", "0.30", "bid", "0.30"),
    ("sell", "yes", "0.30", "ask", "0.30"),
    ("buy", "no", "0.30", "ask", "0.70"),
    ("sell", "no", "0.30", "bid", "0.70"),
    ("buy", "no", "0.999", "ask", "0.001"),
    ("sell", "no", "0.0125", "bid", "0.9875"),
]


@pytest.mark.parametrize(("action", "outcome", "price", "side", "yes_price"), TABLE)
def test_intent_maps_to_the_yes_book(
    action: str, outcome: str, price: str, side: str, yes_price: str
) -> None:
    assert trading.yes_book(action, outcome, price) == (side, Decimal(yes_price))
    call = trading.order_intent(ticker=MARKET, action=action, outcome=outcome, price=price, count=4)
    assert call.operation.name == "create_order_v2"
    body = json.loads(call.body or b"")
    # The SDK names every create (exactly-once retries): a fresh UUID4 unless the caller did.
    assert uuid.UUID(body.pop("client_order_id")).version == 4
    assert body == {
        "ticker": MARKET,
        "side": side,
        "price": yes_price,
        "count": "4",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
    }


def test_intent_passes_options_through() -> None:
    call = trading.sell(
        MARKET,
        "no",
        price="0.25",
        count="1.5",
        time_in_force="immediate_or_cancel",
        reduce_only=True,
        client_order_id="c-1",
        subaccount=2,
    )
    body = json.loads(call.body or b"")
    assert body["side"] == "bid"
    assert body["price"] == "0.75"
    assert body["reduce_only"] is True
    assert body["client_order_id"] == "c-1"
    assert body["subaccount"] == 2
    # The V2 rules still apply to what the intent produces.
    with pytest.raises(ValidationError) as info:
        trading.buy(MARKET, "yes", price="0.25", count=1, reduce_only=True)
    assert info.value.field == "reduce_only"


def test_tick_grids() -> None:
    market = models.Market(
        ticker="KXBTC",
        price_ranges=[
            models.PriceRange(start="0.0000", end="0.1000", step="0.0010"),
            models.PriceRange(start="0.1000", end="0.9000", step="0.0100"),
            models.PriceRange(start="0.9000", end="1.0000", step="0.0010"),
        ],
    )
    grid = trading.TickGrid.from_market(market)
    assert grid.contains(Decimal("0.005"))
    assert grid.contains(Decimal("0.55"))
    assert not grid.contains(Decimal("0.555"))
    assert grid.check("0.995") == Decimal("0.995")
    with pytest.raises(ValidationError, match="not on the market's price grid") as info:
        grid.check("0.555")
    assert info.value.field == "price"
    # buy NO at 0.995 is an ask at 0.005: on the grid.
    call = trading.buy(MARKET, "no", price="0.995", count=1, tick=grid)
    assert json.loads(call.body or b"")["price"] == "0.005"
    with pytest.raises(ValidationError) as info:
        trading.buy(MARKET, "no", price="0.455", count=1, tick=grid)
    assert info.value.field == "price"
    legacy = trading.TickGrid.from_market(models.Market(ticker="T", tick_size=5))
    assert legacy.contains(Decimal("0.05"))
    assert not legacy.contains(Decimal("0.06"))
    assert trading.TickGrid.from_market(models.Market(ticker="T")) == trading.TickGrid.uniform(
        "0.01"
    )
    with pytest.raises(ValidationError):
        trading.TickGrid.uniform(0.01)  # type: ignore[arg-type]


def test_place_order_rests_on_the_fake_book(
    harness: Harness, client: Any, fake: FakeExchange, account: ApiKey
) -> None:
    for action, outcome, price, side, yes_price in TABLE[:4]:
        ack = harness.run(
            lambda c, a=action, o=outcome, p=price: c.place_order(
                ticker=MARKET, action=a, outcome=o, price=p, count=2
            ),
            client,
        )
        assert isinstance(ack, models.CreateOrderV2Response)
        order = harness.run(lambda c, oid=ack.order_id: c.get_order(oid), client).order
        assert order.book_side == side
        assert order.yes_price_dollars == Decimal(yes_price)
        # A buyer of either outcome puts up the price they named; a seller, 1 - that price.
        per_contract = Decimal(price) if action == "buy" else 1 - Decimal(price)
        assert fake.balance(account.user_id) == Decimal(1000) - 2 * per_contract
        harness.run(lambda c, oid=ack.order_id: c.cancel_order_v2(oid), client)
        assert fake.balance(account.user_id) == Decimal(1000)


def test_buy_and_sell_shortcuts_on_every_driver(harness: Harness, client: Any) -> None:
    bought = harness.run(lambda c: c.buy(MARKET, "no", price="0.35", count=3), client)
    sold = harness.run(lambda c: c.sell(MARKET, "yes", price="0.80", count=1), client)
    orders = {
        o.order_id: o for o in harness.collect(lambda c: c.get_orders.items(ticker=MARKET), client)
    }
    assert orders[bought.order_id].book_side == "ask"
    assert orders[bought.order_id].yes_price_dollars == Decimal("0.65")
    assert orders[sold.order_id].book_side == "ask"
    assert orders[sold.order_id].yes_price_dollars == Decimal("0.80")


# -- split batches -----------------------------------------------------------------------------
def order(i: int) -> dict[str, Any]:
    return {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.40",
        "count": str(i + 1),
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
        "client_order_id": f"c-{i}",
    }


def test_split_plan_is_pure_and_ordered() -> None:
    plan = trading.create_orders_in_batches([order(i) for i in range(45)])
    sizes = [len(json.loads(c.body or b"")["orders"]) for c in plan.calls]
    assert sizes == [20, 20, 5]
    seen = []
    while (call := plan.next_call()) is not None:
        sent = json.loads(call.body or b"")["orders"]
        seen += [o["client_order_id"] for o in sent]
        plan.feed(
            models.BatchCreateOrdersV2Response(
                orders=[
                    models.BatchCreateOrdersV2ResponseOrders(
                        order_id="o-" + o["client_order_id"], client_order_id=o["client_order_id"]
                    )
                    for o in sent
                ]
            )
        )
    assert seen == [f"c-{i}" for i in range(45)]
    merged = plan.result()
    assert merged.order_ids == [f"o-c-{i}" for i in range(45)]
    with pytest.raises(ValidationError) as info:
        trading.create_orders_in_batches([order(0)], size=21)
    assert info.value.field == "size"
    with pytest.raises(ValidationError) as info:
        trading.create_orders_in_batches([])
    assert info.value.field == "orders"


def _echo_server(fail_on: int | None = None) -> Scripted:
    calls = {"n": 0}

    def respond(request: Any) -> tuple[int, Any]:
        calls["n"] += 1
        if calls["n"] == fail_on:
            return 400, {"error": {"code": "invalid_parameters", "message": "bad batch"}}
        sent = Scripted.json(request)["orders"]
        items = []
        for o in sent:
            if "price" in o and o["price"] == "0.99":
                items.append(
                    {
                        "client_order_id": o["client_order_id"],
                        "error": {"code": "invalid_order", "message": "no"},
                    }
                )
            elif "price" in o:
                items.append(
                    {
                        "order_id": "o-" + o["client_order_id"],
                        "client_order_id": o["client_order_id"],
                        "fill_count": "0.00",
                        "remaining_count": o["count"],
                    }
                )
            else:
                items.append({"order_id": o["order_id"], "reduced_by": "1.00", "ts_ms": 5})
        return (201 if "price" in sent[0] else 200), {"orders": items}

    return Scripted(respond)


def test_create_orders_in_batches_on_every_driver(harness: Harness, wire: str) -> None:
    orders = [order(i) for i in range(43)]
    orders[21]["price"] = "0.99"  # refused by the exchange, reported on its item
    server = _echo_server()
    with scripted_client(harness, wire, server) as client:
        result = harness.run(lambda c: c.create_orders_in_batches(orders), client)
    assert isinstance(result, models.BatchCreateOrdersV2Response)
    assert [len(Scripted.json(r)["orders"]) for r in server.requests] == [20, 20, 3]
    assert result.orders is not None
    assert len(result.orders) == 43
    assert result.orders[21].error.code == "invalid_order"
    assert result.order_ids == [f"o-c-{i}" for i in range(43) if i != 21]


def test_cancel_orders_in_batches_takes_ids(harness: Harness) -> None:
    server = _echo_server()
    ids = [f"o-{i}" for i in range(25)]
    with scripted_client(harness, "mock", server) as client:
        result = harness.run(lambda c: c.cancel_orders_in_batches(ids, size=10), client)
    assert [len(Scripted.json(r)["orders"]) for r in server.requests] == [10, 10, 5]
    assert result.order_ids == ids
    assert all(r.method == "DELETE" for r in server.requests)


def test_a_failing_batch_never_hides_the_ones_before(harness: Harness) -> None:
    server = _echo_server(fail_on=2)
    orders = [order(i) for i in range(50)]
    with (
        scripted_client(harness, "mock", server) as client,
        pytest.raises(trading.PartialBatchError) as info,
    ):
        harness.run(lambda c: c.create_orders_in_batches(orders), client)
    err = info.value
    assert err.completed.order_ids == [f"o-c-{i}" for i in range(20)]
    assert [o["client_order_id"] for o in err.failed] == [f"c-{i}" for i in range(20, 40)]
    assert [o["client_order_id"] for o in err.unsent] == [f"c-{i}" for i in range(40, 50)]
    assert isinstance(err.__cause__, errors.BadRequestError)
    assert len(server.requests) == 2


def test_run_plan_drives_a_v1_split(harness: Harness) -> None:
    server = Scripted(
        lambda r: (
            200,
            {"orders": [{"order_id": i, "reduced_by": 1} for i in Scripted.json(r)["ids"]]},
        )
    )
    with pytest.warns(DeprecationWarning, match="batch_cancel_orders_v2"):
        plan = trading.split_batches(
            builders.batch_cancel_orders, [f"o-{i}" for i in range(21)], field="ids"
        )
    with scripted_client(harness, "mock", server) as client:
        result = harness.run(lambda c: c.run_plan(plan), client)
    assert isinstance(result, models.BatchCancelOrdersResponse)
    assert result.order_ids == [f"o-{i}" for i in range(21)]
    assert len(server.requests) == 2


def test_conveniences_do_not_shadow_operations() -> None:
    from kalshi_core._generated.optable import OPERATIONS
    from kalshi_core.surface.conveniences import Conveniences

    added = {name for name in vars(Conveniences) if not name.startswith("_")}
    assert added == {
        "place_order",
        "buy",
        "sell",
        "create_orders_in_batches",
        "cancel_orders_in_batches",
        "run_plan",
    }
    assert not added & set(OPERATIONS)


prices = st.integers(min_value=1, max_value=9999).map(lambda n: Decimal(n).scaleb(-4))


@given(p=prices, outcome=st.sampled_from(["yes", "no"]))
def test_yes_book_algebra(p: Decimal, outcome: str) -> None:
    buy_side, buy_price = trading.yes_book("buy", outcome, p)
    sell_side, sell_price = trading.yes_book("sell", outcome, p)
    # Buying and selling the same outcome at the same price meet on opposite sides of one level.
    assert {buy_side, sell_side} == {"bid", "ask"}
    assert buy_price == sell_price
    # A NO contract at p is a YES contract at 1 - p, on the other side.
    other = "no" if outcome == "yes" else "yes"
    assert trading.yes_book("buy", outcome, p) == trading.yes_book("sell", other, 1 - p)
    # Whatever was asked, the YES price stays in (0, 1) and the request validates.
    assert Decimal(0) < buy_price < 1
    body = json.loads(trading.buy(MARKET, outcome, price=p, count=1).body or b"")
    assert Decimal(body["price"]) == buy_price


def test_trading_docs_code_is_python_and_names_real_methods() -> None:
    import ast
    import re
    from pathlib import Path

    from kalshi_core import Surface

    text = (Path(__file__).parent.parent / "docs" / "trading.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    called = set()
    for block in blocks:
        tree = ast.parse(block)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "client"
            ):
                called.add(node.attr)
    assert called
    assert not {name for name in called if not hasattr(Surface, name)}


def test_trading_docs_session_runs_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "trading.md").read_text()
    session = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    exec(compile(session, "docs/trading.md", "exec"), {"__name__": "docs_session"})
    assert capsys.readouterr().out.splitlines() == [
        "4.00 6.00",
        "4.00",
        "1",
        "998.7400",
        "HIGHNY-24JAN01-T60 -4.00 1.2000",
        "HIGHNY-24JAN01 1.2000",
        "ask 4.00 0.7000 True",
    ]


def test_split_batches_against_the_fake(harness: Harness, client: Any, fake: FakeExchange) -> None:
    orders = [
        trading.intent_request(
            ticker=MARKET,
            action="buy",
            outcome="yes",
            price="0.20",
            count=1,
            client_order_id=f"c-{i}",
        )
        for i in range(25)
    ]
    orders[22]["price"] = "0.205"  # fine by the spec's decimal rule; off this market's 0.01 grid
    placed = harness.run(lambda c: c.create_orders_in_batches(orders), client)
    assert placed.orders is not None
    assert len(placed.orders) == 25
    [refused] = placed.rejected
    assert placed.orders[22] is refused
    assert refused.error.code
    assert len(placed.order_ids) == 24
    resting = harness.collect(lambda c: c.get_orders.items(status="resting"), client)
    assert sorted(o.order_id for o in resting) == sorted(placed.order_ids)
    canceled = harness.run(lambda c: c.cancel_orders_in_batches(placed.order_ids), client)
    assert canceled.order_ids == placed.order_ids
    assert all(item.reduced_by == 1 for item in canceled.accepted)
    assert harness.collect(lambda c: c.get_orders.items(status="resting"), client) == []
