"""``RedisBuckets``: one account's rate budget shared through Redis, for the sync client.

Needs the ``redis`` package (``pip install "kalshi-trade-sdk[redis]"``). The script, the keys
and the failure policy are the core's (``kalshi_core.policy.redis_buckets``,
``kalshi_core.policy.bucket_store``); this module only sends them.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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

__all__ = ["RedisBuckets", "import_redis", "redis_options", "store_failure_types"]

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


def redis_options(timeout: float) -> dict[str, Any]:
    """Options of the clients a store makes from a URL: ``timeout`` to connect and to answer,
    and one immediate retry (a pooled connection that went stale across a Redis restart), so a
    dead Redis costs one call at most about two timeouts, not redis-py's ten retries."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 1),
    }


def _is_async_client(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "execute_command", None))


class RedisBuckets:
    """The sync client's bucket store in Redis: ``Client(rate_limit_store=RedisBuckets(...))``.

    ``redis`` is a sync redis-py client, ``redis.Redis`` or ``redis.cluster.RedisCluster``
    (yours: TLS, auth, Sentinel and pools as you set them up; not closed by this store), or a
    URL (``"redis://host:6379/0"``; the store makes a client with ``timeout``-second connect
    and reply timeouts and closes it in ``close()``).
    ``account`` names the Kalshi account whose budget is shared: every process of the account,
    whatever its API key, must use the same name (and a different one for demo).
    ``namespace`` prefixes the keys. ``on_failure``, ``retry_interval`` and ``fallback_share``
    are the connection-failure policy of ``kalshi_core.policy.bucket_store``.

    Thread-safe. Each call costs one Redis round trip (``EVALSHA`` of the script).
    """

    def __init__(
        self,
        redis: redis.Redis | str,
        *,
        account: str,
        namespace: str = DEFAULT_NAMESPACE,
        on_failure: str = "local",
        retry_interval: float = 5.0,
        fallback_share: float = 1.0,
        timeout: float = DEFAULT_REDIS_TIMEOUT,
    ) -> None:
        module = import_redis()
        check_number("timeout", timeout)
        self.account = check_account(account)
        self.namespace = namespace
        self.health = StoreHealth(on_failure, retry_interval)
        self._local = LocalBuckets(fallback_share)
        self._lock = threading.Lock()
        self._seen = LevelsSeen()
        self._owns = isinstance(redis, str)
        client: Any = redis
        if isinstance(redis, str):
            client = module.Redis.from_url(redis, **redis_options(timeout))
        elif not hasattr(redis, "register_script") or _is_async_client(redis):
            raise ConfigurationTypeError(
                "redis must be a sync redis client (redis.Redis, redis.cluster.RedisCluster) "
                "or a URL; for AsyncClient use kalshi_async.AsyncRedisBuckets"
            )
        self.redis: Any = client
        self._script = client.register_script(SCRIPT)
        self._failures = store_failure_types()

    def _key(self, bucket: str) -> str:
        return bucket_key(self.namespace, self.account, bucket)

    def _ask(self, take: Take, mode: Mode) -> tuple[float, float, float]:
        reply = self._script(keys=[self._key(take.bucket)], args=script_args(take, mode))
        return parse_reply(reply)

    def take(self, take: Take) -> float:
        """Reserve ``take``'s tokens in Redis; the seconds to wait before sending."""
        health = self.health
        if health.use_store(time.monotonic()):
            try:
                level, wait, at = self._ask(take, "take")
            except self._failures as exc:
                return self._failed(take, exc)
            if health.down and health.succeeded():
                logger.info("rate-limit store %r answers again", self)
            self._seen.saw(take.bucket, level, at)
            return wait
        return self._fallback(take)

    def drain(self, take: Take) -> None:
        """Empty ``take``'s bucket for every process (the exchange answered 429)."""
        if self.health.use_store(time.monotonic()):
            try:
                level, _, at = self._ask(take, "drain")
            except self._failures:
                pass
            else:
                self._seen.saw(take.bucket, level, at)
                return
        with self._lock:
            self._local.drain(take, time.monotonic())

    def level(self, take: Take) -> float:
        """The bucket's level in Redis now (one round trip; raises the store's error)."""
        return self._ask(take, "peek")[0]

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

    def close(self) -> None:
        """Close the Redis client if this store made it (from a URL)."""
        if self._owns:
            self.redis.close()

    def __enter__(self) -> RedisBuckets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisBuckets(account={self.account!r}, namespace={self.namespace!r})"
