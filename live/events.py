"""Send a named live event to one user's browsers, to staff or to everyone, from sync or async code.

An event is data: a name, a small JSON-able context and a unique id. Senders (views, Celery workers, the
player daemon) never render anything, so a process without templates can publish. Each web process renders
the HTML for its browsers with `templates/live/<event>.html` once per event id (live.rendering), so one event
to 200 open tabs costs one render per web process, not 200. Events are hints, not truth: channels-redis
delivers at most once, so pages re-render from the database after a reconnect.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

EVERYONE = "everyone"
STAFF = "staff"
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def message(event: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The channel-layer message of an event: what every consumer of the group receives."""
    # The name picks a template on the web side, so it must never be able to walk out of templates/live/.
    if not EVENT_NAME.match(event):
        raise ValueError(f"Invalid event name: {event!r}")
    # The id is what lets a web process render an event once for all of its sockets in the group.
    return {"type": "live.event", "id": uuid.uuid4().hex, "event": event, "context": context or {}}


async def asend_to_user(user_id: int, event: str, context: dict[str, Any] | None = None) -> None:
    await _agroup_send(user_group(user_id), message(event, context))


async def abroadcast(event: str, context: dict[str, Any] | None = None) -> None:
    await _agroup_send(EVERYONE, message(event, context))


def send_to_user(user_id: int, event: str, context: dict[str, Any] | None = None) -> None:
    _group_send(user_group(user_id), message(event, context))


def broadcast(event: str, context: dict[str, Any] | None = None) -> None:
    _group_send(EVERYONE, message(event, context))


def send_to_staff(event: str, context: dict[str, Any] | None = None) -> None:
    """Admin-only news: scan and normalization progress, reports."""
    _group_send(STAFF, message(event, context))


def close_user_connections(user_id: int) -> None:
    """Close every open websocket of a user (their account was disabled)."""
    _group_send(user_group(user_id), {"type": "live.close"})


async def _agroup_send(group: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, payload)
    except Exception:
        # A live hint must never break the action that caused it (Redis restarting, say); pages recover
        # from the database on reconnect.
        logger.warning("Could not send live event to %s", group, exc_info=True)


def _group_send(group: str, payload: dict[str, Any]) -> None:
    async_to_sync(_agroup_send)(group, payload)
