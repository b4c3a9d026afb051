"""Send a live event to one user's browsers, to staff or to everyone, from sync or async code.

An event is data: a typed context (`live.contexts`, or a player protocol event) that names its event, sent as
its name, its JSON-able context and a unique id. Senders (views, Celery workers, the
player daemon) never render anything, so a process without templates can publish. Each web process renders
the HTML for its browsers with `templates/live/<event>.html` once per event id (live.rendering), so one event
to 200 open tabs costs one render per web process, not 200. Events are hints, not truth: channels-redis
delivers at most once, so pages re-render from the database after a reconnect.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, ClassVar, Literal, Protocol, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from pydantic import JsonValue

logger = logging.getLogger(__name__)

EVERYONE = "everyone"
STAFF = "staff"
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def token_group(token_id: int) -> str:
    """The event sockets a program opened with one API token: closed together when it is revoked."""
    return f"token.{token_id}"


class LiveEvent(Protocol):
    """What can be sent: a `live.contexts` model, or one of the player protocol's events (same shape)."""

    EVENT: ClassVar[str]

    def wire(self) -> dict[str, Any]: ...


class EventMessage(TypedDict):
    """The channel-layer message of an event: what every consumer of the group receives."""

    type: Literal["live.event"]
    id: str
    event: str
    context: dict[str, JsonValue]


def message(event: LiveEvent) -> EventMessage:
    name = event.EVENT
    # The name picks a template on the web side, so it must never be able to walk out of templates/live/.
    if not EVENT_NAME.match(name):
        raise ValueError(f"Invalid event name: {name!r}")
    # The id is what lets a web process render an event once for all of its sockets in the group.
    return {"type": "live.event", "id": uuid.uuid4().hex, "event": name, "context": event.wire()}


async def asend_to_user(user_id: int, event: LiveEvent) -> None:
    await _agroup_send(user_group(user_id), message(event))


async def abroadcast(event: LiveEvent) -> None:
    await _agroup_send(EVERYONE, message(event))


def send_to_user(user_id: int, event: LiveEvent) -> None:
    _group_send(user_group(user_id), message(event))


def broadcast(event: LiveEvent) -> None:
    _group_send(EVERYONE, message(event))


def send_to_staff(event: LiveEvent) -> None:
    """Admin-only news: scan and normalization progress, reports."""
    _group_send(STAFF, message(event))


def follow_room(user_id: int, room: str) -> None:
    """The user chose `room`: their open pages' sockets follow its player from now on (live.consumers)."""
    _group_send(user_group(user_id), {"type": "live.room", "room": room})


def close_user_connections(user_id: int) -> None:
    """Close every open websocket of a user (their account was disabled)."""
    _group_send(user_group(user_id), {"type": "live.close"})


def close_token_connections(token_id: int) -> None:
    """Close every event socket opened with an API token (it was revoked): 4401, sign in again."""
    _group_send(token_group(token_id), {"type": "live.close", "code": 4401})


async def _agroup_send(group: str, payload: EventMessage | dict[str, str | int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, payload)
    except Exception:
        # A live hint must never break the action that caused it (Redis restarting, say); pages recover
        # from the database on reconnect.
        logger.warning("Could not send live event to %s", group, exc_info=True)


def _group_send(group: str, payload: EventMessage | dict[str, str | int]) -> None:
    async_to_sync(_agroup_send)(group, payload)
