# ruff: noqa: E501 - one case per line reads as a table
"""Every refusal of a request argument names the field and says what was wrong; every rule has a
boundary that passes. Rules from spec 3.31 (V2 writes, order groups, transfers), spec 3.13 and
the seeds (V1 writes), as ``kalshi_core/wire/rules.py`` and ``validate.py`` state them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import builders, models
from kalshi_core.errors import ValidationError

from .conftest import MARKET

V2 = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.56",
    "count": "10",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}
V1 = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 10, "yes_price": 56}
V1_AMEND = {"ticker": MARKET, "side": "yes", "action": "buy", "yes_price": 50, "count": 2}


def legacy(fn: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        with pytest.warns(DeprecationWarning, match="legacy V1"):
            return fn()

    return call


def v1(**changes: Any) -> dict[str, Any]:
    return {k: v for k, v in (V1 | changes).items() if v is not None}


class NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime is naive in all but name."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def _milestones(value: Any) -> Callable[[], Any]:
    return lambda: builders.get_milestones(limit=5, minimum_start_date=value)


# (label, the call, the field the error must name, words the message must carry)
REFUSED: list[tuple[str, Callable[[], Any], str, tuple[str, ...]]] = [
    # -- V1 writes (spec 3.13, seeds) ---------------------------------------------------------
    ("v1 count_fp 0", legacy(lambda: builders.create_order(**v1(count=None, count_fp="0"))), "count_fp", ("greater than 0",)),
    ("v1 no count", legacy(lambda: builders.create_order(**v1(count=None))), "count", ("required", "count_fp")),
    ("v1 floor 1", legacy(lambda: builders.create_order(**v1(sell_position_floor=1))), "sell_position_floor", ("only accepts 0",)),
    ("v1 two prices", legacy(lambda: builders.create_order(**v1(no_price=44))), "no_price", ("yes_price",)),
    ("v1 no price", legacy(lambda: builders.create_order(**v1(yes_price=None))), "yes_price", ("no_price_dollars",)),
    ("v1 no dollars 1", legacy(lambda: builders.create_order(**v1(yes_price=None, no_price_dollars="1.00"))), "no_price_dollars", ("between 0 and 1",)),
    ("v1 amend count_fp", legacy(lambda: builders.amend_order("o-1", **{**V1_AMEND, "count": None, "count_fp": "0"})), "count_fp", ("greater than 0",)),
    ("v1 amend no price", legacy(lambda: builders.amend_order("o-1", **{**V1_AMEND, "yes_price": None})), "yes_price", ("exactly one",)),
    ("v1 decrease by_fp 0", legacy(lambda: builders.decrease_order("o-1", reduce_by_fp="0")), "reduce_by_fp", ("greater than 0",)),
    ("v1 decrease to_fp -1", legacy(lambda: builders.decrease_order("o-1", reduce_to_fp="-1")), "reduce_to_fp", ("negative",)),
    ("v1 decrease both", legacy(lambda: builders.decrease_order("o-1", reduce_by=1, reduce_to_fp="1")), "reduce_to_fp", ("combined with reduce_by",)),
    ("v1 decrease none", legacy(lambda: builders.decrease_order("o-1")), "reduce_by", ("reduce_by (or reduce_by_fp) or reduce_to (or reduce_to_fp)",)),
    ("v1 cancel 21 orders", legacy(lambda: builders.batch_cancel_orders(orders=[{"order_id": f"o{i}"} for i in range(21)])), "orders", ("1 to 20",)),
    ("v1 cancel both", legacy(lambda: builders.batch_cancel_orders(ids=["a"], orders=[{"order_id": "b"}])), "ids", ("combined with orders",)),
    # -- V2 decrease, groups and transfers (spec 3.31) -----------------------------------------
    ("v2 decrease none", lambda: builders.decrease_order_v2("o-1"), "reduce_by", ("exactly one of reduce_by or reduce_to",)),
    ("group limit_fp 0", lambda: builders.create_order_group(contracts_limit_fp="0"), "contracts_limit_fp", ("greater than 0",)),
    ("group no limit", lambda: builders.create_order_group(), "contracts_limit", ("required", "contracts_limit_fp")),
    ("transfer 0 cents", lambda: builders.apply_subaccount_transfer(client_transfer_id="t", from_subaccount=0, to_subaccount=1, amount_cents=0), "amount_cents", ("greater than 0",)),
    ("instance transfer 0", lambda: builders.intra_exchange_instance_transfer(source="event_contract", destination="margined", amount=0), "amount", ("greater than 0",)),
    # -- kinds: strings, integers, decimals, times ---------------------------------------------
    ("ticker not str", lambda: builders.get_market(5), "ticker", ("expected a string, got int",)),  # type: ignore[arg-type]
    ("limit str", lambda: builders.get_milestones(limit="5"), "limit", ("expected an integer, got str",)),  # type: ignore[arg-type]
    ("limit bool", lambda: builders.get_milestones(limit=True), "limit", ("expected an integer, got bool",)),
    ("limit 501", lambda: builders.get_milestones(limit=501), "limit", ("at most 500",)),
    ("price list", lambda: builders.create_order_v2(**V2 | {"price": ["0.5"]}), "price", ("expected a Decimal or a string, got list",)),
    ("price bool", lambda: builders.create_order_v2(**V2 | {"price": True}), "price", ("got bool",)),
    ("price inf", lambda: builders.create_order_v2(**V2 | {"price": "Infinity"}), "price", ("not a finite number",)),
    ("price places", lambda: builders.create_order_v2(**V2 | {"price": "0.12345"}), "price", ("dollar amounts",)),
    ("count places", lambda: builders.create_order_v2(**V2 | {"count": "1.001"}), "count", ("contract counts",)),
    ("naive", _milestones(datetime(2026, 1, 1)), "minimum_start_date", ("timezone",)),
    ("no offset tz", _milestones(datetime(2026, 1, 1, tzinfo=NoOffset())), "minimum_start_date", ("timezone",)),
    ("text no offset", _milestones("2026-01-12T15:24:03"), "minimum_start_date", ("no timezone offset",)),
    ("text garbage", _milestones("next tuesday"), "minimum_start_date", ("not an ISO 8601 date-time",)),
    ("time int", _milestones(1_767_225_600), "minimum_start_date", ("expected an aware datetime or ISO 8601 text, got int",)),
    ("bool str", lambda: builders.create_order_v2(**V2 | {"post_only": "yes"}), "post_only", ("expected True or False, got str",)),
    ("list str", lambda: builders.get_market_orderbooks(tickers=MARKET), "tickers", ("expected a list, got str",)),
    ("list int", lambda: builders.get_market_orderbooks(tickers=5), "tickers", ("expected a list, got int",)),  # type: ignore[arg-type]
    ("list empty", lambda: builders.get_market_orderbooks(tickers=[]), "tickers", ("at least 1",)),
    ("ts millis", lambda: builders.get_orders(min_ts=10**11), "min_ts", ("milliseconds",)),
    ("ts list", lambda: builders.get_orders(min_ts=[1]), "min_ts", ("got list",)),  # type: ignore[arg-type]
    ("empty order id", lambda: builders.get_order(" "), "order_id", ("empty",)),
    ("empty group id", lambda: builders.get_order_group(""), "order_group_id", ("empty",)),
    ("empty ticker", lambda: builders.get_market(""), "ticker", ("empty",)),
    ("empty event", lambda: builders.get_event(" "), "event_ticker", ("empty",)),
    ("empty query ticker", lambda: builders.get_orders(ticker=""), "ticker", ("empty",)),
    ("empty market_ticker", lambda: builders.get_block_trade_proposals(market_ticker=" "), "market_ticker", ("empty",)),
    ("list 101", lambda: builders.get_market_orderbooks(tickers=[MARKET] * 101), "tickers", ("at most 100",)),
    ("order not a mapping", lambda: builders.batch_create_orders_v2(orders=["bid"]), "orders[0]", ("CreateOrderV2Request or a mapping",)),  # type: ignore[list-item]
]  # fmt: skip


@pytest.mark.parametrize(("label", "call", "field", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals_name_the_field(
    label: str, call: Callable[[], Any], field: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.field == field, str(info.value)
    for word in words:
        assert word in str(info.value), str(info.value)


def body(call: Any) -> Any:
    return json.loads(call.body or b"")


ACCEPTED: list[tuple[str, Callable[[], Any]]] = [
    ("v1 floor 0", legacy(lambda: builders.create_order(**v1(sell_position_floor=0)))),
    ("v1 count_fp only", legacy(lambda: builders.create_order(**v1(count=None, count_fp="10")))),
    ("v1 amend count_fp", legacy(lambda: builders.amend_order("o-1", **{**V1_AMEND, "count": None, "count_fp": "2"}))),
    ("v1 decrease by_fp", legacy(lambda: builders.decrease_order("o-1", reduce_by_fp="1"))),
    ("v1 decrease to_fp 0", legacy(lambda: builders.decrease_order("o-1", reduce_to_fp="0"))),
    ("v1 cancel 20 orders", legacy(lambda: builders.batch_cancel_orders(orders=[{"order_id": f"o{i}"} for i in range(20)]))),
    ("group limit_fp", lambda: builders.create_order_group(contracts_limit_fp="5")),
    ("transfer 1 cent", lambda: builders.apply_subaccount_transfer(client_transfer_id="t", from_subaccount=0, to_subaccount=1, amount_cents=1)),
    ("limit 500", lambda: builders.get_milestones(limit=500)),
    ("nanosecond text", _milestones("2026-01-12T15:24:03.123456789Z")),
    ("one ticker", lambda: builders.get_market_orderbooks(tickers=[MARKET])),
    ("ts below millis", lambda: builders.get_orders(min_ts=10**11 - 1)),
    ("100 tickers", lambda: builders.get_market_orderbooks(tickers=[MARKET] * 100)),
]  # fmt: skip


def test_a_model_instance_goes_out_as_its_fields() -> None:
    order = models.CreateOrderV2Request(
        ticker=MARKET,
        side="bid",  # type: ignore[arg-type]
        price=Decimal("0.5"),
        count=Decimal("2"),
        time_in_force="good_till_canceled",  # type: ignore[arg-type]
        self_trade_prevention_type="taker_at_cross",  # type: ignore[arg-type]
        client_order_id="m-1",
    )
    sent = body(builders.batch_create_orders_v2(orders=[order]))["orders"][0]
    assert sent == {
        **{k: v for k, v in V2.items() if k not in ("price", "count")},
        "price": "0.50",
        "count": "2",
        "client_order_id": "m-1",
    }
    with pytest.raises(ValidationError) as info:
        builders.batch_create_orders_v2(orders=[models.CreateOrderV2Request(ticker=MARKET)])
    assert info.value.field.startswith("orders[0].")


@pytest.mark.parametrize(("label", "call"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_boundaries_pass(label: str, call: Callable[[], Any]) -> None:
    assert call() is not None


def test_values_go_out_as_the_spec_spells_them() -> None:
    assert body(builders.create_order_v2(**V2 | {"price": "0.505"}))["price"] == "0.505"
    assert body(builders.create_order_v2(**V2 | {"price": "0.5"}))["price"] == "0.50"
    # Plain notation, never an exponent: the spec's fixed-point strings.
    assert body(builders.create_order_v2(**V2 | {"count": Decimal("1E+2")}))["count"] == "100"
    nanos = builders.get_milestones(limit=5, minimum_start_date="2026-01-12T15:24:03.123456789Z")
    assert nanos.query_value("minimum_start_date") == "2026-01-12T15:24:03.123456Z"
    aware = builders.get_milestones(limit=5, minimum_start_date=datetime(2026, 1, 12, tzinfo=UTC))
    assert aware.query_value("minimum_start_date") == "2026-01-12T00:00:00Z"


# A free-form map field (``additionalProperties`` in the spec: the generator's ``dict`` kind).
# No operation of spec 3.31 takes one in a request today; the rule is the validator's own
# contract, so that a spec that adds one is served.
def test_a_map_field_takes_a_mapping_and_sends_a_plain_dict() -> None:
    from collections import OrderedDict
    from types import MappingProxyType

    from kalshi_core.wire.schema import Kind
    from kalshi_core.wire.validate import normalize

    def no_schemas(name: str) -> tuple[Any, ...]:
        raise AssertionError(f"no schema is looked up for a map, asked {name!r}")

    for given in ({"a": 1}, OrderedDict(a=1), MappingProxyType({"a": 1})):
        out = normalize(given, Kind("dict", item=Kind("any")), "metadata", no_schemas)
        assert type(out) is dict
        assert out == {"a": 1}
        assert out is not given
    for bad, kind in ((["a", 1], "list"), ("a=1", "str"), (None, "NoneType")):
        with pytest.raises(ValidationError) as info:
            normalize(bad, Kind("dict"), "metadata", no_schemas)
        assert info.value.field == "metadata"
        assert str(info.value) == f"metadata: expected a mapping, got {kind}"
    # A field of any other kind is not held to the map rule.
    assert normalize([1, "x"], Kind("any"), "anything", no_schemas) == [1, "x"]


def test_a_nested_model_is_checked_against_its_own_schema() -> None:
    from kalshi_core.wire.schema import Field, Kind
    from kalshi_core.wire.validate import normalize

    schemas = {
        "Outer": (Field("inner", Kind("model", name="Inner")),),
        "Inner": (Field("count", Kind("int", minimum=1), required=True),),
    }
    outer = Kind("model", name="Outer")
    assert normalize({"inner": {"count": 2}}, outer, "body", schemas.__getitem__) == {
        "inner": {"count": 2}
    }
    with pytest.raises(ValidationError) as info:
        normalize({"inner": {"count": 0}}, outer, "body", schemas.__getitem__)
    assert info.value.field == "body.inner.count"


@pytest.mark.parametrize(
    "name", ["order_id", "order_group_id", "ticker", "event_ticker", "market_ticker"]
)
@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_an_identifier_parameter_must_not_be_blank(name: str, blank: str) -> None:
    """Any operation's identifier parameter, wherever it sits (path or query): a blank one
    would address another resource or filter on nothing."""
    from kalshi_core.wire.rules import check_params

    with pytest.raises(ValidationError) as info:
        check_params("any_operation", {name: blank})
    assert info.value.field == name
    assert str(info.value) == f"{name}: must not be empty"
    check_params("any_operation", {name: "X"})
