"""The signing clock follows a server's ``Date`` only within a bound, and says so when it does.

Over a real socket on every driver: one answer dated 2100 (or 1900) must not move the
timestamps of later signatures; a plausible skew is corrected and logged; a
``header_timestamp_expired`` whose ``Date`` is absurd is raised, not "corrected".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kalshi_core import errors
from kalshi_core.policy.clock import MAX_OFFSET, ClockOffset, ClockSkewWarning
from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer

from .conftest import Harness

pytestmark = pytest.mark.socket

YEAR_2100 = "Fri, 01 Jan 2100 00:00:00 GMT"
YEAR_1900 = "Mon, 01 Jan 1900 00:00:00 GMT"


@pytest.fixture
def plan() -> FaultPlan:
    return FaultPlan()


@pytest.fixture
def server(fake: FakeExchange, plan: FaultPlan) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake, faults=plan) as srv:
        yield srv


def client(harness: Harness, server: LoopbackServer, account: ApiKey, **kw: Any) -> Any:
    kw.setdefault("max_retries", 0)
    kw.setdefault("rate_limit", None)
    return harness.client(
        key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url, **kw
    )


def timestamps(attempts: list[Any]) -> list[float]:
    return [int(a.request.header("KALSHI-ACCESS-TIMESTAMP")) / 1000 for a in attempts]


@pytest.mark.parametrize("date", [YEAR_2100, YEAR_1900])
def test_an_absurd_date_never_moves_the_signing_clock(
    harness: Harness,
    server: LoopbackServer,
    plan: FaultPlan,
    account: ApiKey,
    date: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[Any] = []
    plan.add(Fault.lying_date(date))
    c = client(harness, server, account, on_attempt=attempts.append)
    with caplog.at_level(logging.WARNING, "kalshi.clock"), pytest.warns(ClockSkewWarning):
        harness.run(lambda c: c.get_balance(), c)
    assert c.clock_offset == 0.0
    # The next signatures are made with the local clock, not 2100's or 1900's.
    harness.run(lambda c: c.get_balance(), c)
    harness.run(lambda c: c.get_balance(), c)
    now = time.time()
    assert all(abs(t - now) < 30 for t in timestamps(attempts))
    assert any("not applied" in r.getMessage() for r in caplog.records)


def test_a_plausible_skew_is_corrected_and_logged(
    harness: Harness,
    server: LoopbackServer,
    account: ApiKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[Any] = []
    c = client(
        harness, server, account, clock=lambda: time.time() - 120, on_attempt=attempts.append
    )
    with caplog.at_level(logging.INFO, "kalshi.clock"):
        harness.run(lambda c: c.get_balance(), c)
    assert 118 <= c.clock_offset <= 122
    assert any("clock offset" in r.getMessage() for r in caplog.records)


def test_an_expired_timestamp_with_an_absurd_date_is_raised_not_corrected(
    harness: Harness, server: LoopbackServer, plan: FaultPlan, account: ApiKey
) -> None:
    attempts: list[Any] = []
    # The first answer is sampled (healthy), then a 401 header_timestamp_expired dated 2100.
    c = client(harness, server, account, on_attempt=attempts.append, max_retries=2)
    harness.run(lambda c: c.get_balance(), c)
    plan.add(Fault.lying_date(YEAR_2100, status=401))
    with pytest.raises(errors.TimestampExpiredError), pytest.warns(ClockSkewWarning):
        harness.run(lambda c: c.get_balance(), c)
    assert c.clock_offset == 0.0
    assert len(attempts) == 2  # no resend signed 73 years ahead
    assert all(abs(t - time.time()) < 30 for t in timestamps(attempts))


def test_the_bound_is_configurable(
    harness: Harness, server: LoopbackServer, plan: FaultPlan, account: ApiKey
) -> None:
    c = client(harness, server, account, clock=lambda: time.time() - 120, max_clock_offset=60)
    with pytest.warns(ClockSkewWarning), pytest.raises(errors.TimestampExpiredError):
        harness.run(lambda c: c.get_balance(), c)
    assert c.clock_offset == 0.0


def test_clock_offset_unit() -> None:
    offset = ClockOffset()
    assert offset.max_offset == MAX_OFFSET == 300.0
    with pytest.warns(ClockSkewWarning):
        assert not offset.observe(YEAR_2100, time.time())
    assert offset.offset == 0.0
    assert offset.refused is not None
    assert offset.correct("Thu, 01 Jan 1970 00:00:00 GMT", 100.0)  # 99.5 s off: applied
    assert offset.offset == -99.5
    with pytest.raises(errors.ConfigurationError):
        ClockOffset(max_offset=float("nan"))
