"""The fake exchange's state as plain values: users and subaccounts, markets, orders, fills,
positions, settlements, order groups and money movements.

Nothing here matches orders or moves money: that is ``_engine.Engine``. These classes only hold
what the engine decides, with a few derived properties (an order's remaining count and the
collateral it locks, a position's signed count and cost basis).

Money is ``Decimal`` dollars throughout; counts are ``Decimal`` contracts (two decimals).
"""

from __future__ import annotations

import uuid
from collections import deque
from decimal import Decimal
from typing import Literal

import attrs
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

__all__ = [
    "Account",
    "CashMovement",
    "Event",
    "Fill",
    "Holding",
    "IntraTransfer",
    "Lot",
    "Market",
    "Order",
    "OrderGroup",
    "Position",
    "PublicKey",
    "Series",
    "Settlement",
    "SubaccountTransfer",
    "Trade",
    "User",
]

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
BookSide = Literal["bid", "ask"]
ONE = Decimal(1)
ZERO = Decimal(0)


@attrs.define(eq=False)
class Account:
    """One subaccount of a user (0 is the primary): its available cash and netting setting.

    ``cash`` is what GetBalance reports as the balance: collateral locked in resting orders has
    already left it.
    """

    number: int
    cash: Decimal = ZERO
    netting: bool = True
    updated: float = 0.0


@attrs.define(eq=False)
class User:
    """A member: API keys, subaccounts, the margined-exchange bucket and allocation settings."""

    user_id: str
    keys: dict[str, PublicKey] = attrs.field(factory=dict, repr=False)
    accounts: dict[int, Account] = attrs.field(factory=lambda: {0: Account(0)})
    margined: Decimal = ZERO
    allocations: list[tuple[int, int]] = attrs.field(factory=list)
    resting_margin_reservation: str = "sum"

    def balance(self, subaccount: int = 0) -> Decimal:
        """Available cash of a subaccount (0 for one that does not exist)."""
        account = self.accounts.get(subaccount)
        return account.cash if account is not None else ZERO


@attrs.define(eq=False)
class Market:
    """A binary market with a YES book; NO is its mirror at ``1 - price``.

    ``status`` follows Kalshi's lifecycle: ``active``; ``paused`` (the exchange deactivated it:
    no new orders or amends, cancels allowed; reactivation cancels every resting order);
    ``closed`` (past ``close_time``, by the fake's clock: every order operation is refused,
    resting orders were canceled); ``settled`` (with ``result`` ``yes``/``no``/``scalar`` and
    ``settlement_value``, the dollars one YES pays).
    Fees follow the series' schedule (``series_ticker``; an event override wins), unless
    ``taker_fee_rate``/``maker_fee_rate`` set the quadratic rates for this market alone.
    """

    ticker: str
    event_ticker: str
    tick: Decimal = Decimal("0.01")
    status: str = "active"
    taker_fee_rate: Decimal | None = None
    maker_fee_rate: Decimal | None = None
    series_ticker: str | None = None
    close_time: float | None = None
    result: str | None = None
    settlement_value: Decimal | None = None
    settled_time: float | None = None
    last_price: Decimal | None = None
    market_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    created: float = 0.0
    volume: Decimal = ZERO
    last_size: Decimal = ZERO
    title: str = ""
    subtitle: str = ""
    yes_sub_title: str = ""
    no_sub_title: str = ""
    open_time: float | None = None
    rules_primary: str = ""
    rules_secondary: str = ""


@attrs.define(eq=False)
class Event:
    """An event: a group of markets (``add_market`` makes one per new ``event_ticker``)."""

    event_ticker: str
    series_ticker: str
    title: str = ""
    sub_title: str = ""
    category: str = ""
    mutually_exclusive: bool = False
    updated: float = 0.0


@attrs.define(eq=False)
class Series:
    """A series: a template for recurring events (made with its first event); its fee
    schedule lives apart, in ``Engine.series``."""

    ticker: str
    title: str = ""
    category: str = ""
    frequency: str = "daily"
    tags: list[str] = attrs.field(factory=list)
    updated: float = 0.0


@attrs.define(eq=False)
class Order:
    """An order on the YES book: ``book_side`` bid (buy YES) or ask (sell YES) at ``price``.

    ``amend_count`` is the net change amends made to the fillable size.
    ``legacy_side``/``legacy_action`` keep how a V1 order was phrased (``buy no at 0.40`` is an
    ask at 0.60) so V1 responses echo it. ``priority`` orders the queue at a price level; an
    amend that increases size or changes price takes a new one (back of the queue).
    """

    order_id: str
    user_id: str
    ticker: str
    book_side: BookSide
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
    legacy_side: str | None = None
    legacy_action: str | None = None
    exchange_index: int = 0
    filled: Decimal = ZERO
    canceled: Decimal = ZERO
    updated: float = 0.0
    maker_fill_count: Decimal = ZERO
    taker_fill_count: Decimal = ZERO
    maker_fill_cost: Decimal = ZERO
    taker_fill_cost: Decimal = ZERO
    maker_fees: Decimal = ZERO
    taker_fees: Decimal = ZERO
    amend_count: Decimal = ZERO
    amend_taker_fill_count: Decimal = ZERO
    decrease_count: Decimal = ZERO
    close_cancel_count: Decimal = ZERO
    taker_self_trade_cancel_count: Decimal = ZERO
    sequence: int = 0
    priority: int = 0
    on_book: bool = False
    closed: str | None = None
    last_update_reason: str | None = None
    fee_accumulator: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        """Contracts still to fill: placed, plus net amendments, minus filled and canceled."""
        return self.initial + self.amend_count - self.filled - self.canceled

    @property
    def status(self) -> str:
        """``resting`` while anything remains; then ``executed`` or ``canceled``, by whichever
        event took the last contract."""
        if self.remaining > 0:
            return "resting"
        return self.closed or "executed"

    @property
    def collateral_price(self) -> Decimal:
        """What one contract of this order costs its owner: p for a bid, 1 - p for an ask."""
        return self.price if self.book_side == "bid" else ONE - self.price

    @property
    def locked(self) -> Decimal:
        """Collateral held for the resting remainder."""
        return self.collateral_price * self.remaining if self.on_book else ZERO

    @property
    def side(self) -> str:
        return self.legacy_side or "yes"

    @property
    def action(self) -> str:
        if self.legacy_action is not None:
            return self.legacy_action
        return "buy" if self.book_side == "bid" else "sell"


@attrs.define(eq=False)
class Fill:
    """One side of a trade, as its participant sees it."""

    fill_id: str
    trade_id: str
    order_id: str
    user_id: str
    subaccount: int
    ticker: str
    book_side: BookSide
    price: Decimal
    count: Decimal
    is_taker: bool
    fee: Decimal
    created: float
    side: str
    action: str
    sequence: int


@attrs.frozen
class Trade:
    """A public trade: ``count`` contracts at the maker's YES ``price``; ``taker_book_side`` is
    the taker's side of the YES book (``bid`` bought YES, ``ask`` sold YES / bought NO)."""

    trade_id: str
    ticker: str
    price: Decimal
    count: Decimal
    taker_book_side: BookSide
    created: float
    sequence: int


@attrs.define
class Lot:
    """Contracts bought together: ``count`` at ``price`` each (the price of the side held)."""

    count: Decimal
    price: Decimal


class Holding:
    """Contracts of one side held in FIFO lots, with running totals (O(1) count and cost)."""

    __slots__ = ("_lots", "cost", "count")

    def __init__(self) -> None:
        self._lots: deque[Lot] = deque()
        self.count = ZERO
        self.cost = ZERO

    def add(self, count: Decimal, price: Decimal) -> None:
        """Buy ``count`` at ``price`` (merged into the newest lot when the price is the same)."""
        if self._lots and self._lots[-1].price == price:
            self._lots[-1].count += count
        else:
            self._lots.append(Lot(count, price))
        self.count += count
        self.cost += count * price

    def take(self, count: Decimal) -> Decimal:
        """Remove ``count`` contracts first-in first-out; the cost they had."""
        cost = ZERO
        taken = ZERO
        while taken < count and self._lots:
            lot = self._lots[0]
            used = min(lot.count, count - taken)
            cost += used * lot.price
            lot.count -= used
            taken += used
            if lot.count == 0:
                self._lots.popleft()
        self.count -= taken
        self.cost -= cost
        return cost

    def clear(self) -> None:
        self._lots.clear()
        self.count = ZERO
        self.cost = ZERO

    def __repr__(self) -> str:
        return f"Holding(count={self.count}, cost={self.cost})"


@attrs.define(eq=False)
class Position:
    """A subaccount's holding in one market: YES and NO lots (FIFO) and running totals.

    With netting on (the default) the engine redeems every YES+NO pair for $1 at once, so only
    one side is ever non-empty; with netting off both can be held until settlement.
    """

    user_id: str
    subaccount: int
    ticker: str
    event_ticker: str
    yes: Holding = attrs.field(factory=Holding)
    no: Holding = attrs.field(factory=Holding)
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    total_traded: Decimal = ZERO
    shares_traded: Decimal = ZERO
    updated: float = 0.0

    @property
    def yes_count(self) -> Decimal:
        return self.yes.count

    @property
    def no_count(self) -> Decimal:
        return self.no.count

    @property
    def yes_cost(self) -> Decimal:
        return self.yes.cost

    @property
    def no_cost(self) -> Decimal:
        return self.no.cost

    @property
    def signed(self) -> Decimal:
        """``position_fp``: positive YES contracts, negative NO contracts."""
        return self.yes_count - self.no_count

    @property
    def exposure(self) -> Decimal:
        """Cost basis of what is held."""
        return self.yes_cost + self.no_cost


@attrs.define(eq=False)
class Settlement:
    """What one subaccount received when a market settled."""

    user_id: str
    subaccount: int
    ticker: str
    event_ticker: str
    result: str
    value: Decimal
    yes_count: Decimal
    yes_cost: Decimal
    no_count: Decimal
    no_cost: Decimal
    payout: Decimal
    fees: Decimal
    settled: float
    sequence: int
    settlement_fee: Decimal = ZERO


@attrs.define(eq=False)
class OrderGroup:
    """A rolling 15-second contracts limit shared by a set of orders (seed 004).

    ``window`` holds ``(time, contracts)`` of matches; ``triggered`` groups cancel their orders
    and refuse new ones until reset.
    """

    group_id: str
    user_id: str
    subaccount: int
    limit: Decimal
    created: float
    window: deque[tuple[float, Decimal]] = attrs.field(factory=deque)
    triggered: bool = False
    order_ids: list[str] = attrs.field(factory=list)


@attrs.define(eq=False)
class CashMovement:
    """A deposit or a withdrawal (always ``applied`` in the fake)."""

    movement_id: str
    user_id: str
    kind: Literal["deposit", "withdrawal"]
    amount: Decimal
    method: str
    created: float
    sequence: int
    status: str = "applied"


@attrs.define(eq=False)
class SubaccountTransfer:
    transfer_id: str
    user_id: str
    from_subaccount: int
    to_subaccount: int
    amount: Decimal
    created: float
    sequence: int
    client_transfer_id: str | None = None


@attrs.define(eq=False)
class IntraTransfer:
    transfer_id: str
    user_id: str
    source: str
    destination: str
    source_subaccount: int
    destination_subaccount: int
    amount: Decimal
    created: float
    sequence: int
    status: str = "complete"
