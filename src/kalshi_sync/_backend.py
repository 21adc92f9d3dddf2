"""The sync driver's few library calls: sleeping and locking with the standard library."""

from __future__ import annotations

import threading
import time

__all__ = ["Lock", "ThreadLock", "sleep"]

Lock = threading.Lock
#: Guards the rate limiter's state across threads.
ThreadLock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)
