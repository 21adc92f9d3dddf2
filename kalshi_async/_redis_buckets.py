"""``AsyncRedisBuckets``: one account's rate budget shared through Redis, for the async client.

Needs the ``redis`` package (``pip install "kalshi-trade-sdk[redis]"``). Under **asyncio** the
store speaks ``redis.asyncio``; under **trio**, which redis-py does not support, it runs a sync
``redis.Redis`` client in a worker thread (``anyio.to_thread.run_sync``: one Redis round trip
per call, on one of anyio's worker threads). The script, the keys and the failure policy are
the core's (``kalshi_core.policy.redis_buckets``, ``kalshi_core.policy.bucket_store``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from kalshi_core.errors import (
    ConfigurationTypeError,
    RateLimitStoreWarning,
)
from kalshi_core.policy.bucket_store import LocalBuckets, StoreHealth
from kalshi_core.policy.ratelimit import Take
from kalshi_core.policy.redis_buckets import (
    DEFAULT_NAMESPACE,
    SCRIPT,
    LevelsSeen,
    Mode,
    ScriptReplyError,
    bucket_key,
    check_account,
    check_number,
    parse_reply,
    script_args,
)

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["AsyncRedisBuckets"]

logger = logging.getLogger("kalshi.ratelimit")

#: Seconds a connection attempt or a reply from a Redis the store connects itself may take.
DEFAULT_REDIS_TIMEOUT = 0.5


def import_redis() -> Any:
    """The ``redis`` package, or ``ImportError`` saying which extra brings it."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the Redis rate-limit store needs the redis package: "
            'pip install "kalshi-trade-sdk[redis]"'
        ) from exc
    return redis


def store_failure_types() -> tuple[type[BaseException], ...]:
    """The errors that count as "the store failed" (connection, timeout, server, a reply the
    script should never give)."""
    redis = import_redis()
    return (redis.RedisError, OSError, ScriptReplyError)


def _under_trio() -> bool:
    trio = sys.modules.get("trio")
    if trio is None:
        return False
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


class AsyncRedisBuckets:
    """The async client's bucket store in Redis:
    ``AsyncClient(rate_limit_store=AsyncRedisBuckets(...))``.

    ``redis`` is one of:

    - a ``redis.asyncio.Redis`` (or ``redis.asyncio.cluster.RedisCluster``) client, asyncio
      only, awaited directly;
    - a sync ``redis.Redis`` (or ``redis.cluster.RedisCluster``) client, called in a worker
      thread (asyncio or trio);
    - a URL (``"redis://host:6379/0"``): under asyncio the store makes a ``redis.asyncio``
      client, under trio a sync one used from worker threads, each with ``timeout``-second
      connect and reply timeouts, made on first use and closed by ``aclose()``.

    Clients you pass are yours (not closed here). ``account``, ``namespace``, ``on_failure``,
    ``retry_interval`` and ``fallback_share`` are as for ``kalshi_sync.RedisBuckets``.
    """

    def __init__(
        self,
        redis: redis.asyncio.Redis | redis.Redis | str,
        *,
        account: str,
        namespace: str = DEFAULT_NAMESPACE,
        on_failure: str = "local",
        retry_interval: float = 5.0,
        fallback_share: float = 1.0,
        timeout: float = DEFAULT_REDIS_TIMEOUT,
    ) -> None:
        import_redis()
        check_number("timeout", timeout)
        self.account = check_account(account)
        self.namespace = namespace
        self.health = StoreHealth(on_failure, retry_interval)
        self._local = LocalBuckets(fallback_share)
        self._lock = threading.Lock()
        self._seen = LevelsSeen()
        self._timeout = timeout
        self._url: str | None = None
        self._async_script: Any = None
        self._sync_script: Any = None
        self._owned: list[Any] = []
        if isinstance(redis, str):
            self._url = redis
        elif not hasattr(redis, "register_script"):
            raise ConfigurationTypeError(
                "redis must be a redis-py client (redis.asyncio.Redis, redis.Redis, or their "
                "cluster clients) or a URL"
            )
        elif inspect.iscoroutinefunction(getattr(redis, "execute_command", None)):
            self._async_script = redis.register_script(SCRIPT)
        else:
            self._sync_script = redis.register_script(SCRIPT)
        self._failures = store_failure_types()

    def _connect(self, trio: bool) -> None:
        """Make the client for the running event loop from the URL (first use), with
        ``timeout`` to connect and to answer and one immediate retry (see
        ``kalshi_sync.RedisBuckets``)."""
        assert self._url is not None
        options: dict[str, Any] = {
            "socket_timeout": self._timeout,
            "socket_connect_timeout": self._timeout,
        }
        if trio:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            options["retry"] = Retry(NoBackoff(), 1)
            client: Any = import_redis().Redis.from_url(self._url, **options)
            self._sync_script = client.register_script(SCRIPT)
        else:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry as AsyncRetry
            from redis.backoff import NoBackoff

            options["retry"] = AsyncRetry(NoBackoff(), 1)
            client = aioredis.Redis.from_url(self._url, **options)
            self._async_script = client.register_script(SCRIPT)
        self._owned.append(client)

    async def _ask(self, take: Take, mode: Mode) -> tuple[float, float, float]:
        keys = [bucket_key(self.namespace, self.account, take.bucket)]
        args = script_args(take, mode)
        trio = _under_trio()
        if self._url is not None and (self._sync_script if trio else self._async_script) is None:
            self._connect(trio)
        if self._async_script is not None and not trio:
            reply = await self._async_script(keys=keys, args=args)
        elif self._sync_script is not None:
            call = functools.partial(self._sync_script, keys=keys, args=args)
            reply = await anyio.to_thread.run_sync(call)
        else:
            raise ConfigurationTypeError(
                "a redis.asyncio client cannot serve trio: give AsyncRedisBuckets a sync "
                "redis.Redis client or a URL"
            )
        return parse_reply(reply)

    async def take(self, take: Take) -> float:
        """Reserve ``take``'s tokens in Redis; the seconds to wait before sending."""
        health = self.health
        if health.use_store(time.monotonic()):
            try:
                level, wait, at = await self._ask(take, "take")
            except self._failures as exc:
                return self._failed(take, exc)
            if health.down and health.succeeded():
                logger.info("rate-limit store %r answers again", self)
            self._seen.saw(take.bucket, level, at)
            return wait
        return self._fallback(take)

    async def drain(self, take: Take) -> None:
        """Empty ``take``'s bucket for every process (the exchange answered 429)."""
        if self.health.use_store(time.monotonic()):
            try:
                level, _, at = await self._ask(take, "drain")
            except self._failures:
                pass
            else:
                self._seen.saw(take.bucket, level, at)
                return
        with self._lock:
            self._local.drain(take, time.monotonic())

    async def level(self, take: Take) -> float:
        """The bucket's level in Redis now (one round trip; raises the store's error)."""
        return (await self._ask(take, "peek"))[0]

    def levels_seen(self) -> Mapping[str, float]:
        return dict(self._seen.levels)

    def _failed(self, take: Take, exc: BaseException) -> float:
        health = self.health
        with self._lock:
            starts = health.failed(time.monotonic())
        if health.fails_closed:
            raise health.closed_error(repr(self), exc) from exc
        if starts:
            message = health.fallback_notice(repr(self), exc, self._local.share)
            logger.info(message)
            warnings.warn(message, RateLimitStoreWarning, stacklevel=4)
        return self._fallback(take)

    def _fallback(self, take: Take) -> float:
        with self._lock:
            self.health.fallback_calls += 1
            return self._local.take(take, time.monotonic())

    async def aclose(self) -> None:
        """Close the Redis clients this store made (from a URL)."""
        owned, self._owned = self._owned, []
        for client in owned:
            closing = getattr(client, "aclose", None)
            if closing is not None:
                await closing()
            else:
                client.close()
        if self._url is not None:
            self._async_script = self._sync_script = None

    async def __aenter__(self) -> AsyncRedisBuckets:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisBuckets(account={self.account!r}, namespace={self.namespace!r})"
