"""``kalshi export``: bulk history to CSV or JSON lines, resumable by cursor.

Records are written page by page and flushed; after each page the cursor of the next one is
saved beside the output (``FILE.state.json``). An interrupted export resumes with ``--resume``
from that cursor, appending to the same file; a finished one removes its state file. CSV
columns are the record's fields in model order (nested values as JSON text); JSON lines carry
each record as Kalshi sent it, Decimals as strings.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import attrs

from kalshi_cli.render import jsonable
from kalshi_core.errors import KalshiError
from kalshi_core.wire.schema import Operation

__all__ = ["KINDS", "ExportError", "Exporter", "parse_since"]

#: What can be exported: the operation behind each kind.
KINDS = {
    "fills": "get_fills",
    "orders": "get_orders",
    "trades": "get_trades",
    "settlements": "get_settlements",
}


class ExportError(KalshiError):
    """An export that cannot start or resume as asked."""


def parse_since(text: str) -> int:
    """Unix seconds from ``2026-01-31``, ``2026-01-31T12:00:00Z`` (naive means UTC) or
    ``1767225600``; anything else is an ``ExportError`` naming ``--since``."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ExportError(
            f"--since: {text!r} is not a date (2026-01-31), an ISO time or Unix seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


@attrs.define
class Exporter:
    """Writes one kind of history to ``out``, saving the cursor after each page."""

    kind: str
    out: Path
    since: int | None = None
    until: int | None = None
    ticker: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ExportError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.out.suffix not in (".csv", ".jsonl"):
            raise ExportError(f"--out: {self.out.name} must end in .csv or .jsonl")

    @property
    def state_path(self) -> Path:
        return self.out.with_name(self.out.name + ".state.json")

    def _identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "since": self.since, "until": self.until,
                "ticker": self.ticker}

    def plan(self, resume: bool) -> tuple[str | None, int]:
        """The cursor to start from and the records already written.

        Refuses to overwrite an unfinished export without ``resume``, and to resume one made
        with other arguments.
        """
        if not self.state_path.exists():
            if resume:
                raise ExportError(f"--resume: no unfinished export of {self.out} to resume")
            return None, 0
        state = json.loads(self.state_path.read_text())
        if not resume:
            raise ExportError(
                f"{self.out} has an unfinished export ({state.get('rows', 0)} records); "
                "pass --resume to continue it, or delete "
                f"{self.state_path.name} to start again"
            )
        if state.get("identity") != self._identity():
            raise ExportError(
                f"--resume: {self.out} was started with other arguments "
                f"({state.get('identity')})"
            )
        return state.get("cursor"), int(state.get("rows", 0))

    def run(
        self,
        operation: Operation[Any],
        pages: Callable[..., Iterator[Any]],
        *,
        resume: bool = False,
        on_page: Callable[[int], None] | None = None,
    ) -> int:
        """Walk every page and write its records; returns the records written in all runs."""
        cursor, rows = self.plan(resume)
        params: dict[str, Any] = {"limit": _page_size(operation)}
        if self.since is not None:
            params["min_ts"] = self.since
        if self.until is not None:
            params["max_ts"] = self.until
        if self.ticker:
            params["ticker"] = self.ticker
        if cursor:
            params["cursor"] = cursor
        list_name = operation.items or self.kind
        appending = cursor is not None and self.out.exists()
        with self.out.open("a" if appending else "w", newline="", encoding="utf-8") as fh:
            writer = _Writer(fh, self.out.suffix, appending)
            self._save(cursor, rows)
            for page in pages(**params):
                records = getattr(page, list_name, None) or []
                for record in records:
                    writer.write(record)
                rows += len(records)
                fh.flush()
                os.fsync(fh.fileno())
                self._save(getattr(page, "cursor", None) or None, rows)
                if on_page is not None:
                    on_page(rows)
        self.state_path.unlink(missing_ok=True)
        return rows

    def _save(self, cursor: str | None, rows: int) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"identity": self._identity(), "cursor": cursor,
                                   "rows": rows}))
        tmp.replace(self.state_path)


def _page_size(operation: Operation[Any]) -> int:
    for field in operation.params:
        if field.name == "limit" and field.kind.maximum:
            return int(field.kind.maximum)
    return 100


class _Writer:
    """CSV whose columns are the record model's fields (keys the model does not declare go to
    an ``extra`` column as JSON), or one JSON document per line."""

    def __init__(self, fh: TextIO, suffix: str, appending: bool) -> None:
        self._fh = fh
        self._csv = suffix == ".csv"
        self._columns: list[str] | None = None
        self._writer: Any = None
        self._appending = appending

    def write(self, model: Any) -> None:
        record: dict[str, Any] = jsonable(model)
        if not self._csv:
            self._fh.write(json.dumps(record) + "\n")
            return
        if self._columns is None:
            names = [f.name for f in attrs.fields(type(model))] if attrs.has(type(model)) else []
            self._columns = self._header(names or list(record))
            self._writer = csv.writer(self._fh)
        row = [_cell(record.get(name)) for name in self._columns[:-1]]
        extra = {k: v for k, v in record.items() if k not in self._columns}
        row.append(json.dumps(extra) if extra else "")
        self._writer.writerow(row)

    def _header(self, names: list[str]) -> list[str]:
        if self._appending:
            with open(self._fh.name, encoding="utf-8", newline="") as existing:
                first = next(csv.reader(existing), None)
            if first:
                return first
        columns = [*names, "extra"]
        csv.writer(self._fh).writerow(columns)
        return columns


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
