"""The async driver's few library calls: sleeping and locking through anyio (asyncio or trio),
and its default HTTP transport."""

from __future__ import annotations

import contextlib
import inspect
import ssl
import threading
from typing import Any

import anyio
import httpx

from kalshi_core.errors import ConfigurationTypeError

__all__ = [
    "Lock",
    "Slots",
    "ThreadLock",
    "check_store",
    "default_transport",
    "fail_after",
    "sleep",
]



def Lock() -> anyio.Lock:  # noqa: N802 - stands for the class; anyio loads its locks lazily
    """A task lock of the running library (asyncio or trio)."""
    return anyio.Lock()

#: Guards the rate limiter's state; never held across an await, so a plain lock serves
#: both tasks and threads.
ThreadLock = threading.Lock


async def sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


def default_transport(limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.AsyncBaseTransport:
    """The lean h11 pool (``H11Transport``): httpcore's pool stalls on bursts of requests."""
    from kalshi_async._transport import H11Transport  # h11 loads with the first client

    return H11Transport(limits=limits, verify=verify)


class Slots:
    """At most ``n`` requests between signing and their answer (the pool's connection count):
    a request waits here, unsigned, rather than signed in the pool's queue where its timestamp
    would go stale. ``try_acquire`` is the allocation-free fast path."""

    __slots__ = ("_sem",)

    def __init__(self, n: int) -> None:
        self._sem = anyio.Semaphore(n)

    def try_acquire(self) -> bool:
        try:
            self._sem.acquire_nowait()
        except anyio.WouldBlock:
            return False
        return True

    async def acquire(self) -> None:
        await self._sem.acquire()

    def release(self) -> None:
        self._sem.release()


def fail_after(seconds: float | None) -> contextlib.AbstractContextManager[Any]:
    """A scope that cancels what runs in it after ``seconds`` (``None``: never) and raises
    ``TimeoutError``: the attempt deadline, enforced on asyncio and trio alike."""
    return anyio.fail_after(seconds)


def check_store(store: Any) -> Any:
    """``store`` if the async client can await it (``take`` and ``drain`` coroutines), else a
    ``ConfigurationTypeError`` naming the store this driver takes."""
    if store is not None and not (
        inspect.iscoroutinefunction(getattr(store, "take", None))
        and inspect.iscoroutinefunction(getattr(store, "drain", None))
    ):
        raise ConfigurationTypeError(
            "rate_limit_store must be an async bucket store for AsyncClient "
            "(kalshi_async.AsyncRedisBuckets), not " + type(store).__name__
        )
    return store
