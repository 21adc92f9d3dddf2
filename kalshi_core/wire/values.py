"""Request and response values: what crosses the boundary between the core and a driver."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Headers", "Request", "Response", "find_header", "redacted_headers"]

Headers = tuple[tuple[str, str], ...]

_SECRET_HEADERS = frozenset({"kalshi-access-signature", "authorization"})


def redacted_headers(headers: Headers) -> Headers:
    """``headers`` with the signature (and any Authorization) replaced by ``<redacted>``."""
    return tuple((k, "<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers)


def find_header(headers: Headers, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or ``None``."""
    lname = name.lower()
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Request:
    """An HTTP request, ready to send: method, absolute URL, headers and body bytes.

    ``repr()`` redacts the signature header; the value itself is immutable, so signing returns
    a new ``Request``.
    """

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    @property
    def path(self) -> str:
        """The URL path without the query string (what Kalshi's signature covers)."""
        return urlsplit(self.url).path

    @property
    def target(self) -> str:
        """The request target for an HTTP/1.1 request line: path plus query string."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)

    def with_headers(self, extra: Iterable[tuple[str, str]]) -> Request:
        extra = tuple(extra)
        names = {k.lower() for k, _ in extra}
        kept = tuple((k, v) for k, v in self.headers if k.lower() not in names)
        return dataclasses.replace(self, headers=kept + extra)

    def __reduce__(self) -> Any:
        # A pickle must not carry the signature: it is redacted (a signature expires anyway).
        return (Request, (self.method, self.url, redacted_headers(self.headers), self.body))

    def __repr__(self) -> str:
        return (
            f"Request(method={self.method!r}, url={self.url!r}, "
            f"headers={redacted_headers(self.headers)!r}, body=<{len(self.body)} bytes>)"
        )


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class Response:
    """An HTTP response as received: status, headers and the whole body."""

    status: int
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)

    def __repr__(self) -> str:
        return f"Response(status={self.status}, body=<{len(self.body)} bytes>)"
