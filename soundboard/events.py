"""Send a named live event to one user's browsers or to everyone, from sync or async code.

An event is a name plus a small JSON-able context, rendered with `templates/live/<event>.html` into HTML the
browser swaps in out-of-band. The sender renders it once; every consumer just forwards the result, so one
event to 200 open tabs costs one render, not 200. Events are hints, not truth: channels-redis delivers at
most once, so pages re-render from the database after a reconnect.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

EVERYONE = "everyone"
STAFF = "staff"
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def render(event: str, context: dict[str, Any]) -> str:
    extra: dict[str, Any] = {}
    if "played_at" in context:
        # Contexts cross Redis as msgpack, so times travel as ISO strings; templates want datetimes.
        extra["played_at_dt"] = datetime.fromisoformat(context["played_at"])
    return render_to_string(f"live/{event}.html", {**context, **extra})


def _message(event: str, context: dict[str, Any] | None) -> dict[str, Any]:
    # The name picks a template, so it must never be able to walk out of templates/live/.
    if not _EVENT_NAME.match(event):
        raise ValueError(f"Invalid event name: {event!r}")
    context = context or {}
    return {"type": "live.event", "event": event, "context": context, "html": render(event, context)}


async def asend_to_user(user_id: int, event: str, context: dict[str, Any] | None = None) -> None:
    await _agroup_send(user_group(user_id), _message(event, context))


async def abroadcast(event: str, context: dict[str, Any] | None = None) -> None:
    await _agroup_send(EVERYONE, _message(event, context))


def send_to_user(user_id: int, event: str, context: dict[str, Any] | None = None) -> None:
    _group_send(user_group(user_id), _message(event, context))


def broadcast(event: str, context: dict[str, Any] | None = None) -> None:
    _group_send(EVERYONE, _message(event, context))


def send_to_staff(event: str, context: dict[str, Any] | None = None) -> None:
    """Admin-only news: scan and normalization progress, reports."""
    _group_send(STAFF, _message(event, context))


def close_user_connections(user_id: int) -> None:
    """Close every open websocket of a user (their account was disabled)."""
    _group_send(user_group(user_id), {"type": "live.close"})


async def _agroup_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, message)
    except Exception:
        # A live hint must never break the action that caused it (Redis restarting, say); pages recover
        # from the database on reconnect.
        logger.warning("Could not send live event to %s", group, exc_info=True)


def _group_send(group: str, message: dict[str, Any]) -> None:
    async_to_sync(_agroup_send)(group, message)
