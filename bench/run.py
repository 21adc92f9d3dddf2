"""Run every benchmark figure, each in its own process, and write ``bench/REPORT.md``.

``nox -s bench`` runs this in a virtualenv with this project and Kalshi's official SDKs
(``kalshi-python-sync`` and ``kalshi-python-async`` 3.2.0) installed side by side. ``--quick``
runs fewer rounds (a smoke test of the harness, not a measurement). Then ``bench/fleet.py``
(many processes sharing one account's budget through Redis) writes ``bench/FLEET.md``;
``--fleet-only`` runs just that.
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
    "wsproto",
    "websockets",
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
    parser.add_argument(
        "--only-imports",
        action="store_true",
        help="re-run figure 5 (imports, plugin) only, into the saved REPORT.json, and re-render",
    )
    parser.add_argument(
        "--fleet-only", action="store_true", help="only the fleet benchmark (bench/FLEET.md)"
    )
    args = parser.parse_args()
    fleet = [sys.executable, str(HERE / "fleet.py"), *(["--quick"] if args.quick else [])]
    if args.fleet_only:
        subprocess.run(fleet, check=True)
        return
    from report import render

    if args.render:
        saved = json.loads(Path(args.render).read_text())
        Path(args.out).write_text(render(saved.pop("meta"), saved))
        return
    q = args.quick
    if args.only_imports:
        saved_path = Path(args.out).with_suffix(".json")
        saved = json.loads(saved_path.read_text())
        saved["imports"] = figure("fig_import", 5 if q else 15)
        saved["imports"]["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        saved["imports"]["load"] = loadavg()
        saved_path.write_text(json.dumps(saved, indent=1))
        Path(args.out).write_text(render(saved.pop("meta"), saved))
        print(f"wrote {args.out}", file=sys.stderr)
        return
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
        "imports": figure("fig_import", 5 if q else 15),
        "stream": figure("fig_stream", 3 if q else 9),
    }
    meta["load_after"] = loadavg()
    Path(args.out).with_suffix(".json").write_text(json.dumps({"meta": meta, **results}, indent=1))
    Path(args.out).write_text(render(meta, results))
    print(f"wrote {args.out}", file=sys.stderr)
    # Many processes, one account (needs redis-server): its own report, bench/FLEET.md.
    subprocess.run(fleet, check=True)


if __name__ == "__main__":
    main()
