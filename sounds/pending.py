"""How many background jobs of a kind one user has waiting: a cap so nobody can fill the shared workers.

Uploads are counted from their rows (a sound waiting for normalization); TTS lines have no row until the
worker makes one, so each queued line holds a slot here: a member of a Redis sorted set scored by the time it
was taken. The slot is given back when the task ends; one whose message was lost expires after `ttl_s`.
Taking a slot adds first and counts after, so two requests racing for the last slot can't both win.
"""

from __future__ import annotations

import secrets
import time

from core.redis_client import sync_client


def _key(kind: str, user_id: int) -> str:
    # Under the rate-limit prefix: the same family of per-user counters (and tests clear it between cases).
    return f"sb:rl:pending:{kind}:{user_id}"


def take(kind: str, user_id: int, *, limit: int, ttl_s: int) -> str | None:
    """A slot token, or None when the user already has `limit` jobs of this kind waiting."""
    key, now, token = _key(kind, user_id), time.time(), secrets.token_hex(8)
    pipe = sync_client().pipeline(transaction=True)
    pipe.zremrangebyscore(key, "-inf", now - ttl_s)
    pipe.zadd(key, {token: now})
    pipe.zcard(key)
    pipe.expire(key, ttl_s)
    count = int(pipe.execute()[2])
    if count > limit:
        sync_client().zrem(key, token)
        return None
    return token


def give_back(kind: str, user_id: int, token: str | None) -> None:
    if token:
        sync_client().zrem(_key(kind, user_id), token)
