"""``FakeError``: how any part of the fake exchange answers an error in Kalshi's shape."""

from __future__ import annotations

__all__ = ["FakeError"]


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
