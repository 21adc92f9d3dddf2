"""The async driver's few library calls: sleeping and locking through anyio (asyncio or trio),
and its default HTTP transport."""

from __future__ import annotations

import anyio
import httpx

from kalshi_async._transport import H11Transport

__all__ = ["Lock", "default_transport", "sleep"]

Lock = anyio.Lock


async def sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


def default_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    """The lean h11 pool (``H11Transport``): httpcore's pool stalls on bursts of requests."""
    return H11Transport(limits=limits)
