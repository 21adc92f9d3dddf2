"""The fake exchange's WebSocket endpoint over a real socket: handshake, commands, order book.

Expected shapes come from ``kalshi-asyncapi-2.0.0.yaml`` (message names, fields, error codes
and texts), checked with a plain wsproto client (``tests/wsclient.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from kalshi_testing import ApiKey, FakeExchange, Ladder, LoopbackServer
from tests.wsclient import RejectedError, WsClient

MARKET = "HIGHNY-24JAN01-T60"
OTHER = "HIGHNY-24JAN01-T70"

pytestmark = pytest.mark.socket


@pytest.fixture
def fake() -> FakeExchange:
    fake = FakeExchange()
    fake.add_market(MARKET)
    fake.add_market(OTHER)
    return fake


@pytest.fixture
def key(fake: FakeExchange) -> ApiKey:
    return fake.add_user(balance=Decimal("1000"))


@pytest.fixture
def server(fake: FakeExchange) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake, heartbeat_interval=0.2, record_books=True) as server:
        yield server


@pytest.fixture
def ws(server: LoopbackServer, key: ApiKey) -> Iterator[WsClient]:
    assert key.private_key_pem is not None
    with WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem) as client:
        yield client


def levels(pairs: list[list[str]]) -> list[tuple[Decimal, Decimal]]:
    return [(Decimal(p), Decimal(c)) for p, c in pairs]


def apply(book: dict[str, dict[Decimal, Decimal]], message: dict[str, Any]) -> None:
    """A reference book from the spec's message semantics (what a client does)."""
    msg = message["msg"]
    if message["type"] == "orderbook_snapshot":
        book["yes"] = dict(levels(msg.get("yes_dollars_fp", [])))
        book["no"] = dict(levels(msg.get("no_dollars_fp", [])))
    elif message["type"] == "orderbook_delta":
        side = book[msg["side"]]
        price = Decimal(msg["price_dollars"])
        side[price] = side.get(price, Decimal(0)) + Decimal(msg["delta_fp"])
        if side[price] == 0:
            del side[price]


def as_ladder(book: dict[str, dict[Decimal, Decimal]], use_yes_price: bool = False) -> Ladder:
    return Ladder(
        tuple(sorted(book["yes"].items())), tuple(sorted(book["no"].items())), use_yes_price
    )


# -- handshake ----------------------------------------------------------------------------------
def test_handshake_accepts_a_signed_upgrade(ws: WsClient, server: LoopbackServer) -> None:
    ws.command("list_subscriptions")
    assert ws.recv() == {"id": 1, "type": "ok", "msg": []}
    assert len(server.streams) == 1
    assert server.ws_url == f"ws://127.0.0.1:{server.port}/trade-api/ws/v2"


def test_handshake_without_a_key_is_refused_before_the_upgrade(server: LoopbackServer) -> None:
    with pytest.raises(RejectedError) as refused:
        WsClient(server.port)
    assert refused.value.status == 401
    assert refused.value.json()["error"]["code"] == "authentication_error"
    assert server.streams == []


def test_handshake_with_an_unknown_key_is_refused(server: LoopbackServer, key: ApiKey) -> None:
    assert key.private_key_pem is not None
    with pytest.raises(RejectedError) as refused:
        WsClient(server.port, key_id="not-a-key", pem=key.private_key_pem)
    assert refused.value.status == 401
    assert refused.value.json()["error"]["details"] == "NOT_FOUND"


def test_handshake_signed_over_another_path_is_refused(server: LoopbackServer, key: ApiKey) -> None:
    assert key.private_key_pem is not None
    with pytest.raises(RejectedError) as refused:
        WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem, sign_path="/trade-api/v2")
    assert refused.value.status == 401
    assert refused.value.json()["error"]["details"] == "INCORRECT_API_KEY_SIGNATURE"


def test_handshake_with_a_stale_timestamp_is_refused(server: LoopbackServer, key: ApiKey) -> None:
    assert key.private_key_pem is not None
    stale = int((time.time() - 60) * 1000)
    with pytest.raises(RejectedError) as refused:
        WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem, timestamp_ms=stale)
    assert refused.value.status == 401
    assert refused.value.json()["error"]["code"] == "header_timestamp_expired"


def test_a_plain_get_of_the_stream_path_is_not_an_upgrade(
    server: LoopbackServer, key: ApiKey
) -> None:
    import httpx

    answer = httpx.get(server.ws_url.replace("ws://", "http://"))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_parameters"


def test_heartbeat_pings_and_pong_answers(ws: WsClient, server: LoopbackServer) -> None:
    ws.expect_silence(0.7)  # pings are answered inside recv
    assert len(ws.pings) >= 2
    assert set(ws.pings) == {b"heartbeat"}
    deadline = time.monotonic() + 2
    while server.streams[0].pongs_received < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.streams[0].pongs_received >= 2
    ws.ping(b"hello")
    ws.expect_silence(0.3)
    assert ws.pongs == [b"hello"]


# -- the order book -------------------------------------------------------------------------------
def test_subscribe_orderbook_sends_a_snapshot_then_deltas(
    ws: WsClient, fake: FakeExchange, server: LoopbackServer
) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    fake.seed_liquidity(MARKET, "bid", "0.42", 5)
    fake.seed_liquidity(MARKET, "ask", "0.56", 7)
    [subscribed] = ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    assert subscribed == {
        "id": 1,
        "type": "subscribed",
        "msg": {"channel": "orderbook_delta", "sid": 1},
    }
    snapshot = ws.recv()
    market = fake.markets[MARKET]
    assert snapshot == {
        "type": "orderbook_snapshot",
        "sid": 1,
        "seq": 1,
        "msg": {
            "market_ticker": MARKET,
            "market_id": market.market_id,
            "yes_dollars_fp": [["0.4000", "10.00"], ["0.4200", "5.00"]],
            "no_dollars_fp": [["0.4400", "7.00"]],
        },
    }
    fake.seed_liquidity(MARKET, "ask", "0.55", 3)  # a NO bid at 0.45
    delta = ws.recv()
    assert delta["type"] == "orderbook_delta"
    assert (delta["sid"], delta["seq"]) == (1, 2)
    msg = delta["msg"]
    assert msg["market_ticker"] == MARKET
    assert msg["market_id"] == market.market_id
    assert (msg["price_dollars"], msg["delta_fp"], msg["side"]) == ("0.4500", "3.00", "no")
    assert isinstance(msg["ts_ms"], int)
    assert msg["ts"].endswith("Z")
    assert "client_order_id" not in msg


def test_an_empty_book_snapshot_has_no_sides(ws: WsClient, fake: FakeExchange) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_tickers": [MARKET]})
    snapshot = ws.recv()
    assert set(snapshot["msg"]) == {"market_ticker", "market_id"}


def test_use_yes_price_reports_the_no_side_at_yes_prices(ws: WsClient, fake: FakeExchange) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.56", 7)
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET, "use_yes_price": True})
    assert ws.recv()["msg"]["no_dollars_fp"] == [["0.5600", "7.00"]]
    fake.seed_liquidity(MARKET, "ask", "0.58", 2)
    msg = ws.recv()["msg"]
    assert (msg["price_dollars"], msg["side"]) == ("0.5800", "no")
    assert fake.orderbook(MARKET, use_yes_price=True) == Ladder(
        (), ((Decimal("0.56"), Decimal(7)), (Decimal("0.58"), Decimal(2))), True
    )


def test_a_trade_moves_the_book_level_by_level(
    ws: WsClient, fake: FakeExchange, server: LoopbackServer
) -> None:
    fake.seed_liquidity(MARKET, "ask", "0.55", 3)
    fake.seed_liquidity(MARKET, "ask", "0.56", 4)
    ws.subscribe({"channels": ["orderbook_delta"], "market_tickers": [MARKET, OTHER]})
    books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
    for _ in range(2):
        snap = ws.recv()
        books[snap["msg"]["market_ticker"]] = {"yes": {}, "no": {}}
        apply(books[snap["msg"]["market_ticker"]], snap)
    taker = fake.add_participant(balance="100")
    fake.place_order(taker, MARKET, "bid", "0.57", 10)  # takes 3 + 4, rests 3 at 0.57
    deltas = ws.recv_all()
    assert [
        (d["msg"]["side"], d["msg"]["price_dollars"], d["msg"]["delta_fp"]) for d in deltas
    ] == [
        ("no", "0.4500", "-3.00"),
        ("no", "0.4400", "-4.00"),
        ("yes", "0.5700", "3.00"),
    ]
    assert [d["seq"] for d in deltas] == [3, 4, 5]
    for d in deltas:
        apply(books[MARKET], d)
        assert as_ladder(books[MARKET]) == server.book_after(d["sid"], d["seq"])
    assert as_ladder(books[MARKET]) == fake.orderbook(MARKET)


def test_your_own_order_names_its_client_order_id(
    ws: WsClient, fake: FakeExchange, key: ApiKey
) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    ws.recv()
    fake.place_order(key.user_id, MARKET, "bid", "0.30", 2, client_order_id="mine-1")
    msg = ws.recv()["msg"]
    assert msg["client_order_id"] == "mine-1"
    assert "subaccount" not in msg
    other = fake.add_participant(balance="10")
    fake.place_order(other, MARKET, "bid", "0.31", 2, client_order_id="theirs")
    assert "client_order_id" not in ws.recv()["msg"]


def test_get_snapshot_resends_the_book_with_the_next_seq(ws: WsClient, fake: FakeExchange) -> None:
    fake.seed_liquidity(MARKET, "bid", "0.40", 10)
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    ws.recv()
    fake.seed_liquidity(MARKET, "bid", "0.41", 1)
    assert ws.recv()["seq"] == 2
    command_id = ws.command(
        "update_subscription", {"sids": [1], "market_tickers": [MARKET], "action": "get_snapshot"}
    )
    ok = ws.recv()
    assert ok == {
        "id": command_id,
        "sid": 1,
        "seq": 2,
        "type": "ok",
        "msg": {"market_tickers": [MARKET]},
    }
    snapshot = ws.recv()
    assert (snapshot["type"], snapshot["seq"]) == ("orderbook_snapshot", 3)
    assert snapshot["msg"]["yes_dollars_fp"] == [["0.4000", "10.00"], ["0.4100", "1.00"]]


def test_add_and_delete_markets(ws: WsClient, fake: FakeExchange) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    ws.recv()
    command_id = ws.command(
        "update_subscription", {"sid": 1, "market_tickers": [OTHER], "action": "add_markets"}
    )
    assert ws.recv() == {
        "id": command_id,
        "sid": 1,
        "seq": 1,
        "type": "ok",
        "msg": {"market_tickers": [MARKET, OTHER]},
    }
    snapshot = ws.recv()
    assert (snapshot["msg"]["market_ticker"], snapshot["seq"]) == (OTHER, 2)
    command_id = ws.command(
        "update_subscription", {"sids": [1], "market_ticker": MARKET, "action": "delete_markets"}
    )
    assert ws.recv()["msg"] == {"market_tickers": [OTHER]}
    fake.seed_liquidity(MARKET, "bid", "0.40", 1)
    ws.expect_silence()
    fake.seed_liquidity(OTHER, "bid", "0.40", 1)
    assert ws.recv()["msg"]["market_ticker"] == OTHER


def test_seq_counts_per_sid(ws: WsClient, fake: FakeExchange) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    first = ws.recv()
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": OTHER})
    second = ws.recv()
    assert [(first["sid"], first["seq"]), (second["sid"], second["seq"])] == [(1, 1), (2, 1)]
    fake.seed_liquidity(OTHER, "bid", "0.40", 1)
    fake.seed_liquidity(MARKET, "bid", "0.40", 1)
    fake.seed_liquidity(OTHER, "bid", "0.41", 1)
    assert [(m["sid"], m["seq"]) for m in ws.recv_all()] == [(2, 2), (1, 2), (2, 3)]


# -- commands and errors --------------------------------------------------------------------------
def test_list_and_unsubscribe(ws: WsClient) -> None:
    ws.subscribe({"channels": ["orderbook_delta", "ticker"], "market_ticker": MARKET})
    ws.recv()  # the snapshot
    command_id = ws.command("list_subscriptions")
    assert ws.recv() == {
        "id": command_id,
        "type": "ok",
        "msg": [{"channel": "orderbook_delta", "sid": 1}, {"channel": "ticker", "sid": 2}],
    }
    command_id = ws.command("unsubscribe", {"sids": [1, 2]})
    assert ws.recv() == {"id": command_id, "sid": 1, "seq": 1, "type": "unsubscribed"}
    assert ws.recv() == {"id": command_id, "sid": 2, "type": "unsubscribed"}
    ws.command("list_subscriptions")
    assert ws.recv()["msg"] == []


@pytest.mark.parametrize(
    ("command", "code", "text"),
    [
        ("not json", 1, "Unable to process message"),
        ({"id": 9, "cmd": "subscribe"}, 2, "Params required"),
        ({"id": 9, "cmd": "subscribe", "params": {}}, 3, "Channels required"),
        ({"id": 9, "cmd": "unsubscribe", "params": {}}, 4, "Subscription IDs required"),
        ({"id": 9, "cmd": "dance", "params": {}}, 5, "Unknown command"),
        ({"id": 9, "cmd": "unsubscribe", "params": {"sids": [42]}}, 7, "Unknown subscription ID"),
        (
            {"id": 9, "cmd": "subscribe", "params": {"channels": ["nope"]}},
            8,
            "Unknown channel name",
        ),
        (
            {"id": 9, "cmd": "subscribe", "params": {"channels": ["ticker"], "market_ticker": 5}},
            11,
            "Invalid parameter",
        ),
        (
            {
                "id": 9,
                "cmd": "update_subscription",
                "params": {"sids": [1, 2], "action": "add_markets"},
            },
            12,
            "Exactly one subscription ID is required",
        ),
        (
            {"id": 9, "cmd": "update_subscription", "params": {"sid": 1}},
            15,
            "Action required",
        ),
        (
            {"id": 9, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"]}},
            14,
            "Market Ticker required",
        ),
        (
            {
                "id": 9,
                "cmd": "subscribe",
                "params": {"channels": ["communications"], "shard_factor": 0},
            },
            19,
            "shard_factor must be > 0",
        ),
        (
            {
                "id": 9,
                "cmd": "subscribe",
                "params": {"channels": ["communications"], "shard_key": 1},
            },
            20,
            "shard_factor is required when shard_key is set",
        ),
        (
            {
                "id": 9,
                "cmd": "subscribe",
                "params": {"channels": ["communications"], "shard_factor": 2, "shard_key": 2},
            },
            21,
            "shard_key must be >= 0 and < shard_factor",
        ),
        (
            {
                "id": 9,
                "cmd": "subscribe",
                "params": {"channels": ["communications"], "shard_factor": 101},
            },
            22,
            "shard_factor must be <= 100",
        ),
    ],
)
def test_command_errors_use_the_spec_codes(
    ws: WsClient, command: Any, code: int, text: str
) -> None:
    ws.send(command)
    reply = ws.recv()
    expected: dict[str, Any] = {"type": "error", "msg": {"code": code, "msg": text}}
    if isinstance(command, dict):
        expected = {"id": 9, **expected}
    assert reply == expected


def test_unknown_market_names_the_ticker(ws: WsClient) -> None:
    command_id = ws.command(
        "subscribe", {"channels": ["orderbook_delta"], "market_ticker": "NOPE-1"}
    )
    assert ws.recv() == {
        "id": command_id,
        "type": "error",
        "msg": {"code": 16, "msg": "Market not found", "market_ticker": "NOPE-1"},
    }


def test_subscribing_twice_is_already_subscribed(ws: WsClient) -> None:
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    ws.recv()
    command_id = ws.command("subscribe", {"channels": ["orderbook_delta"], "market_ticker": MARKET})
    assert ws.recv() == {
        "id": command_id,
        "type": "error",
        "msg": {"code": 6, "msg": "Already subscribed"},
    }


def test_unsupported_update_actions(ws: WsClient) -> None:
    ws.subscribe({"channels": ["ticker"], "market_ticker": MARKET})
    command_id = ws.command(
        "update_subscription", {"sid": 1, "action": "get_snapshot", "market_ticker": MARKET}
    )
    assert ws.recv()["msg"] == {"code": 13, "msg": "Unsupported action"}
    command_id = ws.command(
        "update_subscription", {"sid": 1, "action": "explode", "market_ticker": MARKET}
    )
    assert ws.recv() == {
        "id": command_id,
        "type": "error",
        "msg": {"code": 13, "msg": "Unsupported action"},
    }


def test_price_feed_channels_answer_but_stay_empty(ws: WsClient) -> None:
    ws.subscribe({"channels": ["cfbenchmarks_value", "pyth_value"], "index_ids": ["BRTI"]})
    command_id = ws.command("update_subscription", {"sid": 1, "action": "indexlist"})
    assert ws.recv() == {
        "type": "cfbenchmarks_value_indexlist",
        "id": command_id,
        "sid": 1,
        "seq": 1,
        "msg": {"index_ids": []},
    }
    command_id = ws.command("update_subscription", {"sid": 2, "action": "subscribe_underlyings"})
    assert ws.recv()["msg"] == {"code": 28, "msg": "Underlying tickers required"}
    command_id = ws.command("update_subscription", {"sid": 1, "action": "subscribe_indices"})
    assert ws.recv()["msg"] == {"code": 24, "msg": "Index IDs required"}


def test_a_binary_frame_is_not_a_command(ws: WsClient) -> None:
    from wsproto.events import BytesMessage

    ws.sock.sendall(ws.ws.send(BytesMessage(b'{"id": 1, "cmd": "list_subscriptions"}')))
    assert ws.recv() == {"type": "error", "msg": {"code": 1, "msg": "Unable to process message"}}


def test_a_fragmented_command_is_reassembled(ws: WsClient) -> None:
    from wsproto.events import TextMessage

    ws.sock.sendall(ws.ws.send(TextMessage('{"id": 4, "cmd": "list_', message_finished=False)))
    ws.sock.sendall(ws.ws.send(TextMessage('subscriptions"}', message_finished=True)))
    assert ws.recv() == {"id": 4, "type": "ok", "msg": []}


def test_garbage_after_the_handshake_closes_the_connection(
    ws: WsClient, server: LoopbackServer
) -> None:
    ws.sock.sendall(b"\x00" * 64)  # not a masked client frame
    deadline = time.monotonic() + 3
    # The server records the stream just after it answers the handshake: wait for both.
    while not (server.streams and server.streams[0].closed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.streams
    assert server.streams[0].closed
    assert server.streams[0].session not in server.exchange.engine._listeners
