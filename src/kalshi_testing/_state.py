"""The fake exchange's state: users and their keys, markets, orders and balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = ["Market", "Order", "User"]

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


@attrs.define(eq=False)
class User:
    """An account: its API keys and a dollar balance per subaccount (0 is the primary)."""

    user_id: str
    keys: dict[str, PublicKey] = attrs.field(factory=dict, repr=False)
    balances: dict[int, Decimal] = attrs.field(factory=dict)

    def balance(self, subaccount: int = 0) -> Decimal:
        return self.balances.setdefault(subaccount, Decimal(0))


@attrs.define(eq=False)
class Market:
    """A binary market with a YES book; ``tick`` is its price grid."""

    ticker: str
    event_ticker: str
    tick: Decimal = Decimal("0.01")
    status: str = "active"


@attrs.define(eq=False)
class Order:
    """An order on the YES book: ``book_side`` bid (buy YES) or ask (sell YES) at ``price``."""

    order_id: str
    user_id: str
    ticker: str
    book_side: Literal["bid", "ask"]
    price: Decimal
    initial: Decimal
    created: float
    subaccount: int = 0
    client_order_id: str | None = None
    time_in_force: str = "good_till_canceled"
    self_trade_prevention_type: str | None = None
    post_only: bool = False
    reduce_only: bool = False
    cancel_order_on_pause: bool = False
    order_group_id: str | None = None
    expiration_ts: int | None = None
    exchange_index: int = 0
    filled: Decimal = Decimal(0)
    canceled: Decimal = Decimal(0)
    updated: float = 0.0
    maker_fill_cost: Decimal = Decimal(0)
    taker_fill_cost: Decimal = Decimal(0)
    maker_fees: Decimal = Decimal(0)
    taker_fees: Decimal = Decimal(0)
    sequence: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.initial - self.filled - self.canceled

    @property
    def status(self) -> str:
        if self.remaining > 0:
            return "resting"
        return "executed" if self.canceled == 0 else "canceled"

    @property
    def collateral_price(self) -> Decimal:
        """What one contract of this order costs its owner: p for a bid, 1 - p for an ask."""
        return self.price if self.book_side == "bid" else Decimal(1) - self.price
