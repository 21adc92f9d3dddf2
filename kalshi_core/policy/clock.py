"""The clock offset between this machine and the exchange, estimated from ``Date`` headers.

Kalshi refuses a signature whose timestamp is too far from its own clock
(``header_timestamp_expired``). ``ClockOffset`` holds the correction the driver adds to its
local clock before signing. It is sans-IO: it is told the local time and the server's ``Date``
header and never reads a clock itself.

A ``Date`` header has a resolution of one second (the true server time lies in
``[date, date + 1)``), so the estimate is ``date + 0.5 - local`` and it is applied only when it
exceeds ``threshold`` (one second): a healthy clock is never "corrected" by rounding noise.

The correction is bounded: an estimate beyond ``max_offset`` (``MAX_OFFSET``, five minutes, by
default) is never applied. A ``Date`` header is whatever the answering server (or a proxy in
front of it) says, and following it blindly would let one answer dated 2100 future-date every
later signature by decades, or one dated 1900 make them negative. A clock that is really off by
more than the bound needs fixing at its source (NTP); the SDK says so with a
``ClockSkewWarning`` and a log line on ``kalshi.clock``, and keeps signing with its own clock
(so the exchange answers ``header_timestamp_expired``, raised as ``TimestampExpiredError``).
Every applied correction is logged (INFO) on ``kalshi.clock``. The drivers feed only answers
from the configured ``base_url`` (they never follow redirects).
"""

from __future__ import annotations

import logging
import math
import warnings
from email.utils import parsedate_to_datetime

__all__ = ["MAX_OFFSET", "ClockOffset", "ClockSkewWarning"]

#: The largest correction applied by default, in seconds.
MAX_OFFSET = 300.0

logger = logging.getLogger("kalshi.clock")


class ClockSkewWarning(UserWarning):
    """A server's ``Date`` header implies a clock offset beyond the bound; it was not applied."""


class ClockOffset:
    """Seconds to add to the local clock to get the exchange's (``offset``, 0 until corrected).

    ``threshold`` is the smallest offset worth applying, ``max_offset`` the largest that will be
    (see the module docstring). Shared by every task or thread of a client; a float assignment
    is atomic, so no lock.
    """

    __slots__ = ("max_offset", "offset", "refused", "sampled", "threshold")

    def __init__(
        self, offset: float = 0.0, *, threshold: float = 1.0, max_offset: float = MAX_OFFSET
    ) -> None:
        if not (math.isfinite(max_offset) and max_offset >= 0):
            from kalshi_core.errors import ConfigurationError

            raise ConfigurationError("max_clock_offset must be a finite number of seconds >= 0")
        self.offset = offset
        self.threshold = threshold
        self.max_offset = max_offset
        #: Whether a Date header has been looked at yet (the driver samples the first one).
        self.sampled = False
        #: The last estimate refused for exceeding ``max_offset`` (``None`` if none was).
        self.refused: float | None = None

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
        estimate = server + 0.5 - local
        return estimate if math.isfinite(estimate) else None

    def _within_bound(self, estimate: float) -> bool:
        if abs(estimate) <= self.max_offset:
            return True
        self.refused = estimate
        message = (
            f"the server's Date header implies the local clock is off by {estimate:+.0f} s, "
            f"beyond the {self.max_offset:.0f} s the client corrects; not applied (fix the "
            "clock with NTP, or raise max_clock_offset if this server is trusted)"
        )
        logger.warning(message)
        warnings.warn(message, ClockSkewWarning, stacklevel=2)
        return False

    def _apply(self, new: float, why: str) -> None:
        old, self.offset = self.offset, new
        logger.info("clock offset %+.3f s -> %+.3f s (%s)", old, new, why)

    def observe(self, date_header: str | None, local: float) -> bool:
        """Adopt the offset a ``Date`` header implies when it exceeds the threshold and stays
        within ``max_offset``; returns whether the offset changed."""
        self.sampled = True
        estimate = self.estimate(date_header, local)
        if estimate is None:
            return False
        new = estimate if abs(estimate) > self.threshold else 0.0
        if new == self.offset or not self._within_bound(new):
            return False
        self._apply(new, "from the first answer's Date header")
        return True

    def correct(self, date_header: str | None, local: float) -> bool:
        """After a ``header_timestamp_expired`` answer: adopt the server's time outright, within
        ``max_offset``. Returns whether a correction is in place (retrying is then worth it)."""
        estimate = self.estimate(date_header, local)
        self.sampled = True
        if estimate is None or not self._within_bound(estimate):
            return False
        self._apply(estimate, "after header_timestamp_expired")
        return True

    def __repr__(self) -> str:
        return f"ClockOffset(offset={self.offset:+.3f}s, max_offset={self.max_offset:.0f}s)"
