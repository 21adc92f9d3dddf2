"""The demo: balance, a few orders, the order list page by page, a cancel, a table.

Without credentials it starts the fake exchange on a loopback port, registers a user with a
freshly generated RSA key and $1,000, and trades against it. With ``KALSHI_API_KEY_ID`` and
``KALSHI_PRIVATE_KEY_PATH`` (or ``KALSHI_PRIVATE_KEY``) set it runs unchanged against Kalshi's
demo environment (``KALSHI_ENV``/``KALSHI_BASE_URL`` override it), on ``KALSHI_DEMO_TICKER`` or
the first open market, with one-contract bids far below the market that it cancels at the end.

    python examples/demo.py
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from decimal import Decimal

from kalshi_core import errors, models
from kalshi_sync import Client
from kalshi_testing import FakeExchange, LoopbackServer

TICKER = "HIGHNY-24JAN01-T60"
PRICES = ["0.05", "0.04", "0.03", "0.02", "0.01"]


@contextlib.contextmanager
def connect() -> Iterator[tuple[Client, str, str]]:
    """A client, the market to trade, and a description of where it points."""
    if os.environ.get("KALSHI_API_KEY_ID"):
        env = dict(os.environ)
        if not env.get("KALSHI_BASE_URL") and not env.get("KALSHI_ENV"):
            env["KALSHI_ENV"] = "demo"
        with Client.from_env(env) as client:
            ticker = env.get("KALSHI_DEMO_TICKER") or first_open_market(client)
            yield client, ticker, f"Kalshi at {client.base_url}"
        return
    exchange = FakeExchange()
    exchange.add_market(TICKER)
    key = exchange.add_user(balance=Decimal("1000"))
    with (
        LoopbackServer(exchange) as server,
        Client(key_id=key.key_id, private_key=key.private_key_pem, base_url=server.url) as client,
    ):
        yield client, TICKER, f"the fake exchange at {server.url}"


def first_open_market(client: Client) -> str:
    page = client.get_markets(status="open", limit=1)
    if not page.markets or not page.markets[0].ticker:
        raise SystemExit("no open market found; set KALSHI_DEMO_TICKER")
    return page.markets[0].ticker


def show(value: Decimal | None, places: int = 2) -> str:
    return "-" if value is None else f"{value:,.{places}f}"


def table(orders: list[models.Order]) -> str:
    head = f"{'order id':<38} {'side':<4} {'price':>7} {'count':>7} {'left':>7}  status"
    rows = [head, "-" * len(head)]
    for o in orders:
        rows.append(
            f"{o.order_id or '':<38} {o.book_side or '':<4} {show(o.yes_price_dollars, 4):>7} "
            f"{show(o.initial_count_fp):>7} {show(o.remaining_count_fp):>7}  {o.status or ''}"
        )
    return "\n".join(rows)


def main() -> int:
    with connect() as (client, ticker, where):
        print(f"Connected to {where}")
        balance = client.get_balance()
        print(f"Balance: ${show(balance.balance_dollars)}")

        placed = []
        for price in PRICES:
            ack = client.create_order_v2(
                ticker=ticker,
                side="bid",
                price=price,
                count="1",
                time_in_force="good_till_canceled",
                self_trade_prevention_type="taker_at_cross",
            )
            placed.append(ack.order_id)
            print(f"Placed bid 1 @ ${price} on {ticker}: {ack.order_id}")

        print("\nResting orders, two per page:")
        mine = set(placed)
        for number, page in enumerate(client.get_orders.pages(ticker=ticker, limit=2), 1):
            ours = [o for o in page.orders or [] if o.order_id in mine]
            prices = ", ".join(f"${show(o.yes_price_dollars)}" for o in ours)
            count = len(page.orders or [])
            print(f"  page {number}: {count} order{'s' if count != 1 else ''} ({prices})")

        canceled = client.cancel_order_v2(placed[0])
        print(f"\nCanceled {canceled.order_id}: reduced by {canceled.reduced_by} contract(s)")

        orders = [client.get_order(order_id).order for order_id in placed]
        print()
        print(table([o for o in orders if o is not None]))
        print(f"\nBalance: ${show(client.get_balance().balance_dollars)}")

        for order_id in placed[1:]:
            with contextlib.suppress(errors.NotFoundError):
                client.cancel_order_v2(order_id)
        print(f"Cleaned up; balance: ${show(client.get_balance().balance_dollars)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except errors.KalshiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
