"""When to reconnect: exponential backoff with full jitter, as a pure decision.

``Backoff.next_delay()`` is the wait before the next connection attempt: a uniform draw from
``[0, min(cap, base * 2 ** attempt))`` ("full jitter", so a fleet of clients cut off together
does not reconnect together). ``reset()`` after a connection proved healthy (it was accepted
and delivered a frame) starts the next outage from ``base`` again. ``max_attempts`` (``None``:
no limit) bounds the consecutive failures before ``next_delay()`` returns ``None``: give up.
The random source is injectable so tests pin it.
"""

from __future__ import annotations

import random

__all__ = ["Backoff"]


class Backoff:
    """Exponential backoff with full jitter (see the module docstring)."""

    __slots__ = ("_random", "attempt", "base", "cap", "max_attempts")

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 30.0,
        *,
        max_attempts: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.max_attempts = max_attempts
        self.attempt = 0
        self._random = rng or random.Random()

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up."""
        if self.max_attempts is not None and self.attempt >= self.max_attempts:
            return None
        ceiling = min(self.cap, self.base * (2**self.attempt))
        self.attempt += 1
        return self._random.uniform(0, ceiling)

    def reset(self) -> None:
        self.attempt = 0
