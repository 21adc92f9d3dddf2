"""Streaming figures: order-book deltas from frame bytes to an updated book, latency from the fake
exchange publishing a delta to user code, and memory for 1,000 managed books.

Run: ``python bench/fig_stream.py [rounds]``; prints JSON (``bench/run.py`` renders it).

1. **Throughput**, side by side in one process, on the same frame bytes (20,000
   ``orderbook_delta`` frames of one market after its snapshot, as a server sends them):

   * ours: ``kalshi_core.stream`` ``Connection`` (wsproto) + ``Session`` with a managed
     ``OrderBook``: typed messages, ``Decimal`` prices and sizes, ``seq`` checked;
   * baseline: the ``websockets`` package's sans-IO ``ClientProtocol`` + ``json.loads`` + a
     hand-written dict book (float sizes keyed by the price string, ``seq`` checked), the loop
     people write by hand.

   Rounds alternate (ours, theirs) and the ratio is taken per round.
2. **Latency**: the fake exchange over loopback; a resting order is placed on its engine and the
   time until the client's ``on_message`` callback sees the resulting delta (the sync driver,
   i.e. the async driver on asyncio in its thread), p50/p99 over 1,000 orders.
3. **Memory**: tracemalloc of a session holding 1,000 in-sync books of 20 levels (one
   subscription of 1,000 markets, and 1,000 subscriptions of one market each).
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, TextMessage

from kalshi_core.stream import Connection, Session, handshake_request

TICKER = "KXBENCH-25DEC31-T100"
N = 20_000
CHUNK = 65536


def frames() -> bytes:
    """Every frame's bytes, as a server sends them (one market)."""
    server = WSConnection(ConnectionType.SERVER)
    client = Connection(handshake_request("ws://127.0.0.1:9/trade-api/ws/v2", None, 0.0))
    server.receive_data(client.data_to_send())
    list(server.events())
    server.send(AcceptConnection())
    out = bytearray()
    sub = {"id": 1, "type": "subscribed", "msg": {"channel": "orderbook_delta", "sid": 1}}
    out += server.send(TextMessage(data=json.dumps(sub)))
    yes = [[f"0.{p:02d}00", "100.00"] for p in range(20, 45)]
    no = [[f"0.{p:02d}00", "100.00"] for p in range(20, 45)]
    snap = {
        "type": "orderbook_snapshot",
        "sid": 1,
        "seq": 1,
        "msg": {
            "market_ticker": TICKER,
            "market_id": "m",
            "yes_dollars_fp": yes,
            "no_dollars_fp": no,
        },
    }
    out += server.send(TextMessage(data=json.dumps(snap)))
    for i in range(N):
        price = f"0.{20 + i % 25:02d}00"
        delta = "1.00" if (i // 50) % 2 == 0 else "-1.00"  # each level +1, then -1
        msg = {
            "type": "orderbook_delta",
            "sid": 1,
            "seq": i + 2,
            "msg": {
                "market_ticker": TICKER,
                "market_id": "m",
                "price_dollars": price,
                "delta_fp": delta,
                "side": "yes" if i % 2 else "no",
                "ts_ms": 1700000000000 + i,
            },
        }
        out += server.send(TextMessage(data=json.dumps(msg, separators=(",", ":"))))
    return bytes(out)


def ours(data: bytes) -> float:
    conn = Connection(handshake_request("ws://127.0.0.1:9/trade-api/ws/v2", None, 0.0))
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(conn.data_to_send())
    list(server.events())
    conn.receive_data(server.send(AcceptConnection()))
    session = Session()
    sub, _ = session.subscribe("orderbook_delta", market_tickers=[TICKER], manage_books=True)
    session.connection_made()
    session.commands_to_send()
    receive = session.receive
    started = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        for event in conn.receive_data(data[i : i + CHUNK]):
            text = getattr(event, "text", None)
            if text is not None:
                receive(text)
    elapsed = time.perf_counter() - started
    book = sub.books[TICKER]
    assert book.in_sync, book
    assert book.seq == N + 1, book
    return elapsed


def theirs(data: bytes) -> float:
    from websockets.client import ClientProtocol
    from websockets.server import ServerProtocol
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://127.0.0.1:9/trade-api/ws/v2"), max_size=None)
    client.send_request(client.connect())
    server = ServerProtocol()
    server.receive_data(client.data_to_send()[0])
    request = server.events_received()[0]
    server.send_response(server.accept(request))  # type: ignore[arg-type]
    client.receive_data(b"".join(server.data_to_send()))
    client.events_received()
    loads = json.loads
    books: dict[str, dict[str, dict[str, float]]] = {}
    last_seq: dict[int, int] = {}
    started = time.perf_counter()
    for i in range(0, len(data), CHUNK):
        client.receive_data(data[i : i + CHUNK])
        for frame in client.events_received():
            m = loads(frame.data)  # type: ignore[union-attr]
            kind = m["type"]
            if kind == "orderbook_delta":
                sid, seq = m["sid"], m["seq"]
                if seq != last_seq.get(sid, 0) + 1:
                    raise RuntimeError("gap")
                last_seq[sid] = seq
                body = m["msg"]
                side = books[body["market_ticker"]][body["side"]]
                price = body["price_dollars"]
                size = side.get(price, 0.0) + float(body["delta_fp"])
                if size <= 0:
                    side.pop(price, None)
                else:
                    side[price] = size
            elif kind == "orderbook_snapshot":
                last_seq[m["sid"]] = m["seq"]
                body = m["msg"]
                books[body["market_ticker"]] = {
                    "yes": {p: float(s) for p, s in body.get("yes_dollars_fp", [])},
                    "no": {p: float(s) for p, s in body.get("no_dollars_fp", [])},
                }
    elapsed = time.perf_counter() - started
    assert last_seq[1] == N + 1
    return elapsed


def throughput(rounds: int) -> dict[str, Any]:
    data = frames()
    ours(data)
    theirs(data)  # warm both
    a, b = [], []
    for _ in range(rounds):
        a.append(ours(data))
        b.append(theirs(data))
    rate = [N / t for t in a]
    base = [N / t for t in b]
    ratios = [x / y for x, y in zip(rate, base, strict=True)]
    return {
        "deltas": N,
        "frame_bytes": len(data),
        "ours_deltas_per_s": statistics.median(rate),
        "ours_us_per_delta": statistics.median(a) / N * 1e6,
        "baseline_deltas_per_s": statistics.median(base),
        "baseline_us_per_delta": statistics.median(b) / N * 1e6,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "rounds": rounds,
    }


def latency(n: int = 1000) -> dict[str, Any]:
    import kalshi_sync
    from kalshi_core import Credentials
    from kalshi_testing import FakeExchange, LoopbackServer

    fake = FakeExchange()
    fake.add_market(TICKER)
    key = fake.add_user(balance="10")
    maker = fake.add_participant(balance="10000000")
    assert key.private_key_pem is not None
    seen = threading.Event()
    arrived: list[float] = []

    def on_message(message: Any) -> None:
        if message.type == "orderbook_delta":
            arrived.append(time.perf_counter())
            seen.set()

    samples = []
    creds = Credentials(key.key_id, key.private_key_pem)
    with LoopbackServer(fake, heartbeat_interval=5) as server:
        client = kalshi_sync.Client(credentials=creds, base_url=server.url)
        with client, client.stream() as stream:
            sub = stream.subscribe_orderbook([TICKER], on_message=on_message)
            sub.wait_synced()
            for i in range(n + 50):
                seen.clear()
                price = Decimal(20 + i % 30) / 100
                started = time.perf_counter()
                fake.place_order(maker, TICKER, "bid", price, Decimal("1"))
                if not seen.wait(5):
                    raise RuntimeError("a delta never arrived")
                if i >= 50:  # warm-up
                    samples.append((arrived[-1] - started) * 1e6)
    samples.sort()
    return {
        "orders": n,
        "p50_us": samples[len(samples) // 2],
        "p99_us": samples[int(len(samples) * 0.99) - 1],
        "max_us": samples[-1],
    }


def memory() -> dict[str, Any]:
    levels = [[f"0.{p:02d}00", "123.45"] for p in range(1, 21)]
    out = {}
    for label, per_sub in (
        ("one subscription of 1,000 markets", 1000),
        ("1,000 subscriptions of one market", 1),
    ):
        tracemalloc.start()
        base = tracemalloc.take_snapshot()
        session = Session()
        tickers = [f"KXMEM-{i:04d}" for i in range(1000)]
        subs = []
        for start in range(0, 1000, per_sub):
            sub, cmd = session.subscribe(
                "orderbook_delta",
                market_tickers=tickers[start : start + per_sub],
                manage_books=True,
            )
            subs.append((sub, cmd))
        session.connection_made()
        session.commands_to_send()
        for sid, (sub, cmd) in enumerate(subs, start=1):
            session.receive(
                json.dumps(
                    {
                        "id": cmd.id,
                        "type": "subscribed",
                        "msg": {"channel": "orderbook_delta", "sid": sid},
                    }
                )
            )
            for seq, ticker in enumerate(sub.market_tickers or [], start=1):
                session.receive(
                    json.dumps(
                        {
                            "type": "orderbook_snapshot",
                            "sid": sid,
                            "seq": seq,
                            "msg": {
                                "market_ticker": ticker,
                                "market_id": "m",
                                "yes_dollars_fp": levels,
                                "no_dollars_fp": levels,
                            },
                        }
                    )
                )
        books = sum(len(s.books) for s, _ in subs)
        assert books == 1000
        assert all(b.in_sync for s, _ in subs for b in s.books.values())
        after = tracemalloc.take_snapshot()
        total = sum(s.size_diff for s in after.compare_to(base, "filename"))
        tracemalloc.stop()
        out[label] = {
            "books": books,
            "levels_per_book": 40,
            "bytes": total,
            "bytes_per_book": total / books,
        }
        del session, subs
    return out


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(
        json.dumps(
            {
                "throughput": throughput(rounds),
                "latency": latency(200 if rounds < 5 else 1000),
                "memory": memory(),
            }
        )
    )


if __name__ == "__main__":
    main()
