"""``Call``: an operation with its arguments, before it is signed and sent.

A request builder (``kalshi_core.builders``) validates its arguments and returns a ``Call``.
``Call.to_request`` turns it into a ``Request`` for a base URL, signed when credentials and the
current time are given; ``Call.parse`` turns the ``Response`` into the operation's model or
raises the matching error. A ``Call`` is immutable and can be sent any number of times.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote, urlencode

from kalshi_core._lazy import lazy_module
from kalshi_core.errors import (
    ConfigurationError,
    CredentialsError,
    DecodeError,
    DeprecatedEndpointError,
    ValidationError,
)
from kalshi_core.policy.client_order_ids import ensure_client_order_ids
from kalshi_core.wire import rules as _rules
from kalshi_core.wire.credentials import Credentials, sign_request
from kalshi_core.wire.error_bodies import error_from_response
from kalshi_core.wire.validate import normalize, normalize_fields
from kalshi_core.wire.values import Request, Response

if TYPE_CHECKING:
    from kalshi_core.models import _converter, _json
    from kalshi_core.wire.schema import Field, Operation
else:  # decoding (orjson) and the converter (cattrs) load with the first response parsed
    _json = lazy_module("kalshi_core.models._json", globals(), "_json")
    _converter = lazy_module("kalshi_core.models._converter", globals(), "_converter")

__all__ = ["Call", "make_call"]

T = TypeVar("T")

_JSON_HEADERS = (("Accept", "application/json"),)
_BODY_HEADERS = (("Accept", "application/json"), ("Content-Type", "application/json"))


@dataclasses.dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """An operation with validated arguments: ``path`` (relative, filled in), ``query`` pairs and
    the JSON ``body`` bytes (``None`` without a body)."""

    operation: Operation[T]
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def to_request(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        now: float | None = None,
    ) -> Request:
        """The HTTP request for ``base_url``; signed at ``now`` (Unix seconds) when credentials
        are given. Raises ``CredentialsError`` (a ``ValueError``) for an authenticated
        operation without credentials."""
        url = base_url.rstrip("/") + self.path
        if self.query:
            url += "?" + urlencode(self.query)
        request = Request(
            method=self.operation.method,
            url=url,
            headers=_BODY_HEADERS if self.body is not None else _JSON_HEADERS,
            body=self.body or b"",
        )
        if credentials is not None:
            if now is None:
                raise ConfigurationError("signing needs the current time: pass now=")
            return sign_request(request, credentials, now)
        if self.operation.auth:
            raise CredentialsError(
                f"{self.operation.name} needs an API key: pass key_id and private_key to the client"
            )
        return request

    def with_query(self, **params: str | None) -> Call[T]:
        """A copy with query parameters replaced (``None`` removes one)."""
        kept = [(k, v) for k, v in self.query if k not in params]
        kept += [(k, v) for k, v in params.items() if v is not None]
        return dataclasses.replace(self, query=tuple(kept))

    def query_value(self, name: str) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return None

    def parse(self, response: Response) -> T:
        """The operation's model for a success response; raises for anything else.

        An error status raises the matching ``APIStatusError`` subclass with Kalshi's ``code``,
        ``message`` and ``details`` whichever error shape they came in. A 2xx body that is not
        JSON, carries an ``error``, lacks an essential field (a write acknowledgement without
        ``order_id``, a list response without its list) or does not fit the model raises
        ``DecodeError`` (or ``APIStatusError`` for an embedded error).
        """
        op = self.operation
        method, path = op.method, self.path
        if not 200 <= response.status < 300:
            error = error_from_response(response, method, path)
            if isinstance(error, DeprecatedEndpointError):
                error._use_instead(op.name, op.replacement)
            raise error
        if op.response is None:
            return None  # type: ignore[return-value]
        try:
            data = _json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            raise DecodeError(
                "the body is not JSON",
                status=response.status,
                method=method,
                path=path,
                body=response.body[:500].decode("utf-8", "replace"),
            ) from None
        if not isinstance(data, dict):
            raise DecodeError(
                f"expected a JSON object, got {type(data).__name__}",
                status=response.status,
                method=method,
                path=path,
                body=data,
            )
        if data.get("error") not in (None, "", {}):
            raise error_from_response(response, method, path, data)
        order_id, order_ids = _acknowledged(data) if op.method != "GET" else (None, ())
        # Other ids a write acknowledges (order_group_id, transfer_id...), kept the same way.
        acknowledged = {
            name: value
            for name in op.essential
            if op.method != "GET"
            and name.endswith("_id")
            and isinstance(value := _lookup(data, name), str)
            and value
        }

        def fail(message: str) -> DecodeError:
            return DecodeError(
                message,
                status=response.status,
                method=method,
                path=path,
                body=data,
                order_id=order_id,
                order_ids=order_ids,
                acknowledged=acknowledged,
            )

        missing = [name for name in op.essential if _lookup(data, name) in (None, "")]
        if missing:
            raise fail(f"the response lacks {', '.join(missing)}")
        if op.method != "GET" and op.items is None and isinstance(data.get("orders"), list):
            for i, item in enumerate(data["orders"]):
                # A batch item says what happened to one order: its id, or its error.
                if not isinstance(item, dict) or (
                    item.get("error") is None and _item_order_id(item) is None
                ):
                    raise fail(f"orders[{i}] carries neither an order id nor an error")
        try:
            model = _converter.structure(data, op.response)
        except _converter.StructureError as exc:
            raise fail(str(exc)) from None
        object.__setattr__(model, "_kalshi_raw", data)
        return model


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``None`` when any step is missing or not an object."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _item_order_id(item: Mapping[str, Any]) -> str | None:
    """The order id a write answer names: ``order_id`` (V2) or ``order.order_id`` (V1)."""
    for key in ("order_id", "order.order_id"):
        value = _lookup(item, key)
        if isinstance(value, str) and value:
            return value
    return None


def _acknowledged(data: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """The order id a write answer acknowledges, and the ids of a batch's items.

    Read from the raw body before it is structured, so that a malformed rest of the body
    never hides an order the exchange accepted.
    """
    items = data.get("orders")
    ids: tuple[str, ...] = ()
    if isinstance(items, list):
        ids = tuple(
            oid
            for item in items
            if isinstance(item, Mapping) and (oid := _item_order_id(item)) is not None
        )
    return _item_order_id(data), ids


def _schemas(name: str) -> tuple[Field, ...]:
    from kalshi_core._generated.optable import REQUEST_SCHEMAS

    return REQUEST_SCHEMAS[name]


def _stacklevel() -> int:
    """The stack level of the first frame outside this SDK, for warnings."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        ("kalshi_core", "kalshi_sync", "kalshi_async")
    ):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DOT_SEGMENTS = frozenset({"", ".", ".."})


def path_segment(value: Any, name: str) -> str:
    """``value`` percent-encoded as one path segment, which no layer can normalise away.

    Every character outside RFC 3986's unreserved set is encoded (``/``, ``?``, ``#``, ``%``,
    ``\\``, spaces, controls, non-ASCII), so the value can never end its segment. ``.`` and
    ``..`` (which ``httpx`` and servers remove as dot segments, turning a cancel of order ``.``
    into a cancel-all) and the empty string are refused with a ``ValidationError`` naming the
    parameter, and so are they padded with spaces (a server may strip them): no real id or
    ticker is one of them.
    """
    text = str(value)
    if text in _DOT_SEGMENTS or text.strip() in _DOT_SEGMENTS:
        shown = "empty" if not text.strip() else repr(text)
        raise ValidationError(name, f"{shown} cannot be a path segment (it would change the URL)")
    return quote(text, safe="")


def make_call(
    operation: Operation[T], params: Mapping[str, Any], body: Mapping[str, Any] | None
) -> Call[T]:
    """Validate a builder's arguments against the operation table and make the ``Call``."""
    if operation.status == "legacy" and operation.replacement:
        warnings.warn(
            f"{operation.name} is a legacy V1 order write; use {operation.replacement} instead",
            DeprecationWarning,
            stacklevel=_stacklevel(),
        )
    path_values: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    checked: dict[str, Any] = {}
    for f in operation.params:
        value = params.get(f.name)
        if value is None:
            if f.required:
                raise ValidationError(f.name, "is required")
            continue
        value = normalize(value, f.kind, f.name, _schemas)
        checked[f.name] = value
        if f.location == "path":
            path_values[f.name] = path_segment(value, f.name)
        elif isinstance(value, list):
            query += [(f.name, _query_text(v)) for v in value]
        else:
            query.append((f.name, _query_text(value)))
    _rules.check_params(operation.name, checked)
    payload = None
    if operation.body is not None:
        values = normalize_fields(body or {}, _schemas(operation.body), "", _schemas)
        _rules.check_schema(operation.body, values)
        ensure_client_order_ids(operation.operation_id, values)
        payload = json.dumps(values, separators=(",", ":")).encode()
    return Call(
        operation=operation,
        path=operation.path.format(**path_values),
        query=tuple(query),
        body=payload,
    )
