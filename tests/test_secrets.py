"""Secret hygiene: no private key material and no signature in any repr, str, exception, log
record or pickle, on every driver, after a run with retries and a failure over a socket."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from kalshi_core import Credentials, errors
from kalshi_core.policy.retry import RetryPolicy
from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer

from .conftest import Harness


@pytest.fixture
def server(fake: FakeExchange) -> Iterator[LoopbackServer]:
    plan = FaultPlan(Fault.status(503, path="/portfolio/balance"))
    with LoopbackServer(fake, faults=plan) as srv:
        yield srv


def secrets_of(pem: bytes, attempts: list[Any]) -> list[str]:
    """Every signature the client sent, and distinctive pieces of the private key."""
    lines = [ln for ln in pem.decode().splitlines() if ln and not ln.startswith("-----")]
    pieces = [lines[1], lines[len(lines) // 2], lines[-2]]
    sigs = [a.request.header("KALSHI-ACCESS-SIGNATURE") for a in attempts]
    assert all(sigs)
    return [s for s in sigs if s] + pieces


def test_nothing_secret_leaks(
    harness: Harness,
    server: LoopbackServer,
    account: ApiKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[Any] = []
    caplog.set_level(logging.DEBUG)
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=server.url,
        on_attempt=attempts.append,
        retry=RetryPolicy(backoff_base=0.0),
    )
    harness.run(lambda c: c.get_balance(), c)  # a 503, a retry, a success
    stranger = harness.client(
        key_id="unknown-key", private_key=account.private_key_pem, base_url=server.url
    )
    with pytest.raises(errors.UnknownApiKeyError) as info:
        harness.run(lambda c: c.get_balance(), stranger)
    assert account.private_key_pem is not None
    secrets = secrets_of(account.private_key_pem, attempts)

    exc = info.value
    texts = [
        repr(c),
        str(c),
        repr(c.credentials),
        str(c.credentials),
        repr(exc),
        str(exc),
        *(repr(a) for a in attempts),
        *(repr(a.request) for a in attempts),
        *(str(a.request) for a in attempts),
        caplog.text,
    ]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.__dict__))
    blob = "\n".join(texts)
    assert "kalshi" in {r.name for r in caplog.records}
    assert any(getattr(r, "attempt", None) == 2 for r in caplog.records)
    for secret in secrets:
        assert secret not in blob

    pickled = [pickle.dumps(exc), *(pickle.dumps(a.request) for a in attempts)]
    for data in pickled:
        for secret in secrets:
            assert secret.encode() not in data
    # Pickles still round-trip what is not secret.
    again = pickle.loads(pickled[0])
    assert type(again) is errors.UnknownApiKeyError
    assert (again.status, again.details, again.attempts) == (401, "NOT_FOUND", 1)
    request = pickle.loads(pickled[1])
    assert request.header("KALSHI-ACCESS-SIGNATURE") == "<redacted>"
    assert request.header("KALSHI-ACCESS-KEY") == account.key_id

    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(c)
    assert isinstance(c.credentials, Credentials)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(c.credentials)


def test_log_record_per_attempt_has_the_fields(
    harness: Harness,
    server: LoopbackServer,
    account: ApiKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kalshi")
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=server.url,
        retry=RetryPolicy(backoff_base=0.0),
    )
    harness.run(lambda c: c.get_balance(), c)
    records = [r for r in caplog.records if r.name == "kalshi"]
    assert [(r.levelno, r.status, r.attempt) for r in records] == [  # type: ignore[attr-defined]
        (logging.INFO, 503, 1),
        (logging.DEBUG, 200, 2),
    ]
    for r in records:
        assert r.method == "GET"  # type: ignore[attr-defined]
        assert r.path == "/trade-api/v2/portfolio/balance"  # type: ignore[attr-defined]
        assert r.latency >= 0  # type: ignore[attr-defined]
        headers = dict(r.headers)  # type: ignore[attr-defined]
        assert headers["KALSHI-ACCESS-SIGNATURE"] == "<redacted>"
    assert "retrying in" in records[0].getMessage()
