"""Records to a pandas ``DataFrame`` (the ``pandas`` extra).

``to_dataframe(records)`` takes models (a page's list, ``client.get_fills.items(...)``, any
iterable) or one page (its list of records, or the list ``list_name`` names) and returns one row
per record. Columns are the declared fields that any record has (in declaration order), then
the keys the SDK does not declare (``extra_fields``), in the order first seen. Values keep
their types: money and counts stay ``Decimal`` (an ``object`` column, never float), times
aware ``datetime``, enums their string value, nested models their ``to_dict()``; a missing
value is ``None``. pandas is imported only when this is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from kalshi_core.errors import ConfigurationError
from kalshi_core.models._base import Model, TolerantEnum

__all__ = ["to_dataframe"]


def _pandas() -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ConfigurationError(
            "to_dataframe needs pandas: pip install 'kalshi-trade-sdk[pandas]'"
        ) from None


def _records_of(page: Model, list_name: str | None) -> list[Any]:
    import attrs  # loaded with the models already; kept off the import of kalshi_core

    fields: Any = attrs.fields(type(page))  # type: ignore[arg-type]
    lists = [a.name for a in fields if isinstance(getattr(page, a.name), list)]
    if list_name is None:
        if len(lists) != 1:
            raise ValueError(
                f"{type(page).__name__} holds {len(lists)} lists ({', '.join(lists) or 'none'}); "
                "pass list_name="
            )
        list_name = lists[0]
    records = getattr(page, list_name, None)
    if not isinstance(records, list):
        raise ValueError(f"{type(page).__name__} has no list {list_name!r}")
    return records


def _value(value: Any) -> Any:
    if isinstance(value, TolerantEnum):
        return value.value
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def to_dataframe(records: Iterable[Any] | Model, *, list_name: str | None = None) -> Any:
    """A ``pandas.DataFrame`` of ``records`` (models), or of the records of one page."""
    pandas = _pandas()
    rows = _records_of(records, list_name) if isinstance(records, Model) else list(records)
    columns: dict[str, None] = {}
    extras: dict[str, None] = {}
    table: list[dict[str, Any]] = []
    for record in rows:
        if record is None:
            table.append({})
            continue
        if not isinstance(record, Model):
            raise TypeError(f"expected models, got {type(record).__name__}")
        row: dict[str, Any] = {}
        import attrs

        declared: Any = attrs.fields(type(record))  # type: ignore[arg-type]
        for field in declared:
            value = getattr(record, field.name)
            if value is not None:
                columns.setdefault(field.name)
                row[field.name] = _value(value)
        for key, value in record.extra_fields.items():
            extras.setdefault(key)
            row[key] = value
        table.append(row)
    names = list(columns) + [k for k in extras if k not in columns]
    data = {name: [row.get(name) for row in table] for name in names}
    return pandas.DataFrame(data, columns=names, dtype=object)
