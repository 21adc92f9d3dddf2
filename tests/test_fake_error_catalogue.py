"""docs/fake-exchange.md's error table is the fake's whole error catalogue, and names the SDK
class each answer becomes.

The fake's answers are read from its source: every ``FakeError(status, "code", ...)`` in
``kalshi_testing`` (the helpers ``invalid_order``/``invalid_price`` are such calls too), plus
the rate limiter's bare 429 body.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from kalshi_core import errors

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "fake-exchange.md"
NO_CODE = "(none"


def documented() -> dict[tuple[str | None, int], str]:
    """(code, status) -> the SDK error cell, from the table under "## Errors"."""
    section = DOC.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]
    rows: dict[tuple[str | None, int], str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[1].isdigit():
            continue
        code_cell, status, _, sdk = cells
        code = None if code_cell.startswith(NO_CODE) else code_cell.strip("`")
        assert (code, int(status)) not in rows, f"duplicate row {code_cell}"
        rows[(code, int(status))] = sdk
    return rows


def raised() -> set[tuple[str | None, int]]:
    """Every (code, status) the fake's source can answer."""
    found: set[tuple[str | None, int]] = set()
    for path in sorted((ROOT / "kalshi_testing").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "FakeError"):
                continue
            status, code = node.args[0], node.args[1]
            where = f"{path.name}:{node.lineno}: FakeError needs a literal status and code"
            assert isinstance(status, ast.Constant), where
            assert isinstance(code, ast.Constant), where
            found.add((str(code.value), int(status.value)))
    limiter = (ROOT / "kalshi_testing" / "_ratelimit.py").read_text()
    assert '{"error": "too many requests"}' in limiter
    assert "status=429" in limiter
    found.add((None, 429))
    return found


def test_the_table_lists_exactly_what_the_fake_answers() -> None:
    table, code = set(documented()), raised()
    assert table - code == set(), "documented but never answered"
    assert code - table == set(), "answered but not in docs/fake-exchange.md's table"


def test_the_table_names_the_class_the_sdk_raises() -> None:
    for (code, status), cell in documented().items():
        names = re.findall(r"`(\w+)`", cell)
        assert names, f"{code}: no SDK class named"
        assert errors.status_error_class(status, code).__name__ == names[0], code
        for details, name in re.findall(r"details `([^`]+)`: `(\w+)`", cell):
            assert errors.status_error_class(status, code, details).__name__ == name, details
        assert all(hasattr(errors, n) or n in _details(cell) for n in names), cell


def _details(cell: str) -> set[str]:
    return set(re.findall(r"details `([^`]+)`", cell))
