"""The async driver's few library calls: sleeping and locking through anyio (asyncio or trio)."""

from __future__ import annotations

import anyio

__all__ = ["Lock", "sleep"]

Lock = anyio.Lock


async def sleep(seconds: float) -> None:
    await anyio.sleep(seconds)
