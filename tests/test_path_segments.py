"""Path values can never leave their segment, and the path signed is the path sent.

Over every path parameter of every operation in the table: ``.``, ``..`` and the empty string
are refused with a ``ValidationError`` naming the parameter (``httpx`` and servers remove dot
segments, so ``cancel_order_v2(".")`` would otherwise go out as the cancel-all route), and any
other value (slashes, ``?``, ``#``, ``%2e``, spaces, non-ASCII) stays one segment whose bytes
``httpx`` sends exactly as they were signed. Then the same over a real socket on every driver,
where the fake exchange verifies the signature against the path it received.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kalshi_core import Credentials, errors
from kalshi_core._generated.optable import OPERATIONS
from kalshi_core.wire.call import Call, make_call, path_segment
from kalshi_core.wire.credentials import signing_message
from kalshi_testing import ApiKey, LoopbackServer

from .conftest import Harness

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = "https://external-api.kalshi.com/trade-api/v2"
PATH_PARAMS = [
    (op_name, field.name)
    for op_name, op in sorted(OPERATIONS.items())
    for field in op.params
    if field.location == "path"
]
ODD_VALUES = ["a/b", "..%2e", "%2e%2e", "a?b#c", ". a", "x/../y", "é", "a\\b", "~.-_"]


CREDS = Credentials("key-id", ed25519.Ed25519PrivateKey.generate())


def _params(op_name: str, bad_name: str, bad_value: str) -> dict[str, Any]:
    op = OPERATIONS[op_name]
    return {
        f.name: (bad_value if f.name == bad_name else "X1")
        for f in op.params
        if f.location == "path"
    }


def test_the_table_has_path_parameters() -> None:
    # 48 operations carry 56 path parameters in the vendored specs.
    assert len(PATH_PARAMS) >= 50


@pytest.mark.parametrize(("op_name", "param"), PATH_PARAMS)
@pytest.mark.parametrize("bad", ["", ".", "..", " ", " .. "])
def test_dot_and_empty_segments_are_refused(op_name: str, param: str, bad: str) -> None:
    with pytest.raises(errors.ValidationError) as info:
        make_call(OPERATIONS[op_name], _params(op_name, param, bad), None)
    assert info.value.field == param
    assert "path segment" in str(info.value)


@pytest.mark.parametrize(("op_name", "param"), PATH_PARAMS)
def test_any_other_value_stays_in_its_segment_and_is_sent_as_signed(
    op_name: str, param: str
) -> None:
    op = OPERATIONS[op_name]
    template_segments = op.path.count("/")
    for value in ODD_VALUES:
        params = _params(op_name, param, value)
        try:
            call = make_call(op, params, None)
        except errors.ValidationError as exc:  # a required body: the path is built the same way
            refused = exc.field
            segments = {name: path_segment(v, name) for name, v in params.items()}
            call = Call(operation=op, path=op.path.format(**segments))
            assert refused != param
        request = call.to_request(BASE, CREDS, now=1_767_225_600.0)
        # One segment per template segment: nothing the value holds made a new one.
        assert call.path.count("/") == template_segments
        # httpx sends exactly the path that a signature covers.
        wire = httpx.Request(request.method, request.url).url.raw_path.partition(b"?")[0]
        assert wire.decode("ascii") == request.path


@pytest.mark.socket
@pytest.mark.parametrize("bad", [".", "..", ""])
def test_a_dot_order_id_never_reaches_the_exchange(
    harness: Harness, server: LoopbackServer, account: ApiKey, bad: str
) -> None:
    c = harness.client(
        key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
    )
    before = server.connections_accepted
    with pytest.raises(errors.ValidationError) as info:
        harness.run(lambda c: c.cancel_order_v2(bad), c)
    assert info.value.field == "order_id"
    assert server.connections_accepted == before  # nothing was sent


@pytest.mark.socket
def test_odd_ids_are_signed_for_the_path_the_exchange_receives(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=server.url,
        max_retries=0,
    )
    for value in ["a/b", "..%2e", "x/../y", "a?b#c", "é"]:
        # The fake verifies the signature over the path it received: a mismatch would be a 401.
        with pytest.raises(errors.NotFoundError):
            harness.run(lambda c, v=value: c.cancel_order_v2(v), c)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.test/trade-api/../v2",
        "https://example.test/trade-api/./v2",
        "https://example.test//trade-api/v2",
        "https://example.test/trade api/v2",
        "https://example.test/trade-api/v2?x=1",
        "https://user:pw@example.test/trade-api/v2",
    ],
)
def test_a_base_url_a_layer_below_would_rewrite_is_refused(harness: Harness, url: str) -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        harness.client(base_url=url)
    assert isinstance(info.value, ValueError)


def test_signing_message_is_the_request_path() -> None:
    creds = CREDS
    call = make_call(OPERATIONS["get_order"], {"order_id": "a/b"}, None)
    request = call.to_request(BASE, creds, now=1_767_225_600.0)
    assert request.path == "/trade-api/v2/portfolio/orders/a%2Fb"
    assert signing_message(1, "GET", request.path) == b"1GET/trade-api/v2/portfolio/orders/a%2Fb"
