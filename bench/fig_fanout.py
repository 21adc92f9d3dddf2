"""Figure 3: async fan-out, and the idle-then-burst case.

Fan-out: ``n`` concurrent ``get_balance`` calls on one client (RSA-2048 signing, keep-alive
loopback, the canned server in its own process), interleaved rounds; calls per second.

Idle-then-burst: a fresh client fires a burst of ``n`` (the pool fills), sits idle longer
than the server keeps an idle connection (the server closes them after ``idle`` seconds, and
httpx's default keep-alive expiry is 5 s), then fires another burst of ``n``: the second
burst's time and how many of its calls failed (none may). Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _serverproc import canned_server
from _timing import interleave, summary
from contenders import Contender, OursAsync, OursAsyncStockHttpx, TheirsAsync
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SERVER_IDLE = 4.0
PAUSE = 6.0


def _contenders(url: str, pem: bytes) -> list[Contender]:
    return [
        OursAsync(url, pem, "asyncio"),
        OursAsync(url, pem, "trio"),
        TheirsAsync(url, pem),
        OursAsyncStockHttpx(url, pem, "asyncio"),
    ]


def idle_then_burst(url: str, pem: bytes, n: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for contender in _contenders(url, pem):
        try:
            first_failed = contender.fanout(n)
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            failed = contender.fanout(n)
            wall = time.perf_counter() - t0
        finally:
            contender.close()
        result[contender.name] = {
            "first_burst_failed": first_failed,
            "burst_s": wall,
            "failed": failed,
        }
    return result


def run(url: str, n: int, rounds: int) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    contenders = _contenders(url, pem)
    failures: dict[str, int] = {c.name: 0 for c in contenders}

    def burst(c: Contender) -> None:
        failures[c.name] += c.fanout(n)

    try:
        samples = interleave(
            {c.name: (lambda c=c: burst(c)) for c in contenders}, rounds=rounds, warmup=1
        )
    finally:
        for c in contenders:
            c.close()
    return {
        "concurrency": n,
        "rounds": rounds,
        "server_idle_timeout_s": SERVER_IDLE,
        "pause_s": PAUSE,
        "fanout": {
            name: {
                "wall_rounds": s.wall,
                "calls_per_s": summary([n / w for w in s.wall]),
                "cpu_us_per_call": summary([c / n * 1e6 for c in s.cpu]),
                "failed": failures[name],
            }
            for name, s in samples.items()
        },
        "idle_then_burst": idle_then_burst(url, pem, n),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    with canned_server(idle=SERVER_IDLE) as url:
        result = run(url, n, rounds)
    json.dump(result, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
