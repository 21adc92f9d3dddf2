"""Kalshi's trading fees as the fake charges them: fee schedules and per-fill rounding.

**Schedules.** A series has a ``fee_type`` and a ``fee_multiplier`` (an event may override
both). The types, from the series schema's description of Kalshi's fee schedule:

* ``quadratic``: takers pay ``0.07 * m * C * P * (1 - P)``; makers pay nothing;
* ``quadratic_with_maker_fees``: the same, and makers pay 0.25 times the taker rate;
* ``quadratic_with_combo_maker_fees``: makers pay 0.5 times the taker rate;
* ``flat``: takers pay ``m * $0.01`` per contract whatever the price, makers nothing (the
  "Specific Trading Fees Table" is not public in machine-readable form: the fake's choice).

**Rounding** (Kalshi's fee-rounding page). Per fill, the trade fee is rounded *up* to $0.0001;
the balance change ``-cost - trade_fee`` is floored to the account's balance precision ($0.01
by default, $0.0001 for direct members) and the difference is a *rounding fee*. Each order keeps
an accumulator of its rounding fees; when it exceeds $0.01 the order is refunded a whole cent
(and the accumulator drops by $0.01), so many small fills cost about what one fill would. A
fill's net fee is never negative: a fill whose trade and rounding fees are under a cent together
(one worth less than a cent) leaves the refund to a later fill.
The fill's fee (``fee_cost``) is ``trade fee + rounding fee - rebate``.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import attrs

__all__ = [
    "CENT",
    "CENTICENT",
    "FEE_TYPES",
    "FeeSchedule",
    "FillFee",
    "fill_fee",
    "round_trade_fee",
]

ONE = Decimal(1)
ZERO = Decimal(0)
CENT = Decimal("0.01")
CENTICENT = Decimal("0.0001")
TAKER_RATE = Decimal("0.07")
FLAT_PER_CONTRACT = Decimal("0.01")

#: fee_type -> the maker's share of the taker rate.
_MAKER_SHARE: dict[str, Decimal] = {
    "quadratic": ZERO,
    "quadratic_with_maker_fees": Decimal("0.25"),
    "quadratic_with_combo_maker_fees": Decimal("0.5"),
    "flat": ZERO,
}
FEE_TYPES = tuple(_MAKER_SHARE)


def round_trade_fee(raw: Decimal) -> Decimal:
    """A trade fee rounded up to the centicent ($0.0001)."""
    return raw.quantize(CENTICENT, rounding=ROUND_CEILING)


@attrs.frozen
class FeeSchedule:
    """A fee type and multiplier; ``taker_rate``/``maker_rate`` override the quadratic rates
    (what ``add_market(taker_fee_rate=..., maker_fee_rate=...)`` sets)."""

    fee_type: str = "quadratic"
    multiplier: Decimal = ONE
    taker_rate: Decimal | None = None
    maker_rate: Decimal | None = None

    def __attrs_post_init__(self) -> None:
        if self.fee_type not in _MAKER_SHARE:
            raise ValueError(f"fee_type must be one of {', '.join(FEE_TYPES)}")
        if self.multiplier < 0:
            raise ValueError("fee_multiplier must not be negative")

    def rate(self, is_taker: bool) -> Decimal:
        """The quadratic coefficient for a taker or a maker."""
        if is_taker:
            if self.taker_rate is not None:
                return self.taker_rate
            return ZERO if self.fee_type == "flat" else TAKER_RATE * self.multiplier
        if self.maker_rate is not None:
            return self.maker_rate
        return TAKER_RATE * self.multiplier * _MAKER_SHARE[self.fee_type]

    def trade_fee(self, is_taker: bool, count: Decimal, price: Decimal) -> Decimal:
        """The fee model's fee for ``count`` contracts at YES price ``price``, rounded up to
        $0.0001 (before the balance-precision rounding)."""
        raw = self.rate(is_taker) * count * price * (ONE - price)
        if self.fee_type == "flat" and is_taker and self.taker_rate is None:
            raw += FLAT_PER_CONTRACT * self.multiplier * count
        return round_trade_fee(raw)

    def ceiling(self, count: Decimal, price: Decimal) -> Decimal:
        """An upper bound of what one order of ``count`` at ``price`` pays in fees as either
        side, to the cent (what the fake reserves when it checks a balance)."""
        worst = max(self.trade_fee(True, count, price), self.trade_fee(False, count, price))
        return worst.quantize(CENT, rounding=ROUND_CEILING)


@attrs.frozen
class FillFee:
    """One fill's fee: its parts, the total charged and the order's accumulator after it."""

    trade_fee: Decimal
    rounding_fee: Decimal
    rebate: Decimal
    accumulator: Decimal

    @property
    def total(self) -> Decimal:
        return self.trade_fee + self.rounding_fee - self.rebate


def fill_fee(
    trade_fee: Decimal, cost: Decimal, accumulator: Decimal, precision: Decimal = CENT
) -> FillFee:
    """Kalshi's per-fill rounding: ``cost`` is what the fill takes from the balance before
    fees (the contracts' price), ``accumulator`` the order's rounding so far."""
    change = -cost - trade_fee
    floored = change.quantize(precision, rounding=ROUND_FLOOR)
    rounding = change - floored
    accumulated = accumulator + rounding
    rebate = ZERO
    # A net fee is never negative (Kalshi: "always >= $0.00"): a fill whose own fee is under a
    # cent (a fill worth less than a cent) leaves the refund to a later fill.
    if accumulated > CENT and trade_fee + rounding >= CENT:
        rebate = CENT
        accumulated -= CENT
    return FillFee(trade_fee, rounding, rebate, accumulated)
