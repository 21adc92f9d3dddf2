"""The example at the top of docs/retries.md runs and prints what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "retries.md"


def test_retries_page_example_runs() -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.group(1), str(DOC), "exec"), {"__name__": "docs_retries"})
    assert out.getvalue().splitlines() == ["['Resend', 'Recover', 'NoneType']", "98.0000"]
