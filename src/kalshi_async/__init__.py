"""Kalshi Trade API v2, async: ``AsyncClient`` over httpx, under asyncio or trio."""

from kalshi_async._client import DEFAULT_TIMEOUT, AsyncClient
from kalshi_async._transport import H11Transport

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient", "H11Transport"]
