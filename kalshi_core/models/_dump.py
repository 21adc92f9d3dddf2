"""Models back to JSON: compiled per-class functions behind ``Model.to_dict``/``to_json``.

``compile_dump(cls)`` writes, once per attrs class, a function from an instance to JSON-ready
data (``dict``, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``). The contract:

* A model parsed from JSON (it keeps that object, see ``Model``) goes back out as that object:
  the same keys in the same order, the keys the model does not declare (``extra_fields``),
  ``null``s where ``null`` was sent, a timestamp's text as received (``"...03.5Z"`` stays
  ``"...03.5Z"``), a money field as the JSON string or number it came as. A field changed
  since (assigned, cleared to ``None``) goes out with its new value, or not at all.
* A model built in Python goes out with its non-``None`` fields, in declaration order:
  ``Decimal`` as its string (``"0.5600"``), or as a JSON number for a field whose attrs
  metadata says ``{"json": "number"}`` (the legacy integer-era fields), ``datetime`` in
  RFC 3339 with ``Z`` for UTC and the fraction's trailing zeros dropped (Go's form, which is
  Kalshi's), enums as their value.

A ``null`` element of a list or value of a map stays ``None``.
"""

from __future__ import annotations

import json
import operator
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from kalshi_core.models._base import TolerantEnum

__all__ = ["compile_dump", "dump", "dumps", "field_names", "format_datetime", "json_number"]

Dump = Callable[[Any], Any]
_dumps: dict[type, Callable[[Any], dict[str, Any]]] = {}
_names: dict[type, frozenset[str]] = {}
_fromisoformat = datetime.fromisoformat

try:
    import orjson
except ImportError:  # the standard library writes the same JSON (tests/test_fidelity.py)
    orjson = None  # type: ignore[assignment]


def format_datetime(value: datetime) -> str:
    """RFC 3339 as Kalshi (Go) writes it: ``Z`` for UTC, no trailing zeros in the fraction."""
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    if value.microsecond:
        dot = text.index(".")
        end = dot + 7
        text = text[:dot] + text[dot:end].rstrip("0") + text[end:]
    return text


def json_number(value: Decimal) -> int | float:
    """A decimal as the JSON number it came from: an ``int`` without a fraction (``45``),
    else the ``float`` whose shortest form is its text (``0.45``)."""
    text = str(value)
    if "." in text or "E" in text:
        return float(text)
    return int(text)


def _same_time(text: str, value: datetime) -> bool:
    """True when ``text`` (what was received) denotes ``value`` (what the model holds)."""
    try:
        same: bool = _fromisoformat(text) == value
    except ValueError:
        from kalshi_core.models._converter import _datetime

        try:
            return bool(_datetime(text, datetime) == value)
        except (TypeError, ValueError):
            return False
    return same


def same_value(value: Any, received: Any) -> bool:
    """True when ``value`` (a parsed list, map or scalar) still holds what ``received`` (the
    JSON it was parsed from) says: same shape, equal strings and numbers, a ``Decimal`` equal to
    its text or number, a ``datetime`` at the instant its text names."""
    if value is received:
        return True
    if value is None or received is None:
        return False
    cls = value.__class__
    if cls is list:
        return (
            received.__class__ is list
            and len(value) == len(received)
            and all(same_value(v, r) for v, r in zip(value, received, strict=True))
        )
    if cls is dict:
        return (
            received.__class__ is dict
            and value.keys() == received.keys()
            and all(same_value(v, received[k]) for k, v in value.items())
        )
    if cls is Decimal:
        if received.__class__ is str:
            try:
                return bool(Decimal(received) == value)
            except ArithmeticError:
                return False
        if received.__class__ is float:
            return float(value) == received
        return received.__class__ is int and value == received
    if cls is datetime:
        return received.__class__ is str and _same_time(received, value)
    if isinstance(value, bool) or isinstance(received, bool):
        return value is received
    return bool(value == received) and (received.__class__ is not float or cls is float)


def _model_items(hint: Any) -> type | None:
    """The model class of ``list[Model]`` (``None`` for any other list)."""
    args = typing.get_args(hint)
    item = _optional_of(args[0]) if len(args) == 1 else None
    return item if isinstance(item, type) and attrs.has(item) else None


def _holds_models(hint: Any) -> bool:
    """True for a list or map type whose leaves are models."""
    while True:
        args = typing.get_args(hint)
        if typing.get_origin(hint) is list and args:
            hint = args[0]
        elif typing.get_origin(hint) is dict and len(args) == 2:
            hint = args[1]
        else:
            return isinstance(hint, type) and attrs.has(hint)


def field_names(cls: type) -> frozenset[str]:
    """The JSON keys that the attrs class ``cls`` declares."""
    names = _names.get(cls)
    if names is None:
        names = _names[cls] = frozenset(a.name for a in attrs.fields(cls))
    return names


def _optional_of(hint: Any) -> Any:
    from kalshi_core.models._compiled import _optional_of as inner

    return inner(hint) or hint


def _value_dump(hint: Any, number: bool = False) -> Dump | None:
    """The function dumping a non-``None`` value of type ``hint`` (``None``: the value as is)."""
    hint = _optional_of(hint)
    if hint in (str, int, bool, float, Any) or hint is typing.Any:
        return None
    if hint is Decimal:
        return json_number if number else str
    if hint is datetime:
        return format_datetime
    if isinstance(hint, type) and issubclass(hint, TolerantEnum):
        return str
    if isinstance(hint, type) and attrs.has(hint):
        return _lazy(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        item = _value_dump(args[0], number)
        if item is None:
            return list
        return lambda v: [None if x is None else item(x) for x in v]
    if origin is dict and len(args) == 2:
        value = _value_dump(args[1], number)
        if value is None:
            return dict
        return lambda v: {k: None if x is None else value(x) for k, x in v.items()}
    return None


def _lazy(cls: type) -> Dump:
    """The dump of ``cls``, compiled on first use (models may nest themselves)."""

    def dump_nested(value: Any) -> Any:
        if value.__class__ is not cls and not isinstance(value, cls):
            return dump(value)
        return (_dumps.get(cls) or compile_dump(cls))(value)

    return dump_nested


def _single(name: str) -> Callable[[Any], tuple[Any]]:
    """``attrgetter`` of one name, as a 1-tuple (``attrgetter`` gives the bare value)."""
    get = operator.attrgetter(name)
    return lambda m: (get(m),)


def compile_dump(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The dump function of the attrs class ``cls`` (built once, then cached).

    For a parsed model it copies the received object and rewrites only the fields whose value
    is no longer the one parsed from it (nested models are always dumped: they may have
    changed inside): the identity of a ``str``/``int``/``bool`` value, the equality of an enum
    member with its text, and, for a ``Decimal``, the parser's interning table (the same text
    gives the same object) tell an unchanged field in a few nanoseconds.
    """
    cached = _dumps.get(cls)
    if cached is not None:
        return cached
    from kalshi_core.models._compiled import _decimal_table
    from kalshi_core.models._converter import FAST

    hints = typing.get_type_hints(cls)
    fields = attrs.fields(cls)
    namespace: dict[str, Any] = {
        "_getattr": getattr,
        "_same_time": _same_time,
        "_same": same_value,
        "_fmt": format_datetime,
        "_num": json_number,
        "_str": str,
        "_int": int,
        "_float": float,
        "_interned": _decimal_table(FAST.get_structure_hook(Decimal)),
        "_keys": tuple(f.name for f in fields),
        "_KeyError": KeyError,
        "_ValueError": ValueError,
        "_fromiso": _fromisoformat,
    }
    lines = ["def dump(m):", "    o = _getattr(m, '_kalshi_raw', None)"]
    fresh = ["    if o is None:", "        d = {}"]
    kept = ["    else:", "        d = o.copy()"]
    # Fields compared in bulk (one C-level sweep per group; the per-field checks run only when
    # a group differs): ``simple`` values are the very objects parsed (or, for enums, equal to
    # the text); ``decimal`` values are the interned object of their text.
    groups: dict[str, list[tuple[int, Any]]] = {"simple": [], "decimal": [], "other": []}
    nested: list[tuple[int, Any]] = []
    for index, field in enumerate(fields):
        v, r, key = f"v{index}", f"r{index}", repr(field.name)
        hint = _optional_of(hints[field.name])
        number = field.metadata.get("json") == "number"
        # ``unchanged``: the value is still the one parsed from ``r``; ``back``: its JSON.
        group = "other"
        if hint is Decimal:
            # A JSON number (legacy cents, strikes) is compared by value, one field at a time.
            group = "other" if number else "decimal"
            plain = f"_num({v})" if number else f"_str({v})"
            unchanged = (
                f"{v} is {r} or _interned.get({r}) is {v} or ({r}.__class__ is _float "
                f"and _float({v}) == {r}) or ({r}.__class__ is _int and {v} == {r})"
            )
            # As it came: a JSON number stays a number, a string a string.
            if number:
                back = f"(_str({v}) if {r}.__class__ is _str else _num({v}))"
            else:
                back = (
                    f"(_num({v}) if {r}.__class__ is _int or {r}.__class__ is _float "
                    f"else _str({v}))"
                )
        elif hint is datetime:
            plain = back = f"_fmt({v})"
            unchanged = (
                f"{v} is {r} or ({r}.__class__ is _str and {v} is not None "
                f"and _same_time({r}, {v}))"
            )
        elif isinstance(hint, type) and issubclass(hint, TolerantEnum):
            group = "simple"
            plain = back = f"_str({v})"
            unchanged = f"{v} is {r} or {v} == {r}"
        elif isinstance(hint, type) and attrs.has(hint):
            # A nested model: its own compiled dump, bound once this class is cached.
            nested.append((index, hint))
            plain = back = f"_g{index}({v})"
            unchanged = f"{v} is None and {r} is None"
        elif typing.get_origin(hint) is list and _model_items(hint) is not None:
            nested.append((index, _model_items(hint)))
            plain = back = f"[None if x is None else _g{index}(x) for x in {v}]"
            unchanged = f"{v} is None and {r} is None"
        else:
            convert = _value_dump(hint, number)
            if convert is None:
                group = "simple"
                plain = back = v
                unchanged = f"{v} is {r}"
            else:
                namespace[f"_f{index}"] = convert
                plain = back = f"_f{index}({v})"
                if _holds_models(hint):
                    # Models inside are dumped each time (each keeps its own object).
                    unchanged = f"{v} is None and {r} is None"
                else:
                    # A list or map of plain values: kept as received while it still holds
                    # what was parsed from it.
                    unchanged = f"{v} is {r} or _same({v}, {r})"
        fresh.append(f"        if ({v} := m.{field.name}) is not None: d[{key}] = {plain}")
        check = [
            f"{v} = m.{field.name}",
            f"{r} = o.get({key})",
            f"if not ({unchanged}):",
            f"    if {v} is not None: d[{key}] = {back}",
            f"    elif {key} in d: del d[{key}]",
        ]
        if hint is datetime:
            # Inline (no call) for the usual case: the text parses back to the value.
            check = [
                f"{v} = m.{field.name}",
                f"{r} = o.get({key})",
                f"if {v} is not {r}:",
                "    try:",
                f"        same = {r}.__class__ is _str and _fromiso({r}) == {v}",
                "    except _ValueError:",
                f"        same = _same_time({r}, {v})",
                "    if not same:",
                f"        if {v} is not None: d[{key}] = {back}",
                f"        elif {key} in d: del d[{key}]",
            ]
        groups[group].append((index, check))
    for group, members in groups.items():
        if not members:
            continue
        indent = "        "
        if group != "other":
            names = [fields[i].name for i, _ in members]
            namespace[f"_{group}_keys"] = tuple(names)
            namespace[f"_{group}_get"] = (
                operator.attrgetter(*names) if len(names) > 1 else _single(names[0])
            )
            # The received values in one C-level call: ``itemgetter`` when the object has
            # every key (the last one, a legacy field when there are any, is the one most
            # often absent), else ``map(o.get, ...)``.
            g = f"_{group}"
            if len(names) > 1:
                namespace[f"{g}_items"] = operator.itemgetter(*names)
                namespace[f"{g}_last"] = names[-1]
                kept += [
                    f"        if {g}_last in o:",
                    "            try:",
                    f"                rs = {g}_items(o)",
                    "            except _KeyError:",
                    f"                rs = (*map(o.get, {g}_keys),)",
                    "        else:",
                    f"            rs = (*map(o.get, {g}_keys),)",
                ]
            else:
                kept.append(f"        rs = (o.get({names[0]!r}),)")
            if group == "decimal":
                kept.append("        rs = (*map(_interned.get, rs),)")
            kept.append(f"        if rs != {g}_get(m):")
            indent += "    "
        for _, check in members:
            kept += [indent + line for line in check]
    lines += fresh + kept + ["    return d"]
    source = "\n".join(lines)
    code = compile(source, f"<kalshi dump {cls.__qualname__}>", "exec")
    exec(code, namespace)
    function: Callable[[Any], dict[str, Any]] = namespace["dump"]
    _dumps[cls] = function
    # Nested models are compiled after this one is cached, so recursive models terminate.
    for index, inner in nested:
        namespace[f"_g{index}"] = compile_dump(inner)
    return function


def dump(model: Any) -> Any:
    """``model`` (an attrs model, or a list or map of them) as JSON-ready data."""
    cls = model.__class__
    if attrs.has(cls):
        return (_dumps.get(cls) or compile_dump(cls))(model)
    if isinstance(model, list):
        return [None if x is None else dump(x) for x in model]
    if isinstance(model, dict):
        return {k: None if x is None else dump(x) for k, x in model.items()}
    if isinstance(model, TolerantEnum):
        return model.value
    if isinstance(model, Decimal):
        return str(model)
    if isinstance(model, datetime):
        return format_datetime(model)
    return model


def dumps(model: Any, *, indent: int | None = None) -> str:
    """``dump(model)`` as JSON text (orjson when installed and no ``indent`` is asked for)."""
    data = dump(model)
    if orjson is not None and indent is None:
        try:
            return orjson.dumps(data).decode()
        except TypeError:  # what orjson cannot write (integers beyond 64 bits): the stdlib can
            pass
    separators = _SEPARATORS[indent is None]
    return json.dumps(data, indent=indent, ensure_ascii=False, separators=separators)


_SEPARATORS = {True: (",", ":"), False: (",", ": ")}
