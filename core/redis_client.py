"""One process-wide synchronous Redis client for our own keys (presence, job progress)."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
