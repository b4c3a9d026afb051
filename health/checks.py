"""What /health/ and `manage.py health` check: the database, Redis, each player, the workers, free disk, and
yt-dlp with its JavaScript runtime.

Each check is a django-health-check `HealthCheck` dataclass. Its repr names it in every report ("Player(room=
'default')"), so only harmless fields are shown: no URLs, hosts, passwords or paths. Messages are written for
whoever is paged: what is down, never a stack trace or a server's address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import shutil
from pathlib import Path
from typing import Any

import redis
import redis.asyncio
from celery import current_app
from django.conf import settings
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable

from extraction import tooling
from health.players import heartbeat
from player.protocol import DEFAULT_ROOM

# The queues a worker must consume; the Celery app declares the same three (`task_queues`).
CELERY_QUEUES = ("default", "audio", "extraction")
REDIS_ROLES = ("cache", "broker", "channels")


def redis_url(role: str) -> str:
    """The URL each Redis user is configured with (one server today, maybe separate databases or servers)."""
    if role == "cache":
        return str(settings.CACHES["default"]["LOCATION"])
    if role == "broker":
        return str(settings.CELERY_BROKER_URL)
    config: Any = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    host = config["hosts"][0]
    return str(host["address"] if isinstance(host, dict) else host)


@dataclasses.dataclass
class Redis(HealthCheck):
    """Writes a short-lived key: a Redis that answers PING but refuses writes (disk full under AOF, memory
    full under `noeviction`) breaks plays and jobs just the same."""

    role: str = "cache"
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=2), repr=False)

    async def run(self) -> None:
        seconds = self.timeout.total_seconds()
        client = redis.asyncio.Redis.from_url(
            redis_url(self.role), socket_timeout=seconds, socket_connect_timeout=seconds
        )
        try:
            # One key per role, overwritten by every probe of every process: nothing piles up.
            await client.set(f"sb:health:{self.role}", "1", ex=60)
        except redis.RedisError as e:
            # The exception's text can hold the server's address: name the kind of failure only.
            raise ServiceUnavailable(f"Redis refused a write ({type(e).__name__})") from e
        finally:
            await client.aclose()


@dataclasses.dataclass
class Player(HealthCheck):
    """The room's player daemon publishes a heartbeat with a short TTL while it runs."""

    room: str = DEFAULT_ROOM

    async def run(self) -> None:
        if await asyncio.to_thread(heartbeat, self.room) is None:
            raise ServiceUnavailable("No heartbeat: the player is not running (plays answer 'player offline')")


@dataclasses.dataclass
class CeleryQueue(HealthCheck):
    """At least one worker consumes the queue (asked with `inspect active_queues`, a broadcast answered by
    every worker within the timeout: the check takes that long whatever the outcome)."""

    queue: str = "default"
    timeout: datetime.timedelta = dataclasses.field(
        default_factory=lambda: datetime.timedelta(seconds=settings.HEALTH_CELERY_TIMEOUT_S), repr=False
    )

    async def run(self) -> None:
        inspect = current_app.control.inspect(timeout=self.timeout.total_seconds())
        try:
            answers = await asyncio.to_thread(inspect.active_queues) or {}
        except (OSError, redis.RedisError) as e:
            raise ServiceUnavailable("The Celery broker is unreachable") from e
        consumed = {queue.get("name") for queues in answers.values() for queue in queues}
        if self.queue not in consumed:
            raise ServiceUnavailable(f"No worker consumes the '{self.queue}' queue")


def free_bytes(path: Path) -> int:
    """Free space on the file system that holds `path` (or would: its nearest existing folder)."""
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


@dataclasses.dataclass
class FreeDisk(HealthCheck):
    """Free space under SOUNDS_ROOT: uploads, extractions and normalized copies all land there."""

    min_free_mb: int = dataclasses.field(default_factory=lambda: settings.HEALTH_MIN_FREE_DISK_MB, repr=False)

    async def run(self) -> None:
        free_mb = await asyncio.to_thread(free_bytes, Path(settings.SOUNDS_ROOT)) // (1024 * 1024)
        if free_mb < self.min_free_mb:
            # Sizes only: the folder's path is nobody's business outside the machine.
            raise ServiceUnavailable(f"Sounds disk: {free_mb} MB free, below the {self.min_free_mb} MB threshold")


@dataclasses.dataclass
class YtDlp(HealthCheck):
    """Down without a usable JavaScript runtime: YouTube's formats then go missing (yt-dlp only warns)."""

    async def run(self) -> None:
        found = await asyncio.to_thread(tooling.detect)
        if not found.js_ready:
            raise ServiceUnavailable(f"yt-dlp's JavaScript runtime: {tooling.runtime_label(found)}")


@dataclasses.dataclass
class YtDlpVersions(YtDlp):
    """The same check with yt-dlp's version and the runtime it finds named in the report, so staff read them off
    /health/. Only for staff and `manage.py health`: a version tells an anonymous visitor which known bug to try.
    """

    version: str = dataclasses.field(default_factory=lambda: tooling.detect().ytdlp_version)
    js_runtime: str = dataclasses.field(default_factory=lambda: _runtime_name(tooling.detect()))

    def __repr__(self) -> str:
        # Named like the public check, with the versions: monitors and staff read one name for one thing.
        return f"YtDlp(version={self.version!r}, js_runtime={self.js_runtime!r})"


def _runtime_name(found: tooling.Tooling) -> str:
    runtime = found.js_runtime
    return f"{runtime.name} {runtime.version}" if runtime is not None else "none"


def all_checks(*, rooms: list[str], versions: bool) -> list[HealthCheck]:
    """Every check, built per request: rooms come and go while the process runs (`health.players.rooms`, read
    by the caller: listing them is a database query, and the caller knows whether it may block).
    `versions`: name the tools' versions (for staff and the command line, not for anonymous monitors)."""
    return [
        Database(),
        *(Redis(role=role) for role in REDIS_ROLES),
        *(Player(room=room) for room in rooms),
        *(CeleryQueue(queue=queue) for queue in CELERY_QUEUES),
        FreeDisk(),
        YtDlpVersions() if versions else YtDlp(),
    ]


def report_line(check: HealthCheck, error: Exception | None) -> str:
    """One line as /health/?format=text and `manage.py health` print it."""
    return f"{check!r}: {'OK' if error is None else error}"
