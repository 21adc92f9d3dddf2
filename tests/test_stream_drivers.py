"""The streaming drivers over a real loopback socket: sync, asyncio and trio.

The server is ``tests.wsserver.ScriptedWSServer`` (wsproto, replies in the AsyncAPI file's
shapes). Each test names the behaviour it checks; the async tests run under the ``driver``
backend, the sync ones through ``kalshi_sync.stream``.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import threading
import time
from decimal import Decimal
from typing import Any

import anyio
import pytest

import kalshi_async
import kalshi_sync
from kalshi_async.stream import Stream as AsyncStream
from kalshi_core.stream import Backoff, Gap, Resync
from kalshi_core.stream import errors as se
from kalshi_sync.stream import Stream as SyncStream
from tests.wsserver import (
    ScriptedWSServer,
    ServerConn,
    scripted_server,
    send_delta,
    standard_replies,
)

pytestmark = pytest.mark.socket

FAST = {"backoff": Backoff(0.01, 0.05), "command_timeout": 5.0}


def ws_url(server: ScriptedWSServer) -> str:
    return f"ws://127.0.0.1:{server.port}/trade-api/ws/v2"


def run(driver: str, fn: Any) -> None:
    if driver == "sync":
        pytest.skip("async scenario")

    async def bounded() -> None:
        with anyio.fail_after(20):
            await fn()

    anyio.run(bounded, backend=driver)


async def until(predicate: Any, timeout: float = 5.0) -> None:
    """Wait (without blocking the loop) until the scripted server's state satisfies
    ``predicate``."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.005)


def trade(sid: int, n: int) -> dict[str, Any]:
    return {
        "type": "trade",
        "sid": sid,
        "msg": {
            "trade_id": f"t{n}",
            "market_ticker": "A",
            "yes_price_dollars": "0.40",
            "no_price_dollars": "0.60",
            "count_fp": f"{n}.00",
            "taker_side": "yes",
            "ts": n,
        },
    }


# -- async ----------------------------------------------------------------------------------
def test_managed_book_follows_deltas(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                sub = await stream.subscribe_orderbook(["A", "B"])
                await sub.wait_synced()
                book = sub.book("A")
                assert book.best_bid() == (Decimal("0.4"), Decimal("10"))
                assert book.best_ask() == (Decimal("0.45"), Decimal("5"))  # 1 - 0.55
                send_delta(srv, srv.conn, sub.sid, "A", "yes", "0.42", "2.50")
                send_delta(srv, srv.conn, sub.sid, "A", "no", "0.55", "-5.00")
                seen = []
                async for message in sub:
                    seen.append(message.type)
                    if len(seen) == 4:  # two snapshots, two deltas
                        break
                assert seen == ["orderbook_snapshot"] * 2 + ["orderbook_delta"] * 2
                assert book.best_bid() == (Decimal("0.42"), Decimal("2.50"))
                assert book.best_ask() is None
                assert srv.conn.commands[0] == {
                    "id": 1,
                    "cmd": "subscribe",
                    "params": {"channels": ["orderbook_delta"], "market_tickers": ["A", "B"]},
                }

    run(driver, main)


def test_gap_resyncs_the_book_with_get_snapshot(driver: str) -> None:
    async def main() -> None:
        events: list[Any] = []
        with scripted_server() as srv:
            async with AsyncStream(
                url=ws_url(srv), credentials=None, on_event=events.append, **FAST
            ) as stream:
                sub = await stream.subscribe_orderbook(["A"])
                await sub.wait_synced()
                sid = sub.sid
                assert sid is not None
                srv.seq[sid] += 1  # the server "loses" one message
                send_delta(srv, srv.conn, sid, "A", "yes", "0.40", "1")
                await until(
                    lambda: any(c["cmd"] == "update_subscription" for c in srv.conn.commands)
                )
                cmd = next(c for c in srv.conn.commands if c["cmd"] == "update_subscription")
                assert cmd["params"] == {
                    "sids": [sid],
                    "market_tickers": ["A"],
                    "action": "get_snapshot",
                }
                await sub.wait_synced()
                assert sub.book("A").best_bid() == (Decimal("0.4"), Decimal("10"))
                assert any(isinstance(e, Gap) for e in events)
                assert any(isinstance(e, Resync) for e in events)

    run(driver, main)


def test_terminal_error_resubscribes_and_resyncs(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                sub = await stream.subscribe_orderbook(["A"], use_yes_price=True)
                await sub.wait_synced()
                old = sub.sid
                srv.conn.send_json(
                    {"type": "error", "sid": old, "msg": {"code": 17, "msg": "Internal error"}}
                )
                await until(
                    lambda: len([c for c in srv.conn.commands if c["cmd"] == "subscribe"]) == 2
                )
                again = [c for c in srv.conn.commands if c["cmd"] == "subscribe"][1]
                assert again["params"] == {
                    "channels": ["orderbook_delta"],
                    "market_tickers": ["A"],
                    "use_yes_price": True,
                }
                await sub.wait_synced()
                assert sub.sid != old
                assert sub.state == "active"
                # use_yes_price: the NO level 0.55 arrived in YES pricing, so it is a 0.55 ask.
                assert sub.book("A").best_ask() == (Decimal("0.55"), Decimal("5"))

    run(driver, main)


def test_reconnect_resigns_resubscribes_and_resyncs(driver: str, rsa_pem: bytes) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            client = kalshi_async.AsyncClient(
                key_id="k1", private_key=rsa_pem, base_url=srv.base_url
            )
            async with client, client.stream(**FAST) as stream:
                assert stream.url == ws_url(srv)
                sub = await stream.subscribe_orderbook(["A"])
                trades = await stream.subscribe_trades(["A"])
                await sub.wait_synced()
                first = srv.conn
                first.drop()
                await until(lambda: srv.connect_count == 2)
                await sub.wait_synced()
                await anyio.sleep(0.05)
                second = srv.conn
                assert second is not first
                assert sorted(c["params"]["channels"][0] for c in second.commands) == [
                    "orderbook_delta",
                    "trade",
                ]
                for conn in (first, second):
                    assert conn.headers["kalshi-access-key"] == "k1"
                    assert conn.headers["target"] == "/trade-api/ws/v2"
                assert (
                    first.headers["kalshi-access-signature"]
                    != second.headers["kalshi-access-signature"]
                )
                assert trades.state == "active"
                assert stream.connects == 2
                await until(lambda: trades.sid is not None)
                second.send_json(trade(trades.sid, 7))
                async for message in trades:
                    assert message.msg.count_fp == Decimal("7.00")
                    break

    run(driver, main)


def test_silent_connection_counts_as_dead(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(
                url=ws_url(srv), credentials=None, heartbeat_timeout=0.6, **FAST
            ) as stream:
                sub = await stream.subscribe_orderbook(["A"])
                await sub.wait_synced()
                srv.conn.stalled = True  # no pong, no frame: silence
                start = anyio.current_time()
                await until(lambda: srv.connect_count == 2, timeout=5)
                assert anyio.current_time() - start >= 0.5
                await sub.wait_synced()

    run(driver, main)


def test_heartbeat_pings_keep_a_quiet_connection(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(
                url=ws_url(srv), credentials=None, heartbeat_timeout=0.6, **FAST
            ) as stream:
                await stream.subscribe_trades()
                srv.conn.ping()
                await anyio.sleep(1.5)
                assert stream.connects == 1
                assert srv.conn.side.pings >= 2

    run(driver, main)


def test_refused_handshake_raises_handshake_error(driver: str) -> None:
    async def main() -> None:
        with scripted_server(accept_status=lambda conn: 401) as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                with pytest.raises(se.HandshakeError) as info:
                    await stream.subscribe_trades()
                assert info.value.status == 401
                with pytest.raises(se.HandshakeError):
                    async for _ in stream:
                        pass

    run(driver, main)


def _refuse(code: int) -> Any:
    def on_command(server: ScriptedWSServer, conn: ServerConn, command: dict[str, Any]) -> None:
        if command["cmd"] == "subscribe":
            conn.send_json(
                {
                    "id": command["id"],
                    "type": "error",
                    "msg": {"code": code, "msg": "no", "market_ticker": "ZZZ"},
                }
            )
        else:
            standard_replies(server, conn, command)

    return on_command


def test_refused_subscribe_raises_its_code_family(driver: str) -> None:
    async def main() -> None:
        with scripted_server(on_command=_refuse(16)) as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                with pytest.raises(se.MarketNotFoundError) as info:
                    await stream.subscribe_orderbook(["ZZZ"])
                assert info.value.code == 16
                assert info.value.market_ticker == "ZZZ"
                assert stream.subscriptions == []

    run(driver, main)


def test_update_list_and_unsubscribe(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                sub = await stream.subscribe_orderbook(["A"])
                await sub.add_markets(["B"])
                assert sub.market_tickers == ["B"]  # the scripted ok lists the update's tickers
                listed = await stream.list_subscriptions()
                assert [(i.channel, i.sid) for i in listed] == [("orderbook_delta", sub.sid)]
                trades = await stream.subscribe_trades()
                await stream.unsubscribe(trades)
                assert trades.state == "closed"
                assert [c["params"] for c in srv.conn.commands if c["cmd"] == "unsubscribe"] == [
                    {"sids": [2]}
                ]
                async for _ in trades:
                    raise AssertionError("an unsubscribed subscription yields nothing")

    run(driver, main)


def test_slow_consumer_queue_is_bounded_and_drops_oldest(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(
                url=ws_url(srv), credentials=None, queue_size=5, **FAST
            ) as stream:
                sub = await stream.subscribe_trades()
                assert sub.sid is not None
                for n in range(1, 51):
                    srv.conn.send_json(trade(sub.sid, n))
                with anyio.fail_after(5):
                    while sub.dropped < 45:
                        await anyio.sleep(0.01)
                got = []
                async for message in sub:
                    got.append(int(message.msg.count_fp))
                    if got[-1] == 50:
                        break
                assert got == [46, 47, 48, 49, 50]
                assert sub.dropped == 45

    run(driver, main)


def test_malformed_frames_are_reported_not_fatal(driver: str) -> None:
    async def main() -> None:
        seen: list[Any] = []
        with scripted_server() as srv:
            async with AsyncStream(
                url=ws_url(srv), credentials=None, on_event=seen.append, **FAST
            ) as stream:
                sub = await stream.subscribe_trades()
                srv.conn.send_raw_text("{not json")
                srv.conn.send_raw_text(json.dumps({"type": "trade", "sid": sub.sid, "msg": 5}))
                srv.conn.send_json(trade(sub.sid or 0, 3))
                async for message in sub:
                    assert message.msg.trade_id == "t3"
                    break
                errors = [e for e in seen if isinstance(e, se.StreamDecodeError)]
                assert len(errors) == 2
                assert stream.connects == 1

    run(driver, main)


def test_iterating_the_stream_yields_every_subscription(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                everything = stream.__aiter__()
                a = await stream.subscribe_trades(["A"])
                b = await stream.subscribe_ticker(["A"])
                srv.conn.send_json(trade(a.sid or 0, 1))
                srv.conn.send_json(
                    {
                        "type": "ticker",
                        "sid": b.sid,
                        "msg": {
                            "market_ticker": "A",
                            "price_dollars": "0.48",
                            "yes_bid_dollars": "0.45",
                            "yes_ask_dollars": "0.53",
                            "volume_fp": "1.00",
                            "ts": 1,
                        },
                    }
                )
                kinds = [(await everything.__anext__()).type for _ in range(2)]
                assert kinds == ["trade", "ticker"]

    run(driver, main)


def test_cancelling_leaves_no_task_or_socket(driver: str) -> None:
    async def main() -> None:
        with scripted_server() as srv:
            with anyio.move_on_after(0.5) as scope:
                async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                    sub = await stream.subscribe_trades()
                    async for _ in sub:
                        pass
            assert scope.cancelled_caught
            await until(lambda: not srv.conn.open)
            if driver == "asyncio":
                import asyncio

                assert len(asyncio.all_tasks()) == 1  # only this test's task
            else:
                import trio

                assert not trio.lowlevel.current_task().child_nurseries

    run(driver, main)


def test_stream_from_client_defaults_to_tls_verification() -> None:
    client = kalshi_sync.Client(env="demo")
    stream = client.stream()
    assert stream._options["url"] == "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2"
    assert stream._options.get("verify", True) is True
    client.close()


# -- sync -----------------------------------------------------------------------------------
def _sync_only(driver: str) -> None:
    if driver != "sync":
        pytest.skip("sync scenario")


def test_sync_book_iterators_and_callbacks(driver: str) -> None:
    _sync_only(driver)
    called: list[str] = []
    with scripted_server() as srv, SyncStream(url=ws_url(srv), credentials=None, **FAST) as s:
        sub = s.subscribe_orderbook(["A"], on_message=lambda m: called.append(m.type))
        sub.wait_synced()
        send_delta(srv, srv.conn, sub.sid or 0, "A", "yes", "0.41", "4")
        trades = s.subscribe_trades()
        srv.conn.send_json(trade(trades.sid or 0, 2))
        for message in trades:
            assert message.msg.count_fp == Decimal("2.00")
            break
        assert sub.book("A").best_bid() == (Decimal("0.41"), Decimal("4"))
        assert called == ["orderbook_snapshot", "orderbook_delta"]
        assert [i.sid for i in s.list_subscriptions()] == [sub.sid, trades.sid]


def test_sync_reconnect_keeps_subscriptions(driver: str) -> None:
    _sync_only(driver)
    with scripted_server() as srv, SyncStream(url=ws_url(srv), credentials=None, **FAST) as s:
        sub = s.subscribe_orderbook(["A"])
        sub.wait_synced()
        srv.conn.drop()
        srv.wait(lambda: srv.connect_count == 2)
        sub.wait_synced()
        assert sub.state == "active"
        assert s.connects == 2


def test_sync_close_and_keyboard_interrupt_leave_no_thread_or_socket(driver: str) -> None:
    _sync_only(driver)
    before = threading.active_count()
    with scripted_server() as srv:
        client = kalshi_sync.Client(base_url=srv.base_url)
        # A real SIGINT (interrupt_main only simulates one, which a blocked wait never sees).
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        opened: list[SyncStream] = []

        def consume() -> None:
            with client.stream(**FAST) as s:
                opened.append(s)
                sub = s.subscribe_trades()
                timer.start()
                for _ in sub:
                    pass

        with pytest.raises(KeyboardInterrupt):
            consume()
        s = opened[0]
        timer.join()
        srv.wait(lambda: not srv.conn.open)
        client.close()
        with pytest.raises(se.StreamClosedError):
            s.subscribe_trades()
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_sync_gap_and_terminal_error_resync(driver: str) -> None:
    _sync_only(driver)
    with scripted_server() as srv, SyncStream(url=ws_url(srv), credentials=None, **FAST) as s:
        sub = s.subscribe_orderbook(["A"])
        sub.wait_synced()
        sid = sub.sid or 0
        srv.seq[sid] += 1  # one message lost
        send_delta(srv, srv.conn, sid, "A", "yes", "0.40", "1")
        srv.wait(lambda: any(c["cmd"] == "update_subscription" for c in srv.conn.commands))
        sub.wait_synced()
        srv.conn.send_json({"type": "error", "sid": sid, "msg": {"code": 10, "msg": "x"}})
        srv.wait(lambda: len([c for c in srv.conn.commands if c["cmd"] == "subscribe"]) == 2)
        sub.wait_synced()
        assert sub.sid != sid
        assert sub.book("A").best_bid() == (Decimal("0.4"), Decimal("10"))


def test_sync_refusals_raise_typed_errors(driver: str) -> None:
    _sync_only(driver)
    with (
        scripted_server(accept_status=lambda conn: 401) as srv,
        SyncStream(url=ws_url(srv), credentials=None, **FAST) as s,
        pytest.raises(se.HandshakeError),
    ):
        s.subscribe_trades()
    with (
        scripted_server(on_command=_refuse(8)) as srv,
        SyncStream(url=ws_url(srv), credentials=None, **FAST) as s,
        pytest.raises(se.UnknownChannelError),
    ):
        s.subscribe_trades()


def test_sync_unsubscribe_update_and_slow_consumer(driver: str) -> None:
    _sync_only(driver)
    with (
        scripted_server() as srv,
        SyncStream(url=ws_url(srv), credentials=None, queue_size=3, **FAST) as s,
    ):
        book = s.subscribe_orderbook(["A"])
        book.add_markets(["B"])
        assert book.market_tickers == ["B"]
        trades = s.subscribe_trades()
        for n in range(1, 21):
            srv.conn.send_json(trade(trades.sid or 0, n))
        srv.wait(lambda: trades.dropped == 17)
        s.unsubscribe(trades)
        assert [int(m.msg.count_fp) for m in trades] == [18, 19, 20]
        assert trades.state == "closed"


def test_task_cancel_leaves_no_task_or_socket(driver: str) -> None:
    if driver != "asyncio":
        pytest.skip("asyncio's Task.cancel (trio has no tasks to cancel: cancel scopes above)")
    import asyncio

    async def main() -> None:
        with scripted_server() as srv:

            async def consume() -> None:
                async with AsyncStream(url=ws_url(srv), credentials=None, **FAST) as stream:
                    sub = await stream.subscribe_trades()
                    async for _ in sub:
                        pass

            task = asyncio.create_task(consume())
            await until(lambda: bool(srv.conns) and bool(srv.conn.commands))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await until(lambda: not srv.conn.open)
            assert asyncio.all_tasks() == {asyncio.current_task()}

    anyio.run(main, backend="asyncio")


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a self-signed certificate for 127.0.0.1, and its PEM path."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, str(cert_path)


def test_tls_is_verified_by_default(driver: str, self_signed: tuple[ssl.SSLContext, str]) -> None:
    server_ctx, cert_path = self_signed

    async def main() -> None:
        with scripted_server(tls=server_ctx) as srv:
            url = f"wss://127.0.0.1:{srv.port}/trade-api/ws/v2"
            async with AsyncStream(url=url, credentials=None, **FAST) as stream:
                with pytest.raises(se.StreamConnectError) as info:
                    await stream.subscribe_trades()
                assert info.value.tls
            trusted = ssl.create_default_context(cafile=cert_path)
            async with AsyncStream(url=url, credentials=None, verify=trusted, **FAST) as stream:
                sub = await stream.subscribe_orderbook(["A"])
                await sub.wait_synced()
                assert sub.book("A").best_bid() == (Decimal("0.4"), Decimal("10"))

    if driver == "sync":
        with scripted_server(tls=server_ctx) as srv:
            url = f"wss://127.0.0.1:{srv.port}/trade-api/ws/v2"
            with (
                SyncStream(url=url, credentials=None, **FAST) as s,
                pytest.raises(se.StreamConnectError),
            ):
                s.subscribe_trades()
        return
    run(driver, main)
