"""The sync driver's few library calls: sleeping and locking with the standard library."""

from __future__ import annotations

import threading
import time

__all__ = ["Lock", "sleep"]

Lock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)
