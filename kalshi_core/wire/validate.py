"""Argument validation: every request value is checked against its spec kind before sending.

``normalize(value, kind, where)`` returns the JSON-ready form of a user's argument or raises
``ValidationError`` naming ``where`` (the argument, or a path into it such as ``orders[3].price``).
Money is never a float: a float where a dollar amount or a fixed-point count is expected is
refused with a message that says to pass a ``Decimal`` or a string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias

from kalshi_core.errors import ValidationError
from kalshi_core.models._base import TolerantEnum
from kalshi_core.wire.rules import check_schema

if TYPE_CHECKING:  # the schema's classes load with the operation table
    from kalshi_core.wire.schema import Field, Kind

__all__ = ["DecimalInput", "normalize", "normalize_fields", "to_decimal"]

DecimalInput = Decimal | str | int

# Places a request may carry: the spec says dollar fields take 2-4 decimals, counts 0-2.
_PLACES = {"dollars": 4, "count": 2}

SchemaLookup: TypeAlias = "Callable[[str], tuple[Field, ...]]"


def to_decimal(value: object, where: str, money: str | None = None) -> Decimal:
    """``value`` as a finite ``Decimal``; floats and booleans are refused."""
    if isinstance(value, float):
        raise ValidationError(
            where, f"got the float {value!r}; pass a Decimal or a string such as '{value}'"
        )
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int)):
        raise ValidationError(where, f"expected a Decimal or a string, got {type(value).__name__}")
    try:
        result = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(where, f"{value!r} is not a decimal number") from None
    if not result.is_finite():
        raise ValidationError(where, f"{value!r} is not a finite number")
    places = _PLACES.get(money or "")
    exponent = result.as_tuple().exponent
    if places is not None and isinstance(exponent, int) and -exponent > places:
        unit = "dollar amounts" if money == "dollars" else "contract counts"
        raise ValidationError(where, f"{value!s} has more than {places} decimal places ({unit})")
    return result


_CENTS = Decimal("0.01")


def _format_decimal(value: Decimal, money: str | None) -> str:
    """The wire text: plain notation; dollar amounts with at least two places ("0.50"), the
    shortest form the spec's examples use and every request field accepts."""
    exponent = value.as_tuple().exponent
    if money == "dollars" and isinstance(exponent, int) and exponent > -2:
        value = value.quantize(_CENTS)
    return format(value, "f")


def _check_int(value: object, kind: Kind, where: str) -> int:
    if isinstance(value, float):
        raise ValidationError(where, f"got the float {value!r}; pass an integer")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(where, f"expected an integer, got {type(value).__name__}")
    if kind.minimum is not None and value < kind.minimum:
        raise ValidationError(where, f"must be at least {kind.minimum}, got {value}")
    if kind.maximum is not None and value > kind.maximum:
        raise ValidationError(where, f"must be at most {kind.maximum}, got {value}")
    return value


def _check_enum(value: object, kind: Kind, where: str) -> str:
    text = value.value if isinstance(value, TolerantEnum) else value
    if not isinstance(text, str) or text not in kind.values:
        allowed = ", ".join(repr(v) for v in kind.values)
        raise ValidationError(where, f"must be one of {allowed}, got {value!r}")
    return text


def normalize(value: Any, kind: Kind, where: str, schemas: SchemaLookup) -> Any:
    """The JSON-ready form of ``value`` for a field of ``kind``, or ``ValidationError``."""
    k = kind.kind
    if k == "str":
        if not isinstance(value, str):
            raise ValidationError(where, f"expected a string, got {type(value).__name__}")
        return value
    if k == "int":
        return _check_int(value, kind, where)
    if k == "bool":
        if not isinstance(value, bool):
            raise ValidationError(where, f"expected True or False, got {type(value).__name__}")
        return value
    if k == "decimal":
        return _format_decimal(to_decimal(value, where, kind.money), kind.money)
    if k == "enum":
        return _check_enum(value, kind, where)
    if k == "datetime":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValidationError(where, "expected a timezone-aware datetime")
        return value.isoformat().replace("+00:00", "Z")
    if k == "list":
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ValidationError(where, f"expected a list, got {type(value).__name__}")
        if kind.min_items is not None and len(value) < kind.min_items:
            raise ValidationError(where, f"needs at least {kind.min_items} items, got {len(value)}")
        if kind.max_items is not None and len(value) > kind.max_items:
            raise ValidationError(where, f"takes at most {kind.max_items} items, got {len(value)}")
        assert kind.item is not None
        return [normalize(v, kind.item, f"{where}[{i}]", schemas) for i, v in enumerate(value)]
    if k == "model":
        if hasattr(type(value), "__attrs_attrs__"):  # a model (attrs class) given as input
            from kalshi_core.models._converter import unstructure

            value = unstructure(value)
        if not isinstance(value, Mapping):
            raise ValidationError(where, f"expected a {kind.name} or a mapping")
        out = normalize_fields(value, schemas(kind.name or ""), where + ".", schemas)
        check_schema(kind.name or "", out, where + ".")
        return out
    if k == "dict":
        if not isinstance(value, Mapping):
            raise ValidationError(where, f"expected a mapping, got {type(value).__name__}")
        return dict(value)
    return value


def normalize_fields(
    values: Mapping[str, Any], fields: tuple[Field, ...], prefix: str, schemas: SchemaLookup
) -> dict[str, Any]:
    """Validate a mapping against field specs: required fields present, no unknown keys."""
    known = {f.name for f in fields}
    unknown = [k for k in values if k not in known]
    if unknown:
        raise ValidationError(prefix + unknown[0], "is not a field of this request")
    out: dict[str, Any] = {}
    for f in fields:
        value = values.get(f.name)
        if value is None:
            if f.required:
                raise ValidationError(prefix + f.name, "is required")
            continue
        out[f.name] = normalize(value, f.kind, prefix + f.name, schemas)
    return out
