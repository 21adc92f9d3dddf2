"""Many callers on one client share its pool and limiter without error or leak: 500 concurrent
tasks on the async client (asyncio and trio), 16 threads on the sync client, over a socket."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from kalshi_core import models
from kalshi_core.policy.ratelimit import RateLimiter
from kalshi_testing import ApiKey, FakeExchange, FakeRateLimits, LoopbackServer

from .conftest import MARKET, Harness

pytestmark = pytest.mark.socket


def wait_until(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_many_callers_share_pool_and_limiter(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    # Big buckets that barely refill, on both sides: every request's tokens show in the levels.
    fake.rate_limits = FakeRateLimits(
        None, read=1, write=1, read_capacity=10_000, write_capacity=10_000
    )
    limiter = RateLimiter(read=(1, 10_000), write=(1, 10_000))
    threads_before = threading.active_count()
    with LoopbackServer(fake) as srv:
        c = harness.client(
            key_id=account.key_id,
            private_key=account.private_key_pem,
            base_url=srv.url,
            rate_limit=limiter,
            max_retries=0,
            # A small pool: callers queue for its connections (unsigned, see _backend.Slots).
            # The in-process server runs a thread per connection and shares our GIL.
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
        )
        if harness.is_async:
            callers, per_caller = 500, 1

            async def work(c: Any) -> list[Any]:
                return [await c.get_balance()]

        else:
            callers, per_caller = 16, 20

            def work(c: Any) -> list[Any]:  # type: ignore[misc]
                return [c.get_balance() for _ in range(per_caller)]

        started = time.monotonic()
        results = harness.concurrently(work, c, callers)
        elapsed = time.monotonic() - started
        answers = [a for batch in results for a in batch]
        total = callers * per_caller
        assert len(answers) == total
        assert all(isinstance(a, models.GetBalanceResponse) for a in answers)
        assert all(a.balance == 100_000 for a in answers)
        # One bounded pool: never more connections than its limit, all kept alive.
        assert srv.connections_accepted <= 10
        # One shared limiter, charged for every request; the exchange refused none.
        assert fake.rate_limits.rejected == 0
        assert fake.requests_seen == total
        levels = c.rate_limit_levels()
        assert levels["read"] == pytest.approx(10_000 - 10 * total, abs=elapsed + 1)
        assert levels["write"] == pytest.approx(10_000)
        # A write between the reads still goes through the same client.
        ack = harness.run(
            lambda c: c.create_order_v2(
                ticker=MARKET,
                side="bid",
                price="0.10",
                count="1",
                time_in_force="good_till_canceled",
                self_trade_prevention_type="taker_at_cross",
            ),
            c,
        )
        assert ack.order_id
        harness.close()
        # Closing the client closes its sockets: the server sees every connection end.
        assert wait_until(lambda: not srv._conns)
    assert wait_until(lambda: threading.active_count() <= threads_before + 1)
