"""How operations become methods on the clients.

``bound`` holds the descriptors (``operation``, ``paginated``, ``procedure``) that the generated
``kalshi_core._generated.surface.Surface`` is made of; each driver binds them to its runner.
``conveniences`` adds the hand-written helpers (``buy``, ``sell``, batches) to that surface.
"""
