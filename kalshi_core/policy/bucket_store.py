"""Where the rate limiter's buckets live: the seam between the limiter (pure) and a store (I/O).

The limiter (``kalshi_core.policy.ratelimit``) decides *what* a call costs and from which
bucket; a **bucket store** decides *where* the bucket's level is kept. The two talk in values:

1. the driver asks the limiter for a ``Take`` (``RateLimiter.plan(call)``): "take 10 tokens from
   bucket ``read``, refilled 200 per second up to 400, 100 kept spare";
2. the driver hands the ``Take`` to its store (``store.take(take)``, awaited on the async
   client), which reserves the tokens wherever it keeps them and answers the seconds to wait
   before sending (``0.0``: now), with exactly the arithmetic of ``Bucket.reserve``;
3. when the exchange answers 429 anyway, the driver tells the store (``store.drain(take)``), so
   every process sharing the bucket slows down.

No store (the default) means the limiter's own ``Bucket`` objects: one process's budget.
A store shared by many processes (``kalshi_sync.RedisBuckets``,
``kalshi_async.AsyncRedisBuckets``: one Redis key per bucket, taken atomically by a server-side
script on the server's clock) makes them share one account's budget. The protocols below are
what a driver needs; the pieces every store reuses are pure and live here too: ``LocalBuckets``
(in-process buckets keyed by name, built from the ``Take`` values themselves, used as the
fallback) and ``StoreHealth`` (the connection-failure policy as a state machine).

**Connection-failure policy** (``on_failure``):

- ``"local"`` (default): a call the store cannot serve is metered by in-process buckets
  (``LocalBuckets``, at ``fallback_share`` of the budget: with N processes, ``1/N`` keeps the
  fleet under the account's budget while the store is down); the store is asked again once
  ``retry_interval`` seconds have passed. The first failure of an outage is reported once, as
  a ``RateLimitStoreWarning`` (route it to logging with ``logging.captureWarnings(True)``, or
  make it an error with a warnings filter); the ``kalshi.ratelimit`` logger records the start
  and the end of each outage at INFO. Trading goes on: a cancel is never blocked by a dead
  cache.
- ``"closed"``: a call the store cannot serve is not sent; it raises ``RateLimitStoreError``
  (a ``KalshiError``) and the store is asked again on the next call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from kalshi_core.errors import ConfigurationError, RateLimitStoreError
from kalshi_core.policy.ratelimit import Bucket, Take

__all__ = [
    "ON_FAILURE",
    "AsyncBucketStore",
    "BucketStore",
    "LocalBuckets",
    "OnFailure",
    "StoreHealth",
]

OnFailure = Literal["local", "closed"]
#: The accepted ``on_failure`` values.
ON_FAILURE: tuple[OnFailure, ...] = ("local", "closed")


class BucketStore(Protocol):
    """A bucket store for the sync client (``Client(rate_limit_store=...)``)."""

    def take(self, take: Take) -> float:
        """Reserve ``take.cost`` tokens; the seconds to wait before sending."""
        ...

    def drain(self, take: Take) -> None:
        """The exchange answered 429 for a call of ``take``'s bucket: empty that bucket."""
        ...

    def levels_seen(self) -> Mapping[str, float]:
        """The level of each bucket as the store last reported it (no I/O)."""
        ...


class AsyncBucketStore(Protocol):
    """A bucket store for the async client (``AsyncClient(rate_limit_store=...)``)."""

    async def take(self, take: Take) -> float:
        """Reserve ``take.cost`` tokens; the seconds to wait before sending."""
        ...

    async def drain(self, take: Take) -> None:
        """The exchange answered 429 for a call of ``take``'s bucket: empty that bucket."""
        ...

    def levels_seen(self) -> Mapping[str, float]:
        """The level of each bucket as the store last reported it (no I/O)."""
        ...


class LocalBuckets:
    """In-process buckets keyed by ``Take.bucket``, built (and re-sized) from the ``Take``
    values they are handed, at ``share`` of each bucket's rate, capacity and spare.

    Not thread-safe by itself (a store serialises calls with a lock). ``now`` is any monotonic
    clock in seconds.
    """

    __slots__ = ("_buckets", "share")

    def __init__(self, share: float = 1.0) -> None:
        if not 0.0 < share <= 1.0:
            raise ConfigurationError("fallback_share must be in (0, 1]")
        self.share = float(share)
        self._buckets: dict[str, Bucket] = {}

    def _bucket(self, take: Take) -> Bucket:
        share = self.share
        rate, capacity = take.rate * share, take.capacity * share
        bucket = self._buckets.get(take.bucket)
        if bucket is None:
            bucket = Bucket(rate, capacity, take.spare * share, name=take.bucket)
            self._buckets[take.bucket] = bucket
        elif bucket.rate != rate or bucket.capacity != capacity:
            bucket.rate, bucket.capacity, bucket.spare = rate, capacity, take.spare * share
            bucket.level = min(bucket.level, capacity)
        return bucket

    def take(self, take: Take, now: float) -> float:
        """Reserve ``take``'s tokens at ``now``; the seconds to wait (``Bucket.reserve``)."""
        return self._bucket(take).reserve(take.cost, now)

    def drain(self, take: Take, now: float) -> None:
        self._bucket(take).drain(now)

    def levels(self, now: float) -> dict[str, float]:
        return {name: bucket.current(now) for name, bucket in self._buckets.items()}


class StoreHealth:
    """The connection-failure policy of a store, as a state machine (see the module docstring).

    Around each store call a store asks ``use_store(now)`` (``False``: go straight to the
    fallback), then reports ``failed(now)`` or ``succeeded()``. ``failed`` returns ``True`` for
    the first failure of an outage (report it once); ``succeeded`` returns ``True`` when it ends
    an outage. ``outages`` counts outages; ``fallback_calls`` counts calls metered locally.
    """

    __slots__ = ("_retry_at", "down", "fallback_calls", "on_failure", "outages", "retry_interval")

    def __init__(self, on_failure: str = "local", retry_interval: float = 5.0) -> None:
        if on_failure not in ON_FAILURE:
            raise ConfigurationError(
                f"on_failure must be one of {', '.join(map(repr, ON_FAILURE))}"
            )
        if retry_interval < 0:
            raise ConfigurationError("retry_interval must not be negative")
        self.on_failure: OnFailure = "local" if on_failure == "local" else "closed"
        self.retry_interval = float(retry_interval)
        self.down = False
        self.outages = 0
        self.fallback_calls = 0
        self._retry_at = 0.0

    @property
    def fails_closed(self) -> bool:
        return self.on_failure == "closed"

    def use_store(self, now: float) -> bool:
        """Whether to ask the store now (always, failing closed; after the retry interval,
        while an outage is being bridged locally)."""
        return not self.down or self.fails_closed or now >= self._retry_at

    def failed(self, now: float) -> bool:
        """The store could not serve a call at ``now``; ``True`` if an outage starts here."""
        self._retry_at = now + self.retry_interval
        if self.down:
            return False
        self.down = True
        self.outages += 1
        return True

    def succeeded(self) -> bool:
        """The store served a call; ``True`` if that ends an outage."""
        if not self.down:
            return False
        self.down = False
        return True

    def closed_error(self, store: str, exc: BaseException) -> RateLimitStoreError:
        """The error a fail-closed store raises instead of sending (``store`` is its repr)."""
        return RateLimitStoreError(
            f"rate-limit store {store} failed ({type(exc).__name__}: {exc}); failing "
            "closed, the request was not sent",
            store=store,
        )

    def fallback_notice(self, store: str, exc: BaseException, share: float) -> str:
        """What is logged and warned once per outage when calls fall back to local buckets."""
        return (
            f"rate-limit store {store} failed ({type(exc).__name__}: {exc}); metering with "
            f"in-process buckets at {share:g} of the budget, retrying the store "
            f"every {self.retry_interval:g} s"
        )

