"""Output: tables for people, JSON for scripts.

Tables align money on the decimal point (every value of a column gets the same number of
places, at least two). JSON carries Decimals as strings, exactly as Kalshi sends them, and
datetimes in ISO 8601. Lists go out as JSON lines, one record a line; single answers as one
document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

import attrs
from rich import box
from rich.console import Console
from rich.table import Table

from kalshi_core.models._converter import unstructure

__all__ = [
    "Column",
    "dump_json",
    "format_money",
    "jsonable",
    "print_json_lines",
    "stderr_console",
    "table",
]


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a model, a list of them, or a plain value."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and attrs.has(type(value)):
        return _plain(to_dict())
    if attrs.has(type(value)):
        return _plain(unstructure(value))
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if attrs.has(type(value)):
        return jsonable(value)
    return value


def dump_json(value: Any, out: TextIO | None = None) -> None:
    """Write one JSON document (and a newline)."""
    (out or sys.stdout).write(json.dumps(jsonable(value), sort_keys=False) + "\n")


def print_json_lines(values: Iterable[Any], out: TextIO | None = None) -> int:
    """Write one JSON document per line; returns how many."""
    stream = out or sys.stdout
    n = 0
    for value in values:
        stream.write(json.dumps(jsonable(value)) + "\n")
        n += 1
    stream.flush()
    return n


def stderr_console() -> Console:
    return Console(stderr=True)


def format_money(value: Decimal | None, places: int = 2, *, sign: str = "$") -> str:
    """``Decimal("1234.5")`` -> ``$1,234.50``; ``None`` -> an empty cell."""
    if value is None:
        return ""
    text = f"{abs(value):,.{places}f}"
    return f"-{sign}{text}" if value < 0 else f"{sign}{text}"


def _places(values: Sequence[Decimal | None], least: int) -> int:
    most = least
    for value in values:
        if value is None or not value.is_finite():
            continue
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > most:
            most = -exponent
    return most


@attrs.frozen
class Column:
    """A table column: its header, how to read a record, and how to show the value.

    ``kind`` is ``"money"`` (dollars, aligned on the point), ``"number"`` (a count, aligned
    on the point, no sign), ``"time"`` or ``"text"``.
    """

    header: str
    get: Callable[[Any], Any]
    kind: str = "text"
    #: Shown whole (folded over lines when narrow), never cut short: ids and tickers.
    whole: bool = False


def table(title: str | None, columns: Sequence[Column], records: Sequence[Any]) -> Table:
    """A rich table of ``records``; numeric columns right-aligned with equal decimal places."""
    grid = Table(
        title=title, box=box.SIMPLE_HEAD, header_style="bold", collapse_padding=True, pad_edge=False
    )
    cells: list[list[str]] = [[] for _ in records]
    for column in columns:
        numeric = column.kind in ("money", "number")
        values = [column.get(record) for record in records]
        widest = max((len(_text(v)) for v in values), default=0)
        least = widest if column.whole else min(max(widest, len(column.header)), 12)
        grid.add_column(
            column.header,
            justify="right" if numeric else "left",
            no_wrap=numeric or column.whole or column.kind == "time",
            overflow="fold" if column.whole else "ellipsis",
            min_width=len(column.header) if numeric else least,
        )
        if numeric:
            decimals = [v if isinstance(v, Decimal) else None for v in values]
            places = _places(decimals, 2 if column.kind == "money" else 0)
            sign = "$" if column.kind == "money" else ""
            shown = [
                format_money(v, places, sign=sign) if isinstance(v, Decimal) else _text(v)
                for v in values
            ]
        else:
            shown = [_text(v) for v in values]
        for row, text in zip(cells, shown, strict=True):
            row.append(text)
    for row in cells:
        grid.add_row(*row)
    return grid


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value))
