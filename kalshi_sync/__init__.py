"""Kalshi Trade API v2, sync: ``Client`` over httpx."""

from kalshi_core.policy.ratelimit import RateLimiter
from kalshi_core.policy.retry import Attempt, RetryPolicy
from kalshi_sync._client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, Client
from kalshi_sync._redis_buckets import RedisBuckets
from kalshi_sync._transport import H11Transport

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "Client",
    "H11Transport",
    "RateLimiter",
    "RedisBuckets",
    "RetryPolicy",
]
