"""The sync driver's few library calls: sleeping and locking with the standard library, and its
default HTTP transport."""

from __future__ import annotations

import threading
import time

import httpx

__all__ = ["Lock", "default_transport", "sleep"]

Lock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def default_transport(limits: httpx.Limits) -> httpx.BaseTransport:
    """httpx's own pool: one request at a time per thread does not stress it."""
    return httpx.HTTPTransport(limits=limits)
