"""MarketActivity: simulated participants that move the book on their own, reproducibly, and
the command line that serves REST, the stream and the activity for a demo."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kalshi_testing import FakeExchange, LoopbackServer, MarketActivity
from tests.wsclient import WsClient

MARKET = "HIGHNY-24JAN01-T60"


def run(seed: int, steps: int) -> FakeExchange:
    fake = FakeExchange()
    fake.add_market(MARKET)
    fake.add_market("HIGHNY-24JAN01-T70")
    activity = MarketActivity(fake, seed=seed)
    for _ in range(steps):
        activity.step()
    return fake


def test_steps_trade_and_keep_the_books_balanced() -> None:
    fake = run(seed=11, steps=300)
    assert fake.engine.trades, "some steps take liquidity"
    assert any(o.on_book for o in fake.orders.values()), "some steps rest"
    assert any(o.status == "canceled" for o in fake.orders.values()), "some steps cancel"
    fake.check_ledger()


def test_a_seed_reproduces_the_flow() -> None:
    first, second = run(seed=5, steps=120), run(seed=5, steps=120)
    assert first.orderbook(MARKET) == second.orderbook(MARKET)
    assert [(t.price, t.count) for t in first.engine.trades] == [
        (t.price, t.count) for t in second.engine.trades
    ]


def test_paused_markets_are_left_alone() -> None:
    fake = FakeExchange()
    fake.add_market(MARKET)
    fake.pause_trading(MARKET)
    activity = MarketActivity(fake, seed=1)
    for _ in range(20):
        activity.step()
    assert not fake.orders


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        MarketActivity(FakeExchange(), interval=0)


@pytest.mark.socket
def test_the_thread_moves_a_streamed_book() -> None:
    fake = FakeExchange()
    fake.add_market(MARKET)
    key = fake.add_user(balance="10")
    assert key.private_key_pem is not None
    with (
        LoopbackServer(fake, heartbeat_interval=5) as server,
        WsClient(server.port, key_id=key.key_id, pem=key.private_key_pem) as ws,
    ):
        ws.subscribe({"channels": ["orderbook_delta"], "market_ticker": MARKET})
        assert ws.recv()["type"] == "orderbook_snapshot"
        with MarketActivity(fake, interval=0.01, seed=3):
            assert ws.recv()["type"] == "orderbook_delta"


@pytest.mark.socket
def test_the_command_line_serves_a_moving_stream(tmp_path: Path) -> None:
    key_path = tmp_path / "key.pem"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kalshi_testing",
            "--port",
            "0",
            "--key-out",
            str(key_path),
            "--activity",
            "0.02",
            "--heartbeat",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(5)]
        ws_url = lines[1].removeprefix("WebSocket API at ")
        assert ws_url.startswith("ws://127.0.0.1:")
        assert ws_url.endswith("/trade-api/ws/v2")
        key_id = lines[2].removeprefix("KALSHI_API_KEY_ID=")
        port = int(ws_url.split(":")[2].split("/")[0])
        with WsClient(port, key_id=key_id, pem=key_path.read_bytes()) as ws:
            ws.subscribe({"channels": ["trade"]})
            trade = ws.recv(timeout=10)
            assert trade["type"] == "trade"
            assert trade["msg"]["market_ticker"] == MARKET
            deadline = time.monotonic() + 0.6
            while time.monotonic() < deadline:  # more trades; pings answered meanwhile
                with contextlib.suppress(TimeoutError):
                    ws.recv(0.1)
            assert set(ws.pings) == {b"heartbeat"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
