"""The client-side rate limiter (sans-IO), and the limiter against the fake's 429s on every
driver over a loopback socket."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kalshi_core import builders, errors, models
from kalshi_core.policy.ratelimit import (
    DEFAULT_COSTS,
    PER_ITEM_COSTS,
    TIER_CAPACITIES,
    TIERS,
    RateLimiter,
    Take,
)
from kalshi_testing import ApiKey, FakeExchange, FakeRateLimits, LoopbackServer

from .conftest import MARKET, Harness
from .trading import V2_ORDER

SPEC = Path(__file__).resolve().parent.parent / "spec" / "kalshi-openapi-3.31.0.yaml"


def spec_costs() -> tuple[dict[str, int], dict[str, int]]:
    """Per-request and per-order costs stated in the spec's x-mint notes."""
    spec = yaml.safe_load(SPEC.read_text())
    plain: dict[str, int] = {}
    per_item: dict[str, int] = {}
    for ops in spec["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            note = str((op.get("x-mint") or {}).get("content", ""))
            if m := re.search(r"(\d+) tokens per request", note):
                plain[op["operationId"]] = int(m.group(1))
            elif m := re.search(r"(\d+) tokens per order", note):
                per_item[op["operationId"]] = int(m.group(1))
    return plain, per_item


def test_costs_match_the_spec_notes() -> None:
    plain, per_item = spec_costs()
    assert plain, "the spec's notes were not found"
    for op_id, cost in plain.items():
        assert DEFAULT_COSTS[op_id] == cost, op_id
    for op_id, cost in per_item.items():
        assert PER_ITEM_COSTS[op_id] == cost, op_id
    # V1 batch writes (seed 002: "each order in the batch is counted") bill per order too.
    assert PER_ITEM_COSTS["BatchCreateOrders"] == 10
    assert PER_ITEM_COSTS["BatchCancelOrders"] == 2


def test_tiers() -> None:
    # Kalshi's rate-limit page (Tiers and budgets): read/write tokens per second.
    assert TIERS == {
        "basic": (200, 100),
        "advanced": (300, 300),
        "expert": (600, 600),
        "premier": (1000, 1000),
        "paragon": (2000, 2000),
        "prime": (4000, 4000),
        "prestige": (10000, 8000),
    }
    limiter = RateLimiter.for_tier("Advanced")
    assert (limiter.read.rate, limiter.write.rate) == (300, 300)
    with pytest.raises(ValueError, match="unknown rate-limit tier 'gold'"):
        RateLimiter.for_tier("gold")


def test_tier_bucket_capacities() -> None:
    # "Basic and Advanced Predictions Read buckets, and Write buckets above the Basic tier, hold
    # up to two seconds of budget"; the others hold one.
    assert TIER_CAPACITIES == {
        "basic": (400, 100),
        "advanced": (600, 600),
        "expert": (600, 1200),
        "premier": (1000, 2000),
        "paragon": (2000, 4000),
        "prime": (4000, 8000),
        "prestige": (10000, 16000),
    }
    for tier, (read, write) in TIERS.items():
        limiter = RateLimiter.for_tier(tier)
        assert (limiter.read.rate, limiter.write.rate) == (read, write)
        assert (limiter.read.capacity, limiter.write.capacity) == TIER_CAPACITIES[tier]
        assert limiter.levels(0.0) == {
            "read": TIER_CAPACITIES[tier][0],
            "write": TIER_CAPACITIES[tier][1],
        }
    # Kalshi's worked example: a Premier write bucket takes 200 orders at once after 2 s idle.
    premier = RateLimiter.for_tier("premier", headroom=0.0)
    order = _order()
    waits = [premier.acquire(builders.create_order_v2(**order), 0.0) for _ in range(201)]
    assert waits[:200] == [0.0] * 200
    assert waits[200] == pytest.approx(0.01)


def _order(**extra: Any) -> dict[str, Any]:
    return {
        "ticker": MARKET,
        "side": "bid",
        "price": "0.5",
        "count": "1",
        "time_in_force": "good_till_canceled",
        "self_trade_prevention_type": "taker_at_cross",
        **extra,
    }


def test_single_order_writes_on_a_shard_use_that_shard_s_write_bucket() -> None:
    limiter = RateLimiter.for_tier("basic", headroom=0.0)  # write: 100 tokens, 100 a second
    unscoped = builders.create_order_v2(**_order())
    shard_one = builders.create_order_v2(**_order(exchange_index=1))
    auto = builders.create_order_v2(**_order(exchange_index=-1))
    assert limiter.bucket_for(unscoped) is limiter.write
    assert limiter.bucket_for(auto) is limiter.write  # auto-routed: the unscoped bucket
    assert limiter.bucket_for(builders.create_order_v2(**_order(exchange_index=0))) is (
        limiter.write
    )
    assert limiter.bucket_for(shard_one) is limiter.shard_bucket(1)
    assert limiter.bucket_for(shard_one) is not limiter.shard_bucket(2)
    # Each shard's bucket carries the full budget.
    assert [limiter.acquire(unscoped, 0.0) for _ in range(10)] == [0.0] * 10
    assert [limiter.acquire(shard_one, 0.0) for _ in range(10)] == [0.0] * 10
    assert limiter.acquire(shard_one, 0.0) == pytest.approx(0.1)
    assert limiter.acquire(unscoped, 0.0) == pytest.approx(0.1)
    # Cancels name the shard in the query; decreases and amends in the body.
    cancel = builders.cancel_order_v2("o1", exchange_index=2)
    assert limiter.bucket_for(cancel) is limiter.shard_bucket(2)
    decrease = builders.decrease_order_v2("o1", reduce_by="1", exchange_index=3)
    assert limiter.bucket_for(decrease) is limiter.shard_bucket(3)
    # Batches always bill the unscoped bucket, whatever their orders name.
    batch = builders.batch_create_orders_v2(orders=[_order(exchange_index=1)] * 2)
    assert limiter.bucket_for(batch) is limiter.write
    assert set(limiter.levels(0.0)) == {"read", "write", "write:1", "write:2", "write:3"}


def test_reservations_queue_callers_fairly() -> None:
    limiter = RateLimiter.for_tier("basic", headroom=0.0)
    balance = builders.get_balance()
    # 40 reads of 10 tokens empty the 400-token read bucket (two seconds of Basic's 200 a
    # second); the next ones queue 50 ms apart.
    waits = [limiter.acquire(balance, 100.0) for _ in range(43)]
    assert waits[:40] == [0.0] * 40
    assert waits[40:] == pytest.approx([0.05, 0.10, 0.15])
    # Writes use their own bucket.
    create = builders.create_order_v2(
        ticker=MARKET,
        side="bid",
        price="0.5",
        count="1",
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )
    assert limiter.acquire(create, 100.0) == 0.0
    assert limiter.levels(100.0) == {"read": pytest.approx(-30.0), "write": pytest.approx(90.0)}
    # One second later the read bucket has refilled 200 tokens (capped at its capacity).
    assert limiter.levels(101.0)["read"] == pytest.approx(170.0)
    assert limiter.levels(105.0)["read"] == pytest.approx(400.0)


def test_a_cost_beyond_the_bucket_waits_for_a_full_bucket_only() -> None:
    limiter = RateLimiter.for_tier("basic")
    order = dict(V2_ORDER)
    batch = builders.batch_create_orders_v2(orders=[order] * 20)
    assert limiter.cost(batch) == 200  # more than Basic's 100-token write bucket
    assert limiter.acquire(batch, 0.0) == 0.0
    assert limiter.acquire(batch, 0.0) == pytest.approx(0.75)


def test_headroom_keeps_a_quarter_of_each_bucket() -> None:
    limiter = RateLimiter.for_tier("basic")
    balance = builders.get_balance()
    # Basic's read bucket holds 400 tokens; 300 of them are spent before anyone waits.
    waits = [limiter.acquire(balance, 0.0) for _ in range(32)]
    assert waits == [0.0] * 30 + [pytest.approx(0.05), pytest.approx(0.10)]


def test_operation_and_batch_costs() -> None:
    limiter = RateLimiter.for_tier("basic")
    assert limiter.cost(builders.get_balance()) == 10
    assert limiter.cost(builders.get_order("o1")) == 2
    assert limiter.cost(builders.cancel_order_v2("o1")) == 2
    order = dict(V2_ORDER)
    assert limiter.cost(builders.batch_create_orders_v2(orders=[order] * 7)) == 70
    cancels = [{"order_id": f"o{i}", "market_ticker": MARKET} for i in range(5)]
    assert limiter.cost(builders.batch_cancel_orders_v2(orders=cancels)) == 10


def test_configure_from_the_account_endpoints() -> None:
    limiter = RateLimiter.for_tier("basic")
    limits = models.GetAccountApiLimitsResponse(
        usage_tier="premier",
        read=models.BucketLimit(refill_rate=1000, bucket_capacity=1000),
        write=models.BucketLimit(refill_rate=1000, bucket_capacity=2000),
    )
    costs = models.GetAccountEndpointCostsResponse(
        default_cost=8,
        endpoint_costs=[
            models.EndpointTokenCost(method="GET", path="/trade-api/v2/portfolio/balance", cost=1),
            models.EndpointTokenCost(
                method="DELETE", path="/portfolio/events/orders/:order_id", cost=3
            ),
            models.EndpointTokenCost(
                method="POST", path="/trade-api/v2/portfolio/events/orders/batched", cost=5
            ),
            models.EndpointTokenCost(method="GET", path="/no/such/route", cost=99),
        ],
    )
    limiter.configure(limits, costs)
    assert limiter.tier == "premier"
    assert (limiter.write.rate, limiter.write.capacity) == (1000, 2000)
    assert limiter.cost(builders.get_balance()) == 1
    assert limiter.cost(builders.cancel_order_v2("x")) == 3
    assert limiter.cost(builders.get_exchange_status()) == 8
    # GetOrder is no longer listed: it falls back to the account's default cost.
    assert limiter.cost(builders.get_order("x")) == 8
    order = dict(V2_ORDER)
    assert limiter.cost(builders.batch_create_orders_v2(orders=[order] * 3)) == 15


def test_shard_buckets_carry_the_write_bucket_s_capacity_and_headroom() -> None:
    # Advanced: 300 write tokens a second, a two-second (600-token) write bucket, a quarter of
    # it spare; a shard's bucket has "the full write budget": the same three numbers.
    limiter = RateLimiter.for_tier("advanced")
    shard = limiter.plan(builders.create_order_v2(**_order(exchange_index=1)))
    assert shard == Take("write:1", 10, 300, 600, 150)
    unscoped = limiter.plan(builders.create_order_v2(**_order()))
    assert unscoped == Take("write", 10, 300, 600, 150)
    # 45 single orders of 10 tokens use the shard's 450 spendable tokens; the 46th waits.
    create = builders.create_order_v2(**_order(exchange_index=1))
    assert [limiter.acquire(create, 0.0) for _ in range(45)] == [0.0] * 45
    assert limiter.acquire(create, 0.0) == pytest.approx(10 / 300)


def test_an_exchange_index_that_names_no_shard_bills_the_unscoped_bucket() -> None:
    # ``exchange_index`` is an integer shard number; anything else names no shard.
    limiter = RateLimiter.for_tier("basic")
    create = builders.create_order_v2(**_order())
    for body in (
        b'{"exchange_index": true}',
        b'{"exchange_index": "one"}',
        b'{"exchange_index": null}',
        b"[1]",
        b"not json",
    ):
        assert limiter.bucket_for(dataclasses.replace(create, body=body)) is limiter.write, body
    cancel = builders.cancel_order_v2("o1")
    for raw in ("x", "", "1.5"):
        assert limiter.bucket_for(cancel.with_query(exchange_index=raw)) is limiter.write, raw
    assert limiter.bucket_for(cancel.with_query(exchange_index="2")) is limiter.shard_bucket(2)
    assert set(limiter.levels(0.0)) == {"read", "write", "write:2"}


def test_configure_gives_shard_buckets_the_account_s_write_budget() -> None:
    limiter = RateLimiter.for_tier("advanced")  # write: 300 a second, 600 held
    create = builders.create_order_v2(**_order(exchange_index=1))
    assert limiter.acquire(create, 0.0) == 0.0  # the shard's bucket exists, at 590
    limits = models.GetAccountApiLimitsResponse(
        read=models.BucketLimit(refill_rate=1000, bucket_capacity=3000),
        write=models.BucketLimit(refill_rate=50, bucket_capacity=80),
    )
    limiter.configure(limits)
    # The shard takes the write numbers (not the read ones), keeps the same headroom, and its
    # level is capped at the new capacity.
    assert limiter.plan(create) == Take("write:1", 10, 50, 80, 20)
    assert limiter.levels(0.0)["write:1"] == 80.0
    assert [limiter.acquire(create, 0.0) for _ in range(6)] == [0.0] * 6
    assert limiter.acquire(create, 0.0) == pytest.approx(10 / 50)
    # A shard first used after configure gets the same numbers.
    later = builders.cancel_order_v2("o1", exchange_index=3)
    assert limiter.plan(later) == Take("write:3", 2, 50, 80, 20)


def test_takes_are_plain_values() -> None:
    take = Take("write", 10, 100, 200, 50)
    assert take == Take("write", 10.0, 100.0, 200.0, 50.0)
    assert hash(take) == hash(Take("write", 10.0, 100.0, 200.0, 50.0))
    assert take != Take("write:1", 10, 100, 200, 50)
    assert take != Take("write", 20, 100, 200, 50)
    # Unequal to anything that is not a Take (no error), so it can sit in any set or dict.
    assert take != ("write", 10.0, 100.0, 200.0, 50.0)
    assert take != "write"
    assert len({take, "write", None}) == 3


# -- against the fake exchange's buckets ------------------------------------------------------


@pytest.fixture
def limited(fake: FakeExchange) -> Iterator[LoopbackServer]:
    fake.rate_limits = FakeRateLimits("basic")
    with LoopbackServer(fake) as srv:
        yield srv


def burst_client(
    harness: Harness, srv: LoopbackServer, account: ApiKey, statuses: list[int], **kw: Any
) -> Any:
    return harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=srv.url,
        max_retries=0,
        on_attempt=lambda a: statuses.append(a.response.status if a.response else 0),
        **kw,
    )


async def _safe_balance(c: Any) -> Any:
    try:
        return await c.get_balance()
    except errors.RateLimitError as exc:
        return exc


def safe_balance(harness: Harness) -> Any:
    if harness.is_async:
        return _safe_balance

    def call(c: Any) -> Any:
        try:
            return c.get_balance()
        except errors.RateLimitError as exc:
            return exc

    return call


BURST = 50


def test_limiter_off_burst_meets_429s(
    harness: Harness, fake: FakeExchange, limited: LoopbackServer, account: ApiKey
) -> None:
    statuses: list[int] = []
    c = burst_client(harness, limited, account, statuses, rate_limit=None)
    # 800 tokens: twice the bucket, so the refill while the burst is in flight cannot cover it.
    results = harness.concurrently(safe_balance(harness), c, 80)
    refused = [r for r in results if isinstance(r, errors.RateLimitError)]
    # 400 tokens (Basic's two-second read bucket) admit 40 reads of 10; the rest is refused.
    assert len(refused) >= 5
    assert statuses.count(429) == len(refused)
    assert fake.rate_limits is not None
    assert fake.rate_limits.rejected == len(refused)


def test_limiter_on_burst_never_meets_429(
    harness: Harness, fake: FakeExchange, limited: LoopbackServer, account: ApiKey
) -> None:
    statuses: list[int] = []
    c = burst_client(harness, limited, account, statuses, rate_limit="basic")
    started = time.monotonic()
    results = harness.concurrently(safe_balance(harness), c, BURST)
    elapsed = time.monotonic() - started
    assert all(isinstance(r, models.GetBalanceResponse) for r in results)
    assert statuses == [200] * BURST
    assert fake.rate_limits is not None
    assert fake.rate_limits.rejected == 0
    # 500 tokens at 200 per second, 300 of the 400 in the bucket spendable: the last request
    # waited 1 s.
    assert elapsed >= 1.0
    levels = c.rate_limit_levels()
    assert levels["read"] < 400
    assert levels["write"] == pytest.approx(100.0)


def test_write_bucket_is_metered_separately(
    harness: Harness, fake: FakeExchange, limited: LoopbackServer, account: ApiKey
) -> None:
    statuses: list[int] = []
    c = burst_client(harness, limited, account, statuses, rate_limit="basic")

    def place(c: Any) -> Any:
        return c.create_order_v2(
            ticker=MARKET,
            side="bid",
            price="0.10",
            count="1",
            time_in_force="good_till_canceled",
            self_trade_prevention_type="taker_at_cross",
        )

    started = time.monotonic()
    for _ in range(12):
        harness.run(place, c)
    # 100 write tokens: the 11th and 12th create waited for the refill (0.1 s each).
    assert time.monotonic() - started >= 0.2
    assert statuses == [201] * 12
    assert len(fake.orders_of(account.user_id)) == 12


def test_configure_rate_limits_from_the_exchange(
    harness: Harness, fake: FakeExchange, account: ApiKey
) -> None:
    fake.rate_limits = FakeRateLimits("advanced", read_capacity=600, write_capacity=600)
    with LoopbackServer(fake) as srv:
        c = harness.client(
            key_id=account.key_id, private_key=account.private_key_pem, base_url=srv.url
        )
        assert c.rate_limiter.tier == "basic"
        limiter = harness.run(lambda c: c.configure_rate_limits(), c)
        assert limiter is c.rate_limiter
        assert limiter.tier == "advanced"
        assert (limiter.read.rate, limiter.read.capacity) == (300, 600)
        assert (limiter.write.rate, limiter.write.capacity) == (300, 600)
        assert limiter.cost(builders.get_order("x")) == 2
        assert limiter.cost(builders.get_balance()) == 10


def test_limiter_can_be_switched_off(harness: Harness) -> None:
    c = harness.client(base_url="http://fake.test/trade-api/v2", rate_limit=None)
    assert c.rate_limiter is None
    assert c.rate_limit_levels() is None
    assert harness.run(lambda c: c.configure_rate_limits(), c) is None
    d = harness.client(base_url="http://fake.test/trade-api/v2")
    assert d.rate_limiter.tier == "basic"
    assert d.with_options(rate_limit=None).rate_limiter is None
    shared = RateLimiter(read=(50, 100), write=25)
    e = harness.client(base_url="http://fake.test/trade-api/v2", rate_limit=shared)
    assert e.rate_limiter is shared
    assert e.rate_limit_levels() == {"read": 100.0, "write": 25.0}
