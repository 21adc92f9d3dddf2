"""Reading request bodies the way the exchange does: each bad field is a 400 naming it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from kalshi_testing._engine import MAX_SUBACCOUNT
from kalshi_testing._errors import FakeError, invalid_order, invalid_price
from kalshi_testing._exchange import Context
from kalshi_testing._state import Market

__all__ = [
    "PRICE_PLACES",
    "bad",
    "body_of",
    "boolean",
    "count_value",
    "fixed",
    "integer",
    "on_grid",
    "optional_fixed",
    "optional_integer",
    "string",
    "subaccount_of",
]

_TWO_PLACES = 2
_PRICE_PLACES = 6


def body_of(ctx: Context) -> dict[str, Any]:
    """The JSON object body (an empty one when the request had none)."""
    if ctx.body is None:
        return {}
    if not isinstance(ctx.body, dict):
        raise FakeError(400, "invalid_parameters", "request body must be a JSON object")
    return ctx.body


def bad(name: str, why: str) -> FakeError:
    return FakeError(400, "invalid_parameters", f"{name} {why}", name)


def string(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise bad(name, "is required")
        return None
    if not isinstance(value, str):
        raise bad(name, "must be a string")
    return value


def _decimal(name: str, raw: Any, places: int) -> Decimal:
    if not isinstance(raw, str):
        raise bad(name, "must be a decimal string")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad(name, "is not a number") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (isinstance(exponent, int) and -exponent > places):
        raise bad(name, f"allows at most {places} decimal places")
    return value


def optional_fixed(body: dict[str, Any], name: str, places: int = _TWO_PLACES) -> Decimal | None:
    """A fixed-point string field (``*_fp`` counts: two places; ``*_dollars``: six)."""
    raw = body.get(name)
    if raw is None:
        return None
    return _decimal(name, raw, places)


def fixed(body: dict[str, Any], name: str, places: int = _TWO_PLACES) -> Decimal:
    value = optional_fixed(body, name, places)
    if value is None:
        raise bad(name, "is required")
    return value


def optional_integer(
    body: dict[str, Any], name: str, lo: int | None = None, hi: int | None = None
) -> int | None:
    raw = body.get(name)
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise bad(name, "must be an integer")
    if (lo is not None and raw < lo) or (hi is not None and raw > hi):
        raise bad(name, "is out of range")
    return raw


def integer(body: dict[str, Any], name: str, lo: int | None = None, hi: int | None = None) -> int:
    value = optional_integer(body, name, lo, hi)
    if value is None:
        raise bad(name, "is required")
    return value


def boolean(body: dict[str, Any], name: str) -> bool:
    raw = body.get(name)
    if raw is None:
        return False
    if not isinstance(raw, bool):
        raise bad(name, "must be a boolean")
    return raw


def subaccount_of(body: dict[str, Any], name: str = "subaccount") -> int:
    """A subaccount number field (0 when omitted)."""
    value = optional_integer(body, name, 0, MAX_SUBACCOUNT)
    return 0 if value is None else value


def on_grid(market: Market, value: Decimal, name: str = "price") -> Decimal:
    """``value`` as a price of ``market``: strictly between 0 and 1, on its tick grid."""
    if not Decimal(0) < value < Decimal(1) or value % market.tick:
        raise invalid_price(
            f"{name} {value} is not a valid price for {market.ticker} (tick {market.tick})"
        )
    return value


def count_value(value: Decimal, name: str = "count") -> Decimal:
    if value <= 0:
        raise invalid_order(f"{name} must be positive")
    return value


PRICE_PLACES = _PRICE_PLACES
