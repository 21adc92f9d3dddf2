"""The clients under measurement, each behind the same small interface.

A contender is built for a base URL and a key, and offers ``balance(n)`` and ``orders(n)``
(``n`` sequential calls) and ``fanout(n)`` (``n`` concurrent ``get_balance`` calls on one
client, for async contenders), each returning the number of failed calls. Async contenders run
their event loop in a blocking portal thread, so one process can time them all alike.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.from_thread
import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import kalshi_async
import kalshi_sync

KEY_ID = "bench-key"
#: Our clients pace themselves to the account's rate-limit tier by default (basic: 200 reads/s);
#: the official SDKs do not, and a benchmark of per-call cost must not measure the pacing.
UNPACED: dict[str, Any] = {"rate_limit": None}
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _signed_headers(key: rsa.RSAPrivateKey, method: str, path: str) -> dict[str, str]:
    """The three Kalshi headers, signed now: the same RSA-PSS the SDKs do."""
    ts = str(int(time.time() * 1000))
    signature = key.sign(f"{ts}{method}{path}".encode(), _PSS, hashes.SHA256())
    return {
        "KALSHI-ACCESS-KEY": KEY_ID,
        "KALSHI-ACCESS-TIMESTAMP": ts,
        "KALSHI-ACCESS-SIGNATURE": base64.b64encode(signature).decode(),
    }


class Contender:
    name = ""
    is_async = False

    def balance(self, n: int) -> int:
        raise NotImplementedError

    def orders(self, n: int) -> int:
        raise NotImplementedError

    def fanout(self, n: int) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Portal(Contender):
    """An async contender: its coroutines run on an event loop in a portal thread."""

    is_async = True
    backend = "asyncio"

    def __init__(self) -> None:
        self._cm = anyio.from_thread.start_blocking_portal(backend=self.backend)
        self.portal = self._cm.__enter__()

    def call(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        async def run() -> Any:
            return await fn()

        return self.portal.call(run)

    def _sequential(self, make: Callable[[], Awaitable[Any]], n: int) -> int:
        async def loop() -> int:
            failed = 0
            for _ in range(n):
                try:
                    await make()
                except Exception:  # noqa: BLE001 - counted
                    failed += 1
            return failed

        return int(self.call(loop))

    def _concurrent(self, make: Callable[[], Awaitable[Any]], n: int) -> int:
        async def burst() -> int:
            failed = 0

            async def one() -> None:
                nonlocal failed
                try:
                    await make()
                except Exception:  # noqa: BLE001 - counted
                    failed += 1

            async with anyio.create_task_group() as tg:
                for _ in range(n):
                    tg.start_soon(one)
            return failed

        return int(self.call(burst))

    def close(self) -> None:
        self.call(self.aclose)
        self._cm.__exit__(None, None, None)

    async def aclose(self) -> None:
        pass


class OursSync(Contender):
    name = "ours sync (kalshi_sync)"

    def __init__(self, url: str, pem: bytes) -> None:
        self.client = kalshi_sync.Client(key_id=KEY_ID, private_key=pem, base_url=url, **UNPACED)

    def balance(self, n: int) -> int:
        for _ in range(n):
            self.client.get_balance()
        return 0

    def orders(self, n: int) -> int:
        for _ in range(n):
            self.client.get_orders(limit=1)
        return 0

    def close(self) -> None:
        self.client.close()


class OursSyncStockHttpx(OursSync):
    """Our sync client on httpx's own transport (httpcore's pool), for comparison."""

    name = "ours sync on stock httpx transport"

    def __init__(self, url: str, pem: bytes) -> None:
        from kalshi_sync._client import DEFAULT_LIMITS

        self.client = kalshi_sync.Client(
            key_id=KEY_ID,
            private_key=pem,
            base_url=url,
            transport=httpx.HTTPTransport(limits=DEFAULT_LIMITS),
            **UNPACED,
        )


class OursAsync(_Portal):
    def __init__(self, url: str, pem: bytes, backend: str, **kwargs: Any) -> None:
        self.backend = backend
        self.name = f"ours async ({backend})"
        super().__init__()
        self.client = kalshi_async.AsyncClient(
            key_id=KEY_ID, private_key=pem, base_url=url, **UNPACED, **kwargs
        )

    def balance(self, n: int) -> int:
        return self._sequential(self.client.get_balance, n)

    def orders(self, n: int) -> int:
        return self._sequential(lambda: self.client.get_orders(limit=1), n)

    def fanout(self, n: int) -> int:
        return self._concurrent(self.client.get_balance, n)

    async def aclose(self) -> None:
        await self.client.aclose()


class OursAsyncStockHttpx(OursAsync):
    """Our async client on httpx's own transport (httpcore's pool), for comparison."""

    def __init__(self, url: str, pem: bytes, backend: str) -> None:
        from kalshi_async._client import DEFAULT_LIMITS

        super().__init__(
            url, pem, backend, transport=httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)
        )
        self.name = f"ours async ({backend}) on stock httpx transport"


def _official_config(module: Any, url: str, pem: bytes) -> Any:
    config = module.Configuration(host=url)
    config.api_key_id = KEY_ID
    config.private_key_pem = pem.decode()
    return config


class TheirsSync(Contender):
    name = "official kalshi-python-sync 3.2.0"

    def __init__(self, url: str, pem: bytes) -> None:
        import kalshi_python_sync as official

        self.client = official.KalshiClient(_official_config(official, url, pem))

    def balance(self, n: int) -> int:
        for _ in range(n):
            self.client.get_balance()
        return 0

    def orders(self, n: int) -> int:
        for _ in range(n):
            self.client.get_orders(limit=1)
        return 0


class TheirsAsync(_Portal):
    name = "official kalshi-python-async 3.2.0 (aiohttp)"

    def __init__(self, url: str, pem: bytes) -> None:
        super().__init__()
        import kalshi_python_async as official

        async def make() -> Any:
            return official.KalshiClient(_official_config(official, url, pem))

        self.client = self.call(make)

    def balance(self, n: int) -> int:
        return self._sequential(self.client.get_balance, n)

    def orders(self, n: int) -> int:
        return self._sequential(lambda: self.client.get_orders(limit=1), n)

    def fanout(self, n: int) -> int:
        return self._concurrent(self.client.get_balance, n)

    async def aclose(self) -> None:
        await self.client.close()


class BareHttpx(Contender):
    """``httpx.Client`` with the same signature and ``json.loads``: the floor a client adds to."""

    name = "bare httpx.Client + signing"

    def __init__(self, url: str, key: rsa.RSAPrivateKey) -> None:
        self.client = httpx.Client()
        self.url = url
        self.path = httpx.URL(url).path
        self.key = key

    def _get(self, suffix: str, params: dict[str, Any] | None = None) -> Any:
        headers = _signed_headers(self.key, "GET", self.path + suffix)
        answer = self.client.get(self.url + suffix, headers=headers, params=params)
        answer.raise_for_status()
        return json.loads(answer.content)

    def balance(self, n: int) -> int:
        for _ in range(n):
            self._get("/portfolio/balance")
        return 0

    def orders(self, n: int) -> int:
        for _ in range(n):
            self._get("/portfolio/orders", {"limit": 1})
        return 0

    def close(self) -> None:
        self.client.close()


class BareHttpxAsync(_Portal):
    """``httpx.AsyncClient`` (stock transport) with the same signature and ``json.loads``."""

    def __init__(self, url: str, key: rsa.RSAPrivateKey, backend: str) -> None:
        self.backend = backend
        self.name = f"bare httpx.AsyncClient + signing ({backend})"
        super().__init__()
        self.client = httpx.AsyncClient()
        self.url = url
        self.path = httpx.URL(url).path
        self.key = key

    async def _get(self, suffix: str, params: dict[str, Any] | None = None) -> Any:
        headers = _signed_headers(self.key, "GET", self.path + suffix)
        answer = await self.client.get(self.url + suffix, headers=headers, params=params)
        answer.raise_for_status()
        return json.loads(answer.content)

    def balance(self, n: int) -> int:
        return self._sequential(lambda: self._get("/portfolio/balance"), n)

    def orders(self, n: int) -> int:
        return self._sequential(lambda: self._get("/portfolio/orders", {"limit": 1}), n)

    async def aclose(self) -> None:
        await self.client.aclose()
