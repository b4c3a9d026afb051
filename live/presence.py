"""Who is online, shared by every web process through one Redis sorted set.

Each websocket connection is a member `<user id>:<channel name>` scored with the time it last said it was
alive. Counting distinct user ids among fresh members gives the online count; entries of a web process that
died are ignored after PRESENCE_TTL_SECONDS and swept by a periodic task.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aredis
from django.conf import settings

from core.redis_client import async_client, sync_client

KEY = "sb:presence"


# One client per event loop: a redis.asyncio connection pool is bound to the loop that created it.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aredis.Redis] = weakref.WeakKeyDictionary()


def _async_client() -> aredis.Redis:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = _async_clients[loop] = async_client(decode_responses=True)
    return client


def _member(user_id: int, channel_name: str) -> str:
    return f"{user_id}:{channel_name}"


def _fresh_cutoff() -> float:
    return time.time() - settings.PRESENCE_TTL_SECONDS


def _distinct_users(members: Iterable[Any]) -> set[int]:
    return {int(str(m).split(":", 1)[0]) for m in members}


async def join(user_id: int, channel_name: str) -> int:
    """Record a connection; returns the online count afterwards."""
    client = _async_client()
    await client.zadd(KEY, {_member(user_id, channel_name): time.time()})
    return await online_count()


async def touch(user_id: int, channel_name: str) -> None:
    await _async_client().zadd(KEY, {_member(user_id, channel_name): time.time()}, xx=True)


async def leave(user_id: int, channel_name: str) -> int:
    client = _async_client()
    await client.zrem(KEY, _member(user_id, channel_name))
    return await online_count()


async def online_user_ids() -> set[int]:
    members = await _async_client().zrangebyscore(KEY, _fresh_cutoff(), "+inf")
    return _distinct_users(members)


async def online_count() -> int:
    return len(await online_user_ids())


async def is_online(user_id: int) -> bool:
    return user_id in await online_user_ids()


def online_user_ids_sync() -> set[int]:
    return _distinct_users(sync_client().zrangebyscore(KEY, _fresh_cutoff(), "+inf"))


def online_count_sync() -> int:
    return len(online_user_ids_sync())


def sweep_sync() -> int:
    return int(sync_client().zremrangebyscore(KEY, "-inf", f"({_fresh_cutoff()}"))


def disconnect_user_sync(user_id: int) -> None:
    """Forget every connection of a user (used when an account is disabled)."""
    client = sync_client()
    prefix = f"{user_id}:"
    members = [str(m) for m in client.zrange(KEY, 0, -1) if str(m).startswith(prefix)]
    if members:
        client.zrem(KEY, *members)
