"""Kalshi Trade API v2, sync: ``Client`` over httpx."""

from kalshi_sync._client import DEFAULT_TIMEOUT, Client

__all__ = ["DEFAULT_TIMEOUT", "Client"]
