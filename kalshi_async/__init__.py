"""Kalshi Trade API v2, async: ``AsyncClient`` over httpx, under asyncio or trio."""

from kalshi_async._client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, AsyncClient
from kalshi_async._redis_buckets import AsyncRedisBuckets
from kalshi_async._transport import H11Transport
from kalshi_core.policy.ratelimit import RateLimiter
from kalshi_core.policy.retry import Attempt, RetryPolicy

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "AsyncClient",
    "AsyncRedisBuckets",
    "H11Transport",
    "RateLimiter",
    "RetryPolicy",
]
