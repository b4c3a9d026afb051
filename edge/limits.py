"""How large a request body may be, decided from the headers alone (before any of the body is read).

A request without credentials (no session cookie, no bearer token) can only be a sign-in, sign-up or
password form, so it gets a small limit; a signed-in request may upload several sounds at once. A forged
cookie only buys the larger limit, which is still bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

MB = 1024 * 1024


def body_limit(headers: Iterable[tuple[bytes, bytes]]) -> int:
    """The largest body, in bytes, a request with these (lower-case name, value) headers may send."""
    session_cookie = settings.SESSION_COOKIE_NAME.encode() + b"="
    for name, value in headers:
        if name == b"authorization" or (name == b"cookie" and session_cookie in value):
            return int(settings.REQUEST_MAX_BODY_MB * MB)
    return int(settings.REQUEST_MAX_ANONYMOUS_BODY_KB * 1024)


def declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def too_large_body(limit: int) -> bytes:
    return b'{"detail": "The request is too large: at most %d bytes are accepted here."}' % limit
