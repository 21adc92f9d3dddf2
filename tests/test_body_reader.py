"""``BodyReader``: the sans-IO size cap the drivers read every answer through."""

from __future__ import annotations

import gzip
import zlib

import pytest

from kalshi_core import errors
from kalshi_core.wire.body import BodyReader

DATA = b'{"orders": [' + b",".join(b'{"order_id": "%d"}' % i for i in range(20_000)) + b"]}"


def read(
    chunks: list[bytes],
    *,
    limit: int | None,
    encoding: str | None = None,
    length: str | None = None,
) -> bytes:
    reader = BodyReader(
        limit=limit, method="GET", path="/x", content_encoding=encoding, content_length=length
    )
    for chunk in chunks:
        reader.feed(chunk)
    return reader.finish()


def split(data: bytes, size: int = 4096) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        (None, DATA),
        ("identity", DATA),
        ("gzip", gzip.compress(DATA)),
        ("x-gzip", gzip.compress(DATA)),
        ("GZIP", gzip.compress(DATA)),
        ("deflate", zlib.compress(DATA)),
        ("deflate", raw_deflate(DATA)),
    ],
)
def test_bodies_within_the_cap_are_decoded_whole(encoding: str | None, packed: bytes) -> None:
    assert read(split(packed), limit=len(DATA), encoding=encoding) == DATA
    assert read([packed], limit=None, encoding=encoding) == DATA


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_one_byte_over_the_cap_is_refused(encoding: str | None) -> None:
    packed = gzip.compress(DATA) if encoding else DATA
    with pytest.raises(errors.ResponseTooLargeError) as info:
        read(split(packed), limit=len(DATA) - 1, encoding=encoding)
    assert info.value.limit == len(DATA) - 1
    assert info.value.encoded is (encoding is None)


def test_content_length_over_the_cap_is_refused_before_any_byte() -> None:
    with pytest.raises(errors.ResponseTooLargeError, match="Content-Length"):
        BodyReader(limit=100, method="GET", path="/x", content_length="101")
    BodyReader(limit=100, method="GET", path="/x", content_length="100")
    BodyReader(limit=100, method="GET", path="/x", content_length="garbage")


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_unbounded_codings_are_refused(encoding: str) -> None:
    with pytest.raises(errors.DecodeError, match="Content-Encoding"):
        read([b"x"], limit=100, encoding=encoding)


def test_broken_gzip_is_a_decode_error() -> None:
    with pytest.raises(errors.DecodeError, match="broken"):
        read([b"\x1f\x8b not gzip at all"], limit=1000, encoding="gzip")
