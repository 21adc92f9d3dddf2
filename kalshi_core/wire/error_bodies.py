"""Turning an error response into the matching exception, whatever shape Kalshi used.

Shapes seen from Kalshi: ``{"error": {"code", "message", "details", "service"}}``,
``{"error": "too many requests"}`` (429), a flat ``{"code", "message", "details"}``,
``{"msg": ...}``, and bodies that are not JSON at all (an HTML page from a proxy).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kalshi_core._lazy import lazy_module
from kalshi_core.errors import APIStatusError, status_error_class
from kalshi_core.wire.values import Response

if TYPE_CHECKING:
    from kalshi_core.models import _json
else:  # the JSON backend (orjson) loads with the first body read
    _json = lazy_module("kalshi_core.models._json", globals(), "_json")

__all__ = ["REQUEST_ID_HEADERS", "error_fields", "error_from_response"]

#: Headers that carry the id of a request, in the order they are looked for.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray")
_REQUEST_ID_HEADERS = REQUEST_ID_HEADERS


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value)
    except (ValueError, TypeError, RecursionError):
        return "<unprintable>"


def error_fields(data: Any) -> dict[str, str | None]:
    """``code``, ``message``, ``details`` and ``service`` from any of Kalshi's error shapes."""
    out: dict[str, str | None] = {"code": None, "message": None, "details": None, "service": None}
    if not isinstance(data, dict):
        return out
    inner = data.get("error")
    if isinstance(inner, dict):
        source: dict[str, Any] = inner
    elif isinstance(inner, str):
        out["message"] = inner
        source = data
    else:
        source = data
    out["code"] = out["code"] or _text(source.get("code"))
    out["message"] = out["message"] or _text(source.get("message") or source.get("msg"))
    out["details"] = _text(source.get("details"))
    out["service"] = _text(source.get("service"))
    return out


def error_from_response(
    response: Response, method: str, path: str, data: Any = None
) -> APIStatusError:
    """The exception for an error response (or a 2xx body that carries an ``error``)."""
    body: Any = data
    if body is None:
        try:
            body = _json.loads(response.body) if response.body else None
        except (ValueError, UnicodeDecodeError):
            body = response.body[:500].decode("utf-8", "replace")
    fields = error_fields(body)
    if 300 <= response.status < 400:
        location = response.header("location")
        fields["message"] = (
            f"the server answered a redirect{f' to {location[:200]}' if location else ''}; "
            "the SDK never follows redirects (its signed headers must not reach another "
            "origin): point base_url at the final address"
        )
    if fields["message"] is None and isinstance(body, str) and body.strip():
        snippet = " ".join(body.split())[:200]
        fields["message"] = f"non-JSON error body: {snippet}"
    request_id = None
    for name in _REQUEST_ID_HEADERS:
        request_id = response.header(name)
        if request_id:
            break
    cls = (
        status_error_class(response.status, fields["code"], fields["details"])
        if response.status >= 400
        else APIStatusError
    )
    return cls(
        status=response.status,
        method=method,
        path=path,
        request_id=request_id,
        body=body,
        **fields,
    )
