"""Many processes, one account: the limiter's buckets in a real Redis.

The pure seam first (``RateLimiter.plan``, ``LocalBuckets``, ``StoreHealth``), then the
server-side script against a real ``redis-server`` (started for the session, see
``tests/redis_server.py``), then clients of every driver over a loopback socket, and finally
N processes of every driver bursting at one fake exchange whose own buckets judge: with the
Redis store none of them meets a 429; with per-process limiters several do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_core import builders, errors, models
from kalshi_core.policy.bucket_store import LocalBuckets, StoreHealth
from kalshi_core.policy.ratelimit import RateLimiter, Take
from kalshi_core.policy.redis_buckets import (
    SCRIPT,
    ScriptReplyError,
    bucket_key,
    check_account,
    parse_reply,
    script_args,
)
from kalshi_testing import ApiKey, FakeExchange, FakeRateLimits, LoopbackServer

from .conftest import MARKET, Harness
from .redis_server import free_port, redis_server
from .trading import V2_ORDER

redis = pytest.importorskip("redis", reason="the redis extra is not installed")

import kalshi_async  # noqa: E402
import kalshi_sync  # noqa: E402

WORKER = Path(__file__).resolve().parent / "fleet_worker.py"


def account_name() -> str:
    return f"acct-{uuid.uuid4().hex[:12]}"


# -- the pure seam ----------------------------------------------------------------------------


def test_plan_names_the_bucket_and_carries_the_costs_of_acquire() -> None:
    limiter = RateLimiter.for_tier("basic")
    read = limiter.plan(builders.get_balance())
    # Basic: 200 read tokens per second, a two-second read bucket, a quarter kept spare.
    assert read == Take("read", 10, 200, 400, 100)
    assert read == Take("read", 10, limiter.read.rate, limiter.read.capacity, limiter.read.spare)
    assert limiter.plan(builders.get_order("o1")).cost == 2
    batch = limiter.plan(builders.batch_create_orders_v2(orders=[V2_ORDER] * 7))
    assert (batch.bucket, batch.cost, batch.rate, batch.capacity, batch.spare) == (
        "write",
        70,
        100,
        100,
        25,
    )
    cancels = [{"order_id": f"o{i}", "market_ticker": MARKET} for i in range(5)]
    assert limiter.plan(builders.batch_cancel_orders_v2(orders=cancels)).cost == 10
    # A single write naming shard 2 is its own bucket (its own key in a shared store).
    sharded = limiter.plan(builders.cancel_order_v2("o1", exchange_index=2))
    assert (sharded.bucket, sharded.cost, sharded.rate) == ("write:2", 2, 100)
    # Planning takes no tokens.
    assert limiter.levels(0.0) == {"read": 400.0, "write": 100.0, "write:2": 100.0}


def test_local_buckets_wait_exactly_as_the_limiter() -> None:
    limiter = RateLimiter.for_tier("basic")
    store = LocalBuckets()
    calls = [builders.get_balance()] * 25 + [
        builders.batch_create_orders_v2(orders=[V2_ORDER] * 20),
        builders.cancel_order_v2("o1"),
    ] * 3
    for i, call in enumerate(calls):
        now = 100.0 + i * 0.01
        assert store.take(limiter.plan(call), now) == pytest.approx(limiter.acquire(call, now))
    assert store.levels(101.0) == pytest.approx(limiter.levels(101.0))


def test_local_buckets_share_scales_the_budget() -> None:
    quarter = LocalBuckets(share=0.25)
    take = Take("read", 10, 200, 200, 0)
    # A quarter of 200 tokens: five reads now, then one every 0.2 s (50 tokens per second).
    waits = [quarter.take(take, 0.0) for _ in range(7)]
    assert waits == [0.0] * 5 + [pytest.approx(0.2), pytest.approx(0.4)]
    with pytest.raises(ValueError, match="share"):
        LocalBuckets(share=0)


def test_store_health_falls_back_then_retries() -> None:
    health = StoreHealth("local", retry_interval=5.0)
    assert health.use_store(0.0)
    assert health.failed(0.0) is True  # an outage starts: report it
    assert health.failed(0.1) is False  # the same outage
    assert not health.use_store(3.0)  # local buckets until the retry interval passes
    assert health.use_store(5.1)
    assert health.succeeded() is True  # the outage ends: report that too
    assert health.succeeded() is False
    assert health.outages == 1


def test_store_health_failing_closed_asks_every_time() -> None:
    health = StoreHealth("closed", retry_interval=5.0)
    health.failed(0.0)
    assert health.fails_closed
    assert health.use_store(0.1)
    with pytest.raises(ValueError, match="on_failure must be one of 'local', 'closed'"):
        StoreHealth("open")


def test_keys_name_the_account() -> None:
    assert bucket_key("kalshi:ratelimit", "acct-A", "read") == "kalshi:ratelimit:{acct-A}:read"
    for bad in ("", " ", "a b", "a{b}"):
        with pytest.raises(ValueError, match="account"):
            check_account(bad)
    with pytest.raises(ScriptReplyError, match="unexpected reply"):
        parse_reply([b"1"])
    with pytest.raises(ScriptReplyError, match="unexpected reply"):
        parse_reply([b"x", b"0", b"0"])
    assert parse_reply([b"-3.5", b"0.25", b"7"]) == (-3.5, 0.25, 7.0)
    # The script is told no time: the Redis server's clock decides.
    assert script_args(Take("read", 10, 200, 200, 50)) == ["10.0", "200.0", "200.0", "50.0", "take"]


# -- the script in a real Redis ---------------------------------------------------------------


@pytest.fixture
def rds(redis_url: str) -> Iterator[Any]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_script_reserves_like_the_limiter(rds: Any) -> None:
    store = kalshi_sync.RedisBuckets(rds, account=account_name())
    # A bucket refilled one token per second: the calls' own duration hardly counts.
    take = Take("read", 10, 1, 200, 0)
    waits = [store.take(take) for _ in range(23)]
    # 20 reads of 10 tokens empty the 200-token bucket; the next queue 10 s apart, as the
    # limiter's own buckets would have them.
    assert waits[:20] == [0.0] * 20
    assert waits[20:] == pytest.approx([10.0, 20.0, 30.0], abs=1.0)
    local = LocalBuckets()
    assert [local.take(take, 0.0) for _ in range(23)][20:] == [10.0, 20.0, 30.0]
    assert store.levels_seen()["read"] == pytest.approx(-30.0, abs=1.0)


def test_script_uses_the_server_clock_and_expires_idle_buckets(rds: Any) -> None:
    account = account_name()
    store = kalshi_sync.RedisBuckets(rds, account=account)
    take = Take("write", 50, 100, 100, 25)
    store.take(take)
    key = bucket_key("kalshi:ratelimit", account, "write")
    state = rds.hgetall(key)
    seconds, micros = rds.time()
    assert float(state[b"at"]) == pytest.approx(seconds + micros / 1e6, abs=1.0)
    assert float(state[b"level"]) == pytest.approx(50.0, abs=0.5)
    # Full again in 0.5 s: the key lives that long plus a second.
    assert 1000 < rds.pttl(key) <= 1500
    # A bucket whose numbers change (configure) is capped at the new capacity.
    assert store.level(Take("write", 0, 10, 20, 0)) <= 20.0


def test_two_stores_share_one_bucket_and_drain_reaches_both(rds: Any) -> None:
    account = account_name()
    a = kalshi_sync.RedisBuckets(rds, account=account)
    b = kalshi_sync.RedisBuckets(rds, account=account)
    other = kalshi_sync.RedisBuckets(rds, account=account_name())
    take = Take("read", 10, 200, 200, 50)
    for _ in range(10):
        a.take(take)
    assert b.level(take) == pytest.approx(100.0, abs=2.0)
    assert other.level(take) == pytest.approx(200.0)
    b.drain(take)
    assert a.level(take) <= 1.0
    assert a.take(take) == pytest.approx((50 + 10) / 200, abs=0.02)


def test_script_takes_atomically_under_contention(rds: Any) -> None:
    store = kalshi_sync.RedisBuckets(rds, account=account_name())
    # A bucket that barely refills: every token taken must show in the level.
    take = Take("read", 1, 0.001, 10_000, 0)
    threads = [
        threading.Thread(target=lambda: [store.take(take) for _ in range(50)]) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.level(take) == pytest.approx(10_000 - 400, abs=0.1)


def test_async_store_under_asyncio_and_trio(redis_url: str, driver: str) -> None:
    if driver == "sync":
        pytest.skip("the async store")
    import anyio

    account = account_name()
    take = Take("read", 10, 10, 200, 0)  # a slow refill: the burst's own duration hardly counts

    async def burst() -> list[float]:
        async with kalshi_async.AsyncRedisBuckets(redis_url, account=account) as store:
            waits: list[float] = []

            async def one() -> None:
                waits.append(await store.take(take))

            async with anyio.create_task_group() as tg:
                for _ in range(22):
                    tg.start_soon(one)
            assert await store.level(take) == pytest.approx(-20.0, abs=2.0)
            return sorted(waits)

    waits = anyio.run(burst, backend=driver)
    assert waits[:20] == [0.0] * 20
    assert waits[20:] == pytest.approx([1.0, 2.0], abs=0.1)


def test_async_store_refuses_an_asyncio_client_under_trio(redis_url: str) -> None:
    import anyio
    import redis.asyncio as aioredis

    store = kalshi_async.AsyncRedisBuckets(aioredis.Redis.from_url(redis_url), account="a")

    async def take() -> float:
        return await store.take(Take("read", 1, 1, 1, 0))

    with pytest.raises(TypeError, match="cannot serve trio"):
        anyio.run(take, backend="trio")


def test_store_arguments_are_checked(redis_url: str) -> None:
    import redis.asyncio as aioredis

    with pytest.raises(errors.ConfigurationTypeError, match="sync redis client"):
        kalshi_sync.RedisBuckets(42, account="a")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationTypeError, match="AsyncRedisBuckets"):
        kalshi_sync.RedisBuckets(aioredis.Redis.from_url(redis_url), account="a")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationTypeError, match="redis-py client"):
        kalshi_async.AsyncRedisBuckets(object(), account="a")  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="account"):
        kalshi_sync.RedisBuckets("redis://127.0.0.1:1/0", account="")
    with pytest.raises(errors.ConfigurationError, match="on_failure"):
        kalshi_async.AsyncRedisBuckets("redis://127.0.0.1:1/0", account="a", on_failure="x")
    with pytest.raises(errors.ConfigurationError, match="fallback_share"):
        kalshi_sync.RedisBuckets("redis://127.0.0.1:1/0", account="a", fallback_share=2)
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        kalshi_sync.RedisBuckets("redis://127.0.0.1:1/0", account="a", timeout=0)
    with pytest.raises(errors.ConfigurationError, match="rate > 0"):
        Take("read", 10, 0, 100, 0)
    with pytest.raises(errors.ConfigurationError, match="spare < capacity"):
        Take("read", 10, 100, 100, 100)


def test_a_client_refuses_the_other_drivers_store(harness: Harness) -> None:
    url = "redis://127.0.0.1:1/0"
    wrong = (
        kalshi_sync.RedisBuckets(url, account="a")
        if harness.is_async
        else kalshi_async.AsyncRedisBuckets(url, account="a")
    )
    with pytest.raises(errors.ConfigurationTypeError, match="rate_limit_store must be"):
        harness.client(base_url="http://fake.test/trade-api/v2", rate_limit_store=wrong)
    right = (
        kalshi_async.AsyncRedisBuckets(url, account="a")
        if harness.is_async
        else kalshi_sync.RedisBuckets(url, account="a")
    )
    c = harness.client(base_url="http://fake.test/trade-api/v2")
    assert c.with_options(rate_limit_store=right).rate_limit_store is right
    with pytest.raises(errors.ConfigurationTypeError, match="rate_limit_store must be"):
        c.with_options(rate_limit_store=wrong)


# -- clients of every driver over a loopback socket --------------------------------------------


@pytest.fixture
def limited(fake: FakeExchange) -> Iterator[LoopbackServer]:
    fake.rate_limits = FakeRateLimits("basic")
    with LoopbackServer(fake) as srv:
        yield srv


@pytest.fixture
def slow_limited(fake: FakeExchange) -> Iterator[LoopbackServer]:
    """The Basic-tier fake on a clock running at a tenth of real time: its buckets refill at a
    tenth of the rate, so a fleet that overspends the bucket meets its 429s however slowly a
    busy machine delivers the burst (the controls below; signatures stay fresh for 10 s)."""
    fake.rate_limits = FakeRateLimits("basic")
    start = time.time()
    with LoopbackServer(fake, clock=lambda: start + (time.time() - start) * 0.1) as srv:
        yield srv


def make_store(harness: Harness, url: str, account: str, **kw: Any) -> Any:
    if harness.is_async:
        store = kalshi_async.AsyncRedisBuckets(url, account=account, **kw)
        harness._clients.append(store)  # closed with the clients (aclose)
        return store
    store = kalshi_sync.RedisBuckets(url, account=account, **kw)
    harness._clients.append(store)
    return store


def balance(harness: Harness) -> Any:
    if harness.is_async:

        async def call(c: Any) -> Any:
            try:
                return await c.get_balance()
            except errors.RateLimitError as exc:
                return exc

        return call

    def sync_call(c: Any) -> Any:
        try:
            return c.get_balance()
        except errors.RateLimitError as exc:
            return exc

    return sync_call


def two_clients(
    harness: Harness,
    srv: LoopbackServer,
    account: ApiKey,
    store: Any,
    statuses: list[int],
    headroom: float = 0.25,
) -> list[Any]:
    """Two clients of one account, each with its own in-process limiter (Basic)."""
    return [
        harness.client(
            key_id=account.key_id,
            private_key=account.private_key_pem,
            base_url=srv.url,
            max_retries=0,
            rate_limit=RateLimiter.for_tier("basic", headroom=headroom),
            rate_limit_store=store,
            on_attempt=lambda a: statuses.append(a.response.status if a.response else 0),
        )
        for _ in range(2)
    ]


def burst_both(harness: Harness, clients: list[Any], n: int) -> list[Any]:
    call = balance(harness)
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda c=c: results.extend(harness.concurrently(call, c, n)))
        for c in clients
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


#: Reads per client of a pair: each client's own limiter lets all 30 go at once (its 300
#: spendable tokens); the account's Basic read bucket holds 400, so together they overspend by
#: 200 tokens, a second of refill: slow scheduling cannot hide the 429s.
PAIR_BURST = 30


def test_clients_sharing_a_store_meet_no_429(
    harness: Harness,
    fake: FakeExchange,
    limited: LoopbackServer,
    account: ApiKey,
    redis_url: str,
) -> None:
    store = make_store(harness, redis_url, account_name())
    statuses: list[int] = []
    # Half of each bucket spare (not a quarter): these clients share one process with the fake
    # exchange and the rest of the suite, and the spare is what absorbs a request's delay
    # between its grant and its arrival (200 tokens: a second at 200 per second). The
    # multi-process test below keeps the default.
    clients = two_clients(harness, limited, account, store, statuses, headroom=0.5)
    assert clients[0].rate_limit_store is store
    results = burst_both(harness, clients, PAIR_BURST)
    assert all(isinstance(r, models.GetBalanceResponse) for r in results)
    assert statuses == [200] * 2 * PAIR_BURST
    assert fake.rate_limits is not None
    assert fake.rate_limits.rejected == 0
    assert fake.rate_limits.admitted_by_key[account.key_id] == 2 * PAIR_BURST
    # 600 tokens from a 400-token bucket: the store's level went below the spare (200).
    assert clients[0].rate_limit_levels()["read"] < 200
    assert clients[0].rate_limit_levels()["write"] == 100.0


def test_clients_with_their_own_buckets_meet_429s(
    harness: Harness, fake: FakeExchange, slow_limited: LoopbackServer, account: ApiKey
) -> None:
    statuses: list[int] = []
    clients = two_clients(harness, slow_limited, account, None, statuses)
    results = burst_both(harness, clients, PAIR_BURST)
    refused = [r for r in results if isinstance(r, errors.RateLimitError)]
    # 600 tokens against 400 (and a slow refill): about 20 calls refused.
    assert len(refused) >= 10
    assert fake.rate_limits is not None
    assert fake.rate_limits.rejected_by_key[account.key_id] == len(refused)


def test_a_429_drains_the_shared_bucket(
    harness: Harness,
    fake: FakeExchange,
    limited: LoopbackServer,
    account: ApiKey,
    redis_url: str,
    rds: Any,
) -> None:
    name = account_name()
    store = make_store(harness, redis_url, name)
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=limited.url,
        max_retries=0,
        rate_limit_store=store,
    )
    # Someone outside the fleet spent the account's reads: the exchange refuses, the store hears.
    assert fake.rate_limits is not None
    fake.rate_limits._meters.clear()
    fake.rate_limits.read_capacity = 5.0
    result = harness.run(balance(harness), c)
    assert isinstance(result, errors.RateLimitError)
    level = float(rds.hget(bucket_key("kalshi:ratelimit", name, "read"), "level"))
    assert level <= 0.0


def test_store_down_falls_back_to_local_buckets_with_a_warning(
    harness: Harness, fake: FakeExchange, limited: LoopbackServer, account: ApiKey
) -> None:
    port = free_port()  # nothing listens there yet
    store = make_store(harness, f"redis://127.0.0.1:{port}/0", account_name(), retry_interval=0)
    statuses: list[int] = []
    c = two_clients(harness, limited, account, store, statuses)[0]
    with pytest.warns(errors.RateLimitStoreWarning, match="in-process buckets"):
        assert isinstance(harness.run(balance(harness), c), models.GetBalanceResponse)
    assert store.health.down
    assert store.health.outages == 1
    # Redis comes up on that port: the next call is metered there again.
    with redis_server(port=port), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(harness.run(balance(harness), c), models.GetBalanceResponse)
        assert not store.health.down
        assert store.levels_seen()["read"] == pytest.approx(390.0, abs=1.0)  # Basic: 400
    assert store.health.fallback_calls == 1
    assert statuses == [200, 200]


def test_store_down_fails_closed_when_asked(
    harness: Harness, fake: FakeExchange, limited: LoopbackServer, account: ApiKey
) -> None:
    store = make_store(harness, f"redis://127.0.0.1:{free_port()}/0", "a", on_failure="closed")
    c = two_clients(harness, limited, account, store, [])[0]
    seen = fake.requests_seen

    async def call_async(c: Any) -> Any:
        return await c.get_balance()

    with pytest.raises(errors.RateLimitStoreError, match="failing closed") as info:
        harness.run(call_async if harness.is_async else (lambda c: c.get_balance()), c)
    assert isinstance(info.value, errors.KalshiError)
    assert info.value.store == "RedisBuckets(account='a', namespace='kalshi:ratelimit')".replace(
        "RedisBuckets", "AsyncRedisBuckets" if harness.is_async else "RedisBuckets"
    )
    assert isinstance(info.value.__cause__, redis.ConnectionError)
    assert fake.requests_seen == seen  # nothing was sent


# -- many processes, one account: the fake exchange judges -------------------------------------

PROCESSES = 4
BURST = 20  # reads of 10 tokens per process: 800 tokens against Basic's 400-token read bucket


@pytest.fixture
def fleet_keys(
    fake: FakeExchange, rsa_key: rsa.RSAPrivateKey, rsa_pem: bytes, tmp_path: Path
) -> tuple[list[str], Path]:
    """``PROCESSES`` API keys of one user (one account), and the private key's path."""
    first = fake.add_user(balance=100, public_key=rsa_key.public_key())
    keys = [first.key_id] + [
        fake.add_key(first.user_id, public_key=rsa_key.public_key()).key_id
        for _ in range(PROCESSES - 1)
    ]
    path = tmp_path / "key.pem"
    path.write_bytes(rsa_pem)
    return keys, path


def run_fleet(
    driver: str, srv: LoopbackServer, keys: list[str], key_path: Path, redis_url: str | None
) -> list[dict[str, Any]]:
    """Start one worker per key, release them together, and collect their reports."""
    account = account_name()
    procs = []
    try:
        for key_id in keys:
            config = {
                "driver": driver,
                "key_id": key_id,
                "key_path": str(key_path),
                "base_url": srv.url,
                "burst": BURST,
                "redis_url": redis_url,
                "account": account,
            }
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER), json.dumps(config)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_processes_sharing_redis_meet_no_429(
    driver: str,
    fake: FakeExchange,
    limited: LoopbackServer,
    fleet_keys: tuple[list[str], Path],
    redis_url: str,
) -> None:
    keys, key_path = fleet_keys
    started = time.monotonic()
    reports = run_fleet(driver, limited, keys, key_path, redis_url)
    assert time.monotonic() - started < 60
    limits = fake.rate_limits
    assert limits is not None
    assert {k: limits.rejected_by_key[k] for k in keys} == dict.fromkeys(keys, 0)
    assert {k: limits.admitted_by_key[k] for k in keys} == dict.fromkeys(keys, BURST)
    for report in reports:
        assert report["outcomes"] == ["ok"] * BURST
        assert report["statuses"] == [200] * BURST
        assert report["outages"] == 0
        assert report["fallback_calls"] == 0
    # 800 tokens, 300 spendable at once, then 200 per second: the fleet took >= 2.5 s.
    assert max(r["elapsed"] for r in reports) >= 2.4


def test_processes_with_their_own_buckets_meet_429s(
    driver: str,
    fake: FakeExchange,
    slow_limited: LoopbackServer,
    fleet_keys: tuple[list[str], Path],
) -> None:
    keys, key_path = fleet_keys
    reports = run_fleet(driver, slow_limited, keys, key_path, None)
    limits = fake.rate_limits
    assert limits is not None
    refused = sum(r["outcomes"].count("429") for r in reports)
    # Each process spends 200 tokens at once (its limiter allows 300); the bucket holds 400
    # (refilled slowly here): about 40 of the 80 calls are refused.
    assert refused >= 20
    assert sum(limits.rejected_by_key[k] for k in keys) == refused
    assert sum(limits.admitted_by_key[k] for k in keys) == PROCESSES * BURST - refused


def test_the_script_is_the_one_the_stores_load(rds: Any) -> None:
    sha = rds.script_load(SCRIPT)
    store = kalshi_sync.RedisBuckets(rds, account=account_name())
    store.take(Take("read", 1, 1, 1, 0))
    assert rds.script_exists(sha) == [True]
