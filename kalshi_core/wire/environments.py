"""Kalshi's Trade API v2 hosts.

Demo and production keys are not interchangeable: a key made on one environment is unknown on
the other.
"""

from __future__ import annotations

import re

from kalshi_core.errors import ConfigurationError, ConfigurationTypeError

__all__ = [
    "DEMO",
    "DEMO_LEGACY",
    "ENVIRONMENTS",
    "PRODUCTION",
    "PRODUCTION_ELECTIONS",
    "base_url_hint",
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


API_PREFIX = "/trade-api/v2"

_URL = re.compile(r"(https?)://([^/?#@\s]+)(/[^?#\s]*)?")
_PATH_OK = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def _check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, or ``ConfigurationError`` when a layer below
    could rewrite its path (so that the path signed is always the path sent)."""
    match = _URL.fullmatch(base_url.strip())
    if match is None:
        raise ConfigurationError(
            f"base_url must be http(s)://host[:port][/path] without a query, a fragment or "
            f"credentials, got {base_url!r}"
        )
    path = (match.group(3) or "").rstrip("/")
    segments = path.split("/")[1:]
    if any(seg in (".", "..", "") for seg in segments) or not _PATH_OK.fullmatch(path):
        raise ConfigurationError(
            f"base_url's path {path!r} has empty or dot segments or characters that need "
            "percent-encoding; requests are signed for the exact path they are sent to"
        )
    return f"{match.group(1)}://{match.group(2)}{path}"


def base_url_hint(base_url: str) -> str | None:
    """A hint for a 404 when ``base_url`` lacks Kalshi's API prefix (``None`` when it has it)."""
    path = base_url.split("://", 1)[-1].partition("/")[2]
    if ("/" + path).rstrip("/").endswith(API_PREFIX):
        return None
    return (
        f"base_url {base_url!r} does not end with {API_PREFIX}; Kalshi's endpoints live under "
        f"it (e.g. {PRODUCTION})"
    )


def resolve_base_url(base_url: str | None = None, env: str | None = None) -> str:
    """The base URL to use: ``base_url`` if given, else the preset named ``env``, else production.

    Raises ``ConfigurationError`` (a ``ValueError``) for an unknown environment name, a URL
    without a scheme, or one whose path a layer below could rewrite (dot or empty segments).
    """
    if base_url:
        if not isinstance(base_url, str):
            raise ConfigurationTypeError(f"base_url must be a str, not {type(base_url).__name__}")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"base_url must start with http:// or https://, got {base_url!r}"
            )
        return _check_base_url(base_url)
    if env:
        try:
            return ENVIRONMENTS[env.strip().lower()]
        except KeyError:
            names = ", ".join(sorted(ENVIRONMENTS))
            raise ConfigurationError(
                f"unknown Kalshi environment {env!r} (known: {names})"
            ) from None
    return PRODUCTION
