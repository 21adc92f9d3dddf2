"""Rules the spec states in prose rather than in its schemas, checked before sending.

Each rule takes the already-normalized (JSON-ready) values and a field prefix for messages, and
raises ``ValidationError`` naming the field. Schema rules apply wherever the schema appears,
including inside batches (``orders[3].price``). Field rules (subaccount ranges, integer and
``_fp`` twins that must agree) apply to every request schema and to path and query parameters.

Sources, by rule: spec 3.31 (``CreateOrderV2Request``: ``immediate_or_cancel`` cannot be combined
with ``expiration_time``; ``reduce_only`` orders are rejected unless ``time_in_force`` is
``immediate_or_cancel``; ``DecreaseOrderV2Request``: exactly one of ``reduce_by``/``reduce_to``;
subaccounts 0-63), spec 3.13 and the seeds for V1 (prices in cents 1-99, exactly one price form,
``count``/``count_fp`` twins that must match, ``sell_position_floor`` only 0, batches of at most
20 orders).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kalshi_core.errors import ValidationError

__all__ = ["MAX_BATCH", "SUBACCOUNT_MAX", "check_params", "check_schema"]

# Subaccount numbers: 0 is the primary account, 1-63 are subaccounts (spec 3.31).
SUBACCOUNT_MAX = 63
# Orders per batch create or cancel, both generations (spec 3.13 and the seeds: "up to 20").
MAX_BATCH = 20

_SUBACCOUNT_FIELDS = (
    "subaccount",
    "subaccount_number",
    "from_subaccount",
    "to_subaccount",
    "source_subaccount",
    "destination_subaccount",
)
# Integer fields with a fixed-point ``_fp`` twin: when both are given they must agree.
_TWINS = ("count", "reduce_by", "reduce_to", "contracts_limit")
_V1_PRICES = ("yes_price", "no_price", "yes_price_dollars", "no_price_dollars")

Rule = Callable[[Mapping[str, Any], str], None]


# -- building blocks ---------------------------------------------------------------------------
def _price_in_unit_interval(values: Mapping[str, Any], name: str, where: str) -> None:
    if name in values and not Decimal(0) < Decimal(values[name]) < Decimal(1):
        raise ValidationError(
            where + name, f"must be between 0 and 1 dollars, exclusive; got {values[name]}"
        )


def _positive(values: Mapping[str, Any], name: str, where: str) -> None:
    if name in values and Decimal(values[name]) <= 0:
        raise ValidationError(where + name, f"must be greater than 0, got {values[name]}")


def _not_negative(values: Mapping[str, Any], name: str, where: str) -> None:
    if name in values and Decimal(values[name]) < 0:
        raise ValidationError(where + name, f"must not be negative, got {values[name]}")


def _subaccounts(values: Mapping[str, Any], where: str) -> None:
    for name in _SUBACCOUNT_FIELDS:
        value = values.get(name)
        if isinstance(value, int) and not 0 <= value <= SUBACCOUNT_MAX:
            raise ValidationError(
                where + name, f"must be 0 (primary) to {SUBACCOUNT_MAX}, got {value}"
            )


def _twins_agree(values: Mapping[str, Any], where: str) -> None:
    for name in _TWINS:
        fp = name + "_fp"
        if name in values and fp in values and Decimal(values[name]) != Decimal(values[fp]):
            raise ValidationError(
                where + fp,
                f"must equal {name} ({values[name]}) when both are given, got {values[fp]}",
            )


def _one_of(values: Mapping[str, Any], names: tuple[str, ...], where: str) -> None:
    """At least one of ``names`` is given (twins that say the same thing count once)."""
    if not any(n in values for n in names):
        raise ValidationError(where + names[0], f"is required (or {', '.join(names[1:])})")


def _exactly_one(
    values: Mapping[str, Any], groups: tuple[tuple[str, ...], ...], where: str
) -> None:
    """Exactly one of ``groups`` is given; a group is a field and its twins."""
    given = [g for g in groups if any(n in values for n in g)]
    if len(given) == 1:
        return
    names = " or ".join(g[0] if len(g) == 1 else f"{g[0]} (or {', '.join(g[1:])})" for g in groups)
    if not given:
        raise ValidationError(where + groups[0][0], f"exactly one of {names} is required")
    first = next(n for n in given[0] if n in values)
    second = next(n for n in given[1] if n in values)
    raise ValidationError(where + second, f"cannot be combined with {first}: pass exactly one")


def _batch(values: Mapping[str, Any], name: str, where: str) -> None:
    items = values.get(name)
    if items is None:
        return
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValidationError(
            where + name,
            f"takes 1 to {MAX_BATCH} orders per batch, got {len(items)}; "
            "kalshi_core.trading.split_batches sends a longer list in compliant batches",
        )


# -- V2 (current) ------------------------------------------------------------------------------
def _create_order_v2(values: Mapping[str, Any], where: str) -> None:
    _price_in_unit_interval(values, "price", where)
    _positive(values, "count", where)
    tif = values.get("time_in_force")
    if values.get("expiration_time") is not None and tif == "immediate_or_cancel":
        raise ValidationError(
            where + "expiration_time", "cannot be combined with time_in_force='immediate_or_cancel'"
        )
    if values.get("reduce_only") is True and tif != "immediate_or_cancel":
        raise ValidationError(
            where + "reduce_only",
            f"requires time_in_force='immediate_or_cancel' (the exchange rejects it with {tif!r})",
        )


def _amend_order_v2(values: Mapping[str, Any], where: str) -> None:
    _price_in_unit_interval(values, "price", where)
    _positive(values, "count", where)


def _decrease_order_v2(values: Mapping[str, Any], where: str) -> None:
    _exactly_one(values, (("reduce_by",), ("reduce_to",)), where)
    _positive(values, "reduce_by", where)
    _not_negative(values, "reduce_to", where)


def _batch_orders(values: Mapping[str, Any], where: str) -> None:
    _batch(values, "orders", where)


# -- V1 (legacy, spec 3.13 and the seeds) ------------------------------------------------------
def _v1_prices(values: Mapping[str, Any], where: str, required: bool) -> None:
    given = [n for n in _V1_PRICES if n in values]
    if len(given) > 1:
        raise ValidationError(
            where + given[1], f"cannot be combined with {given[0]}: pass exactly one price form"
        )
    if not given and required:
        raise ValidationError(
            where + "yes_price",
            "a limit order needs exactly one of yes_price, no_price, yes_price_dollars, "
            "no_price_dollars",
        )
    _price_in_unit_interval(values, "yes_price_dollars", where)
    _price_in_unit_interval(values, "no_price_dollars", where)


def _create_order_v1(values: Mapping[str, Any], where: str) -> None:
    # Without a price an order is only meaningful as a buy with a cost cap (buy_max_cost).
    _v1_prices(values, where, required="buy_max_cost" not in values)
    _one_of(values, ("count", "count_fp"), where)
    _positive(values, "count_fp", where)
    if values.get("sell_position_floor") not in (None, 0):
        raise ValidationError(
            where + "sell_position_floor",
            f"only accepts 0 (deprecated: use reduce_only), got {values['sell_position_floor']}",
        )


def _amend_order_v1(values: Mapping[str, Any], where: str) -> None:
    _v1_prices(values, where, required=True)
    _positive(values, "count_fp", where)


def _decrease_order_v1(values: Mapping[str, Any], where: str) -> None:
    _exactly_one(values, (("reduce_by", "reduce_by_fp"), ("reduce_to", "reduce_to_fp")), where)
    _positive(values, "reduce_by_fp", where)
    _not_negative(values, "reduce_to_fp", where)


def _batch_cancel_v1(values: Mapping[str, Any], where: str) -> None:
    _exactly_one(values, (("orders",), ("ids",)), where)
    _batch(values, "orders", where)
    _batch(values, "ids", where)


# -- order groups and money movement -----------------------------------------------------------
def _group_limit(values: Mapping[str, Any], where: str) -> None:
    _one_of(values, ("contracts_limit", "contracts_limit_fp"), where)
    _positive(values, "contracts_limit_fp", where)


def _amount(name: str) -> Rule:
    def rule(values: Mapping[str, Any], where: str) -> None:
        _positive(values, name, where)

    return rule


SCHEMA_RULES: dict[str, Rule] = {
    "CreateOrderV2Request": _create_order_v2,
    "AmendOrderV2Request": _amend_order_v2,
    "DecreaseOrderV2Request": _decrease_order_v2,
    "BatchCreateOrdersV2Request": _batch_orders,
    "BatchCancelOrdersV2Request": _batch_orders,
    "CreateOrderRequest": _create_order_v1,
    "AmendOrderRequest": _amend_order_v1,
    "DecreaseOrderRequest": _decrease_order_v1,
    "BatchCreateOrdersRequest": _batch_orders,
    "BatchCancelOrdersRequest": _batch_cancel_v1,
    "CreateOrderGroupRequest": _group_limit,
    "UpdateOrderGroupLimitRequest": _group_limit,
    "ApplySubaccountTransferRequest": _amount("amount_cents"),
    "IntraExchangeInstanceTransferRequest": _amount("amount"),
}


def check_schema(schema: str, values: Mapping[str, Any], where: str = "") -> None:
    """Apply the field rules and the prose rules of a request schema to its normalized values."""
    _subaccounts(values, where)
    _twins_agree(values, where)
    rule = SCHEMA_RULES.get(schema)
    if rule is not None:
        rule(values, where)


def check_params(operation: str, values: Mapping[str, Any]) -> None:
    """Apply the prose rules of path and query parameters (any operation)."""
    _subaccounts(values, "")
    for name in ("order_id", "order_group_id", "ticker", "event_ticker", "market_ticker"):
        value = values.get(name)
        if value is not None and isinstance(value, str) and not value.strip():
            raise ValidationError(name, "must not be empty")
