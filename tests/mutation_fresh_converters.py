"""A pytest plugin for the mutation session's conversion group (``-p
tests.mutation_fresh_converters``; never loaded by the suite itself).

The converters are configured, and the per-model structuring and dump functions compiled, once
per process and then reused. mutmut switches a mutant on inside a worker forked from a process
that has already done all of that, so a change to how the converters are built would never run.
Before each test this plugin therefore forgets every compiled function and the decimal
interning table, builds ``FAST`` and ``DETAILED`` again with ``_converter.build()``, and puts
the new converters wherever a module holds the old ones by name (``from ... import FAST``).
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def _fresh_converters() -> None:
    from kalshi_core.models import _compiled, _converter, _dump

    _compiled._compiled.clear()
    _compiled._DECIMALS = None
    _dump._dumps.clear()
    old = {"FAST": _converter.FAST, "DETAILED": _converter.DETAILED}
    new = dict(zip(("FAST", "DETAILED"), _converter.build(), strict=True))
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", {})
        for name, converter in old.items():
            if names.get(name) is converter:
                names[name] = new[name]
