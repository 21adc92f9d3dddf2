"""One process of the fleet benchmark (``bench/fleet.py``); prints one JSON line.

Modes (``config["mode"]``):

- ``burst``: ``bursts`` bursts of ``size`` concurrent ``get_balance`` calls (threads on the sync
  client, tasks on the async one), ``pause`` seconds apart, no retries; every call's outcome
  (``ok`` or ``429``) and latency (including the limiter's wait).
- ``paired``: two clients of the same driver, one with in-process buckets and one with the
  Redis store, both warm; ``calls`` pairs of sequential ``get_balance`` calls alternating
  between them (which goes first alternates too), so a busy machine slows both alike; each
  call's seconds, per client.
- ``takes``: ``store.take()`` alone, sequentially, for ``seconds``; the count and each take's
  seconds (a bucket too big to ever make anyone wait).

The process prints ``ready`` once its client is built and starts when a line arrives on stdin,
so all the processes of a run start together.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio

import kalshi_async
import kalshi_sync
from kalshi_core import errors
from kalshi_core.policy.ratelimit import Take

BIG = Take("read", 10, 1e9, 1e9, 0)


def client_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "key_id": config["key_id"],
        "private_key": Path(config["key_path"]).read_bytes(),
        "base_url": config["base_url"],
        "max_retries": 0,
        "rate_limit": config.get("tier", "basic"),
    }


def run_sync(config: dict[str, Any]) -> dict[str, Any]:
    url = config.get("redis_url")
    store = kalshi_sync.RedisBuckets(url, account=config["account"]) if url else None
    mode = config["mode"]
    with kalshi_sync.Client(rate_limit_store=store, **client_kwargs(config)) as client:
        client.get_balance()  # a warm connection and a built surface (not counted)
        print("ready", flush=True)
        sys.stdin.readline()
        if mode == "takes":
            assert store is not None
            return _takes_sync(store, float(config["seconds"]))
        if mode == "paired":
            with kalshi_sync.Client(**client_kwargs(config)) as local:
                local.get_balance()
                both: dict[str, list[float]] = {"local": [], "redis": []}
                for i in range(int(config["calls"])):
                    pair = [("local", local), ("redis", client)]
                    for name, c in pair if i % 2 else pair[::-1]:
                        t0 = time.perf_counter()
                        c.get_balance()
                        both[name].append(time.perf_counter() - t0)
            return both

        def one(_: int) -> tuple[str, float]:
            t0 = time.perf_counter()
            try:
                client.get_balance()
            except errors.RateLimitError:
                return "429", time.perf_counter() - t0
            return "ok", time.perf_counter() - t0

        results: list[tuple[str, float]] = []
        size = int(config["size"])
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=size) as pool:
            for i in range(int(config["bursts"])):
                if i:
                    time.sleep(float(config["pause"]))
                results.extend(pool.map(one, range(size)))
        elapsed = time.perf_counter() - started
    out = _burst_report(results, store.health if store else None, elapsed)
    if store is not None:
        store.close()
    return out


def _takes_sync(store: Any, seconds: float) -> dict[str, Any]:
    times = []
    end = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < end:
        store.take(BIG)
        times.append(time.perf_counter() - t0)
    return {"count": len(times), "seconds": seconds, "times": times}


def _burst_report(
    results: list[tuple[str, float]], health: Any, elapsed: float
) -> dict[str, Any]:
    return {
        "elapsed": elapsed,
        "outcomes": [r[0] for r in results],
        "times": [r[1] for r in results],
        "fallback_calls": health.fallback_calls if health else None,
    }


async def run_async(config: dict[str, Any]) -> dict[str, Any]:
    url = config.get("redis_url")
    store = kalshi_async.AsyncRedisBuckets(url, account=config["account"]) if url else None
    mode = config["mode"]
    async with kalshi_async.AsyncClient(
        rate_limit_store=store, **client_kwargs(config)
    ) as client:
        await client.get_balance()
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)
        if mode == "takes":
            assert store is not None
            times = []
            end = time.perf_counter() + float(config["seconds"])
            while (t0 := time.perf_counter()) < end:
                await store.take(BIG)
                times.append(time.perf_counter() - t0)
            out: dict[str, Any] = {"count": len(times), "seconds": config["seconds"]}
            out["times"] = times
        elif mode == "paired":
            async with kalshi_async.AsyncClient(**client_kwargs(config)) as local:
                await local.get_balance()
                both: dict[str, list[float]] = {"local": [], "redis": []}
                for i in range(int(config["calls"])):
                    pair = [("local", local), ("redis", client)]
                    for name, c in pair if i % 2 else pair[::-1]:
                        t0 = time.perf_counter()
                        await c.get_balance()
                        both[name].append(time.perf_counter() - t0)
            out = dict(both)
        else:
            results: list[tuple[str, float]] = []

            async def one() -> None:
                t0 = time.perf_counter()
                try:
                    await client.get_balance()
                except errors.RateLimitError:
                    results.append(("429", time.perf_counter() - t0))
                else:
                    results.append(("ok", time.perf_counter() - t0))

            started = time.perf_counter()
            for i in range(int(config["bursts"])):
                if i:
                    await anyio.sleep(float(config["pause"]))
                async with anyio.create_task_group() as tg:
                    for _ in range(int(config["size"])):
                        tg.start_soon(one)
            elapsed = time.perf_counter() - started
            out = _burst_report(results, store.health if store else None, elapsed)
    if store is not None:
        await store.aclose()
    return out


def main() -> None:
    config: dict[str, Any] = json.loads(sys.argv[1])
    driver = config["driver"]
    out = run_sync(config) if driver == "sync" else anyio.run(run_async, config, backend=driver)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
