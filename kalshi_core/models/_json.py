"""JSON decoding for response bodies: orjson when it is installed, else the standard library.

orjson is optional (the ``fast`` extra: ``pip install kalshi-trade-sdk[fast]``), about three
times faster on a page of a thousand orders. Both backends follow one policy, so a body decodes
to the same values (or fails the same way) whichever is installed:

- the body must be UTF-8 JSON (RFC 8259); anything else raises a ``ValueError``;
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and are refused, and so is a number
  too large for a float (``1e400``): the standard library would turn both into non-finite
  floats;
- a lone UTF-16 surrogate escape (``"\\ud800"``) is refused (it is no character);
- nesting deeper than ``MAX_DEPTH`` (1024, orjson's limit) is refused with a ``ValueError``,
  never a ``RecursionError``;
- an integer outside the 64-bit range (below ``-2**63`` or above ``2**64 - 1``) decodes as the
  nearest float, as orjson does; within it integers are exact. Kalshi sends no such integer;
  an exact value would need a scan of every body on the fast backend (about a tenth of the
  parse time of a page), which the hot path does not pay for a value no answer carries.

``loads`` raises only ``ValueError`` (``orjson.JSONDecodeError`` and ``UnicodeDecodeError``
are subclasses); ``kalshi_core.wire.call`` turns it into ``DecodeError``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import threading
from collections.abc import Callable
from itertools import accumulate
from typing import Any, NoReturn

__all__ = ["BACKEND", "MAX_DEPTH", "loads", "stdlib_loads"]

#: The deepest nesting either backend accepts (orjson's own limit).
MAX_DEPTH = 1024

_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _int(text: str) -> int | float:
    value = int(text)
    if len(text) >= 19 and not _INT64_MIN <= value <= _UINT64_MAX:
        return float(value)
    return value


_decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_int=_int, parse_float=_float)
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_stack_lock = threading.Lock()


def nesting_depth(body: bytes) -> int:
    """How deeply ``body`` nests arrays and objects (brackets inside strings do not count)."""
    brackets = _STRINGS.sub(b"", body).translate(None, _BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def _too_deep() -> ValueError:
    return ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")


def stdlib_loads(body: bytes | str) -> Any:
    """The standard library's decoder under this module's policy."""
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    raw = body if isinstance(body, bytes) else text.encode("utf-8", "surrogatepass")
    try:
        data = _decoder.decode(text)
    except RecursionError:
        if nesting_depth(raw) > MAX_DEPTH:
            raise _too_deep() from None
        # Legal depth, but deeper than this thread's stack allows: decode with a higher limit.
        with _stack_lock:
            old = sys.getrecursionlimit()
            sys.setrecursionlimit(max(old, MAX_DEPTH * 4))
            try:
                data = _decoder.decode(text)
            except RecursionError:  # a runtime whose C stack limit is fixed
                raise _too_deep() from None
            finally:
                sys.setrecursionlimit(old)
    if (
        sys.getrecursionlimit() > MAX_DEPTH
        and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
        and nesting_depth(raw) > MAX_DEPTH
    ):
        raise _too_deep()
    if _SURROGATE.search(raw) is not None:
        # Pairs are fine; a lone surrogate cannot be encoded back to UTF-8.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    return data


loads: Callable[[bytes], Any]

try:
    import orjson
except ImportError:  # both decoders are tested by tests/test_json_backends.py
    loads = stdlib_loads
    BACKEND = "json"
else:
    loads = orjson.loads
    BACKEND = "orjson"
