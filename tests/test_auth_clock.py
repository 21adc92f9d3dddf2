"""The three common auth failures get distinct, actionable errors; a skewed clock is corrected
from the server's Date header and the stale-timestamp 401 retried once. Every driver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kalshi_core import Credentials, errors
from kalshi_core.policy.retry import RetryPolicy
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

from .conftest import Harness


@pytest.fixture
def server(fake: FakeExchange) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake) as srv:
        yield srv


def test_skewed_clock_is_corrected_and_the_request_retried_once(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    attempts: list[Any] = []
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=server.url,
        clock=lambda: time.time() - 120,
        max_retries=0,
        on_attempt=attempts.append,
    )
    balance = harness.run(lambda c: c.get_balance(), c)
    assert balance.balance == 100_000
    assert [a.response.status for a in attempts] == [401, 200]
    assert 118 <= c.clock_offset <= 122
    # The correction sticks: the next call is signed right the first time.
    harness.run(lambda c: c.get_balance(), c)
    assert [a.response.status for a in attempts] == [401, 200, 200]


def test_a_healthy_clock_is_left_alone(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    c = harness.client(
        key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
    )
    harness.run(lambda c: c.get_balance(), c)
    assert c.clock_offset == 0.0


def test_timestamp_still_expired_after_correction_is_raised(harness: Harness) -> None:
    seen: list[httpx.Request] = []

    def always_expired(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"error": {"code": "header_timestamp_expired", "message": "expired"}}
        return httpx.Response(401, json=body, headers={"date": formatdate(usegmt=True)})

    key = ed25519.Ed25519PrivateKey.generate()
    c = harness.client(
        credentials=Credentials("k1", key),
        base_url="http://fake.test/trade-api/v2",
        transport=httpx.MockTransport(always_expired),
    )
    with pytest.raises(errors.TimestampExpiredError) as info:
        harness.run(lambda c: c.get_balance(), c)
    assert info.value.attempts == 2
    assert len(seen) == 2
    # The retry was signed afresh with the corrected clock.
    stamps = [r.headers["KALSHI-ACCESS-TIMESTAMP"] for r in seen]
    sigs = [r.headers["KALSHI-ACCESS-SIGNATURE"] for r in seen]
    assert len(set(stamps)) == 2
    assert len(set(sigs)) == 2
    assert "clock" in str(info.value)
    assert isinstance(info.value, errors.AuthenticationError)


def test_unknown_key_says_demo_and_production_differ(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    c = harness.client(
        key_id="key-from-the-other-environment",
        private_key=account.private_key_pem,
        base_url=server.url,
    )
    with pytest.raises(errors.UnknownApiKeyError) as info:
        harness.run(lambda c: c.get_balance(), c)
    err = info.value
    assert err.status == 401
    assert err.details == "NOT_FOUND"
    assert err.attempts == 1
    assert "demo and production keys are separate" in str(err)


def test_wrong_private_key_is_a_bad_signature(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    c = harness.client(
        credentials=Credentials(account.key_id, ed25519.Ed25519PrivateKey.generate()),
        base_url=server.url,
    )
    with pytest.raises(errors.InvalidSignatureError) as info:
        harness.run(lambda c: c.get_balance(), c)
    assert info.value.details == "INCORRECT_API_KEY_SIGNATURE"
    assert info.value.attempts == 1
    assert "does not match this key id" in str(info.value)


def test_every_retry_is_signed_afresh(harness: Harness) -> None:
    seen: list[httpx.Request] = []
    now = [1_700_000_000.0]

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        now[0] += 1.5
        if len(seen) < 3:
            return httpx.Response(503, json={"error": {"code": "unavailable"}})
        return httpx.Response(200, json={"balance": 1, "portfolio_value": 0, "updated_ts": 0})

    c = harness.client(
        credentials=Credentials("k1", ed25519.Ed25519PrivateKey.generate()),
        base_url="http://fake.test/trade-api/v2",
        transport=httpx.MockTransport(flaky),
        clock=lambda: now[0],
        retry=RetryPolicy(backoff_base=0.0),
    )
    harness.run(lambda c: c.get_balance(), c)
    stamps = [r.headers["KALSHI-ACCESS-TIMESTAMP"] for r in seen]
    sigs = {r.headers["KALSHI-ACCESS-SIGNATURE"] for r in seen}
    assert stamps == [str(int((1_700_000_000.0 + 1.5 * i) * 1000)) for i in range(3)]
    assert len(sigs) == 3
    assert json.loads(seen[-1].read() or b"null") is None
