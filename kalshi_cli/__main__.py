"""``python -m kalshi_cli``: the same as the ``kalshi`` console script."""

from kalshi_cli import main

raise SystemExit(main())
