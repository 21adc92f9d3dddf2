"""The retry policy: a sans-IO state machine that says "wait N seconds and resend" or "give up".

A driver sends a request; when the answer is not a success it hands the outcome (an error
``Response``, or a ``Failure`` when no complete answer arrived) to ``RetryState.next`` together
with the current time, and obeys the ``Decision``:

* ``Resend(delay)``: sleep ``delay`` seconds, sign the request afresh and send it again;
* ``GIVE_UP``: surface the error of the last outcome;
* ``Recover(lookup)``: a retried order write met the trace of its own earlier attempt
  (a create's ``order_already_exists``, a cancel's 404); run the lookup's calls and return its
  result instead.

What is retried (see ``docs/retries.md``):

=====================================  ==================  ==================
outcome                                idempotent request  other request
=====================================  ==================  ==================
``NOT_SENT`` (connect error, pool)     yes                 yes
``TIMEOUT`` / ``DISCONNECTED``         yes                 no
408, 429                               yes                 yes
500                                    yes                 no
502, 503, 504                          yes                 no
401 ``header_timestamp_expired``       once, after the clock offset is corrected
other 4xx                              never               never
=====================================  ==================  ==================

A request is idempotent when repeating it cannot change the outcome: safe methods, DELETE and
PUT, order creates that carry a ``client_order_id`` (the exchange refuses a duplicate), amends
(absolute target price and count) and decreases by ``reduce_to`` (see ``idempotency``).

Backoff is exponential with full jitter and a cap: before retry ``n`` (1-based) the delay is
uniform in ``[0, min(cap, base * 2 ** (n - 1)))``. A ``Retry-After`` header (seconds, or an HTTP
date) replaces the backoff when present; one longer than ``max_retry_after`` gives up instead of
blocking. The random source is injectable (``rng``) so tests can pin it.
"""

from __future__ import annotations

import dataclasses
import enum
import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final

from kalshi_core._lazy import lazy_module
from kalshi_core.errors import ConfigurationError
from kalshi_core.policy.clock import ClockOffset
from kalshi_core.policy.idempotency import (
    cancel_recovery,
    is_idempotent,
    recovery_after_success,
    recovery_for,
)
from kalshi_core.wire.values import Response

if TYPE_CHECKING:
    from kalshi_core.models import _json
    from kalshi_core.policy.idempotency import Lookup
    from kalshi_core.wire.call import Call
else:  # the JSON backend (orjson) loads with the first error body read
    _json = lazy_module("kalshi_core.models._json", globals(), "_json")

__all__ = [
    "GIVE_UP",
    "Attempt",
    "Decision",
    "Failure",
    "GiveUp",
    "Recover",
    "Resend",
    "RetryPolicy",
    "RetryState",
    "parse_retry_after",
]


class Failure(enum.Enum):
    """An attempt that produced no complete answer."""

    #: The request never reached the server (connect error, connect or pool timeout).
    NOT_SENT = "not_sent"
    #: A read or write timeout: the exchange may have processed the request.
    TIMEOUT = "timeout"
    #: The connection broke after sending (reset, truncated answer): may have been processed.
    DISCONNECTED = "disconnected"


@dataclasses.dataclass(frozen=True, slots=True)
class Resend:
    """Sleep ``delay`` seconds, then sign and send the request again."""

    delay: float
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop: surface the last outcome's error."""


GIVE_UP: Final = GiveUp()


@dataclasses.dataclass(frozen=True, slots=True)
class Recover:
    """Run ``lookup``'s calls (``next_call``/``feed``) and return ``lookup.result()``."""

    lookup: Lookup[Any]


Decision = Resend | GiveUp | Recover

_ALWAYS = frozenset({408, 429})
_IDEMPOTENT_ONLY = frozenset({500, 502, 503, 504})


def parse_retry_after(
    value: str | None, now: float, server_date: str | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date).

    An HTTP date is measured against the response's own ``Date`` header when there is one (so a
    skewed local clock does not matter), else against ``now``. ``None`` for an absent or
    unreadable value; never negative.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable
    try:
        at = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    reference = now
    if server_date:
        try:
            reference = parsedate_to_datetime(server_date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            reference = now
    return max(at - reference, 0.0)


def _error_code(response: Response) -> str | None:
    try:
        data = _json.loads(response.body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    source = inner if isinstance(inner, dict) else data
    code = source.get("code")
    return code if isinstance(code, str) else None


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times and how patiently to retry; shared, immutable configuration.

    ``max_retries`` retries follow the first attempt (0 disables retries). ``backoff_base`` and
    ``backoff_cap`` shape the full-jitter exponential backoff; ``max_retry_after`` is the
    longest ``Retry-After`` the client will honour (a longer one gives up at once).
    ``rng`` returns a float in ``[0, 1)`` (``random.random`` by default; pass a seeded
    ``random.Random(...).random`` for reproducible delays).
    """

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0
    rng: Callable[[], float] = dataclasses.field(
        default=random.random, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        if self.backoff_base < 0 or self.backoff_cap < 0 or self.max_retry_after < 0:
            raise ConfigurationError("backoff_base, backoff_cap and max_retry_after must be >= 0")

    def backoff(self, retry: int) -> float:
        """The jittered delay before retry number ``retry`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0 ** (retry - 1)))
        return self.rng() * ceiling

    def start(
        self, call: Call[Any], first_sent: float, clock: ClockOffset | None = None
    ) -> RetryState:
        """The state for one logical request whose first attempt was signed at ``first_sent``
        (server-corrected Unix seconds). Drivers create it only once an attempt has failed."""
        return RetryState(self, call, first_sent, clock)

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        return dataclasses.replace(self, max_retries=max_retries)


class RetryState:
    """The retry decisions for one logical request (all its attempts). Not thread-safe: one
    request, one state."""

    __slots__ = (
        "_call",
        "_clock",
        "_clock_retried",
        "_idempotent",
        "_policy",
        "attempts",
        "first_sent",
        "maybe_delivered",
        "retries",
    )

    def __init__(
        self,
        policy: RetryPolicy,
        call: Call[Any],
        first_sent: float,
        clock: ClockOffset | None = None,
    ) -> None:
        self._policy = policy
        self._call = call
        self._clock = clock
        self._idempotent: bool | None = None
        self._clock_retried = False
        self.first_sent = first_sent
        #: Attempts whose outcome has been fed so far.
        self.attempts = 0
        #: Retries granted so far (the clock-correction retry is not counted).
        self.retries = 0
        #: Whether an earlier attempt may have been processed by the exchange.
        self.maybe_delivered = False

    @property
    def idempotent(self) -> bool:
        if self._idempotent is None:
            self._idempotent = is_idempotent(self._call)
        return self._idempotent

    def next(self, outcome: Response | Failure, now: float) -> Decision:
        """Decide after a failed attempt. ``now`` is the local wall-clock time (Unix seconds)."""
        self.attempts += 1
        delivered_before = self.maybe_delivered
        if isinstance(outcome, Failure):
            if outcome is not Failure.NOT_SENT:
                self.maybe_delivered = True
                if not self.idempotent:
                    return GIVE_UP
            reason = "not sent" if outcome is Failure.NOT_SENT else outcome.value
            return self._backoff(None, reason, now)
        status = outcome.status
        if status >= 500:
            self.maybe_delivered = True
        if status == 401:
            if (
                not self._clock_retried
                and self._clock is not None
                and _error_code(outcome) == "header_timestamp_expired"
            ):
                self._clock_retried = True
                if self._clock.correct(outcome.header("date"), now):
                    return Resend(0.0, "clock corrected from the server's Date header")
            return GIVE_UP
        if status == 404 and delivered_before:
            cancel = cancel_recovery(self._call, outcome)
            if cancel is not None:
                return Recover(cancel)
            return GIVE_UP
        if status == 409 and delivered_before:
            lookup = recovery_for(self._call, outcome, self.first_sent)
            if lookup is not None:
                return Recover(lookup)
            return GIVE_UP
        if status in _ALWAYS or (status in _IDEMPOTENT_ONLY and self.idempotent):
            return self._backoff(outcome, f"status {status}", now)
        return GIVE_UP

    def after_success(self, result: Any) -> Recover | None:
        """A retried request succeeded: a batch create may carry per-order
        ``order_already_exists`` errors for orders an earlier attempt created; return the
        lookup that repairs them, or ``None`` when the result stands."""
        if not self.maybe_delivered:
            return None
        lookup = recovery_after_success(self._call, result, self.first_sent)
        return Recover(lookup) if lookup is not None else None

    def _backoff(self, response: Response | None, reason: str, now: float) -> Decision:
        policy = self._policy
        if self.retries >= policy.max_retries:
            return GIVE_UP
        self.retries += 1
        if response is not None:
            header = response.header("retry-after")
            if header is not None:
                wait = parse_retry_after(header, now, response.header("date"))
                if wait is not None:
                    if wait > policy.max_retry_after:
                        return GIVE_UP
                    return Resend(wait, f"{reason}, Retry-After {header.strip()}")
        return Resend(policy.backoff(self.retries), reason)


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Attempt:
    """What an ``on_attempt`` hook sees after every attempt of every request.

    ``request`` is the signed request (its ``repr`` redacts the signature), ``response`` the
    answer or ``None`` when none arrived, ``error`` the SDK exception for a transport failure,
    ``attempt`` the 1-based attempt number, ``latency`` the seconds the attempt took, and
    ``decision`` what happens next (``None`` after a success).
    """

    request: Any
    response: Response | None
    error: BaseException | None
    attempt: int
    latency: float
    decision: Decision | None

    def __repr__(self) -> str:
        status = self.response.status if self.response is not None else type(self.error).__name__
        return (
            f"Attempt({self.request.method} {self.request.path} -> {status}, "
            f"attempt={self.attempt}, latency={self.latency * 1000:.1f}ms, "
            f"decision={self.decision!r})"
        )
