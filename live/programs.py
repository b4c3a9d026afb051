"""Live events as JSON for programs (`/ws/events/`): which events they get, their shapes, their JSON Schemas.

The live layer publishes every event once, as data (`live.events`). Browsers get it rendered to HTML
(`live.rendering`); programs get the same channel-layer message turned into JSON here, once per event per web
process whatever the number of sockets. One publishing path: a sender never knows whether anyone reads JSON.

Programs get the seed's event names, each as `{"event": NAME, "id": "…", "data": {…}}`; `id` is the
event's own (the same on every socket). Who gets what follows from the groups the socket joins: events for
everyone (`sound_played`, `player_state`), and the user's own (`user_credits_changed`,
`extraction_progress`, `user_message`), never another user's. `docs/events/<name>.schema.json` is written
from the models below (`manage.py event_schemas`); a test holds the files to them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from live import contexts
from player.protocol import PlayerStateChanged, PublishedState

logger = logging.getLogger(__name__)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class Data(BaseModel):
    """Strict like the contexts: the documented shape is the whole shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SoundRef(Data):
    id: int
    name: str
    play_count: int = Field(description="Plays so far, this one included.")


class UserRef(Data):
    id: int
    name: str = Field(description="The display name.")


class SoundPlayedData(Data):
    """A sound started on the speakers (an instant play, or a track of the music player)."""

    sound: SoundRef
    user: UserRef | None = Field(description="Who played it; null for the music player's own plays.")
    room: str = Field(description="The slug of the room where it played (GET /api/v1/rooms).")
    source: str = Field(description="Where the play came from: board, api, player…")
    played_at: datetime
    playback_id: str = Field(description="Instant plays: the playback's id; empty for music.")


class UserCreditsChangedData(Data):
    """Your balance moved (a play, a refund, the nightly recharge, an adjustment by staff)."""

    before: int
    after: int
    amount: int = Field(description="after - before: negative for a debit.")
    action: str = Field(description="What moved it, as a code: vlc_play_sound, refund, daily_recharge…")
    action_label: str
    transaction_id: int | None = Field(description="The ledger entry (GET /api/v1/credits/transactions).")


class PlayerStateData(Data):
    """A room's music player's state changed (track, position, mode, volume…)."""

    room: str = Field(description="The slug of the room whose player this is (GET /api/v1/rooms).")
    state: PublishedState


class ExtractionProgressData(Data):
    """One of your extractions moved on (queued, downloading, converting, done, failed)."""

    job: contexts.ExtractionJob


class UserMessageData(Data):
    """Someone sent you a message (POST /api/v1/socket/send-message)."""

    sender: UserRef
    message: str


def _sound_played(context: Mapping[str, Any]) -> SoundPlayedData:
    played = contexts.SoundPlayed.model_validate(context)
    user = UserRef(id=played.user_id, name=played.user_name) if played.user_id is not None else None
    return SoundPlayedData(
        sound=SoundRef(id=played.sound_id, name=played.sound_name, play_count=played.play_count),
        user=user,
        room=played.room,
        source=played.source,
        played_at=played.played_at,
        playback_id=played.playback_id,
    )


def _credits(context: Mapping[str, Any]) -> UserCreditsChangedData:
    return UserCreditsChangedData(**contexts.UserCreditsChanged.model_validate(context).model_dump())


def _player_state(context: Mapping[str, Any]) -> PlayerStateData:
    changed = PlayerStateChanged.model_validate(context)
    return PlayerStateData(room=changed.room, state=changed.state)


def _extraction(context: Mapping[str, Any]) -> ExtractionProgressData:
    return ExtractionProgressData(job=contexts.ExtractionProgress.model_validate(context).job)


def _user_message(context: Mapping[str, Any]) -> UserMessageData:
    message = contexts.UserMessage.model_validate(context)
    return UserMessageData(sender=UserRef(id=message.sender_id, name=message.sender_name), message=message.message)


# The events programs get: name → (the shape of its data, how the live context becomes it). Anything else on
# the groups (presence, toasts, the staff's scan progress…) is for pages only.
EVENTS: dict[str, tuple[type[Data], Callable[[Mapping[str, Any]], Data]]] = {
    contexts.SoundPlayed.EVENT: (SoundPlayedData, _sound_played),
    contexts.UserCreditsChanged.EVENT: (UserCreditsChangedData, _credits),
    PlayerStateChanged.EVENT: (PlayerStateData, _player_state),
    contexts.ExtractionProgress.EVENT: (ExtractionProgressData, _extraction),
    contexts.UserMessage.EVENT: (UserMessageData, _user_message),
}


def to_json(message: Mapping[str, Any]) -> str | None:
    """The JSON text of a live event message for programs; None when programs don't get this event."""
    name = str(message.get("event", ""))
    entry = EVENTS.get(name)
    if entry is None:
        return None
    data = entry[1](dict(message.get("context") or {}))
    return json.dumps({"event": name, "id": str(message.get("id", "")), "data": data.model_dump(mode="json")})


# Copies of one event reach every socket of a process within moments; a few hundred recent events is plenty.
CACHE_SIZE = 512
_translated: OrderedDict[str, str | None] = OrderedDict()
_lock = threading.Lock()


def json_for(message: Mapping[str, Any]) -> str | None:
    """`to_json`, once per event id per process; None (logged once) when a context can't be read."""
    event_id = str(message.get("id", ""))
    with _lock:
        if event_id and event_id in _translated:
            return _translated[event_id]
        try:
            text = to_json(message)
        except Exception:
            logger.exception("Could not turn live event %r into JSON", message.get("event"))
            text = None
        if event_id:
            _translated[event_id] = text
            if len(_translated) > CACHE_SIZE:
                _translated.popitem(last=False)
        return text


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of event `name` as programs receive it (the envelope and its data)."""
    model = EVENTS[name][0]
    data = model.model_json_schema(ref_template="#/$defs/{model}")
    definitions = data.pop("$defs", {})
    document: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": f"{name}.schema.json",
        "title": name,
        "description": f"The `{name}` event on /ws/events/: {model.__doc__ or ''}".strip(),
        "type": "object",
        "properties": {
            "event": {"const": name},
            "id": {"type": "string", "description": "The event's id: the same on every socket that gets it."},
            "data": data,
        },
        "required": ["event", "id", "data"],
        "additionalProperties": False,
    }
    if definitions:
        document["$defs"] = definitions
    return document
