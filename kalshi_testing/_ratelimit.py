"""The fake exchange's rate limits: Kalshi's read and write token buckets, answered with 429.

Off by default. ``FakeExchange(rate_limits=FakeRateLimits("basic"))`` (or assigning
``exchange.rate_limits``) meters every request like Kalshi: per account (per API key's owner;
unauthenticated requests share one anonymous account), a **read** bucket for GET and a
**write** bucket for everything else, refilled ``rate`` tokens per second up to ``capacity``
(a tier's capacities as Kalshi's rate-limit page states them: two seconds of budget for the
Basic and Advanced read buckets and every write bucket above Basic, one second otherwise). A
single order write naming ``exchange_index >= 1`` draws from that shard's own write bucket
(full budget); batches always bill the unscoped one.
A request costs its endpoint's tokens (10 by default, the spec's non-default costs, batches per
order); a bucket that cannot cover the cost answers ``429 {"error": "too many requests"}``
without running the request, so a batch is admitted whole or not at all. The largest batch is
what a full write bucket covers (``_orders.max_batch``). ``rejected_by_key`` and
``admitted_by_key`` count the answers per API key (many client processes, one fake: which of
them met the 429s). The bucket arithmetic here is written independently of the client's
limiter (no reservations: a request is admitted or refused), so the two check each other.

The fake also answers ``GetAccountApiLimits`` and ``GetAccountEndpointCosts`` from this
configuration (unlimited accounts report the Prime tier).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from kalshi_core import Request, Response
from kalshi_core.policy.ratelimit import (
    DEFAULT_COST,
    DEFAULT_COSTS,
    PER_ITEM_COSTS,
    SHARD_SCOPED,
    TIER_CAPACITIES,
    TIERS,
)
from kalshi_testing._exchange import Context, handler

if TYPE_CHECKING:
    from kalshi_core.wire.schema import Operation
    from kalshi_testing._exchange import FakeExchange

__all__ = ["FakeRateLimits"]

_TOO_MANY = json.dumps({"error": "too many requests"}).encode()
_BASE = "/trade-api/v2"


class _Meter:
    __slots__ = ("capacity", "level", "rate", "stamp")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.level = capacity
        self.stamp: float | None = None

    def admit(self, cost: float, now: float) -> bool:
        if self.stamp is not None and now > self.stamp:
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        if self.stamp is None or now > self.stamp:
            self.stamp = now
        if self.level + 1e-9 < cost:
            return False
        self.level -= cost
        return True


class FakeRateLimits:
    """Token-bucket budgets for the fake: a tier name (its budgets and capacities), or
    explicit ``read``/``write`` numbers (tokens per second; ``*_capacity`` defaults to the
    tier's, or to one second of budget without a tier)."""

    def __init__(
        self,
        tier: str | None = "basic",
        *,
        read: float | None = None,
        write: float | None = None,
        read_capacity: float | None = None,
        write_capacity: float | None = None,
        default_cost: int = DEFAULT_COST,
        costs: Mapping[str, int] | None = None,
    ) -> None:
        if tier is not None:
            key = tier.lower()
            if key not in TIERS:
                raise ValueError(f"unknown tier {tier!r}: one of {', '.join(TIERS)}")
            tier_read, tier_write = TIERS[key]
            cap_read, cap_write = TIER_CAPACITIES[key]
            if read is None:
                read, read_capacity = tier_read, read_capacity or cap_read
            if write is None:
                write, write_capacity = tier_write, write_capacity or cap_write
        if read is None or write is None:
            raise ValueError("give a tier or both read and write rates")
        self.tier = tier.lower() if tier else "custom"
        self.read = float(read)
        self.write = float(write)
        self.read_capacity = float(read_capacity or read)
        self.write_capacity = float(write_capacity or write)
        self.default_cost = default_cost
        self.costs = dict(DEFAULT_COSTS if costs is None else costs)
        self._meters: dict[tuple[str, str, int], _Meter] = {}
        #: How many requests were refused with 429.
        self.rejected = 0
        #: Requests refused with 429, by API key id (``""``: unauthenticated).
        self.rejected_by_key: Counter[str] = Counter()
        #: Requests let through (their tokens taken), by API key id.
        self.admitted_by_key: Counter[str] = Counter()

    def per_item_cost(self, operation_id: str) -> int:
        """What one order of a batch costs (the batch operations' per-order cost)."""
        return self.costs.get(operation_id, PER_ITEM_COSTS.get(operation_id, self.default_cost))

    def cost(self, operation: Operation[Any], body: bytes) -> int:
        op_id = operation.operation_id
        if op_id in PER_ITEM_COSTS:
            per = self.costs.get(op_id, PER_ITEM_COSTS[op_id])
            try:
                data = json.loads(body) if body else {}
            except ValueError:
                data = {}
            items = data.get("orders") if isinstance(data, dict) else None
            if not isinstance(items, list) and isinstance(data, dict):
                items = data.get("ids")
            return per * max(len(items) if isinstance(items, list) else 0, 1)
        return self.costs.get(op_id, self.default_cost)

    def check(self, exchange: FakeExchange, request: Request, now: float) -> Response | None:
        """``None`` to let ``request`` through (its tokens taken), or the 429 answer."""
        try:
            operation = exchange.route_operation(request)
        except Exception:  # noqa: BLE001 - unroutable requests are answered by dispatch
            return None
        key_id = request.header("KALSHI-ACCESS-KEY") or ""
        account = exchange.key_owner(key_id) or "anonymous"
        write = request.method != "GET"
        shard = _shard(operation, request) if write else 0
        key = (account, "write" if write else "read", shard)
        meter = self._meters.get(key)
        if meter is None:
            meter = _Meter(
                self.write if write else self.read,
                self.write_capacity if write else self.read_capacity,
            )
            self._meters[key] = meter
        cost = self.cost(operation, request.body)
        if operation.operation_id in PER_ITEM_COSTS and cost > meter.capacity:
            return None  # a batch no bucket could ever hold: the handler answers 400
        if meter.admit(cost, now):
            self.admitted_by_key[key_id] += 1
            return None
        self.rejected += 1
        self.rejected_by_key[key_id] += 1
        return Response(
            status=429,
            headers=(("content-type", "application/json"), ("content-length", str(len(_TOO_MANY)))),
            body=_TOO_MANY,
        )

    def limits_json(self) -> dict[str, Any]:
        return {
            "usage_tier": self.tier,
            "read": {"refill_rate": int(self.read), "bucket_capacity": int(self.read_capacity)},
            "write": {"refill_rate": int(self.write), "bucket_capacity": int(self.write_capacity)},
            "grants": [],
        }

    def costs_json(self) -> dict[str, Any]:
        from kalshi_core._generated.optable import OPERATIONS

        by_id = {op.operation_id: op for op in OPERATIONS.values()}
        entries = []
        for op_id, cost in sorted({**PER_ITEM_COSTS, **self.costs}.items()):
            op = by_id.get(op_id)
            if op is not None and cost != self.default_cost:
                entries.append({"method": op.method, "path": _BASE + op.path, "cost": cost})
        return {"default_cost": self.default_cost, "endpoint_costs": entries}


def _shard(operation: Operation[Any], request: Request) -> int:
    """The shard whose write bucket a request bills: ``exchange_index`` (>= 1) of a single
    order write; 0 (the unscoped bucket) for everything else."""
    if operation.operation_id not in SHARD_SCOPED:
        return 0
    raw: Any = parse_qs(urlsplit(request.url).query).get("exchange_index", [None])[-1]
    if raw is None and request.body:
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        raw = data.get("exchange_index") if isinstance(data, dict) else None
    try:
        value = int(raw) if raw is not None and not isinstance(raw, bool) else 0
    except (TypeError, ValueError):
        return 0
    return value if value >= 1 else 0


@handler("GetAccountApiLimits")
def get_account_api_limits(ctx: Context) -> tuple[int, Any]:
    limits = ctx.exchange.rate_limits or FakeRateLimits("prime")
    return 200, limits.limits_json()


@handler("GetAccountEndpointCosts")
def get_account_endpoint_costs(ctx: Context) -> tuple[int, Any]:
    limits = ctx.exchange.rate_limits or FakeRateLimits("prime")
    return 200, limits.costs_json()
