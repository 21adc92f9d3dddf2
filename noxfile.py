"""Sessions: the suite once per driver, lint, types, generated-code freshness, and benchmarks.

``python -m nox`` runs every default session; ``python -m nox -s tests-trio`` runs one.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = [
    "tests-sync",
    "tests-asyncio",
    "tests-trio",
    "lint",
    "types",
    "generated",
    "docs",
]

PACKAGES = ["kalshi_core", "kalshi_sync", "kalshi_async", "kalshi_testing", "kalshi_cli"]
LINTED = [*PACKAGES, "tests", "tools", "examples", "docs", "bench", "noxfile.py"]


def _tests(session: nox.Session, driver: str) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", f"--driver={driver}", *session.posargs)


@nox.session(name="tests-sync")
def tests_sync(session: nox.Session) -> None:
    """The suite against kalshi_sync.Client."""
    _tests(session, "sync")


@nox.session(name="tests-asyncio")
def tests_asyncio(session: nox.Session) -> None:
    """The suite against kalshi_async.AsyncClient under asyncio."""
    _tests(session, "asyncio")


@nox.session(name="tests-trio")
def tests_trio(session: nox.Session) -> None:
    """The suite against kalshi_async.AsyncClient under trio."""
    _tests(session, "trio")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything, including the sans-IO import bans on kalshi_core."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", *LINTED)


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict on the packages."""
    session.install("-e", ".[trio,fast,redis,cli]", "mypy>=1.10", "pytest>=8")
    session.run("mypy", "--strict", *PACKAGES)


@nox.session
def generated(session: nox.Session) -> None:
    """The generated modules match their sources (spec/, the AsyncAPI file, the async driver)."""
    session.install("pyyaml", "ruff>=0.6")
    session.run("python", "tools/generate.py", "--check")
    session.run("python", "tools/generate_stream.py", "--check")
    session.run("python", "tools/unasync.py", "--check")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site: the API reference pages are fresh, and ``mkdocs build --strict``
    passes (a broken link, a missing page or an unresolved reference fails). Writes site/."""
    session.install("-e", ".[docs]")
    session.run("python", "tools/gen_api_docs.py", "--check")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


@nox.session(name="site-check")
def site_check(session: nox.Session) -> None:
    """Open the built site in headless Chromium: pages load, navigation and search work (not a
    default session; needs ``apt-get install chromium chromium-driver``)."""
    session.install("-e", ".[docs]", "selenium>=4.20")
    session.run("python", "tools/check_site.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against Kalshi's official SDKs; writes bench/REPORT.md (not a default session).

    ``nox -s bench -- --quick`` checks the harness with few rounds; ``nox -s bench --
    --fleet-only`` runs only the fleet benchmark (``bench/FLEET.md``; needs redis-server).
    """
    session.install(
        "-e",
        ".[trio,fast,redis]",
        "kalshi-python-sync==3.2.0",
        "kalshi-python-async==3.2.0",
        "pytest>=8",  # figure 5 times a pytest run with and without the plugin
        "websockets>=13",
    )
    session.run("python", "bench/run.py", *session.posargs)


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation testing with mutmut over the core's policies and the fake's engine (not a default
    session): the sync driver over MockTransport, one module group at a time, each with a time
    budget; the score per module and every survivor's verdict land in docs/mutation.md.

    ``nox -s mutation -- pagination ratelimit`` runs some groups; ``-- --list`` names them;
    ``-- --write-doc`` rewrites the tables in docs/mutation.md.
    """
    session.install("-e", ".[test,trio]", "mutmut>=3.8,<3.9")
    session.run("python", "tools/mutation.py", *session.posargs)
