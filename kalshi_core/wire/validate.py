"""Argument validation: every request value is checked against its spec kind before sending.

``normalize(value, kind, where)`` returns the JSON-ready form of a user's argument or raises
``ValidationError`` naming ``where`` (the argument, or a path into it such as ``orders[3].price``).
Money is never a float: a float where a dollar amount or a fixed-point count is expected is
refused with a message that says to pass a ``Decimal`` or a string.

Times: a ``date-time`` field takes a timezone-aware ``datetime`` or ISO 8601 text with an
offset (``"2026-01-12T15:24:03Z"``); an integer ``*_ts`` field (Unix seconds) takes an ``int``,
a float of seconds (its fraction dropped), an aware ``datetime`` or ISO 8601 text. A naive
``datetime``, text without an offset, or a number of milliseconds where seconds are expected
is refused with a ``ValidationError`` naming the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias

from kalshi_core.errors import ValidationError
from kalshi_core.models._base import TolerantEnum
from kalshi_core.wire.rules import check_schema

if TYPE_CHECKING:  # the schema's classes load with the operation table
    from kalshi_core.wire.schema import Field, Kind

__all__ = [
    "DateTimeInput",
    "DecimalInput",
    "TimestampInput",
    "normalize",
    "normalize_fields",
    "to_datetime",
    "to_decimal",
    "to_timestamp",
]

DecimalInput = Decimal | str | int
#: A ``date-time`` argument: an aware ``datetime`` or ISO 8601 text with an offset.
DateTimeInput = datetime | str
#: An integer ``*_ts`` argument (Unix seconds): also an aware ``datetime`` or ISO 8601 text.
TimestampInput = int | float | datetime | str

# Unix seconds beyond this (year 5138) are milliseconds passed by mistake.
_MAX_SECONDS = 10**11
_FRACTION = re.compile(r"(\.\d{6})\d+")

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


def to_datetime(value: object, where: str) -> datetime:
    """``value`` (an aware ``datetime`` or ISO 8601 text with an offset) as an aware
    ``datetime``; a naive one, text without an offset, or anything else is refused."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                where,
                "a naive datetime has no timezone; pass an aware one (tzinfo=UTC) "
                "or ISO 8601 text with an offset",
            )
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", text))
        except ValueError:
            raise ValidationError(
                where, f"{value!r} is not an ISO 8601 date-time (e.g. '2026-01-12T15:24:03Z')"
            ) from None
        if parsed.tzinfo is None:
            raise ValidationError(
                where, f"{value!r} has no timezone offset; add 'Z' (UTC) or '+HH:MM'"
            )
        return parsed
    raise ValidationError(
        where, f"expected an aware datetime or ISO 8601 text, got {type(value).__name__}"
    )


def to_timestamp(value: object, where: str) -> int:
    """``value`` as Unix seconds: an ``int``, a float of seconds (fraction dropped), an aware
    ``datetime`` or ISO 8601 text with an offset."""
    if isinstance(value, (datetime, str)):
        return math.floor(to_datetime(value, where).timestamp())
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(where, f"{value!r} is not a time")
        value = math.floor(value)
    if isinstance(value, bool) or not isinstance(value, int):
        got = type(value).__name__
        raise ValidationError(
            where, f"expected Unix seconds, an aware datetime or ISO 8601 text, got {got}"
        )
    if abs(value) >= _MAX_SECONDS:
        raise ValidationError(where, f"{value} looks like milliseconds; pass Unix seconds")
    return value


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
        if kind.timestamp:
            value = to_timestamp(value, where)
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
        return to_datetime(value, where).isoformat().replace("+00:00", "Z")
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
