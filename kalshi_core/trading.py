"""Trading helpers on top of the V2 order writes: say what you mean, send compliant batches.

**Intents.** V2 orders are quoted on the YES book only: ``side`` is ``bid`` (buy YES) or ``ask``
(sell YES) at a YES price. Traders think in outcomes: "buy NO at 0.30". :func:`order_intent`
takes the outcome view and returns the V2 builder's ``Call``:

=================  ==========================
You say            V2 request (YES book)
=================  ==========================
buy YES at p       ``side="bid"``, ``price=p``
sell YES at p      ``side="ask"``, ``price=p``
buy NO at p        ``side="ask"``, ``price=1 - p``
sell NO at p       ``side="bid"``, ``price=1 - p``
=================  ==========================

**Tick grids.** A market quotes on its own grid (``Market.price_ranges``: a step per price
range). Without one the client checks the spec's rule (at most four decimals); with a
:class:`TickGrid` (``TickGrid.from_market(market)`` or ``TickGrid.uniform("0.01")``) an off-grid
price is refused before sending.

**Batches.** The exchange takes 1 to 20 orders per batch. :func:`split_batches` turns a longer
list into a :class:`BatchPlan`, a sans-IO state machine that yields one ``Call`` per compliant
batch and merges the answers into one, in order. The clients run it with
``client.create_orders_in_batches(orders)`` (or ``client.run_plan(plan)``).

Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from kalshi_core import builders
from kalshi_core import models as m
from kalshi_core.errors import PartialBatchError, ValidationError
from kalshi_core.models._base import raw_json
from kalshi_core.wire.call import Call
from kalshi_core.wire.rules import MAX_BATCH
from kalshi_core.wire.validate import DecimalInput, to_decimal

__all__ = [
    "DEFAULT_SELF_TRADE_PREVENTION",
    "DEFAULT_TIME_IN_FORCE",
    "BatchPlan",
    "PartialBatchError",
    "TickGrid",
    "buy",
    "cancel_orders_in_batches",
    "create_orders_in_batches",
    "intent_request",
    "order_intent",
    "run_plan",
    "sell",
    "split_batches",
    "yes_book",
]

T = TypeVar("T")

Action = Literal["buy", "sell"]
Outcome = Literal["yes", "no"]

#: What an intent uses when the caller does not say (V2 requires both fields).
DEFAULT_TIME_IN_FORCE = "good_till_canceled"
DEFAULT_SELF_TRADE_PREVENTION = "taker_at_cross"

_ONE = Decimal(1)


# -- the YES-book mapping ----------------------------------------------------------------------
def yes_book(action: str, outcome: str, price: DecimalInput) -> tuple[str, Decimal]:
    """``(side, yes_price)`` on the YES book for buying or selling ``outcome`` at ``price``.

    Buy YES at p is a bid at p; sell YES at p an ask at p; buy NO at p an ask at 1 - p; sell NO
    at p a bid at 1 - p. Raises ``ValidationError`` naming ``action``, ``outcome`` or ``price``.
    """
    action_text = _choice(action, "action", ("buy", "sell"))
    outcome_text = _choice(outcome, "outcome", ("yes", "no"))
    p = to_decimal(price, "price", "dollars")
    if not Decimal(0) < p < _ONE:
        raise ValidationError("price", f"must be between 0 and 1 dollars, exclusive; got {p}")
    buys_yes = (action_text == "buy") == (outcome_text == "yes")
    side = "bid" if buys_yes else "ask"
    return side, (p if outcome_text == "yes" else _ONE - p)


def _choice(value: object, where: str, allowed: tuple[str, ...]) -> str:
    text = value.value if isinstance(value, m.TolerantEnum) else value
    if not isinstance(text, str) or text.lower() not in allowed:
        raise ValidationError(
            where, f"must be one of {', '.join(map(repr, allowed))}, got {value!r}"
        )
    return text.lower()


# -- tick grids --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class TickGrid:
    """The prices a market accepts: ``ranges`` of ``(start, end, step)`` in dollars.

    A price p is on the grid when some range has ``start <= p <= end`` and ``p - start`` is a
    whole number of ``step``. Build one from a market (``from_market``) or a single tick
    (``uniform``).
    """

    ranges: tuple[tuple[Decimal, Decimal, Decimal], ...]

    @classmethod
    def uniform(cls, tick: DecimalInput) -> TickGrid:
        """Every multiple of ``tick`` between 0 and 1."""
        step = to_decimal(tick, "tick")
        if not Decimal(0) < step < _ONE:
            raise ValidationError("tick", f"must be between 0 and 1 dollars, got {step}")
        return cls(((Decimal(0), _ONE, step),))

    @classmethod
    def from_market(cls, market: m.Market) -> TickGrid:
        """The grid a ``Market`` describes: its ``price_ranges``, else its legacy ``tick_size``
        (cents), else the cent grid."""
        ranges = []
        for r in market.price_ranges or ():
            if r.start is None or r.end is None or r.step is None:
                continue
            ranges.append((Decimal(r.start), Decimal(r.end), Decimal(r.step)))
        if ranges:
            return cls(tuple(ranges))
        if market.tick_size:
            return cls.uniform(Decimal(market.tick_size) / 100)
        return cls.uniform("0.01")

    def contains(self, price: Decimal) -> bool:
        return any(
            start <= price <= end and (price - start) % step == 0
            for start, end, step in self.ranges
        )

    def check(self, price: DecimalInput, where: str = "price") -> Decimal:
        """``price`` as a ``Decimal`` if it is on the grid; ``ValidationError`` otherwise."""
        p = to_decimal(price, where, "dollars")
        if not self.contains(p):
            steps = ", ".join(f"{s} from {a} to {b}" for a, b, s in self.ranges)
            raise ValidationError(where, f"{p} is not on the market's price grid (ticks: {steps})")
        return p


# -- intents -----------------------------------------------------------------------------------
def intent_request(
    *,
    ticker: str,
    action: Action | str,
    outcome: Outcome | str,
    price: DecimalInput,
    count: DecimalInput,
    time_in_force: m.TimeInForce | str = DEFAULT_TIME_IN_FORCE,
    self_trade_prevention_type: m.SelfTradePreventionType | str = DEFAULT_SELF_TRADE_PREVENTION,
    tick: TickGrid | DecimalInput | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The ``CreateOrderV2Request`` fields for an intent (see :func:`order_intent`), for a batch.

    The mapping is validated when a builder receives it (``batch_create_orders_v2(orders=[...])``);
    the intent's own arguments are checked here.
    """
    side, yes_price = yes_book(action, outcome, price)
    if tick is not None:
        grid = tick if isinstance(tick, TickGrid) else TickGrid.uniform(tick)
        if not grid.contains(yes_price):
            grid.check(to_decimal(price, "price", "dollars"))  # names the caller's price
            grid.check(yes_price)
    fields = {
        "ticker": ticker,
        "side": side,
        "price": yes_price,
        "count": count,
        "time_in_force": time_in_force,
        "self_trade_prevention_type": self_trade_prevention_type,
    }
    fields.update({k: v for k, v in options.items() if v is not None})
    return fields


def order_intent(
    *,
    ticker: str,
    action: Action | str,
    outcome: Outcome | str,
    price: DecimalInput,
    count: DecimalInput,
    time_in_force: m.TimeInForce | str = DEFAULT_TIME_IN_FORCE,
    self_trade_prevention_type: m.SelfTradePreventionType | str = DEFAULT_SELF_TRADE_PREVENTION,
    tick: TickGrid | DecimalInput | None = None,
    client_order_id: str | None = None,
    expiration_time: int | None = None,
    post_only: bool | None = None,
    cancel_order_on_pause: bool | None = None,
    reduce_only: bool | None = None,
    subaccount: int | None = None,
    order_group_id: str | None = None,
    exchange_index: int | None = None,
) -> Call[m.CreateOrderV2Response]:
    """Buy or sell ``count`` contracts of ``outcome`` (YES or NO) at ``price`` dollars.

    Returns ``builders.create_order_v2(...)`` for the matching YES-book order: buy YES at p =
    bid at p; sell YES at p = ask at p; buy NO at p = ask at 1 - p; sell NO at p = bid at
    1 - p. ``time_in_force`` defaults to ``good_till_canceled`` and
    ``self_trade_prevention_type`` to ``taker_at_cross``. ``tick`` (a ``TickGrid`` or a tick
    size) refuses a price off the market's grid; without it the spec's rule applies (at most
    four decimals). Other options pass through to the V2 request unchanged.
    """
    fields = intent_request(
        ticker=ticker,
        action=action,
        outcome=outcome,
        price=price,
        count=count,
        time_in_force=time_in_force,
        self_trade_prevention_type=self_trade_prevention_type,
        tick=tick,
        client_order_id=client_order_id,
        expiration_time=expiration_time,
        post_only=post_only,
        cancel_order_on_pause=cancel_order_on_pause,
        reduce_only=reduce_only,
        subaccount=subaccount,
        order_group_id=order_group_id,
        exchange_index=exchange_index,
    )
    return builders.create_order_v2(**fields)


def buy(
    ticker: str,
    outcome: Outcome | str,
    *,
    price: DecimalInput,
    count: DecimalInput,
    **options: Any,
) -> Call[m.CreateOrderV2Response]:
    """``order_intent(action="buy", ...)``: buy ``count`` ``outcome`` contracts at ``price``."""
    return order_intent(
        ticker=ticker, action="buy", outcome=outcome, price=price, count=count, **options
    )


def sell(
    ticker: str,
    outcome: Outcome | str,
    *,
    price: DecimalInput,
    count: DecimalInput,
    **options: Any,
) -> Call[m.CreateOrderV2Response]:
    """``order_intent(action="sell", ...)``: sell ``count`` ``outcome`` contracts at ``price``."""
    return order_intent(
        ticker=ticker, action="sell", outcome=outcome, price=price, count=count, **options
    )


# -- batches -----------------------------------------------------------------------------------
class BatchPlan(Generic[T]):
    """Sends a list in compliant batches: a sans-IO state machine, like the paginator.

    ``next_call()`` returns the ``Call`` for the next batch (``None`` when all are answered);
    ``feed(answer)`` records its answer; ``fail(exc)`` records that it raised and returns the
    ``PartialBatchError`` to raise instead; ``result()`` is the merged answer: one response of
    the batch model whose ``orders`` are every batch's items, in the order sent.
    """

    __slots__ = ("_answers", "_batches", "_calls", "_index")

    def __init__(self, calls: list[Call[T]], batches: list[list[Any]]) -> None:
        if len(calls) != len(batches) or not calls:
            raise ValueError("one call per batch, at least one")
        self._batches = batches
        self._calls = calls
        self._answers: list[T] = []
        self._index = 0

    @property
    def calls(self) -> list[Call[T]]:
        """Every batch's ``Call``, in order (already validated)."""
        return list(self._calls)

    def next_call(self) -> Call[T] | None:
        return self._calls[self._index] if self._index < len(self._calls) else None

    def feed(self, answer: T) -> None:
        if self._index >= len(self._calls):
            raise RuntimeError("feed() called without an outstanding batch")
        self._answers.append(answer)
        self._index += 1

    def fail(self, exc: BaseException) -> PartialBatchError:
        failed = self._batches[self._index]
        unsent = [o for batch in self._batches[self._index + 1 :] for o in batch]
        completed = self.result() if self._answers else None
        self._index = len(self._calls)
        error = PartialBatchError(completed, failed, unsent, exc)
        error.__cause__ = exc
        return error

    def result(self) -> T:
        if not self._answers:
            raise RuntimeError("no batch has been answered")
        first = self._answers[0]
        items: list[Any] = []
        raw_items: list[Any] = []
        for answer in self._answers:
            items.extend(getattr(answer, "orders", None) or ())
            raw = raw_json(answer) if isinstance(answer, m.Model) else None
            raw_items.extend((raw or {}).get("orders") or ())
        import attrs  # the answers are models: attrs is loaded already

        merged = attrs.evolve(first, orders=items)  # type: ignore[misc]
        object.__setattr__(merged, "_kalshi_raw", {"orders": raw_items})
        return merged


def split_batches(
    builder: Callable[..., Call[T]],
    orders: Sequence[Any],
    *,
    size: int = MAX_BATCH,
    field: str = "orders",
) -> BatchPlan[T]:
    """A :class:`BatchPlan` sending ``orders`` through ``builder`` (a batch builder such as
    ``builders.batch_create_orders_v2``) at most ``size`` at a time, in order.

    Every batch is built, and so validated, before anything is sent. ``size`` is 1 to 20.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
        raise ValidationError("size", f"must be 1 to {MAX_BATCH}, got {size!r}")
    if isinstance(orders, (str, bytes, Mapping)) or not isinstance(orders, Sequence):
        raise ValidationError(field, f"expected a list, got {type(orders).__name__}")
    if not orders:
        raise ValidationError(field, "needs at least one order")
    items = list(orders)
    batches = [items[i : i + size] for i in range(0, len(items), size)]

    calls = []
    for number, batch in enumerate(batches):
        # Build (and so validate) every batch up front: invalid input never reaches the network.
        try:
            calls.append(builder(**{field: batch}))
        except ValidationError as exc:
            # Name the position in the whole list, not in the batch.
            raise _reindexed(exc, field, number * size) from None
    return BatchPlan(calls, batches)


def _reindexed(exc: ValidationError, field: str, offset: int) -> ValidationError:
    prefix = f"{field}["
    if offset and exc.field.startswith(prefix):
        index, _, rest = exc.field[len(prefix) :].partition("]")
        if index.isdigit():
            return ValidationError(f"{prefix}{int(index) + offset}]{rest}", exc.reason)
    return exc


def create_orders_in_batches(
    orders: Sequence[m.CreateOrderV2Request | Mapping[str, Any]], *, size: int = MAX_BATCH
) -> BatchPlan[m.BatchCreateOrdersV2Response]:
    """Create any number of V2 orders, ``size`` (at most 20) per ``batch_create_orders_v2``.

    Every order is validated before the first batch is sent; the answers merge into one
    ``BatchCreateOrdersV2Response`` in the order given. A batch that fails midway raises
    ``PartialBatchError`` (``completed``, ``failed``, ``unsent``). On a client this runs the
    plan; here it returns it (:func:`split_batches` over ``builders.batch_create_orders_v2``).
    """
    return split_batches(builders.batch_create_orders_v2, orders, size=size)


def cancel_orders_in_batches(
    orders: Sequence[m.BatchCancelOrdersV2RequestOrders | Mapping[str, Any] | str],
    *,
    size: int = MAX_BATCH,
) -> BatchPlan[m.BatchCancelOrdersV2Response]:
    """Cancel any number of orders, ``size`` (at most 20) per ``batch_cancel_orders_v2``.

    An item is an order id (a string) or a ``{"order_id": ..., "subaccount": ...}`` mapping.
    The answers merge into one ``BatchCancelOrdersV2Response``; a batch that fails midway
    raises ``PartialBatchError``. On a client this runs the plan; here it returns it
    (:func:`split_batches` over ``builders.batch_cancel_orders_v2``).
    """
    items = [{"order_id": o} if isinstance(o, str) else o for o in orders]
    return split_batches(builders.batch_cancel_orders_v2, items, size=size)


def run_plan(plan: BatchPlan[T]) -> BatchPlan[T]:
    """Run a plan built by this module (``split_batches`` over any batch builder, V1 included)
    and return its result; here, the identity."""
    return plan
