"""The clock offset between this machine and the exchange, estimated from ``Date`` headers.

Kalshi refuses a signature whose timestamp is too far from its own clock
(``header_timestamp_expired``). ``ClockOffset`` holds the correction the driver adds to its
local clock before signing. It is sans-IO: it is told the local time and the server's ``Date``
header and never reads a clock itself.

A ``Date`` header has a resolution of one second (the true server time lies in
``[date, date + 1)``), so the estimate is ``date + 0.5 - local`` and it is applied only when it
exceeds ``threshold`` (one second): a healthy clock is never "corrected" by rounding noise.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

__all__ = ["ClockOffset"]


class ClockOffset:
    """Seconds to add to the local clock to get the exchange's (``offset``, 0 until corrected).

    Shared by every task or thread of a client; a float assignment is atomic, so no lock.
    """

    __slots__ = ("offset", "sampled", "threshold")

    def __init__(self, offset: float = 0.0, *, threshold: float = 1.0) -> None:
        self.offset = offset
        self.threshold = threshold
        #: Whether a Date header has been looked at yet (the driver samples the first one).
        self.sampled = False

    def now(self, local: float) -> float:
        """The exchange's time when the local clock reads ``local``."""
        return local + self.offset

    def estimate(self, date_header: str | None, local: float) -> float | None:
        """The offset a ``Date`` header received at ``local`` implies (``None`` if unreadable)."""
        if not date_header:
            return None
        try:
            server = parsedate_to_datetime(date_header).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        return server + 0.5 - local

    def observe(self, date_header: str | None, local: float) -> bool:
        """Adopt the offset a ``Date`` header implies when it exceeds the threshold; returns
        whether the offset changed."""
        self.sampled = True
        estimate = self.estimate(date_header, local)
        if estimate is None:
            return False
        new = estimate if abs(estimate) > self.threshold else 0.0
        if new == self.offset:
            return False
        self.offset = new
        return True

    def correct(self, date_header: str | None, local: float) -> bool:
        """After a ``header_timestamp_expired`` answer: adopt the server's time outright."""
        estimate = self.estimate(date_header, local)
        self.sampled = True
        if estimate is None:
            return False
        self.offset = estimate
        return True

    def __repr__(self) -> str:
        return f"ClockOffset(offset={self.offset:+.3f}s)"
