"""Typed models of Kalshi's Trade API v2: every schema of spec 3.31.0 and 3.13.0.

Field names are the JSON keys. ``*_dollars`` and ``*_fp`` fields are ``decimal.Decimal``,
``date-time`` fields timezone-aware ``datetime``, integer ``*_ts`` fields ``int``. Every field is
optional: a field the server omits is ``None``, never a silent zero. Legacy fields of the
integer era (``yes_price``, ``fill_count``, ``yes_bid``, ``volume``...) are kept so responses of
either era round-trip.

Every model parsed from JSON keeps that object, at every nesting level: ``extra_fields`` holds
the keys this release does not declare, ``to_dict()``/``to_json()`` give the JSON back as
received (with any change made since), ``raw_json(model)`` the decoded object itself.
"""

from kalshi_core.models._base import BatchAnswer, Model, TolerantEnum, raw_json
from kalshi_core.models._generated import *  # noqa: F403
from kalshi_core.models._generated import __all__ as _generated_all
from kalshi_core.models.frames import to_dataframe

__all__ = ["BatchAnswer", "Model", "TolerantEnum", "raw_json", "to_dataframe", *_generated_all]
