"""User-supplied URLs are the most dangerous input this app takes.

Only http(s) links to public addresses get through, and the check is made again for every connection
yt-dlp opens (redirects, manifests, fragments): while a guarded block runs, `socket.getaddrinfo` refuses
to hand out any non-public address, so the socket is never even created.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2048


class BlockedURL(Exception):
    pass


def _allowed_exceptions() -> set[str]:
    # Test-only: addresses of a local media server. Production leaves this empty.
    return set(getattr(settings, "EXTRACTION_ALLOWED_PRIVATE_IPS", []))


def is_public(ip: str) -> bool:
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 6to4/Teredo wrappers hide an IPv4 address: judge that one.
        inner = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if inner is not None:
            addr = inner
    if str(addr) in _allowed_exceptions():
        return True
    return addr.is_global and not addr.is_multicast


def check_address(host: str, port: int | None = None) -> list[str]:
    """Resolve and insist that every address is public. Returns them."""
    try:
        infos = _real_getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise BlockedURL(f"The host {host!r} could not be found.") from exc
    ips = sorted({str(info[4][0]) for info in infos})
    if not ips or not all(is_public(ip) for ip in ips):
        raise BlockedURL("That address points inside a private network; only public sites are allowed.")
    return ips


def check_url(url: str) -> str:
    """The cleaned URL, or BlockedURL with a reason a person understands."""
    url = (url or "").strip()
    if not url:
        raise BlockedURL("Paste a link.")
    if len(url) > MAX_URL_LENGTH:
        raise BlockedURL(f"A link has at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedURL("That is not a valid link.") from exc
    if parts.scheme not in ("http", "https"):
        raise BlockedURL("Only http and https links are allowed.")
    if not parts.hostname:
        raise BlockedURL("That link has no host.")
    if parts.username or parts.password:
        raise BlockedURL("Links with a user name or password are not allowed.")
    check_address(parts.hostname, port)
    return url


# --- Every connection, while guarded ---------------------------------------------------------------------
_real_getaddrinfo = socket.getaddrinfo
_state = threading.local()


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    results = _real_getaddrinfo(host, port, *args, **kwargs)
    if getattr(_state, "active", False):
        for info in results:
            if not is_public(str(info[4][0])):
                raise OSError(f"Blocked connection to a non-public address ({host})")
    return results


socket.getaddrinfo = _guarded_getaddrinfo


@contextmanager
def guarded() -> Iterator[None]:
    """Within this block (on this thread), no connection can reach a non-public address."""
    previous = getattr(_state, "active", False)
    _state.active = True
    try:
        yield
    finally:
        _state.active = previous
