"""Run every benchmark figure, each in its own process, and write ``bench/REPORT.md``.

``nox -s bench`` runs this in a virtualenv with this project and Kalshi's official SDKs
(``kalshi-python-sync`` and ``kalshi-python-async`` 3.2.0) installed side by side. ``--quick``
runs fewer rounds (a smoke test of the harness, not a measurement).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as md
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from _timing import machine  # noqa: E402

PACKAGES = [
    "kalshi-trade-sdk",
    "kalshi-python-sync",
    "kalshi-python-async",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "trio",
    "orjson",
    "cattrs",
    "attrs",
    "cryptography",
    "pydantic",
    "urllib3",
    "aiohttp",
]


def figure(name: str, *args: object) -> dict[str, Any]:
    """Run ``bench/<name>.py`` in a fresh interpreter and return its JSON."""
    print(f"-- {name} {' '.join(map(str, args))}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    result["_seconds"] = time.perf_counter() - started
    return result


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(HERE / "REPORT.md"))
    parser.add_argument("--render", metavar="JSON", help="only re-render a results.json")
    args = parser.parse_args()
    from report import render

    if args.render:
        saved = json.loads(Path(args.render).read_text())
        Path(args.out).write_text(render(saved.pop("meta"), saved))
        return
    q = args.quick
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(),
        "load_before": loadavg(),
        "quick": q,
    }
    results = {
        "sign": figure("fig_sign", 100 if q else 300, 3 if q else 9),
        "parse": figure("fig_parse", 3 if q else 15),
        "dump": figure("fig_dump", 3 if q else 15),
        "calls": figure("fig_calls", 30 if q else 200, 2 if q else 11),
        "fanout": figure("fig_fanout", 500, 2 if q else 9),
        "profile": figure("fig_profile"),
    }
    meta["load_after"] = loadavg()
    Path(args.out).with_suffix(".json").write_text(json.dumps({"meta": meta, **results}, indent=1))
    Path(args.out).write_text(render(meta, results))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
