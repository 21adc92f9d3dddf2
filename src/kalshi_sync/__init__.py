"""Kalshi Trade API v2, sync: ``Client`` over httpx."""

from kalshi_sync._client import DEFAULT_TIMEOUT, Client
from kalshi_sync._transport import H11Transport

__all__ = ["DEFAULT_TIMEOUT", "Client", "H11Transport"]
