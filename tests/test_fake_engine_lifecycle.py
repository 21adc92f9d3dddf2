"""The fake exchange's engine, called directly: market and exchange pauses,
close and settlement, order groups, listeners and events.

Each test states a rule of the exchange (from the spec and the seeds) and fails when the
engine breaks it; ``nox -s mutation -- engine`` measures how many bug-like changes they catch.
"""
