"""Peak memory and elapsed time of one call against each hostile answer, per driver.

``python bench/hostile_memory.py [--cap BYTES] [--size BYTES]`` runs every (driver, fault)
pair in a fresh subprocess: a fake exchange behind a loopback server answers ``get_balance``
with the fault, and the subprocess reports the call's outcome, its wall time, the peak of
Python allocations during the call (``tracemalloc``) and the growth of the process's maximum
resident set (``ru_maxrss``). The faults: an endless body (``--size`` bytes, then the server
stops), a terabyte ``Content-Length``, a gzip bomb inflating to ``--size`` bytes, and a server
trickling a byte every 0.2 s against ``attempt_deadline=1``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

DRIVERS = ("sync", "asyncio", "trio")
FAULTS = ("endless_body", "huge_content_length", "gzip_bomb", "trickle")

CHILD = r"""
import json, resource, sys, time, tracemalloc
import anyio
import kalshi_async, kalshi_sync
from kalshi_testing import FakeExchange, Fault, FaultPlan, LoopbackServer

driver, fault, cap, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fake = FakeExchange()
key = fake.add_user(balance="100")
make = {
    "endless_body": lambda: Fault.endless_body(total=size),
    "huge_content_length": lambda: Fault.huge_content_length(10**12),
    "gzip_bomb": lambda: Fault.gzip_bomb(size),
    "trickle": lambda: Fault.trickle(0.2),
}[fault]
if fault == "gzip_bomb":
    from kalshi_testing._hostile import gzip_bomb_body
    gzip_bomb_body(size)  # made before measuring: it is the server's, not the client's
kwargs = dict(key_id=key.key_id, private_key=key.private_key_pem, max_retries=0,
              rate_limit=None, timeout=30.0, attempt_deadline=1.0 if fault == "trickle" else 60.0,
              max_response_bytes=cap)
try:
    kalshi_sync.Client(**kwargs).close()
except TypeError:  # a version without the bounds (for comparison): measure it unbounded
    for name in ("attempt_deadline", "max_response_bytes"):
        kwargs.pop(name)
with LoopbackServer(fake, faults=FaultPlan(make())) as server:
    kwargs["base_url"] = server.url
    outcome = "ok"
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    elapsed = 0.0
    if driver == "sync":
        with kalshi_sync.Client(**kwargs) as c:
            started = time.monotonic()
            try:
                c.get_balance()
            except Exception as exc:
                outcome = type(exc).__name__
            elapsed = time.monotonic() - started
    else:
        async def go():
            global outcome, elapsed
            async with kalshi_async.AsyncClient(**kwargs) as c:
                started = time.monotonic()
                try:
                    await c.get_balance()
                except Exception as exc:
                    outcome = type(exc).__name__
                elapsed = time.monotonic() - started
        anyio.run(go, backend=driver)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "elapsed": elapsed, "peak": peak,
                  "rss_growth": (rss1 - rss0) * 1024}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=32 << 20, help="max_response_bytes")
    parser.add_argument("--size", type=int, default=1 << 30, help="endless body / bomb size")
    parser.add_argument("--faults", nargs="*", default=list(FAULTS), choices=FAULTS)
    args = parser.parse_args()
    print(f"cap {args.cap / 2**20:.0f} MiB; endless body and gzip bomb {args.size / 2**20:.0f} MiB")
    print("seconds: the call alone; trickle: one byte per 0.2 s against attempt_deadline=1")
    print("| driver | fault | outcome | seconds | peak traced MiB | max RSS growth MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for fault in args.faults:
        for driver in DRIVERS:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, driver, fault, str(args.cap), str(args.size)],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                print(f"| {driver} | {fault} | crashed: {done.stderr.strip()[-120:]} | | | |")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {driver} | {fault} | {r['outcome']} | {r['elapsed']:.2f} | "
                f"{r['peak'] / 2**20:.1f} | {r['rss_growth'] / 2**20:.1f} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
