"""Kalshi Trade API v2, async: ``AsyncClient`` over httpx, under asyncio or trio."""

from typing import TYPE_CHECKING, Any

from kalshi_async._client import DEFAULT_LIMITS, DEFAULT_TIMEOUT, AsyncClient
from kalshi_core import errors
from kalshi_core.errors import (
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConfigurationTypeError,
    ConflictError,
    ConnectError,
    ConnectionClosedError,
    CredentialsError,
    DecodeError,
    DeprecatedEndpointError,
    FillOrKillError,
    InternalServerError,
    InvalidSignatureError,
    KalshiError,
    MarketClosedError,
    NotFoundError,
    OrderAlreadyExistsError,
    PaginationError,
    PartialBatchError,
    PermissionDeniedError,
    RateLimitError,
    RateLimitStoreError,
    RateLimitStoreWarning,
    ResponseTooLargeError,
    ServiceUnavailableError,
    TimestampExpiredError,
    TLSError,
    TradingPausedError,
    TransportError,
    UnknownApiKeyError,
    ValidationError,
)
from kalshi_core.policy.ratelimit import RateLimiter
from kalshi_core.policy.retry import Attempt, RetryPolicy

__all__ = [
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "ConflictError",
    "ConnectError",
    "ConnectionClosedError",
    "CredentialsError",
    "DecodeError",
    "DeprecatedEndpointError",
    "FillOrKillError",
    "InternalServerError",
    "InvalidSignatureError",
    "KalshiError",
    "MarketClosedError",
    "NotFoundError",
    "OrderAlreadyExistsError",
    "PaginationError",
    "PartialBatchError",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimitStoreError",
    "RateLimitStoreWarning",
    "ResponseTooLargeError",
    "ServiceUnavailableError",
    "TLSError",
    "TimestampExpiredError",
    "TradingPausedError",
    "TransportError",
    "UnknownApiKeyError",
    "ValidationError",
    "errors",
    "DEFAULT_LIMITS",
    "DEFAULT_TIMEOUT",
    "Attempt",
    "AsyncClient",
    "AsyncRedisBuckets",
    "H11Transport",
    "RateLimiter",
    "RetryPolicy",
]

if TYPE_CHECKING:
    from kalshi_async._redis_buckets import AsyncRedisBuckets
    from kalshi_async._transport import H11Transport


def __getattr__(name: str) -> Any:
    # The h11 pool loads with the first client (or here, when asked for by name).
    if name == "H11Transport":
        from kalshi_async._transport import H11Transport

        return H11Transport
    if name == "AsyncRedisBuckets":
        from kalshi_async._redis_buckets import AsyncRedisBuckets

        return AsyncRedisBuckets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
