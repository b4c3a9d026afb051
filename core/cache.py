"""A Redis cache backend whose connection pool lives as long as the process.

Django keeps cache objects in a context-local registry; under ASGI each request is its own context, so the
stock backend opens a fresh pool (and TCP connection) per request. Sharing one client per location and
options keeps connections warm; redis-py pools are thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple[str, ...], RedisCacheClient] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @property
    def _cache(self) -> RedisCacheClient:
        # Django's RedisCache keeps these private (not in django-stubs): the same values it builds its own client from.
        servers: list[str] = self._servers  # type: ignore[attr-defined]  # private in the stubs, see above
        options: dict[str, Any] = self._options  # type: ignore[attr-defined]  # private in the stubs, see above
        key = (*servers, repr(sorted(options.items())))
        client = _clients.get(key)
        if client is None:
            with _lock:
                client = _clients.get(key)
                if client is None:
                    client = _clients[key] = self._class(servers, **options)  # type: ignore[attr-defined]  # private, see above
        return client

    def close(self, **kwargs: Any) -> None:
        # Connections go back to the shared pool; nothing to close per request.
        return None
