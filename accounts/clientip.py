"""The client's IP address: the one value every per-IP limit (allauth's sign-in limits, ours) keys on.

`X-Forwarded-For` is written by the client first and appended to by each proxy, so only the entries our own
proxies added can be believed. With `TRUSTED_PROXY_COUNT = N` the client is the Nth address from the right;
with 0 (no proxy) the header is ignored entirely and the socket's peer address is the client.

Daphne's `--proxy-headers` (on only when N > 0) puts the *leftmost* entry into REMOTE_ADDR, which a client
can forge; that is why this function reads the header itself instead of trusting REMOTE_ADDR behind proxies.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"


def _clean(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def forwarded_client(header: str, trusted_proxies: int) -> str | None:
    """The address our outermost trusted proxy saw, from an `X-Forwarded-For` value; None if unusable."""
    if trusted_proxies <= 0:
        return None
    hops = [hop for hop in header.split(",") if hop.strip()]
    if not hops:
        return None
    # Fewer entries than proxies: the request skipped some of them (a misconfiguration); the leftmost entry is
    # then the farthest address any proxy recorded.
    return _clean(hops[-trusted_proxies] if len(hops) >= trusted_proxies else hops[0])


def client_ip(request: HttpRequest) -> str:
    """The client's address, normalized; "unknown" (one shared bucket) when nothing usable is known."""
    forwarded = forwarded_client(request.META.get("HTTP_X_FORWARDED_FOR", ""), settings.TRUSTED_PROXY_COUNT)
    return forwarded or _clean(str(request.META.get("REMOTE_ADDR") or "")) or UNKNOWN
