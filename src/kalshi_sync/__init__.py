"""Kalshi Trade API v2, sync: ``Client`` over httpx."""

from kalshi_core.ratelimit import RateLimiter
from kalshi_core.retry import Attempt, RetryPolicy
from kalshi_sync._client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, Client

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "Client",
    "RateLimiter",
    "RetryPolicy",
]
