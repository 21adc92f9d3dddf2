"""Client-side validation of order writes: every rule names the field, nothing is sent.

Rules come from spec 3.31 (V2 writes), spec 3.13 and the seeds (V1 writes, batches of 20),
as ``kalshi_core/wire/rules.py`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import builders, trading
from kalshi_core.errors import ValidationError

from .conftest import MARKET, Harness
from .scripted import Scripted, never_called, scripted_client

V2 = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.56",
    "count": "10",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}
V1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 10, "yes_price": 56}


def v2(**changes: Any) -> dict[str, Any]:
    out = V2 | changes
    return {k: v for k, v in out.items() if v is not None}


def v1(**changes: Any) -> dict[str, Any]:
    out = V1 | changes
    return {k: v for k, v in out.items() if v is not None}


def with_warnings(fn: Callable[[], Any]) -> Any:
    with pytest.warns(DeprecationWarning, match="legacy V1 order write"):
        return fn()


# (label, the call, the field the error must name, a word the message must carry)
INVALID: list[tuple[str, Callable[[], Any], str, str]] = [
    # -- V2 create ---------------------------------------------------------------------------
    ("side yes", lambda: builders.create_order_v2(**v2(side="yes")), "side", "'bid'"),
    ("price 0", lambda: builders.create_order_v2(**v2(price="0")), "price", "between 0 and 1"),
    ("price 1", lambda: builders.create_order_v2(**v2(price="1.00")), "price", "between 0 and 1"),
    ("price cents", lambda: builders.create_order_v2(**v2(price=56)), "price", "between 0 and 1"),
    (
        "price 5 places",
        lambda: builders.create_order_v2(**v2(price="0.56001")),
        "price",
        "decimal places",
    ),
    ("price float", lambda: builders.create_order_v2(**v2(price=0.56)), "price", "Decimal"),
    ("count float", lambda: builders.create_order_v2(**v2(count=10.0)), "count", "Decimal"),
    ("count 0", lambda: builders.create_order_v2(**v2(count="0")), "count", "greater than 0"),
    ("count -1", lambda: builders.create_order_v2(**v2(count=-1)), "count", "greater than 0"),
    (
        "count 3 places",
        lambda: builders.create_order_v2(**v2(count="1.005")),
        "count",
        "2 decimal places",
    ),
    ("count junk", lambda: builders.create_order_v2(**v2(count="ten")), "count", "not a decimal"),
    ("tif", lambda: builders.create_order_v2(**v2(time_in_force="gtc")), "time_in_force", "one of"),
    (
        "stp",
        lambda: builders.create_order_v2(**v2(self_trade_prevention_type="none")),
        "self_trade_prevention_type",
        "one of",
    ),
    (
        "tif missing",
        lambda: builders.create_order_v2(**(V2 | {"time_in_force": None})),
        "time_in_force",
        "required",
    ),
    (
        "expiration with IOC",
        lambda: builders.create_order_v2(
            **v2(time_in_force="immediate_or_cancel", expiration_time=1_900_000_000)
        ),
        "expiration_time",
        "immediate_or_cancel",
    ),
    (
        "reduce_only without IOC",
        lambda: builders.create_order_v2(**v2(reduce_only=True)),
        "reduce_only",
        "immediate_or_cancel",
    ),
    ("subaccount 64", lambda: builders.create_order_v2(**v2(subaccount=64)), "subaccount", "63"),
    ("subaccount -1", lambda: builders.create_order_v2(**v2(subaccount=-1)), "subaccount", "0"),
    # -- V2 amend / decrease / cancel ----------------------------------------------------------
    (
        "amend price",
        lambda: builders.amend_order_v2("o-1", ticker=MARKET, side="ask", price="1.5", count="2"),
        "price",
        "between 0 and 1",
    ),
    (
        "amend count",
        lambda: builders.amend_order_v2("o-1", ticker=MARKET, side="ask", price="0.5", count="0"),
        "count",
        "greater than 0",
    ),
    (
        "amend expiration negative",
        lambda: builders.amend_order_v2(
            "o-1", ticker=MARKET, side="ask", price="0.5", count="2", expiration_time=-1
        ),
        "expiration_time",
        "at least 0",
    ),
    (
        "decrease both",
        lambda: builders.decrease_order_v2("o-1", reduce_by="1", reduce_to="2"),
        "reduce_to",
        "exactly one",
    ),
    (
        "decrease neither",
        lambda: builders.decrease_order_v2("o-1"),
        "reduce_by",
        "exactly one",
    ),
    (
        "decrease by 0",
        lambda: builders.decrease_order_v2("o-1", reduce_by="0"),
        "reduce_by",
        "greater than 0",
    ),
    (
        "decrease to -1",
        lambda: builders.decrease_order_v2("o-1", reduce_to="-1"),
        "reduce_to",
        "negative",
    ),
    ("cancel empty id", lambda: builders.cancel_order_v2(" "), "order_id", "empty"),
    (
        "cancel subaccount",
        lambda: builders.cancel_order_v2("o-1", subaccount=99),
        "subaccount",
        "63",
    ),
    # -- V2 batches ----------------------------------------------------------------------------
    (
        "batch create 21",
        lambda: builders.batch_create_orders_v2(orders=[V2] * 21),
        "orders",
        "1 to 20",
    ),
    ("batch create 0", lambda: builders.batch_create_orders_v2(orders=[]), "orders", "1 to 20"),
    (
        "batch create item",
        lambda: builders.batch_create_orders_v2(orders=[V2, v2(price="1.5")]),
        "orders[1].price",
        "between 0 and 1",
    ),
    (
        "batch create item IOC",
        lambda: builders.batch_create_orders_v2(
            orders=[V2, V2, v2(time_in_force="immediate_or_cancel", expiration_time=5)]
        ),
        "orders[2].expiration_time",
        "immediate_or_cancel",
    ),
    (
        "batch cancel 21",
        lambda: builders.batch_cancel_orders_v2(orders=[{"order_id": "o"}] * 21),
        "orders",
        "1 to 20",
    ),
    (
        "batch cancel subaccount",
        lambda: builders.batch_cancel_orders_v2(orders=[{"order_id": "o", "subaccount": 64}]),
        "orders[0].subaccount",
        "63",
    ),
    (
        "batch cancel unknown key",
        lambda: builders.batch_cancel_orders_v2(orders=[{"id": "o"}]),
        "orders[0].id",
        "not a field",
    ),
    # -- V1 (legacy) ---------------------------------------------------------------------------
    (
        "v1 cents 0",
        lambda: with_warnings(lambda: builders.create_order(**v1(yes_price=0))),
        "yes_price",
        "at least 1",
    ),
    (
        "v1 cents 100",
        lambda: with_warnings(lambda: builders.create_order(**v1(yes_price=None, no_price=100))),
        "no_price",
        "at most 99",
    ),
    (
        "v1 dollars 1",
        lambda: with_warnings(
            lambda: builders.create_order(**v1(yes_price=None, yes_price_dollars="1"))
        ),
        "yes_price_dollars",
        "between 0 and 1",
    ),
    (
        "v1 two price forms",
        lambda: with_warnings(lambda: builders.create_order(**v1(no_price_dollars="0.44"))),
        "no_price_dollars",
        "exactly one price form",
    ),
    (
        "v1 no price",
        lambda: with_warnings(lambda: builders.create_order(**v1(yes_price=None))),
        "yes_price",
        "exactly one of",
    ),
    (
        "v1 float price",
        lambda: with_warnings(
            lambda: builders.create_order(**v1(yes_price=None, yes_price_dollars=0.5))
        ),
        "yes_price_dollars",
        "Decimal",
    ),
    (
        "v1 twins disagree",
        lambda: with_warnings(lambda: builders.create_order(**v1(count_fp="11"))),
        "count_fp",
        "must equal count",
    ),
    (
        "v1 no count",
        lambda: with_warnings(lambda: builders.create_order(**v1(count=None))),
        "count",
        "required",
    ),
    (
        "v1 sell_position_floor",
        lambda: with_warnings(lambda: builders.create_order(**v1(sell_position_floor=5))),
        "sell_position_floor",
        "only accepts 0",
    ),
    (
        "v1 amend two prices",
        lambda: with_warnings(
            lambda: builders.amend_order(
                "o-1", ticker=MARKET, side="yes", action="buy", yes_price=50, no_price=50
            )
        ),
        "no_price",
        "exactly one price form",
    ),
    (
        "v1 amend twins",
        lambda: with_warnings(
            lambda: builders.amend_order(
                "o-1", ticker=MARKET, side="yes", action="buy", yes_price=50, count=3, count_fp="4"
            )
        ),
        "count_fp",
        "must equal count",
    ),
    (
        "v1 decrease both",
        lambda: with_warnings(
            lambda: builders.decrease_order("o-1", reduce_by=1, reduce_to_fp="2")
        ),
        "reduce_to_fp",
        "exactly one",
    ),
    (
        "v1 decrease twins",
        lambda: with_warnings(
            lambda: builders.decrease_order("o-1", reduce_by=1, reduce_by_fp="2")
        ),
        "reduce_by_fp",
        "must equal reduce_by",
    ),
    (
        "v1 batch create 21",
        lambda: with_warnings(lambda: builders.batch_create_orders(orders=[V1] * 21)),
        "orders",
        "1 to 20",
    ),
    (
        "v1 batch cancel 21",
        lambda: with_warnings(lambda: builders.batch_cancel_orders(ids=["o"] * 21)),
        "ids",
        "1 to 20",
    ),
    (
        "v1 batch cancel both",
        lambda: with_warnings(
            lambda: builders.batch_cancel_orders(ids=["o"], orders=[{"order_id": "o"}])
        ),
        "ids",
        "exactly one",
    ),
    # -- reads, groups, money ------------------------------------------------------------------
    ("orders limit 0", lambda: builders.get_orders(limit=0), "limit", "at least 1"),
    ("orders limit 1001", lambda: builders.get_orders(limit=1001), "limit", "at most 1000"),
    ("fills limit", lambda: builders.get_fills(limit=1001), "limit", "at most 1000"),
    ("deposits limit", lambda: builders.get_deposits(limit=501), "limit", "at most 500"),
    ("withdrawals limit", lambda: builders.get_withdrawals(limit=501), "limit", "at most 500"),
    ("settlements limit", lambda: builders.get_settlements(limit=0), "limit", "at least 1"),
    ("positions limit", lambda: builders.get_positions(limit=1001), "limit", "at most 1000"),
    (
        "transfers limit",
        lambda: builders.get_subaccount_transfers(limit=1001),
        "limit",
        "at most 1000",
    ),
    (
        "ie transfers limit",
        lambda: builders.get_intra_exchange_instance_transfers(limit=501),
        "limit",
        "at most 500",
    ),
    ("balance subaccount", lambda: builders.get_balance(subaccount=64), "subaccount", "63"),
    ("fills subaccount", lambda: builders.get_fills(subaccount=-2), "subaccount", "0"),
    ("group no limit", lambda: builders.create_order_group(), "contracts_limit", "required"),
    (
        "group limit 0",
        lambda: builders.create_order_group(contracts_limit=0),
        "contracts_limit",
        "at least 1",
    ),
    (
        "group twins",
        lambda: builders.update_order_group_limit("g", contracts_limit=5, contracts_limit_fp="6"),
        "contracts_limit_fp",
        "must equal",
    ),
    (
        "group subaccount",
        lambda: builders.create_order_group(contracts_limit=5, subaccount=64),
        "subaccount",
        "63",
    ),
    (
        "transfer to 64",
        lambda: builders.apply_subaccount_transfer(
            client_transfer_id="t", from_subaccount=0, to_subaccount=64, amount_cents=100
        ),
        "to_subaccount",
        "63",
    ),
    (
        "transfer 0 cents",
        lambda: builders.apply_subaccount_transfer(
            client_transfer_id="t", from_subaccount=0, to_subaccount=1, amount_cents=0
        ),
        "amount_cents",
        "greater than 0",
    ),
    (
        "transfer float cents",
        lambda: builders.apply_subaccount_transfer(
            client_transfer_id="t", from_subaccount=0, to_subaccount=1, amount_cents=1.5
        ),
        "amount_cents",
        "integer",
    ),
    (
        "netting subaccount",
        lambda: builders.update_subaccount_netting(subaccount_number=70, enabled=True),
        "subaccount_number",
        "63",
    ),
    # -- intents -------------------------------------------------------------------------------
    (
        "intent outcome",
        lambda: trading.order_intent(
            ticker=MARKET, action="buy", outcome="maybe", price="0.5", count=1
        ),
        "outcome",
        "'yes'",
    ),
    (
        "intent action",
        lambda: trading.order_intent(
            ticker=MARKET, action="hold", outcome="no", price="0.5", count=1
        ),
        "action",
        "'buy'",
    ),
    (
        "intent price",
        lambda: trading.order_intent(ticker=MARKET, action="buy", outcome="no", price="1", count=1),
        "price",
        "between 0 and 1",
    ),
    (
        "intent float",
        lambda: trading.order_intent(ticker=MARKET, action="buy", outcome="no", price=0.3, count=1),
        "price",
        "Decimal",
    ),
    (
        "intent off tick",
        lambda: trading.order_intent(
            ticker=MARKET, action="buy", outcome="no", price="0.305", count=1, tick="0.01"
        ),
        "price",
        "price grid",
    ),
    (
        "intent count",
        lambda: trading.order_intent(
            ticker=MARKET, action="buy", outcome="no", price="0.3", count=0
        ),
        "count",
        "greater than 0",
    ),
]


@pytest.mark.parametrize(("label", "call", "field", "word"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_argument_names_the_field(
    label: str, call: Callable[[], Any], field: str, word: str
) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, str(info.value)
    assert word in str(info.value)
    assert str(info.value).startswith(field + ":")


def test_float_message_says_what_to_pass() -> None:
    with pytest.raises(ValidationError, match=r"pass a Decimal or a string such as '0.56'"):
        builders.create_order_v2(**v2(price=0.56))


def test_valid_requests_go_through_as_the_spec_spells_them() -> None:
    import json

    call = builders.create_order_v2(**v2(price=Decimal("0.5"), count=3, subaccount=63))
    body = json.loads(call.body or b"")
    assert body["price"] == "0.50"  # two places at least, as the spec's examples
    assert body["count"] == "3"
    assert body["subaccount"] == 63
    ioc = builders.create_order_v2(**v2(time_in_force="immediate_or_cancel", reduce_only=True))
    assert json.loads(ioc.body or b"")["reduce_only"] is True
    assert builders.decrease_order_v2("o-1", reduce_to="0").body == b'{"reduce_to":"0"}'
    assert (
        len(json.loads(builders.batch_create_orders_v2(orders=[V2] * 20).body or b"")["orders"])
        == 20
    )
    with pytest.warns(DeprecationWarning, match="legacy V1 order write"):
        v1_call = builders.create_order(**v1(count_fp="10.00"))
    assert json.loads(v1_call.body or b"")["count_fp"] == "10.00"
    with pytest.warns(DeprecationWarning, match="legacy V1 order write"):
        builders.create_order(**v1(yes_price=None, buy_max_cost=500))  # a cost cap, no price


INVALID_ON_CLIENT: list[tuple[str, Callable[[Any], Any], str]] = [
    ("create", lambda c: c.create_order_v2(**v2(price="1.2")), "price"),
    (
        "intent",
        lambda c: c.place_order(ticker=MARKET, action="buy", outcome="no", price="0", count=1),
        "price",
    ),
    ("buy", lambda c: c.buy(MARKET, "yes", price="0.5", count="0.001"), "count"),
    ("batch", lambda c: c.batch_create_orders_v2(orders=[V2] * 21), "orders"),
    ("split", lambda c: c.create_orders_in_batches([V2] * 30 + [v2(side="up")]), "orders[30].side"),
    ("decrease", lambda c: c.decrease_order_v2("o-1", reduce_by="1", reduce_to="1"), "reduce_to"),
    ("positions", lambda c: c.get_positions(limit=5000), "limit"),
]


@pytest.mark.parametrize(
    ("label", "fn", "field"), INVALID_ON_CLIENT, ids=[c[0] for c in INVALID_ON_CLIENT]
)
def test_invalid_input_never_reaches_the_network(
    harness: Harness, label: str, fn: Callable[[Any], Any], field: str
) -> None:
    server = Scripted(never_called)
    with (
        scripted_client(harness, "mock", server) as client,
        pytest.raises(ValidationError) as info,
    ):
        harness.run(fn, client)
    assert info.value.field == field
    assert server.requests == []
