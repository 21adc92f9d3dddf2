"""The sans-IO streaming core, driven by feeding bytes and messages (no socket, no loop).

Fixtures are the AsyncAPI file's own examples (``spec/kalshi-asyncapi-2.0.0.yaml``) and frames
written in its shapes.
"""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from kalshi_core import Credentials
from kalshi_core.errors import DecodeError, KalshiError
from kalshi_core.stream import (
    Backoff,
    Closed,
    CommandDone,
    Connection,
    Data,
    Dropped,
    Gap,
    Liveness,
    Opened,
    OrderBook,
    PingReceived,
    Resubscribe,
    Resync,
    Session,
    SubscriptionEnded,
    TextFrame,
    UnknownMessage,
    handshake_request,
    models,
    parse_message,
    websocket_url,
)
from kalshi_core.stream import errors as se
from tests.wsserver import ServerSide

SPEC = yaml.safe_load(
    (Path(__file__).parent.parent / "spec" / "kalshi-asyncapi-2.0.0.yaml").read_text()
)
T = "FED-23DEC-T3.00"


# -- endpoints and handshake ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "url"),
    [
        ("production", "wss://external-api-ws.kalshi.com/trade-api/ws/v2"),
        ("demo", "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2"),
        ("elections", "wss://api.elections.kalshi.com/trade-api/ws/v2"),
        ("demo-legacy", "wss://demo-api.kalshi.co/trade-api/ws/v2"),
    ],
)
def test_websocket_url_of_each_environment(env: str, url: str) -> None:
    assert websocket_url(env=env) == url


def test_websocket_url_of_a_loopback_base_url() -> None:
    assert (
        websocket_url("http://127.0.0.1:8123/trade-api/v2") == "ws://127.0.0.1:8123/trade-api/ws/v2"
    )
    assert websocket_url() == "wss://external-api-ws.kalshi.com/trade-api/ws/v2"
    with pytest.raises(ValueError, match="unknown Kalshi environment"):
        websocket_url(env="staging")


def test_handshake_is_signed_over_timestamp_get_and_ws_path(rsa_key: Any, rsa_pem: bytes) -> None:
    creds = Credentials("key-1", rsa_pem)
    req = handshake_request("wss://external-api-ws.kalshi.com/trade-api/ws/v2", creds, 1700000000.5)
    headers = dict(req.headers)
    assert headers["KALSHI-ACCESS-KEY"] == "key-1"
    assert headers["KALSHI-ACCESS-TIMESTAMP"] == "1700000000500"
    rsa_key.public_key().verify(
        base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"]),
        b"1700000000500GET/trade-api/ws/v2",
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    assert (req.host, req.port, req.tls, req.target) == (
        "external-api-ws.kalshi.com",
        443,
        True,
        "/trade-api/ws/v2",
    )
    assert headers["KALSHI-ACCESS-SIGNATURE"] not in repr(req)
    # Every connect signs afresh.
    again = dict(handshake_request(req.url, creds, 1700000001.0).headers)
    assert again["KALSHI-ACCESS-TIMESTAMP"] == "1700000001000"


# -- connection -----------------------------------------------------------------------------
def _open(server: ServerSide | None = None) -> tuple[Connection, ServerSide, list[Any]]:
    server = server or ServerSide()
    conn = Connection(handshake_request("ws://127.0.0.1:9/trade-api/ws/v2", None, 0.0))
    server.feed(conn.data_to_send())
    assert server.request is not None
    assert server.request.target == "/trade-api/ws/v2"
    events = conn.receive_data(server.accept())
    return conn, server, events


def test_connection_opens_sends_and_receives_text() -> None:
    conn, server, events = _open()
    assert events == [Opened()]
    conn.send_text('{"id":1,"cmd":"list_subscriptions"}')
    server.feed(conn.data_to_send())
    assert server.texts == ['{"id":1,"cmd":"list_subscriptions"}']
    assert conn.receive_data(server.text({"type": "ok"})) == [TextFrame('{"type": "ok"}')]


def test_connection_answers_heartbeat_ping_with_pong() -> None:
    conn, server, _ = _open()
    events = conn.receive_data(server.ping(b"heartbeat"))
    assert events == [PingReceived(b"heartbeat")]
    server.feed(conn.data_to_send())  # the pong is parsed by the server end
    # wsproto's server end turns a Pong into an event; feeding it without error is the check,
    # and the bytes were non-empty:
    conn.receive_data(server.ping(b"x"))
    assert conn.data_to_send() != b""


def test_connection_joins_fragments_and_reports_close() -> None:
    conn, server, _ = _open()
    from wsproto.events import TextMessage

    part1 = server.ws.send(TextMessage(data='{"type":', message_finished=False))
    part2 = server.ws.send(TextMessage(data='"ok"}', message_finished=True))
    assert conn.receive_data(part1) == []
    assert conn.receive_data(part2) == [TextFrame('{"type":"ok"}')]
    assert conn.receive_data(server.close(1001)) == [Closed(1001, "")]


def test_connection_eof_without_close_frame_is_1006() -> None:
    conn, _, _ = _open()
    assert conn.receive_data(None) == [Closed(1006, "connection lost")]


def test_refused_upgrade_raises_handshake_error() -> None:
    server = ServerSide()
    conn = Connection(handshake_request("ws://127.0.0.1:9/trade-api/ws/v2", None, 0.0))
    server.feed(conn.data_to_send())
    with pytest.raises(se.HandshakeError) as info:
        conn.receive_data(server.reject(401, b'{"error":"bad signature"}'))
    assert info.value.status == 401
    assert isinstance(info.value, KalshiError)


def test_garbage_bytes_close_with_protocol_error() -> None:
    conn, _, _ = _open()
    events = conn.receive_data(b"\x8f\x00")  # a reserved opcode
    assert [type(e) for e in events] == [Closed]
    assert events[0].code == 1002
    assert conn.receive_data(b"more") == []
    conn, _, _ = _open()
    with pytest.raises(se.StreamProtocolError):
        conn.receive_data(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")  # 2**63 bytes


def test_frames_split_anywhere_and_interleaved_with_pings() -> None:
    conn, server, _ = _open()
    data = server.text({"type": "ok", "n": 1}) + server.ping(b"hb") + server.text("x" * 70000)
    events: list[Any] = []
    for i in range(0, len(data), 7):
        events += conn.receive_data(data[i : i + 7])
    assert events == [
        TextFrame('{"type": "ok", "n": 1}'),
        PingReceived(b"hb"),
        TextFrame("x" * 70000),
    ]
    server.feed(conn.data_to_send())  # the pong


def test_liveness_is_three_heartbeats_by_default() -> None:
    live = Liveness(now=100.0)
    assert live.deadline() == 130.0
    assert not live.expired(129.9)
    assert live.expired(130.0)
    live.seen(125.0)
    assert not live.expired(130.0)


def test_backoff_is_exponential_with_full_jitter() -> None:
    import random

    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    backoff = Backoff(0.5, 4.0, rng=Top(), max_attempts=6)
    assert [backoff.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.next_delay() is None
    backoff.reset()
    assert backoff.next_delay() == 0.5
    jittered = Backoff(1.0, 8.0, rng=random.Random(7))
    delays = [jittered.next_delay() for _ in range(50)]
    assert all(d is not None and 0 <= d <= 8.0 for d in delays)
    assert len({round(d or 0, 6) for d in delays}) > 40


# -- messages -------------------------------------------------------------------------------
def _examples() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, msg in SPEC["components"]["messages"].items():
        if msg.get("contentType") != "application/json" or "Command" in name:
            continue
        for example in msg.get("examples", []):
            out.append((name, example["payload"]))
    return out


@pytest.mark.parametrize(("name", "payload"), _examples())
def test_every_spec_example_parses_into_its_typed_message(
    name: str, payload: dict[str, Any]
) -> None:
    msg = parse_message(json.dumps(payload))
    assert not isinstance(msg, UnknownMessage)
    assert msg.type == payload["type"]
    assert type(msg).__name__ in {
        "ListSubscriptionsResponse",
        *(cls.__name__ for cls in models.SERVER_MESSAGES.values()),
    }


def test_every_channel_has_typed_messages() -> None:
    assert set(models.CHANNELS) == {
        "orderbook_delta",
        "ticker",
        "trade",
        "fill",
        "market_positions",
        "market_lifecycle_v2",
        "multivariate_market_lifecycle",
        "communications",
        "order_group_updates",
        "user_orders",
        "cfbenchmarks_value",
        "pyth_value",
    }
    for types in models.CHANNELS.values():
        for kind in types:
            assert kind in models.SERVER_MESSAGES


def test_money_counts_and_times_are_exact_types() -> None:
    delta = parse_message(
        json.dumps(
            {
                "type": "orderbook_delta",
                "sid": 2,
                "seq": 3,
                "msg": {
                    "market_ticker": T,
                    "market_id": "x",
                    "price_dollars": "0.960",
                    "delta_fp": "-54.00",
                    "side": "yes",
                    "ts": "2022-11-22T20:44:01Z",
                    "ts_ms": 1669149841000,
                },
            }
        )
    )
    assert isinstance(delta, models.OrderbookDelta)
    assert delta.msg.price_dollars == Decimal("0.960")
    assert isinstance(delta.msg.delta_fp, Decimal)
    assert isinstance(delta.msg.ts, datetime)
    assert delta.msg.ts.tzinfo is not None
    assert delta.msg.side == "yes"
    assert delta.msg.side.known
    fill = parse_message(
        json.dumps(
            {
                "type": "fill",
                "sid": 1,
                "msg": {
                    "trade_id": "t",
                    "order_id": "o",
                    "market_ticker": T,
                    "side": "maybe",
                    "yes_price_dollars": "0.75",
                    "count_fp": "278.00",
                    "fee_cost": "0.0123",
                },
            }
        )
    )
    assert fill.msg.side == "maybe"
    assert not fill.msg.side.known
    assert fill.msg.fee_cost == Decimal("0.0123")


def test_unknown_message_type_is_kept_not_fatal() -> None:
    msg = parse_message('{"type":"brand_new","sid":4,"seq":2,"msg":{"a":1}}')
    assert isinstance(msg, UnknownMessage)
    assert (msg.type, msg.sid, msg.seq, msg.data["msg"]) == ("brand_new", 4, 2, {"a": 1})


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1,2]",
        '{"no_type": 1}',
        '{"type": 5}',
        '{"type":"orderbook_delta","sid":"x","seq":1,"msg":{}}',
        '{"type":"orderbook_delta","sid":1,"seq":1,"msg":{"price_dollars":"abc"}}',
        '{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"yes_dollars_fp":"oops"}}',
        '{"type":"subscribed","msg":[]}',
        '{"type":"brand_new","sid":"1"}',
        b"\xff\xfe",
    ],
)
def test_malformed_frames_raise_stream_decode_error(frame: str | bytes) -> None:
    with pytest.raises(se.StreamDecodeError) as info:
        parse_message(frame)
    assert isinstance(info.value, DecodeError)
    assert isinstance(info.value, KalshiError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
frame_types = st.sampled_from([*models.SERVER_MESSAGES, "ok", "nope"])


@settings(max_examples=300, deadline=None)
@given(
    kind=frame_types,
    body=st.dictionaries(
        st.sampled_from(["sid", "seq", "id", "msg", "extra"]), json_values, max_size=5
    ),
    junk=st.binary(max_size=40),
    use_junk=st.booleans(),
)
def test_any_frame_meets_only_our_errors(
    kind: str, body: dict[str, Any], junk: bytes, use_junk: bool
) -> None:
    frame: str | bytes = junk if use_junk else json.dumps({"type": kind, **body})
    session = Session()
    _sub, _ = session.subscribe("orderbook_delta", market_tickers=[T], manage_books=True)
    session.connection_made()
    session.receive('{"id":1,"type":"subscribed","msg":{"channel":"orderbook_delta","sid":1}}')
    with contextlib.suppress(se.StreamDecodeError):
        session.receive(frame)


# -- session --------------------------------------------------------------------------------
def _active(**params: Any) -> tuple[Session, Any]:
    session = Session()
    sub, cmd = session.subscribe(
        "orderbook_delta", market_tickers=[T, "B"], manage_books=True, **params
    )
    assert session.commands_to_send() == []  # nothing goes out before the connection
    session.connection_made()
    sent = [json.loads(t) for t in session.commands_to_send()]
    assert sent == [
        {
            "id": cmd.id,
            "cmd": "subscribe",
            "params": {"channels": ["orderbook_delta"], "market_tickers": [T, "B"], **params},
        }
    ]
    events = session.receive(
        json.dumps(
            {"id": cmd.id, "type": "subscribed", "msg": {"channel": "orderbook_delta", "sid": 7}}
        )
    )
    assert events == [CommandDone(cmd)]
    assert cmd.done
    assert cmd.error is None
    assert sub.sid == 7
    assert sub.state == "active"
    return session, sub


def snap(
    seq: int,
    ticker: str = T,
    yes: Any = (("0.40", "10"),),
    no: Any = (("0.55", "5"),),
    sid: int = 7,
) -> str:
    return json.dumps(
        {
            "type": "orderbook_snapshot",
            "sid": sid,
            "seq": seq,
            "msg": {
                "market_ticker": ticker,
                "market_id": "m",
                "yes_dollars_fp": [list(x) for x in yes],
                "no_dollars_fp": [list(x) for x in no],
            },
        }
    )


def delta(seq: int, side: str, price: str, d: str, ticker: str = T, sid: int = 7) -> str:
    return json.dumps(
        {
            "type": "orderbook_delta",
            "sid": sid,
            "seq": seq,
            "msg": {
                "market_ticker": ticker,
                "market_id": "m",
                "price_dollars": price,
                "delta_fp": d,
                "side": side,
            },
        }
    )


def test_snapshot_and_deltas_maintain_the_book_exactly() -> None:
    session, sub = _active()
    events = session.receive(snap(1))
    assert isinstance(events[0], Data)
    assert events[0].book is sub.books[T]
    session.receive(delta(2, "yes", "0.40", "-3.33"))
    session.receive(delta(3, "yes", "0.42", "1.01"))
    session.receive(delta(4, "no", "0.55", "-5"))
    book = sub.books[T]
    assert book.yes_bids() == [
        (Decimal("0.42"), Decimal("1.01")),
        (Decimal("0.40"), Decimal("6.67")),
    ]
    assert book.no_bids() == []
    assert book.seq == 4


def test_gap_invalidates_books_and_asks_for_a_snapshot() -> None:
    session, sub = _active()
    session.receive(snap(1))
    session.receive(snap(2, "B"))
    session.receive(delta(3, "yes", "0.40", "1"))
    events = session.receive(delta(5, "yes", "0.40", "1"))  # seq 4 lost
    assert Gap(sub, 4, 5) in events
    resync = [e for e in events if isinstance(e, Resync)]
    assert resync
    assert set(resync[0].market_tickers) == {T, "B"}
    with pytest.raises(se.BookOutOfSyncError) as info:
        sub.books[T].best_bid()
    assert info.value.reason == "gap"
    sent = [json.loads(t) for t in session.commands_to_send()]
    assert sent[0]["cmd"] == "update_subscription"
    assert sent[0]["params"] == {"sids": [7], "market_tickers": [T, "B"], "action": "get_snapshot"}
    # Deltas before the fresh snapshot are not applied; the snapshot resyncs.
    assert isinstance(session.receive(delta(6, "yes", "0.40", "1"))[-1], Dropped)
    session.receive(json.dumps({"id": sent[0]["id"], "type": "ok", "sid": 7, "seq": 7}))
    session.receive(snap(8, yes=[("0.30", "2")]))
    assert sub.books[T].best_bid() == (Decimal("0.30"), Decimal("2"))
    with pytest.raises(se.BookOutOfSyncError):
        sub.books["B"].best_bid()
    session.receive(snap(9, "B"))
    assert sub.books["B"].in_sync


def test_duplicates_and_reordered_seq_are_dropped() -> None:
    session, sub = _active()
    session.receive(snap(1))
    session.receive(delta(2, "yes", "0.40", "1"))
    events = session.receive(delta(2, "yes", "0.40", "1"))
    assert [e.reason for e in events if isinstance(e, Dropped)] == ["duplicate"]
    assert sub.books[T].size_at("0.40") == Decimal("11")


def test_terminal_error_ends_and_resubscribes_with_same_params() -> None:
    session, sub = _active(use_yes_price=True)
    session.receive(snap(1))
    events = session.receive(
        json.dumps(
            {"type": "error", "sid": 7, "msg": {"code": 25, "msg": "Subscription buffer overflow"}}
        )
    )
    ended = [e for e in events if isinstance(e, SubscriptionEnded)]
    assert ended
    assert isinstance(ended[0].error, se.SubscriptionOverflowError)
    assert ended[0].error.terminal
    assert not ended[0].final
    assert any(isinstance(e, Resubscribe) for e in events)
    with pytest.raises(se.BookOutOfSyncError) as info:
        sub.books[T].depth(3)
    assert info.value.reason == "terminal"
    sent = [json.loads(t) for t in session.commands_to_send()]
    assert sent[0]["cmd"] == "subscribe"
    assert sent[0]["params"] == {
        "channels": ["orderbook_delta"],
        "market_tickers": [T, "B"],
        "use_yes_price": True,
    }
    session.receive(
        json.dumps(
            {
                "id": sent[0]["id"],
                "type": "subscribed",
                "msg": {"channel": "orderbook_delta", "sid": 9},
            }
        )
    )
    assert sub.sid == 9
    assert session.subscription_for_sid(7) is None
    session.receive(snap(1, sid=9))
    assert sub.books[T].in_sync


def test_terminal_errors_without_sid_end_the_active_subscriptions() -> None:
    session, _sub = _active()
    events = session.receive('{"type":"error","msg":{"code":17,"msg":"Internal error"}}')
    assert isinstance(events[0], SubscriptionEnded)
    assert isinstance(events[0].error, se.StreamInternalError)


def test_resubscribe_loop_is_bounded() -> None:
    session = Session(max_resubscribes=2)
    sub, cmd = session.subscribe("ticker")
    session.connection_made()
    sid = 1
    session.receive(
        json.dumps({"id": cmd.id, "type": "subscribed", "msg": {"channel": "ticker", "sid": sid}})
    )
    finals = []
    for _ in range(3):
        events = session.receive(
            json.dumps({"type": "error", "sid": sid, "msg": {"code": 10, "msg": "x"}})
        )
        finals += [e.final for e in events if isinstance(e, SubscriptionEnded)]
        for text in session.commands_to_send():
            sid += 1
            session.receive(
                json.dumps(
                    {
                        "id": json.loads(text)["id"],
                        "type": "subscribed",
                        "msg": {"channel": "ticker", "sid": sid},
                    }
                )
            )
    assert finals == [False, False, True]
    assert sub.state == "failed"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1, se.InvalidCommandError),
        (6, se.AlreadySubscribedError),
        (7, se.UnknownSubscriptionError),
        (8, se.UnknownChannelError),
        (9, se.StreamAuthenticationError),
        (16, se.MarketNotFoundError),
        (18, se.CommandTimeoutError),
        (26, se.MarketLimitError),
        (27, se.StreamRateLimitError),
        (28, se.InvalidCommandError),
        (99, se.SubscriptionError),
    ],
)
def test_refused_subscribe_fails_its_command_with_the_code_family(code: int, cls: type) -> None:
    session = Session()
    sub, cmd = session.subscribe("orderbook_delta", market_tickers=["NOPE"])
    session.connection_made()
    session.commands_to_send()
    events = session.receive(
        json.dumps(
            {
                "id": cmd.id,
                "type": "error",
                "msg": {"code": code, "msg": "refused", "market_ticker": "NOPE"},
            }
        )
    )
    assert events == [CommandDone(cmd)]
    assert type(cmd.error) is cls
    assert cmd.error.code == code
    assert not cmd.error.terminal
    assert cmd.error.market_ticker == "NOPE"
    assert isinstance(cmd.error, KalshiError)
    assert sub.state == "failed"


def test_terminal_codes_are_the_spec_s() -> None:
    assert {c for c in range(1, 29) if se.error_class_for(c).terminal} == {10, 17, 25}


def test_reconnect_resubscribes_everything_and_books_wait_for_snapshots() -> None:
    session, sub = _active()
    session.receive(snap(1))
    _ticker_sub, _ = session.subscribe("ticker", market_tickers=[T])
    session.commands_to_send()
    session.connection_lost()
    with pytest.raises(se.BookOutOfSyncError) as info:
        sub.books[T].best_ask()
    assert info.value.reason == "disconnected"
    session.connection_made()
    sent = [json.loads(t) for t in session.commands_to_send()]
    assert sorted(c["params"]["channels"][0] for c in sent) == ["orderbook_delta", "ticker"]
    assert all(c["cmd"] == "subscribe" for c in sent)


def test_pending_user_subscribe_completes_after_a_reconnect() -> None:
    session = Session()
    sub, cmd = session.subscribe("trade")
    session.connection_made()
    first = session.commands_to_send()
    session.connection_lost()
    assert not cmd.done
    session.connection_made()
    again = session.commands_to_send()
    assert again == first
    session.receive(
        json.dumps({"id": cmd.id, "type": "subscribed", "msg": {"channel": "trade", "sid": 3}})
    )
    assert cmd.done
    assert sub.state == "active"


def test_update_unsubscribe_and_list() -> None:
    session, sub = _active()
    add = session.update_subscription(sub, "add_markets", market_tickers=["C"])
    sent = json.loads(session.commands_to_send()[0])
    assert sent["params"] == {"sids": [7], "action": "add_markets", "market_tickers": ["C"]}
    session.receive(
        json.dumps(
            {
                "id": add.id,
                "type": "ok",
                "sid": 7,
                "seq": 1,
                "msg": {"market_tickers": [T, "B", "C"]},
            }
        )
    )
    assert add.done
    assert sub.market_tickers == [T, "B", "C"]
    rm = session.update_subscription(sub, "delete_markets", market_tickers=["B"])
    session.commands_to_send()
    session.receive(json.dumps({"id": rm.id, "type": "ok", "sid": 7, "seq": 2}))
    assert sub.market_tickers == [T, "C"]
    listing = session.list_subscriptions()
    assert json.loads(session.commands_to_send()[0]) == {
        "id": listing.id,
        "cmd": "list_subscriptions",
    }
    session.receive(
        json.dumps(
            {"id": listing.id, "type": "ok", "msg": [{"channel": "orderbook_delta", "sid": 7}]}
        )
    )
    assert [(i.channel, i.sid) for i in listing.result] == [("orderbook_delta", 7)]
    unsub = session.unsubscribe([sub])
    assert json.loads(session.commands_to_send()[0])["params"] == {"sids": [7]}
    session.receive(json.dumps({"id": unsub.id, "type": "unsubscribed", "sid": 7, "seq": 3}))
    assert unsub.done
    assert sub.state == "closed"
    assert isinstance(session.receive(delta(4, "yes", "0.4", "1"))[0], Dropped)


# -- book -----------------------------------------------------------------------------------
def _book(use_yes_price: bool = False) -> OrderBook:
    book = OrderBook(T, use_yes_price=use_yes_price)
    example = next(m for n, m in _examples() if n == "orderbookSnapshot")
    book.apply_snapshot(parse_message(json.dumps(example)).msg, 2)
    return book


def test_book_views_from_the_spec_example() -> None:
    book = _book()
    # yes: 0.08 x 300, 0.22 x 333; no: 0.54 x 20, 0.56 x 146 (no-leg prices).
    assert book.best_bid() == (Decimal("0.22"), Decimal("333.00"))
    assert book.best_ask() == (Decimal("0.44"), Decimal("146.00"))  # 1 - 0.56
    assert book.spread() == Decimal("0.22")
    depth = book.depth(1)
    assert depth.bids == [(Decimal("0.22"), Decimal("333"))]
    assert depth.asks == [(Decimal("0.44"), Decimal("146"))]
    assert book.asks() == [(Decimal("0.44"), Decimal("146")), (Decimal("0.46"), Decimal("20"))]
    assert book.size_at("0.46", "ask") == Decimal("20.00")
    assert book.size_at("0.54", "no") == Decimal("20.00")
    assert book.size_at("0.5") == 0


def test_use_yes_price_books_no_levels_at_yes_prices() -> None:
    book = OrderBook(T, use_yes_price=True)
    book.apply_snapshot(parse_message(snap(1, yes=[("0.22", "5")], no=[("0.44", "7")])).msg, 1)
    assert book.best_ask() == (Decimal("0.44"), Decimal("7"))
    assert book.no_bids() == [(Decimal("0.56"), Decimal("7"))]
    book.apply_delta(parse_message(delta(2, "no", "0.44", "-2")).msg, 2)
    assert book.best_ask() == (Decimal("0.44"), Decimal("5"))


def test_book_drops_deltas_older_than_its_snapshot_and_flags_negative_sizes() -> None:
    book = _book()
    assert not book.apply_delta(parse_message(delta(2, "yes", "0.22", "1")).msg, 2)
    assert book.apply_delta(parse_message(delta(3, "yes", "0.22", "-333")).msg, 3)
    assert book.best_bid() == (Decimal("0.08"), Decimal("300.00"))
    assert not book.apply_delta(parse_message(delta(4, "yes", "0.08", "-301")).msg, 4)
    with pytest.raises(se.BookOutOfSyncError, match="inconsistent"):
        book.levels()


def test_new_book_refuses_reads_until_its_snapshot() -> None:
    book = OrderBook(T)
    with pytest.raises(se.BookOutOfSyncError, match="awaiting_snapshot"):
        book.best_bid()
    assert not book.apply_delta(parse_message(delta(1, "yes", "0.1", "1")).msg, 1)


def test_messages_keep_unknown_keys_and_round_trip() -> None:
    frame = (
        '{"type":"trade","sid":3,"novel":true,"msg":{"trade_id":"t","market_ticker":"A",'
        '"yes_price_dollars":"0.3600","count_fp":"136.00","future_field":[1,2]}}'
    )
    msg = parse_message(frame)
    assert msg.extra_fields == {"novel": True}
    assert msg.msg.extra_fields == {"future_field": [1, 2]}
    assert json.loads(msg.to_json()) == json.loads(frame)
    assert msg.msg.yes_price_dollars == Decimal("0.36")


@pytest.mark.parametrize("reply_seq", [1, 2])
def test_an_ok_reply_completes_whether_or_not_its_seq_advances(reply_seq: int) -> None:
    session, sub = _active()
    session.receive(snap(1))
    cmd = session.update_subscription(sub, "get_snapshot")
    assert json.loads(session.commands_to_send()[0])["params"]["market_tickers"] == [T, "B"]
    events = session.receive(
        json.dumps(
            {
                "id": cmd.id,
                "type": "ok",
                "sid": 7,
                "seq": reply_seq,
                "msg": {"market_tickers": [T, "B"]},
            }
        )
    )
    assert events == [CommandDone(cmd)]
    assert cmd.done
    assert not any(isinstance(e, Gap) for e in session.receive(snap(reply_seq + 1)))


def test_a_slow_reader_of_raw_deltas_gets_fresh_snapshots() -> None:
    session = Session()
    sub, cmd = session.subscribe("orderbook_delta", market_tickers=[T])  # raw deltas
    session.connection_made()
    session.commands_to_send()
    session.receive(
        json.dumps(
            {"id": cmd.id, "type": "subscribed", "msg": {"channel": "orderbook_delta", "sid": 7}}
        )
    )
    events = session.discarded(sub)
    assert [type(e) for e in events] == [Resync]
    assert events[0].reason == "dropped"
    sent = [json.loads(t) for t in session.commands_to_send()]
    assert sent[0]["params"]["action"] == "get_snapshot"
    assert session.discarded(sub) == []  # one request until a snapshot arrives
    session.receive(snap(1))
    assert [type(e) for e in session.discarded(sub)] == [Resync]
    assert sub.dropped == 3
    managed, _ = session.subscribe("orderbook_delta", market_tickers=["B"], manage_books=True)
    assert session.discarded(managed) == []  # a managed book is updated before delivery
