"""Small helpers the fake-exchange tests share: placing V2 and V1 orders through a client."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from kalshi_core import Request
from kalshi_core.wire.credentials import Credentials, sign_request
from kalshi_testing import ApiKey, FakeExchange

from .conftest import MARKET

__all__ = ["MARKET", "V2_ORDER", "D", "call", "signed", "v1_buy", "v2"]

#: A valid CreateOrderV2 body (one contract bid at $0.50), for tests that need any order.
V2_ORDER = {
    "ticker": MARKET,
    "side": "bid",
    "price": "0.5",
    "count": "1",
    "time_in_force": "good_till_canceled",
    "self_trade_prevention_type": "taker_at_cross",
}


def D(text: str | int) -> Decimal:
    return Decimal(text)


def v2(
    c: Any,
    side: str,
    price: str,
    count: str,
    *,
    tif: str = "good_till_canceled",
    stp: str = "taker_at_cross",
    ticker: str = MARKET,
    **extra: Any,
) -> Any:
    """``create_order_v2`` with the two required enums defaulted."""
    return c.create_order_v2(
        ticker=ticker,
        side=side,
        price=price,
        count=count,
        time_in_force=tif,
        self_trade_prevention_type=stp,
        **extra,
    )


def v1_buy(c: Any, side: str, cents: int, count: int, *, ticker: str = MARKET, **extra: Any) -> Any:
    """A V1 ``create_order`` buying ``side`` at ``cents`` (the price of that side)."""
    price = {"yes_price": cents} if side == "yes" else {"no_price": cents}
    return c.create_order(ticker=ticker, side=side, action="buy", count=count, **price, **extra)


def signed(
    account: ApiKey, method: str, path: str, body: Any = None, *, now: float | None = None
) -> Request:
    """A raw request to the fake, signed at ``now``: for what a client would refuse to send."""
    at = time.time() if now is None else now
    request = Request(
        method=method,
        url=f"http://fake.test/trade-api/v2{path}",
        headers=(("content-type", "application/json"),),
        body=b"" if body is None else json.dumps(body).encode(),
    )
    assert account.private_key_pem is not None
    return sign_request(request, Credentials(account.key_id, account.private_key_pem), at)


def call(
    fake: FakeExchange,
    account: ApiKey,
    method: str,
    path: str,
    body: Any = None,
    *,
    now: float | None = None,
) -> tuple[int, Any]:
    """Send a raw request through ``fake.handle`` at ``now``: the status and the JSON body."""
    at = time.time() if now is None else now
    response = fake.handle(signed(account, method, path, body, now=at), at)
    return response.status, json.loads(response.body) if response.body else None
