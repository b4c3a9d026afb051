"""The web side of the player: what views, the API and services call to make the player daemon do something.

Web processes never touch libvlc: they send a typed command (`player.protocol`) over the channel layer to the
one player daemon of the audio host and, when they need to, wait briefly for its answer. The daemon publishes a
heartbeat in Redis; without it a play answers "player offline" and charges nothing.

Money moves where the state lives:
- an instant play is one attempt, the debit's ledger row, made here as *pending* and then moved by one
  conditional UPDATE either to *played* (by the daemon, when the first samples reach the output) or to
  *refunded* (here, when the daemon failed or did not answer in time): kept or refunded, never both;
- a music command is paid only if it starts playback, which only the daemon knows (it holds the player's
  state): it debits in its own database thread and answers 402 before any effect. Deciding here from the
  published snapshot let two users pressing play at once both pay.

Every command a user sends is rate-limited per user (instant plays by PLAY_RATE_LIMIT, everything else by
PLAYER_COMMAND_RATE_LIMIT): the daemon is one process for the whole room. Every command carries a deadline;
the daemon never runs one after it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, cast

import redis
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from pydantic import BaseModel, ValidationError

import ratelimits
from accounts.models import User
from core.errors import UserError
from core.redis_client import sync_client
from credits import services as credits
from credits.models import CreditAction
from player import quiet
from player.protocol import (
    HEARTBEAT_KEY,
    MAX_ID,
    MAX_POSITION_MS,
    MAX_TRACK_INDEX,
    MAX_VOLUME,
    MIN_VOLUME,
    MODES,
    MUSIC_COMMANDS,
    PLAYER_CHANNEL,
    REPLY_CHANNEL_PREFIX,
    STATE_KEY,
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
)
from sounds import cooldowns
from sounds.models import JobState, PlaySource, Sound, SoundQuerySet

logger = logging.getLogger(__name__)

# A playlist edit must reach the daemon even when it is briefly busy; the channel layer's own expiry (30 s)
# drops it anyway after that, and the next edit or restart reloads the list from the database.
SYNC_DEADLINE_S = 30.0
# How much longer than a command's deadline we wait for its answer: the daemon checks the deadline last just
# before the command's effects, so an answer for a command it ran arrives within this margin, not after we gave up.
ANSWER_GRACE_S = 1.0


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


# --- What the daemon publishes ----------------------------------------------------------------------------------
def _read(key: str) -> str | None:
    try:
        raw = cast(str | None, sync_client().get(key))  # a client with decode_responses: text
    except redis.RedisError:
        # The daemon can't be reached without Redis either: offline, nothing charged.
        logger.warning("Cannot read %s (Redis down?)", key, exc_info=True)
        return None
    return raw


def heartbeat() -> Heartbeat | None:
    raw = _read(HEARTBEAT_KEY)
    try:
        return Heartbeat.model_validate_json(raw) if raw else None
    except ValidationError:
        logger.warning("Ignoring a malformed player heartbeat: %r", raw)
        return None


def is_online() -> bool:
    return heartbeat() is not None


def state() -> PublishedState | None:
    """The state the daemon last told everyone (what pages render the player bar from).

    It names the current track and the playlist's length and `tracks_version`, not the tracks: pages read
    those from the database (`playlists.services.tracks_of`) and again when the version changes.
    """
    raw = _read(STATE_KEY)
    try:
        return PublishedState.model_validate_json(raw) if raw else None
    except ValidationError:
        logger.warning("Ignoring a malformed published player state")
        return None


def published_state() -> dict[str, Any] | None:
    """`state()` as a plain dict, for the page shell's templates (`web.context_processors`)."""
    current = state()
    return current.wire() if current is not None else None


# --- Transport ----------------------------------------------------------------------------------------------------
def _transport_errors(exc: Exception) -> PlayerUnreachable | None:
    """The refusal for a failure to reach the daemon, or None when `exc` is something else."""
    if isinstance(exc, ChannelFull):
        return PlayerUnreachable("The player is too busy right now; try again in a moment.")
    if isinstance(exc, TimeoutError):
        return PlayerUnreachable("The player did not answer in time.")
    if isinstance(exc, redis.RedisError | OSError):
        return PlayerUnreachable("The player cannot be reached right now.")
    if isinstance(exc, ValidationError):
        return PlayerUnreachable("The player answered something we do not understand.")
    return None


async def _request[AnswerT: BaseModel](command: Command, answer_type: type[AnswerT], wait_s: float) -> AnswerT:
    layer = get_channel_layer()
    assert layer is not None
    # A plain channel of our own, not the layer's process-local kind (`new_channel`): those are read through one
    # shared buffer bound to one event loop, and two requests of a threaded server each bring their own loop.
    reply = f"{REPLY_CHANNEL_PREFIX}{secrets.token_hex(16)}"
    await layer.send(PLAYER_CHANNEL, command.model_copy(update={"reply": reply}).wire())
    raw = await asyncio.wait_for(layer.receive(reply), wait_s)
    return answer_type.model_validate(raw)


def _deadline(seconds: float) -> float:
    return time.time() + seconds


def _ask[AnswerT: BaseModel](command: Command, answer_type: type[AnswerT]) -> AnswerT:
    """Send a command and wait for its validated answer; failing to reach the daemon is a PlayerUnreachable (503)."""
    wait_s = command.deadline - time.time() + ANSWER_GRACE_S
    try:
        return async_to_sync(_request)(command, answer_type, wait_s)
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        logger.warning("Player command %r failed: %r", getattr(command, "type", "?"), exc)
        raise refusal from exc


def _send(command: Command) -> None:
    layer = get_channel_layer()
    assert layer is not None
    try:
        async_to_sync(layer.send)(PLAYER_CHANNEL, command.wire())
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        logger.warning("Player command %r not sent: %r", getattr(command, "type", "?"), exc)
        raise refusal from exc


# --- Instant plays ------------------------------------------------------------------------------------------------
def play_sound(*, user: User, sound_id: int, source: str = PlaySource.BOARD) -> PlayResult:
    """Debit a pending attempt, have the daemon start the clip, and answer once libvlc reports playing.

    Refused before any charge: unknown sound (404), missing file (404), rate limit (429), player offline
    (503), the sound's cooldown (429). Not enough credits is a 402 with the balance untouched. When the daemon
    fails or does not answer in time the attempt is refunded, unless the daemon recorded it as played first:
    then it plays, and is paid. A play refused or refunded leaves no cooldown behind.
    """
    sound = Sound.objects.filter(pk=sound_id).first() if 0 < sound_id <= MAX_ID else None
    if sound is None:
        raise PlayError("No such sound.", 404)
    return _play(user=user, sound=sound, source=source)


def _play(*, user: User, sound: Sound, source: str) -> PlayResult:
    path = sound.playable_path()
    if path is None:
        raise PlayError(f"The file of “{sound.name}” is missing; ask an admin to rescan.", 404)
    quiet.check(user)
    ratelimits.hit("play", user.pk, "PLAY_RATE_LIMIT", detail="Easy there: too many plays in a row.")
    if not is_online():
        raise PlayError("The player is offline, so nothing was played and nothing was charged.", 503)
    playback_id = secrets.token_hex(6)
    action = CreditAction.VLC_PLAY_SOUND
    metadata = {"sound_id": sound.pk, "sound_name": sound.name, "source": source}
    cooldown = cooldowns.take(sound)  # before the debit: a play refused for its cooldown costs nothing
    try:
        attempt = credits.debit(
            user_id=user.pk, amount=credits.cost_of(action), action=action, metadata=metadata, attempt=True
        )
    except BaseException as exc:
        cooldowns.give_back(sound.pk, cooldown)
        if isinstance(exc, credits.InsufficientCredits):
            raise PlayError(str(exc), 402) from exc
        raise
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
    )
    try:
        answer = _ask(command, PlayAnswer)
        failure = None if answer.status == "playing" else answer.detail or "it did not start"
    except PlayerUnreachable as exc:
        failure = exc.detail
    except BaseException as exc:
        if credits.refund_attempt(attempt, reason=f"{type(exc).__name__}: {exc}"[:200]) is not None:
            cooldowns.give_back(sound.pk, cooldown)
        raise
    if failure is not None:
        refusal = PlayError(f"“{sound.name}” could not be played ({failure}); your credit was refunded.", 503)
        if credits.refund_attempt(attempt, reason=refusal.detail[:200]) is not None:
            cooldowns.give_back(sound.pk, cooldown)
            raise refusal
        # Refused: the daemon recorded the play as we gave up on it. It is playing, and it is paid.
    return PlayResult(playback_id=playback_id, sound=sound, balance=attempt.balance_after)


def stop_all(*, user: User | None = None) -> None:
    """Stop every instant clip (free, but rate-limited like every other command a user sends)."""
    if user is not None:
        _limit(user)
    _send(StopAll(deadline=_deadline(settings.PLAYER_START_TIMEOUT_S), user_id=user.pk if user else None))


# --- Playlist edits -----------------------------------------------------------------------------------------------
def _sync(command: PlaylistChanged | PlaylistDeleted | QueueChanged) -> None:
    # Called after a playlist edit committed: the edit stands even if the daemon can't be told right now.
    try:
        _send(command)
    except PlayerUnreachable:
        logger.warning("The player missed %r; it reloads the list on its next change or restart", command)


def _is_current(playlist_id: int) -> bool:
    # Only the current playlist matters to the daemon (another one is read from the database when chosen): edits
    # to every other list stay off the shared player's queue.
    current = state()
    return current is None or current.playlist_id == playlist_id


def playlist_changed(playlist_id: int) -> None:
    """The daemon reloads its playlist when it is the current one (the seed's reload rules)."""
    if _is_current(playlist_id):
        _sync(PlaylistChanged(deadline=_deadline(SYNC_DEADLINE_S), playlist_id=playlist_id))


def queue_changed() -> None:
    """Queued sounds were reordered or removed (in the database): the daemon reloads the queue and tells everyone."""
    _sync(QueueChanged(deadline=_deadline(SYNC_DEADLINE_S)))


def playlist_deleted(playlist_id: int) -> None:
    if _is_current(playlist_id):
        _sync(PlaylistDeleted(deadline=_deadline(SYNC_DEADLINE_S), playlist_id=playlist_id))


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

    The daemon's state machine judges them again; this guard keeps what can't be packed for the channel layer
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


def music_command(*, user: User, command: str, params: dict[str, Any] | None = None) -> PublishedState:
    """Run a music command in the daemon and answer the player's new state (see `music`)."""
    return music(user=user, command=command, params=params).state


def music(*, user: User, command: str, params: dict[str, Any] | None = None) -> MusicOutcome:
    """Run a music command in the daemon: the player's new state and what it cost.

    Starting playback costs CREDIT_COST_PLAYER: the daemon decides and debits (402 when short), so only a press
    that really starts playback pays, however many arrive at once.
    """
    if command not in MUSIC_COMMANDS:
        raise PlayError("Unknown player command.", 400)
    if command in SOUNDING_COMMANDS or (command == "set_playlist" and (params or {}).get("play")):
        quiet.check(user)  # first: in quiet hours the answer is "not now", whatever the parameters
    checked = _checked(command, params or {}, state())
    _limit(user)
    if not is_online():
        raise PlayError("The player is offline.", 503)
    deadline = _deadline(settings.PLAYER_START_TIMEOUT_S)
    message = MusicCommand.model_validate(
        {"deadline": deadline, "command": command, "params": checked, "user_id": user.pk}
    )
    answer = _ask(message, MusicAnswer)
    if answer.status != "ok" or answer.state is None:
        raise PlayError(answer.detail or "The player refused.", answer.code if answer.code >= 400 else 400)
    return MusicOutcome(state=answer.state, charged=answer.charged)


def enqueue(*, user: User, sound_id: int, first: bool) -> PublishedState:
    """ "Play next" (`first`) or "Add to queue": CREDIT_COST_PLAYER, debited by the daemon with the queued row
    (404 unknown sound, 413 full queue, 402 short, 423 quiet hours, 503 offline: nothing charged). A stopped
    player starts playing the queue."""
    return music_command(user=user, command="enqueue", params={"sound_id": sound_id, "first": first})


# --- Random play --------------------------------------------------------------------------------------------------
RANDOM_TRIES = 5


def play_random(*, user: User, among: SoundQuerySet, source: str = PlaySource.BOARD) -> PlayResult:
    """Play one sound picked at random from `among` (the board's current filters): one play, same refusals.

    Sounds cooling down or that failed normalization are never picked; a pick whose file vanished is passed over
    for another. 404 when nothing is left to pick.
    """
    candidates = among.off_cooldown(timezone.now()).exclude(normalization_status=JobState.FAILED, is_normalized=False)
    for sound in candidates.order_by("?")[:RANDOM_TRIES]:
        if sound.playable_path() is not None:
            return _play(user=user, sound=sound, source=source)
    raise PlayError("No sound matches these filters right now.", 404)
