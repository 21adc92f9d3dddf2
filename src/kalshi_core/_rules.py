"""Rules the spec states in prose rather than in its schemas, checked before sending.

Each rule takes the already-normalized (JSON-ready) values and a field prefix for messages, and
raises ``ValidationError`` naming the field. Schema rules apply wherever the schema appears,
including inside batches (``orders[3].price``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kalshi_core.errors import ValidationError

__all__ = ["check_params", "check_schema"]

# Subaccount numbers: 0 is the primary account, 1-63 are subaccounts.
SUBACCOUNT_MAX = 63


def _price_in_unit_interval(values: Mapping[str, Any], name: str, where: str) -> None:
    if name in values and not Decimal(0) < Decimal(values[name]) < Decimal(1):
        raise ValidationError(
            where + name, f"must be between 0 and 1 dollars, exclusive; got {values[name]}"
        )


def _positive(values: Mapping[str, Any], name: str, where: str) -> None:
    if name in values and Decimal(values[name]) <= 0:
        raise ValidationError(where + name, f"must be greater than 0, got {values[name]}")


def _subaccount(values: Mapping[str, Any], where: str) -> None:
    value = values.get("subaccount")
    if value is not None and not 0 <= int(value) <= SUBACCOUNT_MAX:
        raise ValidationError(
            where + "subaccount", f"must be 0 (primary) to {SUBACCOUNT_MAX}, got {value}"
        )


def _order_v2(values: Mapping[str, Any], where: str) -> None:
    _price_in_unit_interval(values, "price", where)
    _positive(values, "count", where)
    _subaccount(values, where)
    if (
        values.get("expiration_time") is not None
        and values.get("time_in_force") == "immediate_or_cancel"
    ):
        raise ValidationError(
            where + "expiration_time", "cannot be combined with time_in_force='immediate_or_cancel'"
        )


SCHEMA_RULES: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "CreateOrderV2Request": _order_v2,
}


def check_schema(schema: str, values: Mapping[str, Any], where: str = "") -> None:
    """Apply the prose rules of a request schema to its normalized values."""
    rule = SCHEMA_RULES.get(schema)
    if rule is not None:
        rule(values, where)


def check_params(operation: str, values: Mapping[str, Any]) -> None:
    """Apply the prose rules of path and query parameters (any operation)."""
    _subaccount(values, "")
    for name in ("order_id", "order_group_id", "ticker", "event_ticker", "market_ticker"):
        value = values.get(name)
        if value is not None and isinstance(value, str) and not value.strip():
            raise ValidationError(name, "must not be empty")
