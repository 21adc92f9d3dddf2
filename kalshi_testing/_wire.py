"""How the fake exchange writes values on the wire, as Kalshi does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

__all__ = ["cents", "count_fp", "dollars", "error_body", "iso", "price"]

_PRICE = Decimal("0.0001")
_MICRO = Decimal("0.000001")
_COUNT = Decimal("0.01")
_CENT = Decimal("0.01")


def price(value: Decimal) -> str:
    """A price or dollar amount as Kalshi emits it: four decimals (``"0.5600"``), or up to six
    when the amount needs them (responses "emit up to 6")."""
    short = value.quantize(_PRICE)
    if short == value:
        return str(short)
    return str(value.quantize(_MICRO))


dollars = price


def count_fp(value: Decimal) -> str:
    """A fixed-point contract count: two decimals (``"10.00"``)."""
    return str(value.quantize(_COUNT))


def cents(value: Decimal) -> int:
    """Dollars as whole cents, rounded down (what the integer ``balance`` fields carry)."""
    return int((value / _CENT).to_integral_value(rounding=ROUND_FLOOR))


def iso(ts: float) -> str:
    """Unix seconds as an RFC 3339 UTC timestamp with microseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def error_body(code: str, message: str, details: str | None = None) -> dict[str, Any]:
    """Kalshi's error shape: ``{"error": {"code", "message", "details"}}``."""
    inner: dict[str, Any] = {"code": code, "message": message}
    if details:
        inner["details"] = details
    return {"error": inner}
