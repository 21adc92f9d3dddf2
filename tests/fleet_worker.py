"""One process of a fleet: a client of one driver bursting reads at a shared fake exchange.

Run by ``tests/test_fleet.py`` (``python tests/fleet_worker.py CONFIG_JSON``). It builds its
client, prints ``ready``, waits for a line on stdin (so every process of the fleet starts its
burst at once), sends ``burst`` concurrent ``get_balance`` calls with no retries, and prints a
JSON line: the status of every attempt and the store's health.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio

import kalshi_async
import kalshi_sync
from kalshi_core import errors


def main() -> None:
    config: dict[str, Any] = json.loads(sys.argv[1])
    driver: str = config["driver"]
    statuses: list[int] = []
    kwargs: dict[str, Any] = {
        "key_id": config["key_id"],
        "private_key": Path(config["key_path"]).read_bytes(),
        "base_url": config["base_url"],
        "max_retries": 0,
        "rate_limit": config.get("tier", "basic"),
        "on_attempt": lambda a: statuses.append(a.response.status if a.response else 0),
    }
    redis_url = config.get("redis_url")
    burst = int(config["burst"])
    if driver == "sync":
        store = (
            kalshi_sync.RedisBuckets(redis_url, account=config["account"]) if redis_url else None
        )
        with kalshi_sync.Client(rate_limit_store=store, **kwargs) as client:
            client.get_exchange_status  # noqa: B018 - the surface is built before the burst
            print("ready", flush=True)
            sys.stdin.readline()
            started = time.monotonic()

            def one(_: int) -> str:
                try:
                    client.get_balance()
                except errors.RateLimitError:
                    return "429"
                return "ok"

            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=burst) as pool:
                outcomes = list(pool.map(one, range(burst)))
            elapsed = time.monotonic() - started
        health = store.health if store else None
        if store is not None:
            store.close()
    else:

        async def run() -> tuple[list[str], float, Any]:
            store = (
                kalshi_async.AsyncRedisBuckets(redis_url, account=config["account"])
                if redis_url
                else None
            )
            async with kalshi_async.AsyncClient(rate_limit_store=store, **kwargs) as client:
                print("ready", flush=True)
                await anyio.to_thread.run_sync(sys.stdin.readline)
                started = time.monotonic()
                outcomes: list[str] = ["?"] * burst

                async def one(i: int) -> None:
                    try:
                        await client.get_balance()
                    except errors.RateLimitError:
                        outcomes[i] = "429"
                    else:
                        outcomes[i] = "ok"

                async with anyio.create_task_group() as tg:
                    for i in range(burst):
                        tg.start_soon(one, i)
                elapsed = time.monotonic() - started
            if store is not None:
                await store.aclose()
            return outcomes, elapsed, store.health if store else None

        outcomes, elapsed, health = anyio.run(run, backend=driver)
    print(
        json.dumps(
            {
                "outcomes": outcomes,
                "statuses": statuses,
                "elapsed": elapsed,
                "outages": health.outages if health else None,
                "fallback_calls": health.fallback_calls if health else None,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
