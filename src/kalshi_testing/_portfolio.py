"""The fake's portfolio endpoints."""

from __future__ import annotations

from typing import Any

from kalshi_testing._exchange import Context, handler
from kalshi_testing._wire import cents, dollars

__all__: list[str] = []


@handler("GetBalance")
def get_balance(ctx: Context) -> tuple[int, Any]:
    subaccount = ctx.int_arg("subaccount", 0, 0, 63) or 0
    available = ctx.me.balance(subaccount)
    return 200, {
        "balance": cents(available),
        "balance_dollars": dollars(available),
        "portfolio_value": 0,
        "updated_ts": int(ctx.now),
    }
