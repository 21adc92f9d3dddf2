"""The sync driver's few library calls: sleeping and locking with the standard library, and its
default HTTP transport."""

from __future__ import annotations

import ssl
import threading
import time

import httpx

from kalshi_sync._transport import H11Transport

__all__ = ["Lock", "ThreadLock", "default_transport", "sleep"]

Lock = threading.Lock
#: Guards the rate limiter's state across threads.
ThreadLock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def default_transport(limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.BaseTransport:
    """The lean h11 pool (``H11Transport``): a quarter less CPU per call than httpcore's."""
    return H11Transport(limits=limits, verify=verify)
