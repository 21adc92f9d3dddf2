"""Benchmarks of the trading client's pure core: validation, intents, batch plans, parsing.

Run: ``python bench/micro_trading.py``. Prints the best of five runs per case, per call.
"""

from __future__ import annotations

import json
import timeit
import warnings
from collections.abc import Callable
from typing import Any

from kalshi_core import Response, builders, trading

ORDER = {
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "bid",
    "price": "0.56",
    "count": "10",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
    "client_order_id": "c",
}
SEED_ORDER = {
    "order_id": "ee2d7a4f-0f3a-4b7e-9d3c-2c5e2f1a9b10",
    "user_id": "u",
    "client_order_id": "c",
    "ticker": "HIGHNY-24JAN01-T60",
    "side": "yes",
    "action": "buy",
    "type": "limit",
    "status": "resting",
    "yes_price": 56,
    "no_price": 44,
    "yes_price_dollars": "0.5600",
    "no_price_dollars": "0.4400",
    "fill_count": 3,
    "remaining_count": 7,
    "initial_count": 10,
    "taker_fees": 2,
    "maker_fees": 0,
    "taker_fill_cost": 168,
    "maker_fill_cost": 0,
    "taker_fill_cost_dollars": "1.6800",
    "maker_fill_cost_dollars": "0.0000",
    "queue_position": 0,
    "created_time": "2025-11-02T23:37:19Z",
    "last_update_time": "2025-11-02T23:40:00Z",
    "self_trade_prevention_type": "taker_at_cross",
}
PAGE = json.dumps({"orders": [SEED_ORDER] * 1000, "cursor": "x"}).encode()
BATCH_ANSWER = json.dumps(
    {
        "orders": [
            {"order_id": f"o-{i}", "fill_count": "0.00", "remaining_count": "10.00"}
            for i in range(20)
        ]
    }
).encode()


def bench(label: str, fn: Callable[[], Any], number: int) -> None:
    best = min(timeit.repeat(fn, number=number, repeat=5)) / number
    unit, scale = ("ms", 1e3) if best >= 1e-3 else ("us", 1e6)
    print(f"{label:55s} {best * scale:9.1f} {unit}")


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    bench(
        "create_order_v2 builder (validate + encode)",
        lambda: builders.create_order_v2(**ORDER),
        5000,
    )
    bench(
        "order_intent (buy NO -> ask, validate + encode)",
        lambda: trading.buy("T", "no", price="0.30", count=10),
        5000,
    )
    bench(
        "batch_create_orders_v2 builder, 20 orders",
        lambda: builders.batch_create_orders_v2(orders=[ORDER] * 20),
        500,
    )
    bench(
        "create_orders_in_batches plan, 1000 orders (50 calls)",
        lambda: trading.create_orders_in_batches([ORDER] * 1000),
        20,
    )
    call = builders.batch_create_orders_v2(orders=[ORDER] * 20)
    bench(
        "parse a 20-item batch answer",
        lambda: call.parse(Response(status=201, body=BATCH_ANSWER)),
        2000,
    )
    page_call = builders.get_orders()
    bench(
        "parse a 1000-order page of the seeds' era",
        lambda: page_call.parse(Response(status=200, body=PAGE)),
        10,
    )


if __name__ == "__main__":
    main()
