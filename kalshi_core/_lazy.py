"""A module imported on first use: ``ops = lazy_module("pkg.mod", globals(), "ops")``.

The stand-in imports the module the first time one of its attributes is read and then puts the
real module in its place in ``namespace``, so later reads cost nothing extra. Used by the
generated builders for the operation table (building it needs every model class), keeping
``import kalshi_sync`` cheap; type checkers import the module directly (``TYPE_CHECKING``).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    __slots__ = ("_key", "_name", "_namespace")

    def __init__(self, name: str, namespace: dict[str, Any], key: str) -> None:
        self._name = name
        self._namespace = namespace
        self._key = key

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self._namespace[self._key] = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r} (not imported yet)>"


def lazy_module(name: str, namespace: dict[str, Any], key: str) -> ModuleType:
    """A stand-in for module ``name`` bound to ``namespace[key]`` (see the module docstring)."""
    stand_in: Any = _LazyModule(name, namespace, key)
    return stand_in  # type: ignore[no-any-return]
