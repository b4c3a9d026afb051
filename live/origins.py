"""Which websocket handshakes get past the origin check: a page of this site, or a program with a token.

Browsers always send `Origin` with a websocket handshake and can't add an `Authorization` header to one, so
the check that stops another site's page from riding a visitor's session cookie (cross-site websocket
hijacking) must refuse a foreign or missing origin. A program (a script, a Stream Deck plug-in, Home
Assistant) sends no `Origin` at all; on `/ws/events/` it may connect without one when it brings a bearer
token, and the consumer then judges it by that token alone, never by a cookie. A foreign origin is refused
everywhere, token or not.
"""

from __future__ import annotations

from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings

PROGRAM_PATHS = frozenset({"/ws/events/"})


def _names(scope: dict[str, Any]) -> set[bytes]:
    return {name for name, _ in scope.get("headers", [])}


class SiteOrProgramOriginValidator(OriginValidator):  # type: ignore[misc]  # channels ships no types
    def __init__(self, application: Any) -> None:
        # The hosts channels' AllowedHostsOriginValidator would allow.
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = _names(scope)
        if scope.get("path") in PROGRAM_PATHS and b"origin" not in headers and b"authorization" in headers:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)
