"""One suite for every driver.

Each test that talks to a client takes the ``harness`` fixture, which is parametrised over the
drivers ``sync``, ``asyncio`` and ``trio`` (``--driver`` picks one; nox runs each in its own
session). A test writes its calls once, as ``harness.run(lambda c: c.get_balance())``: the
harness calls it directly on a ``kalshi_sync.Client``, or awaits it on a
``kalshi_async.AsyncClient`` inside an event loop of the chosen backend. ``harness.collect``
does the same for iterators (``c.get_orders.items()``), sync or async.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import anyio
import anyio.from_thread
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import kalshi_async
import kalshi_sync
from kalshi_core import Credentials
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer, mock_transport

DRIVERS = ("sync", "asyncio", "trio")
MARKET = "HIGHNY-24JAN01-T60"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--driver",
        action="store",
        default="all",
        choices=(*DRIVERS, "all"),
        help="run the client tests against one driver (default: all three)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "driver" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("driver")
        drivers = DRIVERS if chosen == "all" else (chosen,)
        metafunc.parametrize("driver", drivers)


@functools.lru_cache(maxsize=64)
def _credentials(key_id: str, pem: bytes) -> Credentials:
    return Credentials(key_id, pem)


class Harness:
    """Runs client calls on one driver; see the module docstring."""

    def __init__(self, driver: str, portal: Any) -> None:
        self.driver = driver
        self._portal = portal
        self._clients: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.driver != "sync"

    def client(self, **kwargs: Any) -> Any:
        """A client of this harness's driver; closed at the end of the test."""
        pem = kwargs.get("private_key")
        if isinstance(pem, bytes) and kwargs.get("key_id") and "private_key_password" not in kwargs:
            # Loading (validating) an RSA key takes ~0.3 s: load each PEM once per session.
            kwargs["credentials"] = _credentials(kwargs.pop("key_id"), kwargs.pop("private_key"))
        if self.is_async:
            transport = kwargs.pop("transport", None)
            if transport is not None:
                kwargs["transport"] = transport
            client = kalshi_async.AsyncClient(**kwargs)
        else:
            client = kalshi_sync.Client(**kwargs)
        self._clients.append(client)
        return client

    def run(self, fn: Callable[[Any], Any], client: Any) -> Any:
        """``fn(client)``, awaited when the driver is async."""
        if not self.is_async:
            return fn(client)

        async def call() -> Any:
            return await fn(client)

        return self._portal.call(call)

    def collect(self, fn: Callable[[Any], Any], client: Any) -> list[Any]:
        """Every item of the iterator ``fn(client)`` returns (sync or async)."""
        if not self.is_async:
            return list(fn(client))

        async def gather() -> list[Any]:
            return [item async for item in fn(client)]

        return list(self._portal.call(gather))

    def concurrently(self, fn: Callable[[Any], Any], client: Any, n: int) -> list[Any]:
        """``fn(client)`` run ``n`` times at once: tasks in one task group (async drivers) or
        ``n`` threads (sync); the results in order. Any failure propagates."""
        if not self.is_async:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=n) as pool:
                return list(pool.map(lambda _: fn(client), range(n)))

        async def all_at_once() -> list[Any]:
            results: list[Any] = [None] * n

            async def one(i: int) -> None:
                results[i] = await fn(client)

            async with anyio.create_task_group() as tg:
                for i in range(n):
                    tg.start_soon(one, i)
            return results

        return list(self._portal.call(all_at_once))

    def close(self) -> None:
        for client in self._clients:
            if self.is_async:
                self._portal.call(client.aclose)
            else:
                client.close()


@pytest.fixture
def harness(driver: str) -> Iterator[Harness]:
    if driver == "sync":
        h = Harness(driver, None)
        yield h
        h.close()
        return
    with anyio.from_thread.start_blocking_portal(backend=driver) as portal:
        h = Harness(driver, portal)
        try:
            yield h
        finally:
            h.close()


@pytest.fixture
def fake() -> FakeExchange:
    exchange = FakeExchange()
    exchange.add_market(MARKET)
    exchange.add_market("HIGHNY-24JAN01-T65")
    exchange.add_market("KXBTC-25DEC31-B100000", tick="0.001")
    return exchange


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 private key for the whole session: generating (and even loading, which
    validates the key) takes a noticeable fraction of a second each time."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_pem(rsa_key: rsa.RSAPrivateKey) -> bytes:
    """The session key as PKCS#8 PEM."""
    return rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="session")
def rsa_pems(rsa_key: rsa.RSAPrivateKey, rsa_pem: bytes) -> tuple[bytes, Any]:
    """The session's key as (private PEM, public key)."""
    return rsa_pem, rsa_key.public_key()


@pytest.fixture
def account(fake: FakeExchange, rsa_key: rsa.RSAPrivateKey, rsa_pem: bytes) -> ApiKey:
    """A user with $1,000 and an RSA key (the session's key, under a fresh key id)."""
    key = fake.add_user(balance=Decimal("1000"), public_key=rsa_key.public_key())
    return ApiKey(key_id=key.key_id, user_id=key.user_id, private_key_pem=rsa_pem)


@pytest.fixture
def server(fake: FakeExchange) -> Iterator[LoopbackServer]:
    with LoopbackServer(fake) as srv:
        yield srv


@pytest.fixture(params=["mock", "socket"])
def wire(request: pytest.FixtureRequest) -> str:
    """How a client reaches the fake: in-process MockTransport, or a real loopback socket."""
    return str(request.param)


@pytest.fixture
def client(
    harness: Harness,
    fake: FakeExchange,
    account: ApiKey,
    wire: str,
    rsa_key: rsa.RSAPrivateKey,
    rsa_pem: bytes,
) -> Iterator[Any]:
    """An authenticated client of the harness's driver, over ``wire``."""
    # The session key goes in already loaded (a PEM would be parsed and validated per client).
    private_key: Any = rsa_key if account.private_key_pem == rsa_pem else account.private_key_pem
    with contextlib.ExitStack() as stack:
        if wire == "socket":
            srv = stack.enter_context(LoopbackServer(fake))
            yield harness.client(
                key_id=account.key_id,
                private_key=private_key,
                base_url=srv.url,
                rate_limit="prime",
            )
        else:
            yield harness.client(
                key_id=account.key_id,
                private_key=private_key,
                base_url="http://fake.test/trade-api/v2",
                transport=mock_transport(fake),
                rate_limit="prime",
            )


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server for the session (see ``tests/redis_server.py``): skipped with the
    reason when none is installed, except in CI, where that fails."""
    from .redis_server import redis_server

    with redis_server() as url:
        yield url
