"""Figure 2: per-call cost, sequential calls with RSA-2048 signing over keep-alive loopback.

``get_balance`` and ``get_orders(limit=1)``, one after another, for each contender in turn
(interleaved rounds), against the canned server in its own process. Calls per second and the
client process's CPU per call; the server's own CPU per request, from its counters, shows it is
not the bottleneck. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _serverproc import alone, canned_server, stats
from _timing import interleave, summary
from contenders import (
    BareHttpx,
    BareHttpxAsync,
    Contender,
    OursAsync,
    OursSync,
    OursSyncStockHttpx,
    TheirsAsync,
    TheirsSync,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def run(url: str, calls: int, rounds: int) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    contenders: list[Contender] = [
        OursSync(url, pem),
        OursSyncStockHttpx(url, pem),
        OursAsync(url, pem, "asyncio"),
        OursAsync(url, pem, "trio"),
        TheirsSync(url, pem),
        TheirsAsync(url, pem),
        BareHttpx(url, key),
        BareHttpxAsync(url, key, "asyncio"),
    ]
    out: dict[str, Any] = {"calls_per_round": calls, "rounds": rounds, "ops": {}}
    out["server_alone"] = alone(url)
    try:
        for op in ("balance", "orders"):
            before = stats(url)
            samples = interleave(
                {
                    c.name: (
                        lambda c=c, op=op: c.balance(calls) if op == "balance" else c.orders(calls)
                    )
                    for c in contenders
                },
                rounds=rounds,
                warmup=1,
            )
            after = stats(url)
            served = after["requests"] - before["requests"]
            out["ops"][op] = {
                "server_cpu_us_per_request": (after["cpu"] - before["cpu"]) / served * 1e6,
                "contenders": {
                    name: {
                        "wall_rounds": s.wall,
                        "cpu_rounds": s.cpu,
                        "calls_per_s": summary([calls / w for w in s.wall]),
                        "cpu_us_per_call": summary([c / calls * 1e6 for c in s.cpu]),
                        "wall_us_per_call": summary([w / calls * 1e6 for w in s.wall]),
                    }
                    for name, s in samples.items()
                },
            }
    finally:
        for c in contenders:
            c.close()
    return out


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    with canned_server() as url:
        result = run(url, calls, rounds)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
