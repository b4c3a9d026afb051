"""The web side of the player: what views, the API and services call to make the player daemon do something.

Web processes never touch libvlc: they push a typed command (`player.protocol`) onto a Redis list read by the
player daemon of a room (one per room, each with its own list) and, when they need to, wait briefly for its
answer on a list of their own. Each daemon publishes its heartbeat in Redis; without it a play in that room
answers "player offline" and charges nothing, and the other rooms are not concerned. Every function takes the
room's slug: which room a request means is `player.rooms`' business.

Money moves where the state lives:
- an instant play is one attempt, the debit's ledger row, made here as *pending* and then moved by one
  conditional UPDATE either to *played* (by the daemon, when the first samples reach the output) or to
  *refunded* (here, when the daemon failed or did not answer in time): kept or refunded, never both;
- a music command is paid only if it starts playback, which only the daemon knows (it holds the player's
  state): it debits in its own database thread and answers 402 before any effect. Deciding here from the
  published snapshot let two users pressing play at once both pay.

Every command a user sends is rate-limited per user (instant plays by PLAY_RATE_LIMIT, everything else by
PLAYER_COMMAND_RATE_LIMIT): a daemon is one process for a whole room. Every command carries a deadline;
the daemon never runs one after it.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from pydantic import BaseModel, ValidationError

import ratelimits
from accounts.models import User
from core import timing
from core.errors import UserError
from core.redis_client import sync_client
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from player import quiet
from player.models import Room
from player.protocol import (
    ALL_ROOMS,
    COMMAND_TTL_S,
    DEFAULT_ROOM,
    MAX_ID,
    MAX_POSITION_MS,
    MAX_TRACK_INDEX,
    MAX_VOLUME,
    MIN_VOLUME,
    MODES,
    MUSIC_COMMANDS,
    REPLY_CHANNEL_PREFIX,
    Command,
    Heartbeat,
    MusicAnswer,
    MusicCommand,
    MusicParams,
    PlayAnswer,
    PlaylistChanged,
    PlaylistDeleted,
    PlaySound,
    PublishedState,
    QueueChanged,
    StopAll,
    command_key,
    heartbeat_key,
    reply_key,
    state_key,
)
from sounds import cooldowns
from sounds.models import JobState, PlaySource, Sound, SoundQuerySet

logger = logging.getLogger(__name__)

# A playlist edit must reach the daemon even when it is briefly busy; the command list's own expiry (30 s)
# drops it anyway after that, and the next edit or restart reloads the list from the database.
SYNC_DEADLINE_S = 30.0
# How much longer than a command's deadline we wait for its answer: the daemon checks the deadline last just
# before the command's effects, so an answer for a command it ran arrives within this margin, not after we gave up.
ANSWER_GRACE_S = 1.0
# The rooms online at the last look of `player.rooms.announce_changes` (comma-separated slugs). It expires so a
# look after a long pause (the beat stopped) announces whatever it finds.
ONLINE_ROOMS_KEY = "sb:players:online"
ONLINE_ROOMS_TTL_S = 600


class PlayError(UserError):
    pass


class PlayerUnreachable(PlayError):
    """The message could not be delivered or answered: the daemon is busy, or Redis is down (a 503)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, 503)


@dataclass(frozen=True)
class PlayResult:
    playback_id: str
    sound: Sound
    balance: int
    rooms: tuple[str, ...]  # where it plays: one room, or every room that played an announcement


# --- What the daemon publishes ----------------------------------------------------------------------------------
def _read(key: str) -> str | None:
    try:
        raw = cast(str | None, sync_client().get(key))  # a client with decode_responses: text
    except redis.RedisError:
        # The daemon can't be reached without Redis either: offline, nothing charged.
        logger.warning("Cannot read %s (Redis down?)", key, exc_info=True)
        return None
    return raw


def heartbeat(room: str = DEFAULT_ROOM) -> Heartbeat | None:
    raw = _read(heartbeat_key(room))
    try:
        return Heartbeat.model_validate_json(raw) if raw else None
    except ValidationError:
        logger.warning("Ignoring a malformed player heartbeat: %r", raw)
        return None


def heartbeats(rooms: list[str]) -> dict[str, Heartbeat | None]:
    """Several rooms' heartbeats in one round trip (the rooms list, /health/, /metrics)."""
    if not rooms:
        return {}
    try:
        raws = cast(list[str | None], sync_client().mget([heartbeat_key(room) for room in rooms]))
    except redis.RedisError:
        logger.warning("Cannot read the players' heartbeats (Redis down?)", exc_info=True)
        raws = [None] * len(rooms)
    found: dict[str, Heartbeat | None] = {}
    for room, raw in zip(rooms, raws, strict=True):
        try:
            found[room] = Heartbeat.model_validate_json(raw) if raw else None
        except ValidationError:
            logger.warning("Ignoring a malformed heartbeat of room %s: %r", room, raw)
            found[room] = None
    return found


def is_online(room: str = DEFAULT_ROOM) -> bool:
    return heartbeat(room) is not None


def state(room: str = DEFAULT_ROOM) -> PublishedState | None:
    """The state the daemon last told everyone (what pages render the player bar from).

    It names the current track and the playlist's length and `tracks_version`, not the tracks: pages read
    those from the database (`playlists.services.tracks_of`) and again when the version changes.
    """
    return _parsed_state(_read(state_key(room)), room)


def _parsed_state(raw: str | None, room: str) -> PublishedState | None:
    try:
        return PublishedState.model_validate_json(raw) if raw else None
    except ValidationError:
        logger.warning("Ignoring a malformed published player state of room %s", room)
        return None


def published_state(room: str = DEFAULT_ROOM) -> dict[str, Any] | None:
    """`state(room)` as a plain dict for the page shell's templates (`web.context_processors`), or None while the
    room's player is offline: a killed player's last state stays in Redis (nothing expires it), and the bar must
    say "offline", not show a track nobody plays. One round trip for both keys."""
    try:
        raw, beat = cast(list[str | None], sync_client().mget([state_key(room), heartbeat_key(room)]))
    except redis.RedisError:
        logger.warning("Cannot read room %s's player state (Redis down?)", room, exc_info=True)
        return None
    current = _parsed_state(raw, room) if beat is not None else None
    return current.wire() if current is not None else None


# --- Transport ----------------------------------------------------------------------------------------------------
# Commands go to the room's Redis list (`command_key`) and answers come back on a list of the request's own
# (`reply_key`), both from this thread with the shared client: one round trip to send, one blocking pop to wait.
# The channel layer took four round trips to send, a hop to the event loop each way and a poll of the answer's
# channel; on the click's path that was most of the time between the debit and libvlc.
PUSH_SCRIPT = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


class PlayerBusy(Exception):
    """The room's command list is full: its daemon is stalled or flooded."""


def _transport_errors(exc: Exception) -> PlayerUnreachable | None:
    """The refusal for a failure to reach the daemon, or None when `exc` is something else."""
    if isinstance(exc, PlayerBusy):
        return PlayerUnreachable("The player is too busy right now; try again in a moment.")
    if isinstance(exc, TimeoutError):
        return PlayerUnreachable("The player did not answer in time.")
    if isinstance(exc, redis.RedisError | OSError):
        return PlayerUnreachable("The player cannot be reached right now.")
    if isinstance(exc, ValidationError):
        return PlayerUnreachable("The player answered something we do not understand.")
    return None


def _push(room: str, command: Command) -> None:
    """Hand `command` to `room`'s daemon: one round trip; PlayerBusy when its list holds PLAYER_COMMAND_CAPACITY."""
    script = sync_client().register_script(PUSH_SCRIPT)
    args: list[str | int] = [command.model_dump_json(), int(settings.PLAYER_COMMAND_CAPACITY), COMMAND_TTL_S]
    if not script(keys=[command_key(room)], args=args):
        raise PlayerBusy(room)


def _wait[AnswerT: BaseModel](
    replies: dict[str, str], answer_type: type[AnswerT], wait_s: float
) -> dict[str, AnswerT | PlayerUnreachable]:
    """Each room's answer (`replies`: reply name -> room) as it comes, within `wait_s` in all; a room that does
    not answer in time, or answers nonsense, has the PlayerUnreachable that stands for it."""
    found: dict[str, AnswerT | PlayerUnreachable] = {}
    waiting = {reply_key(reply): room for reply, room in replies.items()}
    until = time.monotonic() + wait_s
    while waiting:
        left = round(until - time.monotonic(), 3)
        if left <= 0:  # BLPOP's 0 would mean "forever"
            break
        popped = cast(tuple[str, str] | None, sync_client().blpop(list(waiting), timeout=left))
        if popped is None:
            break
        key, raw = popped
        room = waiting.pop(key)
        try:
            found[room] = answer_type.model_validate_json(raw)
        except ValidationError as exc:
            found[room] = cast(PlayerUnreachable, _transport_errors(exc))
    for room in waiting.values():
        found[room] = PlayerUnreachable("The player did not answer in time.")
    return found


def _deadline(seconds: float) -> float:
    return time.time() + seconds


def _ask[AnswerT: BaseModel](room: str, command: Command, answer_type: type[AnswerT]) -> AnswerT:
    """Send a command to `room`'s daemon and wait for its validated answer; failing to reach the daemon is a
    PlayerUnreachable (503)."""
    reply = f"{REPLY_CHANNEL_PREFIX}{secrets.token_hex(16)}"
    try:
        _push(room, command.model_copy(update={"reply": reply}))
        answer = _wait({reply: room}, answer_type, command.deadline - time.time() + ANSWER_GRACE_S)[room]
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        answer = refusal
    if isinstance(answer, PlayerUnreachable):
        logger.warning("Player command %r failed: %s", getattr(command, "type", "?"), answer.detail)
        raise answer
    return answer


def _send(room: str, command: Command) -> None:
    try:
        _push(room, command)
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        logger.warning("Player command %r not sent: %r", getattr(command, "type", "?"), exc)
        raise refusal from exc


# --- Instant plays ------------------------------------------------------------------------------------------------
def play_sound(*, user: User, sound_id: int, room: str, source: str = PlaySource.BOARD) -> PlayResult:
    """Debit a pending attempt, have `room`'s daemon start the clip, and answer once libvlc reports playing.

    Refused before any charge: unknown sound (404), missing file (404), rate limit (429), the room's player
    offline (503), the sound's cooldown (429). Not enough credits is a 402 with the balance untouched. When the
    daemon fails or does not answer in time the attempt is refunded, unless the daemon recorded it as played
    first: then it plays, and is paid. A play refused or refunded leaves no cooldown behind.

    `room` ALL_ROOMS ("*") is a staff announcement: the clip in every online room, charged once (see `_announce`).
    """
    sound = Sound.objects.filter(pk=sound_id).first() if 0 < sound_id <= MAX_ID else None
    if sound is None:
        raise PlayError("No such sound.", 404)
    return _play(user=user, sound=sound, room=room, source=source)


def online_rooms() -> list[str]:
    """The slugs of the rooms whose player publishes its heartbeat now."""
    slugs = list(Room.objects.values_list("slug", flat=True))
    return [slug for slug, beat in heartbeats(slugs).items() if beat is not None]


def swap_online_rooms(slugs: list[str]) -> list[str] | None:
    """Store `slugs` as the rooms online now and return what the previous call stored: one atomic SET … GET, so
    of several callers at once exactly one sees a change. None: nothing stored yet (or it expired), or Redis down."""
    try:
        raw = cast(str | None, sync_client().set(ONLINE_ROOMS_KEY, ",".join(slugs), get=True, ex=ONLINE_ROOMS_TTL_S))
    except redis.RedisError:
        logger.warning("Cannot store the online rooms (Redis down?)", exc_info=True)
        return None
    return None if raw is None else [slug for slug in raw.split(",") if slug]


def _play(*, user: User, sound: Sound, room: str, source: str) -> PlayResult:
    path = sound.playable_path()
    if path is None:
        raise PlayError(f"The file of “{sound.name}” is missing; ask an admin to rescan.", 404)
    timing.mark("lookup")  # the room, the sound and its file
    announcing = room == ALL_ROOMS
    if announcing:
        if not user.is_staff:
            raise PlayError("Only staff can play a sound in every room at once.", 403)
    else:
        quiet.check(user, room=room)
    timing.mark("quiet")
    ratelimits.hit("play", user.pk, "PLAY_RATE_LIMIT", detail="Easy there: too many plays in a row.")
    timing.mark("ratelimit")
    rooms = online_rooms() if announcing else [room] if is_online(room) else []
    timing.mark("online")
    if not rooms:
        where = "No room's player is online" if announcing else f"The player of room “{room}” is offline"
        raise PlayError(f"{where}, so nothing was played and nothing was charged.", 503)
    playback_id = secrets.token_hex(6)
    action = CreditAction.VLC_PLAY_SOUND
    metadata = {"sound_id": sound.pk, "sound_name": sound.name, "source": source, "room": room}
    cooldown = cooldowns.take(sound)  # before the debit: a play refused for its cooldown costs nothing
    timing.mark("cooldown")
    try:
        attempt = credits.debit(
            user_id=user.pk,
            amount=credits.cost_of(action),
            action=action,
            metadata=metadata,
            attempt=True,
            announce=False,  # told once the player has its command (`_ask_each`)
        )
    except BaseException as exc:
        cooldowns.give_back(sound.pk, cooldown)
        if isinstance(exc, credits.InsufficientCredits):
            raise PlayError(str(exc), 402) from exc
        raise
    timing.mark("debit")
    command = PlaySound(
        deadline=_deadline(settings.PLAYER_START_TIMEOUT_S),
        playback_id=playback_id,
        sound_id=sound.pk,
        name=sound.name,
        path=str(path),
        user_id=user.pk,
        user_name=user.display_name,
        source=source,
        attempt_id=attempt.pk,
        volume=sound.volume,
        announcement=announcing,
    )
    _release_pooled_connection()
    try:
        answers = _ask_each(rooms, command, PlayAnswer, attempt)
    except BaseException as exc:
        if credits.refund_attempt(attempt, reason=f"{type(exc).__name__}: {exc}"[:200]) is not None:
            cooldowns.give_back(sound.pk, cooldown)
        raise
    first = answers[rooms[0]]
    for stage, at in first.stamps if isinstance(first, PlayAnswer) else ():
        timing.mark(f"player_{stage}", at)
    timing.mark("answer")
    played = tuple(r for r, a in answers.items() if isinstance(a, PlayAnswer) and a.status == "playing")
    if not played:
        # One attempt for every room of an announcement: refunded only if no room played it.
        answer = answers[rooms[0]]
        failure = answer.detail if isinstance(answer, PlayerUnreachable) else answer.detail or "it did not start"
        refusal = PlayError(f"“{sound.name}” could not be played ({failure}); your credit was refunded.", 503)
        if credits.refund_attempt(attempt, reason=refusal.detail[:200]) is not None:
            cooldowns.give_back(sound.pk, cooldown)
            raise refusal
        # Refused: a daemon recorded the play as we gave up on it. It is playing, and it is paid.
        played = tuple(rooms)
    return PlayResult(playback_id=playback_id, sound=sound, balance=attempt.balance_after, rooms=played)


def _release_pooled_connection() -> None:
    """Give this request's database connection back to the pool while the player starts the clip.

    The wait is the longest part of a play and needs no database; holding the connection through it made
    the pool (DB_POOL_MAX_SIZE per process) the queue: 200 people clicking through two web processes waited
    20 s for a connection and got 500s (`python -m benchmarks crowd`). A refund after the wait takes a
    connection again. Inside a transaction (a caller's atomic block) the connection stays; without a pool
    (SQLite) closing would only cost a reconnect, so it stays too.
    """
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


def _ask_each(
    rooms: list[str], command: PlaySound, answer_type: type[PlayAnswer], attempt: CreditTransaction
) -> dict[str, PlayAnswer | PlayerUnreachable]:
    """`_ask` to several rooms at once: each room's answer, or the PlayerUnreachable that stood for it.

    The debit's live event goes out once the rooms have the command, while the clip starts: sent at the debit's
    commit, it held the click back by a hop to the event loop and a channel-layer group send.
    """
    replies: dict[str, str] = {}
    found: dict[str, PlayAnswer | PlayerUnreachable] = {}
    for room in rooms:
        reply = f"{REPLY_CHANNEL_PREFIX}{secrets.token_hex(16)}"
        try:
            _push(room, command.model_copy(update={"reply": reply}))
        except Exception as exc:
            refusal = _transport_errors(exc)
            if refusal is None:
                raise
            logger.warning("Play in room %s failed: %r", room, exc)
            found[room] = refusal
        else:
            replies[reply] = room
    timing.mark("send")
    credits.announce(attempt)  # the debit is told whatever happens next: a refund follows a failure
    found |= _wait(replies, answer_type, command.deadline - time.time() + ANSWER_GRACE_S)
    for room, answer in found.items():
        if isinstance(answer, PlayerUnreachable):
            logger.warning("Play in room %s failed: %s", room, answer.detail)
    return {room: found[room] for room in rooms}


def stop_all(*, room: str, user: User | None = None) -> None:
    """Stop every instant clip in `room` (free, but rate-limited like every other command a user sends)."""
    if user is not None:
        _limit(user)
    _send(room, StopAll(deadline=_deadline(settings.PLAYER_START_TIMEOUT_S), user_id=user.pk if user else None))


# --- Playlist edits -----------------------------------------------------------------------------------------------
def _sync(room: str, command: PlaylistChanged | PlaylistDeleted | QueueChanged) -> None:
    # Called after a playlist edit committed: the edit stands even if the daemon can't be told right now.
    try:
        _send(room, command)
    except PlayerUnreachable:
        logger.warning("Room %s's player missed %r; it reloads on its next change or restart", room, command)


def _rooms_with(playlist_id: int) -> list[str]:
    # Only a room's current playlist matters to its daemon (another one is read from the database when chosen):
    # edits to every other list stay off the players' queues. A room that published nothing yet is told anyway.
    slugs = list(Room.objects.values_list("slug", flat=True))
    if not slugs:
        return []
    try:
        raws = cast(list[str | None], sync_client().mget([state_key(slug) for slug in slugs]))
    except redis.RedisError:
        return slugs
    found = []
    for slug, raw in zip(slugs, raws, strict=True):
        try:
            current = PublishedState.model_validate_json(raw) if raw else None
        except ValidationError:
            current = None
        if current is None or current.playlist_id == playlist_id:
            found.append(slug)
    return found


def playlist_changed(playlist_id: int) -> None:
    """Every room playing from the playlist reloads it (the seed's reload rules)."""
    for room in _rooms_with(playlist_id):
        _sync(room, PlaylistChanged(deadline=_deadline(SYNC_DEADLINE_S), playlist_id=playlist_id))


def queue_changed(room: str) -> None:
    """Queued sounds were reordered or removed (in the database): the room's daemon reloads its queue and tells
    everyone."""
    _sync(room, QueueChanged(deadline=_deadline(SYNC_DEADLINE_S)))


def playlist_deleted(playlist_id: int) -> None:
    for room in _rooms_with(playlist_id):
        _sync(room, PlaylistDeleted(deadline=_deadline(SYNC_DEADLINE_S), playlist_id=playlist_id))


# Music commands that make the room hear something (starting or resuming): refused during quiet hours.
SOUNDING_COMMANDS = frozenset({"play", "next", "previous", "play_index", "enqueue"})


# --- The music player ---------------------------------------------------------------------------------------------
def limit(user: User) -> None:
    """The player commands' rate limit, for the free queue edits too (one budget per user)."""
    _limit(user)


def _limit(user: User) -> None:
    ratelimits.hit(
        "player", user.pk, "PLAYER_COMMAND_RATE_LIMIT", detail="Easy there: too many player commands in a row."
    )


def _whole(value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlayError(message, 400)
    return value


def _checked(command: str, params: dict[str, Any], current: PublishedState | None) -> MusicParams:
    """The command's parameters, refused (400) with a readable reason before anything crosses to the daemon.

    The daemon's state machine judges them again; this guard keeps what the daemon would refuse
    (a 25-digit number, a lone surrogate) and what is plainly out of range off the daemon's queue.
    """
    allowed = {
        "play_index": {"index"},
        "seek": {"ms"},
        "set_volume": {"volume"},
        "set_mode": {"mode"},
        "set_playlist": {"playlist_id", "play"},
        "enqueue": {"sound_id", "first"},
    }.get(command, set())
    if set(params) - allowed:
        raise PlayError(f"Wrong parameters for “{command}”.", 400)
    checked = dict(params)
    if command == "play_index":
        # Judged against the published length when there is one (else the daemon answers for itself).
        length = current.length if current is not None else MAX_TRACK_INDEX + 1
        last = min(MAX_TRACK_INDEX, length - 1)
        message = f"There is no track {params.get('index')}: the playlist has tracks 0 to {last}."
        if length <= 0:
            message = "The playlist is empty."
        checked["index"] = _whole(params.get("index"), 0, last, message)
    elif command == "seek":
        message = f"Seek to a position between 0 and {MAX_POSITION_MS} ms."
        checked["ms"] = _whole(params.get("ms"), 0, MAX_POSITION_MS, message)
    elif command == "set_volume":
        message = f"Volume must be between {MIN_VOLUME} and {MAX_VOLUME}."
        checked["volume"] = _whole(params.get("volume"), MIN_VOLUME, MAX_VOLUME, message)
    elif command == "set_mode" and params.get("mode") not in MODES:
        raise PlayError(f"Unknown mode: choose one of {', '.join(MODES)}.", 400)
    elif command == "set_playlist":
        checked["playlist_id"] = _whole(params.get("playlist_id"), 1, MAX_ID, "No such playlist.")
        checked["play"] = bool(params.get("play"))
    elif command == "enqueue":
        checked["sound_id"] = _whole(params.get("sound_id"), 1, MAX_ID, "No such sound.")
        checked["first"] = bool(params.get("first"))
    return MusicParams.model_validate(checked)


@dataclass(frozen=True)
class MusicOutcome:
    state: PublishedState
    charged: int  # what the command cost its sender: pages say so in a toast


def music_command(*, user: User, room: str, command: str, params: dict[str, Any] | None = None) -> PublishedState:
    """Run a music command in `room`'s daemon and answer the player's new state (see `music`)."""
    return music(user=user, room=room, command=command, params=params).state


def music(*, user: User, room: str, command: str, params: dict[str, Any] | None = None) -> MusicOutcome:
    """Run a music command in `room`'s daemon: the room's player's new state and what it cost.

    Starting playback costs CREDIT_COST_PLAYER: the daemon decides and debits (402 when short), so only a press
    that really starts playback pays, however many arrive at once.
    """
    if command not in MUSIC_COMMANDS:
        raise PlayError("Unknown player command.", 400)
    if command in SOUNDING_COMMANDS or (command == "set_playlist" and (params or {}).get("play")):
        quiet.check(user, room=room)  # first: in quiet hours the answer is "not now", whatever the parameters
    checked = _checked(command, params or {}, state(room))
    _limit(user)
    if not is_online(room):
        raise PlayError(f"The player of room “{room}” is offline.", 503)
    deadline = _deadline(settings.PLAYER_START_TIMEOUT_S)
    message = MusicCommand.model_validate(
        {"deadline": deadline, "command": command, "params": checked, "user_id": user.pk}
    )
    answer = _ask(room, message, MusicAnswer)
    if answer.status != "ok" or answer.state is None:
        raise PlayError(answer.detail or "The player refused.", answer.code if answer.code >= 400 else 400)
    return MusicOutcome(state=answer.state, charged=answer.charged)


def enqueue(*, user: User, room: str, sound_id: int, first: bool) -> PublishedState:
    """ "Play next" (`first`) or "Add to queue": CREDIT_COST_PLAYER, debited by the daemon with the queued row
    (404 unknown sound, 413 full queue, 402 short, 423 quiet hours, 503 offline: nothing charged). A stopped
    player starts playing the queue."""
    return music_command(user=user, room=room, command="enqueue", params={"sound_id": sound_id, "first": first})


# --- Random play --------------------------------------------------------------------------------------------------
RANDOM_TRIES = 5


def play_random(*, user: User, among: SoundQuerySet, room: str, source: str = PlaySource.BOARD) -> PlayResult:
    """Play one sound picked at random from `among` (the board's current filters): one play, same refusals.

    Sounds cooling down or that failed normalization are never picked; a pick whose file vanished is passed over
    for another. 404 when nothing is left to pick.
    """
    candidates = among.off_cooldown(timezone.now()).exclude(normalization_status=JobState.FAILED, is_normalized=False)
    for sound in candidates.order_by("?")[:RANDOM_TRIES]:
        if sound.playable_path() is not None:
            return _play(user=user, sound=sound, room=room, source=source)
    raise PlayError("No sound matches these filters right now.", 404)
