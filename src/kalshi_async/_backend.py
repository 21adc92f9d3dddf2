"""The async driver's few library calls: sleeping and locking through anyio (asyncio or trio)."""

from __future__ import annotations

import threading

import anyio

__all__ = ["Lock", "ThreadLock", "sleep"]

Lock = anyio.Lock
#: Guards the rate limiter's state; never held across an await, so a plain lock serves
#: both tasks and threads.
ThreadLock = threading.Lock


async def sleep(seconds: float) -> None:
    await anyio.sleep(seconds)
