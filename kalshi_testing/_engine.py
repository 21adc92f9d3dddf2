"""The fake exchange's matching engine and ledger.

``Engine`` owns every piece of trading state and is the only code that moves money. Handlers
parse and validate a request, then call one engine method; the engine raises ``FakeError`` for
anything the exchange refuses.

The money model (all ``Decimal`` dollars, exact):

* Every order buys something: a bid buys YES at ``p``, an ask buys NO at ``1 - p`` (selling YES).
  Placing it moves ``collateral_price * count`` out of the subaccount's cash; while it rests that
  amount is its *locked collateral* (``Order.locked``).
* A trade at the maker's price ``q`` spends the collateral: the YES buyer pays ``q``, the NO buyer
  ``1 - q`` per contract; a taker that crossed at a better price than its limit gets the
  difference back. Each side pays its fee: the series' fee schedule (``_fees``) rounded up to
  $0.0001, plus a rounding fee that floors the balance change to the balance precision, less
  the whole-cent refunds of the order's rounding accumulator.
* With netting on (the default), a subaccount holding YES and NO in one market redeems each pair
  for $1 at once; with netting off it keeps both until settlement.
* Settlement pays each YES ``v`` and each NO ``1 - v`` (``v`` = 1 for yes, 0 for no, the scalar
  value otherwise), rounded down to the cent per position (the rest is a settlement fee), and
  cancels the market's resting orders.

The ledger invariants (``Engine.ledger``), true after every request:

1. Conservation: deposits - withdrawals = cash + locked + margined-exchange balances
   + $1 for every YES/NO pair still open in unsettled markets + fees collected.
   (Every contract is minted as a YES/NO pair with exactly $1 of collateral behind it.)
2. Per subaccount: cash + locked = deposits - withdrawals + net transfers - fees
   - cost of contracts bought + redemptions + settlement payouts.
   Equivalently: cash + locked + cost basis of open positions
   = net deposits and transfers - fees + realized P&L.
3. In every market the YES contracts held equal the NO contracts held.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal

import attrs

from kalshi_testing._book import Book
from kalshi_testing._errors import FakeError, invalid_order
from kalshi_testing._events import (
    BookChanged,
    EngineEvent,
    FillMade,
    Flushed,
    GroupChanged,
    Listener,
    MarketChanged,
    OrderChanged,
    PositionChanged,
    TradeMade,
)
from kalshi_testing._fees import CENT as _CENT
from kalshi_testing._fees import FeeSchedule, FillFee, fill_fee
from kalshi_testing._state import (
    Account,
    CashMovement,
    Event,
    Fill,
    IntraTransfer,
    Market,
    Order,
    OrderGroup,
    Position,
    Series,
    Settlement,
    SubaccountTransfer,
    Trade,
    User,
)

__all__ = ["GROUP_WINDOW", "MAX_SUBACCOUNT", "Engine", "Execution", "Ledger"]

ONE = Decimal(1)
ZERO = Decimal(0)
CENT = Decimal("0.01")
GROUP_WINDOW = 15.0
MAX_SUBACCOUNT = 63
MAX_ORDER_GROUPS = 100_000


def _side_price(order: Order, yes_price: Decimal) -> Decimal:
    """What one contract costs ``order``'s owner at a trade price: YES for a bid, NO for an ask."""
    return yes_price if order.book_side == "bid" else ONE - yes_price


@attrs.define
class Execution:
    """What one placement or amend did: the order and the fills it took as taker."""

    order: Order
    fills: list[Fill] = attrs.field(factory=list)

    @property
    def filled(self) -> Decimal:
        return sum((f.count for f in self.fills), ZERO)

    @property
    def average_price(self) -> Decimal | None:
        """Volume-weighted YES price of the fills, or None without fills."""
        if not self.fills:
            return None
        return sum((f.price * f.count for f in self.fills), ZERO) / self.filled

    @property
    def average_fee(self) -> Decimal | None:
        if not self.fills:
            return None
        return sum((f.fee for f in self.fills), ZERO) / self.filled


@attrs.frozen
class Ledger:
    """The exchange's books at one moment; see the module docstring for the invariants."""

    deposits: Decimal
    withdrawals: Decimal
    cash: Decimal
    locked: Decimal
    margined: Decimal
    open_pairs: Decimal
    fees: Decimal
    problems: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        return not self.problems


class Engine:
    """All trading state and every rule that changes it. Not thread-safe by itself: the
    ``FakeExchange`` that owns it calls it under its lock.

    Observers registered with :meth:`listen` hear every change as it happens (see
    ``kalshi_testing._events``): book levels, trades, fills, orders, positions, order groups
    and market lifecycle. The engine knows nothing of who listens or why.
    """

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.markets: dict[str, Market] = {}
        self.events: dict[str, Event] = {}
        #: Series records (titles, categories) by ticker; fee schedules are ``series``.
        self.series_info: dict[str, Series] = {}
        self.books: dict[str, Book] = {}
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.positions: dict[tuple[str, int, str], Position] = {}
        self.settlements: list[Settlement] = []
        self.groups: dict[str, OrderGroup] = {}
        self.movements: list[CashMovement] = []
        self.subaccount_transfers: list[SubaccountTransfer] = []
        self.intra_transfers: list[IntraTransfer] = []
        self.fees_collected = ZERO
        self.trades: list[Trade] = []
        self._listeners: list[Listener] = []
        self._causes: list[Order | None] = []
        self._now = 0.0
        #: Fee schedules by series ticker, and event overrides by event ticker.
        self.series: dict[str, FeeSchedule] = {}
        self.event_fees: dict[str, FeeSchedule] = {}
        #: The precision balances are kept to ($0.01; $0.0001 for direct members).
        self.balance_precision = _CENT
        #: An exchange-wide trading pause (maintenance): no new orders or amends.
        self.trading_paused = False
        #: An exchange pause: no order operation at all, cancels included.
        self.exchange_paused = False
        self._flows: dict[tuple[str, int], defaultdict[str, Decimal]] = {}
        self._expiring: set[str] = set()
        self._sequence = itertools.count(1)

    # -- observers --------------------------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every change from now on (under the exchange lock)."""
        self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: EngineEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def flush(self, now: float) -> None:
        """Tell listeners that one request or helper call is complete (``Flushed``)."""
        if self._listeners:
            self._emit(Flushed(now))

    def _level_changed(self, order: Order, delta: Decimal) -> None:
        if not self._listeners:
            return
        cause = self._causes[-1] if self._causes else order
        self._emit(
            BookChanged(order.ticker, order.book_side, order.price, delta, order, cause, self._now)
        )

    def _order_changed(self, order: Order, now: float) -> None:
        if self._listeners:
            self._emit(OrderChanged(order, now))

    def _position_changed(self, position: Position, now: float) -> None:
        if self._listeners:
            self._emit(PositionChanged(position, now))

    def _group_changed(self, group: OrderGroup, event_type: str, now: float) -> None:
        if self._listeners:
            self._emit(GroupChanged(group, event_type, now))

    def open_interest(self, ticker: str) -> Decimal:
        """YES contracts held in ``ticker`` (each one has a NO contract against it)."""
        return sum((p.yes_count for p in self.positions.values() if p.ticker == ticker), ZERO)

    # -- small helpers --------------------------------------------------------------------------
    def seq(self) -> int:
        """A strictly increasing number: creation order of everything, and queue priority."""
        return next(self._sequence)

    def _flow(self, user_id: str, subaccount: int, kind: str, amount: Decimal) -> None:
        key = (user_id, subaccount)
        if key not in self._flows:
            self._flows[key] = defaultdict(Decimal)
        self._flows[key][kind] += amount

    def account(self, user_id: str, subaccount: int) -> Account:
        """A user's subaccount; 400 when it was never created."""
        account = self.users[user_id].accounts.get(subaccount)
        if account is None:
            raise FakeError(400, "invalid_parameters", f"subaccount {subaccount} does not exist")
        return account

    def market(self, ticker: str) -> Market:
        market = self.markets.get(ticker)
        if market is None:
            raise FakeError(404, "market_not_found", f"market {ticker} not found")
        return market

    def _tradable(self, ticker: str) -> Market:
        """The market, if it takes new orders and amends now (else the 409 Kalshi answers)."""
        market = self.cancellable(ticker)
        if market.status == "paused" or self.trading_paused:
            raise FakeError(409, "trading_is_paused", "trading is paused", ticker)
        return market

    def cancellable(self, ticker: str) -> Market:
        """The market, if its orders may be canceled or decreased now: not during an exchange
        pause, not once the market closed."""
        market = self.market(ticker)
        if self.exchange_paused:
            raise FakeError(409, "exchange_is_paused", "exchange is paused")
        if market.status in ("closed", "settled"):
            raise FakeError(409, "market_closed", "market closed", ticker)
        return market

    def schedule(self, market: Market) -> FeeSchedule:
        """The fee schedule of ``market``: its own rates, else the event override, else the
        series schedule, else quadratic with multiplier 1."""
        base = self.event_fees.get(market.event_ticker) or self.series.get(
            market.series_ticker or ""
        )
        base = base or FeeSchedule()
        if market.taker_fee_rate is None and market.maker_fee_rate is None:
            return base
        return attrs.evolve(
            base, taker_rate=market.taker_fee_rate, maker_rate=market.maker_fee_rate
        )

    def position(self, user_id: str, subaccount: int, ticker: str) -> Position:
        key = (user_id, subaccount, ticker)
        position = self.positions.get(key)
        if position is None:
            event = self.markets[ticker].event_ticker
            position = Position(user_id, subaccount, ticker, event)
            self.positions[key] = position
        return position

    def client_order_id_taken(self, user_id: str, client_order_id: str | None) -> bool:
        return bool(client_order_id) and any(
            o.client_order_id == client_order_id and o.user_id == user_id
            for o in self.orders.values()
        )

    # -- set-up ---------------------------------------------------------------------------------
    def add_market(self, market: Market) -> None:
        """List ``market``, making its event (and the event's series, ``market.series_ticker``
        or the event ticker without its last ``-`` segment) on first sight."""
        new_event = all(m.event_ticker != market.event_ticker for m in self.markets.values())
        event = market.event_ticker
        series = market.series_ticker or (event.rsplit("-", 1)[0] if "-" in event else event)
        if event not in self.events:
            self.events[event] = Event(event, series, updated=market.created)
        if series not in self.series_info:
            self.series_info[series] = Series(series, updated=market.created)
        self.markets[market.ticker] = market
        self.books[market.ticker] = Book(self._level_changed)
        if self._listeners:
            self._emit(MarketChanged(market, "created", market.created, new_event))

    def deposit(self, user_id: str, amount: Decimal, now: float, method: str = "ach") -> None:
        """Credit ``amount`` dollars to the primary account and record an applied deposit."""
        if amount <= 0:
            raise ValueError("a deposit must be positive")
        account = self.users[user_id].accounts[0]
        account.cash += amount
        account.updated = now
        self._flow(user_id, 0, "deposits", amount)
        self.movements.append(
            CashMovement(str(uuid.uuid4()), user_id, "deposit", amount, method, now, self.seq())
        )

    def withdraw(self, user_id: str, amount: Decimal, now: float, method: str = "ach") -> None:
        """Debit ``amount`` dollars from the primary account and record an applied withdrawal."""
        account = self.users[user_id].accounts[0]
        if amount <= 0 or amount > account.cash:
            raise ValueError("a withdrawal must be positive and at most the available cash")
        account.cash -= amount
        account.updated = now
        self._flow(user_id, 0, "withdrawals", -amount)
        self.movements.append(
            CashMovement(str(uuid.uuid4()), user_id, "withdrawal", amount, method, now, self.seq())
        )

    # -- time -------------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Close every market whose ``close_time`` has passed (canceling its resting orders),
        then expire every resting order whose ``expiration_ts`` has passed."""
        for market in self.markets.values():
            if (
                market.close_time is not None
                and market.close_time <= now
                and market.status in ("active", "paused")
            ):
                self.close(market.ticker, now)
        if not self._expiring:
            return
        self._causes.append(None)
        try:
            self._expire(now)
        finally:
            self._causes.pop()

    def _expire(self, now: float) -> None:
        for order_id in list(self._expiring):
            order = self.orders[order_id]
            if order.expiration_ts is None or order.remaining <= 0:
                self._expiring.discard(order_id)
            elif order.expiration_ts <= now:
                self._expiring.discard(order_id)
                self.cancel(order, now)

    # -- orders -----------------------------------------------------------------------------------
    def place(self, order: Order, now: float, *, max_cost: Decimal | None = None) -> Execution:
        """Accept ``order`` (already validated for shape): match it, then rest, cancel or kill
        what is left according to its time in force.

        ``max_cost`` (V1 ``buy_max_cost``, dollars) makes the order fill-or-kill within that
        total cost.
        """
        self._now = now
        self._causes.append(order)
        try:
            return self._place(order, now, max_cost)
        finally:
            self._causes.pop()

    def _place(self, order: Order, now: float, max_cost: Decimal | None) -> Execution:
        market = self._tradable(order.ticker)
        account = self.account(order.user_id, order.subaccount)
        group = self._group_for_new_order(order)
        if order.expiration_ts is not None and order.expiration_ts <= now:
            raise invalid_order("expiration_time must be in the future")
        if order.reduce_only:
            if order.time_in_force != "immediate_or_cancel":
                raise invalid_order("reduce_only orders must be immediate_or_cancel")
            held = self.positions.get((order.user_id, order.subaccount, order.ticker))
            cap = ZERO
            if held is not None:
                cap = held.no_count if order.book_side == "bid" else held.yes_count
            if cap <= 0:
                raise invalid_order("reduce_only order would not reduce a position")
            order.initial = min(order.initial, cap)
        book = self.books[order.ticker]
        if order.post_only and next(book.crossing(order.book_side, order.price), None):
            # Kalshi keeps the order, canceled at once, and answers the create with a 400.
            order.sequence = order.priority = self.seq()
            order.updated = now
            order.canceled = order.initial
            order.closed = "canceled"
            order.last_update_reason = "PostOnlyCrossCancel"
            self.orders[order.order_id] = order
            raise invalid_order("post only cross")
        cost = order.collateral_price * order.initial
        if cost + self.schedule(market).ceiling(order.initial, order.price) > account.cash:
            raise FakeError(400, "insufficient_balance", "insufficient balance for this order")
        kill = order.time_in_force == "fill_or_kill" or max_cost is not None
        if kill and not self._can_fill(order, max_cost):
            raise FakeError(
                409,
                "fill_or_kill_insufficient_resting_volume",
                "fill or kill insufficient resting volume",
                order.ticker,
            )
        order.sequence = order.priority = self.seq()
        order.updated = now
        self.orders[order.order_id] = order
        if group is not None:
            group.order_ids.append(order.order_id)
        account.cash -= cost
        account.updated = now
        self._order_changed(order, now)
        execution = Execution(order)
        self._match(order, market, now, execution, amend=False)
        self._finish(order, now)
        return execution

    def _finish(self, order: Order, now: float) -> None:
        """After matching: rest what remains (GTC) or cancel it (IOC, FOK)."""
        if order.remaining <= 0:
            return
        if order.time_in_force == "good_till_canceled":
            self.books[order.ticker].add(order)
            if order.expiration_ts is not None:
                self._expiring.add(order.order_id)
        else:
            self.cancel(order, now)

    def _can_fill(self, order: Order, max_cost: Decimal | None) -> bool:
        """Whether the book holds enough for all of ``order`` (within ``max_cost``)."""
        need = order.remaining
        cost = ZERO
        for maker in self.books[order.ticker].crossing(order.book_side, order.price):
            if maker.user_id == order.user_id:
                # Own orders are not volume this order can take; self-trade prevention acts
                # while matching (fills before the stand stay).
                continue
            qty = min(need, maker.remaining)
            cost += qty * _side_price(order, maker.price)
            need -= qty
            if need <= 0:
                break
        return need <= 0 and (max_cost is None or cost <= max_cost)

    def _match(
        self, order: Order, market: Market, now: float, execution: Execution, *, amend: bool
    ) -> None:
        account = self.account(order.user_id, order.subaccount)
        for maker in self.books[order.ticker].crossing(order.book_side, order.price):
            if order.remaining <= 0:
                break
            if maker.remaining <= 0 or not maker.on_book:
                continue
            if maker.user_id == order.user_id:
                if (order.self_trade_prevention_type or "taker_at_cross") == "taker_at_cross":
                    order.taker_self_trade_cancel_count += order.remaining
                    self.cancel(order, now)
                    break
                self.cancel(maker, now)
                continue
            qty = min(order.remaining, maker.remaining)
            refund = (order.collateral_price - _side_price(order, maker.price)) * qty
            if self._fill_fee(order, True, qty, maker.price, market).total > account.cash + refund:
                break  # the taker cannot pay the fee: stop here, the rest rests or is canceled
            maker_account = self.account(maker.user_id, maker.subaccount)
            if self._fill_fee(maker, False, qty, maker.price, market).total > maker_account.cash:
                self.cancel(maker, now)
                continue
            self._trade(order, maker, qty, market, now, execution, amend=amend)
            if order.remaining <= 0 or order.status != "resting":
                break

    def _fill_fee(
        self, order: Order, is_taker: bool, qty: Decimal, price: Decimal, market: Market
    ) -> FillFee:
        """What ``order`` pays for a fill of ``qty`` at YES price ``price`` (not yet charged)."""
        trade_fee = self.schedule(market).trade_fee(is_taker, qty, price)
        cost = _side_price(order, price) * qty
        return fill_fee(trade_fee, cost, order.fee_accumulator, self.balance_precision)

    def _trade(
        self,
        taker: Order,
        maker: Order,
        qty: Decimal,
        market: Market,
        now: float,
        execution: Execution,
        *,
        amend: bool,
    ) -> None:
        price = maker.price
        for order, is_taker in ((taker, True), (maker, False)):
            account = self.account(order.user_id, order.subaccount)
            paid = _side_price(order, price)
            account.cash += (order.collateral_price - paid) * qty
            order.filled += qty
            cost = paid * qty
            fill_fee = self._fill_fee(order, is_taker, qty, price, market)
            order.fee_accumulator = fill_fee.accumulator
            charge = fill_fee.total
            account.cash -= charge
            account.updated = now
            self.fees_collected += charge
            self._flow(order.user_id, order.subaccount, "fees", -charge)
            self._flow(order.user_id, order.subaccount, "contracts", -cost)
            if is_taker:
                order.taker_fill_count += qty
                order.taker_fill_cost += cost
                order.taker_fees += charge
                if amend:
                    order.amend_taker_fill_count += qty
            else:
                order.maker_fill_count += qty
                order.maker_fill_cost += cost
                order.maker_fees += charge
            order.updated = now
            if order.remaining <= 0:
                order.closed = "executed"
            if not is_taker:
                self.books[order.ticker].reduced(order, qty)
            position = self.position(order.user_id, order.subaccount, order.ticker)
            (position.yes if order.book_side == "bid" else position.no).add(qty, paid)
            position.total_traded += cost
            position.shares_traded += qty
            position.fees_paid += charge
            position.updated = now
            self._net(position, account, now)
            fill_id = str(uuid.uuid4())
            fill = Fill(
                fill_id=fill_id,
                trade_id=fill_id,  # spec 3.31: "legacy field name, same as fill_id"
                order_id=order.order_id,
                user_id=order.user_id,
                subaccount=order.subaccount,
                ticker=order.ticker,
                book_side=order.book_side,
                price=price,
                count=qty,
                is_taker=is_taker,
                fee=charge,
                created=now,
                side=order.side,
                action=order.action,
                sequence=self.seq(),
            )
            self.fills.append(fill)
            if is_taker:
                execution.fills.append(fill)
                trade = Trade(
                    str(uuid.uuid4()), order.ticker, price, qty, taker.book_side, now, fill.sequence
                )
                self.trades.append(trade)
                market.volume += qty
                market.last_price = price
                market.last_size = qty
                if self._listeners:
                    self._emit(TradeMade(trade))
            if self._listeners:
                self._emit(FillMade(fill, position.signed))
                self._emit(OrderChanged(order, now))
                self._emit(PositionChanged(position, now))
        if maker.remaining <= 0:
            self.books[maker.ticker].remove(maker)
        for order in (taker, maker):
            self._group_matched(order, qty, now)

    def _net(self, position: Position, account: Account, now: float) -> None:
        """Redeem YES+NO pairs for $1 each when the subaccount nets."""
        if not account.netting:
            return
        pairs = min(position.yes_count, position.no_count)
        if pairs <= 0:
            return
        cost = position.yes.take(pairs) + position.no.take(pairs)
        account.cash += pairs
        account.updated = now
        position.realized_pnl += pairs - cost
        self._flow(position.user_id, position.subaccount, "redemptions", pairs)

    def cancel(self, order: Order, now: float, *, close: bool = False) -> Decimal:
        """Cancel what remains of ``order`` and release its collateral; the count canceled."""
        reduced = order.remaining
        if reduced <= 0:
            return ZERO
        self._now = now
        self.books[order.ticker].remove(order)
        account = self.account(order.user_id, order.subaccount)
        account.cash += order.collateral_price * reduced
        account.updated = now
        order.canceled += reduced
        if close:
            order.close_cancel_count += reduced
        order.closed = "canceled"
        order.updated = now
        self._expiring.discard(order.order_id)
        self._order_changed(order, now)
        return reduced

    def decrease(self, order: Order, new_remaining: Decimal, now: float) -> Decimal:
        """Reduce a resting order to ``new_remaining`` (keeps its queue place); the reduction."""
        if new_remaining >= order.remaining:
            return ZERO
        if new_remaining <= 0:
            reduced = self.cancel(order, now)
            order.decrease_count += reduced
            return reduced
        reduced = order.remaining - new_remaining
        account = self.account(order.user_id, order.subaccount)
        account.cash += order.collateral_price * reduced
        account.updated = now
        order.canceled += reduced
        order.decrease_count += reduced
        order.updated = now
        self._now = now
        self.books[order.ticker].reduced(order, reduced)
        self._order_changed(order, now)
        return reduced

    def amend(
        self,
        order: Order,
        price: Decimal,
        total: Decimal,
        now: float,
        *,
        expiration_ts: int | bool | None = False,
    ) -> Execution:
        """Set a resting order's price and max fillable count (``filled + new remaining``).

        Queue priority survives only an amend that does not raise the size and keeps the price
        (Kalshi: "preserves queue position only when the amendment decreases size"); any other
        amend goes to the back of the queue. An amended price that crosses trades at once.
        ``expiration_ts``: False keeps the expiry, None or 0 removes it, else the new one.
        """
        self._now = now
        self._causes.append(order)
        try:
            return self._amend(order, price, total, now, expiration_ts)
        finally:
            self._causes.pop()

    def _amend(
        self,
        order: Order,
        price: Decimal,
        total: Decimal,
        now: float,
        expiration_ts: int | bool | None,
    ) -> Execution:
        market = self._tradable(order.ticker)
        if total <= order.filled:
            raise invalid_order("count must exceed the contracts already filled")
        new_remaining = total - order.filled
        book = self.books[order.ticker]
        if order.post_only and price != order.price:
            crossing = next(book.crossing(order.book_side, price), None)
            if crossing is not None and crossing is not order:
                raise invalid_order("post only cross")
        if expiration_ts is not False and expiration_ts and int(expiration_ts) <= now:
            raise invalid_order("expiration_time must be in the future")
        account = self.account(order.user_id, order.subaccount)
        collateral = price if order.book_side == "bid" else ONE - price
        extra = collateral * new_remaining - order.locked
        if extra > account.cash:
            raise FakeError(400, "insufficient_balance", "insufficient balance for this amend")
        keeps_place = price == order.price and new_remaining <= order.remaining
        book.remove(order)
        account.cash -= extra
        account.updated = now
        order.amend_count += new_remaining - order.remaining
        order.price = price
        order.updated = now
        if expiration_ts is not False:
            order.expiration_ts = int(expiration_ts) if expiration_ts else None
        if not keeps_place:
            order.priority = self.seq()
        execution = Execution(order)
        self._match(order, market, now, execution, amend=True)
        if order.remaining > 0 and order.status == "resting":
            book.add(order)
            if order.expiration_ts is not None:
                self._expiring.add(order.order_id)
        self._order_changed(order, now)
        return execution

    def queue_position(self, order: Order) -> Decimal:
        """Contracts ahead of a resting ``order`` at its price (price-time priority)."""
        return self.books[order.ticker].ahead(order)

    # -- market events ------------------------------------------------------------------------
    def _cancel_on_pause(self, tickers: Iterable[str], now: float) -> None:
        self._causes.append(None)
        try:
            for ticker in tickers:
                for order in list(self.books[ticker].orders()):
                    if order.cancel_order_on_pause:
                        self.cancel(order, now)
        finally:
            self._causes.pop()

    def pause(self, tickers: Iterable[str], now: float) -> None:
        """Deactivate markets (``inactive`` on Kalshi): ``cancel_order_on_pause`` orders are
        canceled; new orders and amends get 409 ``trading_is_paused``; cancels still work."""
        paused = []
        for ticker in tickers:
            market = self.market(ticker)
            if market.status == "active":
                market.status = "paused"
                paused.append(ticker)
                if self._listeners:
                    self._emit(MarketChanged(market, "deactivated", now))
        self._cancel_on_pause(paused, now)

    def resume(self, tickers: Iterable[str], now: float) -> None:
        """Reactivate paused markets; as on Kalshi, every resting order in them is canceled."""
        for ticker in tickers:
            market = self.market(ticker)
            if market.status == "paused":
                market.status = "active"
                if self._listeners:
                    self._emit(MarketChanged(market, "activated", now))
                self._causes.append(None)
                try:
                    for order in list(self.books[ticker].orders()):
                        self.cancel(order, now)
                finally:
                    self._causes.pop()

    def pause_trading(self, now: float) -> None:
        """An exchange-wide trading pause (Kalshi's weekly maintenance): no new orders or
        amends anywhere, cancels allowed; resting orders stay unless ``cancel_order_on_pause``."""
        self.trading_paused = True
        self._cancel_on_pause(list(self.markets), now)

    def resume_trading(self) -> None:
        self.trading_paused = False

    def pause_exchange(self, now: float) -> None:
        """An exchange pause: every order operation, cancels included, gets 409
        ``exchange_is_paused``; resting orders stay unless ``cancel_order_on_pause``."""
        self.exchange_paused = True
        self._cancel_on_pause(list(self.markets), now)

    def resume_exchange(self) -> None:
        self.exchange_paused = False

    def close(self, ticker: str, now: float) -> None:
        """Close a market (its ``close_time`` passed): resting orders are canceled and every
        order operation is refused with 409 ``market_closed`` until it settles."""
        market = self.market(ticker)
        if market.status in ("closed", "settled"):
            return
        market.status = "closed"
        early = market.close_time is None or market.close_time > now
        if early:
            market.close_time = now
        if self._listeners and early:
            self._emit(MarketChanged(market, "close_date_updated", now))
        self._causes.append(None)
        try:
            for order in list(self.books[ticker].orders()):
                self.cancel(order, now, close=True)
        finally:
            self._causes.pop()

    def settle(self, ticker: str, result: str, value: Decimal | None, now: float) -> None:
        """Settle a market: cancel its resting orders and pay every position out."""
        market = self.market(ticker)
        if market.status == "settled":
            raise ValueError(f"{ticker} is already settled")
        if result == "yes":
            payout_yes = ONE
        elif result == "no":
            payout_yes = ZERO
        elif result == "scalar":
            if value is None or not ZERO <= value <= ONE:
                raise ValueError("a scalar settlement needs a value between 0 and 1 dollars")
            payout_yes = value
        else:
            raise ValueError("result must be 'yes', 'no' or 'scalar'")
        self._causes.append(None)
        try:
            self._settle(market, result, payout_yes, now)
        finally:
            self._causes.pop()

    def _settle(self, market: Market, result: str, payout_yes: Decimal, now: float) -> None:
        ticker = market.ticker
        for order in list(self.books[ticker].orders()):
            self.cancel(order, now, close=True)
        for position in self.positions.values():
            if position.ticker != ticker:
                continue
            yes, no = position.yes_count, position.no_count
            if yes == 0 and no == 0:
                continue
            account = self.account(position.user_id, position.subaccount)
            exact = yes * payout_yes + no * (ONE - payout_yes)
            # Payouts are whole cents; what a scalar value leaves below the cent is a fee.
            payout = exact.quantize(_CENT, rounding=ROUND_FLOOR)
            settlement_fee = exact - payout
            yes_cost, no_cost = position.yes_cost, position.no_cost
            account.cash += payout
            account.updated = now
            self._flow(position.user_id, position.subaccount, "settlements", exact)
            if settlement_fee:
                self._flow(position.user_id, position.subaccount, "fees", -settlement_fee)
                self.fees_collected += settlement_fee
                position.fees_paid += settlement_fee
            position.realized_pnl += payout - yes_cost - no_cost
            position.yes.clear()
            position.no.clear()
            position.updated = now
            self._position_changed(position, now)
            self.settlements.append(
                Settlement(
                    user_id=position.user_id,
                    subaccount=position.subaccount,
                    ticker=ticker,
                    event_ticker=market.event_ticker,
                    result=result,
                    value=payout_yes,
                    yes_count=yes,
                    yes_cost=yes_cost,
                    no_count=no,
                    no_cost=no_cost,
                    payout=payout,
                    fees=position.fees_paid,
                    settled=now,
                    sequence=self.seq(),
                    settlement_fee=settlement_fee,
                )
            )
        market.status = "settled"
        market.result = result
        market.settlement_value = payout_yes
        market.settled_time = now
        if self._listeners:
            self._emit(MarketChanged(market, "determined", now))
            self._emit(MarketChanged(market, "settled", now))

    # -- order groups -----------------------------------------------------------------------------
    def _group_for_new_order(self, order: Order) -> OrderGroup | None:
        if not order.order_group_id:
            return None
        group = self.groups.get(order.order_group_id)
        if group is None or group.user_id != order.user_id:
            raise invalid_order("order group not found")
        if group.subaccount != order.subaccount:
            raise invalid_order("order group belongs to another subaccount")
        if group.triggered:
            raise invalid_order("order group triggered: reset it before placing orders")
        return group

    def create_group(self, user_id: str, subaccount: int, limit: Decimal, now: float) -> OrderGroup:
        self.account(user_id, subaccount)
        if sum(1 for g in self.groups.values() if g.user_id == user_id) >= MAX_ORDER_GROUPS:
            raise FakeError(400, "invalid_parameters", "too many order groups")
        group = OrderGroup(str(uuid.uuid4()), user_id, subaccount, limit, now)
        self.groups[group.group_id] = group
        self._group_changed(group, "created", now)
        return group

    def group_volume(self, group: OrderGroup, now: float) -> Decimal:
        """Contracts the group's orders matched in the last 15 seconds."""
        while group.window and group.window[0][0] <= now - GROUP_WINDOW:
            group.window.popleft()
        return sum((count for _, count in group.window), ZERO)

    def _group_matched(self, order: Order, qty: Decimal, now: float) -> None:
        group = self.groups.get(order.order_group_id or "")
        if group is None:
            return
        group.window.append((now, qty))
        if not group.triggered and self.group_volume(group, now) >= group.limit:
            self.trigger_group(group, now)

    def trigger_group(self, group: OrderGroup, now: float) -> None:
        """Cancel every order of the group and refuse new ones until reset."""
        group.triggered = True
        self._group_changed(group, "triggered", now)
        self._cancel_group_orders(group, now)

    def _cancel_group_orders(self, group: OrderGroup, now: float) -> None:
        for order_id in group.order_ids:
            order = self.orders[order_id]
            if order.remaining > 0:
                self.cancel(order, now)

    def reset_group(self, group: OrderGroup, now: float | None = None) -> None:
        group.triggered = False
        group.window.clear()
        self._group_changed(group, "reset", self._now if now is None else now)

    def delete_group(self, group: OrderGroup, now: float) -> None:
        self._cancel_group_orders(group, now)
        del self.groups[group.group_id]
        self._group_changed(group, "deleted", now)

    def update_group_limit(self, group: OrderGroup, limit: Decimal, now: float) -> None:
        """Set a new limit; a limit the rolling volume already reaches triggers at once."""
        group.limit = limit
        self._group_changed(group, "limit_updated", now)
        if not group.triggered and self.group_volume(group, now) >= limit:
            self.trigger_group(group, now)

    # -- subaccounts and transfers ------------------------------------------------------------
    def create_subaccount(self, user_id: str, now: float) -> int:
        user = self.users[user_id]
        number = len(user.accounts)
        if number > MAX_SUBACCOUNT:
            raise FakeError(400, "invalid_parameters", "maximum number of subaccounts (63) reached")
        # New subaccounts inherit the primary's netting setting (Kalshi's changelog).
        user.accounts[number] = Account(number, netting=user.accounts[0].netting, updated=now)
        return number

    def transfer(
        self,
        user_id: str,
        from_subaccount: int,
        to_subaccount: int,
        amount: Decimal,
        now: float,
        client_transfer_id: str | None = None,
    ) -> SubaccountTransfer:
        """Move cash between two subaccounts of a user."""
        if from_subaccount == to_subaccount:
            raise FakeError(400, "invalid_parameters", "from and to subaccounts must differ")
        if amount <= 0:
            raise FakeError(400, "invalid_parameters", "amount must be positive")
        source = self.account(user_id, from_subaccount)
        target = self.account(user_id, to_subaccount)
        if amount > source.cash:
            raise FakeError(400, "insufficient_balance", "insufficient balance for transfer")
        source.cash -= amount
        target.cash += amount
        source.updated = target.updated = now
        self._flow(user_id, from_subaccount, "transfers", -amount)
        self._flow(user_id, to_subaccount, "transfers", amount)
        record = SubaccountTransfer(
            str(uuid.uuid4()),
            user_id,
            from_subaccount,
            to_subaccount,
            amount,
            now,
            self.seq(),
            client_transfer_id,
        )
        self.subaccount_transfers.append(record)
        return record

    def intra_transfer(
        self,
        user_id: str,
        source: str,
        destination: str,
        source_subaccount: int,
        destination_subaccount: int,
        amount: Decimal,
        now: float,
    ) -> IntraTransfer:
        """Move cash between the event-contract exchange and the margined one (or, event to
        event, between subaccounts)."""
        if amount <= 0:
            raise FakeError(400, "invalid_parameters", "amount must be positive")
        user = self.users[user_id]
        if source == destination == "margined":
            raise FakeError(400, "invalid_parameters", "source and destination are the same")
        transfer_id = str(uuid.uuid4())
        if source == destination == "event_contract":
            transfer_id = self.transfer(
                user_id, source_subaccount, destination_subaccount, amount, now
            ).transfer_id
        elif source == "event_contract":
            account = self.account(user_id, source_subaccount)
            if amount > account.cash:
                raise FakeError(400, "insufficient_balance", "insufficient balance for transfer")
            account.cash -= amount
            account.updated = now
            user.margined += amount
            self._flow(user_id, source_subaccount, "transfers", -amount)
        else:
            account = self.account(user_id, destination_subaccount)
            if amount > user.margined:
                raise FakeError(400, "insufficient_balance", "insufficient balance for transfer")
            user.margined -= amount
            account.cash += amount
            account.updated = now
            self._flow(user_id, destination_subaccount, "transfers", amount)
        record = IntraTransfer(
            transfer_id,
            user_id,
            source,
            destination,
            source_subaccount,
            destination_subaccount,
            amount,
            now,
            self.seq(),
        )
        self.intra_transfers.append(record)
        return record

    def set_netting(self, user_id: str, subaccount: int, enabled: bool, now: float) -> None:
        """Turn netting on or off; turning it on redeems the pairs already held."""
        account = self.account(user_id, subaccount)
        account.netting = enabled
        if enabled:
            for position in self.positions.values():
                if position.user_id == user_id and position.subaccount == subaccount:
                    before = position.signed, position.yes_count
                    self._net(position, account, now)
                    if (position.signed, position.yes_count) != before:
                        self._position_changed(position, now)

    # -- the ledger -------------------------------------------------------------------------------
    def ledger(self) -> Ledger:
        """The books now, with any broken invariant named in ``problems``."""
        problems: list[str] = []
        deposits = sum((m.amount for m in self.movements if m.kind == "deposit"), ZERO)
        withdrawals = sum((m.amount for m in self.movements if m.kind == "withdrawal"), ZERO)
        locked_by: defaultdict[tuple[str, int], Decimal] = defaultdict(Decimal)
        for order in self.orders.values():
            locked_by[(order.user_id, order.subaccount)] += order.locked
            if order.remaining < 0:
                problems.append(f"order {order.order_id} has negative remaining")
        cash = ZERO
        for user in self.users.values():
            for number, account in user.accounts.items():
                cash += account.cash
                if account.cash < 0:
                    problems.append(f"{user.user_id}/{number}: negative cash {account.cash}")
                flows = self._flows.get((user.user_id, number))
                expected = sum(flows.values(), ZERO) if flows else ZERO
                held = account.cash + locked_by[(user.user_id, number)]
                if held != expected:
                    problems.append(
                        f"{user.user_id}/{number}: cash + locked {held} != flows {expected}"
                    )
        margined = sum((u.margined for u in self.users.values()), ZERO)
        open_pairs = ZERO
        for ticker, market in self.markets.items():
            in_market = [p for p in self.positions.values() if p.ticker == ticker]
            yes = sum((p.yes_count for p in in_market), ZERO)
            no = sum((p.no_count for p in in_market), ZERO)
            if yes != no:
                problems.append(f"{ticker}: {yes} YES held but {no} NO")
            if market.status != "settled":
                open_pairs += yes
        locked = sum(locked_by.values(), ZERO)
        total = cash + locked + margined + open_pairs + self.fees_collected
        if total != deposits - withdrawals:
            problems.append(
                f"money not conserved: held {total} != deposits - withdrawals "
                f"{deposits - withdrawals}"
            )
        return Ledger(
            deposits=deposits,
            withdrawals=withdrawals,
            cash=cash,
            locked=locked,
            margined=margined,
            open_pairs=open_pairs,
            fees=self.fees_collected,
            problems=tuple(problems),
        )
