"""The typed WebSocket messages (generated from ``spec/kalshi-asyncapi-2.0.0.yaml``).

Each server message is an envelope (``type``, ``sid``, ``seq``, ``id``) around its ``msg``:
``OrderbookDelta.msg`` is an ``OrderbookDeltaMsg``. Money and counts are ``Decimal``,
date-times aware, enums tolerant, every field optional.
"""

from kalshi_core.stream._generated.messages import *  # noqa: F403
from kalshi_core.stream._generated.messages import __all__ as __all__
