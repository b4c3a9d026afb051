# TEMPORARY shim for player/ until the move lands; remove
from live.events import (
    EVERYONE,
    STAFF,
    abroadcast,
    asend_to_user,
    broadcast,
    close_user_connections,
    send_to_staff,
    send_to_user,
    user_group,
)

__all__ = [
    "EVERYONE",
    "STAFF",
    "abroadcast",
    "asend_to_user",
    "broadcast",
    "close_user_connections",
    "send_to_staff",
    "send_to_user",
    "user_group",
]
