"""What crosses the web ↔ player-daemon boundary: channel names, Redis keys and a typed message for each.

A leaf module (pydantic only, nothing from the project), imported by both sides: the web-side client
(`player.client`) and the daemon (`player.daemon`). Each side validates what it receives here, where it
crosses the process boundary: the daemon every command (a malformed one is logged and dropped, never half
run), the client every answer, the heartbeat and the published state (a stale or foreign value reads as
"offline" / "nothing published", never as a crash in a page).

Commands carry a `deadline` (epoch seconds): the daemon never runs a command after it, because by then the
web side has stopped waiting (and, for an instant play, refunded).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = ["ValidationError"]

# --- Where messages go ----------------------------------------------------------------------------------------
PLAYER_CHANNEL = "player"  # the daemon's command queue (channel layer)
REPLY_CHANNEL_PREFIX = "player-reply."  # a waiting web request's own answer channel
HEARTBEAT_KEY = "sb:player:heartbeat"  # Redis: present (with a TTL) while the daemon runs
STATE_KEY = "sb:player:state"  # Redis: the music player's last published state

# --- Choices and bounds (defined once: the state machine, the API schemas and the forms use these) ---------------
Status = Literal["playing", "paused", "stopped"]
Mode = Literal["continuous", "loop", "loop_one", "random", "single"]
STATUSES: tuple[Status, ...] = get_args(Status)
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "continuous"
DEFAULT_VOLUME = 80
# Bounds of what a user may send, checked before anything crosses the channel layer (which packs integers in
# 64 bits). Sounds are minutes long; a day is plenty.
MIN_VOLUME, MAX_VOLUME = 0, 100
MAX_POSITION_MS = 24 * 3600 * 1000
MAX_TRACK_INDEX = 99_999  # above any sane PLAYLIST_MAX_ITEMS
MAX_ID = 2**63 - 1  # database ids are 64-bit

# The music commands a user can send. `set_playlist` and `enqueue` are the daemon's own (it reads the database);
# the rest are the state machine's commands of the same name.
MusicCommandName = Literal[
    "play", "pause", "stop", "next", "previous", "play_index", "seek", "set_volume", "set_mode", "set_playlist",
    "enqueue",
]  # fmt: skip
MUSIC_COMMANDS: frozenset[str] = frozenset(get_args(MusicCommandName))

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Message(BaseModel):
    """Strict and immutable: an unknown field is a bug on the other side, not something to guess about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def wire(self) -> dict[str, Any]:
        """The JSON-able dict sent over the channel layer or stored in Redis."""
        return self.model_dump(mode="json")


# --- Commands (web → daemon) ---------------------------------------------------------------------------------
class Command(Message):
    deadline: float  # epoch seconds: past it the daemon drops the command unread
    reply: str | None = Field(default=None, pattern=r"^player-reply\.[\w.!-]{1,90}$")


class PlaySound(Command):
    """Start an instant clip. Its debit is `attempt_id`: a pending ledger row the daemon settles as played."""

    type: Literal["play.sound"] = "play.sound"
    playback_id: str = Field(pattern=r"^[0-9a-f]{12}$")
    sound_id: Id
    name: str = Field(max_length=255)
    path: str = Field(max_length=4096)
    user_id: Id
    user_name: str = Field(default="", max_length=255)
    source: str = Field(max_length=20)
    attempt_id: Id
    # The sound's own level in percent of its normalized loudness (libvlc's ceiling is 200).
    volume: int = Field(default=100, ge=0, le=200)


class MusicParams(Message):
    """A music command's parameters; which ones a command takes is the state machine's business."""

    index: int | None = Field(default=None, ge=0, le=MAX_TRACK_INDEX)
    ms: int | None = Field(default=None, ge=0, le=MAX_POSITION_MS)
    volume: int | None = Field(default=None, ge=MIN_VOLUME, le=MAX_VOLUME)
    mode: Mode | None = None
    playlist_id: Id | None = None
    play: bool | None = None
    sound_id: Id | None = None  # enqueue: the sound
    first: bool | None = None  # enqueue: play it next (ahead of the queue) rather than last

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class MusicCommand(Command):
    """A press on the music player. The daemon decides whether it starts paid playback and debits `user_id`."""

    type: Literal["music.command"] = "music.command"
    command: MusicCommandName
    params: MusicParams = MusicParams()
    user_id: Id


class PlaylistChanged(Command):
    type: Literal["playlist.changed"] = "playlist.changed"
    playlist_id: Id


class PlaylistDeleted(Command):
    type: Literal["playlist.deleted"] = "playlist.deleted"
    playlist_id: Id


class QueueChanged(Command):
    """The up-next queue was reordered or an item removed: the daemon reloads it from the database."""

    type: Literal["queue.changed"] = "queue.changed"


class StopAll(Command):
    type: Literal["stop.all"] = "stop.all"
    user_id: Id | None = None


AnyCommand = Annotated[
    PlaySound | MusicCommand | PlaylistChanged | PlaylistDeleted | QueueChanged | StopAll, Field(discriminator="type")
]
_commands: TypeAdapter[AnyCommand] = TypeAdapter(AnyCommand)


def parse_command(raw: object) -> AnyCommand:
    """The command in a message from the channel layer; raises ValidationError for anything else."""
    return _commands.validate_python(raw)


# --- Answers (daemon → the waiting web request) -----------------------------------------------------------------
class PlayAnswer(Message):
    type: Literal["play.answer"] = "play.answer"
    status: Literal["playing", "failed"]
    playback_id: str = ""
    detail: str = ""


class TrackInfo(Message):
    sound_id: int
    name: str
    duration_ms: int


class PublishedState(Message):
    """What the music player tells everyone: the current track, not the whole list (see `tracks_version`).

    Also the JSON API's answer to a player command (`player.api`): its fields are defined here only.
    """

    status: Status = "stopped"
    mode: Mode = DEFAULT_MODE
    volume: int = Field(default=DEFAULT_VOLUME, ge=MIN_VOLUME, le=MAX_VOLUME)
    current_index: int | None = None
    current_sound_id: int | None = None
    current_track: TrackInfo | None = None
    position_ms: int = 0
    duration_ms: int = 0
    playlist_id: int | None = None
    playlist_name: str = ""
    length: int = 0
    total_duration_ms: int = 0
    tracks_version: int = Field(default=0, description="Changes whenever the player's track list changes.")
    ducked: bool = False
    from_queue: bool = Field(default=False, description="The current track came from the up-next queue.")
    queue_length: int = 0
    queue_version: int = Field(default=0, description="Changes whenever the up-next queue changes.")
    up_next: TrackInfo | None = None


class MusicAnswer(Message):
    type: Literal["music.answer"] = "music.answer"
    status: Literal["ok", "error"]
    state: PublishedState | None = None
    detail: str = ""
    code: int = Field(default=200, ge=200, le=599)  # the HTTP status of a refusal (402: not enough credits)
    charged: int = Field(default=0, ge=0)  # credits the command cost its sender (0: it started nothing new)


class Heartbeat(Message):
    pid: int
    output: str
    started_at: float
    playing: int = 0


# --- Events (daemon → every browser, through the live events) -----------------------------------------------------
class Event(Message):
    EVENT: ClassVar[str]  # the live event's name


class PlayerStateChanged(Event):
    EVENT: ClassVar[str] = "player_state"
    state: PublishedState


class SoundsStopped(Event):
    EVENT: ClassVar[str] = "sounds_stopped"
    count: int
    user_id: int | None = None


class PlaybackEnded(Event):
    EVENT: ClassVar[str] = "playback_ended"
    playback_id: str
    sound_id: int | None = None
