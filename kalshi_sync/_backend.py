"""The sync driver's few library calls: sleeping and locking with the standard library, and its
default HTTP transport."""

from __future__ import annotations

import contextlib
import inspect
import ssl
import threading
import time
from typing import Any

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

Lock = threading.Lock
#: Guards the rate limiter's state across threads.
ThreadLock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)


class Slots:
    """At most ``n`` requests between signing and their answer (the pool's connection count):
    a thread waits here, unsigned, rather than signed in the pool's queue where its timestamp
    would go stale."""

    __slots__ = ("_sem",)

    def __init__(self, n: int) -> None:
        self._sem = threading.BoundedSemaphore(n)

    def try_acquire(self) -> bool:
        return self._sem.acquire(blocking=False)

    def acquire(self) -> None:
        self._sem.acquire()

    def release(self) -> None:
        self._sem.release()


def default_transport(limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.BaseTransport:
    """The lean h11 pool (``H11Transport``): a quarter less CPU per call than httpcore's."""
    from kalshi_sync._transport import H11Transport  # h11 loads with the first client

    return H11Transport(limits=limits, verify=verify)


def fail_after(seconds: float | None) -> contextlib.AbstractContextManager[Any]:
    """The sync driver cannot cancel a blocking call: its deadline is enforced by the transport
    (every socket wait clamped to the time left) and between body chunks; this scope is empty."""
    return contextlib.nullcontext()


def check_store(store: Any) -> Any:
    """``store`` if the sync client can call it (plain ``take`` and ``drain``), else a
    ``ConfigurationTypeError`` naming the store this driver takes."""
    take, drain = getattr(store, "take", None), getattr(store, "drain", None)
    if store is not None and (
        not callable(take)
        or not callable(drain)
        or inspect.iscoroutinefunction(take)
        or inspect.iscoroutinefunction(drain)
    ):
        raise ConfigurationTypeError(
            "rate_limit_store must be a sync bucket store for Client "
            "(kalshi_sync.RedisBuckets), not " + type(store).__name__
        )
    return store
