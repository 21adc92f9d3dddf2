"""Where the command's client settings come from: flags over environment variables.

The variables are those of ``Client.from_env()``; a flag given on the command line wins over
its variable. ``Settings.client()`` builds a ``kalshi_sync.Client`` from the result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import attrs

from kalshi_sync import Client

__all__ = ["KEY_VARIABLES", "Settings"]

#: The variables that name a key; ``doctor`` reports which of them it found.
KEY_VARIABLES = ("KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY")


@attrs.frozen
class Settings:
    """The command's view of the environment after its flags are applied."""

    environ: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ))
    json: bool = False

    @classmethod
    def from_flags(
        cls,
        *,
        env: str | None,
        base_url: str | None,
        key_id: str | None,
        private_key_path: str | None,
        json: bool,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        merged = dict(os.environ if environ is None else environ)
        if env:
            merged["KALSHI_ENV"] = env
            merged.pop("KALSHI_BASE_URL", None)
        if base_url:
            merged["KALSHI_BASE_URL"] = base_url
        if key_id:
            merged["KALSHI_API_KEY_ID"] = key_id
        if private_key_path:
            merged["KALSHI_PRIVATE_KEY_PATH"] = private_key_path
            merged.pop("KALSHI_PRIVATE_KEY", None)
        return cls(environ=merged, json=json)

    def with_json(self, json: bool) -> Settings:
        return attrs.evolve(self, json=self.json or json)

    def client(self) -> Client:
        """A sync client configured from these settings (public-only when no key is set)."""
        if self.has_key:
            return Client.from_env(self.environ)
        return Client(
            base_url=self.environ.get("KALSHI_BASE_URL") or None,
            env=self.environ.get("KALSHI_ENV") or None,
        )

    @property
    def has_key(self) -> bool:
        return bool(self.environ.get("KALSHI_API_KEY_ID")) and bool(
            self.environ.get("KALSHI_PRIVATE_KEY_PATH") or self.environ.get("KALSHI_PRIVATE_KEY")
        )
