"""Mutation testing of the core's policies and the fake's engine, with mutmut, one group at a time.

    python tools/mutation.py                      # every group
    python tools/mutation.py pagination ratelimit # some groups
    python tools/mutation.py --list               # the groups, their modules and tests

``nox -s mutation -- [groups] [options]`` runs this script (not a default session). Each group
(``GROUPS``) names the modules mutmut mutates and the fast test files that may kill their
mutants: the sync driver only (``--driver=sync``), MockTransport only (the ``socket`` variants
are deselected), hypothesis with a fixed seed so a verdict does not depend on the draw. mutmut
itself then runs, for each mutant, only the tests of that list that call the mutated function.

Each group works in its own directory, ``.mutation/<group>/``: a copy of the packages, tests and
spec (modification times kept) and a ``pyproject.toml`` whose ``[tool.mutmut]`` section this
script writes. mutmut copies that tree into ``mutants/`` and caches its verdicts there, so a
second run re-tests only what changed. ``--budget`` bounds each group's wall time (mutants left
unchecked are reported as such); ``--max-children`` the parallel workers (default 1: the
machine is shared).

The result is a table per module (killed, survived, timeout, no tests, unchecked, score) written
to ``.mutation/summary.md`` along with the diff of every survivor; ``docs/mutation.md`` records
the verdicts on the survivors. Exit status 1 when a group's score is under ``--fail-under``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
COPIED = ("kalshi_core", "kalshi_sync", "kalshi_async", "kalshi_testing", "tests", "spec")
PYTEST_ARGS = (
    "--driver=sync",
    "-k",
    "not socket",
    "-p",
    "no:cacheprovider",
    "--hypothesis-seed=0",
    "-q",
)
CONTRACTS = "tests/test_policy_contracts.py"


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]
    tests: tuple[str, ...]


GROUPS: dict[str, Group] = {
    "credentials": Group(
        ("kalshi_core/wire/credentials.py",),
        (
            "tests/test_credentials.py",
            "tests/test_signing.py",
            "tests/test_secrets.py",
            "tests/test_ed25519.py",
            CONTRACTS,
        ),
    ),
    "retry": Group(
        ("kalshi_core/policy/retry.py",),
        (
            "tests/test_retry_policy.py",
            "tests/test_auth_clock.py",
            "tests/test_faults.py",
            "tests/test_docs_retries.py",
            CONTRACTS,
        ),
    ),
    "idempotency": Group(
        ("kalshi_core/policy/idempotency.py", "kalshi_core/policy/client_order_ids.py"),
        (
            "tests/test_retry_policy.py",
            "tests/test_faults.py",
            "tests/test_write_answers.py",
            CONTRACTS,
        ),
    ),
    "ratelimit": Group(
        ("kalshi_core/policy/ratelimit.py",),
        ("tests/test_ratelimit.py", "tests/test_burst_after_idle.py", CONTRACTS),
    ),
    "pagination": Group(
        ("kalshi_core/policy/pagination.py",),
        ("tests/test_pagination.py", "tests/test_trading_pagination.py", CONTRACTS),
    ),
    "validation": Group(
        ("kalshi_core/wire/validate.py", "kalshi_core/wire/rules.py"),
        ("tests/test_trading_validation.py", "tests/test_intents_and_batches.py", CONTRACTS),
    ),
    "trading": Group(
        ("kalshi_core/trading.py",),
        (
            "tests/test_intents_and_batches.py",
            "tests/test_trading_validation.py",
            "tests/test_trading_pagination.py",
            CONTRACTS,
        ),
    ),
    "conversion": Group(
        ("kalshi_core/models/_converter.py", "kalshi_core/models/_compiled.py"),
        (
            "tests/test_models.py",
            "tests/test_compiled_structure.py",
            "tests/test_legacy_roundtrip.py",
            "tests/test_parse_fuzz.py",
            "tests/test_json_backends.py",
            CONTRACTS,
        ),
    ),
    "engine": Group(
        ("kalshi_testing/_engine.py",),
        (
            "tests/test_fake_engine.py",
            "tests/test_fake_orders.py",
            "tests/test_fake_ledger.py",
            "tests/test_fake_portfolio.py",
            "tests/test_fake_groups.py",
        ),
    ),
}

KILLED = {"killed", "timeout", "caught by type check"}


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _mirror(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of ``src`` (Python sources and data), keeping modification times so
    mutmut's cache sees unchanged files as unchanged."""
    wanted: set[Path] = set()
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if "__pycache__" in rel.parts or path.is_dir():
            continue
        wanted.add(rel)
        target = dst / rel
        stat = path.stat()
        if target.exists():
            tstat = target.stat()
            if tstat.st_mtime_ns == stat.st_mtime_ns and tstat.st_size == stat.st_size:
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    if dst.exists():
        for path in dst.rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.relative_to(dst) not in wanted
            ):
                path.unlink()


def _pyproject(group: Group) -> str:
    base = (ROOT / "pyproject.toml").read_text()
    base = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", base)
    return (
        base.rstrip()
        + "\n\n[tool.mutmut]\n"
        + f"source_paths = {_toml_list(['kalshi_core', 'kalshi_testing', 'kalshi_sync', 'kalshi_async'])}\n"  # noqa: E501
        + f"only_mutate = {_toml_list(group.modules)}\n"
        + f"also_copy = {_toml_list(['spec'])}\n"
        + f"pytest_add_cli_args = {_toml_list(PYTEST_ARGS)}\n"
        + f"pytest_add_cli_args_test_selection = {_toml_list(group.tests)}\n"
        + "use_git_change_detection = false\n"
    )


def _mutmut() -> list[str]:
    exe = Path(sys.executable).with_name("mutmut")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mutmut"]


def _verdicts(work: Path) -> dict[str, dict[str, str]]:
    """``{module: {mutant name: status}}`` from mutmut's ``.meta`` files."""
    from mutmut.stats import status_by_exit_code

    out: dict[str, dict[str, str]] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(work / "mutants"))[: -len(".meta")]
        data = json.loads(meta.read_text())
        out[module] = {
            name: status_by_exit_code[code] for name, code in data["exit_code_by_key"].items()
        }
    return out


def _show(work: Path, name: str) -> str:
    result = subprocess.run(
        [*_mutmut(), "show", name], cwd=work, capture_output=True, text=True, timeout=120
    )
    return result.stdout.strip()


def run_group(name: str, group: Group, budget: float, max_children: int) -> dict[str, Counter[str]]:
    work = WORK / name
    work.mkdir(parents=True, exist_ok=True)
    for folder in COPIED:
        _mirror(ROOT / folder, work / folder)
    pyproject = _pyproject(group)
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text() != pyproject:
        target.write_text(pyproject)
    print(f"== {name}: {', '.join(group.modules)}", flush=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TERM": "dumb"}
    log = work / "mutmut.log"
    with log.open("w") as out:
        try:
            subprocess.run(
                [*_mutmut(), "run", "--max-children", str(max_children)],
                cwd=work,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=budget,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            print(f"   budget of {budget:.0f} s spent: the rest stays unchecked", flush=True)
    verdicts = _verdicts(work)
    counts: dict[str, Counter[str]] = {}
    survivors: list[str] = []
    for module, by_name in verdicts.items():
        if module not in group.modules:
            continue
        counts[module] = Counter(by_name.values())
        survivors += [n for n, s in sorted(by_name.items()) if s not in KILLED]
    (work / "survivors.txt").write_text(
        "\n\n".join(_show(work, n) for n in survivors) + ("\n" if survivors else "")
    )
    return counts


def score(c: Counter[str]) -> tuple[int, int, float]:
    """``(killed, counted, score)``: killed (including timeouts) over every mutant checked."""
    killed = sum(c[s] for s in KILLED)
    counted = sum(v for s, v in c.items() if s not in {"not checked", "skipped"})
    return killed, counted, (killed / counted if counted else 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all of {list(GROUPS)})")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds per group")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutmut workers")
    parser.add_argument("--fail-under", type=float, default=0.95, help="minimum score per group")
    parser.add_argument("--list", action="store_true", help="print the groups and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, group in GROUPS.items():
            print(f"{name}: {' '.join(group.modules)}\n    tests: {' '.join(group.tests)}")
        return 0
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; use {list(GROUPS)}")
    chosen = args.groups or list(GROUPS)
    rows: list[str] = []
    low: list[str] = []
    totals: Counter[str] = Counter()
    for name in chosen:
        counts = run_group(name, GROUPS[name], args.budget, args.max_children)
        group_total: Counter[str] = Counter()
        for module, c in counts.items():
            group_total.update(c)
            killed, counted, s = score(c)
            rows.append(
                f"| {name} | `{module}` | {counted} | {killed} | {c['survived']} "
                f"| {c['no tests']} | {c['timeout']} | {c['not checked']} | {s:.1%} |"
            )
        totals.update(group_total)
        if score(group_total)[2] < args.fail_under:
            low.append(name)
    killed, counted, s = score(totals)
    table = [
        "| group | module | mutants | killed | survived | no tests | timeout | unchecked | score |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | | {counted} | {killed} | {totals['survived']} | {totals['no tests']} "
        f"| {totals['timeout']} | {totals['not checked']} | **{s:.1%}** |",
    ]
    WORK.mkdir(exist_ok=True)
    text = "\n".join(table) + "\n"
    (WORK / "summary.md").write_text(text)
    print(text)
    print(f"survivors' diffs: {WORK}/<group>/survivors.txt")
    if low:
        print(f"under {args.fail_under:.0%}: {', '.join(low)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
