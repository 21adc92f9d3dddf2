"""The policies: pure decisions a driver carries out.

``retry`` (resend or give up, and how long to wait), ``ratelimit`` (token buckets: how long to
wait before sending), ``idempotency`` and ``client_order_ids`` (exactly-once creates and the
lookups that recover them), ``pagination`` (the next page, or done), ``clock`` (the offset
learned from the server's ``Date``). None of them sleeps or reads the clock: each takes ``now``.
"""
