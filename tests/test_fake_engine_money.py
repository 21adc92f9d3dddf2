"""The fake exchange's engine, called directly: deposits, withdrawals,
transfers between subaccounts and users, netting, the ledger.

Each test states a rule of the exchange (from the spec and the seeds) and fails when the
engine breaks it; ``nox -s mutation -- engine`` measures how many bug-like changes they catch.
"""
