"""Typed models of Kalshi's Trade API v2: every schema of spec 3.31.0 and 3.13.0.

Field names are the JSON keys. ``*_dollars`` and ``*_fp`` fields are ``decimal.Decimal``,
``date-time`` fields timezone-aware ``datetime``, integer ``*_ts`` fields ``int``. Every field is
optional: a field the server omits is ``None``, never a silent zero. Legacy fields of the
integer era (``yes_price``, ``fill_count``, ``yes_bid``, ``volume``...) are kept so responses of
either era round-trip.

Every model parsed from JSON keeps that object, at every nesting level: ``extra_fields`` holds
the keys this release does not declare, ``to_dict()``/``to_json()`` give the JSON back as
received (with any change made since), ``raw_json(model)`` the decoded object itself.

The generated classes (``kalshi_core.models._generated``, several hundred attrs classes) are
built on first use of any of them, not when ``kalshi_core`` is imported: ``import kalshi_sync``
stays cheap, and the first model access (usually the first response parsed) pays once. Type
checkers see every name as usual.
"""

from typing import TYPE_CHECKING, Any

from kalshi_core.models._base import BatchAnswer, Model, TolerantEnum, raw_json

if TYPE_CHECKING:
    from kalshi_core.models._generated import *  # noqa: F403
    from kalshi_core.models._generated import __all__ as _generated_all
    from kalshi_core.models.frames import to_dataframe

    __all__ = ["BatchAnswer", "Model", "TolerantEnum", "raw_json", "to_dataframe", *_generated_all]
else:
    _EAGER = ["BatchAnswer", "Model", "TolerantEnum", "raw_json", "to_dataframe"]

    def to_dataframe(*args: Any, **kwargs: Any) -> Any:
        """Records or a page as a pandas ``DataFrame``: ``kalshi_core.models.frames``."""
        from kalshi_core.models.frames import to_dataframe as convert

        return convert(*args, **kwargs)

    def _load() -> list[str]:
        """Import the generated models and put every public name in this module's namespace."""
        import importlib

        _generated = importlib.import_module("kalshi_core.models._generated")
        names = list(_generated.__all__)
        namespace = globals()
        namespace.update({name: getattr(_generated, name) for name in names})
        namespace["__all__"] = [*_EAGER, *names]
        return names

    def __getattr__(name: str) -> Any:
        # Private names (submodules such as ``_generated`` while they are being imported)
        # are not models: refusing them lets the import system find the submodule.
        if name.startswith("_") and name != "__all__":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        _load()
        try:
            return globals()[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

    def __dir__() -> list[str]:
        return sorted({*globals(), *_load()})
