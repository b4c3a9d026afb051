"""Redis clients for our own keys (presence, job progress, the player's heartbeat) that survive a Redis restart.

A client made by `from_url` keeps the connection's own retry policy, which is none: after Redis restarts, each
pooled connection is dead and fails the next command sent on it, one error per connection (a 503 for a play, a
missed heartbeat). These clients retry a command whose connection broke on a fresh connection, with a short
backoff that covers a restart, so the process recovers on its own without a visible error.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import redis
import redis.asyncio as aredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

# Up to about 1.5 s in all (0.2 + 0.4 + 0.8): a restart, not an outage.
RETRIES = 3


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=1.0, base=0.1)


@cache
def sync_client() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL,
        decode_responses=True,
        retry=Retry(_backoff(), RETRIES),
        retry_on_error=[RedisConnectionError],
    )


def async_client(**options: Any) -> aredis.Redis:
    """A new asyncio client (its pool is bound to the running event loop: keep one per loop)."""
    return aredis.Redis.from_url(
        settings.REDIS_URL, retry=AsyncRetry(_backoff(), RETRIES), retry_on_error=[RedisConnectionError], **options
    )
