"""``FakeError``: how any part of the fake exchange answers an error in Kalshi's shape."""

from __future__ import annotations

__all__ = ["FakeError", "invalid_order", "invalid_price"]


class FakeError(Exception):
    """Raised by a handler or the engine to answer ``{"error": {code, message, details}}``."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, str]:
        """The inner ``ErrorResponse`` object (what batch items carry)."""
        inner = {"code": self.code, "message": self.message}
        if self.details:
            inner["details"] = self.details
        return inner


def invalid_order(reason: str) -> FakeError:
    """Kalshi's generic refusal of an order: 400 ``invalid_order``, message ``invalid order``,
    the reason in ``details``."""
    return FakeError(400, "invalid_order", "invalid order", reason)


def invalid_price(reason: str) -> FakeError:
    """An off-tick or out-of-band price: 400 ``invalid_price`` (Kalshi's ``INVALID_PRICE``)."""
    return FakeError(400, "invalid_price", "invalid price", reason)
