"""One request builder per operation: typed arguments in, a ``Call`` out.

The builders are generated from ``spec/`` into ``kalshi_core._generated.builders``; this module
is their public name. Each validates its arguments (a ``ValidationError`` names the field) and
returns a ``Call``: the unsigned request plus how to parse its answer.
"""

from kalshi_core._generated.builders import *  # noqa: F403
from kalshi_core._generated.builders import __all__ as __all__
