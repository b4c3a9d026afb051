"""The player's housekeeping on the beat: a thin adapter over `player.rooms`."""

from celery import shared_task

from player import rooms


@shared_task(name="player.watch_rooms")
def watch_rooms() -> bool:
    """Announce a room whose player came online or went offline since the last look (every 3 s)."""
    return rooms.announce_changes()
