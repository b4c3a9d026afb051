"""What views and the API call to make the player process do something.

Web processes never touch libvlc: they send a command over the channel layer to the one player process of
the audio host and, for a play, wait briefly for its answer. The player publishes a heartbeat in Redis;
without it a play answers "player offline" and charges nothing.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

import ratelimits
from accounts.models import User
from credits import services as credits
from credits.models import CreditAction, CreditTransaction
from soundboard.errors import UserError
from soundboard.redis_client import sync_client
from sounds.models import PlaySource, Sound

PLAYER_CHANNEL = "player"
HEARTBEAT_KEY = "sb:player:heartbeat"


class PlayError(UserError):
    pass


@dataclass(frozen=True)
class PlayResult:
    playback_id: str
    sound: Sound
    balance: int


def player_status() -> dict[str, Any] | None:
    raw = sync_client().get(HEARTBEAT_KEY)
    return json.loads(raw) if raw else None


def is_online() -> bool:
    return player_status() is not None


async def _request(message: dict[str, Any], timeout: float) -> dict[str, Any]:
    layer = get_channel_layer()
    assert layer is not None
    reply = await layer.new_channel("player-reply.")
    await layer.send(PLAYER_CHANNEL, {**message, "reply": reply})
    answer: dict[str, Any] = await asyncio.wait_for(layer.receive(reply), timeout)
    return answer


def play_sound(*, user: User, sound_id: int, source: str = PlaySource.BOARD) -> PlayResult:
    """Charge the play, have the player start it, and answer once libvlc reports playing.

    Refused before any charge: unknown sound (404), missing file (404), rate limit (429), player offline
    (503). Not enough credits is a 402 with the balance untouched. A play that does not start is refunded.
    """
    sound = Sound.objects.filter(pk=sound_id).first()
    if sound is None:
        raise PlayError("No such sound.", 404)
    path = sound.playable_path()
    if path is None:
        raise PlayError(f"The file of “{sound.name}” is missing; ask an admin to rescan.", 404)
    ratelimits.hit("play", user.pk, "PLAY_RATE_LIMIT", detail="Easy there: too many plays in a row.")
    if not is_online():
        raise PlayError("The player is offline, so nothing was played and nothing was charged.", 503)
    try:
        tx = credits.debit(
            user_id=user.pk,
            amount=credits.cost_of(CreditAction.VLC_PLAY_SOUND),
            action=CreditAction.VLC_PLAY_SOUND,
            metadata={"sound_id": sound.pk, "sound_name": sound.name, "source": source},
        )
    except credits.InsufficientCredits as exc:
        raise PlayError(str(exc), 402) from exc
    playback_id = secrets.token_hex(6)
    message = {
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
    try:
        answer = async_to_sync(_request)(message, settings.PLAYER_START_TIMEOUT_S)
    except TimeoutError:
        answer = {"status": "failed", "detail": "The player did not answer in time."}
    if answer.get("status") != "playing":
        # Idempotent, and the player checks it before recording: a late start is stopped, not given free.
        credits.refund(tx, reason=str(answer.get("detail") or "did not start"))
        raise PlayError(f"“{sound.name}” could not be played ({answer.get('detail')}); your credit was refunded.", 503)
    return PlayResult(playback_id=playback_id, sound=sound, balance=tx.balance_after)


def stop_all(*, user: User | None = None) -> None:
    _send({"type": "stop.all", "user_id": user.pk if user else None})


def was_refunded(transaction_id: int) -> bool:
    return CreditTransaction.objects.filter(idempotency_key=f"refund:{transaction_id}").exists()


def _send(message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None
    async_to_sync(layer.send)(PLAYER_CHANNEL, message)


def playlist_changed(playlist_id: int) -> None:
    """The player reloads its playlist when it is the current one (the seed's reload rules)."""
    _send({"type": "playlist.changed", "playlist_id": playlist_id})


def playlist_deleted(playlist_id: int) -> None:
    _send({"type": "playlist.deleted", "playlist_id": playlist_id})


# --- The music player ---------------------------------------------------------------------------------------
def published_state() -> dict[str, Any] | None:
    """The state the player last told everyone (what pages render the player bar from)."""
    from player.music import STATE_KEY

    raw = sync_client().get(STATE_KEY)
    return json.loads(raw) if raw else None


def music_command(*, user: User, command: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a music command in the player; starting playback costs CREDIT_COST_PLAYER, refunded if refused."""
    from player.service import COMMANDS, PlayerState, starts_playback

    if command not in COMMANDS | {"set_playlist"}:
        raise PlayError(f"Unknown player command {command!r}.", 400)
    if not is_online():
        raise PlayError("The player is offline.", 503)
    before = PlayerState.from_dict(published_state() or {})
    costs = (command == "set_playlist" and bool((params or {}).get("play"))) or (
        command != "set_playlist" and starts_playback(command, before)
    )
    tx = None
    if costs:
        try:
            tx = credits.debit(
                user_id=user.pk,
                amount=credits.cost_of(CreditAction.PLAYER_PLAY),
                action=CreditAction.PLAYER_PLAY,
                metadata={"command": command},
            )
        except credits.InsufficientCredits as exc:
            raise PlayError(str(exc), 402) from exc
    message = {"type": "music.command", "command": command, "params": params or {}, "user_id": user.pk}
    try:
        answer = async_to_sync(_request)(message, settings.PLAYER_START_TIMEOUT_S)
    except TimeoutError:
        answer = {"status": "error", "detail": "The player did not answer in time.", "code": 503}
    if answer.get("status") != "ok":
        if tx is not None:
            credits.refund(tx, reason=str(answer.get("detail")))
        raise PlayError(str(answer.get("detail") or "The player refused."), int(answer.get("code") or 400))
    state: dict[str, Any] = answer["state"]
    return state
