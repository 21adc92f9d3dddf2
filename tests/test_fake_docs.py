"""docs/fake-exchange.md's examples run as written, and leave the state they describe."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "docs" / "fake-exchange.md"


def test_the_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3  # the fixtures example only defines a test function
    scope: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), scope)
    fake = scope["fake"]
    fake.check_ledger()
    assert fake.markets["HIGHNY-24JAN01-T60"].status == "settled"
    assert fake.balance(scope["key"].user_id) == Decimal("1080")
    assert scope["order"].status == "canceled"
