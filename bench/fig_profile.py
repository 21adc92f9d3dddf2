"""Where the time goes: cProfile of our hot paths, own time summed by library.

Three workloads: parsing the 1,000-order page; 200 sequential signed ``get_balance`` calls on
the sync client; a fan-out of 500 ``get_balance`` on the async client under asyncio. Each
function's own time (``tottime``) is credited to the library its file belongs to, so the table
reads "x% in the signature, y% in httpx, z% in h11...". Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _serverproc import canned_server
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from payloads import orders_page

import kalshi_async
import kalshi_sync
from kalshi_core import Response, builders

GROUPS = [
    ("kalshi_core", "ours: kalshi_core"),
    ("kalshi_sync", "ours: driver"),
    ("kalshi_async", "ours: driver + H11Transport"),
    ("<kalshi structure", "ours: compiled model structuring"),
    ("cattrs", "cattrs"),
    ("attrs", "attrs"),
    ("httpx", "httpx"),
    ("httpcore", "httpcore"),
    ("h11", "h11"),
    ("anyio", "anyio"),
    ("asyncio", "asyncio"),
    ("socket", "sockets (syscalls)"),
    ("select", "sockets (syscalls)"),
    ("selectors", "sockets (syscalls)"),
]


def _group(filename: str, function: str) -> str:
    if "sign" in function and "RSAPrivateKey" in function:
        return "RSA signature (cryptography)"
    if "orjson" in function or function == "loads":
        return "JSON decode"
    for needle, label in GROUPS:
        if needle in filename or (filename == "~" and needle in function):
            return label
    return "other (stdlib, builtins)"


def summarize(prof: cProfile.Profile) -> dict[str, Any]:
    stats = pstats.Stats(prof)
    totals: dict[str, float] = defaultdict(float)
    top: list[tuple[float, str]] = []
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        totals[_group(filename, function)] += row[2]
        top.append((row[2], f"{Path(filename).name}:{function}"))
    whole = sum(totals.values()) or 1.0
    top.sort(reverse=True)
    return {
        "total_s": whole,
        "by_library": {k: v / whole for k, v in sorted(totals.items(), key=lambda kv: -kv[1])},
        "top_functions": [(name, t / whole) for t, name in top[:12]],
    }


def profile(fn: Callable[[], Any]) -> dict[str, Any]:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    return summarize(prof)


def main() -> None:
    out: dict[str, Any] = {}
    body = orders_page(1000)
    call = builders.get_orders(limit=1000)
    response = Response(status=200, headers=(), body=body)
    call.parse(response)
    out["parse 1,000 orders x5"] = profile(lambda: [call.parse(response) for _ in range(5)])

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with canned_server() as url:
        client = kalshi_sync.Client(key_id="k", private_key=pem, base_url=url, rate_limit=None)
        client.get_balance()
        out["sync get_balance x200"] = profile(lambda: [client.get_balance() for _ in range(200)])
        client.close()

        async def fanout() -> None:
            async with kalshi_async.AsyncClient(
                key_id="k", private_key=pem, base_url=url, rate_limit=None
            ) as c:
                await asyncio.gather(*[c.get_balance() for _ in range(500)])
                prof = cProfile.Profile()
                prof.enable()
                await asyncio.gather(*[c.get_balance() for _ in range(500)])
                prof.disable()
                out["async fan-out 500 (asyncio)"] = summarize(prof)

        asyncio.run(fanout())
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
