"""The one shape of a refusal a person will read: a sentence and the HTTP status that goes with it."""

from __future__ import annotations


class UserError(Exception):
    """Raised by domain code; views show `detail`, the API answers `{"detail": …}` with `status`."""

    def __init__(self, detail: str, status: int = 400, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        # Seconds until a retry can succeed: sent as `Retry-After` (429 rate limits, 423 quiet hours).
        self.retry_after = retry_after
