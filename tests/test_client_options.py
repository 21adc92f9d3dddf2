"""Per-client and per-call options, the connection pool, and closing, on every driver."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

import kalshi_async
import kalshi_sync
from kalshi_core import errors
from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer

from .conftest import Harness


def test_defaults() -> None:
    timeout = kalshi_sync.DEFAULT_TIMEOUT
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 10.0, 10.0, 10.0)
    limits = kalshi_sync.DEFAULT_LIMITS
    assert limits.max_connections == 100
    assert limits.max_keepalive_connections == 100
    assert limits.keepalive_expiry == 30.0
    assert timeout == kalshi_async.DEFAULT_TIMEOUT


def test_with_options_shares_the_pool_and_overrides_per_call(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    plan = FaultPlan()
    with LoopbackServer(fake, faults=plan) as srv:
        c = harness.client(
            key_id=account.key_id, private_key=account.private_key_pem, base_url=srv.url
        )
        quick = c.with_options(timeout=0.2, max_retries=0)
        assert quick is not c
        assert repr(quick) == repr(c)
        assert quick._http is c._http
        assert quick.rate_limiter is c.rate_limiter
        assert quick._offset is c._offset
        plan.add(Fault.stall(1.0, path="/portfolio/balance"))
        with pytest.raises(errors.APITimeoutError) as info:
            harness.run(lambda c: c.get_balance(), quick)
        assert info.value.phase == "read"
        assert info.value.attempts == 1
        # The original keeps its own options and still works on the shared pool.
        assert harness.run(lambda c: c.get_balance(), c).balance == 100_000
        connections = srv.connections_accepted
        for _ in range(3):
            harness.run(lambda c: c.get_balance(), quick)
            harness.run(lambda c: c.get_balance(), c)
        assert srv.connections_accepted == connections  # keep-alive, one pool
        # Closing a copy leaves the shared pool open.
        if harness.is_async:
            harness.run(lambda q: q.aclose(), quick)
        else:
            quick.close()
        assert not c._http.is_closed
        assert harness.run(lambda c: c.get_balance(), c).balance == 100_000


def test_context_manager_closes_and_unclosed_client_warns(harness: Harness) -> None:
    cls: Any = kalshi_async.AsyncClient if harness.is_async else kalshi_sync.Client
    transport: Any = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    if harness.is_async:

        async def use() -> Any:
            async with cls(base_url="http://x.test/trade-api/v2", transport=transport) as c:
                pass
            return c

        client = harness.run(lambda _: use(), None)
    else:
        with cls(base_url="http://x.test/trade-api/v2", transport=transport) as client:
            pass
    assert client._http.is_closed
    leaked = cls(base_url="http://x.test/trade-api/v2", transport=transport)
    with pytest.warns(ResourceWarning, match="without being closed"):
        leaked.__del__()
    if harness.is_async:
        harness.run(lambda c: c.aclose(), leaked)
    else:
        leaked.close()
    leaked.__del__()  # closed: silent
    del leaked
    gc.collect()


def test_bad_options_are_refused() -> None:
    with pytest.raises(TypeError, match="rate_limit"):
        kalshi_sync.Client(rate_limit=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rate-limit tier"):
        kalshi_sync.Client(rate_limit="gold")
    with pytest.raises(ValueError, match="max_retries"):
        kalshi_sync.Client(max_retries=-1)
