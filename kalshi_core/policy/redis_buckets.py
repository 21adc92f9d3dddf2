"""Token buckets kept in Redis, the pure half: the server-side script, key names, arguments and
the decoding of its reply. The drivers' ``RedisBuckets`` / ``AsyncRedisBuckets`` send them.

Each bucket is one Redis hash, ``<namespace>:{<account>}:<bucket>`` (the braces keep an
account's buckets in one Redis Cluster slot), with two fields: ``level`` (tokens, negative while
reservations queue) and ``at`` (the server time of that level, in seconds). ``SCRIPT`` does one
``Take`` atomically, on the **Redis server's clock** (``TIME``), so hosts whose clocks disagree
still share one bucket: refill since ``at`` at ``rate`` up to ``capacity``, subtract the cost
(capped at what the bucket can ever lend, as ``Bucket.reserve`` does), and answer the level and
the seconds to wait until the level is back above ``spare``, and the server time of that level
(replies of concurrent calls arrive in any order: the latest level is the one with the latest
time). A missing key is a full bucket; a
key expires once its bucket would be full again, so idle accounts leave nothing behind.

Modes: ``take`` (reserve), ``drain`` (the exchange said 429: level down to at most zero),
``peek`` (read the level now; writes nothing). Numbers travel as strings (Redis truncates Lua
numbers in replies to integers).
"""

from __future__ import annotations

from typing import Any, Literal

from kalshi_core.errors import ConfigurationError
from kalshi_core.policy.ratelimit import Take

__all__ = [
    "DEFAULT_NAMESPACE",
    "SCRIPT",
    "LevelsSeen",
    "ScriptReplyError",
    "Mode",
    "bucket_key",
    "check_account",
    "check_number",
    "parse_reply",
    "script_args",
]

DEFAULT_NAMESPACE = "kalshi:ratelimit"

Mode = Literal["take", "drain", "peek"]

SCRIPT = """
-- KEYS[1]: the bucket. ARGV: cost, rate, capacity, spare, mode (take | drain | peek).
if redis.replicate_commands then pcall(redis.replicate_commands) end
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local spare = tonumber(ARGV[4])
local mode = ARGV[5]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(state[1])
local at = tonumber(state[2])
if level == nil or at == nil then
  level = capacity
  at = now
elseif now > at then
  level = level + (now - at) * rate
  at = now
end
if level > capacity then level = capacity end
local wait = 0
if mode == 'peek' then
  return {string.format('%.17g', level), '0', string.format('%.17g', at)}
elseif mode == 'drain' then
  if level > 0 then level = 0 end
else
  local usable = capacity - spare
  if cost > usable then cost = usable end
  level = level - cost
  if spare - level > 0 then wait = (spare - level) / rate end
end
local text = string.format('%.17g', level)
redis.call('HSET', KEYS[1], 'level', text, 'at', string.format('%.17g', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / rate * 1000) + 1000)
return {text, string.format('%.17g', wait), string.format('%.17g', at)}
"""


def check_account(account: str) -> str:
    """``account`` if it can name an account in a key, else ``ConfigurationError`` (a
    ``ValueError``) naming the field."""
    if not isinstance(account, str) or not account.strip():
        raise ConfigurationError("account must be a non-empty string naming the Kalshi account")
    if any(ch in account for ch in "{}") or any(ch.isspace() for ch in account):
        raise ConfigurationError(f"account {account!r} may not contain braces or whitespace")
    return account


def check_number(name: str, value: float) -> float:
    """``value`` if it is a positive number, else ``ConfigurationError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def bucket_key(namespace: str, account: str, bucket: str) -> str:
    """The Redis key of ``account``'s bucket ``bucket``: ``kalshi:ratelimit:{acct}:read``."""
    return f"{namespace}:{{{account}}}:{bucket}"


def script_args(take: Take, mode: Mode = "take") -> list[str]:
    """``SCRIPT``'s ARGV for ``take`` in ``mode``."""
    return [repr(take.cost), repr(take.rate), repr(take.capacity), repr(take.spare), mode]


def parse_reply(reply: Any) -> tuple[float, float, float]:
    """``(level, wait, at)`` from ``SCRIPT``'s reply; ``ScriptReplyError`` for anything else
    (a store treats it as a store failure)."""
    if not isinstance(reply, (list, tuple)) or len(reply) != 3:
        raise ScriptReplyError(f"unexpected reply from the rate-limit script: {reply!r}")
    try:
        level, wait, at = (float(x.decode() if isinstance(x, bytes) else x) for x in reply)
    except (TypeError, ValueError, UnicodeDecodeError):
        raise ScriptReplyError(f"unexpected reply from the rate-limit script: {reply!r}") from None
    return level, max(wait, 0.0), at


class ScriptReplyError(Exception):
    """The rate-limit script answered something it never answers (another program's key of
    the same name, say)."""


class LevelsSeen:
    """The latest level a store was told for each bucket (by the server time of each reply)."""

    __slots__ = ("_at", "levels")

    def __init__(self) -> None:
        self.levels: dict[str, float] = {}
        self._at: dict[str, float] = {}

    def saw(self, bucket: str, level: float, at: float) -> None:
        if at >= self._at.get(bucket, float("-inf")):
            self._at[bucket] = at
            self.levels[bucket] = level
