"""A live order book in the terminal, from the WebSocket API.

Without credentials it starts the fake exchange on a loopback port, registers a user, and lets a
random market maker trade on one market while the book prints (``--updates N`` book updates,
40 by default). With ``KALSHI_API_KEY_ID`` and ``KALSHI_PRIVATE_KEY_PATH`` (or
``KALSHI_PRIVATE_KEY``) set it streams Kalshi's demo environment instead (``KALSHI_ENV``/
``KALSHI_BASE_URL`` override it), on ``KALSHI_DEMO_TICKER`` or the first open market.

    python examples/stream_book.py
    python examples/stream_book.py --updates 10
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import threading
from collections.abc import Iterator
from decimal import Decimal

from kalshi_core.stream import OrderBook
from kalshi_core.stream.errors import BookOutOfSyncError
from kalshi_sync import Client
from kalshi_testing import FakeError, FakeExchange, LoopbackServer

TICKER = "HIGHNY-24JAN01-T60"


@contextlib.contextmanager
def connect() -> Iterator[tuple[Client, str, str]]:
    """A client, the market to watch, and where it points (a fake with a busy market maker,
    or Kalshi's demo)."""
    if os.environ.get("KALSHI_API_KEY_ID"):
        env = dict(os.environ)
        if not env.get("KALSHI_BASE_URL") and not env.get("KALSHI_ENV"):
            env["KALSHI_ENV"] = "demo"
        with Client.from_env(env) as client:
            ticker = env.get("KALSHI_DEMO_TICKER")
            if not ticker:
                page = client.get_markets(status="open", limit=1)
                if not page.markets or not page.markets[0].ticker:
                    raise SystemExit("no open market found; set KALSHI_DEMO_TICKER")
                ticker = page.markets[0].ticker
            yield client, ticker, f"Kalshi at {client.base_url}"
        return
    fake = FakeExchange()
    fake.add_market(TICKER)
    key = fake.add_user(balance=Decimal("1000"))
    maker = fake.add_participant(balance=Decimal("1000000"))
    stop = threading.Event()

    def market_maker() -> None:
        rng = random.Random(1)
        while not stop.wait(0.02):
            side = rng.choice(("bid", "ask"))
            cents = rng.randint(35, 50) if side == "bid" else rng.randint(50, 65)
            with contextlib.suppress(FakeError):
                fake.place_order(maker, TICKER, side, Decimal(cents) / 100, rng.randint(1, 20))

    with LoopbackServer(fake) as server:
        thread = threading.Thread(target=market_maker, daemon=True)
        thread.start()
        try:
            with Client(
                key_id=key.key_id, private_key=key.private_key_pem, base_url=server.url
            ) as client:
                yield client, TICKER, f"the fake exchange at {server.url}"
        finally:
            stop.set()
            thread.join()


def render(book: OrderBook, levels: int = 5) -> str:
    depth = book.depth(levels)
    lines = [f"{'bid size':>10} {'bid':>7} | {'ask':<7} {'ask size':<10}"]
    for i in range(levels):
        bid = depth.bids[i] if i < len(depth.bids) else None
        ask = depth.asks[i] if i < len(depth.asks) else None
        left = f"{bid.size:>10,.2f} {bid.price:>7.4f}" if bid else " " * 18
        right = f"{ask.price:<7.4f} {ask.size:<10,.2f}" if ask else ""
        lines.append(f"{left} | {right}")
    spread = book.spread()
    lines.append(f"spread {spread:.4f}" if spread is not None else "spread -")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=40, help="book updates to print")
    args = parser.parse_args()
    with connect() as (client, ticker, where), client.stream() as stream:
        print(f"Streaming {ticker} from {where}")
        sub = stream.subscribe_orderbook([ticker])
        sub.wait_synced()
        shown = 0
        for message in sub:
            try:
                text = render(sub.book(ticker))
            except BookOutOfSyncError as exc:
                print(f"(book out of sync: {exc.reason}; resyncing)")
                continue
            print(f"\n{message.type} seq {message.seq}\n{text}")
            shown += 1
            if shown >= args.updates:
                break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
