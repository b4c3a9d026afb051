"""What views and the API call to make the player process do something.

Web processes never touch libvlc: they send a command over the channel layer to the one player process of
the audio host and, for a play, wait briefly for its answer. The player publishes a heartbeat in Redis;
without it a play answers "player offline" and charges nothing.

Every command a user sends is rate-limited per user (instant plays by PLAY_RATE_LIMIT, everything else by
PLAYER_COMMAND_RATE_LIMIT): the player is one process for the whole office, and one user's flood of free
commands must not make everyone else's plays wait. Every message carries a deadline (epoch seconds): the
player drops what it could only run late, when the web side has already given up and refunded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings

import ratelimits
from accounts.models import User
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from player.service import (
    COMMANDS,
    MAX_POSITION_MS,
    MAX_TRACK_INDEX,
    MAX_VOLUME,
    MIN_VOLUME,
    MODES,
    playback_would_start,
)
from soundboard.errors import UserError
from soundboard.redis_client import sync_client
from sounds.models import PlaySource, Sound

logger = logging.getLogger(__name__)

PLAYER_CHANNEL = "player"
HEARTBEAT_KEY = "sb:player:heartbeat"
STATE_KEY = "sb:player:state"
# Database ids are 64-bit: a bigger number can't name a row, and SQLite raises instead of finding nothing.
MAX_ID = 2**63 - 1
# A playlist edit must reach the player even when it is briefly busy; the channel layer's own expiry (30 s)
# drops it anyway after that, and the next edit or restart reloads the list from the database.
SYNC_DEADLINE_S = 30.0


class PlayError(UserError):
    pass


class PlayerUnreachable(PlayError):
    """The message could not be delivered or answered: the player is busy, or Redis is down (a 503)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, 503)


@dataclass(frozen=True)
class PlayResult:
    playback_id: str
    sound: Sound
    balance: int


def player_status() -> dict[str, Any] | None:
    try:
        raw = sync_client().get(HEARTBEAT_KEY)
    except redis.RedisError:
        logger.warning("Cannot read the player's heartbeat (Redis down?)", exc_info=True)
        return None  # the player can't be reached without Redis either: offline, nothing charged
    return json.loads(raw) if raw else None


def is_online() -> bool:
    return player_status() is not None


def _with_deadline(message: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {**message, "deadline": time.time() + seconds}


async def _request(message: dict[str, Any], timeout: float) -> dict[str, Any]:
    layer = get_channel_layer()
    assert layer is not None
    reply = await layer.new_channel("player-reply.")
    # The player drops the message once we stop waiting for it: a play must never start after its refund.
    await layer.send(PLAYER_CHANNEL, _with_deadline({**message, "reply": reply}, timeout))
    answer: dict[str, Any] = await asyncio.wait_for(layer.receive(reply), timeout)
    return answer


def _transport_errors(exc: Exception) -> PlayerUnreachable | None:
    """The refusal for a failure to reach the player, or None when `exc` is something else."""
    if isinstance(exc, ChannelFull):
        return PlayerUnreachable("The player is too busy right now; try again in a moment.")
    if isinstance(exc, TimeoutError):
        return PlayerUnreachable("The player did not answer in time.")
    if isinstance(exc, redis.RedisError | OSError):
        return PlayerUnreachable("The player cannot be reached right now.")
    return None


def _ask(message: dict[str, Any]) -> dict[str, Any]:
    """Send a command and wait for the player's answer; failing to reach it is a PlayerUnreachable (503)."""
    try:
        return async_to_sync(_request)(message, settings.PLAYER_START_TIMEOUT_S)
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        logger.warning("Player command %r failed: %r", message.get("type"), exc)
        raise refusal from exc


def _send(message: dict[str, Any], deadline_s: float | None = None) -> None:
    layer = get_channel_layer()
    assert layer is not None
    seconds = settings.PLAYER_START_TIMEOUT_S if deadline_s is None else deadline_s
    try:
        async_to_sync(layer.send)(PLAYER_CHANNEL, _with_deadline(message, seconds))
    except Exception as exc:
        refusal = _transport_errors(exc)
        if refusal is None:
            raise
        logger.warning("Player command %r not sent: %r", message.get("type"), exc)
        raise refusal from exc


def play_sound(*, user: User, sound_id: int, source: str = PlaySource.BOARD) -> PlayResult:
    """Charge the play, have the player start it, and answer once libvlc reports playing.

    Refused before any charge: unknown sound (404), missing file (404), rate limit (429), player offline
    (503). Not enough credits is a 402 with the balance untouched. Whatever goes wrong after the debit (the
    player refuses or never answers, the channel is full, Redis goes away) is refunded by `credits.charge`.
    """
    sound = Sound.objects.filter(pk=sound_id).first() if 0 < sound_id <= MAX_ID else None
    if sound is None:
        raise PlayError("No such sound.", 404)
    path = sound.playable_path()
    if path is None:
        raise PlayError(f"The file of “{sound.name}” is missing; ask an admin to rescan.", 404)
    ratelimits.hit("play", user.pk, "PLAY_RATE_LIMIT", detail="Easy there: too many plays in a row.")
    if not is_online():
        raise PlayError("The player is offline, so nothing was played and nothing was charged.", 503)
    playback_id = secrets.token_hex(6)
    metadata = {"sound_id": sound.pk, "sound_name": sound.name, "source": source}
    try:
        with credits.charge(user_id=user.pk, action=CreditAction.VLC_PLAY_SOUND, metadata=metadata) as tx:
            try:
                answer = _ask(
                    {
                        "type": "play.sound",
                        "playback_id": playback_id,
                        "sound_id": sound.pk,
                        "name": sound.name,
                        "path": str(path),
                        "user_id": user.pk,
                        "user_name": user.display_name,
                        "source": source,
                        "transaction_id": tx.pk,
                    }
                )
            except PlayerUnreachable as exc:
                answer = {"status": "failed", "detail": exc.detail}
            if answer.get("status") != "playing":
                # Raised inside `charge`, so refunded; the player checks the refund before recording, so a start
                # that comes too late is stopped, not given away.
                detail = str(answer.get("detail") or "it did not start")
                raise PlayError(f"“{sound.name}” could not be played ({detail}); your credit was refunded.", 503)
    except credits.InsufficientCredits as exc:
        raise PlayError(str(exc), 402) from exc
    return PlayResult(playback_id=playback_id, sound=sound, balance=tx.balance_after)


def stop_all(*, user: User | None = None) -> None:
    """Stop every instant clip (free, but rate-limited like every other command a user sends)."""
    if user is not None:
        _limit(user)
    _send({"type": "stop.all", "user_id": user.pk if user else None})


def was_refunded(transaction_id: int) -> bool:
    return CreditTransaction.objects.filter(idempotency_key=f"refund:{transaction_id}").exists()


def _sync(message: dict[str, Any]) -> None:
    # Called after a playlist edit committed: the edit stands even if the player can't be told right now.
    try:
        _send(message, SYNC_DEADLINE_S)
    except PlayerUnreachable:
        logger.warning("The player missed %r; it reloads the list on its next change or restart", message)


def _is_current(playlist_id: int) -> bool:
    # Only the current playlist matters to the player (another one is read from the database when chosen): edits
    # to every other list stay off the shared player's queue.
    state = published_state()
    return state is None or state.get("playlist_id") == playlist_id


def playlist_changed(playlist_id: int) -> None:
    """The player reloads its playlist when it is the current one (the seed's reload rules)."""
    if _is_current(playlist_id):
        _sync({"type": "playlist.changed", "playlist_id": playlist_id})


def playlist_deleted(playlist_id: int) -> None:
    if _is_current(playlist_id):
        _sync({"type": "playlist.deleted", "playlist_id": playlist_id})


# --- The music player ---------------------------------------------------------------------------------------
def published_state() -> dict[str, Any] | None:
    """The state the player last told everyone (what pages render the player bar from).

    It names the current track and the playlist's length and `tracks_version`, not the tracks: pages read
    those from the database (`playlists.services.tracks_of`) and again when the version changes.
    """
    try:
        raw = sync_client().get(STATE_KEY)
    except redis.RedisError:
        logger.warning("Cannot read the player's state (Redis down?)", exc_info=True)
        return None
    return json.loads(raw) if raw else None


def _limit(user: User) -> None:
    ratelimits.hit(
        "player", user.pk, "PLAYER_COMMAND_RATE_LIMIT", detail="Easy there: too many player commands in a row."
    )


def _whole(value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PlayError(message, 400)
    return value


def _checked(command: str, params: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The command's parameters, refused (400) before any charge when they can't be right.

    The player's state machine judges them again; this guard keeps what can't be packed for the channel layer
    (a 25-digit number, a lone surrogate) and what is plainly out of range from costing a debit and a refund.
    """
    allowed = {
        "play_index": {"index"},
        "seek": {"ms"},
        "set_volume": {"volume"},
        "set_mode": {"mode"},
        "set_playlist": {"playlist_id", "play"},
    }.get(command, set())
    if set(params) - allowed:
        raise PlayError(f"Wrong parameters for “{command}”.", 400)
    checked = dict(params)
    if command == "play_index":
        # Judged against the published length when there is one (else the player answers for itself).
        length = int(state["length"]) if isinstance(state.get("length"), int) else MAX_TRACK_INDEX + 1
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
    return checked


def music_command(*, user: User, command: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a music command in the player; starting playback costs CREDIT_COST_PLAYER, refunded if refused."""
    if command not in COMMANDS | {"set_playlist"}:
        raise PlayError("Unknown player command.", 400)
    before = published_state() or {}
    params = _checked(command, params or {}, before)
    _limit(user)
    if not is_online():
        raise PlayError("The player is offline.", 503)
    if command == "set_playlist":
        costs = bool(params["play"])
    else:
        costs = playback_would_start(
            command, status=str(before.get("status") or "stopped"), length=int(before.get("length") or 0)
        )
    charge: AbstractContextManager[object] = (
        credits.charge(user_id=user.pk, action=CreditAction.PLAYER_PLAY, metadata={"command": command})
        if costs
        else nullcontext()
    )
    try:
        with charge:  # whatever is raised inside refunds what was charged (nothing, for a free command)
            answer = _ask({"type": "music.command", "command": command, "params": params, "user_id": user.pk})
            if answer.get("status") != "ok":
                raise PlayError(str(answer.get("detail") or "The player refused."), int(answer.get("code") or 400))
    except credits.InsufficientCredits as exc:
        raise PlayError(str(exc), 402) from exc
    state: dict[str, Any] = answer["state"]
    return state
