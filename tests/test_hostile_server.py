"""Bounded memory and time against a hostile server, on every driver over a real socket.

Each case queues a hostile answer (``kalshi_testing._hostile``) on the loopback server and
checks that the client fails fast with our typed error: an endless body, a terabyte
``Content-Length`` and a gzip bomb stop at ``max_response_bytes``; a server trickling one byte
at a time fails within ``attempt_deadline`` (and ``call_deadline`` across retries); a redirect
is never followed, whatever ``http_client`` the user hands in; a deep JSON body is a
``DecodeError`` or a status error, never a ``RecursionError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kalshi_core import errors
from kalshi_core.models import _json
from kalshi_core.policy.retry import RetryPolicy
from kalshi_testing import ApiKey, FakeExchange, Fault, FaultPlan, LoopbackServer

from .conftest import Harness

pytestmark = pytest.mark.socket

MiB = 1 << 20


class Hostile:
    """A loopback server with a fault plan, and clients of one driver pointed at it."""

    def __init__(self, harness: Harness, fake: FakeExchange, account: ApiKey) -> None:
        self.harness = harness
        self.account = account
        self.plan = FaultPlan()
        self.server = LoopbackServer(fake, faults=self.plan).start()
        self.attempts: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        kwargs.setdefault("retry", RetryPolicy(max_retries=0))
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("rate_limit", None)
        return self.harness.client(
            key_id=self.account.key_id,
            private_key=self.account.private_key_pem,
            base_url=self.server.url,
            on_attempt=self.attempts.append,
            **kwargs,
        )

    def timed(self, fn: Any, client: Any) -> tuple[BaseException | None, float]:
        started = time.monotonic()
        try:
            self.harness.run(fn, client)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            return exc, time.monotonic() - started
        return None, time.monotonic() - started


@pytest.fixture
def hostile(harness: Harness, fake: FakeExchange, account: ApiKey) -> Iterator[Hostile]:
    h = Hostile(harness, fake, account)
    try:
        yield h
    finally:
        h.harness.close()
        h.server.stop()


def balance(c: Any) -> Any:
    return c.get_balance()


# -- size ------------------------------------------------------------------------------------


def test_an_endless_body_stops_at_the_cap(hostile: Hostile) -> None:
    # A bounded "endless" body (256 MiB) so that a client without a cap fails the test rather
    # than the machine.
    hostile.plan.add(Fault.endless_body(total=256 * MiB))
    c = hostile.client(max_response_bytes=MiB)
    exc, elapsed = hostile.timed(balance, c)
    assert isinstance(exc, errors.ResponseTooLargeError), exc
    assert exc.limit == MiB
    assert exc.encoded
    assert exc.attempts == 1
    assert "max_response_bytes" in str(exc)
    # The cap is reached after 1 MiB, not after the 256 the server would send.
    assert elapsed < 5.0
    # The connection was dropped, and the client works on the next call.
    assert hostile.harness.run(balance, c).balance == 100_000


def test_a_huge_content_length_is_refused_before_reading(hostile: Hostile) -> None:
    hostile.plan.add(Fault.huge_content_length(10**12))
    c = hostile.client(max_response_bytes=MiB)
    exc, elapsed = hostile.timed(balance, c)
    assert isinstance(exc, errors.ResponseTooLargeError), exc
    assert "Content-Length" in str(exc)
    # Refused on the head: the server's slow body is never waited for.
    assert elapsed < 3.0


def test_a_gzip_bomb_is_inflated_no_further_than_the_cap(hostile: Hostile) -> None:
    hostile.plan.add(Fault.gzip_bomb(256 * MiB))
    c = hostile.client(max_response_bytes=2 * MiB)
    exc, _ = hostile.timed(balance, c)
    assert isinstance(exc, errors.ResponseTooLargeError), exc
    assert not exc.encoded  # the wire bytes (~256 KB) were under the cap; inflating was not
    assert "inflates past" in str(exc)


def test_the_cap_is_set_per_call_and_a_normal_answer_fits(hostile: Hostile) -> None:
    c = hostile.client()
    assert hostile.harness.run(balance, c).balance == 100_000
    tiny = c.with_options(max_response_bytes=10)
    exc, _ = hostile.timed(balance, tiny)
    assert isinstance(exc, errors.ResponseTooLargeError)
    assert exc.limit == 10
    # The copy's cap does not touch the original.
    assert hostile.harness.run(balance, c).balance == 100_000


def test_a_gzip_answer_within_the_cap_is_decoded(hostile: Hostile) -> None:
    # The client asks for gzip/deflate only, and inflates what it gets.
    hostile.plan.add(Fault.gzip_bomb(1000))
    c = hostile.client(max_response_bytes=MiB)
    exc, _ = hostile.timed(balance, c)
    # 1,000 zero bytes are no JSON: a decode error, after a complete, bounded inflate.
    assert isinstance(exc, errors.DecodeError), exc
    assert exc.status == 200


# -- time ------------------------------------------------------------------------------------


def test_a_trickling_server_fails_within_the_attempt_deadline(hostile: Hostile) -> None:
    # One byte every 0.2 s: every read is well inside the 5 s read timeout, and the whole
    # answer (~300 bytes) would take a minute.
    hostile.plan.add(Fault.trickle(0.2))
    c = hostile.client(attempt_deadline=1.0)
    exc, elapsed = hostile.timed(balance, c)
    assert isinstance(exc, errors.APITimeoutError), exc
    assert exc.phase == "deadline"
    assert 0.9 <= elapsed < 3.0


def test_a_body_trickle_fails_within_the_attempt_deadline(hostile: Hostile) -> None:
    hostile.plan.add(Fault.trickle(0.2, head=False))
    c = hostile.client(attempt_deadline=1.0)
    exc, elapsed = hostile.timed(balance, c)
    assert isinstance(exc, errors.APITimeoutError), exc
    assert exc.phase == "deadline"
    assert elapsed < 3.0


def test_the_call_deadline_bounds_every_retry_together(hostile: Hostile) -> None:
    hostile.plan.add(*[Fault.trickle(0.2) for _ in range(4)])
    c = hostile.client(
        attempt_deadline=0.8,
        call_deadline=1.5,
        retry=RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.01),
    )
    exc, elapsed = hostile.timed(balance, c)
    assert isinstance(exc, errors.APITimeoutError), exc
    assert exc.phase == "deadline"
    # Two attempts fit in 1.5 s (0.8 + 0.7); four attempts of 0.8 s would not.
    assert elapsed < 3.5
    assert len(hostile.attempts) == 2


def test_deadlines_are_per_call_options(hostile: Hostile) -> None:
    c = hostile.client()
    hostile.plan.add(Fault.trickle(0.2))
    exc, elapsed = hostile.timed(balance, c.with_options(attempt_deadline=0.6))
    assert isinstance(exc, errors.APITimeoutError)
    assert exc.phase == "deadline"
    assert elapsed < 3.0


# -- redirects -------------------------------------------------------------------------------


class Recorder:
    """A second origin that records the headers of every request reaching it."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.fake = FakeExchange()
        self.server = LoopbackServer(self.fake).start()
        plan = FaultPlan()
        self.server.faults = plan
        self.plan = plan

    def stop(self) -> None:
        self.server.stop()


@pytest.mark.parametrize("own_client", [False, True])
def test_a_redirect_is_never_followed_with_the_signed_headers(
    hostile: Hostile, own_client: bool
) -> None:
    other = Recorder()
    try:
        hostile.plan.add(Fault.redirect(other.server.url + "/portfolio/balance"))
        kwargs: dict[str, Any] = {}
        if own_client:
            # The user's own client says to follow redirects; the SDK still does not.
            kwargs["http_client"] = (
                httpx.AsyncClient(follow_redirects=True)
                if hostile.harness.is_async
                else httpx.Client(follow_redirects=True)
            )
        c = hostile.client(**kwargs)
        exc, _ = hostile.timed(balance, c)
        assert isinstance(exc, errors.APIStatusError), exc
        assert exc.status == 307
        assert "never follows redirects" in str(exc)
        assert other.plan.served == []  # nothing reached the other origin
    finally:
        other.stop()
        if own_client:
            client = kwargs["http_client"]
            if hostile.harness.is_async:
                hostile.harness.run(lambda cl: cl.aclose(), client)
            else:
                client.close()


# -- JSON ------------------------------------------------------------------------------------


@pytest.fixture(params=["orjson", "json"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "json":
        monkeypatch.setattr(_json, "loads", _json.stdlib_loads)
    elif _json.BACKEND != "orjson":
        pytest.skip("orjson is not installed")
    return str(request.param)


@pytest.mark.parametrize("status", [200, 400, 503])
def test_a_depth_bomb_is_our_error_on_either_backend(
    hostile: Hostile, backend: str, status: int
) -> None:
    hostile.plan.add(Fault.deep_nesting(100_000, status=status))
    c = hostile.client()
    exc, _ = hostile.timed(balance, c)
    if status == 200:
        assert isinstance(exc, errors.DecodeError), exc
    else:
        assert isinstance(exc, errors.APIStatusError), exc
        assert exc.status == status


# -- the user's own httpx client -------------------------------------------------------------


def _own(hostile: Hostile) -> Any:
    return httpx.AsyncClient() if hostile.harness.is_async else httpx.Client()


def _close_own(hostile: Hostile, own: Any) -> None:
    if hostile.harness.is_async:
        hostile.harness.run(lambda cl: cl.aclose(), own)
    else:
        own.close()


@pytest.mark.parametrize(
    "fault",
    [
        Fault.endless_body(total=256 * MiB),
        Fault.huge_content_length(10**12),
        Fault.gzip_bomb(256 * MiB),
    ],
    ids=["endless", "content-length", "gzip-bomb"],
)
def test_the_cap_holds_through_the_users_own_http_client(hostile: Hostile, fault: Fault) -> None:
    own = _own(hostile)
    try:
        hostile.plan.add(fault)
        c = hostile.client(http_client=own, max_response_bytes=MiB)
        exc, elapsed = hostile.timed(balance, c)
        assert isinstance(exc, errors.ResponseTooLargeError), exc
        assert elapsed < 5.0
    finally:
        _close_own(hostile, own)


def test_the_deadline_holds_through_the_users_own_http_client(hostile: Hostile) -> None:
    # A body trickle: the async drivers cancel the attempt; the sync driver, which cannot
    # cancel a foreign blocking transport, checks the deadline between body chunks.
    own = _own(hostile)
    try:
        hostile.plan.add(Fault.trickle(0.2, head=False))
        c = hostile.client(http_client=own, attempt_deadline=1.0)
        exc, elapsed = hostile.timed(balance, c)
        assert isinstance(exc, errors.APITimeoutError), exc
        assert exc.phase == "deadline"
        assert elapsed < 3.0
    finally:
        _close_own(hostile, own)
