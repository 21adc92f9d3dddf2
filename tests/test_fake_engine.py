"""The fake exchange below HTTP: the book's price-time priority, the NO mirror, the V1 extras,
and every error answered with a status the spec lists for its operation."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kalshi_core import Request, Response, builders, models
from kalshi_testing import ApiKey, FakeError, FakeExchange

from .conftest import MARKET
from .trading import D, call

SPECS = Path(__file__).resolve().parent.parent / "spec"


def test_best_price_first_then_time(fake: FakeExchange) -> None:
    late_cheap = fake.seed_liquidity(MARKET, "ask", "0.42", 2, user_id="a")
    early = fake.seed_liquidity(MARKET, "ask", "0.43", 2, user_id="b")
    late = fake.seed_liquidity(MARKET, "ask", "0.43", 2, user_id="c")
    taker = fake.seed_liquidity(MARKET, "bid", "0.45", 5, user_id="d")
    assert (late_cheap.filled, early.filled, late.filled) == (2, 2, 1)
    assert taker.filled == 5
    assert taker.taker_fill_cost == D("0.84") + D("1.29")  # maker prices, not the limit
    fills = [f for f in fake.engine.fills if f.user_id == "d"]
    assert [(f.price, f.count) for f in fills] == [(D("0.42"), 2), (D("0.43"), 2), (D("0.43"), 1)]
    assert all(f.is_taker for f in fills)
    assert fake.engine.books[MARKET].depth("ask") == [(D("0.43"), D(1))]
    fake.check_ledger()


def test_fractional_counts_trade(fake: FakeExchange) -> None:
    maker = fake.seed_liquidity(MARKET, "bid", "0.50", "2.5", user_id="a")
    fake.seed_liquidity(MARKET, "ask", "0.50", "1.25", user_id="b")
    assert maker.filled == D("1.25")
    assert maker.remaining == D("1.25")
    fake.check_ledger()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_no_orders_mirror_the_yes_book(fake: FakeExchange, account: ApiKey) -> None:
    fake.serve_v1_writes = True
    # Someone bids 0.35 for YES; buying NO at 0.65 is selling YES at 0.35: they trade.
    fake.seed_liquidity(MARKET, "bid", "0.35", 4, user_id="yes-buyer")
    status, body = call(
        fake,
        account,
        "POST",
        "/portfolio/orders",
        {"ticker": MARKET, "side": "no", "action": "buy", "count": 4, "no_price_dollars": "0.65"},
    )
    assert status == 201
    order = body["order"]
    assert (order["side"], order["action"], order["status"]) == ("no", "buy", "executed")
    assert order["fill_count_fp"] == "4.00"
    assert "book_side" not in order  # spec 3.13's Order has no book_side
    position = fake.engine.positions[(account.user_id, 0, MARKET)]
    assert position.signed == -4
    assert position.no_cost == D("2.60")
    # Selling NO at 0.70 = a bid at 0.30 on the YES book.
    status, body = call(
        fake,
        account,
        "POST",
        "/portfolio/orders",
        {"ticker": MARKET, "side": "no", "action": "sell", "count_fp": "1.00", "no_price": 70},
    )
    assert status == 201
    assert fake.orders[body["order"]["order_id"]].book_side == "bid"
    assert fake.orders[body["order"]["order_id"]].price == D("0.30")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_buy_max_cost_is_fill_or_kill_within_the_cost(
    fake: FakeExchange, account: ApiKey
) -> None:
    fake.serve_v1_writes = True
    fake.seed_liquidity(MARKET, "ask", "0.50", 10)
    body = {"ticker": MARKET, "side": "yes", "action": "buy", "count": 10, "yes_price": 60}
    status, answer = call(fake, account, "POST", "/portfolio/orders", {**body, "buy_max_cost": 499})
    assert status == 409
    assert answer["error"]["code"] == "fill_or_kill_insufficient_resting_volume"
    assert fake.orders_of(account.user_id) == []
    status, answer = call(fake, account, "POST", "/portfolio/orders", {**body, "buy_max_cost": 500})
    assert answer["order"]["status"] == "executed"


@pytest.mark.parametrize(
    "body",
    [
        {"count": 1},  # no price at all
        {"count": 1, "yes_price": 40, "no_price": 60},  # two prices
        {"count": 1, "count_fp": "2.00", "yes_price": 40},  # twins disagree
        {"count": 1, "yes_price": 100},  # cents 1..99
        {"count": 1, "yes_price": 40, "sell_position_floor": 5},
    ],
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_v1_bad_requests(fake: FakeExchange, account: ApiKey, body: dict[str, Any]) -> None:
    fake.serve_v1_writes = True
    request = {"ticker": MARKET, "side": "yes", "action": "buy", **body}
    status, answer = call(fake, account, "POST", "/portfolio/orders", request)
    assert status == 400
    assert answer["error"]["code"] in ("invalid_parameters", "invalid_order", "invalid_price")


def test_legacy_fields_round_trip(rsa_key: Any, rsa_pem: bytes) -> None:
    fake = FakeExchange(legacy_fields=True)
    fake.add_market(MARKET)
    key = fake.add_user(balance="100", public_key=rsa_key.public_key())
    account = ApiKey(key_id=key.key_id, user_id=key.user_id, private_key_pem=rsa_pem)
    status, ack = call(
        fake,
        account,
        "POST",
        "/portfolio/events/orders",
        {
            "ticker": MARKET,
            "side": "bid",
            "price": "0.56",
            "count": "10",
            "time_in_force": "good_till_canceled",
            "self_trade_prevention_type": "maker",
        },
    )
    assert status == 201
    status, body = call(fake, account, "GET", f"/portfolio/orders/{ack['order_id']}")
    raw = body["order"]
    assert (raw["yes_price"], raw["no_price"], raw["remaining_count"]) == (56, 44, 10)
    answer = Response(status=200, headers=(), body=json.dumps(body).encode())
    order = builders.get_order(ack["order_id"]).parse(answer).order
    assert isinstance(order, models.Order)
    assert order.yes_price == 56
    assert order.remaining_count == 10
    assert order.yes_price_dollars == D("0.56")


def test_place_order_checks_the_grid(fake: FakeExchange) -> None:
    who = fake.add_participant(balance="10")
    with pytest.raises(ValueError, match="grid"):
        fake.place_order(who, MARKET, "bid", "0.505", 1)
    with pytest.raises(ValueError, match="count"):
        fake.place_order(who, MARKET, "bid", "0.50", 0)
    with pytest.raises(FakeError) as info:
        fake.place_order(who, MARKET, "bid", "0.50", 100)
    assert info.value.code == "insufficient_balance"
    assert fake.place_order(who, "KXBTC-25DEC31-B100000", "bid", "0.505", 1).remaining == 1


@functools.cache
def _spec_statuses() -> dict[tuple[str, str], set[int]]:
    """(METHOD, path) -> the statuses spec 3.31 (or 3.13 for V1 writes) lists."""
    out: dict[tuple[str, str], set[int]] = {}
    for name in ("kalshi-openapi-3.13.0.yaml", "kalshi-openapi-3.31.0.yaml"):
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        spec = yaml.load((SPECS / name).read_text(), Loader=loader)
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and "responses" in op:
                    out[(method.upper(), path)] = {int(s) for s in op["responses"]}
    return out


_ORDER = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.50",
    "count": "1",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "maker",
}
ERROR_CASES = [
    ("POST", "/portfolio/events/orders", "/portfolio/events/orders", {**_ORDER, "side": "up"}),
    ("POST", "/portfolio/events/orders", "/portfolio/events/orders", {**_ORDER, "count": "1e9"}),
    ("POST", "/portfolio/events/orders/batched", "/portfolio/events/orders/batched", {}),
    ("DELETE", "/portfolio/events/orders/x", "/portfolio/events/orders/{order_id}", None),
    ("POST", "/portfolio/events/orders/x/amend", "/portfolio/events/orders/{order_id}/amend", {}),
    (
        "POST",
        "/portfolio/events/orders/x/decrease",
        "/portfolio/events/orders/{order_id}/decrease",
        {},
    ),
    ("GET", "/portfolio/orders/x", "/portfolio/orders/{order_id}", None),
    ("GET", "/portfolio/orders?status=open", "/portfolio/orders", None),
    (
        "GET",
        "/portfolio/orders/x/queue_position",
        "/portfolio/orders/{order_id}/queue_position",
        None,
    ),
    ("POST", "/portfolio/order_groups/create", "/portfolio/order_groups/create", {}),
    ("GET", "/portfolio/order_groups/x", "/portfolio/order_groups/{order_group_id}", None),
    (
        "PUT",
        "/portfolio/order_groups/x/trigger",
        "/portfolio/order_groups/{order_group_id}/trigger",
        None,
    ),
    ("GET", "/portfolio/fills?limit=0", "/portfolio/fills", None),
    ("GET", "/portfolio/positions?count_filter=nope", "/portfolio/positions", None),
    ("GET", "/portfolio/settlements?cursor=bad", "/portfolio/settlements", None),
    ("GET", "/portfolio/withdrawals?limit=501", "/portfolio/withdrawals", None),
    ("POST", "/portfolio/subaccounts/transfer", "/portfolio/subaccounts/transfer", {}),
    ("PUT", "/portfolio/subaccounts/netting", "/portfolio/subaccounts/netting", {"enabled": True}),
    (
        "POST",
        "/portfolio/intra_exchange_instance_transfer",
        "/portfolio/intra_exchange_instance_transfer",
        {"source": "margined", "destination": "margined", "amount": 1},
    ),
    (
        "GET",
        "/portfolio/intra_exchange_instance_transfers/x",
        "/portfolio/intra_exchange_instance_transfers/{transfer_id}",
        None,
    ),
    (
        "POST",
        "/portfolio/target_balance_allocation",
        "/portfolio/target_balance_allocation",
        {"allocations": [{"exchange_index": 0, "percent": 99}]},
    ),
    ("POST", "/portfolio/orders", "/portfolio/orders", {"ticker": MARKET}),
    ("DELETE", "/portfolio/orders/x", "/portfolio/orders/{order_id}", None),
    ("POST", "/portfolio/orders/x/amend", "/portfolio/orders/{order_id}/amend", {}),
    ("POST", "/portfolio/orders/x/decrease", "/portfolio/orders/{order_id}/decrease", {}),
    ("DELETE", "/portfolio/orders/batched", "/portfolio/orders/batched", {"orders": []}),
]


@pytest.mark.parametrize(("method", "path", "template", "body"), ERROR_CASES)
def test_errors_use_a_status_the_spec_lists(
    fake: FakeExchange,
    account: ApiKey,
    method: str,
    path: str,
    template: str,
    body: Any,
) -> None:
    fake.serve_v1_writes = True  # V1 validation as spec 3.13 describes it
    status, answer = call(fake, account, method, path, body)
    assert 400 <= status < 500
    assert status in _spec_statuses()[(method, template)]
    error = answer["error"]
    assert isinstance(error["code"], str)
    assert error["message"]


def test_unauthenticated_requests_are_401(fake: FakeExchange) -> None:
    response = fake.handle(
        Request(method="GET", url="http://fake.test/trade-api/v2/portfolio/balance"), 0.0
    )
    assert response.status == 401
    assert json.loads(response.body)["error"]["code"] == "authentication_error"


def test_order_reads_filter(fake: FakeExchange, account: ApiKey) -> None:
    fake.add_market("OTHEREVENT-1")
    fake.engine.create_subaccount(account.user_id, 0.0)
    fake.engine.transfer(account.user_id, 0, 1, D(10), 0.0)
    a = fake.place_order(account.user_id, MARKET, "bid", "0.10", 1)
    b = fake.place_order(account.user_id, "OTHEREVENT-1", "bid", "0.10", 1, subaccount=1)
    fake.cancel_order(a.order_id)

    def ids(query: str) -> set[str]:
        status, body = call(fake, account, "GET", f"/portfolio/orders{query}")
        assert status == 200
        return {o["order_id"] for o in body["orders"]}

    assert ids("") == {a.order_id, b.order_id}
    assert ids("?event_ticker=OTHEREVENT,HIGHNY-24JAN01") == {a.order_id, b.order_id}
    assert ids("?event_ticker=OTHEREVENT") == {b.order_id}
    assert ids("?status=canceled") == {a.order_id}
    assert ids("?subaccount=1") == {b.order_id}
    assert ids(f"?ticker={MARKET}") == {a.order_id}
    assert ids(f"?min_ts={int(b.created) + 100}") == set()
    status, _ = call(
        fake,
        account,
        "GET",
        "/portfolio/orders?event_ticker=" + ",".join("E" * i for i in range(1, 12)),
    )
    assert status == 400
    status, body = call(fake, account, "GET", "/portfolio/orders/queue_positions?subaccount=1")
    assert [q["order_id"] for q in body["queue_positions"]] == [b.order_id]
    status, body = call(fake, account, "GET", "/portfolio/orders/queue_positions")
    assert body["queue_positions"] == []  # the primary account's resting orders: none
