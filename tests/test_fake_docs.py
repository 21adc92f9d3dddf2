"""docs/fake-exchange.md's examples leave the state they describe (tests/test_doc_blocks.py runs
them; this runs the walk-through in-process and reads the exchange it built)."""

from __future__ import annotations

import contextlib
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.test_doc_blocks import parse_blocks, programs_of

DOC = Path(__file__).resolve().parent.parent / "docs" / "fake-exchange.md"


def test_the_walk_through_leaves_the_state_it_describes() -> None:
    programs = programs_of(parse_blocks(DOC.read_text(), "docs/fake-exchange.md"))
    walk = next(p for p in programs if "fake.settle(" in p.code)
    scope: dict[str, Any] = {"__name__": "fake_docs"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(walk.code, str(DOC), "exec"), scope)
    fake = scope["fake"]
    fake.check_ledger()
    assert fake.markets["HIGHNY-24JAN01-T60"].status == "settled"
    assert fake.balance(scope["key"].user_id) == Decimal("1080")
    assert scope["order"].status == "canceled"


def test_every_handler_module_registers_before_the_first_request() -> None:
    """The package loads lazily; a fake made from its module directly still serves every
    operation it simulates (the handler modules register when a FakeExchange is made)."""
    import subprocess
    import sys

    code = (
        "from kalshi_testing._exchange import FakeExchange, _HANDLERS\n"
        "FakeExchange()\n"
        "import pathlib, re\n"
        "src = ''.join(p.read_text() for p in pathlib.Path('kalshi_testing').glob('*.py'))\n"
        "declared = set(re.findall(r'@handler\\(\"(\\w+)\"\\)', src))\n"
        "print(sorted(declared - set(_HANDLERS)))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
