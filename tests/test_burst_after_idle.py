"""A burst of concurrent calls after the pool sat idle past the server's keep-alive: no call fails.

The loopback server closes a connection that stays idle longer than its ``idle_timeout`` (as a
load balancer does). The client fills its pool with a first burst, waits until the server has
closed every pooled connection, then fires a second burst: each stale connection must be
noticed and replaced, and every call must succeed. Async drivers fire the burst as concurrent
tasks on one client; the sync driver from a thread pool sharing one client.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import anyio
import pytest

from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

from .conftest import Harness

BURST = 80
SERVER_IDLE = 0.5


def burst(harness: Harness, client: Any, n: int) -> list[Any]:
    if not harness.is_async:
        with ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(lambda _: client.get_balance(), range(n)))

    async def fire(c: Any) -> list[Any]:
        results: list[Any] = []

        async def one() -> None:
            results.append(await c.get_balance())

        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(one)
        return results

    return list(harness.run(fire, client))


@pytest.mark.socket
def test_burst_after_idle_pool_loses_no_call(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    with LoopbackServer(fake, idle_timeout=SERVER_IDLE) as server:
        client = harness.client(
            key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
        )
        first = burst(harness, client, BURST)
        assert len(first) == BURST
        opened = server.connections_accepted
        assert opened > 1  # the burst ran on several pooled connections
        time.sleep(SERVER_IDLE * 2.5)  # the server has closed every idle connection by now
        second = burst(harness, client, BURST)
        assert len(second) == BURST
        assert all(b.balance_dollars == Decimal("1000") for b in second)
        # The stale connections were replaced by new ones, not reused.
        assert server.connections_accepted > opened
