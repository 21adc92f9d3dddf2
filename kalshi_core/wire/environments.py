"""Kalshi's Trade API v2 hosts.

Demo and production keys are not interchangeable: a key made on one environment is unknown on
the other.
"""

from __future__ import annotations

__all__ = [
    "DEMO",
    "DEMO_LEGACY",
    "ENVIRONMENTS",
    "PRODUCTION",
    "PRODUCTION_ELECTIONS",
    "resolve_base_url",
]

PRODUCTION = "https://external-api.kalshi.com/trade-api/v2"
PRODUCTION_ELECTIONS = "https://api.elections.kalshi.com/trade-api/v2"
DEMO = "https://external-api.demo.kalshi.co/trade-api/v2"
DEMO_LEGACY = "https://demo-api.kalshi.co/trade-api/v2"

ENVIRONMENTS = {
    "production": PRODUCTION,
    "prod": PRODUCTION,
    "elections": PRODUCTION_ELECTIONS,
    "demo": DEMO,
    "demo-legacy": DEMO_LEGACY,
}


def resolve_base_url(base_url: str | None = None, env: str | None = None) -> str:
    """The base URL to use: ``base_url`` if given, else the preset named ``env``, else production.

    Raises ``ValueError`` for an unknown environment name or a URL without a scheme.
    """
    if base_url:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        return base_url.rstrip("/")
    if env:
        try:
            return ENVIRONMENTS[env.strip().lower()]
        except KeyError:
            names = ", ".join(sorted(ENVIRONMENTS))
            raise ValueError(f"unknown Kalshi environment {env!r} (known: {names})") from None
    return PRODUCTION
