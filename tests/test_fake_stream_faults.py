"""Stream faults from the fault plan, over a real socket: each one deterministic, each one seen
by a plain client the way a real network or a real Kalshi would show it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer, StreamFault
from tests.wsclient import ClosedError, RejectedError, WsClient

MARKET = "HIGHNY-24JAN01-T60"

pytestmark = pytest.mark.socket


@pytest.fixture
def fake() -> FakeExchange:
    fake = FakeExchange()
    fake.add_market(MARKET)
    return fake


@pytest.fixture
def key(fake: FakeExchange) -> ApiKey:
    return fake.add_user(balance=Decimal("1000"))


def connect(server: LoopbackServer, key: ApiKey) -> WsClient:
    assert key.private_key_pem is not None
    return WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem)


@pytest.fixture
def plan() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def server(fake: FakeExchange, plan: FaultPlan) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake, faults=plan, heartbeat_interval=0.1, stream_buffer=4) as server:
        yield server


def book_stream(server: LoopbackServer, key: ApiKey) -> WsClient:
    ws = connect(server, key)
    ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
    assert ws.recv()["seq"] == 1
    return ws


def bids(fake: FakeExchange, *prices: str) -> None:
    for p in prices:
        fake.seed_liquidity(MARKET, "bid", p, 1)


def seqs(ws: WsClient) -> list[int]:
    return [m["seq"] for m in ws.recv_all() if m.get("type") == "orderbook_delta"]


def test_skip_leaves_a_gap(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.skip(on="orderbook_delta", after=1))
    with book_stream(server, key) as ws:
        bids(fake, "0.10", "0.11", "0.12")
        assert seqs(ws) == [2, 4]
    assert plan.streamed == [("orderbook_delta", 1, "skip")]


def test_duplicate_sends_a_seq_twice(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.duplicate(on="orderbook_delta"))
    with book_stream(server, key) as ws:
        bids(fake, "0.10", "0.11")
        assert seqs(ws) == [2, 2, 3]


def test_reorder_swaps_with_the_next_message_of_the_sid(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.reorder(on="orderbook_delta"))
    with book_stream(server, key) as ws:
        bids(fake, "0.10", "0.11", "0.12")
        assert seqs(ws) == [3, 2, 4]


def test_drop_closes_without_a_close_frame(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.drop(on="orderbook_delta", after=1))
    with book_stream(server, key) as ws:
        bids(fake, "0.10", "0.11")
        assert ws.recv()["seq"] == 2
        with pytest.raises(ClosedError) as closed:
            ws.recv()
        assert closed.value.code is None
    deadline = time.monotonic() + 2
    while not server.streams[0].closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.streams[0].closed
    with connect(server, key) as again:  # the server takes new connections
        again.command("list_subscriptions")
        assert again.recv()["msg"] == []


def test_drop_with_reset(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.drop(reset=True, after=1))  # the snapshot passes
    with book_stream(server, key) as ws:
        bids(fake, "0.10")
        with pytest.raises(ClosedError):
            ws.recv()


@pytest.mark.parametrize(
    ("code", "text"),
    [(10, "Channel error"), (17, "Internal error"), (25, "Subscription buffer overflow")],
)
def test_terminal_error_ends_the_subscription(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey, code: int, text: str
) -> None:
    plan.add(StreamFault.terminal_error(code, on="orderbook_delta", after=1))
    with book_stream(server, key) as ws:
        bids(fake, "0.10", "0.11", "0.12")
        messages = ws.recv_all()
        assert messages == [
            messages[0],
            {"type": "error", "sid": 1, "msg": {"code": code, "msg": text}},
        ]
        assert messages[0]["seq"] == 2
        ws.command("list_subscriptions")
        assert ws.recv()["msg"] == []
        ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})  # resubscribe
        snapshot = ws.recv()
        assert (snapshot["sid"], snapshot["seq"]) == (2, 1)
        assert len(snapshot["msg"]["yes_dollars_fp"]) == 3


def test_terminal_error_codes_are_checked() -> None:
    with pytest.raises(ValueError):
        StreamFault.terminal_error(6)


def test_stop_heartbeat(server: LoopbackServer, plan: FaultPlan, key: ApiKey) -> None:
    plan.add(StreamFault.stop_heartbeat())
    with connect(server, key) as silent, connect(server, key) as beating:
        silent.expect_silence(0.5)
        beating.expect_silence(0.5)
        assert silent.pings == []
        assert len(beating.pings) >= 3
    assert server.streams[0].pings_sent == 0


def test_stall_goes_silent_then_resumes(fake: FakeExchange, plan: FaultPlan, key: ApiKey) -> None:
    plan.add(StreamFault.stall(0.6, on="orderbook_delta"))
    with (
        LoopbackServer(fake, faults=plan, heartbeat_interval=0.1) as server,
        book_stream(server, key) as ws,
    ):
        ws.recv_all(0.15)
        pings_before = len(ws.pings)
        started = time.monotonic()
        bids(fake, "0.10", "0.11")
        first = ws.recv(3)
        assert time.monotonic() - started >= 0.5
        assert first["seq"] == 2
        assert len(ws.pings) == pings_before  # nothing at all during the stall
        assert ws.recv()["seq"] == 3


def test_a_stalled_consumer_overflows_with_error_25(
    server: LoopbackServer, plan: FaultPlan, fake: FakeExchange, key: ApiKey
) -> None:
    plan.add(StreamFault.stall(0.5, on="orderbook_delta"))  # the server's buffer holds 4
    with book_stream(server, key) as ws:
        bids(fake, *(f"0.{n}" for n in range(10, 20)))
        messages = ws.recv_all(0.8)
        assert messages == [
            {"type": "error", "sid": 1, "msg": {"code": 25, "msg": "Subscription buffer overflow"}}
        ]


def test_http_faults_apply_to_the_handshake(
    server: LoopbackServer, plan: FaultPlan, key: ApiKey
) -> None:
    plan.add(Fault.status(503, path="/trade-api/ws/v2"))
    with pytest.raises(RejectedError) as refused:
        connect(server, key)
    assert refused.value.status == 503
    with connect(server, key) as ws:  # used up
        ws.command("list_subscriptions")
        assert ws.recv()["type"] == "ok"


def test_live_controls(server: LoopbackServer, fake: FakeExchange, key: ApiKey) -> None:
    with book_stream(server, key) as ws:
        stream = server.streams[-1]
        stream.terminate(1, 17)
        assert ws.recv() == {
            "type": "error",
            "sid": 1,
            "msg": {"code": 17, "msg": "Internal error"},
        }
        stream.drop()
        with pytest.raises(ClosedError):
            ws.recv()
