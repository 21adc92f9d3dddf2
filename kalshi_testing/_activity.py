"""Other participants trading in the background, so a streamed book moves on its own.

``MarketActivity(fake).step()`` makes one random but reproducible move (``seed=``) on one of
the markets: a participant rests a bid or an ask a few ticks from a drifting mid price, takes
the best price on the other side, or cancels one of its resting orders. ``start()`` runs a
step every ``interval`` seconds on a thread until ``stop()`` (or use it as a context
manager); the command line's ``--activity`` does that for demos.

Every move goes through ``FakeExchange.place_order`` / ``cancel_order``, so it rests, matches,
streams and shows in the market data like any other participant's order.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal
from types import TracebackType

from kalshi_testing._errors import FakeError
from kalshi_testing._exchange import FakeExchange

__all__ = ["MarketActivity"]

ONE = Decimal(1)


class MarketActivity:
    """Random trading by ``participants`` simulated members on ``tickers`` (default: every
    market open when it starts); see the module docstring."""

    def __init__(
        self,
        exchange: FakeExchange,
        tickers: list[str] | None = None,
        *,
        interval: float = 0.5,
        seed: int | None = None,
        participants: int = 3,
        max_count: int = 10,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.exchange = exchange
        self.tickers = tickers
        self.interval = interval
        self.max_count = max_count
        self.steps = 0
        self._rng = random.Random(seed)
        self._people = [
            exchange.add_participant(f"activity-{i + 1}", balance="100000")
            for i in range(participants)
        ]
        self._mid: dict[str, Decimal] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _markets(self) -> list[str]:
        names = self.tickers or list(self.exchange.markets)
        return [t for t in names if self.exchange.markets[t].status == "active"]

    def step(self) -> None:
        """One move on one market (nothing when no market is open)."""
        markets = self._markets()
        if not markets:
            return
        rng = self._rng
        ticker = rng.choice(markets)
        tick = self.exchange.markets[ticker].tick
        mid = self._mid.get(ticker, Decimal("0.50"))
        mid = min(max(mid + tick * rng.choice((-1, 0, 0, 1)), tick * 10), ONE - tick * 10)
        self._mid[ticker] = mid
        who = rng.choice(self._people)
        mine = [o for o in self.exchange.orders_of(who) if o.on_book and o.ticker == ticker]
        roll = rng.random()
        self.steps += 1
        try:
            if mine and roll < 0.3:
                self.exchange.cancel_order(rng.choice(mine).order_id)
            elif roll < 0.45:
                side = rng.choice(("bid", "ask"))
                # Take what rests near the mid, on the other side of the book.
                limit = mid + tick * 3 if side == "bid" else mid - tick * 3
                self.exchange.place_order(
                    who,
                    ticker,
                    side,
                    limit,
                    rng.randint(1, self.max_count),
                    time_in_force="immediate_or_cancel",
                )
            else:
                side = rng.choice(("bid", "ask"))
                away = tick * rng.randint(1, 5)
                limit = mid - away if side == "bid" else mid + away
                self.exchange.place_order(who, ticker, side, limit, rng.randint(1, self.max_count))
        except FakeError:
            pass  # refused (balance, pause...): the exchange's answer stands, no move

    def start(self) -> MarketActivity:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="kalshi-fake-activity", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.step()

    def __enter__(self) -> MarketActivity:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
