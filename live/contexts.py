"""Every live event's context, typed: what a sender gives `live.events` and `templates/live/<event>.html` reads.

One model per event, named for it, its event name in `EVENT`. A sender builds one (pydantic checks the fields
where they are made, not in a template three processes away); `live.events` puts `wire()`, a JSON-able dict,
on the channel layer, which is what the web side renders and what a program would read. Pydantic only,
nothing from the project, so any process (workers, the player daemon) can import it.

The player daemon's own events (`player_state`, `sounds_stopped`, `playback_ended`) are messages of its
protocol, `player.protocol`; they have the same shape (`EVENT` and `wire()`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

ToastLevel = Literal["info", "success", "warning", "error"]


class LiveContext(BaseModel):
    """Strict and immutable, like the player's messages: a misspelt field is a bug at the sender."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    EVENT: ClassVar[str]  # the event's name: picks templates/live/<EVENT>.html

    def wire(self) -> dict[str, Any]:
        """The JSON-able context sent over the channel layer."""
        return self.model_dump(mode="json")


# --- Everyone ---------------------------------------------------------------------------------------------------
class Presence(LiveContext):
    EVENT: ClassVar[str] = "presence"
    online: int


class LibraryChanged(LiveContext):
    """Sounds were added, renamed or removed: pages offer to reload the list."""

    EVENT: ClassVar[str] = "library_changed"


class QuietHoursChanged(LiveContext):
    """A quiet-hours window was added, changed or removed: pages ask for their banner again."""

    EVENT: ClassVar[str] = "quiet_hours_changed"


class RoomsChanged(LiveContext):
    """A room's player came online or went offline (a killed one only stops its heartbeat): pages read their bar
    and room switcher again."""

    EVENT: ClassVar[str] = "rooms_changed"
    online: list[str]  # the slugs of the rooms whose player is online now


class SoundPlayed(LiveContext):
    EVENT: ClassVar[str] = "sound_played"
    sound_id: int
    sound_name: str
    play_count: int
    user_id: int | None
    user_name: str = ""
    source: str
    played_at: datetime  # an ISO string on the wire (msgpack carries no datetimes); live.rendering parses it
    playback_id: str = ""
    room: str  # the slug of the room where it played
    # When the sound's cooldown ends (cards count down to it), None without one.
    cooldown_until: datetime | None = None


class SoundStatus(LiveContext):
    """A sound's normalization state moved."""

    EVENT: ClassVar[str] = "sound_status"
    id: int
    is_normalized: bool
    normalization_error: str
    normalization_status: str


class PlaylistChanged(LiveContext):
    EVENT: ClassVar[str] = "playlist_changed"
    playlist_id: int


# --- One user -----------------------------------------------------------------------------------------------------
class Toast(LiveContext):
    """A line on every open tab of the recipients (the player daemon's warnings too)."""

    EVENT: ClassVar[str] = "toast"
    message: str
    level: ToastLevel = "info"


class UserMessage(LiveContext):
    EVENT: ClassVar[str] = "user_message"
    sender_id: int
    sender_name: str
    message: str


class UserCreditsChanged(LiveContext):
    EVENT: ClassVar[str] = "user_credits_changed"
    before: int
    after: int
    amount: int
    action: str
    action_label: str
    transaction_id: int | None = None  # the ledger row (credits.CreditTransaction) that moved the balance


class ExtractionJob(BaseModel):
    """One extraction as its row on the extraction page shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    status: str
    status_label: str
    stage: str
    progress: int
    title: str
    url: str
    error: str
    sound_id: int | None


class ExtractionProgress(LiveContext):
    EVENT: ClassVar[str] = "extraction_progress"
    job: ExtractionJob


# --- Staff --------------------------------------------------------------------------------------------------------
class JobProgress(LiveContext):
    """A batch (a scan, normalizations) moved on: staff see a progress bar."""

    EVENT: ClassVar[str] = "job_progress"
    kind: str
    done: int
    total: int
    failed: int = 0
    current: str = ""
    finished: bool


class ScanReport(LiveContext):
    EVENT: ClassVar[str] = "scan_report"
    report: dict[str, list[str]]  # outcome ("added", "errors", …) → the files
    counts: dict[str, int]  # outcome → how many, in the scanner's order
