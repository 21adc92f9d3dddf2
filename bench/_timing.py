"""Timing helpers shared by the figures: rounds with warm-up, medians and ranges, CPU time."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["Sample", "interleave", "machine", "summary"]


class Sample:
    """Per-round measurements of one contender: wall seconds and process CPU seconds."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


def interleave(
    contenders: dict[str, Callable[[], Any]], *, rounds: int, warmup: int = 2
) -> dict[str, Sample]:
    """Run each contender ``warmup`` times, then ``rounds`` rounds, alternating contenders in
    every round (so drift in machine speed hits all of them alike). A full GC runs before
    each timed call, outside the timing."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    samples = {name: Sample(name) for name in contenders}
    for r in range(rounds):
        order = list(contenders.items())
        if r % 2:
            order.reverse()
        for name, fn in order:
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            t1, c1 = time.perf_counter(), time.process_time()
            samples[name].add(t1 - t0, c1 - c0)
    return samples


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
    }
