"""Every channel the fake publishes, after engine actions, over a real socket.

Field names and shapes follow ``kalshi-asyncapi-2.0.0.yaml`` (tickerPayload, tradePayload,
fillPayload, userOrderPayload, marketPositionPayload, orderGroupUpdatesPayload,
marketLifecycleV2Payload, eventLifecyclePayload); each test checks the spec's required keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import kalshi_sync
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer
from tests.wsclient import WsClient

MARKET = "HIGHNY-24JAN01-T60"
SPEC = Path(__file__).resolve().parents[1] / "spec" / "kalshi-asyncapi-2.0.0.yaml"
SHARED_SPEC = Path("/work/shared/spec/kalshi-asyncapi-2.0.0.yaml")

pytestmark = pytest.mark.socket


def _schemas() -> dict[str, Any]:
    path = SPEC if SPEC.exists() else SHARED_SPEC
    return yaml.safe_load(path.read_text())["components"]["schemas"]  # type: ignore[no-any-return]


SCHEMAS = _schemas()


def check_shape(message: dict[str, Any], payload: str) -> None:
    """``message`` has the spec's required envelope and ``msg`` keys, and no others than the
    spec names (the fake adds nothing of its own to channel messages)."""
    schema = SCHEMAS[payload]
    if "allOf" in schema:
        schema = schema["allOf"][0]
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    for key in schema.get("required", []):
        assert key in message, (payload, key)
    inner = schema["properties"]["msg"]
    for key in inner.get("required", []):
        assert key in message["msg"], (payload, key)
    assert set(message["msg"]) <= set(inner["properties"]), set(message["msg"]) - set(
        inner["properties"]
    )
    assert set(message) <= set(schema["properties"]), message.keys()


@pytest.fixture
def fake() -> FakeExchange:
    fake = FakeExchange()
    fake.add_market(MARKET, title="High in NYC above 60?")
    return fake


@pytest.fixture
def key(fake: FakeExchange) -> ApiKey:
    return fake.add_user(balance=Decimal("1000"))


@pytest.fixture
def server(fake: FakeExchange) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake, heartbeat_interval=5) as server:
        yield server


@pytest.fixture
def ws(server: LoopbackServer, key: ApiKey) -> Iterator[WsClient]:
    assert key.private_key_pem is not None
    with WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem) as client:
        yield client


@pytest.fixture
def client(server: LoopbackServer, key: ApiKey) -> Iterator[kalshi_sync.Client]:
    with kalshi_sync.Client(
        key_id=key.key_id, private_key=key.private_key_pem, base_url=server.url
    ) as client:
        yield client


def by_type(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("type") == kind]


def test_ticker_initial_snapshot_and_updates(ws: WsClient, fake: FakeExchange) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    fake.seed_liquidity(MARKET, "ask", "0.45", 6)
    ws.subscribe(
        {"channels": ["ticker"], "market_tickers": [MARKET], "send_initial_snapshot": True}
    )
    first = ws.recv()
    check_shape(first, "tickerPayload")
    msg = first["msg"]
    assert (msg["market_ticker"], msg["market_id"]) == (MARKET, fake.markets[MARKET].market_id)
    assert (msg["yes_bid_dollars"], msg["yes_ask_dollars"]) == ("0.4000", "0.4500")
    assert (msg["yes_bid_size_fp"], msg["yes_ask_size_fp"]) == ("10.00", "6.00")
    assert (msg["price_dollars"], msg["volume_fp"], msg["open_interest_fp"]) == (
        "0.0000",
        "0.00",
        "0.00",
    )
    assert msg["ts_ms"] // 1000 == msg["ts"]
    buyer = fake.add_participant(balance="100")
    fake.place_order(buyer, MARKET, "bid", "0.45", 4)  # one trade: 4 at 0.45
    [update] = ws.recv_all()
    check_shape(update, "tickerPayload")
    msg = update["msg"]
    assert (msg["price_dollars"], msg["last_trade_size_fp"]) == ("0.4500", "4.00")
    assert (msg["volume_fp"], msg["open_interest_fp"]) == ("4.00", "4.00")
    assert (msg["yes_ask_dollars"], msg["yes_ask_size_fp"]) == ("0.4500", "2.00")
    assert (msg["dollar_volume"], msg["dollar_open_interest"]) == (2, 2)
    fake.place_order(buyer, MARKET, "bid", "0.30", 1)  # below the best bid: no ticker change
    ws.expect_silence()


def test_ticker_without_markets_covers_all(ws: WsClient, fake: FakeExchange) -> None:
    ws.subscribe({"channels": ["ticker"]})
    fake.add_market("OTHER-24JAN01-T1")
    fake.seed_liquidity("OTHER-24JAN01-T1", "bid", "0.20", 1)
    tickers = by_type(ws.recv_all(), "ticker")
    assert [m["msg"]["market_ticker"] for m in tickers] == ["OTHER-24JAN01-T1"] * 2
    assert [m["msg"]["yes_bid_dollars"] for m in tickers] == ["0.0000", "0.2000"]


def test_public_trades(ws: WsClient, fake: FakeExchange) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    ws.subscribe({"channels": ["trade"], "market_ticker": MARKET})
    seller = fake.add_participant(balance="100")
    fake.place_order(seller, MARKET, "ask", "0.40", 3)
    [trade] = ws.recv_all()
    check_shape(trade, "tradePayload")
    msg = trade["msg"]
    assert msg["trade_id"] == fake.engine.trades[-1].trade_id
    assert (msg["yes_price_dollars"], msg["no_price_dollars"], msg["count_fp"]) == (
        "0.4000",
        "0.6000",
        "3.00",
    )
    assert (msg["taker_side"], msg["taker_outcome_side"], msg["taker_book_side"]) == (
        "no",
        "no",
        "ask",
    )
    assert msg["is_block_trade"] is False
    assert "seq" not in trade


def test_fill_user_orders_and_positions_are_private(
    ws: WsClient, fake: FakeExchange, key: ApiKey
) -> None:
    ws.subscribe({"channels": ["fill", "user_orders", "market_positions"]})
    other = fake.add_participant(balance="100")
    fake.place_order(other, MARKET, "bid", "0.30", 2)  # not ours: nothing
    ws.expect_silence()
    order = fake.place_order(key.user_id, MARKET, "bid", "0.50", 5, client_order_id="c-1")
    created = ws.recv()
    check_shape(created, "userOrderPayload")
    assert created["type"] == "user_order"
    msg = created["msg"]
    assert (msg["order_id"], msg["status"], msg["client_order_id"]) == (
        order.order_id,
        "resting",
        "c-1",
    )
    assert (msg["outcome_side"], msg["book_side"], msg["is_yes"], msg["side"]) == (
        "yes",
        "bid",
        True,
        "yes",
    )
    assert (msg["yes_price_dollars"], msg["remaining_count_fp"], msg["fill_count_fp"]) == (
        "0.5000",
        "5.00",
        "0.00",
    )
    assert msg["subaccount_number"] == 0
    fake.place_order(other, MARKET, "ask", "0.50", 2)  # fills 2 of ours as maker
    messages = ws.recv_all()
    [fill] = by_type(messages, "fill")
    check_shape(fill, "fillPayload")
    msg = fill["msg"]
    assert (msg["order_id"], msg["is_taker"], msg["count_fp"], msg["yes_price_dollars"]) == (
        order.order_id,
        False,
        "2.00",
        "0.5000",
    )
    assert (msg["outcome_side"], msg["book_side"], msg["purchased_side"], msg["action"]) == (
        "yes",
        "bid",
        "yes",
        "buy",
    )
    assert (msg["post_position_fp"], msg["fee_cost"], msg["client_order_id"]) == (
        "2.00",
        "0.0000",
        "c-1",
    )
    assert msg["trade_id"] == fake.engine.fills[-1].fill_id
    [updated] = by_type(messages, "user_order")
    assert (updated["msg"]["fill_count_fp"], updated["msg"]["remaining_count_fp"]) == (
        "2.00",
        "3.00",
    )
    [position] = by_type(messages, "market_position")
    check_shape(position, "marketPositionPayload")
    msg = position["msg"]
    assert (msg["user_id"], msg["market_ticker"], msg["position_fp"]) == (
        key.user_id,
        MARKET,
        "2.00",
    )
    assert (msg["position_cost_dollars"], msg["volume_fp"]) == ("1.0000", "2.00")
    fake.cancel_order(order.order_id)
    [canceled] = ws.recv_all()
    assert (canceled["msg"]["status"], canceled["msg"]["remaining_count_fp"]) == (
        "canceled",
        "0.00",
    )


def test_private_channels_filter_by_market(ws: WsClient, fake: FakeExchange, key: ApiKey) -> None:
    fake.add_market("OTHER-24JAN01-T1")
    ws.subscribe({"channels": ["user_orders"], "market_tickers": ["OTHER-24JAN01-T1"]})
    fake.place_order(key.user_id, MARKET, "bid", "0.50", 1)
    ws.expect_silence()
    fake.place_order(key.user_id, "OTHER-24JAN01-T1", "bid", "0.50", 1)
    assert ws.recv()["msg"]["ticker"] == "OTHER-24JAN01-T1"


def test_order_group_updates(
    ws: WsClient, fake: FakeExchange, key: ApiKey, client: kalshi_sync.Client
) -> None:
    ws.subscribe({"channels": ["order_group_updates"]})
    group_id = client.create_order_group(contracts_limit=5).order_group_id
    created = ws.recv()
    check_shape(created, "orderGroupUpdatesPayload")
    assert created["seq"] == 1
    assert created["msg"]["event_type"] == "created"
    assert created["msg"]["order_group_id"] == group_id
    assert created["msg"]["contracts_limit_fp"] == "5.00"
    client.update_order_group_limit(group_id, contracts_limit=7)
    client.trigger_order_group(group_id)
    client.reset_order_group(group_id)
    client.delete_order_group(group_id)
    rest = ws.recv_all()
    assert [(m["seq"], m["msg"]["event_type"]) for m in rest] == [
        (2, "limit_updated"),
        (3, "triggered"),
        (4, "reset"),
        (5, "deleted"),
    ]
    assert rest[0]["msg"]["contracts_limit_fp"] == "7.00"
    assert "contracts_limit_fp" not in rest[1]["msg"]


def test_lifecycle_on_create_pause_resume_and_settle(ws: WsClient, fake: FakeExchange) -> None:
    ws.subscribe({"channels": ["market_lifecycle_v2"]})
    fake.add_market("NEWEV-24JAN01-T1", title="A new market", close_time=1_900_000_000)
    event, created = ws.recv(), ws.recv()
    check_shape(event, "eventLifecyclePayload")
    assert event["msg"]["event_ticker"] == "NEWEV-24JAN01"
    assert event["msg"]["series_ticker"] == "NEWEV"
    check_shape(created, "marketLifecycleV2Payload")
    msg = created["msg"]
    assert (msg["event_type"], msg["market_ticker"], msg["close_ts"]) == (
        "created",
        "NEWEV-24JAN01-T1",
        1_900_000_000,
    )
    assert msg["price_level_structure"] == "linear_cent"
    assert msg["price_ranges"] == [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}]
    assert msg["additional_metadata"]["title"] == "A new market"
    fake.add_market("NEWEV-24JAN01-T2")  # same event: no second event_lifecycle
    assert [m["type"] for m in ws.recv_all()] == ["market_lifecycle_v2"]
    fake.pause_trading(MARKET)
    fake.resume_trading(MARKET)
    fake.settle(MARKET, "scalar", value="0.37")
    messages = ws.recv_all()
    for m in messages:
        check_shape(m, "marketLifecycleV2Payload")
    assert [m["msg"]["event_type"] for m in messages] == [
        "deactivated",
        "activated",
        "determined",
        "settled",
    ]
    assert messages[0]["msg"]["is_deactivated"] is True
    assert messages[1]["msg"]["is_deactivated"] is False
    assert (messages[2]["msg"]["result"], messages[2]["msg"]["settlement_value"]) == (
        "scalar",
        "0.3700",
    )
    assert isinstance(messages[3]["msg"]["settled_ts"], int)


def test_settlement_moves_the_book_and_positions(
    ws: WsClient, fake: FakeExchange, key: ApiKey
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.60", 3)
    fake.place_order(key.user_id, MARKET, "bid", "0.60", 2, time_in_force="immediate_or_cancel")
    ws.subscribe({"channels": ["orderbook_delta", "market_positions"], "market_ticker": MARKET})
    ws.recv()  # snapshot
    fake.settle(MARKET, "yes")
    messages = ws.recv_all()
    [delta] = by_type(messages, "orderbook_delta")
    assert (delta["msg"]["side"], delta["msg"]["delta_fp"]) == ("no", "-1.00")
    [position] = by_type(messages, "market_position")
    assert (position["msg"]["position_fp"], position["msg"]["realized_pnl_dollars"]) == (
        "0.00",
        "0.8000",
    )


def test_amend_and_decrease_over_rest_move_the_book(
    ws: WsClient, fake: FakeExchange, key: ApiKey, client: kalshi_sync.Client
) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    ws.recv()
    order = fake.place_order(key.user_id, MARKET, "bid", "0.40", 5)
    ws.recv()
    client.decrease_order_v2(order.order_id, reduce_by="2")
    [decrease] = ws.recv_all()
    assert (decrease["msg"]["price_dollars"], decrease["msg"]["delta_fp"]) == ("0.4000", "-2.00")
    assert fake.orderbook(MARKET).yes == ((Decimal("0.40"), Decimal(3)),)


PAYLOADS = {
    "orderbook_snapshot": "orderbookSnapshotPayload",
    "orderbook_delta": "orderbookDeltaPayload",
    "ticker": "tickerPayload",
    "trade": "tradePayload",
    "fill": "fillPayload",
    "user_order": "userOrderPayload",
    "market_position": "marketPositionPayload",
    "order_group_updates": "orderGroupUpdatesPayload",
    "market_lifecycle_v2": "marketLifecycleV2Payload",
    "event_lifecycle": "eventLifecyclePayload",
}


def check_reply(message: dict[str, Any]) -> None:
    """A command reply has the spec's envelope (``ok`` to list_subscriptions carries a list)."""
    kind = message["type"]
    if kind == "ok" and isinstance(message.get("msg"), list):
        schema = SCHEMAS["listSubscriptionsResponsePayload"]
        for item in message["msg"]:
            assert set(item) == {"channel", "sid"}
    else:
        schema = SCHEMAS[f"{kind}ResponsePayload"]
        inner = schema["properties"].get("msg", {}).get("properties")
        if inner is not None and "msg" in message:
            assert set(message["msg"]) <= set(inner), message
    for key in schema.get("required", []):
        assert key in message, (kind, key)
    assert set(message) <= set(schema["properties"]), message


def test_every_message_of_a_session_has_the_spec_shape(
    ws: WsClient, fake: FakeExchange, key: ApiKey, client: kalshi_sync.Client
) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    everything = [
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "user_orders",
        "market_positions",
        "order_group_updates",
        "market_lifecycle_v2",
    ]
    messages: list[Any] = []

    def answered(command: int) -> None:
        # Commands are handled on the server's thread: the engine is acted on only once the
        # subscriptions it should reach exist.
        while not any(m.get("id") == command for m in messages):
            messages.append(ws.recv(10))

    command_id = ws.command("subscribe", {"channels": everything[:6], "market_ticker": MARKET})
    ws.command("subscribe", {"channels": everything[6:]})
    answered(ws.command("list_subscriptions"))
    group = client.create_order_group(contracts_limit=50).order_group_id
    order = fake.place_order(key.user_id, MARKET, "ask", "0.40", 3, order_group_id=group)
    fake.place_order(key.user_id, MARKET, "bid", "0.30", 2, client_order_id="b")
    ws.command("update_subscription", {"sid": 1, "action": "get_snapshot", "market_ticker": MARKET})
    answered(
        ws.command(
            "update_subscription", {"sid": 2, "action": "delete_markets", "market_ticker": MARKET}
        )
    )
    fake.settle(MARKET, "no")
    ws.command("unsubscribe", {"sids": [1]})
    ws.command("unsubscribe", {"sids": [99]})
    messages += ws.recv_all()
    kinds = {m["type"] for m in messages}
    assert set(PAYLOADS) - {"event_lifecycle"} <= kinds, kinds
    assert {"subscribed", "ok", "unsubscribed", "error"} <= kinds
    for message in messages:
        if message["type"] in PAYLOADS:
            check_shape(message, PAYLOADS[message["type"]])
        else:
            check_reply(message)
    assert any(m.get("id") == command_id for m in messages)
    assert order.status == "executed"
