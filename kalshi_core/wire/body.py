"""Reading a response body under a size cap: the sans-IO half of the drivers' body loop.

A driver feeds the raw bytes it reads off the connection (still compressed, as they crossed the
wire) to ``BodyReader.feed`` and takes the decoded body from ``finish``. The reader enforces
one cap, ``limit``, three ways, so that no answer can make the client hold much more than
``limit`` bytes whatever the server sends:

- a ``Content-Length`` above the cap is refused before a byte of the body is read;
- the bytes on the wire are counted as they arrive (an endless or lying body stops at the cap);
- the decompressed bytes are counted too, and decompression itself is bounded: gzip and
  deflate are inflated here with ``zlib``'s ``max_length``, never more than the room left
  under the cap at a time, so a "gzip bomb" (a megabyte that inflates to gigabytes) stops at
  the cap without ever being inflated past it.

Crossing the cap raises ``ResponseTooLargeError``; the driver then closes the connection at
once (the rest of the body is never read). The drivers ask for ``gzip, deflate`` only
(``ACCEPT_ENCODING``); another content coding is refused with ``DecodeError`` rather than
decoded without a bound.
"""

from __future__ import annotations

import zlib

from kalshi_core.errors import DecodeError, ResponseTooLargeError

__all__ = ["ACCEPT_ENCODING", "DEFAULT_MAX_RESPONSE_BYTES", "BodyReader"]

#: The default cap: 32 MiB. Kalshi's largest answers (a page of 1,000 markets with their rules
#: text, a year of candlesticks) are a few megabytes.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024

#: The ``Accept-Encoding`` the drivers send: the codings ``BodyReader`` can bound.
ACCEPT_ENCODING = "gzip, deflate"

_GZIP = zlib.MAX_WBITS | 16
_STEP = 1 << 20
_CODINGS = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": zlib.MAX_WBITS}


class BodyReader:
    """Collects one response body under ``limit`` bytes (``None``: no cap), compressed and
    decompressed. ``method`` and ``path`` name the request in the errors it raises."""

    __slots__ = (
        "_deflate",
        "_inflater",
        "_parts",
        "_size",
        "_wire",
        "limit",
        "method",
        "path",
        "status",
    )

    def __init__(
        self,
        *,
        limit: int | None,
        method: str,
        path: str,
        content_encoding: str | None = None,
        content_length: str | None = None,
        status: int = 0,
    ) -> None:
        self.limit = limit
        self.status = status
        self.method = method
        self.path = path
        self._parts: list[bytes] = []
        self._size = 0
        self._wire = 0
        self._inflater: zlib._Decompress | None = None
        self._deflate = False
        codings = [
            c.strip().lower()
            for c in (content_encoding or "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if len(codings) > 1 or (codings and codings[0] not in _CODINGS):
            raise DecodeError(
                f"unsupported Content-Encoding {content_encoding!r} (the client asked for "
                f"{ACCEPT_ENCODING})",
                status=status,
                method=method,
                path=path,
            )
        if codings:
            self._deflate = codings[0] == "deflate"
            self._inflater = zlib.decompressobj(_CODINGS[codings[0]])
        if limit is not None and content_length:
            try:
                announced = int(content_length.split(",")[0].strip())
            except ValueError:
                announced = -1
            if announced > limit:
                raise self._too_large(
                    f"the answer announces {announced} bytes (Content-Length)", encoded=True
                )

    def _too_large(self, what: str, *, encoded: bool) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{what}, more than max_response_bytes={self.limit}; stopped reading",
            method=self.method,
            path=self.path,
            limit=self.limit or 0,
            encoded=encoded,
        )

    @property
    def size(self) -> int:
        """Decoded bytes collected so far."""
        return self._size

    def feed(self, chunk: bytes) -> None:
        """Take the next raw chunk off the wire; raises once the cap is crossed."""
        if not chunk:
            return
        limit = self.limit
        self._wire += len(chunk)
        if limit is not None and self._wire > limit:
            raise self._too_large(f"the answer ran past {limit} bytes on the wire", encoded=True)
        if self._inflater is None:
            self._size += len(chunk)
            self._parts.append(chunk)
            return
        self._inflate(chunk)

    def _inflate(self, data: bytes) -> None:
        inflater = self._inflater
        assert inflater is not None
        limit = self.limit
        while True:
            # At most _STEP bytes per call: zlib builds each call's output in blocks and then
            # copies it into one bytes object, so a bigger step would double the peak.
            step = _STEP if limit is None else min(_STEP, limit - self._size + 1)
            try:
                out = inflater.decompress(data, step)
            except zlib.error:
                if self._deflate and self._wire == len(data) and not self._parts:
                    # "deflate" sent as a raw stream without its zlib header (as some servers do).
                    self._inflater = inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._deflate = False
                    continue
                raise self._broken() from None
            self._size += len(out)
            if limit is not None and self._size > limit:
                raise self._too_large(
                    f"the answer inflates past {limit} bytes (compressed: {self._wire} so far)",
                    encoded=False,
                )
            if out:
                self._parts.append(out)
            data = inflater.unconsumed_tail
            # Stop when the input is used up and the step was not filled (nothing is pending).
            if inflater.eof or (not data and len(out) < step):
                return

    def _broken(self) -> DecodeError:
        return DecodeError(
            "the body's Content-Encoding is broken (not valid gzip/deflate)",
            status=self.status,
            method=self.method,
            path=self.path,
        )

    def finish(self) -> bytes:
        """The whole decoded body."""
        inflater = self._inflater
        if inflater is not None and not inflater.eof:
            try:
                # The input has all been consumed through ``max_length``: what is left is at
                # most zlib's internal window, and is counted like the rest.
                rest = inflater.flush()
            except zlib.error:
                raise self._broken() from None
            self._size += len(rest)
            if self.limit is not None and self._size > self.limit:
                raise self._too_large(f"the answer inflates past {self.limit} bytes", encoded=False)
            if rest:
                self._parts.append(rest)
        parts = self._parts
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)
