"""Modules written by ``tools/generate.py`` from ``spec/``: never edited by hand.

``builders`` (one request builder per operation), ``optable`` (the operation table: method,
path, parameters, response model, rate-limit cost) and ``surface`` (the client surface shared
by every driver). The models, also generated, live in ``kalshi_core.models``.
"""
