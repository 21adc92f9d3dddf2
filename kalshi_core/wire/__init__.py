"""The wire: request and response values, calls, signing and credentials, environments.

``values`` (``Request``/``Response``), ``call`` (``Call``: a built request and how to read its
answer), ``schema`` (how an operation is declared), ``validate``/``rules`` (arguments checked
before anything is sent), ``credentials`` (keys and Kalshi's signature), ``error_bodies``
(every shape of Kalshi's error answers), ``environments`` (hosts by name).
"""
