"""Figure 5: what importing the SDK costs, and what its pytest plugin costs a test run.

Each import runs in a fresh interpreter (``python -c``), timed inside the child around the
``import`` statement alone (CPU time of the process, and wall clock), with bytecode caching on
(a private ``PYTHONPYCACHEPREFIX``, warmed by a first run): what an installed package costs,
not the compiler. Statements are interleaved round by round. The goal compares
``import kalshi_sync`` / ``import kalshi_async`` with ``import httpx`` (which both import).

What the lazy imports defer is shown too: building the models, the operation table, the
converter and the first request (``first call``: a client and one parsed
``get_exchange_status`` against an in-process ``httpx.MockTransport``, after the imports).

The plugin: a pytest run of one trivial test in an empty directory, with the ``kalshi_testing``
plugin active (installed, as any user has it) and with it disabled (``-p no:kalshi_testing``);
CPU of the whole child process, and which SDK modules were loaded by the end of the run.

Prints one JSON object. Arguments: rounds (default 15).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _timing import summary

STATEMENTS = {
    "import httpx": "import httpx",
    "import kalshi_sync": "import kalshi_sync",
    "import kalshi_async": "import kalshi_async",
    "from kalshi_sync import Client": "from kalshi_sync import Client",
    "import kalshi_python_sync (official)": "import kalshi_python_sync",
}

FIRST_CALL = (
    "import httpx\nfrom kalshi_sync import Client\n",
    """
body = b'{"exchange_active": true, "trading_active": true}'
transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
with Client(transport=transport, base_url="http://x/trade-api/v2", rate_limit=None) as client:
    assert client.get_exchange_status().trading_active is True
""",
)

TRIVIAL_TEST = """
import sys

SDK = ("kalshi_core", "kalshi_sync", "kalshi_async", "httpx", "cryptography")


def test_trivial():
    assert 1 + 1 == 2


def test_report_loaded(capsys):
    loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in SDK})
    with capsys.disabled():
        print("LOADED=" + ",".join(loaded))
"""


def _env(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _time_statement(stmt: str, env: dict[str, str], setup: str = "") -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``stmt`` in a fresh interpreter."""
    timer = "import time as _t\n_c, _w = _t.process_time(), _t.perf_counter()\n"
    code = setup + timer + stmt + "\nprint(_t.process_time() - _c, _t.perf_counter() - _w)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def _pytest_run(directory: str, env: dict[str, str], disabled: bool) -> tuple[float, float, str]:
    """(child CPU seconds, wall seconds, SDK packages loaded) of one pytest run."""
    argv = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "test_x.py"]
    if disabled:
        argv[3:3] = ["-p", "no:kalshi_testing"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=directory, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    loaded = next(
        (line.split("=", 1)[1] for line in done.stdout.splitlines() if "LOADED=" in line), "?"
    )
    return cpu, wall, loaded.strip()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as project:
        env = _env(cache)
        statements = dict(STATEMENTS)
        try:
            _time_statement("import kalshi_python_sync", env)
        except subprocess.CalledProcessError:
            statements.pop("import kalshi_python_sync (official)")
        deferred = {
            "models (first model used)": (
                "import kalshi_core.models as m", "m.Order"
            ),
            "operation table (first call built)": (
                "import kalshi_core.builders as b", "b.get_balance()"
            ),
            "first call (client + one parsed answer)": FIRST_CALL,
        }
        for stmt in statements.values():  # warm the bytecode cache
            _time_statement(stmt, env)
        for setup, stmt in deferred.values():
            _time_statement(stmt, env, setup + "\n")
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in statements}
        later: dict[str, list[tuple[float, float]]] = {name: [] for name in deferred}
        for r in range(rounds):
            order = list(statements.items())
            if r % 2:
                order.reverse()
            for name, stmt in order:
                samples[name].append(_time_statement(stmt, env))
            for name, (setup, stmt) in deferred.items():
                later[name].append(_time_statement(stmt, env, setup + "\n"))

        base = [c for c, _ in samples["import httpx"]]
        imports: dict[str, Any] = {}
        for name, values in samples.items():
            cpu = [c for c, _ in values]
            imports[name] = {
                "cpu_ms": summary([c * 1000 for c in cpu]),
                "wall_ms": summary([w * 1000 for _, w in values]),
                "vs_httpx": summary([c / b for c, b in zip(cpu, base, strict=True)]),
            }
        deferred_out = {
            name: {
                "cpu_ms": summary([c * 1000 for c, _ in values]),
                "wall_ms": summary([w * 1000 for _, w in values]),
            }
            for name, values in later.items()
        }

        Path(project, "test_x.py").write_text(TRIVIAL_TEST)
        plugin_rounds = max(3, rounds // 2)
        runs: dict[str, list[tuple[float, float, str]]] = {"plugin active": [], "disabled": []}
        _pytest_run(project, env, False)
        _pytest_run(project, env, True)
        for r in range(plugin_rounds):
            for disabled in ((False, True) if r % 2 == 0 else (True, False)):
                key = "disabled" if disabled else "plugin active"
                runs[key].append(_pytest_run(project, env, disabled))
        plugin = {
            name: {
                "cpu_ms": summary([c * 1000 for c, _, _ in values]),
                "wall_ms": summary([w * 1000 for _, w, _ in values]),
                "sdk_loaded": sorted({loaded for _, _, loaded in values}),
            }
            for name, values in runs.items()
        }
        extra = [
            (a[0] - d[0]) * 1000
            for a, d in zip(runs["plugin active"], runs["disabled"], strict=True)
        ]
        plugin["extra_cpu_ms"] = summary(extra)  # type: ignore[assignment]
    json.dump(
        {"rounds": rounds, "imports": imports, "deferred": deferred_out, "plugin": plugin},
        sys.stdout,
        indent=1,
    )


if __name__ == "__main__":
    main()
