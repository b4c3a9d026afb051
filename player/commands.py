# TEMPORARY shim for callers outside player/ (sounds.api, playlists.services, the context processor, conftest)
# until the lead points them at player.client; remove.
from player.client import (
    PlayError,
    PlayerUnreachable,
    PlayResult,
    is_online,
    music_command,
    play_sound,
    playlist_changed,
    playlist_deleted,
    published_state,
    stop_all,
)
from player.protocol import HEARTBEAT_KEY, MAX_ID, PLAYER_CHANNEL, STATE_KEY

__all__ = [
    "HEARTBEAT_KEY",
    "MAX_ID",
    "PLAYER_CHANNEL",
    "STATE_KEY",
    "PlayError",
    "PlayResult",
    "PlayerUnreachable",
    "is_online",
    "music_command",
    "play_sound",
    "playlist_changed",
    "playlist_deleted",
    "published_state",
    "stop_all",
]
