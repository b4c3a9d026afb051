"""User-supplied URLs are the most dangerous input this app takes.

Only http(s) links to public addresses get through, and the check is made again for every connection
yt-dlp opens (redirects, manifests, fragments): while the guard is on, `socket.getaddrinfo` refuses to hand
out any non-public address, so the socket is never even created.

The guard is process-wide, not per thread: yt-dlp and the libraries under it resolve names in other threads
too (asyncio's resolver runs `getaddrinfo` in an executor). The extraction child process turns it on for its
whole life; `guarded()` turns it on for a block (tests, one-off tools).

Which addresses are public is decided from explicit networks, not from `ipaddress.is_private`/`is_global`:
Python 3.12.1 predates their fixes (NAT64, IPv4-translated, 6to4 relay ranges...).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2048
# A name that does not resolve within this time is refused: a slow DNS server must not hold a web request.
DNS_TIMEOUT_S = 3.0

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedURL(Exception):
    pass


_V4_BLOCKED = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "192.175.48.0/24",  # AS112
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
_V6_BLOCKED = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo's 2001::/32 is unwrapped before this check)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 is unwrapped first; what is left here is not a real address
        "3fff::/20",  # documentation
        "5f00::/16",  # SRv6 SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, still routed inside some networks)
        "ff00::/8",  # multicast
    )
)
# IPv6 forms that carry an IPv4 address in their last 32 bits: judged as that IPv4 address.
_V4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # SIIT IPv4-translated
        "64:ff9b::/96",  # NAT64, well-known prefix
        "::/96",  # IPv4-compatible (deprecated)
    )
)
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use NAT64: the embedded address is site-specific


def _allowed_exceptions() -> frozenset[str]:
    # Test-only: addresses of a local media server. Production leaves this empty.
    if _configured_exceptions is not None:
        return _configured_exceptions
    return frozenset(getattr(settings, "EXTRACTION_ALLOWED_PRIVATE_IPS", []))


_configured_exceptions: frozenset[str] | None = None


def configure(*, allowed_private_ips: list[str]) -> None:
    """For the extraction child process, which runs without Django settings."""
    global _configured_exceptions
    _configured_exceptions = frozenset(allowed_private_ips)


def _unwrap(addr: _IPAddress) -> _IPAddress | None:
    """The IPv4 address an IPv6 one stands for, itself when it wraps none, None when it is never public."""
    if isinstance(addr, ipaddress.IPv4Address):
        return addr
    if addr in _NAT64_LOCAL:
        return None
    if any(addr in net for net in _V4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return addr


def is_public(ip: str) -> bool:
    try:
        addr: _IPAddress = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    inner = _unwrap(addr)
    if inner is None:
        return False
    if str(inner) in _allowed_exceptions() or str(addr) in _allowed_exceptions():
        return True
    if isinstance(inner, ipaddress.IPv4Address):
        return not any(inner in net for net in _V4_BLOCKED)
    return inner in _GLOBAL_UNICAST and not any(inner in net for net in _V6_BLOCKED)


_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # everything else in IPv6 is unassigned or special


# --- Checks made before a job is accepted ------------------------------------------------------------------
def check_syntax(url: str) -> tuple[str, str, int | None]:
    """The cleaned URL, its host and port, without touching the network: cheap enough to run before any limit."""
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
    host = parts.hostname
    if not host:
        raise BlockedURL("That link has no host.")
    if parts.username or parts.password:
        raise BlockedURL("Links with a user name or password are not allowed.")
    if not _valid_host(host):
        raise BlockedURL("That link's host name is not valid.")
    return url, host, port


def _valid_host(host: str) -> bool:
    if len(host) > 253:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return all(0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels)


_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="urlguard-dns")


def _lookup(host: str, port: int | None, timeout: float) -> list[Any]:
    # getaddrinfo has no timeout of its own: run it where we can stop waiting. A lookup that hangs keeps a
    # pool thread busy until the resolver gives up; once all are busy, new lookups time out (fail closed).
    future = _resolver.submit(_real_getaddrinfo, host, port or 443, proto=socket.IPPROTO_TCP)
    try:
        return list(future.result(timeout=timeout))
    except FutureTimeout as exc:
        future.cancel()
        raise BlockedURL(f"The host {host!r} did not answer in time.") from exc
    except (OSError, UnicodeError) as exc:
        raise BlockedURL(f"The host {host!r} could not be found.") from exc


def check_address(host: str, port: int | None = None, *, timeout: float | None = None) -> list[str]:
    """Resolve (within `timeout`, DNS_TIMEOUT_S by default) and insist that every address is public."""
    infos = _lookup(host, port, DNS_TIMEOUT_S if timeout is None else timeout)
    ips = sorted({str(info[4][0]) for info in infos})
    if not ips or not all(is_public(ip) for ip in ips):
        raise BlockedURL("That address points inside a private network; only public sites are allowed.")
    return ips


def check_url(url: str) -> str:
    """The cleaned URL, or BlockedURL with a reason a person understands."""
    url, host, port = check_syntax(url)
    check_address(host, port)
    return url


# --- Every connection, while guarded ---------------------------------------------------------------------
_real_getaddrinfo = socket.getaddrinfo
_lock = threading.Lock()
_active = 0  # guarded blocks in progress, in any thread


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    results = _real_getaddrinfo(host, port, *args, **kwargs)
    if _active:
        for info in results:
            if not is_public(str(info[4][0])):
                raise OSError(f"Blocked connection to a non-public address ({host})")
    return results


socket.getaddrinfo = _guarded_getaddrinfo


def guard_process() -> None:
    """From now on, in every thread of this process, no connection can reach a non-public address."""
    global _active
    with _lock:
        _active += 1


@contextmanager
def guarded() -> Iterator[None]:
    """Within this block, no connection (from any thread of the process) can reach a non-public address."""
    global _active
    guard_process()
    try:
        yield
    finally:
        with _lock:
            _active -= 1
