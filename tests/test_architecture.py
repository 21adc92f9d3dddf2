"""The architecture's promises, checked mechanically."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import kalshi_async
import kalshi_sync
from kalshi_core import builders
from kalshi_core._generated.optable import OPERATIONS

ROOT = Path(__file__).resolve().parent.parent
OPS = list(csv.DictReader((ROOT / "spec" / "operations.tsv").open(), delimiter="\t"))


def test_operations_tsv_lists_127_operations() -> None:
    # The 126 of the two vendored specs, and CreateFCMPositionTransfer (3.34, see
    # spec/additions-3.34.0.yaml).
    assert len(OPS) == 127
    assert sum(r["status"].endswith("(new in 3.34)") for r in OPS) == 1


@pytest.mark.parametrize("row", OPS, ids=[r["method_name"] for r in OPS])
def test_every_operation_is_a_builder_and_a_method_on_both_clients(row: dict[str, str]) -> None:
    name = row["method_name"]
    op = OPERATIONS[name]
    assert (op.operation_id, op.method, op.path) == (
        row["operation_id"],
        row["http_method"],
        row["path"],
    )
    assert callable(getattr(builders, name))
    sync_client = kalshi_sync.Client()
    async_client = kalshi_async.AsyncClient()
    sync_method = getattr(sync_client, name)
    async_method = getattr(async_client, name)
    params = list(inspect.signature(getattr(builders, name)).parameters)
    assert list(inspect.signature(sync_method).parameters) == params
    assert list(inspect.signature(async_method).parameters) == params
    assert inspect.iscoroutinefunction(async_method)  # tests/test_introspection.py: the rest
    assert not inspect.iscoroutinefunction(sync_method)
    assert sync_method.__doc__ == async_method.__doc__
    sync_client.close()


def test_path_parameters_positional_everything_else_keyword_only() -> None:
    sig = inspect.signature(builders.get_order)
    assert sig.parameters["order_id"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for name, param in inspect.signature(builders.get_orders).parameters.items():
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, name


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout.strip()


def test_importing_the_core_imports_no_io_library() -> None:
    out = _run(
        "import sys, kalshi_core, kalshi_core.builders, kalshi_core.models;"
        "io = ('httpx', 'anyio', 'trio', 'asyncio', 'httpcore');"
        "print(sorted(m for m in io if m in sys.modules))"
    )
    assert out == "[]"


def test_drivers_know_no_endpoint() -> None:
    endpoint_words = re.compile(r"orders|portfolio|balance|markets|/exchange|order_id")
    for package in ("kalshi_sync", "kalshi_async"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert not endpoint_words.search(text), f"{path} mentions an endpoint"


def test_sync_driver_is_generated_from_the_async_one() -> None:
    done = subprocess.run(
        [sys.executable, "tools/unasync.py", "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr


def test_embedding_example_runs_over_h11_without_httpx() -> None:
    out = _run(
        "import runpy, sys;"
        "runpy.run_path('docs/examples/embed_h11.py', run_name='__main__');"
        "print('httpx' in sys.modules, 'httpcore' in sys.modules)"
    )
    lines = out.splitlines()
    assert lines[0].startswith("balance: $")
    assert any(line.startswith("page 2:") for line in lines)
    assert lines[-1] == "False False"


def test_packages_ship_py_typed() -> None:
    for package in ("kalshi_core", "kalshi_sync", "kalshi_async", "kalshi_testing"):
        assert (ROOT / package / "py.typed").exists()


@pytest.mark.parametrize("package", ["kalshi_sync", "kalshi_async"])
def test_importing_a_driver_defers_what_only_calls_need(package: str) -> None:
    """``import kalshi_sync`` stays light (bench/fig_import.py times it): no model is built, and
    the converter, JSON backend, signing library and connection pool load on first use."""
    out = _run(
        f"import sys, {package};"
        "heavy = ('kalshi_core.models._generated', 'kalshi_core._generated.optable',"
        " 'kalshi_core.models._converter', 'cattrs', 'attrs', 'attr', 'orjson', 'cryptography',"
        " 'h11', 'kalshi_testing');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert out == "[]"
    used = _run(
        f"import sys, {package}, kalshi_core.models as m; m.Order;"
        "print('kalshi_core.models._generated' in sys.modules)"
    )
    assert used == "True"
