"""The client-side rate limiter: Kalshi's two token buckets, as a sans-IO state machine.

Kalshi meters each account with two token buckets, **read** (GET requests) and **write**
(everything else), refilled every second. A request costs ``default_cost`` tokens (10) unless
its endpoint is listed with another cost; batch endpoints cost per order in the batch. Public
tiers (tokens per second, read/write): Basic 200/100, Advanced 300/300, Expert 600/600,
Premier 1000/1000, Paragon 2000/2000, Prime 4000/4000, Prestige 10000/8000. A bucket holds
**two seconds** of budget for the Basic and Advanced read buckets and every write bucket above
Basic, one second otherwise (``TIER_CAPACITIES``). A single order write (create, cancel,
decrease, amend: ``SHARD_SCOPED``) that names ``exchange_index >= 1`` draws from that shard's
own write bucket, with the full write budget; batches always bill the unscoped one. The exchange
answers 429 when a bucket cannot cover a request's cost.

``RateLimiter.acquire(call, now)`` *reserves* the call's tokens and returns how long to wait
before sending (``0.0``: send now). Reserving lets the level go negative, so concurrent
callers queue in arrival order and each sleeps exactly once; the check is O(1). A quarter of
each bucket is kept as headroom (``headroom``): the exchange charges a request when it
*arrives*, and requests admitted together can arrive in another order or later than admitted
(connection set-up, signing, scheduling), so a limiter that spends its whole bucket meets 429s
under a burst. The limiter is not
thread-safe by itself: a driver serialises ``acquire`` with a lock (it never waits while
holding it). ``now`` is any monotonic clock in seconds.

Where the buckets live is the driver's choice. By default they are the ``Bucket`` objects of
this limiter (one process's budget). A driver given a *bucket store*
(``kalshi_core.policy.bucket_store``) asks ``plan(call)`` for a ``Take``, a plain value saying
"take N tokens from bucket K, refilled R per second up to C, S kept spare", and hands it to
the store, which may keep the bucket anywhere (Redis, shared by many processes) and answers
with the same wait; the limiter's arithmetic and costs are the same either way.

Costs come from the spec's notes (``DEFAULT_COSTS``, ``PER_ITEM_COSTS``) and can be replaced
with the account's real numbers from ``GetAccountApiLimits`` and ``GetAccountEndpointCosts``
(``configure``), which also adopts the account's ``bucket_capacity``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kalshi_core import models as m
from kalshi_core.errors import ConfigurationError

if TYPE_CHECKING:
    from kalshi_core.wire.call import Call

__all__ = [
    "DEFAULT_COST",
    "DEFAULT_COSTS",
    "PER_ITEM_COSTS",
    "SHARD_SCOPED",
    "TIERS",
    "TIER_CAPACITIES",
    "Bucket",
    "RateLimiter",
    "Take",
    "discovery_calls",
]

DEFAULT_COST = 10

#: Tier name -> (read tokens per second, write tokens per second).
TIERS: Mapping[str, tuple[int, int]] = {
    "basic": (200, 100),
    "advanced": (300, 300),
    "expert": (600, 600),
    "premier": (1000, 1000),
    "paragon": (2000, 2000),
    "prime": (4000, 4000),
    "prestige": (10000, 8000),
}


def _capacities(tier: str, read: int, write: int) -> tuple[int, int]:
    # Kalshi: "Basic and Advanced Predictions Read buckets, and Write buckets above the Basic
    # tier, hold up to two seconds of budget"; the others hold one.
    read_capacity = 2 * read if tier in ("basic", "advanced") else read
    return read_capacity, write if tier == "basic" else 2 * write


#: Tier name -> (read bucket capacity, write bucket capacity), in tokens.
TIER_CAPACITIES: Mapping[str, tuple[int, int]] = {
    tier: _capacities(tier, read, write) for tier, (read, write) in TIERS.items()
}

#: Single order writes that bill the write bucket of the shard their ``exchange_index`` names
#: (when it is 1 or more).
SHARD_SCOPED: frozenset[str] = frozenset(
    {"CreateOrderV2", "CancelOrderV2", "DecreaseOrderV2", "AmendOrderV2"}
)

#: Non-default per-request costs, from the spec's ``x-mint`` notes ("Rate limit: N tokens per
#: request"). V1 ``CancelOrder`` costs what ``CancelOrderV2`` does.
DEFAULT_COSTS: Mapping[str, int] = {
    "GetOrder": 2,
    "CancelAllOrders": 2,
    "CancelOrderV2": 2,
    "CancelOrder": 2,
    "GetRFQQuote": 2,
    "DeleteRFQQuote": 2,
    "CreateQuote": 2,
    "GetQuote": 2,
    "DeleteQuote": 2,
    "UpgradeAccountApiUsageLevel": 30,
}

#: Batch endpoints billed per order in the batch: cost per order.
PER_ITEM_COSTS: Mapping[str, int] = {
    "BatchCreateOrdersV2": 10,
    "BatchCreateOrders": 10,
    "BatchCancelOrdersV2": 2,
    "BatchCancelOrders": 2,
}

_PARAM = re.compile(r"\{[^}]*\}|:[A-Za-z_]\w*")
_BASE = "/trade-api/v2"


def _route_key(method: str, path: str) -> tuple[str, str]:
    """``(METHOD, path)`` with parameters blanked and the base path stripped, for matching."""
    if path.startswith(_BASE):
        path = path[len(_BASE) :]
    return method.upper(), _PARAM.sub("{}", path.rstrip("/") or "/")


class Take:
    """A limiter's decision for one call, for a bucket store to carry out: take ``cost`` tokens
    from the bucket named ``bucket`` (``"read"``, ``"write"``), which refills ``rate`` tokens per
    second up to ``capacity`` and keeps ``spare`` tokens unspent. The store answers the seconds
    to wait before sending (``Bucket.reserve``'s contract). A plain, hashable value: it carries
    everything the store needs, so a shared store always meters with the numbers of the process
    that asks (after ``configure``, the account's real ones)."""

    __slots__ = ("bucket", "capacity", "cost", "rate", "spare")

    def __init__(
        self, bucket: str, cost: float, rate: float, capacity: float, spare: float
    ) -> None:
        if not (rate > 0 and capacity > 0 and cost >= 0 and 0 <= spare < capacity):
            raise ConfigurationError(
                f"a Take needs rate > 0, capacity > 0, cost >= 0 and 0 <= spare < capacity "
                f"(got rate={rate!r}, capacity={capacity!r}, cost={cost!r}, spare={spare!r})"
            )
        self.bucket = bucket
        self.cost = float(cost)
        self.rate = float(rate)
        self.capacity = float(capacity)
        self.spare = float(spare)

    def _key(self) -> tuple[str, float, float, float, float]:
        return (self.bucket, self.cost, self.rate, self.capacity, self.spare)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Take) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Take({self.bucket!r}, cost={self.cost:g}, rate={self.rate:g}/s, "
            f"capacity={self.capacity:g}, spare={self.spare:g})"
        )


class Bucket:
    """One token bucket: ``rate`` tokens per second up to ``capacity``; starts full.

    ``reserve`` tokens (kept as ``spare``) are never spent: they absorb the reordering of
    requests between this client and the exchange (one admitted later may arrive earlier).
    ``name`` is the bucket's name in a ``Take`` (and a shared store's key).
    """

    __slots__ = ("capacity", "level", "name", "rate", "spare", "updated")

    def __init__(
        self, rate: float, capacity: float | None = None, reserve: float = 0.0, *, name: str = ""
    ) -> None:
        if rate <= 0:
            raise ConfigurationError("a bucket's rate must be positive")
        self.name = name
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else rate)
        self.spare = float(reserve)
        self.level = self.capacity
        self.updated: float | None = None

    def _refill(self, now: float) -> float:
        if self.updated is None:
            self.updated = now
        elif now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
            self.updated = now
        return self.level

    def reserve(self, cost: float, now: float) -> float:
        """Take ``cost`` tokens; the seconds to wait until they are covered (0.0: now).

        A cost above what the bucket can ever hold (a batch too big for the tier) is charged
        as a full bucket: waiting longer could never make the exchange accept it.
        """
        usable = self.capacity - self.spare
        if cost > usable:
            cost = usable
        level = self._refill(now) - cost
        self.level = level
        short = self.spare - level
        return 0.0 if short <= 0.0 else short / self.rate

    def current(self, now: float) -> float:
        """The level at ``now`` (negative while reservations are queued)."""
        return self._refill(now)

    def drain(self, now: float) -> None:
        """Empty the bucket (the exchange just said 429: our view was too optimistic)."""
        self._refill(now)
        self.level = min(self.level, 0.0)

    def __repr__(self) -> str:
        return f"Bucket(rate={self.rate:g}/s, capacity={self.capacity:g}, level={self.level:g})"


class RateLimiter:
    """Keeps a client under its read and write budgets (see the module docstring).

    Make one from a tier name (``RateLimiter.for_tier("advanced")``) or explicit numbers
    (``RateLimiter(read=300, write=300)``, or ``(rate, capacity)`` pairs). ``headroom`` is the
    fraction of each bucket kept unspent (25 %) so that network jitter, which can deliver
    requests in another order than they were admitted, does not meet the exchange's 429.
    """

    __slots__ = ("_costs", "_shards", "default_cost", "headroom", "read", "tier", "write")

    def __init__(
        self,
        read: float | tuple[float, float],
        write: float | tuple[float, float],
        *,
        default_cost: int = DEFAULT_COST,
        costs: Mapping[str, int] | None = None,
        per_item_costs: Mapping[str, int] | None = None,
        tier: str | None = None,
        headroom: float = 0.25,
    ) -> None:
        if not 0.0 <= headroom < 1.0:
            raise ConfigurationError("headroom must be in [0, 1)")
        self.headroom = headroom
        self.read = Bucket(*(read if isinstance(read, tuple) else (read,)), name="read")
        self.write = Bucket(*(write if isinstance(write, tuple) else (write,)), name="write")
        for bucket in (self.read, self.write):
            bucket.spare = bucket.capacity * headroom
        #: Write buckets of shards 1, 2, ... (made on first use, each with the full budget).
        self._shards: dict[int, Bucket] = {}
        self.default_cost = default_cost
        self.tier = tier
        self._costs: dict[str, tuple[int, bool]] = {}
        self._set_costs(
            DEFAULT_COSTS if costs is None else costs,
            PER_ITEM_COSTS if per_item_costs is None else per_item_costs,
        )

    @classmethod
    def for_tier(cls, tier: str, *, headroom: float = 0.25) -> RateLimiter:
        """The limiter for a public tier (basic, advanced, expert, premier, paragon, prime or
        prestige) with its budgets and bucket capacities."""
        key = tier.lower()
        if key not in TIERS:
            raise ConfigurationError(
                f"unknown rate-limit tier {tier!r}: use one of {', '.join(TIERS)}, explicit "
                "numbers (RateLimiter(read=..., write=...)), or configure_rate_limits()"
            )
        read, write = TIERS[key]
        read_capacity, write_capacity = TIER_CAPACITIES[key]
        return cls((read, read_capacity), (write, write_capacity), tier=key, headroom=headroom)

    def _set_costs(self, costs: Mapping[str, int], per_item: Mapping[str, int]) -> None:
        table = {op: (cost, False) for op, cost in costs.items()}
        table.update({op: (cost, True) for op, cost in per_item.items()})
        self._costs = table

    def cost(self, call: Call[Any]) -> int:
        """The tokens ``call`` costs."""
        entry = self._costs.get(call.operation.operation_id)
        if entry is None:
            return self.default_cost
        cost, per_item = entry
        if not per_item:
            return cost
        return cost * max(_batch_size(call.body), 1)

    def bucket_for(self, call: Call[Any]) -> Bucket:
        """The bucket ``call`` draws from: read for GET; for a single order write naming
        ``exchange_index >= 1``, that shard's write bucket; else the unscoped write bucket."""
        if call.operation.method == "GET":
            return self.read
        if call.operation.operation_id in SHARD_SCOPED:
            shard = _exchange_index(call)
            if shard >= 1:
                return self.shard_bucket(shard)
        return self.write

    def shard_bucket(self, shard: int) -> Bucket:
        """The write bucket of exchange shard ``shard`` (1 or more), made on first use with
        the unscoped write bucket's budget and capacity."""
        bucket = self._shards.get(shard)
        if bucket is None:
            bucket = Bucket(
                self.write.rate, self.write.capacity, self.write.spare, name=f"write:{shard}"
            )
            self._shards[shard] = bucket
        return bucket

    def acquire(self, call: Call[Any], now: float) -> float:
        """Reserve ``call``'s tokens at ``now``; the seconds to wait before sending it."""
        bucket = self.bucket_for(call)
        entry = self._costs.get(call.operation.operation_id)
        if entry is None:
            return bucket.reserve(self.default_cost, now)
        cost, per_item = entry
        if per_item:
            cost *= max(_batch_size(call.body), 1)
        return bucket.reserve(cost, now)

    def plan(self, call: Call[Any]) -> Take:
        """What ``acquire`` would do, as a value for a bucket store: no tokens are taken (a
        shard's bucket is named ``"write:N"``, as in ``levels``)."""
        bucket = self.bucket_for(call)
        return Take(bucket.name, self.cost(call), bucket.rate, bucket.capacity, bucket.spare)

    def penalize(self, call: Call[Any], now: float) -> None:
        """The exchange answered ``call`` with 429: empty its bucket so others slow down."""
        self.bucket_for(call).drain(now)

    def levels(self, now: float) -> dict[str, float]:
        """The current token levels, ``{"read": ..., "write": ...}`` (and ``"write:N"`` for
        each shard bucket in use)."""
        out = {"read": self.read.current(now), "write": self.write.current(now)}
        for shard, bucket in sorted(self._shards.items()):
            out[f"write:{shard}"] = bucket.current(now)
        return out

    def configure(
        self,
        limits: m.GetAccountApiLimitsResponse | None = None,
        costs: m.GetAccountEndpointCostsResponse | None = None,
    ) -> None:
        """Adopt the account's real budgets and endpoint costs (answers of
        ``GetAccountApiLimits`` and ``GetAccountEndpointCosts``). Levels are kept (capped)."""
        if limits is not None:
            for name in ("read", "write"):
                spec = getattr(limits, name)
                if spec is None or not spec.refill_rate:
                    continue
                bucket: Bucket = getattr(self, name)
                bucket.rate = float(spec.refill_rate)
                bucket.capacity = float(spec.bucket_capacity or spec.refill_rate)
                bucket.spare = bucket.capacity * self.headroom
                bucket.level = min(bucket.level, bucket.capacity)
                if name == "write":
                    for shard in self._shards.values():
                        shard.rate, shard.capacity = bucket.rate, bucket.capacity
                        shard.spare = bucket.spare
                        shard.level = min(shard.level, shard.capacity)
            if limits.usage_tier:
                self.tier = limits.usage_tier
        if costs is not None:
            from kalshi_core._generated.optable import OPERATIONS

            if costs.default_cost:
                self.default_cost = costs.default_cost
            by_route = {_route_key(op.method, op.path): op for op in OPERATIONS.values()}
            plain: dict[str, int] = {}
            per_item: dict[str, int] = {}
            for entry in costs.endpoint_costs or ():
                if not entry.method or not entry.path or entry.cost is None:
                    continue
                op = by_route.get(_route_key(entry.method, entry.path))
                if op is None:
                    continue
                target = per_item if op.operation_id in PER_ITEM_COSTS else plain
                target[op.operation_id] = entry.cost
            self._set_costs(plain, {**PER_ITEM_COSTS, **per_item})

    def __repr__(self) -> str:
        return f"RateLimiter(tier={self.tier!r}, read={self.read!r}, write={self.write!r})"


def _batch_size(body: bytes | None) -> int:
    if not body:
        return 0
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # our own request body; defensive only
        return 0
    if not isinstance(data, dict):
        return 0
    items = data.get("orders")
    if not isinstance(items, list):
        items = data.get("ids")
    return len(items) if isinstance(items, list) else 0


def _exchange_index(call: Call[Any]) -> int:
    """The ``exchange_index`` a write names (query or JSON body); 0 when it names none."""
    raw: Any = call.query_value("exchange_index")
    if raw is None and call.body:
        try:
            data = json.loads(call.body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict):
            raw = data.get("exchange_index")
    if isinstance(raw, bool):
        return 0
    try:
        return int(raw) if raw is not None else 0
    except (TypeError, ValueError):
        return 0


def discovery_calls() -> tuple[Call[m.GetAccountApiLimitsResponse], Call[Any]]:
    """The two calls whose answers ``RateLimiter.configure`` takes."""
    from kalshi_core._generated.optable import OPERATIONS
    from kalshi_core.wire.call import make_call

    limits: Any = OPERATIONS["get_account_api_limits"]
    costs: Any = OPERATIONS["get_account_endpoint_costs"]
    return make_call(limits, {}, None), make_call(costs, {}, None)
