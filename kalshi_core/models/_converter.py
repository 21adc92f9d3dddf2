"""The one cattrs converter: JSON-decoded data to models and back.

Two converters share the same hooks. ``FAST`` structures without detailed validation (the hot
path: pages of a thousand orders), through the compiled per-model functions of ``_compiled``;
when it fails, ``DETAILED`` re-runs once on the same data
to say which field was wrong. ``structure`` wraps both and raises ``StructureError`` with a
message naming the field.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory, mapping_structure_factory
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception

from kalshi_core.models._base import Model, TolerantEnum
from kalshi_core.models._compiled import compile_structure, compiles

__all__ = ["DETAILED", "FAST", "StructureError", "build", "structure", "unstructure"]

T = TypeVar("T")

# How much of a received string an error message shows.
_SHOWN = 40


def _shown(value: str) -> str:
    """A received string for an error message: its first ``_SHOWN`` characters, quoted."""
    return repr(value[:_SHOWN]) + ("..." if len(value) > _SHOWN else "")


def _decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal: {_shown(value)}") from None
        if not result.is_finite():
            raise ValueError(f"not a finite decimal: {_shown(value)}")
        return result
    if isinstance(value, bool):
        raise TypeError("a boolean is not a decimal")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"expected a decimal string, got {type(value).__name__}")


def _datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    try:
        # Go's nine fractional digits are read too (Python 3.11 keeps the first six).
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {_shown(value)}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"not an integer: {_shown(value)}") from None
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _str(value: Any, _: Any) -> str:
    # cattrs' default would turn 5 into "5" and ["a"] into "['a']": a wrong-typed body raises.
    if isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _bool(value: Any, _: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _enum(value: Any, cls: type[TolerantEnum]) -> TolerantEnum:
    if not isinstance(value, str):
        raise TypeError(f"expected a string for {cls.__name__}, got {type(value).__name__}")
    return cls(value)


def _enum_value(member: Any) -> Any:
    """An enum member's value; a field holding plain text (a model built by hand) keeps it."""
    return member.value if isinstance(member, TolerantEnum) else member


def _format_datetime(value: datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _strict_model(converter: cattrs.Converter) -> Callable[[type[Any]], Any]:
    """Models structure only from JSON objects (cattrs alone would take a string as a model)."""

    def factory(cls: type[Any]) -> Any:
        inner = make_dict_structure_fn(cls, converter)
        name = cls.__name__
        keeps = issubclass(cls, Model)

        def hook(data: Any, _: Any) -> Any:
            if data.__class__ is not dict:
                raise TypeError(f"expected a JSON object for {name}, got {type(data).__name__}")
            result = inner(data, cls)
            if keeps:
                # The object it came from, as the compiled path keeps it (see ``Model``).
                object.__setattr__(result, "_kalshi_raw", data)
            return result

        return hook

    return factory


# Built at run time from the element types (``list[X | None]``); typed ``Any`` for mypy.
_LIST: Any = list
_DICT: Any = dict
_OPTIONAL: Any = typing.Optional


def _strict_container(converter: cattrs.Converter, kind: type) -> Callable[[Any], Any]:
    """Lists structure only from JSON arrays and maps only from JSON objects; a ``null``
    element (or map value) stays ``None``."""
    make = list_structure_factory if kind is list else mapping_structure_factory

    def factory(t: Any) -> Any:
        args: tuple[Any, ...] = get_args(t)
        tolerant: Any = t
        if kind is list and len(args) == 1:
            tolerant = _LIST[_OPTIONAL[args[0]]]
        elif len(args) == 2:
            tolerant = _DICT[args[0], _OPTIONAL[args[1]]]
        inner: Any = make(tolerant, converter)
        label = "array" if kind is list else "object"

        def hook(data: Any, _: Any) -> Any:
            if data.__class__ is not kind:
                raise TypeError(f"expected a JSON {label}, got {type(data).__name__}")
            return inner(data, t)

        return hook

    return factory


def _is_list(t: Any) -> bool:
    return get_origin(t) is list


def _is_dict(t: Any) -> bool:
    return get_origin(t) is dict


def _configure(converter: cattrs.Converter) -> cattrs.Converter:
    converter.register_structure_hook_factory(attrs.has, _strict_model(converter))
    converter.register_structure_hook_factory(_is_list, _strict_container(converter, list))
    converter.register_structure_hook_factory(_is_dict, _strict_container(converter, dict))
    converter.register_structure_hook(Decimal, _decimal)
    converter.register_structure_hook(datetime, _datetime)
    converter.register_structure_hook(int, _int)
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(str, _str)
    # Registered by class, so that it wins over the ``str`` hook for these ``str`` subclasses.
    converter.register_structure_hook(TolerantEnum, _enum)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(datetime, _format_datetime)
    # By class, so that it wins over cattrs' ``str`` passthrough (these enums are ``str``
    # subclasses): unstructured data holds plain strings, not enum members.
    converter.register_unstructure_hook(TolerantEnum, _enum_value)
    return converter


def build() -> tuple[cattrs.Converter, cattrs.Converter]:
    """The two converters, configured afresh: the fast one (structuring through the compiled
    per-model functions of ``_compiled``) and the detailed one (stock cattrs with the same
    hooks, for naming the bad field). ``FAST`` and ``DETAILED`` are built by it at import; the
    mutation session builds them again before each test of its conversion group (see
    docs/mutation.md)."""
    fast = _configure(cattrs.Converter(detailed_validation=False, omit_if_default=True))
    fast.register_structure_hook_factory(compiles, lambda cls: compile_structure(cls, fast))
    detailed = _configure(cattrs.Converter(detailed_validation=True, omit_if_default=True))
    return fast, detailed


FAST, DETAILED = build()


class StructureError(Exception):
    """Data did not fit a model; the message names the field (``orders[3].created_time``)."""


def structure(data: Any, cls: type[T]) -> T:
    """Structure decoded JSON into ``cls``, raising ``StructureError`` naming the bad field."""
    try:
        return FAST.structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - any failure is re-diagnosed below
        fast_error = exc
    try:
        DETAILED.structure(data, cls)
    except Exception as exc:  # noqa: BLE001
        raise StructureError(_explain(exc, cls)) from None
    # The compiled fast path is stricter than stock cattrs about containers (a string is not
    # a list of orders, a list is not an object); its refusal stands.
    raise StructureError(f"{cls.__name__}: {fast_error}")


def _describe(exc: BaseException, type_: type[Any] | None) -> str:
    """What was wrong with one value: the hooks' own words (``expected a boolean, got str``,
    ``not a decimal: 'abc'``), else cattrs' (``required field missing``)."""
    if isinstance(exc, (TypeError, ValueError)) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return format_exception(exc, type_)


# At most this many problems are named in one message.
_PROBLEMS_SHOWN = 5


def _explain(exc: BaseException, cls: type[Any]) -> str:
    """The message of a ``StructureError``: ``what was wrong @ Model.field[index]``, for up to
    ``_PROBLEMS_SHOWN`` problems, ``; ``-separated."""
    if isinstance(exc, (cattrs.ClassValidationError, cattrs.IterableValidationError)):
        lines = cattrs.transform_error(exc, path=cls.__name__, format_exception=_describe)
        return "; ".join(lines[:_PROBLEMS_SHOWN])
    return f"{cls.__name__}: {exc}"


def unstructure(model: Any) -> Any:
    """A model as JSON-ready data: fields that are ``None`` are left out."""
    return FAST.unstructure(model)
