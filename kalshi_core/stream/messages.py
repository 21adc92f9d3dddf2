"""Parsing a text frame into its typed message, and encoding commands.

``parse_message(frame)`` decodes one frame (``str`` or ``bytes``) and structures it into the class
its ``type`` names (``SERVER_MESSAGES`` of the generated module), through the REST models'
converter: ``Decimal`` money and counts, aware datetimes, tolerant enums. A frame that is not
JSON, not an object, or not the shape its type promises raises ``StreamDecodeError`` (never a
bare ``KeyError`` or ``JSONDecodeError``). A well-formed frame of a type the AsyncAPI file does
not list parses into ``UnknownMessage`` (Kalshi adds message types without notice; the stream
must not die of one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from kalshi_core.models._converter import StructureError, structure
from kalshi_core.models._json import loads
from kalshi_core.stream._generated import messages as m
from kalshi_core.stream.errors import StreamDecodeError

__all__ = ["UnknownMessage", "encode_command", "parse_message"]

_TYPES: Mapping[str, type[Any]] = m.SERVER_MESSAGES
_LIST_REPLY = m.ListSubscriptionsResponse


@attrs.define(slots=True, kw_only=True, weakref_slot=False)
class UnknownMessage:
    """A well-formed frame of a ``type`` this SDK does not know: ``data`` is the decoded JSON."""

    type: str | None = None
    id: int | None = None
    sid: int | None = None
    seq: int | None = None
    data: dict[str, Any] = attrs.field(factory=dict)


def parse_message(frame: str | bytes) -> Any:
    """The typed message a text frame holds; ``StreamDecodeError`` if it is malformed."""
    try:
        data = loads(frame)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise StreamDecodeError(f"frame is not JSON: {exc}", _short(frame)) from None
    if data.__class__ is not dict:
        raise StreamDecodeError(
            f"frame is not a JSON object (got {type(data).__name__})", _short(frame)
        )
    kind = data.get("type")
    cls = _TYPES.get(kind) if kind.__class__ is str else None
    if cls is None:
        if kind.__class__ is not str:
            raise StreamDecodeError("frame has no string 'type'", _short(frame))
        return _unknown(data, frame)
    if kind == "ok" and data.get("msg").__class__ is list:
        cls = _LIST_REPLY
    try:
        return structure(data, cls)
    except StructureError as exc:
        raise StreamDecodeError(f"malformed {kind!r} frame: {exc}", _short(frame)) from None


def _unknown(data: dict[str, Any], frame: str | bytes) -> UnknownMessage:
    ints = {}
    for key in ("id", "sid", "seq"):
        value = data.get(key)
        if value is not None and value.__class__ is not int:
            raise StreamDecodeError(f"frame field {key!r} is not an integer", _short(frame))
        ints[key] = value
    return UnknownMessage(type=data["type"], data=data, **ints)


def _short(frame: str | bytes) -> str | bytes:
    return frame if len(frame) <= 2000 else frame[:2000]


def encode_command(command_id: int, cmd: str, params: Mapping[str, Any] | None) -> str:
    """The JSON text of a command: ``{"id": ..., "cmd": ..., "params": {...}}``."""
    body: dict[str, Any] = {"id": command_id, "cmd": cmd}
    if params is not None:
        body["params"] = dict(params)
    return json.dumps(body, separators=(",", ":"))
