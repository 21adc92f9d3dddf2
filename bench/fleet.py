"""Fleet benchmark: many processes, one account, with and without the Redis bucket store.

Writes ``bench/FLEET.md`` (and ``FLEET.json``). ``nox -s bench`` runs it after the other
figures; ``nox -s bench -- --fleet-only`` (or ``python bench/fleet.py``) runs it alone. Needs a
``redis-server`` binary (Debian's package; ``REDIS_SERVER`` names another) and the ``redis``
extra.

1. **429s.** ``PROCESSES`` processes of one account (each its own API key) fire ``BURSTS``
   bursts of ``SIZE`` concurrent ``get_balance`` calls at one fake exchange enforcing the Basic
   tier (200 read tokens per second, a 200-token bucket; 10 tokens a call), each process with
   the Basic limiter: once with per-process buckets, once sharing Redis. The fake's own
   per-key counters say how many calls met a 429. Every driver.
2. **Added latency per call.** One process, two clients (with and without the store) taking
   turns at sequential ``get_balance`` calls to an unmetered fake (Prime limiter: it never
   waits): the per-pair difference; and ``store.take()`` alone (one Redis round trip: the
   script, ``EVALSHA``).
3. **Tokens per second the store sustains.** ``store.take()`` back to back for a few seconds
   from 1 and from ``PROCESSES`` processes (sync client): takes per second, times 10 tokens.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _timing import machine  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from kalshi_testing import FakeExchange, FakeRateLimits, LoopbackServer  # noqa: E402

WORKER = HERE / "fleet_worker.py"
DRIVERS = ("sync", "asyncio", "trio")
PROCESSES = 8
BURSTS = 3
SIZE = 8
PAUSE = 0.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench/fleet.py needs redis-server (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as workdir:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def redis_version(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return str(client.info("server")["redis_version"])
    finally:
        client.close()


class World:
    """One fake exchange on a loopback port, one user with ``PROCESSES`` keys."""

    def __init__(self, tmp: Path) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_path = tmp / "key.pem"
        self.key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.fake = FakeExchange()
        first = self.fake.add_user(balance=100, public_key=key.public_key())
        self.keys = [first.key_id] + [
            self.fake.add_key(first.user_id, public_key=key.public_key()).key_id
            for _ in range(PROCESSES - 1)
        ]
        self.server = LoopbackServer(self.fake)

    def run(self, driver: str, n: int, **config: Any) -> list[dict[str, Any]]:
        """``n`` workers of ``driver`` released together; their reports."""
        account = f"bench-{uuid.uuid4().hex[:8]}"
        procs = []
        try:
            for key_id in self.keys[:n]:
                cfg = {
                    "driver": driver,
                    "key_id": key_id,
                    "key_path": str(self.key_path),
                    "base_url": self.server.url,
                    "account": account,
                    **config,
                }
                procs.append(
                    subprocess.Popen(
                        [sys.executable, str(WORKER), json.dumps(cfg)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )
            for proc in procs:
                assert proc.stdout is not None
                line = proc.stdout.readline().strip()
                if line != "ready":
                    raise RuntimeError(f"a worker did not start: {line!r}")
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            reports = []
            for proc in procs:
                out, _ = proc.communicate(timeout=300)
                if proc.returncode:
                    raise RuntimeError(f"a worker failed ({proc.returncode})")
                reports.append(json.loads(out.strip().splitlines()[-1]))
            return reports
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def bursts(world: World, redis_url: str, drivers: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for driver in drivers:
        for shared in (False, True):
            limits = FakeRateLimits("basic")
            world.fake.rate_limits = limits  # fresh, full buckets
            reports = world.run(
                driver,
                PROCESSES,
                mode="burst",
                bursts=BURSTS,
                size=SIZE,
                pause=PAUSE,
                tier="basic",
                redis_url=redis_url if shared else None,
            )
            wall = max(r["elapsed"] for r in reports)
            refused = sum(r["outcomes"].count("429") for r in reports)
            rows.append(
                {
                    "driver": driver,
                    "store": "redis" if shared else "per-process",
                    "calls": sum(len(r["outcomes"]) for r in reports),
                    "refused_client": refused,
                    "refused_by_fake": sum(limits.rejected_by_key[k] for k in world.keys),
                    "keys_refused": sum(1 for k in world.keys if limits.rejected_by_key[k]),
                    "wall_s": round(wall, 2),
                    "fallback_calls": sum(r["fallback_calls"] or 0 for r in reports),
                }
            )
            print(f"   {rows[-1]}", file=sys.stderr, flush=True)
            time.sleep(1.2)  # the fake's and Redis's buckets refill fully between runs
    world.fake.rate_limits = None
    return rows


def latency(world: World, redis_url: str, drivers: tuple[str, ...], calls: int) -> list[Any]:
    world.fake.rate_limits = None
    rows = []
    for driver in drivers:
        (paired,) = world.run(
            driver, 1, mode="paired", calls=calls, tier="prime", redis_url=redis_url
        )
        local, shared = paired["local"], paired["redis"]
        added = sorted(b - a for a, b in zip(local, shared, strict=True))
        (takes,) = world.run(driver, 1, mode="takes", seconds=2, redis_url=redis_url)
        take_times = sorted(takes["times"])
        rows.append(
            {
                "driver": driver,
                "call_ms_local": ms(statistics.median(local)),
                "call_ms_redis": ms(statistics.median(shared)),
                "added_ms": ms(statistics.median(added)),
                "added_q1_ms": ms(added[len(added) // 4]),
                "added_q3_ms": ms(added[3 * len(added) // 4]),
                "take_ms_median": ms(statistics.median(take_times)),
                "take_ms_p99": ms(take_times[int(len(take_times) * 0.99)]),
            }
        )
        print(f"   {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def throughput(world: World, redis_url: str, seconds: float) -> list[dict[str, Any]]:
    rows = []
    for n in (1, PROCESSES):
        reports = world.run("sync", n, mode="takes", seconds=seconds, redis_url=redis_url)
        takes = sum(r["count"] for r in reports)
        rows.append(
            {
                "processes": n,
                "takes_per_s": round(takes / seconds),
                "tokens_per_s": round(takes / seconds * 10),
            }
        )
        print(f"   {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def render(meta: dict[str, Any], r: dict[str, Any]) -> str:
    lines = [
        "# Fleet benchmark: many processes, one account",
        "",
        f"{meta['date']}; {_machine(meta['machine'])}; Redis {meta['redis']} on loopback; "
        f"load before "
        f"{meta['load_before']}, after {meta['load_after']}. Written by `bench/fleet.py` "
        "(`nox -s bench`, or `nox -s bench -- --fleet-only`).",
        "",
        "## 1. 429s: 8 processes bursting at the Basic tier",
        "",
        f"{PROCESSES} processes of one account (one API key each), every one with the Basic "
        f"limiter, fire {BURSTS} bursts of {SIZE} concurrent `get_balance` calls "
        f"({PAUSE} s apart, no retries) at one fake exchange enforcing Basic (read bucket "
        f"{meta['basic_read'][1]:g} tokens, {meta['basic_read'][0]:g} per second; 10 tokens a "
        "call). The fake's per-key 429 counters judge; "
        "seconds: from the start signal to the last process's last answer.",
        "",
        "| driver | buckets | calls | 429s (fake) | keys that met a 429 | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in r["bursts"]:
        lines.append(
            f"| {row['driver']} | {row['store']} | {row['calls']} | {row['refused_by_fake']} | "
            f"{row['keys_refused']} of {PROCESSES} | {row['wall_s']} |"
        )
    lines += [
        "",
        "With per-process buckets each process believes it has the account's whole budget, so "
        "the fleet spends it several times over; sharing Redis, the fleet queues on one bucket "
        "and takes as long as the budget says.",
        "",
        "## 2. Added latency per call",
        "",
        "One process, two warm clients of the driver, one with in-process buckets and one "
        f"with the Redis store, {r['calls']} pairs of sequential `get_balance` calls to an "
        "unmetered fake over loopback (the Prime limiter never waits here), alternating "
        "between the clients call by call so a busy machine slows both alike. Added: the "
        "median (and quartiles) of the per-pair difference. `take()` alone: one `EVALSHA` "
        "round trip (under trio, plus a worker-thread hop).",
        "",
        "| driver | call median, local / Redis (ms) | added per call, median [q1, q3] (ms) "
        "| take() median / p99 (ms) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in r["latency"]:
        lines.append(
            f"| {row['driver']} | {row['call_ms_local']:.2f} / {row['call_ms_redis']:.2f} | "
            f"{row['added_ms']:.2f} [{row['added_q1_ms']:.2f}, {row['added_q3_ms']:.2f}] | "
            f"{row['take_ms_median']:.2f} / {row['take_ms_p99']:.2f} |"
        )
    lines += [
        "",
        "## 3. What the store sustains",
        "",
        "`RedisBuckets.take()` back to back (sync client; a bucket too large to make anyone "
        f"wait) for {r['seconds']} s, from one process and from {PROCESSES}; at 10 tokens a "
        "call. Both the client processes and redis-server share this machine's cores.",
        "",
        "| processes | takes per second | tokens per second |",
        "| ---: | ---: | ---: |",
    ]
    for row in r["throughput"]:
        lines.append(
            f"| {row['processes']} | {row['takes_per_s']:,} | {row['tokens_per_s']:,} |"
        )
    lines += [
        "",
        "The largest public tier (Prime) is 4,000 tokens per second, a few hundred calls: the "
        "store sustains far more than any account can spend.",
        "",
    ]
    return "\n".join(lines)


def _machine(m: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in m.items())


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sync driver only, fewer calls")
    parser.add_argument("--out", default=str(HERE / "FLEET.md"))
    args = parser.parse_args()
    drivers = ("sync",) if args.quick else DRIVERS
    seconds = 1.0 if args.quick else 3.0
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url:
        world = World(Path(tmp))
        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "redis": redis_version(redis_url),
            "load_before": loadavg(),
            "basic_read": (FakeRateLimits("basic").read, FakeRateLimits("basic").read_capacity),
        }
        with world.server:
            print("-- fleet: bursts", file=sys.stderr, flush=True)
            results: dict[str, Any] = {"bursts": bursts(world, redis_url, drivers)}
            print("-- fleet: latency", file=sys.stderr, flush=True)
            calls = 50 if args.quick else 400
            results["latency"] = latency(world, redis_url, drivers, calls)
            results["calls"] = calls
            print("-- fleet: throughput", file=sys.stderr, flush=True)
            results["throughput"] = throughput(world, redis_url, seconds)
            results["seconds"] = seconds
        meta["load_after"] = loadavg()
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, **results}, indent=1))
    out.write_text(render(meta, results))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
