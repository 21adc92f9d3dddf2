"""JSON decoding for response bodies: orjson when it is installed, else the standard library.

Both reject what is not JSON with a ``ValueError`` subclass. orjson is a dependency of the
package (about three times faster on a page of a thousand orders); the fallback keeps the core
importable where no orjson wheel exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["BACKEND", "loads"]

loads: Callable[[bytes], Any]

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by test_json_fallback via a reload
    loads = json.loads
    BACKEND = "json"
else:
    loads = orjson.loads
    BACKEND = "orjson"
