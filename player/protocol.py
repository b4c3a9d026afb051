"""What crosses the web ↔ player-daemon boundary: Redis keys and a typed message for each.

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

# --- Rooms --------------------------------------------------------------------------------------------------
# A room's slug names its Redis keys, so it is kept to what a key carries plainly.
ROOM_SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
MAX_ROOM_SLUG = 40
ROOM_SLUG_HELP = "1 to 40 characters: lower-case letters, digits and hyphens, starting with a letter or digit."
DEFAULT_ROOM = "main"  # the room of a player started without --room, and of anyone who hasn't chosen one
ALL_ROOMS = "*"  # staff's announcements: one clip in every online room


# --- Where messages go (one daemon per room: each room has its own keys) ------------------------------------------
# Commands and answers are JSON in Redis lists, not channel-layer messages: one round trip to send, a blocking pop
# to receive (the click's path; see `player.client`).
REPLY_CHANNEL_PREFIX = "player-reply."  # a waiting web request's own answer list is named after this
COMMAND_TTL_S = 30  # a room's command list outlives its last push by this much (commands carry a deadline anyway)
REPLY_TTL_S = 30  # an answer nobody popped (its request gave up) is gone after this


def command_key(room: str) -> str:
    """Redis: the room's daemon's command queue (a list: pushed on the right, popped on the left)."""
    return f"sb:player:{room}:commands"


def reply_key(reply: str) -> str:
    """Redis: the list a command's answer is pushed to (`Command.reply`, a name the daemon validated)."""
    return f"sb:{reply}"


def heartbeat_key(room: str) -> str:
    """Redis: present (with a TTL) while the room's daemon runs and reads commands."""
    return f"sb:player:{room}:heartbeat"


def claim_key(room: str) -> str:
    """Redis: the room's daemon's claim (with the heartbeat's TTL): a second daemon for the room refuses to start."""
    return f"sb:player:{room}:claim"


def state_key(room: str) -> str:
    """Redis: the room's music player's last published state."""
    return f"sb:player:{room}:state"


# --- Choices and bounds (defined once: the state machine, the API schemas and the forms use these) ---------------
Status = Literal["playing", "paused", "stopped"]
Mode = Literal["continuous", "loop", "loop_one", "random", "single"]
STATUSES: tuple[Status, ...] = get_args(Status)
MODES: tuple[Mode, ...] = get_args(Mode)
DEFAULT_MODE: Mode = "continuous"
DEFAULT_VOLUME = 80
# Bounds of what a user may send, checked before anything crosses to the daemon (which refuses anything past
# them). Sounds are minutes long; a day is plenty.
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
        """The JSON-able dict: what is stored in Redis (commands and answers travel as its JSON)."""
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
    # A staff announcement (room=*): the same attempt goes to every online room; any room that plays it keeps
    # it, so it is charged once and refunded only if no room played it.
    announcement: bool = False
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
    """The command in a message from a room's command list; raises ValidationError for anything else."""
    return _commands.validate_python(raw)


# --- Answers (daemon → the waiting web request) -----------------------------------------------------------------
class PlayAnswer(Message):
    type: Literal["play.answer"] = "play.answer"
    status: Literal["playing", "failed"]
    playback_id: str = ""
    detail: str = ""
    # The daemon's stages of this play, each (name, time.monotonic() when it ended), in order: what a timed
    # request answers in Server-Timing (`core.timing`; meaningful only when the daemon shares the web's host).
    stamps: list[tuple[Annotated[str, Field(max_length=20)], float]] = Field(default_factory=list, max_length=8)


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


class PlayingClip(Message):
    playback_id: str
    sound_id: int
    name: str


class Heartbeat(Message):
    """Written every second while a room's daemon runs (with a TTL a few beats long): what the rooms list,
    /health/ and /metrics read."""

    room: str
    host: str = ""
    pid: int
    output: str
    started_at: float
    beat_at: float = 0.0  # when this beat was written (epoch seconds)
    playing: int = 0  # every playback, the music's included
    clips: list[PlayingClip] = Field(default_factory=list, max_length=100)  # the instant clips playing now


# --- Events (daemon → every browser, through the live events) -----------------------------------------------------
class Event(Message):
    EVENT: ClassVar[str]  # the live event's name


class PlayerStateChanged(Event):
    EVENT: ClassVar[str] = "player_state"
    room: str
    state: PublishedState


class SoundsStopped(Event):
    EVENT: ClassVar[str] = "sounds_stopped"
    room: str
    count: int
    user_id: int | None = None


class PlaybackEnded(Event):
    EVENT: ClassVar[str] = "playback_ended"
    room: str
    playback_id: str
    sound_id: int | None = None
