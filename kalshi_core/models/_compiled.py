"""Compiled structuring functions for the models: the converter's fast path.

``compile_structure(cls, converter)`` writes, once per attrs model class, a Python function that
turns a decoded JSON object into an instance of ``cls``: one keyword argument per field, each
an inline type check and conversion (``str``, ``int``, ``bool``, tolerant enums), or a call to a
converter for ``Decimal``, aware ``datetime``, lists, dicts and nested models. It is what
cattrs' ``make_dict_structure_fn`` generates, specialised for our models (every field
optional, defaulting to ``None``; a missing key and ``null`` both give ``None``), without
cattrs' per-field dispatch through ``Optional``.

The checks are those of the converter's hooks in ``_converter``: nothing is skipped. A value
that does not fit raises (``TypeError``, ``ValueError``, ``decimal.InvalidOperation``...), and
``_converter.structure`` re-runs the detailed converter to name the field. A model class whose
fields do not all default to ``None`` is left to cattrs.
"""

from __future__ import annotations

import operator
import threading
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

from kalshi_core.models._base import Model, TolerantEnum

__all__ = ["compile_structure", "compiles"]

Convert = Callable[[Any], Any]
_fromisoformat = datetime.fromisoformat
_compiled: dict[type, Callable[..., Any]] = {}
# Models compiled, or being compiled, by the thread holding the lock (a stand-in while
# being compiled), not yet published in ``_compiled``.
_compiling: dict[type, Callable[..., Any]] = {}
_compiling_lock = threading.RLock()


def compiles(cls: Any) -> bool:
    """True for an attrs class whose fields all default to ``None`` (every generated model)."""
    if not (isinstance(cls, type) and attrs.has(cls)):
        return False
    return all(a.default is None and a.init for a in attrs.fields(cls))


def _plain(cls: type) -> bool:
    """True when ``__init__`` would only store its arguments: no validators, converters,
    ``on_setattr`` hooks, pre/post-init or frozen ``__setattr__``. The compiled function then
    fills the slots of a fresh instance itself, which is what that ``__init__`` does, without
    its keyword-argument matching (the larger part of its cost for a 46-field order)."""
    if getattr(cls, "__setattr__", None) is not object.__setattr__:
        return False
    if hasattr(cls, "__attrs_post_init__") or hasattr(cls, "__attrs_pre_init__"):
        return False
    return all(
        a.validator is None and a.converter is None and a.on_setattr is None and a.init
        for a in attrs.fields(cls)
    )


def _optional_of(hint: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``None``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


_DECIMALS_MAX = 1 << 16


class _Table(dict[Any, Any]):
    """A lookup table whose misses go to ``convert``: ``table[value]`` is one C-level dict
    lookup for a value seen before (a known enum value, an interned decimal string), and a call
    to ``convert`` otherwise (which raises for a value that does not fit)."""

    __slots__ = ("convert",)

    def __init__(self, convert: Convert, entries: Any = ()) -> None:
        super().__init__(entries)
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        return self.convert(value)


_DECIMALS: _Table | None = None


def _decimal_table(checked: Callable[[Any, Any], Decimal]) -> _Table:
    """The interning table of decimal strings (one per process)."""
    global _DECIMALS
    if _DECIMALS is None:
        _DECIMALS = _Table(_decimal_from(checked))
    return _DECIMALS


def _decimal_from(checked: Callable[[Any, Any], Decimal]) -> Convert:
    """A finite ``Decimal`` from a decimal string, interned (values repeat: prices, counts);
    a float is converted by the converter's own hook (``checked``) and remembered in a table
    of its own; anything else goes to ``checked``.

    ``Decimal`` is immutable and ``Decimal(text)`` is exact whatever the context, so handing
    out the same object for the same text (or the same non-zero float) is safe; each table
    stops growing at 65,536 entries.
    """

    def structure_decimal(value: Any) -> Decimal:
        if type(value) is str:
            result = Decimal(value)
            if result.is_finite():
                table = _DECIMALS
                if table is not None and len(table) < _DECIMALS_MAX:
                    table[value] = result
                return result
        elif type(value) is float:
            # A float (legacy fields such as a fill's ``price``) has its own table: keyed by
            # floats only, so ``1.0`` never answers for the int ``1`` or ``True``.
            cached: Decimal = floats[value]
            return cached
        return checked(value, Decimal)

    def structure_float(value: float) -> Decimal:
        result: Decimal = checked(value, Decimal)
        # ``0.0 == -0.0`` but their decimals differ in sign, and a NaN never finds itself:
        # only a finite non-zero float is remembered.
        if value and result.is_finite() and len(floats) < _DECIMALS_MAX:
            floats[value] = result
        return result

    floats = _Table(structure_float)
    return structure_decimal


def _datetime_from(checked: Callable[[Any, Any], datetime]) -> Convert:
    """An aware ``datetime`` from an ISO 8601 string; anything else goes to ``checked``."""

    def structure_datetime(value: Any) -> datetime:
        if type(value) is str:
            try:
                parsed = _fromisoformat(value)
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        return checked(value, datetime)

    return structure_datetime


def _list_of(convert: Convert) -> Convert:
    """A list, each element converted; a ``null`` element stays ``None``."""

    def structure_list(value: Any) -> list[Any]:
        if type(value) is not list:
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return [None if item is None else convert(item) for item in value]

    return structure_list


def _dict_of(convert: Convert) -> Convert:
    """A map, each value converted; a ``null`` value stays ``None``."""

    def structure_dict(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {type(value).__name__}")
        return {str(k): None if item is None else convert(item) for k, item in value.items()}

    return structure_dict


def _converter_for(hint: Any, converter: Any) -> Convert:
    """A one-argument function structuring a non-``None`` value of type ``hint``: a fast path
    for the common case in front of the converter's own hook for that type."""
    if hint in (str, int, bool):
        hook = converter.get_structure_hook(hint)
        exact = hint
        return lambda v: v if type(v) is exact else hook(v, exact)
    if hint is Decimal:
        return _decimal_from(converter.get_structure_hook(Decimal))
    if hint is datetime:
        return _datetime_from(converter.get_structure_hook(datetime))
    if isinstance(hint, type) and issubclass(hint, TolerantEnum):
        members = hint._value2member_map_
        enum_hook = converter.get_structure_hook(hint)
        return lambda v: members.get(v) or enum_hook(v, hint)
    if compiles(hint):
        return compile_structure(hint, converter)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        return _list_of(_converter_for(args[0], converter))
    if origin is dict and len(args) == 2 and args[0] is str:
        return _dict_of(_converter_for(args[1], converter))
    hook = converter.get_structure_hook(hint)
    return lambda v: hook(v, hint)


def _expression(hint: Any, v: str, index: int, namespace: dict[str, Any], converter: Any) -> str:
    """Source for the structured value of field ``index``, held in the local ``v``."""
    if hint is str:
        namespace["_str"] = _converter_for(str, converter)
        return f"({v} if {v} is None or type({v}) is str else _str({v}))"
    if hint is int:
        namespace["_int"] = _converter_for(int, converter)
        return f"({v} if {v} is None or type({v}) is int else _int({v}))"
    if hint is bool:
        namespace["_bool"] = _converter_for(bool, converter)
        return f"({v} if {v} is None or {v} is True or {v} is False else _bool({v}))"
    namespace[f"_f{index}"] = _converter_for(hint, converter)
    if isinstance(hint, type) and issubclass(hint, TolerantEnum):
        # A known value is one dict lookup; anything else goes through the enum hook.
        namespace[f"_m{index}"] = _Table(namespace[f"_f{index}"], hint._value2member_map_)
        return f"(None if {v} is None else _m{index}[{v}])"
    if hint is Decimal:
        namespace["_decimals"] = _decimal_table(converter.get_structure_hook(Decimal))
        return f"(None if {v} is None else _decimals[{v}])"
    if hint is datetime:
        return (
            f"(None if {v} is None else (d if type({v}) is str and (d := _fromisoformat({v}))"
            f".tzinfo is not None else _f{index}({v})))"
        )
    return f"(None if {v} is None else _f{index}({v}))"


def compile_structure(cls: type, converter: Any) -> Callable[..., Any]:
    """The structuring function for the attrs model ``cls`` (built once, then cached).

    The function takes the decoded JSON object (and an ignored type argument, as a cattrs hook
    does) and returns the instance; extra keys are ignored. A model may refer to itself,
    directly (``parent: Node | None``) or through a list or a map (``children: list[Node]``).
    """
    cached = _compiled.get(cls)
    if cached is not None:
        return cached
    # One thread compiles at a time (another waits, then finds the function cached). The
    # functions compiled for one outermost call are published together at its end, so that no
    # other thread can reach one whose nested models are not filled in yet.
    with _compiling_lock:
        cached = _compiled.get(cls) or _compiling.get(cls)
        if cached is not None:
            return cached
        outermost = not _compiling
        # While ``cls`` is compiled, a reference back to it from a list or a map gets this
        # stand-in, which calls the finished function.
        finished: list[Callable[..., Any]] = []

        def pending(o: Any, _: Any = None) -> Any:
            return finished[0](o)

        _compiling[cls] = pending
        try:
            function, namespace, deferred = _build_structure(cls, converter)
            finished.append(function)
            _compiling[cls] = function
            # Model fields are compiled once this one is known: a direct reference back to
            # ``cls`` gets the function itself.
            for index, inner in deferred:
                namespace[f"_f{index}"] = compile_structure(inner, converter)
        except BaseException:
            if outermost:
                _compiling.clear()
            raise
        if outermost:
            _compiled.update(_compiling)
            _compiling.clear()
        return function


def _build_structure(
    cls: type, converter: Any
) -> tuple[Callable[..., Any], dict[str, Any], list[tuple[int, Any]]]:
    """The compiled function of ``cls``, its namespace, and its model fields (index, class),
    whose functions the namespace still lacks."""
    hints = typing.get_type_hints(cls)
    fields = attrs.fields(cls)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_keys": tuple(f.name for f in fields),
        "_fromisoformat": _fromisoformat,
    }
    names = [f"v{i}" for i in range(len(fields))]
    lines = [
        "def structure(o, _=None):",
        "    if type(o) is not dict:",
        "        raise TypeError(f'expected an object, got {type(o).__name__}')",
    ]
    if len(fields) == 1:
        lines.append(f"    v0 = o.get({fields[0].name!r})")
    elif fields:
        # One C-level call fetches every field into locals: ``itemgetter`` when the object has
        # every key (about twice as fast as ``o.get`` per key), else ``map(o.get, ...)`` (None
        # when absent). The last field is the one an object most often lacks (the legacy
        # fields come last), so its absence picks ``map`` without the cost of a ``KeyError``.
        namespace["_getall"] = operator.itemgetter(*namespace["_keys"])
        namespace["_last"] = fields[-1].name
        namespace["_KeyError"] = KeyError
        every = ", ".join(names)
        lines += [
            "    if _last in o:",
            "        try:",
            f"            {every}, = _getall(o)",
            "        except _KeyError:",
            f"            {every}, = map(o.get, _keys)",
            "    else:",
            f"        {every}, = map(o.get, _keys)",
        ]
    plain = _plain(cls)
    # A model keeps the object it came from (``Model._kalshi_raw``): its unknown keys, its
    # ``null``s and its timestamps' text, for ``extra_fields`` and ``to_dict``.
    keeps = issubclass(cls, Model)
    if plain:
        namespace["_new"] = object.__new__
        lines.append("    r = _new(_cls)")
        if keeps:
            lines.append("    r._kalshi_raw = o")
    else:
        lines.append("    r = _cls(")
    deferred: list[tuple[int, Any]] = []
    for index, field in enumerate(fields):
        v = names[index]
        hint = hints[field.name]
        inner = _optional_of(hint)
        if inner is None:
            inner = hint
        if compiles(inner):
            deferred.append((index, inner))
            value = f"(None if {v} is None else _f{index}({v}))"
        else:
            value = _expression(inner, v, index, namespace, converter)
        if plain:
            lines.append(f"    r.{field.name} = {value}")
        else:
            lines.append(f"        {field.alias}={value},")
    if not plain:
        lines.append("    )")
        if keeps:
            namespace["_setattr"] = object.__setattr__
            lines.append("    _setattr(r, '_kalshi_raw', o)")
    lines.append("    return r")
    source = "\n".join(lines)
    code = compile(source, f"<kalshi structure {cls.__qualname__}>", "exec")
    exec(code, namespace)
    function: Callable[..., Any] = namespace["structure"]
    return function, namespace, deferred
